package handlers_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/pquerna/otp/totp"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments/accounts"
)

// post sends a form as the holder of cookie.
func (a *adminApp) post(t *testing.T, path string, form url.Values, cookie *http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	return a.postFrom(t, path, form, cookie, "")
}

// postFrom is post from a page of origin ("" for the app's own), as a
// browser sends a form across sites.
func (a *adminApp) postFrom(t *testing.T, path string, form url.Values, cookie *http.Cookie, origin string) *httptest.ResponseRecorder {
	t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if origin != "" {
		h.Set("Origin", origin)
		h.Set("Sec-Fetch-Site", "cross-site")
	}
	return a.do(t, http.MethodPost, path, strings.NewReader(form.Encode()), withCookie(cookie, h))
}

// adminCookie is the back office's cookie a response set, or nil.
func adminCookie(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == "hpp-admin" && c.Value != "" {
			return c
		}
	}
	return nil
}

func (a *adminApp) code(t *testing.T, secret string) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, a.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolTOTP turns two-step sign-in on for the owner through the pages
// and returns the key and the recovery codes shown.
func (a *adminApp) enrolTOTP(t *testing.T, owner *http.Cookie) (string, []string) {
	t.Helper()
	doc := mustDoc(t, a.do(t, http.MethodGet, "/admin/totp", nil, withCookie(owner, nil)))
	secret := doc.Find(`[data-testid="totp-key"]`).Text()
	if src, _ := doc.Find(`[data-testid="totp-qr"]`).Attr("src"); secret == "" || !strings.HasPrefix(src, "data:image/png;base64,") {
		t.Fatalf("enrolment page: key %q, QR %.40q", secret, src)
	}
	if w := a.post(t, "/admin/totp", url.Values{"code": {"000000"}}, owner); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(w.Body.String(), "That code is not right") {
		t.Fatalf("enrol with a wrong code = %d", w.Code)
	}
	w := a.post(t, "/admin/totp", url.Values{"code": {a.code(t, secret)}}, owner)
	var rec []string
	mustDoc(t, w).Find(`[data-testid="recovery-codes"] code`).Each(func(_ int, s *goquery.Selection) { rec = append(rec, s.Text()) })
	if w.Code != http.StatusOK || len(rec) != accounts.RecoveryCodes {
		t.Fatalf("enrol = %d with %d recovery codes", w.Code, len(rec))
	}
	a.Clock.Advance(30 * time.Second) // the enrolling code's step is spent
	return secret, rec
}

// signInTOTP does the password step and returns the challenge cookie.
func (a *adminApp) passwordStep(t *testing.T) *http.Cookie {
	t.Helper()
	w, c := a.signIn(t, "owner@shop.example", adminPW)
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/admin/signin/code?") || c == nil {
		t.Fatalf("password step = %d to %q", w.Code, w.Header().Get("Location"))
	}
	if w := a.do(t, http.MethodGet, "/admin/payments", nil, withCookie(c, nil)); w.Code != http.StatusSeeOther {
		t.Fatalf("the password alone opened the back office: %d", w.Code)
	}
	return c
}

