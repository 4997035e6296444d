//go:build unix

package sqlite

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFilesOwnerOnly: under the usual umask (022) a new database, its
// -wal and -shm (SQLite gives them the main file's mode) are created
// owner-only, as backups are; and the database hpp restore replaces is
// kept owner-only even if it was readable by others before.
func TestFilesOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "hpp.db")
	db := mustOpen(t, path)
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", filepath.Base(f), err, fi.Mode().Perm())
		}
	}
	backup := filepath.Join(dir, "backup.db")
	if err := Backup(t.Context(), path, backup); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.Chmod(path, 0o644); err != nil { // as databases were created before
		t.Fatal(err)
	}
	kept, err := Restore(t.Context(), path, backup)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{kept, path} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("after restore, %s: %v, mode %v; want 0600", filepath.Base(f), err, fi.Mode().Perm())
		}
	}
}
