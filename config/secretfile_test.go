package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// liveEnv is a complete live configuration with over's changes.
func liveEnv(over map[string]string) func(string) string {
	strong := "3f9c1e7a5b2d8064f1a9c3e7d5b1f093"
	base := map[string]string{
		"HPP_PUBLIC_URL": "https://pay.example.com", "HPP_API_KEY": strong, "HPP_SESSION_KEY": "8d2b6f0a4c9e1357bd0e4a8c2f6b1d93",
		"LATIPAY_API_KEY": "CANARY-LATIPAY-" + strong, "LATIPAY_USER_ID": "U000000001", "LATIPAY_WALLET_NZD": "W000000001",
		"HPP_WEBHOOK_SECRET": "c0e8a2f7d1b9e4a6c5b3d7f9e1a2c4b6", "HPP_MERCHANT_ORIGINS": "https://shop.example.com",
		"HPP_TRUSTED_PROXIES": "10.0.0.1",
	}
	return func(k string) string {
		if v, ok := over[k]; ok {
			return v
		}
		return base[k]
	}
}

// writeSecret writes a secret file with exactly mode (chmod is not
// subject to the umask).
func writeSecret(t *testing.T, path, content string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSecretFilePermissions: secret files are accepted as Kubernetes
// (0644) and Swarm (0444) mount them, with a warning naming the setting
// and the file; owner-only files give no warning; files that group or
// others may write are refused in live and sandbox mode alike. No message
// carries the secret.
func TestSecretFilePermissions(t *testing.T) {
	strong := "3f9c1e7a5b2d8064f1a9c3e7d5b1f093"
	dir := t.TempDir()
	for _, tc := range []struct {
		setting string
		mode    os.FileMode
		warned  bool
		refused bool
	}{
		{"HPP_API_KEY", 0o600, false, false},
		{"HPP_API_KEY", 0o400, false, false},
		{"HPP_API_KEY", 0o640, true, false},
		{"HPP_API_KEY", 0o644, true, false},     // Kubernetes' default
		{"HPP_SESSION_KEY", 0o444, true, false}, // Swarm's default
		{"LATIPAY_API_KEY", 0o604, true, false},
		{"HPP_LINK_SECRET", 0o666, false, true}, // world-writable
		{"HPP_API_KEY", 0o602, false, true},
		{"HPP_SESSION_KEY", 0o620, false, true}, // group-writable
	} {
		name := fmt.Sprintf("%s_%04o", tc.setting, tc.mode)
		t.Run(name, func(t *testing.T) {
			p := writeSecret(t, filepath.Join(dir, name), "CANARY-FILE-"+strong, tc.mode)
			setting := tc.setting + "_FILE"
			c, err := Load(liveEnv(map[string]string{tc.setting: "", setting: p}))
			if tc.refused {
				if err == nil || !strings.Contains(err.Error(), setting) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "written") {
					t.Fatalf("Load with %s mode %04o = %v, want a refusal naming %s and the file", setting, tc.mode, err, setting)
				}
				if strings.Contains(err.Error(), "CANARY") {
					t.Errorf("the error echoes the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load with %s mode %04o: %v", setting, tc.mode, err)
			}
			warned := strings.Join(c.Warnings, "\n")
			if tc.warned != (strings.Contains(warned, setting) && strings.Contains(warned, p)) || len(c.Warnings) > 1 {
				t.Errorf("warnings = %q, want a warning naming %s and the file: %v", c.Warnings, setting, tc.warned)
			}
			if strings.Contains(warned, "CANARY") {
				t.Errorf("a warning echoes the secret: %q", warned)
			}
		})
	}
	// Sandbox (no LATIPAY_API_KEY): the same rules.
	p := writeSecret(t, filepath.Join(dir, "sandbox-api-key"), "CANARY-"+strong, 0o644)
	c, err := Load(func(k string) string {
		if k == "HPP_API_KEY_FILE" {
			return p
		}
		return ""
	})
	if err != nil || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "HPP_API_KEY_FILE") || c.APIKey.Reveal() != "CANARY-"+strong {
		t.Errorf("sandbox with a 0644 secret file = %q, %v; want it read with one warning naming HPP_API_KEY_FILE", c.Warnings, err)
	}
}

