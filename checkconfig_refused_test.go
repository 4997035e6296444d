package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfigRefusedSecretFile: `hpp check-config` with
// LATIPAY_API_KEY_FILE set to a file it refuses (writable by others, or
// missing) lists LATIPAY_API_KEY as set through that file and refused,
// saying why (the path and the cause), not as "(not set)", which would
// send the operator to set what is set; the file's content is never
// printed, and the check fails. HPP_DATABASE_FILE likewise.
func TestCheckConfigRefusedSecretFile(t *testing.T) {
	dir := t.TempDir()
	writable := filepath.Join(dir, "latipay-writable")
	if err := os.WriteFile(writable, []byte("CANARY-latipay-7e3a91c5d2f8\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(writable, 0o666); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, why string
	}{
		{writable, "may be written by group or others (mode 0666)"},
		{filepath.Join(dir, "absent"), "cannot read " + filepath.Join(dir, "absent") + ": no such file or directory"},
	} {
		env := map[string]string{"HPP_PUBLIC_URL": "https://pay.example.com", "HPP_API_KEY": "CANARY-api-3f9c1e7a5b2d8064f1a9c3e7",
			"HPP_SESSION_KEY": "CANARY-session-8d2b6f0a4c9e1357bd", "LATIPAY_API_KEY_FILE": tc.path,
			"LATIPAY_USER_ID": "U000000001", "LATIPAY_WALLET_NZD": "W000000001",
			"HPP_WEBHOOK_SECRET": "CANARY-webhook-5c0e8a2f7d1b9e4a6c"}
		stdout, stderr, status := hppEnv(t, env, "check-config")
		var line string
		for l := range strings.SplitSeq(stdout, "\n") {
			if strings.HasPrefix(l, "LATIPAY_API_KEY ") {
				line = l
			}
		}
		if status != 1 || !strings.Contains(stdout, "problem: LATIPAY_API_KEY_FILE") {
			t.Errorf("check-config with LATIPAY_API_KEY_FILE refused = exit %d, want 1 and the problem:\n%s%s", status, stdout, stderr)
		}
		if !strings.Contains(line, "LATIPAY_API_KEY_FILE is set but refused") || !strings.Contains(line, tc.why) ||
			strings.Contains(line, "(not set)") {
			t.Errorf("check-config lists %q; want LATIPAY_API_KEY set through its file, refused, and why (%s)", line, tc.why)
		}
		if strings.Contains(stdout+stderr, "CANARY") {
			t.Errorf("check-config prints a secret:\n%s%s", stdout, stderr)
		}
	}

	// HPP_DATABASE_FILE, which may hold a PostgreSQL password, alike.
	dbFile := filepath.Join(dir, "database")
	if err := os.WriteFile(dbFile, []byte("postgres://hpp:CANARY-db-4b8e@db.example:5432/hpp\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dbFile, 0o666); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, status := hppEnv(t, map[string]string{"HPP_DATABASE": "", "HPP_DATABASE_FILE": dbFile}, "check-config")
	var line string
	for l := range strings.SplitSeq(stdout, "\n") {
		if strings.HasPrefix(l, "HPP_DATABASE ") {
			line = l
		}
	}
	if status != 1 || !strings.Contains(line, "HPP_DATABASE_FILE is set but refused") || !strings.Contains(line, "may be written by group or others") {
		t.Errorf("check-config with HPP_DATABASE_FILE refused = exit %d, lists %q; want 1, set through its file, refused, and why:\n%s%s",
			status, line, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "CANARY") {
		t.Errorf("check-config prints the database's password:\n%s%s", stdout, stderr)
	}
}
