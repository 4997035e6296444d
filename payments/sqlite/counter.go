package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/latipay-hpp/hpp/payments/counter"
)

// The counter's devices, pairing codes, PINs and sales (counter.Store).
// Like the accounts they are few and written rarely, so they bypass the
// payment batcher: each write is its own transaction on the writer.

var _ counter.Store = (*DB)(nil)

// cntWrap is wrap for the counter store: no rows is counter.ErrNotFound.
func cntWrap(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return counter.ErrNotFound
	}
	return wrap(op, err)
}

// PutPairing implements counter.Store. Codes that ran out an hour before
// this one are swept on the way.
func (db *DB) PutPairing(ctx context.Context, p counter.Pairing) error {
	return db.writeTx(ctx, "put pairing", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM counter_pairings WHERE expires_at < ?`, nanos(p.ExpiresAt.Add(-time.Hour))); err != nil {
			return wrap("put pairing", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO counter_pairings (hash, name, expires_at) VALUES (?, ?, ?)`,
			p.Hash, p.Name, nanos(p.ExpiresAt))
		return wrap("put pairing", err)
	})
}

// TakePairing implements counter.Store.
func (db *DB) TakePairing(ctx context.Context, hash string) (counter.Pairing, error) {
	p := counter.Pairing{Hash: hash}
	err := db.writer.QueryRowContext(ctx, `DELETE FROM counter_pairings WHERE hash = ? RETURNING name, expires_at`, hash).
		Scan(&p.Name, timeCol{&p.ExpiresAt})
	if err != nil {
		return counter.Pairing{}, cntWrap("take pairing", err)
	}
	return p, nil
}

const deviceCols = `id, name, token_hash, created_at, seen_at, revoked_at, cashier_id, unlocked_at, result_seconds`

func deviceArgs(d counter.Device) []any {
	return []any{d.ID, d.Name, d.TokenHash, nanos(d.CreatedAt), nanos(d.SeenAt), nanos(d.RevokedAt), d.CashierID,
		nanos(d.UnlockedAt), d.ResultSeconds}
}

func scanDevice(s scanner) (counter.Device, error) {
	var d counter.Device
	err := s.Scan(&d.ID, &d.Name, &d.TokenHash, timeCol{&d.CreatedAt}, timeCol{&d.SeenAt}, timeCol{&d.RevokedAt},
		&d.CashierID, timeCol{&d.UnlockedAt}, &d.ResultSeconds)
	return d, err
}

// CreateDevice implements counter.Store.
func (db *DB) CreateDevice(ctx context.Context, d counter.Device) error {
	_, err := db.execWrite(ctx, `INSERT INTO counter_devices (`+deviceCols+`) VALUES (?,?,?,?,?,?,?,?,?)`, deviceArgs(d)...)
	return cntWrap("create device", err)
}

// Device implements counter.Store.
func (db *DB) Device(ctx context.Context, id string) (counter.Device, error) {
	d, err := scanDevice(db.reader.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM counter_devices WHERE id = ?`, id))
	return d, cntWrap("device", err)
}

// DeviceByToken implements counter.Store.
func (db *DB) DeviceByToken(ctx context.Context, tokenHash string) (counter.Device, error) {
	d, err := scanDevice(db.reader.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM counter_devices WHERE token_hash = ?`, tokenHash))
	return d, cntWrap("device by token", err)
}

// Devices implements counter.Store.
func (db *DB) Devices(ctx context.Context) ([]counter.Device, error) {
	ds, err := queryAll(ctx, db.reader, scanDevice, `SELECT `+deviceCols+` FROM counter_devices ORDER BY created_at, id`)
	return ds, cntWrap("devices", err)
}

