package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// TestAdminWeakPasswords: the setup and invitation pages refuse a weak
// password with the rule it breaks, in the person's language: a very
// long one is told the real limit (1024 bytes), not the minimum. (The
// rules themselves: payments/accounts TestCheckPassword.)
func TestAdminWeakPasswords(t *testing.T) {
	a := newAdminApp(t)
	_, tok, err := a.acc.Invite(t.Context(), "new@shop.example", "", accounts.Cashier, accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ pw, want, wantHans string }{
		{strings.Repeat("x", 5000), "at most 1024 bytes", "最多 1024 字节"},
		{strings.Repeat(" ", 12), "cannot be only spaces", "不能只有空格"},
		{"aaaaaaaaaaaa", "one character repeated", "同一个字符的重复"},
		{"password1234", "most common passwords", "最常见的密码"},
		{"short", "at least 12 characters", "至少需要 12 个字符"},
	}
	for _, c := range cases {
		langs := []string{""}
		if c.pw == "password1234" {
			langs = append(langs, "zh-Hans")
		}
		for _, lang := range langs {
			want := c.want
			if lang != "" {
				want = c.wantHans
			}
			w := a.post(t, "/admin/invite?lang="+lang, url.Values{"token": {tok}, "password": {c.pw}}, nil)
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), want) {
				t.Errorf("invite with %.12q (%s) = %d, want 400 saying %q", c.pw, lang, w.Code, want)
			}
		}
	}
	for _, acct := range mustAccounts(t, a) {
		if err := a.Store.DeleteAccount(t.Context(), acct.ID); err != nil {
			t.Fatal(err)
		}
	}
	setup, err := a.acc.NewSetupToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// The form draws on the sign-in budget per address: two of the rules.
	for _, c := range cases[:2] {
		w := a.post(t, "/admin/setup", url.Values{"token": {setup}, "email": {"boss@shop.example"}, "password": {c.pw}}, nil)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), c.want) {
			t.Errorf("setup with %.12q = %d, want 400 saying %q", c.pw, w.Code, c.want)
		}
	}
	if as := mustAccounts(t, a); len(as) != 0 {
		t.Fatalf("weak passwords made accounts: %+v", as)
	}
}

// TestAdminSignInLockoutSameForUnknownEmail: six wrong passwords answer
// 401 ×4 then 429 "locked" with the same words whether or not the email
// has an account.
func TestAdminSignInLockoutSameForUnknownEmail(t *testing.T) {
	a := newAdminApp(t)
	run := func(email string) string {
		var out []string
		for range 6 {
			w, _ := a.signIn(t, email, "wrong password!")
			msg := strings.TrimSpace(mustDoc(t, w).Find(`[data-testid="form-error"]`).Text())
			out = append(out, fmt.Sprintf("%d %s", w.Code, msg))
		}
		a.Clock.Advance(time.Minute) // a fresh sign-in budget for the address
		return strings.Join(out, "\n")
	}
	known, unknown := run("owner@shop.example"), run("nobody@shop.example")
	if known != unknown {
		t.Fatalf("an existing email:\n%s\nan unknown one:\n%s", known, unknown)
	}
	if !strings.HasPrefix(known, "401 ") || !strings.Contains(known, "429 ") || !strings.Contains(known, "locked") {
		t.Fatalf("six wrong passwords:\n%s\nwant 401 then 429 locked", known)
	}
}