// TestAdminTOTPSignIn: an owner enrols through the pages; signing in then
// asks for the code after the password; a wrong code, a replayed code, a
// used recovery code and a stale challenge are refused with clear words,
// and only a right code opens a session.
func TestAdminTOTPSignIn(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	secret, rec := a.enrolTOTP(t, owner)

	ch := a.passwordStep(t)
	if w := a.post(t, "/admin/signin/code", url.Values{"code": {"123"}, "next": {"/admin/payments"}}, ch); w.Code != http.StatusUnauthorized ||
		!strings.Contains(w.Body.String(), "That code is not right") || adminCookie(w) != nil {
		t.Fatalf("wrong code = %d", w.Code)
	}
	code := a.code(t, secret)
	w := a.post(t, "/admin/signin/code", url.Values{"code": {code}, "next": {"/admin/payments"}}, ch)
	sess := adminCookie(w)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/payments" || sess == nil {
		t.Fatalf("right code = %d to %q", w.Code, w.Header().Get("Location"))
	}
	if w := a.do(t, http.MethodGet, "/admin/payments", nil, withCookie(sess, nil)); w.Code != http.StatusOK {
		t.Fatalf("session after the code = %d", w.Code)
	}
	ch = a.passwordStep(t)
	if w := a.post(t, "/admin/signin/code", url.Values{"code": {code}}, ch); w.Code != http.StatusUnauthorized ||
		!strings.Contains(w.Body.String(), "That code was already used") || adminCookie(w) != nil {
		t.Fatalf("replayed code = %d", w.Code)
	}
	if w := a.post(t, "/admin/signin/code", url.Values{"code": {rec[0]}}, ch); w.Code != http.StatusSeeOther || adminCookie(w) == nil {
		t.Fatalf("recovery code = %d", w.Code)
	}
	ch = a.passwordStep(t)
	if w := a.post(t, "/admin/signin/code", url.Values{"code": {rec[0]}}, ch); w.Code != http.StatusUnauthorized ||
		!strings.Contains(w.Body.String(), "a recovery code works once") {
		t.Fatalf("used recovery code = %d", w.Code)
	}
	a.Clock.Advance(accounts.SignInCodeTTL)
	if w := a.post(t, "/admin/signin/code", url.Values{"code": {a.code(t, secret)}}, ch); w.Code != http.StatusUnauthorized ||
		!strings.Contains(w.Body.String(), "This sign-in took too long or was ended") {
		t.Fatalf("stale challenge = %d", w.Code)
	}
	if w := a.post(t, "/admin/signin/code", url.Values{"code": {a.code(t, secret)}}, nil); w.Code != http.StatusUnauthorized {
		t.Fatalf("a code with no password step = %d", w.Code)
	}
}

// TestAdminReauth: after ten minutes a refund needs the password and,
// with two-step on, the code; without the code it says so; a locked
// account's re-auth says it is locked (not "wrong password"); nothing is
// refunded on any refusal.
func TestAdminReauth(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	secret, _ := a.enrolTOTP(t, owner)
	a.Clock.Advance(accounts.ReauthWindow)
	doc := mustDoc(t, a.do(t, http.MethodGet, "/admin/payments/"+p.ID, nil, withCookie(owner, nil)))
	if doc.Find("#password").Length() != 1 || doc.Find("#refund-code").Length() != 1 {
		t.Fatal("a stale session's refund form does not ask the password and code")
	}
	refund := func(form url.Values) *httptest.ResponseRecorder {
		form.Set("key", "k1")
		form.Set("amount", "1.00")
		return a.post(t, "/admin/payments/"+p.ID+"/refund", form, owner)
	}
	if w := refund(url.Values{"password": {adminPW}}); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "Enter the code") {
		t.Fatalf("refund without the code = %d", w.Code)
	}
	for range accounts.MaxFailures {
		a.signIn(t, "owner@shop.example", "wrong password!")
	}
	w := refund(url.Values{"password": {adminPW}, "code": {a.code(t, secret)}})
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "locked for 5 minutes") {
		t.Fatalf("re-auth of a locked account = %d %q", w.Code, mustDoc(t, w).Find(`[data-testid="form-error"]`).Text())
	}
	if got := a.MustGet(t, p.ID).Refunded; got != 0 {
		t.Fatalf("refunded %d after refusals", got)
	}
	a.Clock.Advance(accounts.LockFor)
	if w := refund(url.Values{"password": {adminPW}, "code": {a.code(t, secret)}}); w.Code != http.StatusSeeOther || a.MustGet(t, p.ID).Refunded != 100 {
		t.Fatalf("refund with password and code = %d", w.Code)
	}
}

