package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments/accounts"
)

// sessionPath is handlers.SessionPath, as a browser's script asks it.
const sessionPath = "/admin/session"

// sessionLeft is GET/POST /admin/session's answer.
type sessionLeft struct {
	Idle     int `json:"idle_seconds"`
	Absolute int `json:"absolute_seconds"`
	Warn     int `json:"warn_seconds"`
}

// askSession is the page's quiet question (GET) or "Stay signed in"
// (POST) from the app's own page, as admin.js sends them.
func (a *adminApp) askSession(t *testing.T, method string, cookie *http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	return a.do(t, method, sessionPath, nil, withCookie(cookie, http.Header{"Accept": {"application/json"},
		"Sec-Fetch-Site": {"same-origin"}, "Sec-Fetch-Mode": {"cors"}}))
}

// TestSessionTimeLeftIsQuiet: a page asks its session's time left
// without keeping the session alive: asked again and again it counts
// down from the person's last request, and the session ends
// IdleTimeout after that request all the same; the ended session is
// 401 session_ended, with no flash left for the sign-in page.
func TestSessionTimeLeftIsQuiet(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	a.Clock.Advance(10 * time.Minute)
	var first sessionLeft
	for i := range 4 {
		w := a.askSession(t, http.MethodGet, owner)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", sessionPath, w.Code, w.Body)
		}
		got := mustJSON[sessionLeft](t, w)
		if want := int((accounts.IdleTimeout - 10*time.Minute - time.Duration(i)*5*time.Minute) / time.Second); got.Idle != want {
			t.Fatalf("ask %d: idle_seconds = %d, want %d (asking must not push the end back)", i, got.Idle, want)
		}
		if i == 0 {
			first = got
		} else if got.Absolute >= first.Absolute {
			t.Errorf("ask %d: absolute_seconds = %d, not below the first answer's %d", i, got.Absolute, first.Absolute)
		}
		if got.Warn < 20 || got.Warn >= int(accounts.IdleTimeout/time.Second) {
			t.Errorf("warn_seconds = %d, want at least the 20 WCAG 2.2.1 asks for, below the idle limit", got.Warn)
		}
		a.Clock.Advance(5 * time.Minute)
	}
	// 10 + 4x5 = 30 minutes after the sign-in, asked four times.
	w := a.askSession(t, http.MethodGet, owner)
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `"session_ended"`) {
		t.Fatalf("GET %s after the idle limit = %d %s, want 401 session_ended", sessionPath, w.Code, w.Body)
	}
	if f := flashSet(a, w); f != "" {
		t.Errorf("the quiet question about an ended session left %s", f)
	}
	if page := a.do(t, http.MethodGet, "/admin/payments", nil, withCookie(owner, nil)); page.Code != http.StatusSeeOther {
		t.Errorf("the session lives on after the quiet questions: /admin/payments = %d", page.Code)
	}
}

// flashSet names the flash cookie w set, or "".
func flashSet(a *adminApp, w *httptest.ResponseRecorder) string {
	for _, c := range w.Result().Cookies() {
		if strings.HasSuffix(c.Name, "-flash") && c.MaxAge >= 0 && c.Value != "" {
			return "the flash cookie " + c.Name
		}
	}
	return ""
}

