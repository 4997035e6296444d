package postgres

import "context"

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
