package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// The back office's accounts, sessions, setup tokens and audit log
// (accounts.Store). UpdateAccount locks the row (SELECT ... FOR UPDATE),
// so failure counts from several instances add up; CreateFirstOwner
// locks the setup tokens before it looks for an owner, so setups on
// several instances at once make one owner.

var _ accounts.Store = (*DB)(nil)

const accountCols = `id, email, name, role, password_hash, totp_secret, totp_last_step, recovery,
	failed_signins, locked_until, created_at, updated_at, totp_pending, access_changed_at, devices_voided_at`

func accountArgs(a accounts.Account) []any {
	rec := a.Recovery
	if rec == nil {
		rec = []string{}
	}
	return []any{a.ID, a.Email, a.Name, string(a.Role), a.PasswordHash, a.TOTPSecret, a.TOTPLastStep,
		rec, a.FailedSignIns, ts(a.LockedUntil), ts(a.CreatedAt), ts(a.UpdatedAt), a.TOTPPending,
		ts(a.AccessChangedAt), ts(a.DevicesVoidedAt)}
}

func scanAccount(s scanner) (accounts.Account, error) {
	var a accounts.Account
	var role string
	err := s.Scan(&a.ID, &a.Email, &a.Name, &role, &a.PasswordHash, &a.TOTPSecret, &a.TOTPLastStep, &a.Recovery,
		&a.FailedSignIns, timeCol{&a.LockedUntil}, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt}, &a.TOTPPending,
		timeCol{&a.AccessChangedAt}, timeCol{&a.DevicesVoidedAt})
	a.Role = accounts.Role(role)
	if len(a.Recovery) == 0 {
		a.Recovery = nil
	}
	return a, err
}

// accWrap is wrap for the accounts store: no rows is accounts.ErrNotFound.
func accWrap(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return accounts.ErrNotFound
	}
	return wrap(op, err)
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// CreateAccount implements accounts.Store.
func (db *DB) CreateAccount(ctx context.Context, a accounts.Account) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO accounts (`+accountCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`, accountArgs(a)...)
	if isUnique(err) {
		return accounts.ErrEmailTaken
	}
	return accWrap("create account", err)
}

// Account implements accounts.Store.
func (db *DB) Account(ctx context.Context, id string) (accounts.Account, error) {
	a, err := scanAccount(db.pool.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
	return a, accWrap("account", err)
}

// AccountByEmail implements accounts.Store.
func (db *DB) AccountByEmail(ctx context.Context, email string) (accounts.Account, error) {
	a, err := scanAccount(db.pool.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE email = $1`, email))
	return a, accWrap("account by email", err)
}

// Accounts implements accounts.Store.
func (db *DB) Accounts(ctx context.Context) ([]accounts.Account, error) {
	as, err := queryAll(ctx, db.pool, scanAccount, `SELECT `+accountCols+` FROM accounts ORDER BY created_at, id`)
	return as, accWrap("accounts", err)
}

// UpdateAccount implements accounts.Store.
func (db *DB) UpdateAccount(ctx context.Context, id string, fn func(a *accounts.Account) error) (accounts.Account, error) {
	var out accounts.Account
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		a, err := scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return accWrap("update account", err)
		}
		if err := fn(&a); err != nil {
			return err
		}
		a.ID = id
		if _, err := tx.Exec(ctx, `UPDATE accounts SET email = $2, name = $3, role = $4, password_hash = $5,
			totp_secret = $6, totp_last_step = $7, recovery = $8, failed_signins = $9, locked_until = $10,
			created_at = $11, updated_at = $12, totp_pending = $13, access_changed_at = $14, devices_voided_at = $15 WHERE id = $1`, accountArgs(a)...); err != nil {
			if isUnique(err) {
				return accounts.ErrEmailTaken
			}
			return wrap("update account", err)
		}
		out, err = scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
		return accWrap("update account", err)
	})
	return out, err
}

// DeleteAccount implements accounts.Store; its sessions go with it.
func (db *DB) DeleteAccount(ctx context.Context, id string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM accounts WHERE id = $1`, id)
	return accWrap("delete account", err)
}

// keepOwner locks every owner row until the transaction ends, then reads
// the account id (locked too) and fails with ErrLastOwner when it is the
// only owner. A second transaction doing the same waits for the first and
// then sees its outcome.
func keepOwner(ctx context.Context, tx pgx.Tx, id string) (accounts.Account, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM accounts WHERE role = 'owner' ORDER BY id FOR UPDATE`)
	if err != nil {
		return accounts.Account{}, wrap("keep owner", err)
	}
	owners, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return accounts.Account{}, wrap("keep owner", err)
	}
	a, err := scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1 FOR UPDATE`, id))
	if err != nil {
		return accounts.Account{}, accWrap("keep owner", err)
	}
	if a.Role == accounts.Owner && len(owners) == 1 && owners[0] == a.ID {
		return a, accounts.ErrLastOwner
	}
	return a, nil
}

