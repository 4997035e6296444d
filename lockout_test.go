package main

import (
	"bufio"
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// browser is one browser talking to a running app: its own cookies and
// its own client address (the app trusts the loopback proxy's
// X-Forwarded-For).
type browser struct {
	t    *testing.T
	base string
	addr string
	c    *http.Client
}

func newBrowser(t *testing.T, base, addr string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: base, addr: addr, c: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Forwarded-For", b.addr)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// signIn posts the sign-in form and returns the status.
func (b *browser) signIn(password string) (int, *http.Response) {
	b.t.Helper()
	resp, _ := b.do(http.MethodPost, "/admin/signin", url.Values{"email": {"owner@shop.example"}, "password": {password}})
	return resp.StatusCode, resp
}

// deviceCookie is the device cookie the browser holds for /admin.
func (b *browser) deviceCookie() string {
	u, _ := url.Parse(b.base + "/admin/signin")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "hpp-device" {
			return c.Value
		}
	}
	return ""
}

// startApp runs the app on database with owner@shop.example (password
// ownerPW), and the settings of extra, and returns its base URL.
func startApp(t *testing.T, database, ownerPW string, extra ...map[string]string) string {
	t.Helper()
	pwFile := filepath.Join(t.TempDir(), "admin-password")
	if err := os.WriteFile(pwFile, []byte(ownerPW), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999",
		"HPP_DATABASE": database, "HPP_LOG_LEVEL": "error", "HPP_SANDBOX_DEMO_OWNER": "off",
		"HPP_ADMIN_EMAIL": "owner@shop.example", "HPP_ADMIN_PASSWORD_FILE": pwFile, "HPP_TRUSTED_PROXIES": "127.0.0.1"}
	for _, m := range extra {
		maps.Copy(env, m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"hpp"}, fakeEnv(env), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		<-errc
	})
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), "listening on "); ok {
			addr, _, _ := strings.Cut(rest, ",")
			go io.Copy(io.Discard, pr)
			return "http://" + addr
		}
	}
	err := <-errc
	errc <- err // for the cleanup, which waits for run's end
	t.Fatalf("run stopped before listening: %v", err)
	return ""
}

