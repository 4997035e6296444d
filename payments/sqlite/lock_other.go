//go:build !unix

package sqlite

import "os"

// lockFile does nothing where flock(2) is missing; see lock_unix.go.
func lockFile(path string) (*os.File, error) { return nil, nil }

// writable is not checked where access(2) is missing: start-up says.
func writable(dir string) error { return nil }
