package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// Stored payment links (payments.LinkStore). Like the accounts they are
// few and written rarely, so they bypass the payment batcher: each write
// is one statement on the writer connection. A use is counted by one
// conditional UPDATE ... RETURNING, which SQLite runs under its single
// write lock, so concurrent opens cannot pass max_uses. A use's payment
// moves it in the payment's own write (linkUse, from Update), in the
// batcher's transaction.

var _ payments.LinkStore = (*DB)(nil)

const linkCols = `id, source, amount, min_amount, max_amount, currency, desc_en, desc_zh_hans,
	desc_zh_hant, expires_at, max_uses, uses, paid_uses, active, created_at, updated_at`

func scanLink(s scanner) (payments.Link, error) {
	var l payments.Link
	var cur, en, hans, hant string
	err := s.Scan(&l.ID, &l.Source, &l.Amount, &l.MinAmount, &l.MaxAmount, &cur, &en, &hans, &hant,
		timeCol{&l.ExpiresAt}, &l.MaxUses, &l.Uses, &l.Paid, &l.Active, timeCol{&l.CreatedAt}, timeCol{&l.UpdatedAt})
	l.Currency = payments.Currency(cur)
	l.Descriptions = linkDescriptions(en, hans, hant)
	return l, err
}

// linkDescriptions keeps the languages that have a text.
func linkDescriptions(texts ...string) map[string]string {
	m := map[string]string{}
	for i, g := range payments.LinkLanguages {
		if texts[i] != "" {
			m[g] = texts[i]
		}
	}
	return m
}