// TestAdminAccounts: the owner invites a cashier (a one-time link shown
// once), the link sets the password and signs them in, and works once;
// an expired link is refused; the last owner cannot be removed; a reset
// ends the person's sessions; a forged cross-site POST and a stale
// session change nothing.
func TestAdminAccounts(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	invite := func(email string) string {
		t.Helper()
		w := a.post(t, "/admin/accounts", url.Values{"email": {email}, "name": {"Till 1"}, "role": {"cashier"}}, owner)
		link := mustDoc(t, w).Find(`[data-testid="invite-link"] code`).Text()
		if w.Code != http.StatusCreated || !strings.Contains(link, "/admin/invite?token=") {
			t.Fatalf("invite %s = %d, link %q", email, w.Code, link)
		}
		u, _ := url.Parse(link)
		return u.RequestURI()
	}
	forged := a.postFrom(t, "/admin/accounts", url.Values{"email": {"evil@shop.example"}, "role": {"owner"}}, owner, "https://evil.example")
	if forged.Code != http.StatusForbidden {
		t.Errorf("cross-site invite = %d, want 403", forged.Code)
	}
	if w := a.post(t, "/admin/accounts", url.Values{"email": {"not an email"}, "role": {"cashier"}}, owner); w.Code != http.StatusBadRequest ||
		!strings.Contains(w.Body.String(), "Enter a valid email") {
		t.Errorf("bad email = %d", w.Code)
	}
	link := invite("till@shop.example")
	page := mustDoc(t, a.do(t, http.MethodGet, link, nil, nil))
	if !strings.Contains(page.Find("main").Text(), "till@shop.example") {
		t.Fatal("the invitation page does not name the account")
	}
	tok := strings.TrimPrefix(link, "/admin/invite?token=")
	accept := func(tok string) *httptest.ResponseRecorder {
		return a.post(t, "/admin/invite", url.Values{"token": {tok}, "password": {adminPW}}, nil)
	}
	w := accept(tok)
	till := adminCookie(w)
	if w.Code != http.StatusSeeOther || till == nil {
		t.Fatalf("accept = %d", w.Code)
	}
	if w := accept(tok); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "not valid or was already used") {
		t.Fatalf("second use = %d", w.Code)
	}
	late := strings.TrimPrefix(invite("late@shop.example"), "/admin/invite?token=")
	a.Clock.Advance(accounts.InviteTTL)
	if w := accept(url.QueryEscape(late)); w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "has expired") {
		t.Fatalf("expired invite = %d", w.Code)
	}
	// The owner's session is now stale: changes need the password again.
	_, owner = a.signIn(t, "owner@shop.example", adminPW)
	as := mustAccounts(t, a)
	id := map[string]string{}
	for _, x := range as {
		id[x.Email] = x.ID
	}
	if w := a.post(t, "/admin/accounts/"+id["owner@shop.example"]+"/remove", nil, owner); w.Code != http.StatusConflict ||
		!strings.Contains(w.Body.String(), "at least one owner") {
		t.Fatalf("removing the last owner = %d", w.Code)
	}
	if w := a.post(t, "/admin/accounts/"+id["till@shop.example"]+"/reset", nil, owner); w.Code != http.StatusOK ||
		!strings.Contains(mustDoc(t, w).Find(`[data-testid="invite-link"]`).Text(), "till@shop.example") {
		t.Fatalf("reset = %d", w.Code)
	}
	if w := a.do(t, http.MethodGet, "/admin/", nil, withCookie(till, nil)); w.Code != http.StatusSeeOther {
		t.Fatalf("the cashier's session after a reset = %d, want 303 to sign in", w.Code)
	}
	a.Clock.Advance(accounts.ReauthWindow)
	if w := a.post(t, "/admin/accounts/"+id["late@shop.example"]+"/remove", nil, owner); w.Code != http.StatusUnauthorized ||
		!strings.Contains(w.Body.String(), "Confirm your password first") {
		t.Fatalf("remove with a stale confirmation = %d", w.Code)
	}
	if n := len(mustAccounts(t, a)); n != 4 {
		t.Fatalf("%d accounts, want 4 (nothing removed)", n)
	}
	follow := func(w *httptest.ResponseRecorder) string {
		t.Helper()
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/admin/accounts") {
			t.Fatalf("reauth = %d to %q", w.Code, w.Header().Get("Location"))
		}
		return mustDoc(t, a.do(t, http.MethodGet, w.Header().Get("Location"), nil, withFlash(owner, w))).Find("main").Text()
	}
	if msg := follow(a.post(t, "/admin/reauth", url.Values{"password": {"wrong password!"}, "next": {"/admin/accounts"}}, owner)); !strings.Contains(msg, "The password is not right; nothing was changed") {
		t.Fatalf("reauth with a wrong password shows %q", msg)
	}
	if msg := follow(a.post(t, "/admin/reauth", url.Values{"password": {adminPW}, "next": {"/admin/accounts"}}, owner)); !strings.Contains(msg, "Confirmed.") {
		t.Fatalf("reauth shows %q", msg)
	}
	if w := a.post(t, "/admin/accounts/"+id["late@shop.example"]+"/remove", nil, owner); w.Code != http.StatusSeeOther || len(mustAccounts(t, a)) != 3 {
		t.Fatalf("remove = %d", w.Code)
	}
	log, _ := a.Store.Audit(t.Context(), accounts.AuditFilter{Limit: 100})
	seen := map[string]bool{}
	for _, e := range log {
		seen[e.Action] = true
		if e.Action == "account.invite" && e.After != "till@shop.example cashier" && e.After != "late@shop.example cashier" {
			t.Errorf("invite audited as %q", e.After)
		}
	}
	for _, want := range []string{"account.invite", "account.accept", "account.reset_access", "account.remove"} {
		if !seen[want] {
			t.Errorf("audit lacks %s", want)
		}
	}
}

