package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The sandbox simulator's ledger (latipaysim.Journal): one row of
// sandbox_ledger per transaction, keyed by its merchant reference, with
// its order id and nonce (each unique) and the simulator's JSON body.
// Every instance sharing the database reads and changes the same rows:
// a change is one transaction holding the row's lock (SELECT … FOR
// UPDATE), so two instances refunding one transaction at once take turns.

// sandboxColumn is the column SandboxEntry looks in for by.
var sandboxColumn = map[string]string{"key": "key", "order_id": "order_id", "nonce": "nonce"}

// AddSandboxEntry stores a new sandbox ledger entry; false when its key,
// order id or nonce is already stored.
func (db *DB) AddSandboxEntry(ctx context.Context, key, orderID, nonce string, body []byte) (bool, error) {
	tag, err := db.pool.Exec(ctx, `INSERT INTO sandbox_ledger (key, order_id, nonce, body) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, key, orderID, nonce, body)
	if err != nil {
		return false, wrap("add sandbox entry", err)
	}
	return tag.RowsAffected() == 1, nil
}

// SandboxEntry returns the body of the sandbox ledger entry whose key,
// order id or nonce (by) is value, or nil.
func (db *DB) SandboxEntry(ctx context.Context, by, value string) ([]byte, error) {
	col, ok := sandboxColumn[by]
	if !ok {
		return nil, fmt.Errorf("postgres: sandbox entry: no column %q", by)
	}
	var b []byte
	err := db.pool.QueryRow(ctx, `SELECT body FROM sandbox_ledger WHERE `+col+` = $1`, value).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return b, wrap("sandbox entry", err)
}

// UpdateSandboxEntry replaces the body of key's sandbox ledger entry with
// fn's answer, in one transaction that holds the row's lock from the read
// to the commit; false when there is no such entry.
func (db *DB) UpdateSandboxEntry(ctx context.Context, key string, fn func(body []byte) ([]byte, error)) (bool, error) {
	found := false
	var fnErr error
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var b []byte
		err := tx.QueryRow(ctx, `SELECT body FROM sandbox_ledger WHERE key = $1 FOR UPDATE`, key).Scan(&b)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		nb, err := fn(b)
		if err != nil || nb == nil {
			fnErr = err
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE sandbox_ledger SET body = $2 WHERE key = $1`, key, nb)
		return err
	})
	if fnErr != nil {
		return found, fnErr
	}
	return found, wrap("update sandbox entry", err)
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
	// Two statements: instances started together insert at once, and the
	// one whose insert waited on the other's reads the row the other
	// committed only in a statement begun after that commit (one statement
	// with both sees its own snapshot, without that row, and finds none).
	if _, err := db.pool.Exec(ctx, `INSERT INTO sandbox_settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return "", wrap("sandbox setting", err)
	}
	var v string
	err := db.pool.QueryRow(ctx, `SELECT value FROM sandbox_settings WHERE name = $1`, name).Scan(&v)
	return v, wrap("sandbox setting", err)
}

// sandboxDataQuery is true when the schema holds anything the sandbox
// wrote: its mark, its generated keys and demo password, its simulated
// Latipay's ledger. Live mode never writes either table.
const sandboxDataQuery = `SELECT EXISTS (SELECT 1 FROM sandbox_settings) OR EXISTS (SELECT 1 FROM sandbox_ledger)`

// liveDataQuery is true when, with no sandbox data, a live start has used
// the schema: its mark, or (from before the mark) a payment, an account
// or the pending owner setup link.
const liveDataQuery = `SELECT EXISTS (SELECT 1 FROM live_settings) OR EXISTS (SELECT 1 FROM payments)
	OR EXISTS (SELECT 1 FROM accounts) OR EXISTS (SELECT 1 FROM setup_tokens)`

// MarkLive marks the schema as a live shop's (HPP_LIVE_SINCE, kept from
// the first live start); the sandbox never writes live_settings.
func (db *DB) MarkLive(ctx context.Context, since string) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO live_settings (name, value) VALUES ('HPP_LIVE_SINCE', $1)
		ON CONFLICT (name) DO NOTHING`, since)
	return wrap("mark live", err)
}

// HasLiveData reports whether a live start has used the schema: with no
// sandbox data, liveDataQuery.
func (db *DB) HasLiveData(ctx context.Context) (bool, error) {
	var found bool
	err := db.pool.QueryRow(ctx, liveDataQuery).Scan(&found)
	return found, wrap("live data", err)
}

// HasSandboxData reports whether the sandbox has used this database.
func (db *DB) HasSandboxData(ctx context.Context) (bool, error) {
	var used bool
	err := db.pool.QueryRow(ctx, sandboxDataQuery).Scan(&used)
	return used, wrap("sandbox data", err)
}

// Used reports whether the sandbox, and whether a live start, has used
// the database at url (HasSandboxData, HasLiveData), over one connection
// that changes nothing (hpp check-config): a table an older or
// unmigrated schema lacks is empty.
func Used(ctx context.Context, url string) (sandbox, live bool, err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return false, false, errors.New("postgres: not a valid postgres:// URL")
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, false, fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(context.Background())
	// Names are resolved before anything runs, so ask which tables exist
	// first.
	tables := []string{"sandbox_settings", "sandbox_ledger", "live_settings", "payments", "accounts", "setup_tokens"}
	rows, err := conn.Query(ctx, `SELECT t FROM unnest($1::text[]) t WHERE to_regclass(t) IS NOT NULL`, tables)
	if err != nil {
		return false, false, wrap("database use", err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return false, false, wrap("database use", err)
	}
	holds := func(tables ...string) (bool, error) {
		var q []string
		for _, t := range tables {
			if slices.Contains(have, t) {
				q = append(q, "EXISTS (SELECT 1 FROM "+t+")")
			}
		}
		if len(q) == 0 {
			return false, nil
		}
		var found bool
		err := conn.QueryRow(ctx, "SELECT "+strings.Join(q, " OR ")).Scan(&found)
		return found, wrap("database use", err)
	}
	if sandbox, err = holds(tables[:2]...); err != nil {
		return false, false, err
	}
	live, err = holds(tables[2:]...)
	return sandbox, live, err
}