// TestStrangerCannotLockOwnerOut: on SQLite and PostgreSQL, through the
// running app. A stranger's five wrong passwords lock the owner's account
// for every browser that has no device cookie of it, but the owner's
// usual browser, which signed in before and holds its device cookie,
// still signs in with the right password. That browser's own five wrong
// passwords lock it alone: the owner's other trusted browser still signs
// in, and the audit log says which refusals came from a trusted device.
// A new password voids every device cookie issued before it.
func TestStrangerCannotLockOwnerOut(t *testing.T) {
	const ownerPW, newPW = "a long enough owner password", "another long owner password"
	for engine, database := range map[string]func(t *testing.T) string{
		"sqlite":     func(t *testing.T) string { return filepath.Join(t.TempDir(), "hpp.db") },
		"postgresql": func(t *testing.T) string { return pgtest.Schema(t) },
	} {
		t.Run(engine, func(t *testing.T) {
			base := startApp(t, database(t), ownerPW)
			usual, phone := newBrowser(t, base, "198.51.100.7"), newBrowser(t, base, "198.51.100.8")
			for name, b := range map[string]*browser{"usual": usual, "phone": phone} {
				status, resp := b.signIn(ownerPW)
				if status != http.StatusSeeOther {
					t.Fatalf("%s browser's first sign-in = %d", name, status)
				}
				var dev *http.Cookie
				for _, c := range resp.Cookies() {
					if c.Name == "hpp-device" {
						dev = c
					}
				}
				if dev == nil || !dev.HttpOnly || dev.SameSite != http.SameSiteStrictMode || dev.Path != "/" ||
					dev.MaxAge != int(accounts.DeviceTTL.Seconds()) {
					t.Fatalf("%s browser's device cookie = %+v; want HttpOnly, SameSite=Strict, Path=/, Max-Age DeviceTTL", name, dev)
				}
				if strings.Contains(dev.Value, "owner") || strings.Contains(dev.Value, "acc_") {
					t.Errorf("the device cookie names the account: %q", dev.Value)
				}
				if resp, _ := b.do(http.MethodPost, "/admin/signout", nil); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("%s browser's sign-out = %d", name, resp.StatusCode)
				}
			}

			stranger := newBrowser(t, base, "203.0.113.66")
			for i := 1; i <= accounts.MaxFailures; i++ {
				want := http.StatusUnauthorized
				if i == accounts.MaxFailures {
					want = http.StatusTooManyRequests
				}
				if status, _ := stranger.signIn("a wrong password!"); status != want {
					t.Fatalf("stranger's try %d = %d, want %d", i, status, want)
				}
			}
			if status, _ := newBrowser(t, base, "192.0.2.10").signIn(ownerPW); status != http.StatusTooManyRequests {
				t.Fatalf("the right password from a browser without a device cookie = %d, want 429 (locked)", status)
			}
			if status, _ := usual.signIn(ownerPW); status != http.StatusSeeOther {
				t.Fatalf("the owner's usual browser, right password, account locked by the stranger = %d, want 303", status)
			}
			if resp, _ := usual.do(http.MethodGet, "/admin/", nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("the owner's usual browser's back office = %d", resp.StatusCode)
			}
			usual.do(http.MethodPost, "/admin/signout", nil)

			for i := 1; i <= accounts.MaxFailures; i++ {
				want := http.StatusUnauthorized
				if i == accounts.MaxFailures {
					want = http.StatusTooManyRequests
				}
				if status, _ := usual.signIn("the owner mistypes"); status != want {
					t.Fatalf("the usual browser's own wrong password %d = %d, want %d", i, status, want)
				}
			}
			if status, _ := usual.signIn(ownerPW); status != http.StatusTooManyRequests {
				t.Fatalf("the usual browser after its own five wrong passwords = %d, want 429 (it is locked)", status)
			}
			if status, _ := phone.signIn(ownerPW); status != http.StatusSeeOther {
				t.Fatalf("the owner's other trusted browser = %d, want 303: one device's lock is its own", status)
			}
			_, audit := phone.do(http.MethodGet, "/admin/audit?action=signin.failed", nil)
			if n := strings.Count(audit, "from a trusted device of the account"); n != accounts.MaxFailures+1 {
				t.Errorf("the audit log marks %d refusals as from a trusted device, want %d (the usual browser's)", n, accounts.MaxFailures+1)
			}
			if !strings.Contains(audit, "this device is now locked after too many tries") || !strings.Contains(audit, "now locked after too many tries") {
				t.Error("the audit log does not tell the device's lock from the account's")
			}

			before := phone.deviceCookie()
			if resp, _ := phone.do(http.MethodPost, "/admin/password", url.Values{"current": {ownerPW}, "password": {newPW}, "confirm": {newPW}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("password change = %d", resp.StatusCode)
			}
			after := phone.deviceCookie()
			if before == "" || after == "" || after == before {
				t.Fatalf("device cookie before and after the password change: %q, %q; want a new one", before, after)
			}
			phone.do(http.MethodPost, "/admin/signout", nil)
			// A new password lifts the account's lock: the stranger locks
			// it again.
			stranger = newBrowser(t, base, "203.0.113.67")
			for i := 1; i <= accounts.MaxFailures; i++ {
				if status, _ := stranger.signIn("a wrong password!"); i == accounts.MaxFailures && status != http.StatusTooManyRequests {
					t.Fatalf("stranger's try %d after the password change = %d, want 429", i, status)
				}
			}
			old := newBrowser(t, base, "198.51.100.9")
			u, _ := url.Parse(base + "/admin/signin")
			old.c.Jar.SetCookies(u, []*http.Cookie{{Name: "hpp-device", Value: before, Path: "/"}})
			if status, _ := old.signIn(newPW); status != http.StatusTooManyRequests {
				t.Fatalf("a device cookie from before the password change, account locked = %d, want 429", status)
			}
			if status, _ := phone.signIn(newPW); status != http.StatusSeeOther {
				t.Fatalf("the browser that changed the password, with its new device cookie = %d, want 303", status)
			}
		})
	}
}

