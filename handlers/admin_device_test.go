package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// deviceCookie is the device cookie a response set, or nil.
func deviceCookie(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == "hpp-device" && c.Value != "" {
			return c
		}
	}
	return nil
}

// withCookies sends every cookie given (nil ones left out).
func withCookies(cs ...*http.Cookie) http.Header {
	var parts []string
	for _, c := range cs {
		if c != nil {
			parts = append(parts, c.Name+"="+c.Value)
		}
	}
	return http.Header{"Cookie": {strings.Join(parts, "; ")}, "Content-Type": {"application/x-www-form-urlencoded"}}
}

// TestAdminDeviceCookieTwoStep: through the router, with two-step sign-in
// on. A stranger who has the password locks the account with wrong
// codes; the owner's browser, sending the device cookie it got at its
// last sign-in, still signs in with the password and a code, and
// confirms the password and code for a refund; its own wrong codes lock
// it alone. Without the device cookie the same browser is refused.
func TestAdminDeviceCookieTwoStep(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	w, owner := a.signIn(t, "owner@shop.example", adminPW)
	secret, _ := a.enrolTOTP(t, owner)
	dev := deviceCookie(w)
	if dev == nil || !dev.HttpOnly || dev.SameSite != http.SameSiteStrictMode || dev.Path != "/" || dev.Secure {
		t.Fatalf("device cookie after sign-in = %+v; want HttpOnly, SameSite=Strict, Path=/ (not Secure on http)", dev)
	}

	// Sign-in forms draw on 10 attempts a minute per address, and every
	// browser here has the same one: each attempt comes 12 seconds after
	// the last, so only the accounts' locks refuse.
	codeStep := func(challenge *http.Cookie, code string, withDevice bool) *httptest.ResponseRecorder {
		t.Helper()
		a.Clock.Advance(12 * time.Second)
		cs := []*http.Cookie{challenge}
		if withDevice {
			cs = append(cs, dev)
		}
		return a.do(t, http.MethodPost, "/admin/signin/code", strings.NewReader(url.Values{"code": {code}}.Encode()), withCookies(cs...))
	}
	passwordStep := func(withDevice bool) *http.Cookie {
		t.Helper()
		a.Clock.Advance(12 * time.Second)
		cs := []*http.Cookie{}
		if withDevice {
			cs = append(cs, dev)
		}
		form := url.Values{"email": {"owner@shop.example"}, "password": {adminPW}}
		w := a.do(t, http.MethodPost, "/admin/signin", strings.NewReader(form.Encode()), withCookies(cs...))
		if w.Code != http.StatusSeeOther || adminCookie(w) == nil {
			t.Fatalf("password step = %d", w.Code)
		}
		return adminCookie(w)
	}

	// The stranger has the password and guesses codes.
	for i := 1; i <= accounts.MaxFailures; i++ {
		w := codeStep(passwordStep(false), "999999", false)
		if want := http.StatusUnauthorized; i < accounts.MaxFailures && w.Code != want || i == accounts.MaxFailures && w.Code != http.StatusTooManyRequests {
			t.Fatalf("stranger's wrong code %d = %d", i, w.Code)
		}
	}
	a.Clock.Advance(12 * time.Second)
	form := url.Values{"email": {"owner@shop.example"}, "password": {adminPW}}
	if w := a.do(t, http.MethodPost, "/admin/signin", strings.NewReader(form.Encode()), withCookies()); w.Code != http.StatusTooManyRequests {
		t.Fatalf("the right password without the device cookie, account locked = %d, want 429", w.Code)
	}
	w = codeStep(passwordStep(true), a.code(t, secret), true)
	sess := adminCookie(w)
	if w.Code != http.StatusSeeOther || sess == nil {
		t.Fatalf("the owner's browser with its device cookie, account locked = %d, want 303 with a session", w.Code)
	}

	// A refund after ReauthWindow: the password and a code again, from the
	// owner's browser, while the stranger keeps the account locked.
	a.Clock.Advance(accounts.ReauthWindow)
	for range accounts.MaxFailures {
		codeStep(passwordStep(false), "999999", false)
	}
	form = url.Values{"key": {"k1"}, "amount": {"1.00"}, "password": {adminPW}, "code": {a.code(t, secret)}}
	if w := a.do(t, http.MethodPost, "/admin/payments/"+p.ID+"/refund", strings.NewReader(form.Encode()), withCookies(sess)); w.Code != http.StatusTooManyRequests {
		t.Fatalf("the refund's re-auth without the device cookie, account locked = %d, want 429", w.Code)
	}
	if w := a.do(t, http.MethodPost, "/admin/payments/"+p.ID+"/refund", strings.NewReader(form.Encode()), withCookies(sess, dev)); w.Code != http.StatusSeeOther || a.MustGet(t, p.ID).Refunded != 100 {
		t.Fatalf("the refund's re-auth with the device cookie = %d, refunded %d", w.Code, a.MustGet(t, p.ID).Refunded)
	}

	// The owner's browser's own wrong codes lock it alone.
	a.Clock.Advance(accounts.LockFor)
	ch := passwordStep(true)
	for i := 1; i <= accounts.MaxFailures; i++ {
		w := codeStep(ch, "999999", true)
		if i == accounts.MaxFailures && w.Code != http.StatusTooManyRequests {
			t.Fatalf("the device's wrong code %d = %d, want 429", i, w.Code)
		}
	}
	a.Clock.Advance(12 * time.Second)
	form = url.Values{"email": {"owner@shop.example"}, "password": {adminPW}}
	if w := a.do(t, http.MethodPost, "/admin/signin", strings.NewReader(form.Encode()), withCookies(dev)); w.Code != http.StatusTooManyRequests {
		t.Fatalf("the right password from the locked device = %d, want 429", w.Code)
	}
	if w := codeStep(passwordStep(false), a.code(t, secret), false); w.Code != http.StatusSeeOther {
		t.Fatalf("another browser while only the owner's device is locked = %d, want 303", w.Code)
	}
}
