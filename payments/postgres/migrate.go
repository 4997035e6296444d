package postgres

import (
	"context"
	"embed"
	"errors"
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

// compatible lists the migrations the release before them runs on: the
// schema they leave still serves that release's statements (a new table
// or index, a column with a default, a trigger that keeps an old column
// true, data corrected in place), so that during a rolling upgrade an
// instance of the previous release that restarts after the new release
// migrated starts and serves (newerSchema). A migration that removes or
// renames what the previous release reads or writes, or that the new
// release relies on for rows the previous one writes, is not in it: an
// old instance then refuses to start, saying so, and every instance of the
// previous release must stop before the new release starts. Each is
// recorded in schema_migrations with its version, where the older
// releases read it. A compatible migration says so in its header too.
var compatible = map[int]bool{
	21: true, // payment_text, kept by triggers for the previous release's inserts
	22: true, // drops an index no statement of 021's release reads
	24: true, // marks old events skipped
}

// migrateLock is the advisory lock key that serialises migrations of one
// database ("hppmigr" in ASCII).
const migrateLock int64 = 0x6870706d69677200

// ErrNewerSchema is a schema migrated by a later release that this one
// cannot run on (newerSchema).
var ErrNewerSchema = errors.New("database schema is newer than this program's")

// newerSchema refuses a schema holding a migration newer than ours (the
// newest this program has) that is not marked compatible: this program
// does not know what it changed. When every newer migration is
// compatible, the previous release runs on the new release's schema
// (compatible), as a rolling upgrade needs. A schema_migrations without
// the compatible column (written by releases before it) holds nothing
// newer than ours.
func newerSchema(ctx context.Context, q querier, ours int) error {
	var have bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'compatible')`).Scan(&have); err != nil {
		return err
	}
	flag := "false"
	if have {
		flag = "compatible"
	}
	rows, err := q.Query(ctx, `SELECT version, name, `+flag+` FROM schema_migrations WHERE version > $1 ORDER BY version`, ours)
	if err != nil {
		return err
	}
	var newest int
	var refused []string
	for rows.Next() {
		var v int
		var name string
		var ok bool
		if err := rows.Scan(&v, &name, &ok); err != nil {
			rows.Close()
			return err
		}
		newest = v
		if !ok {
			refused = append(refused, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(refused) > 0 {
		return fmt.Errorf("%w (version %d, this program's %d): this release cannot run on %s: stop every instance of this release and run the release that migrated it (or a later one)",
			ErrNewerSchema, newest, ours, strings.Join(refused, ", "))
	}
	return nil
}

// Inspect is start-up's check of the schema at url for hpp check-config,
// over one connection that changes nothing: a schema this release cannot
// run on (newerSchema). A schema not migrated yet is fine.
func Inspect(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return errors.New("postgres: not a valid postgres:// URL")
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(context.Background())
	var have bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&have); err != nil || !have {
		return wrap("schema version", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	ours := 0
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("postgres: bad migration name %q", name)
		}
		ours = max(ours, v)
	}
	if err := newerSchema(ctx, conn, ours); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

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
	if len(order) == 0 {
		return errors.New("postgres: migrate: no migrations")
	}
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
		// Where each migration says whether the release before it runs
		// on the schema it leaves (compatible); an older schema gains it.
		if _, err := tx.Exec(ctx, `ALTER TABLE schema_migrations
			ADD COLUMN IF NOT EXISTS compatible boolean NOT NULL DEFAULT false`); err != nil {
			return err
		}
		if err := newerSchema(ctx, tx, order[len(order)-1]); err != nil {
			return err
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
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at, compatible)
				VALUES ($1, $2, $3, $4)`, v, path.Base(versions[v]), ts(db.now()), compatible[v]); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("migrate", err)
}
