package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latipay-hpp/hpp/payments/displays"
	"github.com/latipay-hpp/hpp/payments/receipts"
)

// E-receipt tokens (receipts.Store) and shopper-facing displays
// (displays.Store): single statements, each its own transaction.

var (
	_ receipts.Store = (*DB)(nil)
	_ displays.Store = (*DB)(nil)
)

// PutReceiptToken implements receipts.Store.
func (db *DB) PutReceiptToken(ctx context.Context, hash, paymentID string, at time.Time) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO receipt_tokens (token_hash, payment_id, created_at)
		VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING`, hash, paymentID, ts(at))
	return wrap("put receipt token", err)
}

// ReceiptTokenPayment implements receipts.Store.
func (db *DB) ReceiptTokenPayment(ctx context.Context, hash string) (string, error) {
	var id string
	err := db.pool.QueryRow(ctx, `SELECT payment_id FROM receipt_tokens WHERE token_hash = $1`, hash).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", receipts.ErrNotFound
	}
	return id, wrap("receipt token", err)
}

// dspWrap is wrap for the displays store: no rows is displays.ErrNotFound.
func dspWrap(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return displays.ErrNotFound
	}
	return wrap(op, err)
}

// PutDisplayPairing implements displays.Store: the device's earlier code
// goes in the same statement.
func (db *DB) PutDisplayPairing(ctx context.Context, p displays.Pairing) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO display_pairings (code_hash, device_id, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (device_id) DO UPDATE SET code_hash = EXCLUDED.code_hash, expires_at = EXCLUDED.expires_at`,
		p.CodeHash, p.DeviceID, ts(p.ExpiresAt))
	return wrap("put display pairing", err)
}

// TakeDisplayPairing implements displays.Store.
func (db *DB) TakeDisplayPairing(ctx context.Context, codeHash string, now time.Time) (displays.Pairing, error) {
	var p displays.Pairing
	err := db.pool.QueryRow(ctx, `DELETE FROM display_pairings WHERE code_hash = $1 RETURNING code_hash, device_id, expires_at`,
		codeHash).Scan(&p.CodeHash, &p.DeviceID, timeCol{&p.ExpiresAt})
	if err != nil {
		return displays.Pairing{}, dspWrap("take display pairing", err)
	}
	if !now.Before(p.ExpiresAt) {
		return displays.Pairing{}, displays.ErrNotFound
	}
	return p, nil
}

const displayCols = `id, device_id, token_hash, created_at, revoked_at`

func scanDisplay(s scanner) (displays.Display, error) {
	var d displays.Display
	err := s.Scan(&d.ID, &d.DeviceID, &d.TokenHash, timeCol{&d.CreatedAt}, timeCol{&d.RevokedAt})
	return d, err
}

// CreateDisplay implements displays.Store.
func (db *DB) CreateDisplay(ctx context.Context, d displays.Display) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO displays (`+displayCols+`) VALUES ($1, $2, $3, $4, $5)`,
		d.ID, d.DeviceID, d.TokenHash, ts(d.CreatedAt), ts(d.RevokedAt))
	return wrap("create display", err)
}

// DisplayByToken implements displays.Store.
func (db *DB) DisplayByToken(ctx context.Context, tokenHash string) (displays.Display, error) {
	d, err := scanDisplay(db.pool.QueryRow(ctx, `SELECT `+displayCols+` FROM displays WHERE token_hash = $1`, tokenHash))
	return d, dspWrap("display", err)
}

// Displays implements displays.Store.
func (db *DB) Displays(ctx context.Context, deviceID string) ([]displays.Display, error) {
	ds, err := queryAll(ctx, db.pool, scanDisplay, `SELECT `+displayCols+` FROM displays
		WHERE device_id = $1 AND revoked_at IS NULL ORDER BY created_at, id`, deviceID)
	return ds, wrap("displays", err)
}

// RevokeDisplay implements displays.Store.
func (db *DB) RevokeDisplay(ctx context.Context, deviceID, id string, at time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE displays SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND device_id = $3`,
		ts(at), id, deviceID)
	if err != nil {
		return wrap("revoke display", err)
	}
	if tag.RowsAffected() == 0 {
		return displays.ErrNotFound
	}
	return nil
}
