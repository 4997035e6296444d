package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// The back office's accounts, sessions, setup tokens and audit log
// (accounts.Store). They are few and written rarely, so they bypass the
// payment batcher: each write is its own IMMEDIATE transaction on the
// writer connection, and reads use the read pool.

var _ accounts.Store = (*DB)(nil)

const accountCols = `id, email, name, role, password_hash, totp_secret, totp_last_step, recovery,
	failed_signins, locked_until, created_at, updated_at, totp_pending, access_changed_at, devices_voided_at`

func accountArgs(a accounts.Account) []any {
	return []any{a.ID, a.Email, a.Name, string(a.Role), a.PasswordHash, a.TOTPSecret, a.TOTPLastStep,
		strings.Join(a.Recovery, " "), a.FailedSignIns, nanos(a.LockedUntil), nanos(a.CreatedAt), nanos(a.UpdatedAt), a.TOTPPending,
		nanos(a.AccessChangedAt), nanos(a.DevicesVoidedAt)}
}

func scanAccount(s scanner) (accounts.Account, error) {
	var a accounts.Account
	var role, recovery string
	err := s.Scan(&a.ID, &a.Email, &a.Name, &role, &a.PasswordHash, &a.TOTPSecret, &a.TOTPLastStep, &recovery,
		&a.FailedSignIns, timeCol{&a.LockedUntil}, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt}, &a.TOTPPending,
		timeCol{&a.AccessChangedAt}, timeCol{&a.DevicesVoidedAt})
	a.Role = accounts.Role(role)
	if recovery != "" {
		a.Recovery = strings.Fields(recovery)
	}
	return a, err
}

// accWrap is wrap for the accounts store: no rows is accounts.ErrNotFound.
func accWrap(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return accounts.ErrNotFound
	}
	return wrap(op, err)
}

func isUnique(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// writeTx runs fn in one IMMEDIATE transaction on the writer.
func (db *DB) writeTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return wrap(op, db.noteWrite(err))
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return db.noteWrite(err)
	}
	if err := tx.Commit(); err != nil {
		return wrap(op, db.noteWrite(err))
	}
	db.wrote()
	return nil
}

// CreateAccount implements accounts.Store.
func (db *DB) CreateAccount(ctx context.Context, a accounts.Account) error {
	_, err := db.execWrite(ctx, `INSERT INTO accounts (`+accountCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, accountArgs(a)...)
	if isUnique(err) {
		return accounts.ErrEmailTaken
	}
	return accWrap("create account", err)
}

// Account implements accounts.Store.
func (db *DB) Account(ctx context.Context, id string) (accounts.Account, error) {
	a, err := scanAccount(db.reader.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
	return a, accWrap("account", err)
}

// AccountByEmail implements accounts.Store.
func (db *DB) AccountByEmail(ctx context.Context, email string) (accounts.Account, error) {
	a, err := scanAccount(db.reader.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE email = ?`, email))
	return a, accWrap("account by email", err)
}

// Accounts implements accounts.Store.
func (db *DB) Accounts(ctx context.Context) ([]accounts.Account, error) {
	as, err := queryAll(ctx, db.reader, scanAccount, `SELECT `+accountCols+` FROM accounts ORDER BY created_at, id`)
	return as, accWrap("accounts", err)
}

// UpdateAccount implements accounts.Store.
func (db *DB) UpdateAccount(ctx context.Context, id string, fn func(a *accounts.Account) error) (accounts.Account, error) {
	var out accounts.Account
	err := db.writeTx(ctx, "update account", func(tx *sql.Tx) error {
		a, err := scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
		if err != nil {
			return accWrap("update account", err)
		}
		if err := fn(&a); err != nil {
			return err
		}
		a.ID = id
		args := accountArgs(a)
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET email = ?, name = ?, role = ?, password_hash = ?,
			totp_secret = ?, totp_last_step = ?, recovery = ?, failed_signins = ?, locked_until = ?,
			created_at = ?, updated_at = ?, totp_pending = ?, access_changed_at = ?, devices_voided_at = ? WHERE id = ?`, append(args[1:], id)...); err != nil {
			if isUnique(err) {
				return accounts.ErrEmailTaken
			}
			return wrap("update account", err)
		}
		out, err = scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
		return accWrap("update account", err)
	})
	return out, err
}

// DeleteAccount implements accounts.Store; its sessions go with it.
func (db *DB) DeleteAccount(ctx context.Context, id string) error {
	_, err := db.execWrite(ctx, `DELETE FROM accounts WHERE id = ?`, id)
	return accWrap("delete account", err)
}