// TestSecretFileSymlinks builds a Kubernetes secret volume as the kubelet
// does (key -> ..data/key, ..data -> ..2025_01_01_00_00_00.1/) and checks
// that it is read, while a symlink out of the mount directory, a dangling
// link and a directory are refused with the setting and path named.
func TestSecretFileSymlinks(t *testing.T) {
	strong := "5c0e8a2f7d1b9e4a6c3f0d8b2e7a1c95"
	mount := filepath.Join(t.TempDir(), "secrets")
	stamp := filepath.Join(mount, "..2025_01_01_00_00_00.1")
	if err := os.MkdirAll(stamp, 0o755); err != nil {
		t.Fatal(err)
	}
	writeSecret(t, filepath.Join(stamp, "api-key"), "K8S-"+strong, 0o644)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("..2025_01_01_00_00_00.1", filepath.Join(mount, "..data")))
	must(os.Symlink("..data/api-key", filepath.Join(mount, "api-key")))
	outside := writeSecret(t, filepath.Join(t.TempDir(), "elsewhere"), "OUTSIDE-"+strong, 0o600)
	must(os.Symlink(outside, filepath.Join(mount, "escape")))
	must(os.Symlink("missing", filepath.Join(mount, "dangling")))

	c, err := Load(liveEnv(map[string]string{"HPP_API_KEY": "", "HPP_API_KEY_FILE": filepath.Join(mount, "api-key")}))
	if err != nil || c.APIKey.Reveal() != "K8S-"+strong {
		t.Fatalf("Kubernetes-style secret: %v (key read: %v)", err, c.APIKey.Reveal() == "K8S-"+strong)
	}
	for _, name := range []string{"escape", "dangling", "..2025_01_01_00_00_00.1"} {
		p := filepath.Join(mount, name)
		_, err := Load(liveEnv(map[string]string{"HPP_API_KEY": "", "HPP_API_KEY_FILE": p}))
		if err == nil || !strings.Contains(err.Error(), "HPP_API_KEY_FILE") || !strings.Contains(err.Error(), p) {
			t.Errorf("HPP_API_KEY_FILE=%s: %v, want a refusal naming the setting and the file", name, err)
		} else if strings.Contains(err.Error(), strong) {
			t.Errorf("the error echoes the secret: %v", err)
		}
	}
}

