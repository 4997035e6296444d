package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretFilePermissions is test 105's last clause: in live mode
// start-up refuses a *_FILE secret that group or others may read, naming
// the setting and never the secret; owner-only files are accepted; in
// sandbox mode the same file is only a warning.
func TestSecretFilePermissions(t *testing.T) {
	strong := "3f9c1e7a5b2d8064f1a9c3e7d5b1f093"
	dir := t.TempDir()
	file := func(name string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("CANARY-FILE-"+strong+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // not subject to the umask
			t.Fatal(err)
		}
		return p
	}
	live := func(over map[string]string) func(string) string {
		base := map[string]string{
			"HPP_PUBLIC_URL": "https://pay.example.com", "HPP_API_KEY": strong, "HPP_SESSION_KEY": "8d2b6f0a4c9e1357bd0e4a8c2f6b1d93",
			"LATIPAY_API_KEY": "CANARY-LATIPAY-" + strong, "LATIPAY_USER_ID": "U000000001", "LATIPAY_WALLET_NZD": "W000000001",
		}
		return func(k string) string {
			if v, ok := over[k]; ok {
				return v
			}
			return base[k]
		}
	}
	for _, tc := range []struct {
		setting string
		mode    os.FileMode
		refused bool
	}{
		{"HPP_API_KEY", 0o600, false},
		{"HPP_API_KEY", 0o400, false},
		{"HPP_API_KEY", 0o640, true},
		{"HPP_API_KEY", 0o604, true},
		{"HPP_API_KEY", 0o644, true},
		{"HPP_SESSION_KEY", 0o440, true},
		{"LATIPAY_API_KEY", 0o644, true},
		{"HPP_LINK_SECRET", 0o660, true},
	} {
		name := fmt.Sprintf("%s_%04o", tc.setting, tc.mode)
		t.Run(name, func(t *testing.T) {
			p := file(name, tc.mode)
			_, err := Load(live(map[string]string{tc.setting: "", tc.setting + "_FILE": p}))
			if !tc.refused {
				if err != nil {
					t.Fatalf("owner-only %s_FILE (%04o) refused: %v", tc.setting, tc.mode, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.setting+"_FILE") {
				t.Fatalf("Load with %s_FILE mode %04o = %v, want an error naming %s_FILE", tc.setting, tc.mode, err, tc.setting)
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Errorf("the error echoes the secret: %v", err)
			}
		})
	}

	// Sandbox (no LATIPAY_API_KEY): a warning, not a refusal.
	p := file("sandbox-api-key", 0o644)
	c, err := Load(func(k string) string {
		if k == "HPP_API_KEY_FILE" {
			return p
		}
		return ""
	})
	if err != nil {
		t.Fatalf("sandbox with a 0644 secret file refused: %v", err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "HPP_API_KEY_FILE") || strings.Contains(c.Warnings[0], "CANARY") {
		t.Errorf("sandbox warnings = %q, want one naming HPP_API_KEY_FILE without the secret", c.Warnings)
	}
}
