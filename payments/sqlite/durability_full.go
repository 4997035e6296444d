//go:build !durabilitytest

package sqlite

// synchronousMode is the synchronous PRAGMA of every connection: FULL, so a
// WAL commit returns only after the WAL file is fsynced (invariant 2).
const synchronousMode = "FULL"
