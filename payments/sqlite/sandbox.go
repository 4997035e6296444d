package sqlite

import "context"

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