// TestSessionStaySignedIn: "Stay signed in" (POST /admin/session from
// the app's own page) is the person's request: it pushes the idle limit
// back a full IdleTimeout, but never past the absolute one. Sent from
// another site it is refused and extends nothing; for an ended session
// it is 401 and brings nothing back.
func TestSessionStaySignedIn(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	a.Clock.Advance(accounts.IdleTimeout - 2*time.Minute)

	// From another site: refused, nothing moves.
	forged := a.do(t, http.MethodPost, sessionPath, nil, withCookie(owner, http.Header{
		"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}))
	if forged.Code != http.StatusForbidden {
		t.Fatalf("cross-site POST %s = %d, want 403", sessionPath, forged.Code)
	}
	if got := mustJSON[sessionLeft](t, a.askSession(t, http.MethodGet, owner)); got.Idle != int(2*time.Minute/time.Second) {
		t.Fatalf("after a cross-site POST idle_seconds = %d, want %d: it extended the session", got.Idle, int(2*time.Minute/time.Second))
	}

	w := a.askSession(t, http.MethodPost, owner)
	if w.Code != http.StatusOK {
		t.Fatalf("POST %s = %d %s", sessionPath, w.Code, w.Body)
	}
	if got := mustJSON[sessionLeft](t, w); got.Idle != int(accounts.IdleTimeout/time.Second) {
		t.Fatalf("Stay signed in: idle_seconds = %d, want %d", got.Idle, int(accounts.IdleTimeout/time.Second))
	}
	a.Clock.Advance(accounts.IdleTimeout - time.Minute) // past the first end
	if page := a.do(t, http.MethodGet, "/admin/payments", nil, withCookie(owner, nil)); page.Code != http.StatusOK {
		t.Fatalf("after Stay signed in, the session ended at its old end: /admin/payments = %d", page.Code)
	}

	// Near the absolute limit, staying cannot go past it.
	_, old := a.signIn(t, "owner@shop.example", adminPW)
	for used := time.Duration(0); used < accounts.AbsoluteTimeout-accounts.IdleTimeout/2; used += accounts.IdleTimeout / 2 {
		a.Clock.Advance(accounts.IdleTimeout / 2)
		if w := a.askSession(t, http.MethodPost, old); w.Code != http.StatusOK {
			t.Fatalf("keeping a session busy: POST = %d", w.Code)
		}
	}
	got := mustJSON[sessionLeft](t, a.askSession(t, http.MethodPost, old))
	if got.Absolute >= got.Idle || got.Absolute <= 0 {
		t.Fatalf("near the absolute limit: idle %d s, absolute %d s; want the absolute end first", got.Idle, got.Absolute)
	}
	a.Clock.Advance(time.Duration(got.Absolute) * time.Second)
	w = a.askSession(t, http.MethodPost, old)
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `"session_ended"`) {
		t.Fatalf("Stay signed in at the absolute limit = %d %s, want 401 session_ended", w.Code, w.Body)
	}
	if f := flashSet(a, w); f != "" {
		t.Errorf("Stay signed in for an ended session left %s", f)
	}
	if page := a.do(t, http.MethodGet, "/admin/payments", nil, withCookie(old, nil)); page.Code != http.StatusSeeOther {
		t.Errorf("Stay signed in brought an ended session back: /admin/payments = %d", page.Code)
	}
	if w := a.askSession(t, http.MethodPost, nil); w.Code != http.StatusUnauthorized {
		t.Errorf("POST %s with no session = %d, want 401", sessionPath, w.Code)
	}
}

// TestSessionWarningOnSignedInPages: every signed-in page carries the
// warning (hidden until admin.js shows it) with its session's time left
// and a way to sign in again that comes back to the page, in the page's
// language; the pages of signing in have none.
func TestSessionWarningOnSignedInPages(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	_, cashier := a.signIn(t, "cashier@shop.example", adminPW)
	a.Clock.Advance(5 * time.Minute)
	for _, c := range []struct {
		path   string
		cookie *http.Cookie
		says   string
	}{
		{"/admin/payments?status=paid", owner, "Stay signed in"},
		{"/admin/accounts?lang=zh-Hans", owner, "保持登录"},
		{"/admin/password?lang=zh-Hant", cashier, "保持登入"},
		{"/admin/", cashier, "Stay signed in"},
	} {
		w := a.do(t, http.MethodGet, c.path, nil, withCookie(c.cookie, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", c.path, w.Code)
		}
		doc := mustDoc(t, w)
		box := doc.Find(`[data-testid="session-warn"]`)
		if box.Length() != 1 {
			t.Fatalf("GET %s: no session warning", c.path)
		}
		if _, hidden := box.Attr("hidden"); !hidden {
			t.Errorf("GET %s: the warning shows before the script decides", c.path)
		}
		if u, _ := box.Attr("data-session"); u != sessionPath {
			t.Errorf("GET %s: data-session %q", c.path, u)
		}
		// The page's request was the person's: the full idle limit.
		if idle, _ := box.Attr("data-idle"); idle != strconv.Itoa(int(accounts.IdleTimeout/time.Second)) {
			t.Errorf("GET %s: data-idle %q, want %d", c.path, idle, int(accounts.IdleTimeout/time.Second))
		}
		if got := box.Find(`[data-testid="session-stay"]`).Text(); !strings.Contains(got, c.says) {
			t.Errorf("GET %s: the button says %q, want %q", c.path, got, c.says)
		}
		if box.Find(`[role="alert"]`).Length() != 1 {
			t.Errorf("GET %s: the warning has no role=alert line", c.path)
		}
		href, _ := box.Find(`[data-testid="session-signin"]`).Attr("href")
		next := strings.SplitN(c.path, "?", 2)[0]
		if !strings.HasPrefix(href, handlers.SignInPath+"?") || !strings.Contains(href, "next="+strings.ReplaceAll(next, "/", "%2F")) {
			t.Errorf("GET %s: sign in again at %q, want the sign-in page coming back here", c.path, href)
		}
		if src, _ := doc.Find("script[src]").Attr("src"); !strings.Contains(src, "admin") {
			t.Errorf("GET %s: no admin.js (script %q)", c.path, src)
		}
	}
	for _, path := range []string{handlers.SignInPath, "/admin/setup"} {
		if doc := mustDoc(t, a.do(t, http.MethodGet, path, nil, nil)); doc.Find(`[data-testid="session-warn"]`).Length() != 0 {
			t.Errorf("GET %s has the session warning", path)
		}
	}
}

// TestSessionEndToldOnce: a session that ends while its page fetches
// itself in the background (admin.js's refresh, its feed socket) is
// answered 401 there, with no "Your session ended" flash: before, the
// flash waited 60 seconds for whoever opened the sign-in page next, on a
// shared computer perhaps someone else, and each fetch left it again.
// The person's own next page is sent to sign in and told once; a cookie
// of its own marks the ended session told, so the next visit is not told
// again.
func TestSessionEndToldOnce(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	browser := newJar(owner)
	a.Clock.Advance(accounts.IdleTimeout + time.Minute)

	for name, h := range map[string]http.Header{
		"background fetch": {handlers.BackgroundHeader: {"1"}, "Sec-Fetch-Mode": {"cors"}},
		"feed socket":      {"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Fetch-Mode": {"websocket"}},
	} {
		hdr := browser.header()
		for k, v := range h {
			hdr[k] = v
		}
		path := "/admin/payments"
		if name == "feed socket" {
			path = handlers.AdminFeedPath
		}
		w := a.do(t, http.MethodGet, path, nil, hdr)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s after the end = %d to %q, want 401", name, w.Code, w.Header().Get("Location"))
		}
		if f := flashSet(a, w); f != "" {
			t.Errorf("%s after the end left %s", name, f)
		}
		browser.take(w)
	}
	// Someone opening the sign-in page now is told nothing.
	if page := a.do(t, http.MethodGet, handlers.SignInPath, nil, browser.header()); strings.Contains(page.Body.String(), "Your session ended") {
		t.Error("a fresh visit to the sign-in page says the session ended (a background fetch's flash)")
	}
	// The person's own next page: sent to sign in, told once.
	w := a.do(t, http.MethodGet, "/admin/payments", nil, browser.header())
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), handlers.SignInPath+"?next=") {
		t.Fatalf("the person's page after the end = %d to %q, want 303 to sign in", w.Code, w.Header().Get("Location"))
	}
	browser.take(w)
	page := a.do(t, http.MethodGet, w.Header().Get("Location"), nil, browser.header())
	if !strings.Contains(page.Body.String(), "Your session ended") {
		t.Fatal("the sign-in page after the person's page does not say the session ended")
	}
	browser.take(page)
	// Again: still sent to sign in, not told again.
	w = a.do(t, http.MethodGet, "/admin/payments", nil, browser.header())
	if w.Code != http.StatusSeeOther {
		t.Fatalf("again = %d, want 303 to sign in", w.Code)
	}
	if page := a.do(t, http.MethodGet, w.Header().Get("Location"), nil, browser.take(w).header()); strings.Contains(page.Body.String(), "Your session ended") {
		t.Error("the sign-in page says the session ended a second time")
	}
}