// TestDatabaseFile: HPP_DATABASE_FILE supplies the PostgreSQL URL (its
// password with it) from a mounted secret; setting both is refused.
func TestDatabaseFile(t *testing.T) {
	url := "postgres://hpp:CANARY-PW@db:5432/hpp?sslmode=disable"
	p := writeSecret(t, filepath.Join(t.TempDir(), "database"), url, 0o444)
	c, err := Load(liveEnv(map[string]string{"HPP_DATABASE_FILE": p}))
	if err != nil || c.Database != url {
		t.Fatalf("HPP_DATABASE_FILE: Database = %q, %v", c.Database, err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "HPP_DATABASE_FILE") || strings.Contains(c.Warnings[0], "CANARY") {
		t.Errorf("warnings = %q, want one naming HPP_DATABASE_FILE without the password", c.Warnings)
	}
	_, err = Load(liveEnv(map[string]string{"HPP_DATABASE_FILE": p, "HPP_DATABASE": "hpp.db"}))
	if err == nil || !strings.Contains(err.Error(), "HPP_DATABASE_FILE") {
		t.Errorf("both HPP_DATABASE and HPP_DATABASE_FILE = %v, want a refusal", err)
	}
	if db, _, err := Database(func(string) string { return "" }); err != nil || db != "hpp.db" {
		t.Errorf("Database() with nothing set = %q, %v; want hpp.db", db, err)
	}
}

// TestRotationSaysWhichKeyIsShort: a rotated key list (current first)
// with one short key is refused saying which one by its place, never by
// its value, for each setting that takes a list.
func TestRotationSaysWhichKeyIsShort(t *testing.T) {
	strong, other := "4b8e2c6a0f1d3957ce2a6b0d4f8c1e73", "9d3f7b1e5a2c8064df1b5a9c3e7d2f08"
	for _, tc := range []struct{ name, value, want string }{
		{"HPP_SESSION_KEY", strong + ",short", "HPP_SESSION_KEY_FILE: the second key must be at least 32 random characters"},
		{"HPP_SESSION_KEY", "short," + strong, "HPP_SESSION_KEY_FILE: the first key must be at least 32 random characters"},
		{"HPP_API_KEY", strong + "," + other + ",short", "HPP_API_KEY_FILE: the third key must be at least 32 random characters"},
		{"HPP_WEBHOOK_SECRET", strong + ",short", "HPP_WEBHOOK_SECRET_FILE: the second secret must be at least 32 random characters"},
		{"HPP_SESSION_KEY", "short", "HPP_SESSION_KEY_FILE: must be at least 32 random characters"},
	} {
		file := writeSecret(t, filepath.Join(t.TempDir(), "key"), tc.value, 0o400)
		var out bytes.Buffer
		err := Check(liveEnv(map[string]string{tc.name: "", tc.name + "_FILE": file}), &out)
		if err == nil || !strings.Contains(out.String(), "problem: "+tc.want) || strings.Contains(out.String(), `"short"`) ||
			strings.Contains(out.String(), strong) {
			t.Errorf("%s_FILE holding %d keys, one short: check-config = %v, want %q:\n%s", tc.name, strings.Count(tc.value, ",")+1, err, tc.want, out.String())
		}
	}
}

// TestRefusedLatipayKeyFileIsLive: a LATIPAY_API_KEY_FILE that is set
// but refused (missing, or writable by others) made check-config say
// "sandbox (LATIPAY_API_KEY is unset…) mode" and report that problem
// alone; the next live problem came only once it was fixed. The file's
// being set says live: check-config says so, naming it, and every live
// problem comes at once, the key's own checks left to the file's.
func TestRefusedLatipayKeyFileIsLive(t *testing.T) {
	dir := t.TempDir()
	open := writeSecret(t, filepath.Join(dir, "latipay-0666"), "CANARY-3f9c1e7a5b2d8064f1a9c3e7", 0o666)
	for what, file := range map[string]string{"missing": filepath.Join(dir, "missing"), "mode 0666": open} {
		getenv := liveEnv(map[string]string{"LATIPAY_API_KEY": "", "LATIPAY_API_KEY_FILE": file,
			"HPP_PUBLIC_URL": "", "HPP_API_KEY": "", "LATIPAY_USER_ID": ""})
		var out bytes.Buffer
		err := Check(getenv, &out)
		text := out.String()
		if err == nil || !strings.Contains(text, "check-config: live (LATIPAY_API_KEY_FILE is set") || strings.Contains(text, "sandbox") {
			t.Errorf("LATIPAY_API_KEY_FILE %s: check-config = %v, want live mode naming LATIPAY_API_KEY_FILE:\n%s", what, err, text)
		}
		for _, want := range []string{"problem: LATIPAY_API_KEY_FILE: ", file, "problem: HPP_PUBLIC_URL: is required",
			"problem: HPP_API_KEY: is required", "problem: LATIPAY_USER_ID: is required"} {
			if !strings.Contains(text, want) {
				t.Errorf("LATIPAY_API_KEY_FILE %s: check-config does not report %q:\n%s", what, want, text)
			}
		}
		if n := strings.Count(text, "problem: LATIPAY_API_KEY"); n != 1 || strings.Contains(text, "CANARY") {
			t.Errorf("LATIPAY_API_KEY_FILE %s: %d problems about the key, want its file's alone, without the key:\n%s", what, n, text)
		}
		_, loadErr := Load(getenv)
		if loadErr == nil || !strings.Contains(loadErr.Error(), "LATIPAY_USER_ID") || !strings.Contains(loadErr.Error(), "HPP_PUBLIC_URL") {
			t.Errorf("LATIPAY_API_KEY_FILE %s: Load = %v, want every live problem", what, loadErr)
		}
	}
}