// RemoveKeepingOwner implements accounts.Store.
func (db *DB) RemoveKeepingOwner(ctx context.Context, id string, at time.Time) (accounts.Account, error) {
	var a accounts.Account
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if a, err = keepOwner(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO removed_accounts (id, email, name, role, removed_at) VALUES ($1,$2,$3,$4,$5)
			ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name, role = excluded.role, removed_at = excluded.removed_at`,
			a.ID, a.Email, a.Name, string(a.Role), ts(at)); err != nil {
			return wrap("remove account", err)
		}
		_, err = tx.Exec(ctx, `DELETE FROM accounts WHERE id = $1`, id)
		return wrap("remove account", err)
	})
	return a, err
}

// RemovedAccount implements accounts.Store.
func (db *DB) RemovedAccount(ctx context.Context, id string) (accounts.Removed, error) {
	var r accounts.Removed
	var role string
	err := db.pool.QueryRow(ctx, `SELECT id, email, name, role, removed_at FROM removed_accounts WHERE id = $1`, id).
		Scan(&r.ID, &r.Email, &r.Name, &role, timeCol{&r.RemovedAt})
	r.Role = accounts.Role(role)
	return r, accWrap("removed account", err)
}

// SetRoleKeepingOwner implements accounts.Store.
func (db *DB) SetRoleKeepingOwner(ctx context.Context, id string, role accounts.Role, at time.Time) (accounts.Account, error) {
	var a accounts.Account
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if a, err = keepOwner(ctx, tx, id); err != nil && (role != accounts.Owner || !errors.Is(err, accounts.ErrLastOwner)) {
			return err
		}
		// A role that changes changes the account's access (a role set
		// again as it was does not).
		_, err = tx.Exec(ctx, `UPDATE accounts SET role = $2, updated_at = $3,
			access_changed_at = CASE WHEN role = $2 THEN access_changed_at ELSE $3 END WHERE id = $1`, id, string(role), ts(at))
		return wrap("set role", err)
	})
	return a, err
}

// AddSetupToken implements accounts.Store.
func (db *DB) AddSetupToken(ctx context.Context, t accounts.SetupToken, now time.Time) error {
	return accWrap("add setup token", db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM setup_tokens WHERE expires_at <= $1`, ts(now)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO setup_tokens (hash, expires_at) VALUES ($1, $2)`, t.Hash, ts(t.ExpiresAt))
		return err
	}))
}

// SetupToken implements accounts.Store.
func (db *DB) SetupToken(ctx context.Context, hash string) (accounts.SetupToken, error) {
	t := accounts.SetupToken{Hash: hash}
	if err := db.pool.QueryRow(ctx, `SELECT expires_at FROM setup_tokens WHERE hash = $1`, hash).Scan(timeCol{&t.ExpiresAt}); err != nil {
		return accounts.SetupToken{}, accWrap("setup token", err)
	}
	return t, nil
}

// CreateFirstOwner implements accounts.Store. The table lock (which
// conflicts with itself and with inserts) makes setups at once on several
// instances run one after the other: one that waited reads, in its next
// statement, the owner the first one made.
func (db *DB) CreateFirstOwner(ctx context.Context, hash string, now time.Time, a accounts.Account) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE setup_tokens IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return wrap("create first owner", err)
		}
		var owner bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE role = 'owner')`).Scan(&owner); err != nil {
			return wrap("create first owner", err)
		}
		if owner {
			return accounts.ErrOwnerExists
		}
		var exp time.Time
		if err := tx.QueryRow(ctx, `SELECT expires_at FROM setup_tokens WHERE hash = $1`, hash).Scan(timeCol{&exp}); err != nil {
			return accWrap("create first owner", err)
		}
		if !now.Before(exp) {
			return accounts.ErrTokenExpired
		}
		if _, err := tx.Exec(ctx, `DELETE FROM setup_tokens`); err != nil {
			return wrap("create first owner", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO accounts (`+accountCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`, accountArgs(a)...)
		if isUnique(err) {
			return accounts.ErrEmailTaken
		}
		return wrap("create first owner", err)
	})
}

const sessionCols = `id_hash, account_id, address, device, created_at, seen_at, reauth_at`

