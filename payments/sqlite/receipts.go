package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/latipay-hpp/hpp/payments/displays"
	"github.com/latipay-hpp/hpp/payments/receipts"
)

// E-receipt tokens (receipts.Store) and shopper-facing displays
// (displays.Store). Like the accounts, they are few and written rarely:
// each write is its own IMMEDIATE transaction on the writer connection.

var (
	_ receipts.Store = (*DB)(nil)
	_ displays.Store = (*DB)(nil)
)

// PutReceiptToken implements receipts.Store.
func (db *DB) PutReceiptToken(ctx context.Context, hash, paymentID string, at time.Time) error {
	_, err := db.execWrite(ctx, `INSERT INTO receipt_tokens (token_hash, payment_id, created_at)
		VALUES (?, ?, ?) ON CONFLICT (token_hash) DO NOTHING`, hash, paymentID, nanos(at))
	return wrap("put receipt token", err)
}

// ReceiptTokenPayment implements receipts.Store.
func (db *DB) ReceiptTokenPayment(ctx context.Context, hash string) (string, error) {
	var id string
	err := db.reader.QueryRowContext(ctx, `SELECT payment_id FROM receipt_tokens WHERE token_hash = ?`, hash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", receipts.ErrNotFound
	}
	return id, wrap("receipt token", err)
}

// dspWrap is wrap for the displays store: no rows is displays.ErrNotFound.
func dspWrap(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return displays.ErrNotFound
	}
	return wrap(op, err)
}

// PutDisplayPairing implements displays.Store.
func (db *DB) PutDisplayPairing(ctx context.Context, p displays.Pairing) error {
	return db.writeTx(ctx, "put display pairing", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM display_pairings WHERE device_id = ?`, p.DeviceID); err != nil {
			return wrap("put display pairing", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO display_pairings (code_hash, device_id, expires_at) VALUES (?, ?, ?)`,
			p.CodeHash, p.DeviceID, nanos(p.ExpiresAt))
		return wrap("put display pairing", err)
	})
}

// TakeDisplayPairing implements displays.Store.
func (db *DB) TakeDisplayPairing(ctx context.Context, codeHash string, now time.Time) (displays.Pairing, error) {
	var p displays.Pairing
	err := db.writeTx(ctx, "take display pairing", func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `DELETE FROM display_pairings WHERE code_hash = ? RETURNING code_hash, device_id, expires_at`,
			codeHash).Scan(&p.CodeHash, &p.DeviceID, timeCol{&p.ExpiresAt})
		return dspWrap("take display pairing", err)
	})
	if err != nil {
		return displays.Pairing{}, err
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
	_, err := db.execWrite(ctx, `INSERT INTO displays (`+displayCols+`) VALUES (?, ?, ?, ?, ?)`,
		d.ID, d.DeviceID, d.TokenHash, nanos(d.CreatedAt), nanos(d.RevokedAt))
	return wrap("create display", err)
}

// DisplayByToken implements displays.Store.
func (db *DB) DisplayByToken(ctx context.Context, tokenHash string) (displays.Display, error) {
	d, err := scanDisplay(db.reader.QueryRowContext(ctx, `SELECT `+displayCols+` FROM displays WHERE token_hash = ?`, tokenHash))
	return d, dspWrap("display", err)
}

// Displays implements displays.Store.
func (db *DB) Displays(ctx context.Context, deviceID string) ([]displays.Display, error) {
	ds, err := queryAll(ctx, db.reader, scanDisplay, `SELECT `+displayCols+` FROM displays
		WHERE device_id = ? AND revoked_at IS NULL ORDER BY created_at, id`, deviceID)
	return ds, wrap("displays", err)
}

// RevokeDisplay implements displays.Store.
func (db *DB) RevokeDisplay(ctx context.Context, deviceID, id string, at time.Time) error {
	r, err := db.execWrite(ctx, `UPDATE displays SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND device_id = ?`,
		nanos(at), id, deviceID)
	if err != nil {
		return wrap("revoke display", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return displays.ErrNotFound
	}
	return nil
}
