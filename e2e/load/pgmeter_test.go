package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRcharOf: rcharOf counts what a process reads through read(2), the
// figure behind the growth rows' pg_read_kb_per_op.
func TestRcharOf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(path, make([]byte, 256<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	before := rcharOf(os.Getpid())
	if before < 0 {
		t.Skip("/proc/self/io is not readable here")
	}
	if _, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	if got := rcharOf(os.Getpid()) - before; got < 256<<10 {
		t.Errorf("rchar grew by %d after reading 256 KiB, want at least that", got)
	}
	if got := rcharOf(-1); got != -1 {
		t.Errorf("rcharOf(no such process) = %d, want -1", got)
	}
}
