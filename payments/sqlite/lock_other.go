//go:build !unix

package sqlite

import "os"

// lockFile does nothing where flock(2) is missing; see lock_unix.go.
func lockFile(path string) (*os.File, error) { return nil, nil }

// writable is not checked where access(2) is missing: start-up says.
func writable(dir string) error { return nil }

// tryLock never succeeds where flock(2) is missing: whether a server
// holds the file is unknown, so nothing beside it is removed.
func tryLock(path string) (release func(), ok bool) { return nil, false }

// DropLock does nothing where flock(2) is missing.
func DropLock(path string) {}
