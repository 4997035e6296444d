package handlers_test

import (
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/displays"
	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/receipts"
	"github.com/latipay-hpp/hpp/static"
)

const adminPW = "correct horse battery staple"

// The back-office cookie's keys in newAdminApp.
const adminHashKey, adminBlockKey = "admin-hash-key-0123456789abcdefgh", "admin-block-key-0123456789abcdef"

// adminApp is the real router with the back office over the real SQLite
// store, an owner and a cashier.
type adminApp struct {
	*testApp
	acc      *accounts.Service
	links    *payments.Links
	ctr      *counter.Service
	receipts *receipts.Service
	displays *displays.Service
}

// adminAppOptions change newAdminApp's wiring for one test.
type adminAppOptions struct {
	wrapStore func(payments.Store) payments.Store // see paymentstest.Options
	log       *slog.Logger                        // the server's log; default discarded
	// webhooks, when set, makes the webhook worker from the env's store.
	webhooks func(env *paymentstest.Env) handlers.Webhooks
	location *time.Location // the shop's time zone; default UTC
	// wrapGateway changes Latipay's answers (see paymentstest.Options).
	wrapGateway func(payments.Gateway) payments.Gateway
	// oldAdminKeys are the back-office cookie's old (hash, block) pairs,
	// as while HPP_SESSION_KEY is rotated.
	oldAdminKeys [][]byte
	// unreachable is Options.Unreachable: which errors say the database
	// cannot be reached; nil: none.
	unreachable func(error) bool
}

