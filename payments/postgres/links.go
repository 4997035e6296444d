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

// PaymentLink implements payments.LinkStore, through the index of the
// uses' payments (payment_link_uses_payment, migration 023).
func (db *DB) PaymentLink(ctx context.Context, paymentID string) (payments.Link, error) {
	l, err := scanLink(db.pool.QueryRow(ctx, `SELECT `+linkCols+` FROM payment_links
		WHERE id = (SELECT link_id FROM payment_link_uses WHERE payment_id = $1 LIMIT 1)`, paymentID))
	return l, wrap("payment link", err)
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

// SweepLinkUses implements payments.LinkStore. The candidates come from
// the partial index payment_link_uses_untied (migration 025), which holds
// only held uses with no payment: those of checkouts being made this
// instant, and the few the sweep is for. Uses whose payment, found by its
// idempotency key, is still open are skipped in the query, so they never
// fill the batch. Each use is then settled in a transaction of its own,
// with the rows locked in the order Update locks them (the payment, then
// the use and its link), so a sweep waits for a transition of the payment
// and then reads its outcome, and sweeps of several instances settle a
// use once.
func (db *DB) SweepLinkUses(ctx context.Context, cutoff time.Time, limit int) (payments.LinkSweep, error) {
	type untied struct{ linkID, key, paymentID string }
	us, err := queryAll(ctx, db.pool, func(s scanner) (u untied, err error) {
		var pid *string
		err = s.Scan(&u.linkID, &u.key, &pid)
		if pid != nil {
			u.paymentID = *pid
		}
		return u, err
	}, `SELECT u.link_id, u.key, p.id FROM payment_link_uses u
		LEFT JOIN idempotency i ON i.key = 'link:' || u.link_id || ':' || u.key
		LEFT JOIN payments p ON p.id = i.payment_id
		WHERE u.payment_id IS NULL AND u.state = 'held' AND u.at < $1
		AND (p.status IS NULL OR p.status NOT IN ('created', 'pending'))
		ORDER BY u.at LIMIT $2`, ts(cutoff), limit)
	var n payments.LinkSweep
	if err != nil {
		return n, wrap("sweep link uses", err)
	}
	for _, u := range us {
		var one payments.LinkSweep // what this use's transaction did, once committed
		err := db.inTx(ctx, func(tx pgx.Tx) error {
			var err error
			if u.paymentID == "" {
				one, err = releaseUntied(ctx, tx, u.linkID, u.key, cutoff)
			} else {
				one, err = tieUntied(ctx, tx, u.linkID, u.key, u.paymentID)
			}
			return err
		})
		if err != nil {
			return n, wrap("sweep link uses", err)
		}
		n.Released, n.Tied = n.Released+one.Released, n.Tied+one.Tied
	}
	return n, nil
}

// releaseUntied gives back a use that still holds a place with no
// payment, as ReleaseLink does; nothing if a payment was made or tied
// meanwhile (the DELETE waits for a transaction that holds the use's row
// and then checks the row again).
func releaseUntied(ctx context.Context, tx pgx.Tx, linkID, key string, cutoff time.Time) (payments.LinkSweep, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM payment_link_uses
		WHERE link_id = $1 AND key = $2 AND payment_id IS NULL AND state = 'held' AND at < $3
		AND NOT EXISTS (SELECT 1 FROM idempotency WHERE key = 'link:' || $1 || ':' || $2)`, linkID, key, ts(cutoff))
	if err != nil || tag.RowsAffected() == 0 {
		return payments.LinkSweep{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE payment_links SET uses = GREATEST(uses - 1, 0) WHERE id = $1`, linkID); err != nil {
		return payments.LinkSweep{}, err
	}
	return payments.LinkSweep{Released: 1}, nil
}

// tieUntied ties a held use to the payment made for it and moves it as
// the payment's status says (payments.LinkUseFor); nothing if the use was
// settled meanwhile or its payment is open.
func tieUntied(ctx context.Context, tx pgx.Tx, linkID, key, paymentID string) (payments.LinkSweep, error) {
	var none payments.LinkSweep
	var status string
	if err := tx.QueryRow(ctx, `SELECT status FROM payments WHERE id = $1 FOR UPDATE`, paymentID).Scan(&status); err != nil {
		return none, err
	}
	c := payments.LinkUseFor(payments.Status(status))
	if c == payments.LinkUseKeep {
		return none, nil
	}
	var uses, paid, maxUses int
	err := tx.QueryRow(ctx, `SELECT l.uses, l.paid_uses, l.max_uses
		FROM payment_link_uses u JOIN payment_links l ON l.id = u.link_id
		WHERE u.link_id = $1 AND u.key = $2 AND u.payment_id IS NULL AND u.state = 'held'
		FOR UPDATE OF u, l`, linkID, key).Scan(&uses, &paid, &maxUses)
	if errors.Is(err, pgx.ErrNoRows) {
		return none, nil
	}
	if err != nil {
		return none, err
	}
	to, dUses, dPaid, err := c.Step(payments.UseHeld, uses, paid, maxUses)
	if err != nil {
		return none, err
	}
	if _, err := tx.Exec(ctx, `WITH u AS (UPDATE payment_link_uses SET payment_id = $3, state = $4 WHERE link_id = $1 AND key = $2)
		UPDATE payment_links SET uses = GREATEST(uses + $5, 0), paid_uses = GREATEST(paid_uses + $6, 0)
		WHERE id = $1`, linkID, key, paymentID, string(to), dUses, dPaid); err != nil {
		return none, err
	}
	one := payments.LinkSweep{Tied: 1}
	if to == payments.UseReleased {
		one.Released = 1
	}
	return one, nil
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
	var uses, paid, maxUses int
	err := conn.QueryRow(ctx, `SELECT u.link_id, u.key, u.state, l.uses, l.paid_uses, l.max_uses
		FROM payment_link_uses u JOIN payment_links l ON l.id = u.link_id
		WHERE u.payment_id = $1 FOR UPDATE OF u, l`, id).Scan(&linkID, &key, &state, &uses, &paid, &maxUses)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // not made through a stored link
	}
	if err != nil {
		return fmt.Errorf("link use: %w", err)
	}
	to, dUses, dPaid, err := c.Step(payments.UseState(state), uses, paid, maxUses)
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