// TestSessionEndKeepsANewerSignIn: a page of an ended session and a
// sign-in in another tab of the same browser, at the same moment. The
// ended session's answer may reach the browser after the sign-in's: it
// must not take the new session's cookie with it (before, it removed the
// back-office cookie, signing the person out of the session just opened).
// The person is still told once that the old session ended.
func TestSessionEndKeepsANewerSignIn(t *testing.T) {
	a := newAdminApp(t)
	_, old := a.signIn(t, "owner@shop.example", adminPW)
	browser := newJar(old)
	a.Clock.Advance(accounts.IdleTimeout + time.Minute)

	// Tab 1 opens a page with the ended session's cookie; tab 2, sent
	// with the same cookie, signs in. Both are answered before the
	// browser reads either answer.
	ended := a.do(t, http.MethodGet, "/admin/payments", nil, browser.header())
	if ended.Code != http.StatusSeeOther || !strings.HasPrefix(ended.Header().Get("Location"), handlers.SignInPath+"?") {
		t.Fatalf("the ended session's page = %d to %q, want 303 to sign in", ended.Code, ended.Header().Get("Location"))
	}
	hdr := browser.header()
	hdr.Set("Content-Type", "application/x-www-form-urlencoded")
	form := url.Values{"email": {"owner@shop.example"}, "password": {adminPW}, "next": {"/admin/payments"}}
	signedIn := a.do(t, http.MethodPost, handlers.SignInPath, strings.NewReader(form.Encode()), hdr)
	if signedIn.Code != http.StatusSeeOther {
		t.Fatalf("sign-in = %d %s", signedIn.Code, signedIn.Body)
	}
	// The sign-in's answer first, the ended page's after it.
	browser.take(signedIn).take(ended)
	if w := a.do(t, http.MethodGet, "/admin/payments", nil, browser.header()); w.Code != http.StatusOK {
		t.Fatalf("after the late answer of the ended session, the new session's page = %d to %q, want 200",
			w.Code, w.Header().Get("Location"))
	}

	// The other order, and a page of the ended session asked again once
	// the new one is open: the new session stays.
	browser = newJar(old)
	hdr = browser.header()
	hdr.Set("Content-Type", "application/x-www-form-urlencoded")
	signedIn = a.do(t, http.MethodPost, handlers.SignInPath, strings.NewReader(form.Encode()), hdr)
	browser.take(a.do(t, http.MethodGet, "/admin/payments", nil, newJar(old).header())).take(signedIn)
	browser.take(a.do(t, http.MethodGet, "/admin/payments", nil, newJar(old).header()))
	if w := a.do(t, http.MethodGet, "/admin/payments", nil, browser.header()); w.Code != http.StatusOK {
		t.Fatalf("the new session's page after the ended one's = %d to %q, want 200", w.Code, w.Header().Get("Location"))
	}
}