// signInAs posts the sign-in form for email and returns the status.
func (b *browser) signInAs(email, password string) int {
	b.t.Helper()
	resp, _ := b.do(http.MethodPost, "/admin/signin", url.Values{"email": {email}, "password": {password}})
	return resp.StatusCode
}

// TestRoleChangeKeepsDevice: on SQLite and PostgreSQL, through the
// running app. A new role keeps the person's sessions, and so the device
// cookie of the browser they are signed in on: a stranger's five wrong
// passwords afterwards lock the account for browsers without one, but not
// the person's own, which still confirms the password (the re-entry a
// refund or a credential change asks for) and signs in again.
func TestRoleChangeKeepsDevice(t *testing.T) {
	const ownerPW, staffPW = "a long enough owner password", "a long enough staff password"
	const staff = "staff@shop.example"
	for engine, database := range map[string]func(t *testing.T) string{
		"sqlite":     func(t *testing.T) string { return filepath.Join(t.TempDir(), "hpp.db") },
		"postgresql": func(t *testing.T) string { return pgtest.Schema(t) },
	} {
		t.Run(engine, func(t *testing.T) {
			base := startApp(t, database(t), ownerPW)
			owner := newBrowser(t, base, "198.51.100.7")
			if status, _ := owner.signIn(ownerPW); status != http.StatusSeeOther {
				t.Fatalf("owner's sign-in = %d", status)
			}
			resp, page := owner.do(http.MethodPost, "/admin/accounts", url.Values{"email": {staff}, "name": {"Staff"}, "role": {"cashier"}})
			tok := regexp.MustCompile(`/admin/invite\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(page)
			if resp.StatusCode != http.StatusCreated || tok == nil {
				t.Fatalf("invite = %d, no link in the page", resp.StatusCode)
			}
			usual := newBrowser(t, base, "198.51.100.20")
			if resp, _ := usual.do(http.MethodPost, "/admin/invite", url.Values{"token": {tok[1]}, "password": {staffPW}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("accepting the invitation = %d", resp.StatusCode)
			}
			if usual.deviceCookie() == "" {
				t.Fatal("the invited person's browser has no device cookie after signing in")
			}

			_, page = owner.do(http.MethodGet, "/admin/accounts", nil)
			ids := regexp.MustCompile(`/admin/accounts/([A-Za-z0-9_-]+)/role`).FindAllStringSubmatch(page, -1)
			changed := 0
			for _, id := range ids {
				resp, _ := owner.do(http.MethodPost, "/admin/accounts/"+id[1]+"/role", url.Values{"role": {"owner"}})
				if resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("role change of %s = %d", id[1], resp.StatusCode)
				}
				changed++
			}
			_, audit := owner.do(http.MethodGet, "/admin/audit?action=account.role", nil)
			if changed == 0 || !strings.Contains(audit, staff) {
				t.Fatalf("no role change of %s in the audit log (%d forms)", staff, changed)
			}
			if resp, _ := usual.do(http.MethodGet, "/admin/", nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("the person's session after the new role = %d, want it kept", resp.StatusCode)
			}

			stranger := newBrowser(t, base, "203.0.113.66")
			for i := 1; i <= accounts.MaxFailures; i++ {
				if status := stranger.signInAs(staff, "a wrong password!"); i == accounts.MaxFailures && status != http.StatusTooManyRequests {
					t.Fatalf("stranger's try %d = %d, want 429", i, status)
				}
			}
			if status := newBrowser(t, base, "192.0.2.10").signInAs(staff, staffPW); status != http.StatusTooManyRequests {
				t.Fatalf("the right password from a browser without a device cookie = %d, want 429 (locked)", status)
			}
			resp, _ = usual.do(http.MethodPost, "/admin/reauth", url.Values{"password": {staffPW}, "next": {"/admin/"}})
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || strings.Contains(loc, "error") {
				t.Fatalf("the person's own browser confirming the password, account locked by the stranger = %d to %q; want it confirmed",
					resp.StatusCode, loc)
			}
			usual.do(http.MethodPost, "/admin/signout", nil)
			if status := usual.signInAs(staff, staffPW); status != http.StatusSeeOther {
				t.Fatalf("the person's own browser signing in again, account locked by the stranger = %d, want 303", status)
			}
		})
	}
}