// UpdateDevice implements counter.Store.
func (db *DB) UpdateDevice(ctx context.Context, id string, fn func(d *counter.Device) error) (counter.Device, error) {
	var out counter.Device
	err := db.writeTx(ctx, "update device", func(tx *sql.Tx) error {
		d, err := scanDevice(tx.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM counter_devices WHERE id = ?`, id))
		if err != nil {
			return cntWrap("update device", err)
		}
		if err := fn(&d); err != nil {
			return err
		}
		d.ID = id
		args := deviceArgs(d)
		if _, err := tx.ExecContext(ctx, `UPDATE counter_devices SET name = ?, token_hash = ?, created_at = ?, seen_at = ?,
			revoked_at = ?, cashier_id = ?, unlocked_at = ?, result_seconds = ? WHERE id = ?`, append(args[1:], id)...); err != nil {
			return wrap("update device", err)
		}
		out = d
		return nil
	})
	return out, err
}

const pinCols = `account_id, hash, failures, locked, updated_at`

func scanPIN(s scanner) (counter.PIN, error) {
	var p counter.PIN
	err := s.Scan(&p.AccountID, &p.Hash, &p.Failures, &p.Locked, timeCol{&p.UpdatedAt})
	return p, err
}

// PIN implements counter.Store.
func (db *DB) PIN(ctx context.Context, accountID string) (counter.PIN, error) {
	p, err := scanPIN(db.reader.QueryRowContext(ctx, `SELECT `+pinCols+` FROM counter_pins WHERE account_id = ?`, accountID))
	return p, cntWrap("pin", err)
}

// PINs implements counter.Store.
func (db *DB) PINs(ctx context.Context) ([]counter.PIN, error) {
	ps, err := queryAll(ctx, db.reader, scanPIN, `SELECT `+pinCols+` FROM counter_pins ORDER BY account_id`)
	return ps, cntWrap("pins", err)
}

// PutPIN implements counter.Store.
func (db *DB) PutPIN(ctx context.Context, p counter.PIN) error {
	_, err := db.execWrite(ctx, `INSERT INTO counter_pins (`+pinCols+`) VALUES (?,?,?,?,?)
		ON CONFLICT (account_id) DO UPDATE SET hash = excluded.hash, failures = excluded.failures,
		locked = excluded.locked, updated_at = excluded.updated_at`,
		p.AccountID, p.Hash, p.Failures, p.Locked, nanos(p.UpdatedAt))
	return cntWrap("put pin", err)
}

// UpdatePIN implements counter.Store.
func (db *DB) UpdatePIN(ctx context.Context, accountID string, fn func(p *counter.PIN) error) (counter.PIN, error) {
	var out counter.PIN
	err := db.writeTx(ctx, "update pin", func(tx *sql.Tx) error {
		p, err := scanPIN(tx.QueryRowContext(ctx, `SELECT `+pinCols+` FROM counter_pins WHERE account_id = ?`, accountID))
		if err != nil {
			return cntWrap("update pin", err)
		}
		if err := fn(&p); err != nil {
			return err
		}
		p.AccountID = accountID
		if _, err := tx.ExecContext(ctx, `UPDATE counter_pins SET hash = ?, failures = ?, locked = ?, updated_at = ?
			WHERE account_id = ?`, p.Hash, p.Failures, p.Locked, nanos(p.UpdatedAt), accountID); err != nil {
			return wrap("update pin", err)
		}
		out = p
		return nil
	})
	return out, err
}

const saleCols = `payment_id, device_id, account_id, key, created_at`

func scanSale(s scanner) (counter.Sale, error) {
	var x counter.Sale
	err := s.Scan(&x.PaymentID, &x.DeviceID, &x.AccountID, &x.Key, timeCol{&x.CreatedAt})
	return x, err
}

// AddSale implements counter.Store. The device is read in the same
// transaction as the insert, on the one writer: a revoke commits either
// before it (the sale is refused) or after it (the revoke's listing of
// the device's sales finds it).
func (db *DB) AddSale(ctx context.Context, s counter.Sale) (counter.Sale, error) {
	var out counter.Sale
	err := db.writeTx(ctx, "add sale", func(tx *sql.Tx) error {
		var revoked sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT revoked_at FROM counter_devices WHERE id = ?`, s.DeviceID).Scan(&revoked); err != nil {
			return cntWrap("add sale", err)
		}
		if revoked.Valid {
			return counter.ErrRevoked
		}
		old, err := scanSale(tx.QueryRowContext(ctx, `SELECT `+saleCols+` FROM counter_sales
			WHERE (device_id = ? AND key = ?) OR payment_id = ?`, s.DeviceID, s.Key, s.PaymentID))
		if err == nil {
			out = old
			return counter.ErrDuplicateKey
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return wrap("add sale", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO counter_sales (`+saleCols+`) VALUES (?,?,?,?,?)`,
			s.PaymentID, s.DeviceID, s.AccountID, s.Key, nanos(s.CreatedAt)); err != nil {
			return wrap("add sale", err)
		}
		out = s
		return nil
	})
	return out, err
}

// SaleByKey implements counter.Store.
func (db *DB) SaleByKey(ctx context.Context, deviceID, key string) (counter.Sale, error) {
	s, err := scanSale(db.reader.QueryRowContext(ctx, `SELECT `+saleCols+` FROM counter_sales WHERE device_id = ? AND key = ?`, deviceID, key))
	return s, cntWrap("sale by key", err)
}

// Sale implements counter.Store.
func (db *DB) Sale(ctx context.Context, paymentID string) (counter.Sale, error) {
	s, err := scanSale(db.reader.QueryRowContext(ctx, `SELECT `+saleCols+` FROM counter_sales WHERE payment_id = ?`, paymentID))
	return s, cntWrap("sale", err)
}

// Sales implements counter.Store.
func (db *DB) Sales(ctx context.Context, deviceID string, since time.Time, limit int) ([]counter.Sale, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: sales: limit %d", limit)
	}
	ss, err := queryAll(ctx, db.reader, scanSale, `SELECT `+saleCols+` FROM counter_sales
		WHERE device_id = ? AND created_at >= ? ORDER BY created_at DESC, payment_id LIMIT ?`, deviceID, nanos(since), limit)
	return ss, cntWrap("sales", err)
}
