package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// ErrInUse is a database file another process holds (lockFile): a
// server runs on it.
var ErrInUse = errors.New("in use by another process")

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
	if err := checkTables(ctx, db.writer); err != nil {
		return err
	}
	if size <= syncCheckMax {
		return quickCheck(ctx, db.writer)
	}
	db.checking.Store(true)
	go func() {
		defer db.checking.Store(false)
		if err := quickCheck(context.Background(), db.reader); errors.Is(err, ErrDamaged) {
			db.damagedErr.Store(&err)
			db.damaged.Store(true)
		}
	}()
	return nil
}

// quickCheck runs PRAGMA quick_check on pool.
func quickCheck(ctx context.Context, pool *sql.DB) error {
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
func checkTables(ctx context.Context, pool *sql.DB) error {
	known, err := ourTables()
	if err != nil {
		return err
	}
	tables, err := queryAll(ctx, pool, func(s scanner) (string, error) {
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
		return &ForeignError{Tables: foreign[:min(len(foreign), 5)]}
	}
	return nil
}

// ForeignError is ErrForeign with the tables found (the first five). Its
// text gives start-up's advice; a command that works on the server's
// data (hpp admin) gives its own.
type ForeignError struct{ Tables []string }

func (e *ForeignError) Error() string {
	return fmt.Sprintf("%v (%s): point it at a new file (created on first start)", ErrForeign, strings.Join(e.Tables, ", "))
}

// Is makes a ForeignError match ErrForeign.
func (e *ForeignError) Is(target error) bool { return target == ErrForeign }

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

// folderError says that the database's folder dir cannot be written
// (why: writable's error), in the same words at start-up and in
// hpp check-config: the server keeps its lock, the WAL and the shared
// memory file beside the database, so a read-only folder (a read-only
// volume or file system) stops it even when the file itself is sound.
func folderError(dir string, why error) error {
	return fmt.Errorf("sqlite: cannot write in the database's folder %s (%v): hpp keeps its .lock, -wal and -shm files beside the database; make the folder writable for this user (a read-write volume)", dir, reason(why))
}

// Inspect runs start-up's checks of the database file at path without
// changing it (hpp check-config asks it, while the server may run): a
// file holding another program's tables (ErrForeign), one SQLite finds
// damaged (ErrDamaged; a file over syncCheckMax, which start-up checks
// in the background, is not read through), a schema newer than this
// program's. No file is fine when its directory exists and this user may
// write to it: start-up creates the database there. setting names where
// path came from (HPP_DATABASE or HPP_DATABASE_FILE), for the advice.
func Inspect(ctx context.Context, path, setting string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		dir := filepath.Dir(path)
		if di, err := os.Stat(dir); err != nil || !di.IsDir() {
			return fmt.Errorf("sqlite: no directory %s to create the database in: create it, or point %s at a file in a directory that exists", dir, setting)
		}
		if err := writable(dir); err != nil {
			return fmt.Errorf("sqlite: cannot create the database in %s: %w", dir, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: %w", reason(err))
	}
	if fi.IsDir() {
		return errors.New("sqlite: it is a directory: name a file")
	}
	if dir := filepath.Dir(path); writable(dir) != nil {
		return folderError(dir, writable(dir)) // as start-up says it (lockFile)
	}
	if fi.Size() == 0 {
		return nil // start-up fills an empty file
	}
	return readOnly(path, func(db *sql.DB) error { return inspect(ctx, db, fi.Size()) })
}

// inspect is Inspect's reading of the open file, size bytes long.
func inspect(ctx context.Context, db *sql.DB, size int64) error {
	if err := checkTables(ctx, db); err != nil {
		return err
	}
	if size <= syncCheckMax {
		if err := quickCheck(ctx, db); err != nil {
			return err
		}
	}
	var have bool
	if err := db.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')`).Scan(&have); err != nil {
		return wrap("schema version", err)
	}
	if !have {
		return nil
	}
	ours, err := newest()
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	if err := newerSchema(ctx, db, ours); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

// readOnly runs fn on the database file at path opened read-only, and
// leaves no file behind: SQLite creates a WAL database's -wal and -shm
// files for a read-only connection too, and only the last writer to
// close removes them. Those it created are removed when no process holds
// the file (tryLock: a server running on it uses them); those that were
// there before are left alone. The busy timeout rides out a lock held a
// moment (a server closing the file checkpoints it).
func readOnly(path string, fn func(*sql.DB) error) error {
	var before [2]bool
	for i, side := range sideFiles {
		_, err := os.Lstat(path + side)
		before[i] = err == nil
	}
	db, err := sql.Open("sqlite", "file:"+escape(path)+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	err = fn(db)
	db.Close()
	if before[0] && before[1] {
		return err
	}
	release, ok := tryLock(path)
	if !ok {
		return err
	}
	defer release()
	for i, side := range sideFiles {
		fi, statErr := os.Lstat(path + side)
		// A -wal this connection created is empty: it never writes.
		if !before[i] && statErr == nil && fi.Mode().IsRegular() && (side != "-wal" || fi.Size() == 0) {
			os.Remove(path + side)
		}
	}
	return err
}

// sideFiles are the files SQLite keeps beside a WAL database.
var sideFiles = [2]string{"-wal", "-shm"}

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
// in place, rolled back (no fsync; a full disk shows up in real writes,
// which the store remembers: LastWriteFailure, writehealth.go).
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