func newAdminApp(t testing.TB, opts ...adminAppOptions) *adminApp {
	t.Helper()
	gin.SetMode(gin.TestMode)
	var o adminAppOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	env := paymentstest.NewEnv(t, paymentstest.Options{Service: payments.Options{AllowLocalhost: true}, WrapStore: o.wrapStore,
		WrapGateway: o.wrapGateway})
	var hooks handlers.Webhooks
	if o.webhooks != nil {
		hooks = o.webhooks(env)
	}
	pub, _ := url.Parse(env.AppURL)
	assets, err := static.New()
	if err != nil {
		t.Fatal(err)
	}
	acc, err := accounts.NewService(env.Store, accounts.NewHasher(2), env.Clock.Now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.SetSealKey([]byte("totp-seal-key-0123456789abcdefgh")); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		email string
		role  accounts.Role
	}{{"owner@shop.example", accounts.Owner}, {"cashier@shop.example", accounts.Cashier}} {
		if _, err := acc.CreateAccount(t.Context(), a.email, "", adminPW, a.role, accounts.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	rc, err := receipts.New(env.Store, []byte("receipt-token-key-0123456789abcdef"), env.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	dsp, err := displays.New(env.Store, env.Clock.Now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	links, err := payments.NewLinks(env.Store, env.Svc, func(id string) string { return env.AppURL + handlers.LinkPath(id) }, env.AppURL+"/")
	if err != nil {
		t.Fatal(err)
	}
	ctr, err := counter.NewService(env.Store, accounts.NewHasher(2), env.Store, env.Svc, env.Clock.Now, rand.Reader,
		counter.Options{Currency: "NZD"})
	if err != nil {
		t.Fatal(err)
	}
	if o.location == nil {
		o.location = time.UTC
	}
	reports, err := payments.NewReports(env.Store, env.Clock.Now, o.location)
	if err != nil {
		t.Fatal(err)
	}
	h, err := handlers.NewServer(o.log, handlers.Options{
		Links: links, Settings: [][2]string{{"HPP_MERCHANT_NAME", "Test Shop"}, {"LATIPAY_API_KEY", "(set, 40 characters)"}},
		CheckWallets: env.Gateway.CheckWallets, Reports: reports, Location: o.location,
		PublicURL: pub, MerchantName: "Test Shop", APIKey: testAPIKey, LinkSecret: testLinkSecret, Webhooks: hooks,
		TokenKey:        []byte("socket-token-key-0123456789abcdef"),
		FormActionHosts: latipay.FormActionOrigins(env.SimURL), Sandbox: env.Sim, Now: env.Clock.Now,
		Accounts: acc, Counter: ctr, Receipts: rc, TaxNumber: "GST 123-456-789", Displays: dsp, Unreachable: o.unreachable,
		AdminSessions: handlers.NewAdminSessionStore([]byte(adminHashKey), []byte(adminBlockKey), false, o.oldAdminKeys...),
	}, env.Svc, handlers.NewSessionStore([]byte("session-hash-key-0123456789abcdef"), []byte("session-block-key-0123456789abcd"), false), env.Hub, assets)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	env.SetApp(h)
	return &adminApp{testApp: &testApp{Env: env, h: h}, acc: acc, links: links, ctr: ctr, receipts: rc, displays: dsp}
}

// signIn signs in through the form and returns the session cookie.
func (a *adminApp) signIn(t testing.TB, email, password string) (*httptest.ResponseRecorder, *http.Cookie) {
	t.Helper()
	form := url.Values{"email": {email}, "password": {password}, "next": {"/admin/payments"}}
	w := a.do(t, http.MethodPost, "/admin/signin", strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	for _, c := range w.Result().Cookies() {
		if c.Name == "hpp-admin" && c.Value != "" {
			return w, c
		}
	}
	return w, nil
}

func withCookie(c *http.Cookie, h http.Header) http.Header {
	if h == nil {
		h = http.Header{}
	}
	if c != nil {
		h.Set("Cookie", c.Name+"="+c.Value)
	}
	return h
}

// adminAccess is which roles each signed-in back-office route answers.
// Public routes (sign-in, sign-out, setup) are listed with no roles. A
// bookkeeper reads the books and changes nothing but their own sign-in:
// every route that acts on a payment, the settings, people, webhooks,
// links or the counter is the owner's alone.
var adminAccess = map[string][]accounts.Role{
	"GET /admin/signin":                      nil,
	"POST /admin/signin":                     nil,
	"POST /admin/signout":                    nil,
	"GET /admin/setup":                       nil,
	"POST /admin/setup":                      nil,
	"GET /admin/":                            {accounts.Owner, accounts.Cashier, accounts.Bookkeeper},
	"GET /admin/payments":                    {accounts.Owner, accounts.Bookkeeper},
	"GET /admin/payments/export.csv":         {accounts.Owner, accounts.Bookkeeper},
	"GET /admin/payments/export.json":        {accounts.Owner, accounts.Bookkeeper},
	"GET /admin/payments/:id":                {accounts.Owner, accounts.Bookkeeper},
	"POST /admin/payments/:id/refund":        {accounts.Owner},
	"POST /admin/payments/:id/cancel":        {accounts.Owner},
	"POST /admin/payments/:id/review":        {accounts.Owner},
	"POST /admin/payments/:id/requery":       {accounts.Owner},
	"GET /admin/webhooks":                    {accounts.Owner},
	"GET /admin/webhooks/:id":                {accounts.Owner},
	"POST /admin/webhooks/:id/redeliver":     {accounts.Owner},
	"GET /admin/settings":                    {accounts.Owner},
	"POST /admin/settings/check":             {accounts.Owner},
	"GET /admin/links":                       {accounts.Owner},
	"POST /admin/links":                      {accounts.Owner},
	"GET /admin/links/:link":                 {accounts.Owner},
	"POST /admin/links/:link/active":         {accounts.Owner},
	"GET /admin/links/:link/qr.png":          {accounts.Owner},
	"GET /admin/links/:link/qr.svg":          {accounts.Owner},
	"GET /admin/links/:link/poster":          {accounts.Owner},
	"GET /admin/counter":                     {accounts.Owner},
	"POST /admin/counter/pair":               {accounts.Owner},
	"POST /admin/counter/pins":               {accounts.Owner},
	"POST /admin/counter/devices/:id/revoke": {accounts.Owner},
	"POST /admin/counter/devices/:id/delay":  {accounts.Owner},
	"GET /admin/feed":                        {accounts.Owner, accounts.Bookkeeper},
	"GET /admin/reports":                     {accounts.Owner, accounts.Bookkeeper},
	"GET /admin/reports/export.csv":          {accounts.Owner, accounts.Bookkeeper},
	"GET /admin/payments/:id/receipt":        {accounts.Owner, accounts.Bookkeeper},
	"GET /admin/signin/code":                 nil,
	"POST /admin/signin/code":                nil,
	"GET /admin/invite":                      nil,
	"POST /admin/invite":                     nil,
	"POST /admin/reauth":                     {accounts.Owner, accounts.Cashier, accounts.Bookkeeper},
	"GET /admin/password":                    {accounts.Owner, accounts.Cashier, accounts.Bookkeeper},
	"POST /admin/password":                   {accounts.Owner, accounts.Cashier, accounts.Bookkeeper},
	"GET /admin/totp":                        {accounts.Owner, accounts.Bookkeeper},
	"POST /admin/totp":                       {accounts.Owner, accounts.Bookkeeper},
	"POST /admin/totp/off":                   {accounts.Owner, accounts.Bookkeeper},
	"GET /admin/accounts":                    {accounts.Owner},
	"POST /admin/accounts":                   {accounts.Owner},
	"POST /admin/accounts/:id/reset":         {accounts.Owner},
	"POST /admin/accounts/:id/role":          {accounts.Owner},
	"POST /admin/accounts/:id/remove":        {accounts.Owner},
	"GET /admin/session":                     {accounts.Owner, accounts.Cashier, accounts.Bookkeeper},
	"POST /admin/session":                    {accounts.Owner, accounts.Cashier, accounts.Bookkeeper},
	"GET /admin/sessions":                    {accounts.Owner, accounts.Cashier, accounts.Bookkeeper},
	"POST /admin/sessions/revoke":            {accounts.Owner, accounts.Cashier, accounts.Bookkeeper},
	"POST /admin/sessions/revoke-all":        {accounts.Owner, accounts.Cashier, accounts.Bookkeeper},
	"GET /admin/audit":                       {accounts.Owner, accounts.Bookkeeper},
	"GET /admin/audit/export.csv":            {accounts.Owner, accounts.Bookkeeper},
	"GET /admin/audit/export.json":           {accounts.Owner, accounts.Bookkeeper},
	"GET /admin/refunds/export.csv":          {accounts.Owner, accounts.Bookkeeper},
	"GET /admin/refunds/export.json":         {accounts.Owner, accounts.Bookkeeper},
}

// adminSockets are the websocket routes among adminAccess: to a plain
// GET from a role they serve, they answer 400 (not a websocket
// handshake) rather than a page.
var adminSockets = map[string]bool{"GET /admin/feed": true}

// adminQuiet are the GET routes among adminAccess that a page's script
// asks by itself: without a session they answer 401, never a redirect to
// sign in.
var adminQuiet = map[string]bool{"GET /admin/session": true}

// checkRouteRows fails t for each route ("METHOD /path") of the real
// router under prefix that has no row in table (called name in the
// message) and for each row the router lacks: a test's route table must
// list every route, so a new one cannot ship untested.
func checkRouteRows[V any](t *testing.T, a *adminApp, prefix, name string, table map[string]V) {
	t.Helper()
	var routes []string
	for _, r := range handlers.Routes(a.h) {
		if strings.HasPrefix(r.Path, prefix) {
			routes = append(routes, r.Method+" "+r.Path)
		}
	}
	for _, r := range routes {
		if _, ok := table[r]; !ok {
			t.Errorf("route %s has no row in %s", r, name)
		}
	}
	for r := range table {
		if !slices.Contains(routes, r) {
			t.Errorf("%s lists %s, which the router lacks", name, r)
		}
	}
}

// TestAdminRouteRoleMatrix walks every /admin route of the real router
// for anonymous, cashier, bookkeeper and owner: a route a role may not use answers
// 403 (401 or a redirect to sign in when anonymous) and never its page;
// one it may use answers 200. A route missing from adminAccess fails, so
// a new route cannot ship without its row.
func TestAdminRouteRoleMatrix(t *testing.T) {
	a := newAdminApp(t)
	checkRouteRows(t, a, "/admin", "adminAccess", adminAccess)
	if _, err := a.acc.CreateAccount(t.Context(), "books@shop.example", "", adminPW, accounts.Bookkeeper, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	_, cashier := a.signIn(t, "cashier@shop.example", adminPW)
	_, bookkeeper := a.signIn(t, "books@shop.example", adminPW)
	if owner == nil || cashier == nil || bookkeeper == nil {
		t.Fatal("sign-in gave no cookie")
	}
	w := a.api(t, http.MethodPost, "/api/v1/payments", `{"amount":"3.00","currency":"NZD","reference":"M-1","return_url":"https://shop.example/r"}`, nil)
	pay := mustJSON[paymentstest.APIPayment](t, w)
	// The account the /admin/accounts/:id routes act on: a refused role
	// must leave it as it is.
	target, err := a.acc.CreateAccount(t.Context(), "target@shop.example", "", adminPW, accounts.Cashier, accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	// A delivery of the payment's first event, for the webhook routes.
	delivery := payments.Delivery{ID: "whd_00000000000000000001", PaymentID: pay.ID, Seq: 1, EventType: "payment.created",
		Attempt: 1, StatusCode: 500, At: a.Clock.Now(), State: payments.DeliveryFailed}
	if err := a.Store.RecordDelivery(t.Context(), delivery); err != nil {
		t.Fatal(err)
	}
	link, err := a.links.Create(t.Context(), payments.LinkInput{Currency: "NZD", Amount: "2.00"})
	if err != nil {
		t.Fatal(err)
	}
	who := map[string]*http.Cookie{"anonymous": nil, "cashier": cashier, "bookkeeper": bookkeeper, "owner": owner}
	for r, roles := range adminAccess {
		if roles == nil {
			continue
		}
		method, path, _ := strings.Cut(r, " ")
		switch {
		case strings.HasPrefix(path, "/admin/accounts/"):
			path = strings.Replace(path, ":id", target.ID, 1)
		case strings.HasPrefix(path, "/admin/webhooks/"):
			path = strings.Replace(path, ":id", delivery.ID, 1)
		}
		path = strings.Replace(strings.Replace(path, ":id", pay.ID, 1), ":link", link.ID, 1)
		for _, name := range []string{"anonymous", "cashier", "bookkeeper", "owner"} {
			cookie := who[name]
			before, err := a.Store.Payment(t.Context(), pay.ID)
			if err != nil {
				t.Fatal(err)
			}
			linksBefore, err := a.links.List(t.Context(), "", "", 100)
			if err != nil {
				t.Fatal(err)
			}
			accsBefore := fmt.Sprint(mustAccounts(t, a))
			form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
			w := a.do(t, method, path, strings.NewReader("key=k&amount=1.00&password="+adminPW), withCookie(cookie, form))
			allowed := slices.Contains(roles, accounts.Role(name))
			if !allowed {
				if p, err := a.Store.Payment(t.Context(), pay.ID); err != nil || p.Version != before.Version {
					t.Fatalf("%s as %s changed the payment: %s -> %s, %v", r, name, before.Status, p.Status, err)
				}
				if ls, err := a.links.List(t.Context(), "", "", 100); err != nil || !reflect.DeepEqual(ls, linksBefore) {
					t.Fatalf("%s as %s changed the links, %v", r, name, err)
				}
				if after := fmt.Sprint(mustAccounts(t, a)); after != accsBefore {
					t.Fatalf("%s as %s changed the accounts:\n%s\n->\n%s", r, name, accsBefore, after)
				}
			}
			switch {
			case allowed && adminSockets[r]:
				if w.Code != http.StatusBadRequest {
					t.Errorf("%s as %s = %d, want 400 (no websocket handshake)", r, name, w.Code)
				}
			case allowed && method == http.MethodGet && w.Code != http.StatusOK:
				t.Errorf("%s as %s = %d, want 200", r, name, w.Code)
			case allowed && (w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden):
				t.Errorf("%s as %s = %d, want it served", r, name, w.Code)
			case !allowed && name == "anonymous" && method == http.MethodGet && !adminQuiet[r]:
				if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/admin/signin?next=") {
					t.Errorf("%s anonymous = %d to %q, want 303 to sign in", r, w.Code, w.Header().Get("Location"))
				}
			case !allowed && name == "anonymous" && w.Code != http.StatusUnauthorized:
				t.Errorf("%s anonymous = %d, want 401", r, w.Code)
			case !allowed && name != "anonymous" && w.Code != http.StatusForbidden:
				t.Errorf("%s as %s = %d, want 403", r, name, w.Code)
			}
			if !allowed && strings.Contains(w.Body.String(), `data-testid="payments"`) {
				t.Errorf("%s as %s shows the payments list", r, name)
			}
		}
	}
}

// TestAdminSignIn: a wrong password is a clear message and no cookie;
// the right one is a new session cookie (HttpOnly, SameSite=Strict) and
// the page asked for; a forged cross-site sign-out changes nothing; a
// real sign-out ends the session server-side, so the old cookie is stale
// and sends its holder to sign in again with a message.
func TestAdminSignIn(t *testing.T) {
	a := newAdminApp(t)
	w, c := a.signIn(t, "owner@shop.example", "not the password")
	if w.Code != http.StatusUnauthorized || c != nil || !strings.Contains(w.Body.String(), "Wrong email or password.") {
		t.Fatalf("wrong password = %d, cookie %v, body without the message", w.Code, c)
	}
	w, c = a.signIn(t, "owner@shop.example", adminPW)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/payments" || c == nil {
		t.Fatalf("sign-in = %d to %q, cookie %v", w.Code, w.Header().Get("Location"), c)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/", c)
	}
	_, c2 := a.signIn(t, "owner@shop.example", adminPW)
	if c2 == nil || c2.Value == c.Value {
		t.Error("a second sign-in did not get a new cookie")
	}
	forged := a.do(t, http.MethodPost, "/admin/signout", nil, withCookie(c, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}))
	if forged.Code != http.StatusForbidden {
		t.Errorf("cross-site sign-out = %d, want 403", forged.Code)
	}
	if w := a.do(t, http.MethodGet, "/admin/payments", nil, withCookie(c, nil)); w.Code != http.StatusOK {
		t.Fatalf("after a forged sign-out the session is gone: %d", w.Code)
	}
	if w := a.do(t, http.MethodPost, "/admin/signout", nil, withCookie(c, nil)); w.Code != http.StatusSeeOther {
		t.Fatalf("sign-out = %d", w.Code)
	}
	w = a.do(t, http.MethodGet, "/admin/payments", nil, withCookie(c, nil))
	if !a.saysEnded(t, w) {
		t.Fatalf("stale cookie = %d to %q, want 303 to a sign-in page that says the session ended", w.Code, w.Header().Get("Location"))
	}
	// The address alone says nothing: a link cannot claim a session ended.
	page := a.do(t, http.MethodGet, handlers.SignInPath+"?ended=1&lang=en", nil, nil)
	if strings.Contains(page.Body.String(), "Your session ended") {
		t.Error("a sign-in link with ?ended=1 says the session ended")
	}
}

// TestAdminSignInNextStaysInTheBackOffice: the page a sign-in returns to
// comes from the request (a link someone else may have written), so only
// a path of the back office is followed; anything else, another host
// above all, lands on the back office's home. The sign-in page's hidden
// field carries the same cleaned value.
func TestAdminSignInNextStaysInTheBackOffice(t *testing.T) {
	a := newAdminApp(t)
	for next, want := range map[string]string{
		"/admin/payments?status=paid": "/admin/payments?status=paid",
		"/admin/links":                "/admin/links",
		"":                            "/admin/",
		"https://evil.example/admin/": "/admin/",
		"//evil.example/admin/":       "/admin/",
		"/\\evil.example/admin/":      "/admin/",
		"/admin/\\evil.example":       "/admin/",
		"/admin/\r\nSet-Cookie: x=1":  "/admin/",
		"/checkout/pay_x":             "/admin/",
		"admin/payments":              "/admin/",
		"/admin/../../evil":           "/admin/",
		"/admin/../evil":              "/admin/",
		"/admin/%2e%2e/%2e%2e/evil":   "/admin/",
		"/admin/%2E%2E/evil":          "/admin/",
		"/admin/.%2e/evil":            "/admin/",
		"/admin/..%2fevil":            "/admin/",
		"/admin/links/../../../evil":  "/admin/",
		"/admin/./../administrator":   "/admin/",
		"/admin/x/../links":           "/admin/links",
		"/admin/x/%2e%2e/links?a=1":   "/admin/links?a=1",
		"/admin/..":                   "/admin/",
	} {
		a.Clock.Advance(6 * time.Second) // within the sign-in budget of 10 a minute
		form := url.Values{"email": {"owner@shop.example"}, "password": {adminPW}, "next": {next}}
		w := a.do(t, http.MethodPost, "/admin/signin", strings.NewReader(form.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != want {
			t.Errorf("sign-in with next %q = %d to %q, want 303 to %q", next, w.Code, w.Header().Get("Location"), want)
		}
		page := a.do(t, http.MethodGet, "/admin/signin?"+url.Values{"next": {next}}.Encode(), nil, nil)
		field := `name="next" value="` + html.EscapeString(want) + `"`
		if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), field) {
			t.Errorf("the sign-in page for next %q = %d, without %s", next, page.Code, field)
		}
	}
}

// TestAdminSetup: the setup form with a wrong token is refused clearly
// and creates nothing; every link issued shows the form; one creates the
// owner and signs them in, after which every link (that one too) says, on
// opening, that the shop has its owner, with no form to fill in.
func TestAdminSetup(t *testing.T) {
	a := newAdminApp(t)
	// A fresh store has an owner already (newAdminApp); setup on an
	// empty one needs a store without accounts.
	for _, acct := range mustAccounts(t, a) {
		if err := a.Store.DeleteAccount(t.Context(), acct.ID); err != nil {
			t.Fatal(err)
		}
	}
	var toks []string
	for range 2 { // two instances, or two starts, each printed a link
		tok, err := a.acc.NewSetupToken(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	tok := toks[1]
	show := func(token string, want int, form bool, says string) {
		t.Helper()
		w := a.do(t, http.MethodGet, "/admin/setup?token="+url.QueryEscape(token), nil, nil)
		doc := mustDoc(t, w)
		hasForm := doc.Find(`[data-testid="setup-form"]`).Length() == 1
		msg := doc.Find(`[data-testid="form-error"]`).Text()
		if w.Code != want || hasForm != form || !strings.Contains(msg, says) {
			t.Errorf("GET setup = %d, form %v, saying %q; want %d, form %v, saying %q", w.Code, hasForm, msg, want, form, says)
		}
	}
	for _, k := range toks {
		show(k, http.StatusOK, true, "")
	}
	show("wrong"+tok, http.StatusForbidden, false, "not valid")
	show("", http.StatusForbidden, false, "not valid")
	post := func(token string) *httptest.ResponseRecorder {
		form := url.Values{"token": {token}, "email": {"boss@shop.example"}, "password": {adminPW}}
		return a.do(t, http.MethodPost, "/admin/setup", strings.NewReader(form.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	}
	if w := post("wrong" + tok); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "not valid") {
		t.Fatalf("wrong token = %d", w.Code)
	}
	if n := len(mustAccounts(t, a)); n != 0 {
		t.Fatalf("a wrong token created %d accounts", n)
	}
	w := post(tok)
	if w.Code != http.StatusSeeOther || len(w.Result().Cookies()) == 0 {
		t.Fatalf("setup = %d, cookies %v", w.Code, w.Result().Cookies())
	}
	for _, k := range toks {
		if w := post(k); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "already has an owner") {
			t.Fatalf("a setup link once the owner exists = %d, want 409", w.Code)
		}
		show(k, http.StatusConflict, false, "already has an owner")
	}
	as := mustAccounts(t, a)
	if len(as) != 1 || as[0].Role != accounts.Owner || as[0].Email != "boss@shop.example" {
		t.Fatalf("accounts after setup = %+v", as)
	}
}

func mustAccounts(t *testing.T, a *adminApp) []accounts.Account {
	t.Helper()
	as, err := a.Store.Accounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// TestAdminExportMatchesList: the CSV and JSON exports hold exactly the
// rows the list shows for the same filter, in its order; the CSV starts
// with a byte-order mark and a cell that a spreadsheet would run as a
// formula is neutralized; a cashier gets 403 and no file.
func TestAdminExportMatchesList(t *testing.T) {
	a := newAdminApp(t)
	refs := []string{`=HYPERLINK("http://evil.example","x")`, "-2+3", "@SUM(A1)", "茶叶 order 1", "+tea"}
	for i, ref := range refs {
		body := fmt.Sprintf(`{"amount":"%d.50","currency":"NZD","reference":%q,"return_url":"https://shop.example/r"}`, i+1, ref)
		if w := a.api(t, http.MethodPost, "/api/v1/payments", body, nil); w.Code != http.StatusCreated {
			t.Fatalf("create %q = %d %s", ref, w.Code, w.Body)
		}
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	_, cashier := a.signIn(t, "cashier@shop.example", adminPW)
	for _, filter := range []string{"", "?status=created", "?q=" + url.QueryEscape("reference:+tea"), "?status=paid"} {
		doc := mustDoc(t, a.do(t, http.MethodGet, "/admin/payments"+filter, nil, withCookie(owner, nil)))
		var listed [][]string
		doc.Find(`[data-testid="payment-row"]`).Each(func(_ int, s *goquery.Selection) {
			id, _ := s.Attr("data-id")
			listed = append(listed, []string{id, strings.TrimSpace(s.Find(`[data-col="reference"]`).Text()),
				strings.TrimSpace(s.Find(`[data-col="amount"]`).Text())})
		})
		q := strings.TrimPrefix(filter, "?")
		w := a.do(t, http.MethodGet, "/admin/payments/export.csv?"+q, nil, withCookie(owner, nil))
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "\ufeff") {
			t.Fatalf("export.csv%s = %d, BOM %v", filter, w.Code, strings.HasPrefix(w.Body.String(), "\ufeff"))
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, name := range recs[0] {
			col[name] = i
		}
		var exported [][]string
		for _, r := range recs[1:] {
			ref := r[col["reference"]]
			if strings.HasPrefix(ref, "'") {
				ref = ref[1:]
			} else if ref != "" && strings.ContainsRune("=+-@", rune(ref[0])) {
				t.Errorf("export.csv%s: cell %q is not neutralized", filter, ref)
			}
			exported = append(exported, []string{r[col["id"]], ref, r[col["currency"]] + " " + r[col["amount"]]})
		}
		if fmt.Sprint(exported) != fmt.Sprint(listed) {
			t.Errorf("export.csv%s rows\n%v\nlist shows\n%v", filter, exported, listed)
		}
		w = a.do(t, http.MethodGet, "/admin/payments/export.json?"+q, nil, withCookie(owner, nil))
		var js []map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &js); err != nil {
			t.Fatalf("export.json%s: %v", filter, err)
		}
		var jrows [][]string
		for _, r := range js {
			jrows = append(jrows, []string{r["id"], r["reference"], r["currency"] + " " + r["amount"]})
		}
		if fmt.Sprint(jrows) != fmt.Sprint(listed) {
			t.Errorf("export.json%s rows\n%v\nlist shows\n%v", filter, jrows, listed)
		}
	}
	if w := a.do(t, http.MethodGet, "/admin/payments/export.csv", nil, withCookie(cashier, nil)); w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), "HYPERLINK") {
		t.Errorf("cashier export = %d", w.Code)
	}
	log, err := a.Store.Audit(t.Context(), accounts.AuditFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	exports := 0
	for _, e := range log {
		if strings.HasPrefix(e.Action, "export.") && e.Email == "owner@shop.example" {
			exports++
		}
	}
	if exports != 8 {
		t.Errorf("audit holds %d exports by the owner, want 8", exports)
	}
}

// TestAdminRefund: through the payments service, a partial refund then a
// full one; a double click (the same form key) refunds once; a third is
// refused clearly; more than is left is refused; after ten minutes the
// password is asked again, and a wrong one refunds nothing.
func TestAdminRefund(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	refund := func(form url.Values) *httptest.ResponseRecorder {
		return a.do(t, http.MethodPost, "/admin/payments/"+p.ID+"/refund", strings.NewReader(form.Encode()),
			withCookie(owner, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}))
	}
	refunded := func() int64 { return a.MustGet(t, p.ID).Refunded }
	doc := mustDoc(t, a.do(t, http.MethodGet, "/admin/payments/"+p.ID, nil, withCookie(owner, nil)))
	if v, _ := doc.Find("#amount").Attr("value"); v != "12.50" {
		t.Fatalf("the refund form offers %q, want the full 12.50", v)
	}
	if doc.Find("#password").Length() != 0 {
		t.Error("the password is asked again right after sign-in")
	}
	if w := refund(url.Values{"key": {"k1"}, "amount": {"20.00"}}); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Only NZD 12.50 can still be refunded") || refunded() != 0 {
		t.Fatalf("refund above the amount = %d, refunded %d", w.Code, refunded())
	}
	for range 2 { // a double click: the same key
		if w := refund(url.Values{"key": {"k2"}, "amount": {"5.00"}, "reason": {"broken box"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("partial refund = %d %s", w.Code, w.Body)
		}
	}
	if got := refunded(); got != 500 {
		t.Fatalf("after a double-clicked 5.00 refund, refunded = %d, want 500", got)
	}
	a.Clock.Advance(11 * time.Minute)
	if w := refund(url.Values{"key": {"k3"}, "amount": {"7.50"}, "password": {"wrong password here"}}); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "nothing was refunded") || refunded() != 500 {
		t.Fatalf("refund with a wrong password = %d, refunded %d", w.Code, refunded())
	}
	if w := refund(url.Values{"key": {"k3"}, "amount": {"7.50"}, "password": {adminPW}}); w.Code != http.StatusSeeOther || refunded() != 1250 {
		t.Fatalf("full refund = %d, refunded %d", w.Code, refunded())
	}
	w := refund(url.Values{"key": {"k4"}, "amount": {"1.00"}})
	if msg := mustDoc(t, w).Find(`[data-testid="form-error"]`).Text(); w.Code < 400 || w.Code >= 500 || refunded() != 1250 ||
		!strings.Contains(msg, "This payment is already fully refunded.") {
		t.Fatalf("third refund = %d %q, refunded %d", w.Code, msg, refunded())
	}
}

// TestAdminRefundEmptyPassword: a refund asking for the password again,
// sent without one, says to enter it and counts no failure: more empty
// tries than lock an account leave the right password working.
func TestAdminRefundEmptyPassword(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	refund := func(form url.Values) *httptest.ResponseRecorder {
		return a.do(t, http.MethodPost, "/admin/payments/"+p.ID+"/refund?lang=en", strings.NewReader(form.Encode()),
			withCookie(owner, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}))
	}
	a.Clock.Advance(accounts.ReauthWindow + time.Minute)
	for i := range accounts.MaxFailures + 1 {
		w := refund(url.Values{"key": {"e1"}, "amount": {"2.00"}, "password": {""}})
		doc := mustDoc(t, w)
		msg := doc.Find(`[data-testid="form-error"]`).Text()
		if w.Code != http.StatusBadRequest || !strings.Contains(msg, "Enter your password") || strings.Contains(msg, "not right") {
			t.Fatalf("refund %d without a password = %d %q; want 400 asking for the password", i+1, w.Code, msg)
		}
		if _, ok := doc.Find("#password").Attr("aria-invalid"); !ok {
			t.Errorf("refund %d without a password: the password field is not marked", i+1)
		}
	}
	if got := a.MustGet(t, p.ID).Refunded; got != 0 {
		t.Fatalf("refunded %d without a password", got)
	}
	if w := refund(url.Values{"key": {"e1"}, "amount": {"2.00"}, "password": {adminPW}}); w.Code != http.StatusSeeOther {
		t.Fatalf("the right password after empty tries = %d %s; want the refund", w.Code, w.Body)
	}
	log, err := a.Store.Audit(t.Context(), accounts.AuditFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if e.Action == "signin.failed" {
			t.Errorf("an empty password was audited as a failure: %+v", e)
		}
	}
}

// TestAdminCashierHomeLeadsToCounter: a cashier's back-office home points
// to the counter they sell at, and not to the owner's payments.
func TestAdminCashierHomeLeadsToCounter(t *testing.T) {
	a := newAdminApp(t)
	_, cashier := a.signIn(t, "cashier@shop.example", adminPW)
	if cashier == nil {
		t.Fatal("cashier sign-in gave no cookie")
	}
	w := a.do(t, http.MethodGet, "/admin/", nil, withCookie(cashier, nil))
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `data-testid="to-counter"`) || !strings.Contains(body, `href="/counter"`) {
		t.Errorf("cashier home = %d without a link to /counter:\n%.600s", w.Code, body)
	}
	if strings.Contains(body, `data-testid="to-payments"`) {
		t.Error("cashier home links to the owner's payments")
	}
}