func scanSession(s scanner) (accounts.Session, error) {
	var x accounts.Session
	err := s.Scan(&x.IDHash, &x.AccountID, &x.Address, &x.Device, timeCol{&x.CreatedAt}, timeCol{&x.SeenAt}, timeCol{&x.ReauthAt})
	return x, err
}

// CreateSession implements accounts.Store.
func (db *DB) CreateSession(ctx context.Context, s accounts.Session) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO admin_sessions (`+sessionCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
		s.IDHash, s.AccountID, s.Address, s.Device, ts(s.CreatedAt), ts(s.SeenAt), ts(s.ReauthAt))
	return accWrap("create session", err)
}

// Session implements accounts.Store.
func (db *DB) Session(ctx context.Context, idHash string) (accounts.Session, error) {
	s, err := scanSession(db.pool.QueryRow(ctx, `SELECT `+sessionCols+` FROM admin_sessions WHERE id_hash = $1`, idHash))
	return s, accWrap("session", err)
}

// TouchSession implements accounts.Store.
func (db *DB) TouchSession(ctx context.Context, idHash string, seen, reauth time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE admin_sessions SET seen_at = $2, reauth_at = COALESCE($3, reauth_at) WHERE id_hash = $1`,
		idHash, ts(seen), ts(reauth))
	return accWrap("touch session", err)
}

// DeleteSession implements accounts.Store.
func (db *DB) DeleteSession(ctx context.Context, idHash string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM admin_sessions WHERE id_hash = $1`, idHash)
	return accWrap("delete session", err)
}

// Sessions implements accounts.Store.
func (db *DB) Sessions(ctx context.Context, accountID string) ([]accounts.Session, error) {
	ss, err := queryAll(ctx, db.pool, scanSession, `SELECT `+sessionCols+` FROM admin_sessions
		WHERE $1::text = '' OR account_id = $1 ORDER BY created_at DESC, id_hash`, accountID)
	return ss, accWrap("sessions", err)
}

// DeleteSessions implements accounts.Store.
func (db *DB) DeleteSessions(ctx context.Context, accountID string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM admin_sessions WHERE account_id = $1`, accountID)
	return accWrap("delete sessions", err)
}

// PutAccountToken implements accounts.Store.
func (db *DB) PutAccountToken(ctx context.Context, t accounts.AccountToken) error {
	return accWrap("put account token", db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM account_tokens WHERE account_id = $1 AND purpose = $2`, t.AccountID, string(t.Purpose)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO account_tokens (hash, account_id, purpose, expires_at) VALUES ($1, $2, $3, $4)`,
			t.Hash, t.AccountID, string(t.Purpose), ts(t.ExpiresAt))
		return err
	}))
}

func scanAccountToken(s scanner) (accounts.AccountToken, error) {
	var t accounts.AccountToken
	var purpose string
	err := s.Scan(&t.Hash, &t.AccountID, &purpose, timeCol{&t.ExpiresAt})
	t.Purpose = accounts.Purpose(purpose)
	return t, err
}

// AccountToken implements accounts.Store.
func (db *DB) AccountToken(ctx context.Context, hash string) (accounts.AccountToken, error) {
	t, err := scanAccountToken(db.pool.QueryRow(ctx, `SELECT hash, account_id, purpose, expires_at FROM account_tokens WHERE hash = $1`, hash))
	return t, accWrap("account token", err)
}

// TakeAccountToken implements accounts.Store.
func (db *DB) TakeAccountToken(ctx context.Context, hash string) (accounts.AccountToken, error) {
	t, err := scanAccountToken(db.pool.QueryRow(ctx, `DELETE FROM account_tokens WHERE hash = $1 RETURNING hash, account_id, purpose, expires_at`, hash))
	return t, accWrap("take account token", err)
}