// keepOwner fails with ErrLastOwner when a is the only owner; the
// caller holds the writer's transaction, so no other write interleaves.
func keepOwner(ctx context.Context, tx *sql.Tx, a accounts.Account) error {
	if a.Role != accounts.Owner {
		return nil
	}
	var others int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE role = 'owner' AND id <> ?`, a.ID).Scan(&others); err != nil {
		return wrap("keep owner", err)
	}
	if others == 0 {
		return accounts.ErrLastOwner
	}
	return nil
}

// RemoveKeepingOwner implements accounts.Store.
func (db *DB) RemoveKeepingOwner(ctx context.Context, id string, at time.Time) (accounts.Account, error) {
	var a accounts.Account
	err := db.writeTx(ctx, "remove account", func(tx *sql.Tx) error {
		var err error
		if a, err = scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id)); err != nil {
			return accWrap("remove account", err)
		}
		if err := keepOwner(ctx, tx, a); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO removed_accounts (id, email, name, role, removed_at) VALUES (?,?,?,?,?)
			ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name, role = excluded.role, removed_at = excluded.removed_at`,
			a.ID, a.Email, a.Name, string(a.Role), nanos(at)); err != nil {
			return wrap("remove account", err)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM accounts WHERE id = ?`, id)
		return wrap("remove account", err)
	})
	return a, err
}

// RemovedAccount implements accounts.Store.
func (db *DB) RemovedAccount(ctx context.Context, id string) (accounts.Removed, error) {
	var r accounts.Removed
	var role string
	err := db.reader.QueryRowContext(ctx, `SELECT id, email, name, role, removed_at FROM removed_accounts WHERE id = ?`, id).
		Scan(&r.ID, &r.Email, &r.Name, &role, timeCol{&r.RemovedAt})
	r.Role = accounts.Role(role)
	return r, accWrap("removed account", err)
}

// SetRoleKeepingOwner implements accounts.Store.
func (db *DB) SetRoleKeepingOwner(ctx context.Context, id string, role accounts.Role, at time.Time) (accounts.Account, error) {
	var a accounts.Account
	err := db.writeTx(ctx, "set role", func(tx *sql.Tx) error {
		var err error
		if a, err = scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id)); err != nil {
			return accWrap("set role", err)
		}
		if role != accounts.Owner {
			if err := keepOwner(ctx, tx, a); err != nil {
				return err
			}
		}
		// A role that changes changes the account's access (a role set
		// again as it was does not).
		_, err = tx.ExecContext(ctx, `UPDATE accounts SET role = ?, updated_at = ?,
			access_changed_at = CASE WHEN role = ? THEN access_changed_at ELSE ? END WHERE id = ?`,
			string(role), nanos(at), string(role), nanos(at), id)
		return wrap("set role", err)
	})
	return a, err
}

// AddSetupToken implements accounts.Store.
func (db *DB) AddSetupToken(ctx context.Context, t accounts.SetupToken, now time.Time) error {
	return db.writeTx(ctx, "add setup token", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM setup_tokens WHERE expires_at <= ?`, nanos(now)); err != nil {
			return wrap("add setup token", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO setup_tokens (hash, expires_at) VALUES (?, ?)`, t.Hash, nanos(t.ExpiresAt))
		return wrap("add setup token", err)
	})
}

// SetupToken implements accounts.Store.
func (db *DB) SetupToken(ctx context.Context, hash string) (accounts.SetupToken, error) {
	t := accounts.SetupToken{Hash: hash}
	if err := db.reader.QueryRowContext(ctx, `SELECT expires_at FROM setup_tokens WHERE hash = ?`, hash).Scan(timeCol{&t.ExpiresAt}); err != nil {
		return accounts.SetupToken{}, accWrap("setup token", err)
	}
	return t, nil
}

// CreateFirstOwner implements accounts.Store: one IMMEDIATE transaction
// on the one writer, so setups at once run one after the other.
func (db *DB) CreateFirstOwner(ctx context.Context, hash string, now time.Time, a accounts.Account) error {
	return db.writeTx(ctx, "create first owner", func(tx *sql.Tx) error {
		var owner bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE role = 'owner')`).Scan(&owner); err != nil {
			return wrap("create first owner", err)
		}
		if owner {
			return accounts.ErrOwnerExists
		}
		var exp time.Time
		if err := tx.QueryRowContext(ctx, `SELECT expires_at FROM setup_tokens WHERE hash = ?`, hash).Scan(timeCol{&exp}); err != nil {
			return accWrap("create first owner", err)
		}
		if !now.Before(exp) {
			return accounts.ErrTokenExpired
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM setup_tokens`); err != nil {
			return wrap("create first owner", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (`+accountCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, accountArgs(a)...)
		if isUnique(err) {
			return accounts.ErrEmailTaken
		}
		return wrap("create first owner", err)
	})
}

