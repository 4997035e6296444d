package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// migrations holds the schema changes, named NNN_what.sql and applied in
// numeric order. Never edit a released file; add the next one.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies every migration not yet recorded in schema_migrations.
// Each runs in its own IMMEDIATE transaction together with its record, so a
// crash leaves it either wholly applied or not at all (TestMigrateTwice; postgres.TestMigrateTogether), and
// two processes opening the same file apply it once.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL)`); err != nil {
		return wrap("migrate", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	versions := make(map[int]string, len(names))
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil || v <= 0 || versions[v] != "" {
			return fmt.Errorf("sqlite: migrate: bad migration name %q", name)
		}
		versions[v] = name
	}
	order := make([]int, 0, len(versions))
	for v := range versions {
		order = append(order, v)
	}
	sort.Ints(order)
	if len(order) == 0 {
		return errors.New("sqlite: migrate: no migrations")
	}
	if err := newerSchema(ctx, db.writer, order[len(order)-1]); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	for _, v := range order {
		if err := db.apply(ctx, v, versions[v]); err != nil {
			return err
		}
	}
	return nil
}

// newest is the version of the newest migration this program has.
func newest() (int, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return 0, fmt.Errorf("bad migration name %q", name)
		}
		n = max(n, v)
	}
	return n, nil
}

// newerSchema refuses a database whose schema_migrations records a
// version above ours (the newest migration this program has): an older
// program must not run against a schema it does not know. Start-up,
// hpp restore and hpp check-config ask it.
func newerSchema(ctx context.Context, db *sql.DB, ours int) error {
	var theirs int
	if err := db.QueryRowContext(ctx,
		`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&theirs); err != nil {
		return wrap("schema version", err)
	}
	if theirs > ours {
		return fmt.Errorf("database schema version %d is newer than this program's %d: run the release that wrote it (or a later one)", theirs, ours)
	}
	return nil
}

// apply runs one migration unless it is already recorded.
func (db *DB) apply(ctx context.Context, version int, name string) error {
	body, err := migrations.ReadFile(name)
	if err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", name, err)
	}
	conn, done, err := db.spilling(ctx) // a migration may touch every row
	if err != nil {
		return wrap("migrate "+name, err)
	}
	defer done()
	fkOff := strings.Contains(string(body), "\n"+fkOffMarker+"\n")
	if fkOff {
		// SQLite ignores the pragma inside a transaction: it is set on the
		// connection before, and set back however the migration ends.
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			return wrap("migrate "+name, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON")
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return wrap("migrate "+name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx,
		`SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return wrap("migrate "+name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return wrap("migrate "+name, err)
	}
	if fkOff {
		if err := foreignKeysHold(ctx, tx); err != nil {
			return fmt.Errorf("sqlite: migrate %s: %w", name, err)
		}
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		version, path.Base(name), db.now().UTC().UnixNano()); err != nil {
		return wrap("migrate "+name, err)
	}
	return wrap("migrate "+name, tx.Commit())
}

// fkOffMarker is the line of a migration that rebuilds a table other
// tables reference (SQLite cannot change a column's CHECK in place). It
// runs with foreign keys off, as SQLite documents for such a rebuild: on,
// dropping the old table would delete every row that references it
// (ON DELETE CASCADE). Every reference is checked before it commits.
const fkOffMarker = "-- hpp: foreign keys off"

// foreignKeysHold fails when a row references one that does not exist.
func foreignKeysHold(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return err
		}
		return fmt.Errorf("a row of %s references a missing row of %s", table, parent)
	}
	return rows.Err()
}
