package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
)

// browserJar is a browser's cookies for the app: what it sends, and
// what each answer sets, replaces or removes.
type browserJar map[string]string

// newJar holds the given cookies.
func newJar(cs ...*http.Cookie) browserJar {
	j := browserJar{}
	for _, c := range cs {
		if c != nil {
			j[c.Name] = c.Value
		}
	}
	return j
}

// take keeps the cookies w set and drops those it removed.
func (j browserJar) take(w *httptest.ResponseRecorder) browserJar {
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(j, c.Name)
		} else {
			j[c.Name] = c.Value
		}
	}
	return j
}

// header is the Cookie header the browser sends.
func (j browserJar) header() http.Header {
	var parts []string
	for k, v := range j {
		parts = append(parts, k+"="+v)
	}
	return http.Header{"Cookie": {strings.Join(parts, "; ")}}
}

// withFlash is the Cookie header a browser holding session sends when it
// follows w's redirect: with the flash w left.
func withFlash(session *http.Cookie, w *httptest.ResponseRecorder) http.Header {
	return newJar(session).take(w).header()
}

// TestConfirmationsComeFromTheAction: a link cannot make a back-office
// page confirm something: a paid payment's page with ?done=cancel or
// ?done=refund (what the pages read before) says nothing, nor do the other
// pages that confirm an action. The real action's redirect shows its
// message once: the page reloaded says it no more, and the redirect's
// URL carries no message.
func TestConfirmationsComeFromTheAction(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	notice := func(path string, h http.Header) string {
		t.Helper()
		w := a.do(t, http.MethodGet, path, nil, h)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, w.Code)
		}
		return strings.TrimSpace(mustDoc(t, w).Find(`[data-testid="notice"]`).Text())
	}
	detail := "/admin/payments/" + p.ID
	for _, path := range []string{
		detail + "?done=cancel", detail + "?done=refund", detail + "?done=refund-pending", detail + "?done=review",
		detail + "?done=requery", detail + "?done=redeliver",
		"/admin/accounts?done=admin.accounts.removed", "/admin/accounts?done=admin.reauth.done",
		"/admin/password?done=admin.password.done", "/admin/sessions?done=revoked", "/admin/totp?done=off",
		"/admin/counter?notice=revoked&canceled=2&paid=" + p.ID + "&failed=" + p.ID,
		"/admin/counter?notice=pin", "/admin/counter?notice=delay",
	} {
		w := a.do(t, http.MethodGet, path, nil, withCookie(owner, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, w.Code)
		}
		doc := mustDoc(t, w)
		if got := strings.TrimSpace(doc.Find(`[data-testid="notice"]`).Text()); got != "" {
			t.Errorf("GET %s says %q: a link made the page confirm an action", path, got)
		}
		if got := doc.Find(`[data-testid="revoked-sales"]`); got.Length() != 0 {
			t.Errorf("GET %s tells of a revoke that did not happen: %q", path, strings.Join(strings.Fields(got.Text()), " "))
		}
	}

	w := a.post(t, detail+"/refund?lang=en", url.Values{"key": {"flash-1"}, "amount": {"2.00"}}, owner)
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || strings.Contains(loc, "done") {
		t.Fatalf("refund = %d to %q", w.Code, loc)
	}
	browser := newJar(owner).take(w)
	// The page's own fetch (admin.js, X-HPP-Background) leaves the flash
	// for the person's page.
	bg := browser.header()
	bg.Set(handlers.BackgroundHeader, "1")
	bw := a.do(t, http.MethodGet, loc, nil, bg)
	if got := mustDoc(t, bw).Find(`[data-testid="notice"]`).Text(); got != "" {
		t.Errorf("a background fetch shows the flash: %q", got)
	}
	browser.take(bw)
	shown := a.do(t, http.MethodGet, loc, nil, browser.header())
	if got := mustDoc(t, shown).Find(`[data-testid="notice"]`).Text(); !strings.Contains(got, "The refund was made.") {
		t.Errorf("after the refund the page says %q", got)
	}
	// Shown, the flash is removed: the reload says nothing.
	if got := notice(loc, browser.take(shown).header()); got != "" {
		t.Errorf("the page reloaded still says %q", got)
	}
	// The flash is for the page the action redirected to, not another.
	if got := notice("/admin/accounts", withFlash(owner, w)); got != "" {
		t.Errorf("another page shows the refund's flash: %q", got)
	}

	w = a.post(t, "/admin/sessions/revoke", url.Values{"session": {"no-such-session"}}, owner)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("revoke = %d", w.Code)
	}
	if got := notice(w.Header().Get("Location"), withFlash(owner, w)); got == "" {
		t.Error("no notice after revoking a session")
	}
}

// TestReauthErrorsComeFromTheRefusal: a link cannot make a back-office
// page say that a password or code was refused or an account locked: the
// accounts and two-step pages with ?error= (what they read before) say
// nothing. A real refusal of "confirm it is you" shows its message on the
// page it returns to, once, from a flash: the redirect's URL carries no
// message, and the page reloaded says it no more.
func TestReauthErrorsComeFromTheRefusal(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	formError := func(path string, h http.Header) string {
		t.Helper()
		w := a.do(t, http.MethodGet, path, nil, h)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, w.Code)
		}
		return strings.TrimSpace(mustDoc(t, w).Find(`[data-testid="form-error"], #form-error, [role="alert"]`).Text())
	}
	for _, page := range []string{"/admin/accounts", "/admin/totp"} {
		for _, id := range []string{"admin.reauth.bad", "admin.reauth.locked", "admin.code.bad", "admin.signin.busy"} {
			if got := formError(page+"?error="+id, withCookie(owner, nil)); got != "" {
				t.Errorf("GET %s?error=%s says %q: a link made the page say a refusal", page, id, got)
			}
		}
	}

	w := a.post(t, "/admin/reauth?lang=en", url.Values{"password": {"not the password"}, "next": {"/admin/accounts"}}, owner)
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || strings.Contains(loc, "error") || !strings.HasPrefix(loc, "/admin/accounts") {
		t.Fatalf("refused re-auth = %d to %q, want 303 to the accounts page with no message in the URL", w.Code, loc)
	}
	browser := newJar(owner).take(w)
	shown := a.do(t, http.MethodGet, loc, nil, browser.header())
	if got := mustDoc(t, shown).Find("main").Text(); !strings.Contains(got, "The password is not right") {
		t.Errorf("after the refusal the page says %q", got)
	}
	if got := formError(loc, browser.take(shown).header()); got != "" {
		t.Errorf("the page reloaded still says %q", got)
	}
	// The flash is for the page the refusal returned to, not another.
	w = a.post(t, "/admin/reauth?lang=en", url.Values{"password": {"not the password"}, "next": {"/admin/accounts"}}, owner)
	if got := formError("/admin/totp", withFlash(owner, w)); got != "" {
		t.Errorf("another page shows the refusal's flash: %q", got)
	}
}

// saysEnded reports whether w sent the browser to sign in again and the
// sign-in page it reaches, with the cookies w set, says the session
// ended.
func (a *adminApp) saysEnded(t *testing.T, w *httptest.ResponseRecorder) bool {
	t.Helper()
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, handlers.SignInPath+"?") {
		return false
	}
	page := a.do(t, http.MethodGet, loc, nil, withFlash(nil, w))
	return page.Code == http.StatusOK && strings.Contains(page.Body.String(), "Your session ended")
}