// CreateLink implements payments.LinkStore.
func (db *DB) CreateLink(ctx context.Context, l payments.Link) error {
	d := l.Descriptions
	_, err := db.execWrite(ctx, `INSERT INTO payment_links (`+linkCols+`)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		l.ID, l.Source, l.Amount, l.MinAmount, l.MaxAmount, string(l.Currency), d["en"], d["zh-Hans"], d["zh-Hant"],
		nanos(l.ExpiresAt), l.MaxUses, l.Uses, l.Paid, l.Active, nanos(l.CreatedAt), nanos(l.UpdatedAt))
	return wrap("create link", err)
}

// Link implements payments.LinkStore.
func (db *DB) Link(ctx context.Context, id string) (payments.Link, error) {
	l, err := scanLink(db.reader.QueryRowContext(ctx, `SELECT `+linkCols+` FROM payment_links WHERE id = ?`, id))
	return l, wrap("link", err)
}

// Links implements payments.LinkStore.
func (db *DB) Links(ctx context.Context, source, before string, limit int) ([]payments.Link, error) {
	ls, err := queryAll(ctx, db.reader, scanLink, `SELECT `+linkCols+` FROM payment_links
		WHERE (?1 = '' OR source = ?1)
		AND (?3 = '' OR (created_at, id) < (SELECT created_at, id FROM payment_links WHERE id = ?3))
		ORDER BY created_at DESC, id DESC LIMIT ?2`, source, limit, before)
	return ls, wrap("links", err)
}

// PaymentLink implements payments.LinkStore, through the index of the
// uses' payments (payment_link_uses_payment, migration 021).
func (db *DB) PaymentLink(ctx context.Context, paymentID string) (payments.Link, error) {
	l, err := scanLink(db.reader.QueryRowContext(ctx, `SELECT `+linkCols+` FROM payment_links
		WHERE id = (SELECT link_id FROM payment_link_uses WHERE payment_id = ? LIMIT 1)`, paymentID))
	return l, wrap("payment link", err)
}

// SetLinkActive implements payments.LinkStore.
func (db *DB) SetLinkActive(ctx context.Context, id string, active bool, now time.Time) (payments.Link, error) {
	l, err := scanLink(db.writer.QueryRowContext(ctx, `UPDATE payment_links SET active = ?, updated_at = ?
		WHERE id = ? RETURNING `+linkCols, active, nanos(now), id))
	return l, wrap("set link active", err)
}

// errNotUsed rolls back a use that the link's limits refused.
var errNotUsed = errors.New("sqlite: link not used")

// UseLink implements payments.LinkStore: the key's row and the count go
// in one IMMEDIATE transaction, or neither does.
func (db *DB) UseLink(ctx context.Context, id, key string, now time.Time) (l payments.Link, used, replay bool, err error) {
	err = db.writeTx(ctx, "use link", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO payment_link_uses (link_id, key, at)
			SELECT id, ?, ? FROM payment_links WHERE id = ? ON CONFLICT DO NOTHING`, key, nanos(now), id)
		if err != nil {
			return wrap("use link", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// No such link, or this key was counted before.
			if l, err = scanLink(tx.QueryRowContext(ctx, `SELECT `+linkCols+` FROM payment_links WHERE id = ?`, id)); err != nil {
				return wrap("use link", err)
			}
			replay = true
			return nil
		}
		l, err = scanLink(tx.QueryRowContext(ctx, `UPDATE payment_links SET uses = uses + 1, updated_at = ?1
			WHERE id = ?2 AND active AND (expires_at IS NULL OR expires_at > ?1) AND (max_uses = 0 OR uses < max_uses)
			RETURNING `+linkCols, nanos(now), id))
		if errors.Is(err, sql.ErrNoRows) {
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
// made after all (a commit that failed late) stays: that payment's end
// gives it back.
func (db *DB) ReleaseLink(ctx context.Context, id, key string) error {
	return db.writeTx(ctx, "release link", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM payment_link_uses
			WHERE link_id = ? AND key = ? AND payment_id IS NULL AND state = 'held'`, id, key)
		if err != nil {
			return wrap("release link", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE payment_links SET uses = uses - 1 WHERE id = ? AND uses > 0`, id)
		return wrap("release link", err)
	})
}

// SweepLinkUses implements payments.LinkStore. The candidates come from
// the partial index payment_link_uses_untied (migration 023), which holds
// only held uses with no payment: those of checkouts being made this
// instant, and the few the sweep is for. Uses whose payment, found by its
// idempotency key, is still open are skipped in the query, so they never
// fill the batch. Each use is then settled in a write transaction of its
// own, which re-reads it: SQLite's single write lock orders it with
// UseLink, CreatePayment's tie and the payment's transitions.
func (db *DB) SweepLinkUses(ctx context.Context, cutoff time.Time, limit int) (payments.LinkSweep, error) {
	type untied struct{ linkID, key, paymentID string }
	us, err := queryAll(ctx, db.reader, func(s scanner) (u untied, err error) {
		var pid sql.NullString
		err = s.Scan(&u.linkID, &u.key, &pid)
		u.paymentID = pid.String
		return u, err
	}, `SELECT u.link_id, u.key, p.id FROM payment_link_uses u
		LEFT JOIN idempotency i ON i.key = 'link:' || u.link_id || ':' || u.key
		LEFT JOIN payments p ON p.id = i.payment_id
		WHERE u.payment_id IS NULL AND u.state = 'held' AND u.at < ?1
		AND (p.status IS NULL OR p.status NOT IN ('created', 'pending'))
		ORDER BY u.at LIMIT ?2`, nanos(cutoff), limit)
	var n payments.LinkSweep
	if err != nil {
		return n, wrap("sweep link uses", err)
	}
	for _, u := range us {
		var one payments.LinkSweep // what this use's transaction did, once committed
		err := db.writeTx(ctx, "sweep link uses", func(tx *sql.Tx) error {
			var err error
			if u.paymentID == "" {
				one, err = releaseUntied(ctx, tx, u.linkID, u.key, cutoff)
			} else {
				one, err = tieUntied(ctx, tx, u.linkID, u.key, u.paymentID)
			}
			return err
		})
		if err != nil {
			return n, err
		}
		n.Released, n.Tied = n.Released+one.Released, n.Tied+one.Tied
	}
	return n, nil
}

// releaseUntied gives back a use that still holds a place with no
// payment, as ReleaseLink does; nothing if a payment was made or tied
// meanwhile.
func releaseUntied(ctx context.Context, tx *sql.Tx, linkID, key string, cutoff time.Time) (payments.LinkSweep, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM payment_link_uses
		WHERE link_id = ?1 AND key = ?2 AND payment_id IS NULL AND state = 'held' AND at < ?3
		AND NOT EXISTS (SELECT 1 FROM idempotency WHERE key = 'link:' || ?1 || ':' || ?2)`, linkID, key, nanos(cutoff))
	if err != nil {
		return payments.LinkSweep{}, wrap("sweep link uses", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return payments.LinkSweep{}, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE payment_links SET uses = max(uses - 1, 0) WHERE id = ?`, linkID); err != nil {
		return payments.LinkSweep{}, wrap("sweep link uses", err)
	}
	return payments.LinkSweep{Released: 1}, nil
}