// TestAdminSessionsPage: the owner sees every session, with "this
// session" on their own; a cashier sees only theirs, and ending an
// owner's session is refused (403, the session lives on); the owner ends
// all of the cashier's sessions, whose cookie then goes to sign in.
func TestAdminSessionsPage(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	_, cashier := a.signIn(t, "cashier@shop.example", adminPW)
	doc := mustDoc(t, a.do(t, http.MethodGet, "/admin/sessions", nil, withCookie(owner, nil)))
	rows := doc.Find(`[data-testid="session-row"]`)
	if rows.Length() != 2 || doc.Find(`[data-testid="this-session"]`).Length() != 1 ||
		!strings.Contains(rows.Text(), "cashier@shop.example") {
		t.Fatalf("owner's sessions page: %d rows, text %q", rows.Length(), rows.Text())
	}
	var ownerHash, cashierID string
	rows.Each(func(_ int, s *goquery.Selection) {
		if s.Find(`[data-testid="this-session"]`).Length() == 1 {
			ownerHash, _ = s.Find(`input[name="session"]`).Attr("value")
		} else {
			cashierID, _ = s.Attr("data-account")
		}
	})
	cdoc := mustDoc(t, a.do(t, http.MethodGet, "/admin/sessions", nil, withCookie(cashier, nil)))
	if n := cdoc.Find(`[data-testid="session-row"]`).Length(); n != 1 || strings.Contains(cdoc.Text(), "owner@shop.example (") {
		t.Fatalf("cashier sees %d sessions", n)
	}
	if w := a.post(t, "/admin/sessions/revoke", url.Values{"session": {ownerHash}}, cashier); w.Code != http.StatusForbidden {
		t.Fatalf("cashier ending the owner's session = %d, want 403", w.Code)
	}
	if w := a.do(t, http.MethodGet, "/admin/payments", nil, withCookie(owner, nil)); w.Code != http.StatusOK {
		t.Fatalf("owner's session after the cashier's attempt = %d", w.Code)
	}
	if w := a.post(t, "/admin/sessions/revoke-all", url.Values{"account": {cashierID}}, owner); w.Code != http.StatusSeeOther {
		t.Fatalf("revoke all = %d", w.Code)
	}
	if w := a.do(t, http.MethodGet, "/admin/", nil, withCookie(cashier, nil)); !a.saysEnded(t, w) {
		t.Fatalf("cashier after revoke-all = %d %q", w.Code, w.Header().Get("Location"))
	}
}

