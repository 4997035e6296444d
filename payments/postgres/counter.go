package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latipay-hpp/hpp/payments/counter"
)

// The counter's devices, pairing codes, PINs and sales (counter.Store).
// UpdateDevice and UpdatePIN lock the row (SELECT ... FOR UPDATE), so PIN
// failures from several instances add up; TakePairing is one DELETE ...
// RETURNING, so a code is taken once across instances.

var _ counter.Store = (*DB)(nil)

// cntWrap is wrap for the counter store: no rows is counter.ErrNotFound.
func cntWrap(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return counter.ErrNotFound
	}
	return wrap(op, err)
}

// PutPairing implements counter.Store. Codes that ran out an hour before
// this one are swept on the way.
func (db *DB) PutPairing(ctx context.Context, p counter.Pairing) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM counter_pairings WHERE expires_at < $1`, ts(p.ExpiresAt.Add(-time.Hour))); err != nil {
			return wrap("put pairing", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO counter_pairings (hash, name, expires_at) VALUES ($1, $2, $3)`,
			p.Hash, p.Name, ts(p.ExpiresAt))
		return wrap("put pairing", err)
	})
}

// TakePairing implements counter.Store.
func (db *DB) TakePairing(ctx context.Context, hash string) (counter.Pairing, error) {
	p := counter.Pairing{Hash: hash}
	err := db.pool.QueryRow(ctx, `DELETE FROM counter_pairings WHERE hash = $1 RETURNING name, expires_at`, hash).
		Scan(&p.Name, timeCol{&p.ExpiresAt})
	if err != nil {
		return counter.Pairing{}, cntWrap("take pairing", err)
	}
	return p, nil
}

const deviceCols = `id, name, token_hash, created_at, seen_at, revoked_at, cashier_id, unlocked_at, result_seconds`

func deviceArgs(d counter.Device) []any {
	return []any{d.ID, d.Name, d.TokenHash, ts(d.CreatedAt), ts(d.SeenAt), ts(d.RevokedAt), d.CashierID,
		ts(d.UnlockedAt), d.ResultSeconds}
}

func scanDevice(s scanner) (counter.Device, error) {
	var d counter.Device
	err := s.Scan(&d.ID, &d.Name, &d.TokenHash, timeCol{&d.CreatedAt}, timeCol{&d.SeenAt}, timeCol{&d.RevokedAt},
		&d.CashierID, timeCol{&d.UnlockedAt}, &d.ResultSeconds)
	return d, err
}

// CreateDevice implements counter.Store.
func (db *DB) CreateDevice(ctx context.Context, d counter.Device) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO counter_devices (`+deviceCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, deviceArgs(d)...)
	return cntWrap("create device", err)
}

// Device implements counter.Store.
func (db *DB) Device(ctx context.Context, id string) (counter.Device, error) {
	d, err := scanDevice(db.pool.QueryRow(ctx, `SELECT `+deviceCols+` FROM counter_devices WHERE id = $1`, id))
	return d, cntWrap("device", err)
}

// DeviceByToken implements counter.Store.
func (db *DB) DeviceByToken(ctx context.Context, tokenHash string) (counter.Device, error) {
	d, err := scanDevice(db.pool.QueryRow(ctx, `SELECT `+deviceCols+` FROM counter_devices WHERE token_hash = $1`, tokenHash))
	return d, cntWrap("device by token", err)
}

// Devices implements counter.Store.
func (db *DB) Devices(ctx context.Context) ([]counter.Device, error) {
	ds, err := queryAll(ctx, db.pool, scanDevice, `SELECT `+deviceCols+` FROM counter_devices ORDER BY created_at, id`)
	return ds, cntWrap("devices", err)
}

// UpdateDevice implements counter.Store.
func (db *DB) UpdateDevice(ctx context.Context, id string, fn func(d *counter.Device) error) (counter.Device, error) {
	var out counter.Device
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		d, err := scanDevice(tx.QueryRow(ctx, `SELECT `+deviceCols+` FROM counter_devices WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return cntWrap("update device", err)
		}
		if err := fn(&d); err != nil {
			return err
		}
		d.ID = id
		args := deviceArgs(d)
		if _, err := tx.Exec(ctx, `UPDATE counter_devices SET name = $1, token_hash = $2, created_at = $3, seen_at = $4,
			revoked_at = $5, cashier_id = $6, unlocked_at = $7, result_seconds = $8 WHERE id = $9`, append(args[1:], id)...); err != nil {
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
	p, err := scanPIN(db.pool.QueryRow(ctx, `SELECT `+pinCols+` FROM counter_pins WHERE account_id = $1`, accountID))
	return p, cntWrap("pin", err)
}

