package config

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLiveWarnsUnsignedRedirectsAndOpenReturnURLs: live without
// HPP_WEBHOOK_SECRET the Back-to-shop redirect carries no sig, and without
// HPP_MERCHANT_ORIGINS return URLs may point anywhere: both are warned of
// (start-up logs Warnings; check-config prints them), naming the setting.
func TestLiveWarnsUnsignedRedirectsAndOpenReturnURLs(t *testing.T) {
	if c, err := Load(liveEnv(nil)); err != nil || len(c.Warnings) > 0 {
		t.Fatalf("full live configuration: %v, warnings %q", err, c.Warnings)
	}
	for name, want := range map[string]string{"HPP_WEBHOOK_SECRET": "redirect carries no sig", "HPP_MERCHANT_ORIGINS": "may be any https URL"} {
		var out bytes.Buffer
		if err := Check(liveEnv(map[string]string{name: ""}), &out); err != nil || !strings.Contains(out.String(), "warning: "+name+": unset") ||
			!strings.Contains(out.String(), want) {
			t.Errorf("live without %s: check-config = %v:\n%s", name, err, out.String())
		}
	}
}

// TestEmptySecretFile: an empty *_FILE is a mount gone wrong: refused
// naming the file setting, in the sandbox (which would quietly generate
// a key) as live (which blamed HPP_API_KEY).
func TestEmptySecretFile(t *testing.T) {
	empty := writeSecret(t, filepath.Join(t.TempDir(), "api"), "\n", 0o400)
	for mode, getenv := range map[string]func(string) string{
		"live":    liveEnv(map[string]string{"HPP_API_KEY": "", "HPP_API_KEY_FILE": empty}),
		"sandbox": func(k string) string { return map[string]string{"HPP_API_KEY_FILE": empty}[k] },
	} {
		_, err := Load(getenv)
		if err == nil || !strings.Contains(err.Error(), "HPP_API_KEY_FILE: "+empty+" is empty") {
			t.Errorf("%s: empty HPP_API_KEY_FILE: Load = %v, want it named as empty", mode, err)
		}
	}
}

// TestCheckSaysWhereSandboxKeysAreKept: the sandbox's generated API key
// and link secret survive a restart (kept in the database); its session
// key is made afresh each run. check-config says which is which.
func TestCheckSaysWhereSandboxKeysAreKept(t *testing.T) {
	var out bytes.Buffer
	if err := Check(func(string) string { return "" }, &out); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"HPP_API_KEY": "(generated on the first sandbox start, kept in the database)",
		"HPP_LINK_SECRET": "(generated on the first sandbox start, kept in the database)", "HPP_SESSION_KEY": "(generated on the first sandbox start, kept in the database)"} {
		if !regexp.MustCompile(`(?m)^` + name + ` +` + regexp.QuoteMeta(want) + `$`).MatchString(out.String()) {
			t.Errorf("check-config in the sandbox: want %s %s:\n%s", name, want, out.String())
		}
	}
}