// TestAdminAuditPage: newest first, filtered by action and account, paged
// by sequence with no entry twice or lost; the CSV export has a BOM and
// neutralizes a formula planted in a User-Agent, the JSON holds the same
// entries, and each export is itself in the log.
func TestAdminAuditPage(t *testing.T) {
	a := newAdminApp(t)
	for range 60 {
		a.signIn(t, "cashier@shop.example", "wrong password!")
		a.Clock.Advance(accounts.LockFor) // keep it unlocked
	}
	evil := `=HYPERLINK("http://evil.example","x")`
	w := a.do(t, http.MethodPost, "/admin/signin", strings.NewReader(url.Values{"email": {"owner@shop.example"}, "password": {adminPW}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "User-Agent": {evil}})
	owner := adminCookie(w)
	var ids []string
	next := "/admin/audit?action=signin.failed"
	for next != "" {
		doc := mustDoc(t, a.do(t, http.MethodGet, next, nil, withCookie(owner, nil)))
		doc.Find(`[data-testid="audit-row"]`).Each(func(_ int, s *goquery.Selection) {
			if act, _ := s.Attr("data-action"); act != "signin.failed" {
				t.Errorf("filtered page shows %q", act)
			}
			ids = append(ids, s.Find("td").First().Text())
		})
		next, _ = doc.Find(`[data-testid="audit-next"]`).Attr("href")
	}
	if len(ids) != 60 {
		t.Fatalf("paged through %d failed sign-ins, want 60", len(ids))
	}
	var ownerID string
	for _, x := range mustAccounts(t, a) {
		if x.Email == "owner@shop.example" {
			ownerID = x.ID
		}
	}
	doc := mustDoc(t, a.do(t, http.MethodGet, "/admin/audit?account="+ownerID, nil, withCookie(owner, nil)))
	if n := doc.Find(`[data-testid="audit-row"]`).Length(); n < 1 || strings.Contains(doc.Find(`[data-testid="audit"] tbody`).Text(), "cashier@") {
		t.Fatalf("account filter: %d rows", n)
	}
	w = a.do(t, http.MethodGet, "/admin/audit/export.csv?action=signin", nil, withCookie(owner, nil))
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.HasPrefix(body, "\ufeff") {
		t.Fatalf("export.csv = %d", w.Code)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("csv: %d records, %v", len(recs), err)
	}
	found := false
	for _, r := range recs[1:] {
		if r[6] != "signin" {
			t.Errorf("export row action %q", r[6])
		}
		if strings.Contains(r[5], "HYPERLINK") {
			found = true
			if !strings.HasPrefix(r[5], "'=") {
				t.Errorf("formula cell not neutralized: %q", r[5])
			}
		}
	}
	if !found {
		t.Error("the export lacks the sign-in with the planted User-Agent")
	}
	w = a.do(t, http.MethodGet, "/admin/audit/export.json?action=signin.failed", nil, withCookie(owner, nil))
	var js []map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &js); err != nil || len(js) != 60 {
		t.Fatalf("export.json: %d entries, %v", len(js), err)
	}
	log, _ := a.Store.Audit(t.Context(), accounts.AuditFilter{AccountID: ownerID, Limit: 10})
	exports := 0
	for _, e := range log {
		if strings.HasPrefix(e.Action, "export.audit.") {
			exports++
		}
	}
	if exports != 2 {
		t.Errorf("%d audit exports in the log, want 2", exports)
	}
}

// TestAdminTOTPOff: turning two-step sign-in off needs the password and a
// code now; a wrong code leaves it on; afterwards the password alone
// signs in.
func TestAdminTOTPOff(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	secret, _ := a.enrolTOTP(t, owner)
	if w := a.post(t, "/admin/totp/off", url.Values{"password": {adminPW}, "code": {"000000"}}, owner); w.Code != http.StatusUnauthorized ||
		!strings.Contains(w.Body.String(), "That code is not right") {
		t.Fatalf("turn off with a wrong code = %d", w.Code)
	}
	if w := a.post(t, "/admin/totp/off", url.Values{"password": {"wrong password!"}, "code": {a.code(t, secret)}}, owner); w.Code != http.StatusUnauthorized {
		t.Fatalf("turn off with a wrong password = %d", w.Code)
	}
	a.passwordStep(t) // still on
	if w := a.post(t, "/admin/totp/off", url.Values{"password": {adminPW}, "code": {a.code(t, secret)}}, owner); w.Code != http.StatusSeeOther {
		t.Fatalf("turn off = %d", w.Code)
	}
	if w, c := a.signIn(t, "owner@shop.example", adminPW); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/payments" || c == nil {
		t.Fatalf("sign-in with two-step off = %d to %q", w.Code, w.Header().Get("Location"))
	}
}