// DeleteAccountTokens implements accounts.Store.
func (db *DB) DeleteAccountTokens(ctx context.Context, accountID string, p accounts.Purpose) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM account_tokens WHERE purpose = $1 AND ($2 = '' OR account_id = $2)`, string(p), accountID)
	if err != nil {
		return 0, accWrap("delete account tokens", err)
	}
	return int(tag.RowsAffected()), nil
}

const trustedDeviceCols = `hash, account_id, created_at, seen_at, failed_signins, locked_until`

func scanTrustedDevice(s scanner) (accounts.TrustedDevice, error) {
	var d accounts.TrustedDevice
	err := s.Scan(&d.Hash, &d.AccountID, timeCol{&d.CreatedAt}, timeCol{&d.SeenAt}, &d.FailedSignIns, timeCol{&d.LockedUntil})
	return d, err
}

// CreateTrustedDevice implements accounts.Store.
func (db *DB) CreateTrustedDevice(ctx context.Context, d accounts.TrustedDevice, keep int) error {
	return accWrap("create trusted device", db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO trusted_devices (`+trustedDeviceCols+`) VALUES ($1,$2,$3,$4,$5,$6)`,
			d.Hash, d.AccountID, ts(d.CreatedAt), ts(d.SeenAt), d.FailedSignIns, ts(d.LockedUntil)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM trusted_devices WHERE account_id = $1 AND hash NOT IN (
			SELECT hash FROM trusted_devices WHERE account_id = $1 ORDER BY seen_at DESC, hash LIMIT $2)`, d.AccountID, keep)
		return err
	}))
}

// TrustedDevice implements accounts.Store.
func (db *DB) TrustedDevice(ctx context.Context, hash string) (accounts.TrustedDevice, error) {
	d, err := scanTrustedDevice(db.pool.QueryRow(ctx, `SELECT `+trustedDeviceCols+` FROM trusted_devices WHERE hash = $1`, hash))
	return d, accWrap("trusted device", err)
}

// UpdateTrustedDevice implements accounts.Store; the row is locked (SELECT ...
// FOR UPDATE), so failures counted by several instances add up.
func (db *DB) UpdateTrustedDevice(ctx context.Context, hash string, fn func(d *accounts.TrustedDevice) error) (accounts.TrustedDevice, error) {
	var out accounts.TrustedDevice
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		d, err := scanTrustedDevice(tx.QueryRow(ctx, `SELECT `+trustedDeviceCols+` FROM trusted_devices WHERE hash = $1 FOR UPDATE`, hash))
		if err != nil {
			return accWrap("update trusted device", err)
		}
		if err := fn(&d); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE trusted_devices SET created_at = $2, seen_at = $3, failed_signins = $4, locked_until = $5
			WHERE hash = $1`, hash, ts(d.CreatedAt), ts(d.SeenAt), d.FailedSignIns, ts(d.LockedUntil)); err != nil {
			return wrap("update trusted device", err)
		}
		out, err = scanTrustedDevice(tx.QueryRow(ctx, `SELECT `+trustedDeviceCols+` FROM trusted_devices WHERE hash = $1`, hash))
		return accWrap("update trusted device", err)
	})
	return out, err
}

// DeleteTrustedDevices implements accounts.Store.
func (db *DB) DeleteTrustedDevices(ctx context.Context, accountID string) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM trusted_devices WHERE $1 = '' OR account_id = $1`, accountID)
	if err != nil {
		return 0, accWrap("delete trusted devices", err)
	}
	return int(tag.RowsAffected()), nil
}

const auditCols = `seq, at, account_id, email, address, device, action, target, before_state, after_state`

func scanAudit(s scanner) (accounts.AuditEntry, error) {
	var e accounts.AuditEntry
	err := s.Scan(&e.Seq, timeCol{&e.At}, &e.AccountID, &e.Email, &e.Address, &e.Device, &e.Action, &e.Target, &e.Before, &e.After)
	return e, err
}

// AppendAudit implements accounts.Store.
func (db *DB) AppendAudit(ctx context.Context, e accounts.AuditEntry) (accounts.AuditEntry, error) {
	err := db.pool.QueryRow(ctx, `INSERT INTO audit_log (at, account_id, email, address, device, action, target,
		before_state, after_state) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING seq`,
		ts(e.At), e.AccountID, e.Email, e.Address, e.Device, e.Action, e.Target, e.Before, e.After).Scan(&e.Seq)
	if err != nil {
		return accounts.AuditEntry{}, wrap("append audit", err)
	}
	e.At = trunc(e.At)
	return e, nil
}

// Audit implements accounts.Store.
func (db *DB) Audit(ctx context.Context, f accounts.AuditFilter) ([]accounts.AuditEntry, error) {
	if f.Limit <= 0 {
		return nil, fmt.Errorf("postgres: audit: limit %d", f.Limit)
	}
	before := f.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	es, err := queryAll(ctx, db.pool, scanAudit, `SELECT `+auditCols+` FROM audit_log
		WHERE seq < $1 AND ($2::text = '' OR target = $2) AND ($3::text = '' OR action = $3)
		AND ($4::text = '' OR account_id = $4) ORDER BY seq DESC LIMIT $5`, before, f.Target, f.Action, f.AccountID, f.Limit)
	return es, accWrap("audit", err)
}
