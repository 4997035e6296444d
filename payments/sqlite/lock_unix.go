//go:build unix

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile holds path+".lock" with an exclusive flock(2) for as long as
// the process has the database open, so that a second process (another
// instance pointed at the same file by mistake) fails at start-up with a
// clear error instead of writing behind this one's back: pushes and the
// payment cache (cache.go) are in-process. Several instances need
// PostgreSQL. The kernel drops the lock when the process ends, however it
// ends.
func lockFile(path string) (*os.File, error) {
	// A folder that exists but cannot be written stops the server even
	// when the lock file is there from an earlier run: SQLite creates
	// the -wal and -shm files beside the database.
	dir := filepath.Dir(path)
	if di, err := os.Stat(dir); err == nil && di.IsDir() && writable(dir) != nil {
		return nil, folderError(dir, writable(dir))
	}
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("sqlite: %s is %w; one SQLite file serves one instance (run several instances on PostgreSQL)", path, ErrInUse)
		}
		return nil, fmt.Errorf("sqlite: lock %s.lock: %w", path, err)
	}
	return f, nil
}

// tryLock takes path's process lock if no process holds it (no server
// runs on path), creating path+".lock" if it is not there; release
// removes the lock file if tryLock created it, then unlocks. ok is false
// when another process holds the lock or it cannot be taken.
func tryLock(path string) (release func(), ok bool) {
	_, err := os.Lstat(path + ".lock")
	created := errors.Is(err, os.ErrNotExist)
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return func() {
		if created {
			os.Remove(path + ".lock") // while still held: a server starting now waits for none
		}
		f.Close()
	}, true
}

// DropLock removes path+".lock" when no process holds it: a command
// that opened the file for a moment (hpp admin) leaves nothing of its
// own beside it. A server's lock file, held while it runs, stays.
func DropLock(path string) {
	if release, ok := tryLock(path); ok {
		os.Remove(path + ".lock")
		release()
	}
}

// writable reports whether this user may create files in dir.
func writable(dir string) error {
	return syscall.Access(dir, 0x2|0x1) // W_OK|X_OK
}