// TestAdminBackgroundFetchIsNotActivity: the list fetching itself again
// (admin.js's refresh, marked with handlers.BackgroundHeader) is answered
// but does not push the idle limit back: 20 minutes after the person's
// last request plus 11 more of background fetches the session has ended,
// where the same fetch made by the person keeps it alive; admin.js sends
// the header with its refresh.
func TestAdminBackgroundFetchIsNotActivity(t *testing.T) {
	a := newAdminApp(t)
	_, quiet := a.signIn(t, "owner@shop.example", adminPW)
	_, active := a.signIn(t, "owner@shop.example", adminPW)
	get := func(cookie *http.Cookie, background bool) *httptest.ResponseRecorder {
		h := withCookie(cookie, nil)
		if background {
			h.Set(handlers.BackgroundHeader, "1")
		}
		return a.do(t, http.MethodGet, "/admin/payments", nil, h)
	}
	a.Clock.Advance(20 * time.Minute)
	if w := get(quiet, true); w.Code != http.StatusOK {
		t.Fatalf("a background fetch 20 minutes in = %d, want the page", w.Code)
	}
	if w := get(active, false); w.Code != http.StatusOK {
		t.Fatalf("the person's fetch 20 minutes in = %d, want the page", w.Code)
	}
	a.Clock.Advance(accounts.IdleTimeout - 20*time.Minute + time.Minute)
	// Ended: 401 to the page's fetch, which tells its person itself
	// (TestSessionEndToldOnce); their next page is sent to sign in.
	if w := get(quiet, true); w.Code != http.StatusUnauthorized {
		t.Errorf("31 minutes after the person's last request, with background fetches between = %d %q; want 401",
			w.Code, w.Header().Get("Location"))
	}
	if w := get(quiet, false); !a.saysEnded(t, w) {
		t.Errorf("the person's page after the background fetches = %d %q; want ended", w.Code, w.Header().Get("Location"))
	}
	w := get(active, false)
	if w.Code != http.StatusOK {
		t.Fatalf("11 minutes after the person's last request = %d, want the page", w.Code)
	}
	// The page's script marks its own fetches so.
	src, _ := mustDoc(t, w).Find("script[data-feed]").Attr("src")
	if js := a.do(t, http.MethodGet, src, nil, nil); js.Code != http.StatusOK || !strings.Contains(js.Body.String(), "'"+handlers.BackgroundHeader+"': '1'") {
		t.Errorf("admin.js (%s, %d) does not send %s with its refresh", src, js.Code, handlers.BackgroundHeader)
	}
}

