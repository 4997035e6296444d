package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SaveSandboxEntry stores one transaction of the sandbox simulator's
// ledger (latipaysim.Journal).
func (db *DB) SaveSandboxEntry(ctx context.Context, key string, body []byte) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO sandbox_ledger (key, body) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET body = excluded.body`, key, body)
	return wrap("save sandbox entry", err)
}

// SandboxEntries returns every stored sandbox ledger entry.
func (db *DB) SandboxEntries(ctx context.Context) ([][]byte, error) {
	rows, err := db.pool.Query(ctx, `SELECT body FROM sandbox_ledger ORDER BY key`)
	if err != nil {
		return nil, wrap("sandbox entries", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, wrap("sandbox entries", err)
		}
		out = append(out, b)
	}
	return out, wrap("sandbox entries", rows.Err())
}

// SandboxSetting returns the sandbox setting name, storing value first if
// it has none: the first start's value wins for the database's life.
func (db *DB) SandboxSetting(ctx context.Context, name, value string) (string, error) {
	var v string
	err := db.pool.QueryRow(ctx, `WITH ins AS (
			INSERT INTO sandbox_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value)
		SELECT value FROM ins UNION ALL SELECT value FROM sandbox_settings WHERE name = $1 LIMIT 1`, name, value).Scan(&v)
	return v, wrap("sandbox setting", err)
}

// sandboxDataQuery is true when the schema holds anything the sandbox
// wrote: its mark, its generated keys and demo password, its simulated
// Latipay's ledger. Live mode never writes either table.
const sandboxDataQuery = `SELECT EXISTS (SELECT 1 FROM sandbox_settings) OR EXISTS (SELECT 1 FROM sandbox_ledger)`

// HasPaymentsOrAccounts reports whether the database holds any payment
// or back-office account: with no sandbox data, a live shop's.
func (db *DB) HasPaymentsOrAccounts(ctx context.Context) (bool, error) {
	var found bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM payments) OR EXISTS (SELECT 1 FROM accounts)`).Scan(&found)
	return found, wrap("payments or accounts", err)
}

// HasSandboxData reports whether the sandbox has used this database.
func (db *DB) HasSandboxData(ctx context.Context) (bool, error) {
	var used bool
	err := db.pool.QueryRow(ctx, sandboxDataQuery).Scan(&used)
	return used, wrap("sandbox data", err)
}

// HasSandboxData reports whether the database at url holds sandbox data,
// over one connection that changes nothing (hpp check-config).
func HasSandboxData(ctx context.Context, url string) (bool, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return false, errors.New("postgres: HPP_DATABASE is not a valid postgres:// URL")
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(context.Background())
	var used bool
	// A schema not yet migrated has neither table (and names are resolved
	// before anything runs, so ask first).
	if err := conn.QueryRow(ctx, `SELECT to_regclass('sandbox_settings') IS NOT NULL AND to_regclass('sandbox_ledger') IS NOT NULL`).Scan(&used); err != nil || !used {
		return false, wrap("sandbox data", err)
	}
	err = conn.QueryRow(ctx, sandboxDataQuery).Scan(&used)
	return used, wrap("sandbox data", err)
}