// tieUntied ties a held use to the payment made for it and moves it as
// the payment's status says (payments.LinkUseFor); nothing if the use was
// settled meanwhile or its payment is open.
func tieUntied(ctx context.Context, tx *sql.Tx, linkID, key, paymentID string) (payments.LinkSweep, error) {
	var none payments.LinkSweep
	var status string
	var uses, paid, maxUses int
	err := tx.QueryRowContext(ctx, `SELECT p.status, l.uses, l.paid_uses, l.max_uses
		FROM payment_link_uses u JOIN payment_links l ON l.id = u.link_id, payments p
		WHERE u.link_id = ? AND u.key = ? AND u.payment_id IS NULL AND u.state = 'held' AND p.id = ?`,
		linkID, key, paymentID).Scan(&status, &uses, &paid, &maxUses)
	if errors.Is(err, sql.ErrNoRows) {
		return none, nil
	}
	if err != nil {
		return none, wrap("sweep link uses", err)
	}
	c := payments.LinkUseFor(payments.Status(status))
	if c == payments.LinkUseKeep {
		return none, nil
	}
	to, dUses, dPaid, err := c.Step(payments.UseHeld, uses, paid, maxUses)
	if err != nil {
		return none, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE payment_link_uses SET payment_id = ?3, state = ?4
		WHERE link_id = ?1 AND key = ?2`, linkID, key, paymentID, string(to)); err != nil {
		return none, wrap("sweep link uses", err)
	}
	if _, err := tx.ExecContext(ctx, countLinkUse, linkID, dUses, dPaid); err != nil {
		return none, wrap("sweep link uses", err)
	}
	one := payments.LinkSweep{Tied: 1}
	if to == payments.UseReleased {
		one.Released = 1
	}
	return one, nil
}

// Statements of a use's payment (CreatePayment, Update).
const (
	tieLinkUse = `UPDATE payment_link_uses SET payment_id = ?1
		WHERE link_id = ?2 AND key = ?3 AND payment_id IS NULL`
	selectLinkUse = `SELECT u.link_id, u.key, u.state, l.uses, l.paid_uses, l.max_uses
		FROM payment_link_uses u JOIN payment_links l ON l.id = u.link_id WHERE u.payment_id = ?`
	setLinkUse   = `UPDATE payment_link_uses SET state = ?3 WHERE link_id = ?1 AND key = ?2`
	countLinkUse = `UPDATE payment_links SET uses = max(uses + ?2, 0), paid_uses = max(paid_uses + ?3, 0) WHERE id = ?1`
)

// linkUse applies c to the use payment id holds, if it holds one, in the
// write transaction q: the domain's step (payments.LinkUseChange.Step)
// from the use's state and its link's count, read under the write lock.
// Its writes go through ExecContext, so a batch that begins again replays
// them (batch.go).
func linkUse(ctx context.Context, q cached, id string, c payments.LinkUseChange) error {
	var linkID, key, state string
	var uses, paid, maxUses int
	err := q.QueryRowContext(ctx, selectLinkUse, id).Scan(&linkID, &key, &state, &uses, &paid, &maxUses)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not made through a stored link
	}
	if err != nil {
		return wrap("update: link use", err)
	}
	to, dUses, dPaid, err := c.Step(payments.UseState(state), uses, paid, maxUses)
	if err != nil || to == payments.UseState(state) {
		return err
	}
	if _, err := q.ExecContext(ctx, setLinkUse, linkID, key, string(to)); err != nil {
		return wrap("update: link use", err)
	}
	_, err = q.ExecContext(ctx, countLinkUse, linkID, dUses, dPaid)
	return wrap("update: link use", err)
}
