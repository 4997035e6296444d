package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
)

// SaveSandboxEntry stores one transaction of the sandbox simulator's
// ledger (latipaysim.Journal), durably before it returns.
func (db *DB) SaveSandboxEntry(ctx context.Context, key string, body []byte) error {
	_, err := db.writer.ExecContext(ctx, `INSERT INTO sandbox_ledger (key, body) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET body = excluded.body`, key, body)
	return wrap("save sandbox entry", err)
}

// SandboxEntries returns every stored sandbox ledger entry.
func (db *DB) SandboxEntries(ctx context.Context) ([][]byte, error) {
	bs, err := queryAll(ctx, db.reader, func(s scanner) ([]byte, error) {
		var b []byte
		return b, s.Scan(&b)
	}, `SELECT body FROM sandbox_ledger ORDER BY rowid`)
	return bs, wrap("sandbox entries", err)
}

// SandboxSetting returns the sandbox setting name, storing value first if
// it has none: the first start's value wins for the database's life.
func (db *DB) SandboxSetting(ctx context.Context, name, value string) (string, error) {
	if _, err := db.writer.ExecContext(ctx, `INSERT INTO sandbox_settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return "", wrap("sandbox setting", err)
	}
	var v string
	err := db.writer.QueryRowContext(ctx, `SELECT value FROM sandbox_settings WHERE name = ?`, name).Scan(&v)
	return v, wrap("sandbox setting", err)
}

// sandboxDataQuery is true when the database holds anything the sandbox
// wrote: its mark, its generated keys and demo password, its simulated
// Latipay's ledger. Live mode never writes either table.
const sandboxDataQuery = `SELECT EXISTS (SELECT 1 FROM sandbox_settings) OR EXISTS (SELECT 1 FROM sandbox_ledger)`

// HasPaymentsOrAccounts reports whether the database holds any payment
// or back-office account: with no sandbox data, a live shop's.
func (db *DB) HasPaymentsOrAccounts(ctx context.Context) (bool, error) {
	var found bool
	err := db.writer.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM payments) OR EXISTS (SELECT 1 FROM accounts)`).Scan(&found)
	return found, wrap("payments or accounts", err)
}

// HasSandboxData reports whether the sandbox has used this database.
func (db *DB) HasSandboxData(ctx context.Context) (bool, error) {
	var used bool
	err := db.writer.QueryRowContext(ctx, sandboxDataQuery).Scan(&used)
	return used, wrap("sandbox data", err)
}

// HasSandboxData reports whether the database file at path holds sandbox
// data, reading it without changing it: no file (or one never migrated)
// is a fresh database. hpp check-config asks it while the server may run.
func HasSandboxData(ctx context.Context, path string) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	db, err := sql.Open("sqlite", "file:"+escape(path)+"?mode=ro")
	if err != nil {
		return false, err
	}
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('sandbox_settings', 'sandbox_ledger')`).Scan(&tables); err != nil || tables < 2 {
		return false, wrap("sandbox data", err)
	}
	var used bool
	err = db.QueryRowContext(ctx, sandboxDataQuery).Scan(&used)
	return used, wrap("sandbox data", err)
}
