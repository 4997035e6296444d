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
// write lock, so concurrent opens cannot pass max_uses.

var _ payments.LinkStore = (*DB)(nil)

const linkCols = `id, source, amount, min_amount, max_amount, currency, desc_en, desc_zh_hans,
	desc_zh_hant, expires_at, max_uses, uses, active, created_at, updated_at`

func scanLink(s scanner) (payments.Link, error) {
	var l payments.Link
	var cur, en, hans, hant string
	err := s.Scan(&l.ID, &l.Source, &l.Amount, &l.MinAmount, &l.MaxAmount, &cur, &en, &hans, &hant,
		timeCol{&l.ExpiresAt}, &l.MaxUses, &l.Uses, &l.Active, timeCol{&l.CreatedAt}, timeCol{&l.UpdatedAt})
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
	_, err := db.writer.ExecContext(ctx, `INSERT INTO payment_links (`+linkCols+`)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		l.ID, l.Source, l.Amount, l.MinAmount, l.MaxAmount, string(l.Currency), d["en"], d["zh-Hans"], d["zh-Hant"],
		nanos(l.ExpiresAt), l.MaxUses, l.Uses, l.Active, nanos(l.CreatedAt), nanos(l.UpdatedAt))
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

// ReleaseLink implements payments.LinkStore.
func (db *DB) ReleaseLink(ctx context.Context, id, key string) error {
	return db.writeTx(ctx, "release link", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM payment_link_uses WHERE link_id = ? AND key = ?`, id, key)
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
