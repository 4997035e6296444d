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
func (db *DB) Links(ctx context.Context, source string, limit int) ([]payments.Link, error) {
	ls, err := queryAll(ctx, db.reader, scanLink, `SELECT `+linkCols+` FROM payment_links
		WHERE ?1 = '' OR source = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2`, source, limit)
	return ls, wrap("links", err)
}

// SetLinkActive implements payments.LinkStore.
func (db *DB) SetLinkActive(ctx context.Context, id string, active bool, now time.Time) (payments.Link, error) {
	l, err := scanLink(db.writer.QueryRowContext(ctx, `UPDATE payment_links SET active = ?, updated_at = ?
		WHERE id = ? RETURNING `+linkCols, active, nanos(now), id))
	return l, wrap("set link active", err)
}

// UseLink implements payments.LinkStore.
func (db *DB) UseLink(ctx context.Context, id string, now time.Time) (payments.Link, bool, error) {
	l, err := scanLink(db.writer.QueryRowContext(ctx, `UPDATE payment_links SET uses = uses + 1, updated_at = ?1
		WHERE id = ?2 AND active AND (expires_at IS NULL OR expires_at > ?1) AND (max_uses = 0 OR uses < max_uses)
		RETURNING `+linkCols, nanos(now), id))
	if errors.Is(err, sql.ErrNoRows) {
		l, err = db.Link(ctx, id)
		return l, false, err
	}
	return l, err == nil, wrap("use link", err)
}

// ReleaseLink implements payments.LinkStore.
func (db *DB) ReleaseLink(ctx context.Context, id string) error {
	_, err := db.writer.ExecContext(ctx, `UPDATE payment_links SET uses = uses - 1 WHERE id = ? AND uses > 0`, id)
	return wrap("release link", err)
}
