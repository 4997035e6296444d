package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// The sandbox simulator's ledger (latipaysim.Journal): one row of
// sandbox_ledger per transaction, keyed by its merchant reference, with
// its order id and nonce (each unique) and the simulator's JSON body.
// One process serves a file, and a change is one IMMEDIATE transaction
// on the writer, so it reads and writes the row with no other write in
// between; reads go to the reader pool, which sees every commit.

// sandboxColumn is the column SandboxEntry looks in for by.
var sandboxColumn = map[string]string{"key": "key", "order_id": "order_id", "nonce": "nonce"}

// AddSandboxEntry stores a new sandbox ledger entry, durably before it
// returns; false when its key, order id or nonce is already stored.
func (db *DB) AddSandboxEntry(ctx context.Context, key, orderID, nonce string, body []byte) (bool, error) {
	res, err := db.execWrite(ctx, `INSERT INTO sandbox_ledger (key, order_id, nonce, body) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, key, orderID, nonce, body)
	if err != nil {
		return false, wrap("add sandbox entry", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("add sandbox entry", err)
}

// SandboxEntry returns the body of the sandbox ledger entry whose key,
// order id or nonce (by) is value, or nil.
func (db *DB) SandboxEntry(ctx context.Context, by, value string) ([]byte, error) {
	col, ok := sandboxColumn[by]
	if !ok {
		return nil, fmt.Errorf("sqlite: sandbox entry: no column %q", by)
	}
	var b []byte
	err := db.reader.QueryRowContext(ctx, `SELECT body FROM sandbox_ledger WHERE `+col+` = ?`, value).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return b, wrap("sandbox entry", err)
}

// UpdateSandboxEntry replaces the body of key's sandbox ledger entry with
// fn's answer in one IMMEDIATE transaction, durably before it returns;
// false when there is no such entry.
func (db *DB) UpdateSandboxEntry(ctx context.Context, key string, fn func(body []byte) ([]byte, error)) (bool, error) {
	found := false
	var fnErr error
	err := db.writeTx(ctx, "update sandbox entry", func(tx *sql.Tx) error {
		var b []byte
		err := tx.QueryRowContext(ctx, `SELECT body FROM sandbox_ledger WHERE key = ?`, key).Scan(&b)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return wrap("update sandbox entry", err)
		}
		found = true
		nb, err := fn(b)
		if err != nil || nb == nil {
			fnErr = err
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE sandbox_ledger SET body = ? WHERE key = ?`, nb, key)
		return wrap("update sandbox entry", err)
	})
	if fnErr != nil {
		return found, fnErr
	}
	return found, err
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
	if _, err := db.execWrite(ctx, `INSERT INTO sandbox_settings (name, value) VALUES (?, ?)
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

// liveDataQuery is true when, with no sandbox data, a live start has used
// the database: its mark, or (from before the mark) a payment, an account
// or the pending owner setup link.
const liveDataQuery = `SELECT EXISTS (SELECT 1 FROM live_settings) OR EXISTS (SELECT 1 FROM payments)
	OR EXISTS (SELECT 1 FROM accounts) OR EXISTS (SELECT 1 FROM setup_tokens)`

// MarkLive marks the database as a live shop's (HPP_LIVE_SINCE, kept from
// the first live start); the sandbox never writes live_settings.
func (db *DB) MarkLive(ctx context.Context, since string) error {
	_, err := db.execWrite(ctx, `INSERT INTO live_settings (name, value) VALUES ('HPP_LIVE_SINCE', ?)
		ON CONFLICT (name) DO NOTHING`, since)
	return wrap("mark live", err)
}

// HasLiveData reports whether a live start has used the database: with no
// sandbox data, liveDataQuery.
func (db *DB) HasLiveData(ctx context.Context) (bool, error) {
	var found bool
	err := db.writer.QueryRowContext(ctx, liveDataQuery).Scan(&found)
	return found, wrap("live data", err)
}

// HasSandboxData reports whether the sandbox has used this database.
func (db *DB) HasSandboxData(ctx context.Context) (bool, error) {
	var used bool
	err := db.writer.QueryRowContext(ctx, sandboxDataQuery).Scan(&used)
	return used, wrap("sandbox data", err)
}

// Used reports whether the sandbox, and whether a live start, has used
// the database file at path (HasSandboxData, HasLiveData), reading it
// without changing it: no file is a fresh database, and a table an older
// schema lacks is empty. hpp check-config asks it while the server may
// run.
func Used(ctx context.Context, path string) (sandbox, live bool, err error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, false, nil
	}
	err = readOnly(path, func(db *sql.DB) (err error) {
		sandbox, live, err = used(ctx, db)
		return err
	})
	return sandbox, live, err
}

// used is Used's reading of the open file.
func used(ctx context.Context, db *sql.DB) (sandbox, live bool, err error) {
	have := map[string]bool{}
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return false, false, wrap("database use", err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return false, false, wrap("database use", err)
		}
		have[name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, false, wrap("database use", err)
	}
	holds := func(tables ...string) (bool, error) {
		var q []string
		for _, t := range tables {
			if have[t] {
				q = append(q, "EXISTS (SELECT 1 FROM "+t+")")
			}
		}
		if len(q) == 0 {
			return false, nil
		}
		var found bool
		err := db.QueryRowContext(ctx, "SELECT "+strings.Join(q, " OR ")).Scan(&found)
		return found, wrap("database use", err)
	}
	if sandbox, err = holds("sandbox_settings", "sandbox_ledger"); err != nil {
		return false, false, err
	}
	live, err = holds("live_settings", "payments", "accounts", "setup_tokens")
	return sandbox, live, err
}
