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

// TestLiveWarnsProxyWithoutTrustedProxies: live with a plain listener
// behind an https HPP_PUBLIC_URL (a proxy terminates TLS) and no
// HPP_TRUSTED_PROXIES, every request seems to come from the proxy and the
// per-address limits are one budget for the shop: start-up (which logs
// Warnings) and check-config warn, naming the setting and what to set.
// With the setting, with the app's own TLS, or in the sandbox, no warning.
func TestLiveWarnsProxyWithoutTrustedProxies(t *testing.T) {
	var out bytes.Buffer
	if err := Check(liveEnv(map[string]string{"HPP_TRUSTED_PROXIES": ""}), &out); err != nil {
		t.Fatalf("check-config: %v\n%s", err, out.String())
	}
	for _, want := range []string{"warning: HPP_TRUSTED_PROXIES: unset while HPP_TLS is off", "lock the owner out of signing in", "set it to your proxy's address"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check-config live behind a proxy without HPP_TRUSTED_PROXIES: want %q:\n%s", want, out.String())
		}
	}
	certFile, keyFile := writeCert(t, "pay.example.com", 0o600)
	for name, getenv := range map[string]func(string) string{
		"trusted proxies set": liveEnv(nil),
		"own certificate":     liveEnv(map[string]string{"HPP_TRUSTED_PROXIES": "", "HPP_TLS_CERT_FILE": certFile, "HPP_TLS_KEY_FILE": keyFile}),
		"sandbox":             func(k string) string { return map[string]string{"HPP_PUBLIC_URL": "https://pay.example.com"}[k] },
	} {
		c, err := Load(getenv)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if w := strings.Join(c.Warnings, "\n"); strings.Contains(w, "HPP_TRUSTED_PROXIES") {
			t.Errorf("%s: warned %q", name, w)
		}
	}
}

// TestWarnsTrustedProxiesCoveringTheInternet: HPP_TRUSTED_PROXIES that
// covers the public internet (0.0.0.0/0, ::/0, any wide public range)
// lets anyone set X-Forwarded-For and pass the per-address limits as
// another address: start-up (which logs Warnings) and check-config warn,
// naming the setting, the range and what to set instead. A proxy's
// address, or a private network, is not warned of.
func TestWarnsTrustedProxiesCoveringTheInternet(t *testing.T) {
	for _, wide := range []string{"0.0.0.0/0", "::/0", "10.0.0.0/8,0.0.0.0/1", "52.0.0.0/8", "2000::/3", "::ffff:0.0.0.0/96"} {
		var out bytes.Buffer
		if err := Check(liveEnv(map[string]string{"HPP_TRUSTED_PROXIES": wide}), &out); err != nil {
			t.Fatalf("check-config: %v\n%s", err, out.String())
		}
		for _, want := range []string{"warning: HPP_TRUSTED_PROXIES: ", " covers a large part of the public internet", "X-Forwarded-For", "set it to your proxy's own address"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("HPP_TRUSTED_PROXIES=%s: check-config does not warn %q:\n%s", wide, want, out.String())
			}
		}
		sandbox := func(k string) string { return map[string]string{"HPP_TRUSTED_PROXIES": wide}[k] }
		if c, err := Load(sandbox); err != nil || !strings.Contains(strings.Join(c.Warnings, "\n"), "HPP_TRUSTED_PROXIES: ") {
			t.Errorf("HPP_TRUSTED_PROXIES=%s in the sandbox: Load = %v, warnings %q; want the warning start-up logs", wide, err, c.Warnings)
		}
	}
	for _, narrow := range []string{"172.17.0.1", "10.0.0.0/8", "172.16.0.0/12,192.168.0.0/16", "203.0.113.0/24", "fd00::/8", "2001:db8:1::/48", "127.0.0.1/32"} {
		c, err := Load(liveEnv(map[string]string{"HPP_TRUSTED_PROXIES": narrow}))
		if err != nil {
			t.Fatalf("HPP_TRUSTED_PROXIES=%s: %v", narrow, err)
		}
		if w := strings.Join(c.Warnings, "\n"); strings.Contains(w, "HPP_TRUSTED_PROXIES") {
			t.Errorf("HPP_TRUSTED_PROXIES=%s: warned %q", narrow, w)
		}
	}
}
