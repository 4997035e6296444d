package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/latipay-hpp/hpp/payments"
)

// Stored payment links (payments.LinkStore). A use is counted by one
// conditional UPDATE ... RETURNING: PostgreSQL re-checks the WHERE clause
// on the row's newest version after waiting for a concurrent update, so
// instances opening the same link at once cannot pass max_uses. A use's
// payment moves it in the payment's own transaction (linkUse, from
// Update), with the use and its link locked.

var _ payments.LinkStore = (*DB)(nil)

const linkCols = `id, source, amount, min_amount, max_amount, currency, desc_en, desc_zh_hans,
	desc_zh_hant, expires_at, max_uses, uses, paid_uses, active, created_at, updated_at`

func scanLink(s scanner) (payments.Link, error) {
	var l payments.Link
	var cur, en, hans, hant string
	err := s.Scan(&l.ID, &l.Source, &l.Amount, &l.MinAmount, &l.MaxAmount, &cur, &en, &hans, &hant,
		timeCol{&l.ExpiresAt}, &l.MaxUses, &l.Uses, &l.Paid, &l.Active, timeCol{&l.CreatedAt}, timeCol{&l.UpdatedAt})
	l.Currency = payments.Currency(cur)
	l.Descriptions = map[string]string{}
	for i, t := range []string{en, hans, hant} {
		if t != "" {
			l.Descriptions[payments.LinkLanguages[i]] = t
		}
	}
	return l, err
}

// CreateLink implements payments.LinkStore.
func (db *DB) CreateLink(ctx context.Context, l payments.Link) error {
	d := l.Descriptions
	_, err := db.pool.Exec(ctx, `INSERT INTO payment_links (`+linkCols+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`,
		l.ID, l.Source, l.Amount, l.MinAmount, l.MaxAmount, string(l.Currency), d["en"], d["zh-Hans"], d["zh-Hant"],
		ts(l.ExpiresAt), l.MaxUses, l.Uses, l.Paid, l.Active, ts(l.CreatedAt), ts(l.UpdatedAt))
	return wrap("create link", err)
}

// Link implements payments.LinkStore.
func (db *DB) Link(ctx context.Context, id string) (payments.Link, error) {
	l, err := scanLink(db.pool.QueryRow(ctx, `SELECT `+linkCols+` FROM payment_links WHERE id = $1`, id))
	return l, wrap("link", err)
}

// Links implements payments.LinkStore.
func (db *DB) Links(ctx context.Context, source, before string, limit int) ([]payments.Link, error) {
	ls, err := queryAll(ctx, db.pool, scanLink, `SELECT `+linkCols+` FROM payment_links
		WHERE ($1 = '' OR source = $1)
		AND ($3 = '' OR (created_at, id) < (SELECT created_at, id FROM payment_links WHERE id = $3))
		ORDER BY created_at DESC, id DESC LIMIT $2`, source, limit, before)
	return ls, wrap("links", err)
}

// SetLinkActive implements payments.LinkStore.
func (db *DB) SetLinkActive(ctx context.Context, id string, active bool, now time.Time) (payments.Link, error) {
	l, err := scanLink(db.pool.QueryRow(ctx, `UPDATE payment_links SET active = $1, updated_at = $2
		WHERE id = $3 RETURNING `+linkCols, active, ts(now), id))
	return l, wrap("set link active", err)
}

// errNotUsed rolls back a use that the link's limits refused.
var errNotUsed = errors.New("postgres: link not used")

// UseLink implements payments.LinkStore: the key's row and the count go
// in one transaction, or neither does. A second transaction inserting the
// same key waits for the first and then finds it (a replay), or inserts
// it if the first rolled back.
func (db *DB) UseLink(ctx context.Context, id, key string, now time.Time) (l payments.Link, used, replay bool, err error) {
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO payment_link_uses (link_id, key, at)
			SELECT id, $1, $2 FROM payment_links WHERE id = $3 ON CONFLICT DO NOTHING`, key, ts(now), id)
		if err != nil {
			return wrap("use link", err)
		}
		if tag.RowsAffected() == 0 {
			// No such link, or this key was counted before.
			if l, err = scanLink(tx.QueryRow(ctx, `SELECT `+linkCols+` FROM payment_links WHERE id = $1`, id)); err != nil {
				return wrap("use link", err)
			}
			replay = true
			return nil
		}
		l, err = scanLink(tx.QueryRow(ctx, `UPDATE payment_links SET uses = uses + 1, updated_at = $1
			WHERE id = $2 AND active AND (expires_at IS NULL OR expires_at > $1) AND (max_uses = 0 OR uses < max_uses)
			RETURNING `+linkCols, ts(now), id))
		if errors.Is(err, pgx.ErrNoRows) {
			return errNotUsed
		}
		used = err == nil
		return wrap("use link", err)
	})
	if errors.Is(err, errNotUsed) {
		l, err = db.Link(ctx, id)
	}
	return l, used, replay, err
}

// ReleaseLink implements payments.LinkStore. A use whose payment was
// made after all (a commit whose answer was lost) stays: that payment's
// end gives it back.
func (db *DB) ReleaseLink(ctx context.Context, id, key string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM payment_link_uses
			WHERE link_id = $1 AND key = $2 AND payment_id IS NULL AND state = 'held'`, id, key)
		if err != nil || tag.RowsAffected() == 0 {
			return wrap("release link", err)
		}
		_, err = tx.Exec(ctx, `UPDATE payment_links SET uses = uses - 1 WHERE id = $1 AND uses > 0`, id)
		return wrap("release link", err)
	})
}

// tieLinkUse ties a use to the payment made for it (CreatePayment).
const tieLinkUse = `UPDATE payment_link_uses SET payment_id = $1
	WHERE link_id = $2 AND key = $3 AND payment_id IS NULL`

// linkUse applies c to the use payment id holds, if it holds one, inside
// Update's transaction on conn: the domain's step
// (payments.LinkUseChange.Step) from the use's state and its link's count,
// both read locked, so a retake and a concurrent UseLink of the same link
// are decided one after the other.
func linkUse(ctx context.Context, conn *pgxpool.Conn, id string, c payments.LinkUseChange) error {
	var linkID, key, state string
	var uses, maxUses int
	err := conn.QueryRow(ctx, `SELECT u.link_id, u.key, u.state, l.uses, l.max_uses
		FROM payment_link_uses u JOIN payment_links l ON l.id = u.link_id
		WHERE u.payment_id = $1 FOR UPDATE OF u, l`, id).Scan(&linkID, &key, &state, &uses, &maxUses)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // not made through a stored link
	}
	if err != nil {
		return fmt.Errorf("link use: %w", err)
	}
	to, dUses, dPaid, err := c.Step(payments.UseState(state), uses, maxUses)
	if err != nil || to == payments.UseState(state) {
		return err
	}
	_, err = conn.Exec(ctx, `WITH u AS (UPDATE payment_link_uses SET state = $3 WHERE link_id = $1 AND key = $2)
		UPDATE payment_links SET uses = GREATEST(uses + $4, 0), paid_uses = GREATEST(paid_uses + $5, 0)
		WHERE id = $1`, linkID, key, string(to), dUses, dPaid)
	if err != nil {
		return fmt.Errorf("link use: %w", err)
	}
	return nil
}