// PutAccountToken implements accounts.Store.
func (db *DB) PutAccountToken(ctx context.Context, t accounts.AccountToken) error {
	return db.writeTx(ctx, "put account token", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM account_tokens WHERE account_id = ? AND purpose = ?`, t.AccountID, string(t.Purpose)); err != nil {
			return wrap("put account token", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO account_tokens (hash, account_id, purpose, expires_at) VALUES (?, ?, ?, ?)`,
			t.Hash, t.AccountID, string(t.Purpose), nanos(t.ExpiresAt))
		return wrap("put account token", err)
	})
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
	t, err := scanAccountToken(db.reader.QueryRowContext(ctx, `SELECT hash, account_id, purpose, expires_at FROM account_tokens WHERE hash = ?`, hash))
	return t, accWrap("account token", err)
}

// TakeAccountToken implements accounts.Store.
func (db *DB) TakeAccountToken(ctx context.Context, hash string) (accounts.AccountToken, error) {
	t, err := scanAccountToken(db.writer.QueryRowContext(ctx, `DELETE FROM account_tokens WHERE hash = ? RETURNING hash, account_id, purpose, expires_at`, hash))
	return t, accWrap("take account token", err)
}

// DeleteAccountTokens implements accounts.Store.
func (db *DB) DeleteAccountTokens(ctx context.Context, accountID string, p accounts.Purpose) (int, error) {
	res, err := db.execWrite(ctx, `DELETE FROM account_tokens WHERE purpose = ? AND (? = '' OR account_id = ?)`, string(p), accountID, accountID)
	if err != nil {
		return 0, accWrap("delete account tokens", err)
	}
	n, err := res.RowsAffected()
	return int(n), accWrap("delete account tokens", err)
}

const sessionCols = `id_hash, account_id, address, device, created_at, seen_at, reauth_at`

func scanSession(s scanner) (accounts.Session, error) {
	var x accounts.Session
	err := s.Scan(&x.IDHash, &x.AccountID, &x.Address, &x.Device, timeCol{&x.CreatedAt}, timeCol{&x.SeenAt}, timeCol{&x.ReauthAt})
	return x, err
}

// CreateSession implements accounts.Store.
func (db *DB) CreateSession(ctx context.Context, s accounts.Session) error {
	_, err := db.execWrite(ctx, `INSERT INTO admin_sessions (`+sessionCols+`) VALUES (?,?,?,?,?,?,?)`,
		s.IDHash, s.AccountID, s.Address, s.Device, nanos(s.CreatedAt), nanos(s.SeenAt), nanos(s.ReauthAt))
	return accWrap("create session", err)
}

