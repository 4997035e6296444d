package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latipay-hpp/hpp/payments"
)

// Stored payment links (payments.LinkStore). A use is counted by one
// conditional UPDATE ... RETURNING: PostgreSQL re-checks the WHERE clause
// on the row's newest version after waiting for a concurrent update, so
// instances opening the same link at once cannot pass max_uses.

var _ payments.LinkStore = (*DB)(nil)

const linkCols = `id, source, amount, min_amount, max_amount, currency, desc_en, desc_zh_hans,
	desc_zh_hant, expires_at, max_uses, uses, active, created_at, updated_at`

func scanLink(s scanner) (payments.Link, error) {
	var l payments.Link
	var cur, en, hans, hant string
	err := s.Scan(&l.ID, &l.Source, &l.Amount, &l.MinAmount, &l.MaxAmount, &cur, &en, &hans, &hant,
		timeCol{&l.ExpiresAt}, &l.MaxUses, &l.Uses, &l.Active, timeCol{&l.CreatedAt}, timeCol{&l.UpdatedAt})
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
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
		l.ID, l.Source, l.Amount, l.MinAmount, l.MaxAmount, string(l.Currency), d["en"], d["zh-Hans"], d["zh-Hant"],
		ts(l.ExpiresAt), l.MaxUses, l.Uses, l.Active, ts(l.CreatedAt), ts(l.UpdatedAt))
	return wrap("create link", err)
}

// Link implements payments.LinkStore.
func (db *DB) Link(ctx context.Context, id string) (payments.Link, error) {
	l, err := scanLink(db.pool.QueryRow(ctx, `SELECT `+linkCols+` FROM payment_links WHERE id = $1`, id))
	return l, wrap("link", err)
}

// Links implements payments.LinkStore.
func (db *DB) Links(ctx context.Context, source string, limit int) ([]payments.Link, error) {
	ls, err := queryAll(ctx, db.pool, scanLink, `SELECT `+linkCols+` FROM payment_links
		WHERE $1 = '' OR source = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, source, limit)
	return ls, wrap("links", err)
}

// SetLinkActive implements payments.LinkStore.
func (db *DB) SetLinkActive(ctx context.Context, id string, active bool, now time.Time) (payments.Link, error) {
	l, err := scanLink(db.pool.QueryRow(ctx, `UPDATE payment_links SET active = $1, updated_at = $2
		WHERE id = $3 RETURNING `+linkCols, active, ts(now), id))
	return l, wrap("set link active", err)
}

// UseLink implements payments.LinkStore.
func (db *DB) UseLink(ctx context.Context, id string, now time.Time) (payments.Link, bool, error) {
	l, err := scanLink(db.pool.QueryRow(ctx, `UPDATE payment_links SET uses = uses + 1, updated_at = $1
		WHERE id = $2 AND active AND (expires_at IS NULL OR expires_at > $1) AND (max_uses = 0 OR uses < max_uses)
		RETURNING `+linkCols, ts(now), id))
	if errors.Is(err, pgx.ErrNoRows) {
		l, err = db.Link(ctx, id)
		return l, false, err
	}
	return l, err == nil, wrap("use link", err)
}

// ReleaseLink implements payments.LinkStore.
func (db *DB) ReleaseLink(ctx context.Context, id string) error {
	_, err := db.pool.Exec(ctx, `UPDATE payment_links SET uses = uses - 1 WHERE id = $1 AND uses > 0`, id)
	return wrap("release link", err)
}