// TestAdminReauthErrorTied: a refused "confirm it is you" comes back to
// the accounts and two-step pages with its message tied to the field to
// fix (aria-invalid, aria-describedby, autofocus): the password when it
// was wrong, the code when it was; the error leads the title.
func TestAdminReauthErrorTied(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	secret, _ := a.enrolTOTP(t, owner)
	a.Clock.Advance(accounts.ReauthWindow)
	follow := func(form url.Values, page string) *goquery.Document {
		t.Helper()
		form.Set("next", page)
		w := a.post(t, "/admin/reauth", form, owner)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("refused re-auth = %d", w.Code)
		}
		return mustDoc(t, a.do(t, http.MethodGet, w.Header().Get("Location"), nil, withFlash(owner, w)))
	}
	for _, c := range []struct {
		name  string
		form  url.Values
		page  string
		field string
		title string
	}{
		{"wrong password", url.Values{"password": {"not the password"}, "code": {"000000"}}, "/admin/accounts", "#reauth-password", "Error: The password is not right"},
		{"no code", url.Values{"password": {adminPW}}, "/admin/accounts", "#reauth-code", "Error: Enter the code"},
		{"wrong code", url.Values{"password": {adminPW}, "code": {"000000"}}, "/admin/accounts", "#reauth-code", "Error: That code is not right"},
		{"turning two-step off, wrong code", url.Values{"password": {adminPW}, "code": {"000000"}}, handlers.TOTPOffPath, "#off-code", "Error: That code is not right"},
		{"turning two-step off, wrong password", url.Values{"password": {"not the password"}, "code": {"000000"}}, handlers.TOTPOffPath, "#off-password", "Error: The password is not right"},
	} {
		var doc *goquery.Document
		if c.page == handlers.TOTPOffPath {
			doc = mustDoc(t, a.post(t, c.page, c.form, owner))
		} else {
			doc = follow(c.form, c.page)
		}
		f := doc.Find(`[aria-invalid="true"]`)
		if f.Length() != 1 || "#"+f.AttrOr("id", "") != c.field || !strings.HasPrefix(f.AttrOr("aria-describedby", ""), "form-error") ||
			f.AttrOr("autofocus", "no") == "no" {
			t.Errorf("%s on %s: invalid fields %d, the first #%s (described by %q), want %s alone, focused, described by the error",
				c.name, c.page, f.Length(), f.AttrOr("id", ""), f.AttrOr("aria-describedby", ""), c.field)
		}
		if doc.Find(`#form-error[role="alert"]`).Length() != 1 || doc.Find("[autofocus]").Length() != 1 {
			t.Errorf("%s on %s: %d alerts, %d autofocus elements, want 1 each", c.name, c.page,
				doc.Find(`#form-error[role="alert"]`).Length(), doc.Find("[autofocus]").Length())
		}
		if got := doc.Find("title").Text(); !strings.HasPrefix(got, c.title) {
			t.Errorf("%s on %s: title %q, want it to start %q", c.name, c.page, got, c.title)
		}
		a.Clock.Advance(30 * time.Second) // a fresh code step
	}
	if w := a.post(t, handlers.TOTPOffPath, url.Values{"password": {adminPW}, "code": {a.code(t, secret)}}, owner); w.Code != http.StatusSeeOther {
		t.Errorf("turning two-step off with the right code = %d", w.Code)
	}
}

// TestRecoveryCodeAsTyped: a recovery code is taken as a person types or
// pastes it: in upper case, without its dash or with an en dash, with
// spaces, a tab, a line break or a non-breaking space around it, in
// full-width characters (a Chinese input method), at sign-in and when the
// password is asked again.
func TestRecoveryCodeAsTyped(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	_, rec := a.enrolTOTP(t, owner)
	typed := []string{
		strings.ToUpper(rec[0]),
		" " + strings.ToUpper(strings.ReplaceAll(rec[1], "-", "")) + " ",
		"\t" + rec[2] + "\r\n",
		"\u00a0" + strings.ToUpper(rec[3]) + "\u00a0",
		strings.Replace(rec[5], "-", "\u2013", 1),                                     // a phone's en dash
		strings.Map(func(r rune) rune { return r + 0xfee0 }, strings.ToUpper(rec[6])), // full width
	}
	for i, code := range typed {
		a.Clock.Advance(time.Minute) // within the sign-in attempts an address may make
		ch := a.passwordStep(t)
		if w := a.post(t, "/admin/signin/code", url.Values{"code": {code}}, ch); w.Code != http.StatusSeeOther || adminCookie(w) == nil {
			t.Errorf("recovery code %d typed as %q = %d, want signed in", i, code, w.Code)
		}
	}
	// The refund's confirmation takes it the same way.
	p := a.mustPaid(t)
	a.Clock.Advance(accounts.ReauthWindow + time.Minute)
	w := a.post(t, "/admin/payments/"+p.ID+"/refund", url.Values{"key": {"rc-1"}, "amount": {"1.00"}, "password": {adminPW},
		"code": {"\u00a0" + strings.ToUpper(rec[4]) + "\n"}}, owner)
	if w.Code != http.StatusSeeOther {
		t.Errorf("refund confirmed with an upper-case recovery code = %d, want the refund", w.Code)
	}
	log, err := a.Store.Audit(t.Context(), accounts.AuditFilter{Action: "signin.failed", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 0 {
		t.Errorf("%d failures audited for recovery codes typed right", len(log))
	}
}