// PINs implements counter.Store.
func (db *DB) PINs(ctx context.Context) ([]counter.PIN, error) {
	ps, err := queryAll(ctx, db.pool, scanPIN, `SELECT `+pinCols+` FROM counter_pins ORDER BY account_id`)
	return ps, cntWrap("pins", err)
}

// PutPIN implements counter.Store.
func (db *DB) PutPIN(ctx context.Context, p counter.PIN) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO counter_pins (`+pinCols+`) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (account_id) DO UPDATE SET hash = excluded.hash, failures = excluded.failures,
		locked = excluded.locked, updated_at = excluded.updated_at`,
		p.AccountID, p.Hash, p.Failures, p.Locked, ts(p.UpdatedAt))
	return cntWrap("put pin", err)
}

// UpdatePIN implements counter.Store.
func (db *DB) UpdatePIN(ctx context.Context, accountID string, fn func(p *counter.PIN) error) (counter.PIN, error) {
	var out counter.PIN
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		p, err := scanPIN(tx.QueryRow(ctx, `SELECT `+pinCols+` FROM counter_pins WHERE account_id = $1 FOR UPDATE`, accountID))
		if err != nil {
			return cntWrap("update pin", err)
		}
		if err := fn(&p); err != nil {
			return err
		}
		p.AccountID = accountID
		if _, err := tx.Exec(ctx, `UPDATE counter_pins SET hash = $1, failures = $2, locked = $3, updated_at = $4
			WHERE account_id = $5`, p.Hash, p.Failures, p.Locked, ts(p.UpdatedAt), accountID); err != nil {
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

// AddSale implements counter.Store: the device row is read FOR SHARE,
// then one INSERT ... ON CONFLICT DO NOTHING, in one transaction. The
// share lock waits for a revoke's UpdateDevice (FOR UPDATE) to commit and
// then sees it, and holds the revoke off until the sale is committed, so
// the revoke's listing of the device's sales that follows finds it. Of two
// racing requests with one key exactly one inserts and the other is told
// which sale won.
func (db *DB) AddSale(ctx context.Context, s counter.Sale) (counter.Sale, error) {
	out, dup := s, false
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var revoked bool
		if err := tx.QueryRow(ctx, `SELECT revoked_at IS NOT NULL FROM counter_devices WHERE id = $1 FOR SHARE`, s.DeviceID).
			Scan(&revoked); err != nil {
			return cntWrap("add sale", err)
		}
		if revoked {
			return counter.ErrRevoked
		}
		tag, err := tx.Exec(ctx, `INSERT INTO counter_sales (`+saleCols+`) VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING`,
			s.PaymentID, s.DeviceID, s.AccountID, s.Key, ts(s.CreatedAt))
		if err != nil {
			return wrap("add sale", err)
		}
		if tag.RowsAffected() == 1 {
			out.CreatedAt = trunc(s.CreatedAt)
			return nil
		}
		old, err := scanSale(tx.QueryRow(ctx, `SELECT `+saleCols+` FROM counter_sales
			WHERE (device_id = $1 AND key = $2) OR payment_id = $3 LIMIT 1`, s.DeviceID, s.Key, s.PaymentID))
		if err != nil {
			return cntWrap("add sale", err)
		}
		out, dup = old, true
		return nil
	})
	if err != nil {
		return counter.Sale{}, err
	}
	if dup {
		return out, counter.ErrDuplicateKey
	}
	return out, nil
}

// SaleByKey implements counter.Store.
func (db *DB) SaleByKey(ctx context.Context, deviceID, key string) (counter.Sale, error) {
	s, err := scanSale(db.pool.QueryRow(ctx, `SELECT `+saleCols+` FROM counter_sales WHERE device_id = $1 AND key = $2`, deviceID, key))
	return s, cntWrap("sale by key", err)
}

// Sale implements counter.Store.
func (db *DB) Sale(ctx context.Context, paymentID string) (counter.Sale, error) {
	s, err := scanSale(db.pool.QueryRow(ctx, `SELECT `+saleCols+` FROM counter_sales WHERE payment_id = $1`, paymentID))
	return s, cntWrap("sale", err)
}

// Sales implements counter.Store.
func (db *DB) Sales(ctx context.Context, deviceID string, since time.Time, limit int) ([]counter.Sale, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: sales: limit %d", limit)
	}
	ss, err := queryAll(ctx, db.pool, scanSale, `SELECT `+saleCols+` FROM counter_sales
		WHERE device_id = $1 AND created_at >= $2 ORDER BY created_at DESC, payment_id LIMIT $3`, deviceID, ts(since), limit)
	return ss, cntWrap("sales", err)
}
