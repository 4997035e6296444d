package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// migrations holds the schema changes, named NNN_what.sql and applied in
// numeric order. Never edit a released file; add a new one. Numbers may
// leave gaps (parallel branches reserve their own), and a file numbered
// below one already applied is still applied when it is missing, as the
// SQLite store does: a database upgraded from a release that stopped at
// 010 still gets a later-landed 006.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrateLock is the advisory lock key that serialises migrations of one
// database ("hppmigr" in ASCII).
const migrateLock int64 = 0x6870706d69677200

// migrate applies every migration not yet recorded in schema_migrations,
// all in one transaction that first takes an advisory transaction lock: an
// instance starting at the same time waits, then finds the work done
// (TestMigrateTogether). PostgreSQL DDL is transactional, so a crash leaves
// none of it.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	versions := make(map[int]string, len(names))
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil || v <= 0 || versions[v] != "" {
			return fmt.Errorf("postgres: migrate: bad migration name %q", name)
		}
		versions[v] = name
	}
	order := make([]int, 0, len(versions))
	for v := range versions {
		order = append(order, v)
	}
	sort.Ints(order)
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL)`); err != nil {
			return err
		}
		var newest int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
			return err
		}
		// An older binary must not run against a schema it does not know.
		if len(order) > 0 && newest > order[len(order)-1] {
			return fmt.Errorf("database schema version %d is newer than this program's %d",
				newest, order[len(order)-1])
		}
		applied := map[int]bool{}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			applied[v] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, v := range order {
			if applied[v] {
				continue
			}
			body, err := migrations.ReadFile(versions[v])
			if err != nil {
				return err
			}
			// No arguments: the simple protocol, which runs several statements.
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("%s: %w", path.Base(versions[v]), err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at)
				VALUES ($1, $2, $3)`, v, path.Base(versions[v]), ts(db.now())); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("migrate", err)
}
