package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrDamaged is a database file that SQLite reports as damaged or as not
// a database at all. The app cannot repair it: the way back is the latest
// backup.
var ErrDamaged = errors.New("sqlite: the database file is damaged: stop the app and restore the latest backup (keep the damaged file aside)")

// ErrForeign is a database file that already holds another program's
// tables: ours would be added to it.
var ErrForeign = errors.New("sqlite: the file already holds another program's tables")

// damaged reports whether err is SQLite saying the file is corrupt or is
// not a database.
func damaged(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code() & 0xff
	return c == sqlite3.SQLITE_CORRUPT || c == sqlite3.SQLITE_NOTADB
}

// syncCheckMax is the largest file whose integrity is checked before Open
// returns. PRAGMA quick_check reads every page, in time linear in the
// file's size (6.4 s for 1,000,000 payments, a 438 MB file, on a shared
// 2-core machine); a larger file is checked in the background while the
// app serves, and Ping (so /readyz) fails until the check has passed.
const syncCheckMax = 256 << 20

// errChecking is Ping's answer while the background check runs.
var errChecking = errors.New("sqlite: the start-up integrity check is still running")

// checkFile runs before the migrations. It refuses a file holding tables
// that none of our migrations creates, and a file SQLite finds damaged
// (PRAGMA quick_check: every page and record is read; indexes are not
// cross-checked against their tables). Files over syncCheckMax are
// checked in the background.
func (db *DB) checkFile(ctx context.Context, size int64) error {
	if err := db.checkTables(ctx); err != nil {
		return err
	}
	if size <= syncCheckMax {
		return db.quickCheck(ctx, db.writer)
	}
	db.checking.Store(true)
	go func() {
		defer db.checking.Store(false)
		if err := db.quickCheck(context.Background(), db.reader); errors.Is(err, ErrDamaged) {
			db.damagedErr.Store(&err)
			db.damaged.Store(true)
		}
	}()
	return nil
}

// quickCheck runs PRAGMA quick_check on pool.
func (db *DB) quickCheck(ctx context.Context, pool *sql.DB) error {
	rows, err := pool.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		if damaged(err) {
			return fmt.Errorf("%w (quick_check: %v)", ErrDamaged, err)
		}
		return wrap("quick_check", err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return wrap("quick_check", err)
		}
		problems = append(problems, line)
	}
	err = rows.Err()
	rows.Close()
	if err != nil && damaged(err) {
		return fmt.Errorf("%w (quick_check: %v)", ErrDamaged, err)
	} else if err != nil {
		return wrap("quick_check", err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return fmt.Errorf("%w (quick_check: %s)", ErrDamaged, strings.Join(problems[:min(len(problems), 3)], "; "))
	}
	return nil
}

// checkTables refuses a file with tables that are not ours.
func (db *DB) checkTables(ctx context.Context) error {
	known, err := ourTables()
	if err != nil {
		return err
	}
	tables, err := queryAll(ctx, db.writer, func(s scanner) (string, error) {
		var name string
		return name, s.Scan(&name)
	}, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		if damaged(err) {
			return fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		return wrap("list tables", err)
	}
	var foreign []string
	for _, t := range tables {
		if !known[strings.ToLower(t)] {
			foreign = append(foreign, t)
		}
	}
	if len(foreign) > 0 {
		return fmt.Errorf("%w (%s): point it at a new file (created on first start)", ErrForeign, strings.Join(foreign[:min(len(foreign), 5)], ", "))
	}
	return nil
}

var createTable = regexp.MustCompile(`(?i)CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)`)

// createFTS finds a full-text table, which SQLite keeps in shadow tables
// named after it.
var createFTS = regexp.MustCompile(`(?i)CREATE\s+VIRTUAL\s+TABLE\s+"?(\w+)"?\s+USING\s+fts5`)

// ourTables names every table the migrations create, and the migrations'
// own record.
func ourTables() (map[string]bool, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	known := map[string]bool{"schema_migrations": true}
	for _, n := range names {
		b, err := fs.ReadFile(migrations, n)
		if err != nil {
			return nil, fmt.Errorf("sqlite: migrations: %w", err)
		}
		for _, m := range createTable.FindAllStringSubmatch(string(b), -1) {
			known[strings.ToLower(m[1])] = true
		}
		for _, m := range createFTS.FindAllStringSubmatch(string(b), -1) {
			for _, shadow := range []string{"", "_data", "_idx", "_content", "_docsize", "_config"} {
				known[strings.ToLower(m[1])+shadow] = true
			}
		}
	}
	return known, nil
}

// noteDamage remembers that SQLite found the file damaged while serving,
// so Ping (and /readyz) fail from then on.
func (db *DB) noteDamage(err error) error {
	if err != nil && damaged(err) {
		db.damaged.Store(true)
	}
	return err
}

// Ping reports whether the store can read and write: it fails once an
// operation found the file damaged, and otherwise reads the newest
// payment and schema record and takes the write lock to rewrite one row
// in place, rolled back (no fsync; a full disk shows up in real writes).
func (db *DB) Ping(ctx context.Context) error {
	if db.damaged.Load() {
		if e := db.damagedErr.Load(); e != nil {
			return *e
		}
		return ErrDamaged
	}
	if db.checking.Load() {
		return errChecking
	}
	var id string
	err := db.reader.QueryRowContext(ctx, "SELECT id FROM payments ORDER BY rowid DESC LIMIT 1").Scan(&id)
	if err != nil && !errors.Is(err, errNoRows) {
		return db.pingErr("read", err)
	}
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return db.pingErr("write", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE schema_migrations SET applied_at = applied_at
		WHERE version = (SELECT MAX(version) FROM schema_migrations)`); err != nil {
		return db.pingErr("write", err)
	}
	return nil
}

func (db *DB) pingErr(op string, err error) error {
	if db.noteDamage(err) != nil && db.damaged.Load() {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	return fmt.Errorf("sqlite: ping (%s): %w", op, err)
}