// Session implements accounts.Store.
func (db *DB) Session(ctx context.Context, idHash string) (accounts.Session, error) {
	s, err := scanSession(db.reader.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM admin_sessions WHERE id_hash = ?`, idHash))
	return s, accWrap("session", err)
}

// TouchSession implements accounts.Store.
func (db *DB) TouchSession(ctx context.Context, idHash string, seen, reauth time.Time) error {
	_, err := db.execWrite(ctx, `UPDATE admin_sessions SET seen_at = ?, reauth_at = COALESCE(?, reauth_at) WHERE id_hash = ?`,
		nanos(seen), nanos(reauth), idHash)
	return accWrap("touch session", err)
}

// DeleteSession implements accounts.Store.
func (db *DB) DeleteSession(ctx context.Context, idHash string) error {
	_, err := db.execWrite(ctx, `DELETE FROM admin_sessions WHERE id_hash = ?`, idHash)
	return accWrap("delete session", err)
}

// Sessions implements accounts.Store.
func (db *DB) Sessions(ctx context.Context, accountID string) ([]accounts.Session, error) {
	ss, err := queryAll(ctx, db.reader, scanSession, `SELECT `+sessionCols+` FROM admin_sessions
		WHERE ? = '' OR account_id = ? ORDER BY created_at DESC, id_hash`, accountID, accountID)
	return ss, accWrap("sessions", err)
}

// DeleteSessions implements accounts.Store.
func (db *DB) DeleteSessions(ctx context.Context, accountID string) error {
	_, err := db.execWrite(ctx, `DELETE FROM admin_sessions WHERE account_id = ?`, accountID)
	return accWrap("delete sessions", err)
}

const trustedDeviceCols = `hash, account_id, created_at, seen_at, failed_signins, locked_until`

func scanTrustedDevice(s scanner) (accounts.TrustedDevice, error) {
	var d accounts.TrustedDevice
	err := s.Scan(&d.Hash, &d.AccountID, timeCol{&d.CreatedAt}, timeCol{&d.SeenAt}, &d.FailedSignIns, timeCol{&d.LockedUntil})
	return d, err
}

// CreateTrustedDevice implements accounts.Store.
func (db *DB) CreateTrustedDevice(ctx context.Context, d accounts.TrustedDevice, keep int) error {
	return db.writeTx(ctx, "create trusted device", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO trusted_devices (`+trustedDeviceCols+`) VALUES (?,?,?,?,?,?)`,
			d.Hash, d.AccountID, nanos(d.CreatedAt), nanos(d.SeenAt), d.FailedSignIns, nanos(d.LockedUntil)); err != nil {
			return accWrap("create trusted device", err)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM trusted_devices WHERE account_id = ? AND hash NOT IN (
			SELECT hash FROM trusted_devices WHERE account_id = ? ORDER BY seen_at DESC, hash LIMIT ?)`, d.AccountID, d.AccountID, keep)
		return wrap("create trusted device", err)
	})
}

// TrustedDevice implements accounts.Store.
func (db *DB) TrustedDevice(ctx context.Context, hash string) (accounts.TrustedDevice, error) {
	d, err := scanTrustedDevice(db.reader.QueryRowContext(ctx, `SELECT `+trustedDeviceCols+` FROM trusted_devices WHERE hash = ?`, hash))
	return d, accWrap("trusted device", err)
}

// UpdateTrustedDevice implements accounts.Store.
func (db *DB) UpdateTrustedDevice(ctx context.Context, hash string, fn func(d *accounts.TrustedDevice) error) (accounts.TrustedDevice, error) {
	var out accounts.TrustedDevice
	err := db.writeTx(ctx, "update trusted device", func(tx *sql.Tx) error {
		d, err := scanTrustedDevice(tx.QueryRowContext(ctx, `SELECT `+trustedDeviceCols+` FROM trusted_devices WHERE hash = ?`, hash))
		if err != nil {
			return accWrap("update trusted device", err)
		}
		if err := fn(&d); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE trusted_devices SET created_at = ?, seen_at = ?, failed_signins = ?, locked_until = ?
			WHERE hash = ?`, nanos(d.CreatedAt), nanos(d.SeenAt), d.FailedSignIns, nanos(d.LockedUntil), hash); err != nil {
			return wrap("update trusted device", err)
		}
		out, err = scanTrustedDevice(tx.QueryRowContext(ctx, `SELECT `+trustedDeviceCols+` FROM trusted_devices WHERE hash = ?`, hash))
		return accWrap("update trusted device", err)
	})
	return out, err
}

// DeleteTrustedDevices implements accounts.Store.
func (db *DB) DeleteTrustedDevices(ctx context.Context, accountID string) (int, error) {
	res, err := db.execWrite(ctx, `DELETE FROM trusted_devices WHERE ? = '' OR account_id = ?`, accountID, accountID)
	if err != nil {
		return 0, accWrap("delete trusted devices", err)
	}
	n, err := res.RowsAffected()
	return int(n), accWrap("delete trusted devices", err)
}

const auditCols = `seq, at, account_id, email, address, device, action, target, before_state, after_state`

func scanAudit(s scanner) (accounts.AuditEntry, error) {
	var e accounts.AuditEntry
	err := s.Scan(&e.Seq, timeCol{&e.At}, &e.AccountID, &e.Email, &e.Address, &e.Device, &e.Action, &e.Target, &e.Before, &e.After)
	return e, err
}

// AppendAudit implements accounts.Store.
func (db *DB) AppendAudit(ctx context.Context, e accounts.AuditEntry) (accounts.AuditEntry, error) {
	err := db.writer.QueryRowContext(ctx, `INSERT INTO audit_log (at, account_id, email, address, device, action, target,
		before_state, after_state) VALUES (?,?,?,?,?,?,?,?,?) RETURNING seq`,
		nanos(e.At), e.AccountID, e.Email, e.Address, e.Device, e.Action, e.Target, e.Before, e.After).Scan(&e.Seq)
	if err != nil {
		return accounts.AuditEntry{}, wrap("append audit", err)
	}
	e.At = e.At.UTC()
	return e, nil
}

// Audit implements accounts.Store.
func (db *DB) Audit(ctx context.Context, f accounts.AuditFilter) ([]accounts.AuditEntry, error) {
	if f.Limit <= 0 {
		return nil, fmt.Errorf("sqlite: audit: limit %d", f.Limit)
	}
	before := f.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	es, err := queryAll(ctx, db.reader, scanAudit, `SELECT `+auditCols+` FROM audit_log
		WHERE seq < ? AND (? = '' OR target = ?) AND (? = '' OR action = ?) AND (? = '' OR account_id = ?)
		ORDER BY seq DESC LIMIT ?`, before, f.Target, f.Target, f.Action, f.Action, f.AccountID, f.AccountID, f.Limit)
	return es, accWrap("audit", err)
}
