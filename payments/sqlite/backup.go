package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Online backup and restore.
//
// Backup copies the database while the app serves it. The running server
// holds <db>.lock (one process per file), so Backup does not open the
// store: it opens its own read-only connection and runs SQLite's
// VACUUM INTO, which writes one consistent snapshot (a single read
// transaction, WAL content included) into a new, compacted file. Writers
// carry on meanwhile: in WAL mode a reader never blocks them. Every
// transaction committed before Backup starts is in the copy; later ones
// may be.
//
// Restore puts a backup in place of the database. It takes <db>.lock, so
// it refuses while a server runs on the file, checks the backup first,
// and keeps the database it replaces (with its -wal and -shm files) next
// to it as <db>.replaced-<time>.

// Backup writes a consistent copy of the SQLite database at path to dest,
// which must not exist yet. The copy is written beside dest, checked with
// PRAGMA integrity_check, synced and then renamed to dest, so dest is
// either complete or absent.
func Backup(ctx context.Context, path, dest string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup: cannot read the database %s: %w", path, reason(err))
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("backup: %s already exists; give a new file name", dest)
	}
	dir := filepath.Dir(dest)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".partial-*")
	if err != nil {
		return fmt.Errorf("backup: cannot write in %s: %w", dir, reason(err))
	}
	partial := tmp.Name()
	tmp.Close()
	// VACUUM INTO wants a file that does not exist or is empty: it is
	// empty, and only we know its random name.
	defer os.Remove(partial)

	src, err := sql.Open("sqlite", "file:"+escape(path)+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", path, err)
	}
	defer src.Close()
	src.SetMaxOpenConns(1)
	if _, err := src.ExecContext(ctx, `VACUUM INTO ?`, partial); err != nil {
		return fmt.Errorf("backup: copy %s: %w", path, err)
	}
	if err := check(ctx, partial); err != nil {
		return fmt.Errorf("backup: the copy fails its check: %w", err)
	}
	if err := syncFile(partial); err != nil {
		return fmt.Errorf("backup: sync %s: %w", partial, err)
	}
	if err := os.Link(partial, dest); err != nil { // never replaces an existing dest
		return fmt.Errorf("backup: cannot write %s: %w", dest, reason(err))
	}
	return syncDir(dir)
}

// Restore replaces the database at path with the backup at from. It
// refuses while another process holds the database, and when the backup
// is not a sound hpp database. The database it replaces is kept as
// path+".replaced-<UTC time>" (with its -wal and -shm files); it returns
// that name ("" when there was none). The restored copy has no trusted
// devices (voidDevices): the backup's may have been voided since.
func Restore(ctx context.Context, path, from string) (kept string, err error) {
	if err := check(ctx, from); err != nil {
		return "", fmt.Errorf("restore: %s is not a sound backup: %w", from, err)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.IsDir()) {
		return "", fmt.Errorf("restore: the folder %s does not exist: create it, or point HPP_DATABASE at the database's folder", dir)
	}
	lock, err := lockFile(path)
	if err != nil {
		return "", fmt.Errorf("restore: stop the server first: %w", err)
	}
	defer unlock(lock)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".restore-*")
	if err != nil {
		return "", fmt.Errorf("restore: cannot write in %s: %w", dir, reason(err))
	}
	defer os.Remove(tmp.Name())
	in, err := os.Open(from)
	if err != nil {
		tmp.Close()
		return "", fmt.Errorf("restore: %w", err)
	}
	_, err = io.Copy(tmp, in)
	in.Close()
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("restore: copy: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	if err := voidDevices(ctx, tmp.Name()); err != nil {
		return "", fmt.Errorf("restore: void the trusted devices: %w", err)
	}
	if _, err := os.Stat(path); err == nil {
		kept = path + ".replaced-" + time.Now().UTC().Format("20060102T150405Z")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(path+suffix, kept+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("restore: keep the old database: %w", err)
			}
			// Owner-only, as backups are: a database made before files
			// were created 0600 would otherwise lie about, readable, with
			// its accounts and sessions.
			if err := os.Chmod(kept+suffix, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("restore: %w", err)
			}
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return kept, fmt.Errorf("restore: %w", err)
	}
	return kept, syncDir(dir)
}

// voidDevices deletes every trusted device (the browsers' sign-in device
// cookies, payments/accounts) from the restored copy at path, before it
// takes the database's place. A backup holds the devices of its time:
// one voided since (a new password, a removal, hpp admin end-sessions)
// would count its browser's wrong passwords apart from the account's
// again. Dropping them all is safe: a device only gives a browser its own
// failure count, and people sign in again as usual. A backup from before
// the table existed has none; the migrations create it empty.
func voidDevices(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+escape(path)+"?_pragma=busy_timeout(5000)&_pragma=synchronous(FULL)")
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	var have bool
	err = db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trusted_devices')`).Scan(&have)
	if err == nil && have {
		_, err = db.ExecContext(ctx, `DELETE FROM trusted_devices`)
	}
	// The last connection to close checkpoints a WAL file into the
	// database and removes it, so the copy is whole again.
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return syncFile(path)
}

// check opens a database file read-only and runs PRAGMA integrity_check;
// it also wants the migrations table, so any other SQLite file fails, and
// no migration newer than this program's, which start-up would refuse.
func check(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return reason(err)
	}
	db, err := sql.Open("sqlite", "file:"+escape(path)+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	// SQLite reports damage over several rows, a row over several lines
	// ("*** in database main ***" then "Tree 61 page 61: …"): put on one
	// line, the report stays one problem, in a log record of its own.
	var report []string
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check(10)`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var res string
		if err := rows.Scan(&res); err != nil {
			rows.Close()
			return err
		}
		for line := range strings.SplitSeq(res, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				report = append(report, line)
			}
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return err
	}
	if len(report) != 1 || report[0] != "ok" {
		return fmt.Errorf("integrity_check: %s", strings.Join(report, "; "))
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n == 0 {
		return errors.New("no hpp schema in it")
	}
	ours, err := newest()
	if err != nil {
		return err
	}
	return newerSchema(ctx, db, ours)
}

// escape makes a path safe inside a file: URI ('?' or '#' in a name).
func escape(path string) string { return (&url.URL{Path: path}).EscapedPath() }

// reason is the cause of a file error without the path, which the
// messages above already name.
func reason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // not every file system syncs directories
	return nil
}
