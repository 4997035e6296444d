package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// startSandbox runs the app in sandbox mode with env (on a SQLite file
// unless env names a database) and returns its base URL and what it
// printed at start, up to the ready-made checkout link; the app stops at
// the test's end or when stop is called.
func startSandbox(t *testing.T, env map[string]string) (base string, printed string, stop func()) {
	t.Helper()
	all := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999", "HPP_LOG_LEVEL": "error"}
	for k, v := range env {
		all[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"hpp"}, fakeEnv(all), pw, io.Discard)
		pw.Close()
	}()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-errc
		}
	}
	t.Cleanup(stop)
	var b strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		b.WriteString(line + "\n")
		if _, rest, ok := strings.Cut(line, "listening on "); ok {
			addr, _, _ := strings.Cut(rest, ",")
			base = "http://" + addr
		}
		if strings.Contains(line, "ready-made checkout link") {
			go io.Copy(io.Discard, pr)
			return base, b.String(), stop
		}
	}
	t.Fatalf("run stopped before it was ready: %v\n%s", <-errc, b.String())
	return "", "", nil
}

// TestSandboxPrintsOnlyGeneratedSecrets: the sandbox prints the API key
// and link secret it generated, for trying it, but never one the operator
// supplied in HPP_API_KEY or HPP_LINK_SECRET: it names the variable.
func TestSandboxPrintsOnlyGeneratedSecrets(t *testing.T) {
	_, printed, _ := startSandbox(t, map[string]string{"HPP_DATABASE": filepath.Join(t.TempDir(), "hpp.db")})
	if !strings.Contains(printed, "demo merchant API key: ") || strings.Contains(printed, "the one in HPP_API_KEY") {
		t.Errorf("a generated API key is not printed:\n%s", printed)
	}
	const key, secret = "operator-supplied-api-key-0123456789", "operator-supplied-link-secret-0123456789"
	_, printed, _ = startSandbox(t, map[string]string{"HPP_DATABASE": filepath.Join(t.TempDir(), "hpp.db"),
		"HPP_API_KEY": key, "HPP_LINK_SECRET": secret})
	if strings.Contains(printed, key) || strings.Contains(printed, secret) {
		t.Errorf("the sandbox printed a secret the operator supplied:\n%s", printed)
	}
	if !strings.Contains(printed, "demo merchant API key: the one in HPP_API_KEY") ||
		!strings.Contains(printed, "the one in HPP_LINK_SECRET") {
		t.Errorf("the sandbox does not say where the supplied secrets are:\n%s", printed)
	}
}

// TestSandboxDemoOwnerResetEndsSessions: when the demo owner's password
// is no longer the printed one (they changed it), the next start sets it
// back as any reset does: the sessions and trusted devices from before
// end. A start that finds the printed password leaves them alone.
func TestSandboxDemoOwnerResetEndsSessions(t *testing.T) {
	const newPW = "a long enough new demo password"
	env := map[string]string{"HPP_DATABASE": filepath.Join(t.TempDir(), "hpp.db")}
	base, printed, stop := startSandbox(t, env)
	_, pw, ok := strings.Cut(printed, "sign in as "+demoOwner+" with password ")
	pw, _, _ = strings.Cut(pw, "\n")
	if !ok || pw == "" {
		t.Fatalf("no demo owner password printed:\n%s", printed)
	}
	b := newBrowser(t, base, "198.51.100.7")
	signIn := func(password string) int {
		resp, _ := b.do(http.MethodPost, "/admin/signin", url.Values{"email": {demoOwner}, "password": {password}})
		return resp.StatusCode
	}
	if status := signIn(pw); status != http.StatusSeeOther {
		t.Fatalf("demo owner's sign-in = %d", status)
	}
	// A restart with the printed password unchanged keeps the session.
	stop()
	base2, _, stop := startSandbox(t, env)
	b.base = base2
	if resp, _ := b.do(http.MethodGet, "/admin/", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("the demo owner's session after a restart that reset nothing = %d, want kept", resp.StatusCode)
	}
	if resp, _ := b.do(http.MethodPost, "/admin/password", url.Values{"current": {pw}, "password": {newPW}, "confirm": {newPW}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("password change = %d", resp.StatusCode)
	}
	device := b.deviceCookie()
	if resp, _ := b.do(http.MethodGet, "/admin/", nil); resp.StatusCode != http.StatusOK || device == "" {
		t.Fatalf("after the password change: back office %d, device cookie %q", resp.StatusCode, device)
	}
	stop()
	base3, _, _ := startSandbox(t, env)
	b.base = base3
	resp, _ := b.do(http.MethodGet, "/admin/", nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/signin") {
		t.Fatalf("the session from before the start-up reset = %d to %q; want it ended", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Its device cookie counts no more: a stranger's five wrong passwords
	// lock that browser out too.
	stranger := newBrowser(t, base3, "203.0.113.66")
	for range accounts.MaxFailures {
		stranger.do(http.MethodPost, "/admin/signin", url.Values{"email": {demoOwner}, "password": {"a wrong password!"}})
	}
	if status := signIn(pw); status != http.StatusTooManyRequests {
		t.Errorf("the browser whose device predates the reset, account locked = %d, want 429", status)
	}
}
