package handlers

import (
	"context"
	"encoding/base64"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"

	"github.com/latipay-hpp/hpp/payments"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/headers/*.golden and the script inventory")

// routeCase says how to exercise one route and which golden file its
// headers must match. The golden name starts with the route class.
type routeCase struct {
	golden string
	req    func(a *secApp, p payments.Payment) *http.Request
}

// routeCases has one entry per route in routes.go. TestHeadersEveryRoute
// fails when a route is added without one.
func routeCases() map[string]routeCase {
	get := func(path string) *http.Request { return httptest.NewRequest(http.MethodGet, path, nil) }
	form := func(path, body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("User-Agent", secDesktopUA)
		return r
	}
	return map[string]routeCase{
		"GET /healthz":      {"health-healthz", func(*secApp, payments.Payment) *http.Request { return get("/healthz") }},
		"GET /readyz":       {"health-readyz", func(*secApp, payments.Payment) *http.Request { return get("/readyz") }},
		"GET /static/*path": {"static-js", func(a *secApp, _ payments.Payment) *http.Request { return get(staticPath(a, "js/checkout.js")) }},
		"GET /":             {"page-home", func(*secApp, payments.Payment) *http.Request { return get("/") }},
		"GET /pay":          {"page-link", func(*secApp, payments.Payment) *http.Request { return get("/pay?" + signedLink().Encode()) }},
		"GET /checkout/:id": {"page-checkout", func(_ *secApp, p payments.Payment) *http.Request { return get(CheckoutPath(p.ID)) }},
		"GET /checkout/:id/panel": {"page-panel", func(_ *secApp, p payments.Payment) *http.Request {
			return get(CheckoutPath(p.ID) + "/panel")
		}},
		"POST /checkout/:id/start": {"page-start", func(_ *secApp, p payments.Payment) *http.Request {
			return form(CheckoutPath(p.ID)+"/start", "method=wechat")
		}},
		"POST /checkout/:id/cancel": {"page-cancel", func(a *secApp, _ payments.Payment) *http.Request {
			// The shopper may cancel only with the merchant's cancel_url.
			p, _, err := a.svc.Create(context.Background(), payments.CreateInput{Amount: "1.00", Currency: "NZD",
				Reference: "CANCEL-" + strconv.FormatInt(time.Now().UnixNano(), 36), ReturnURL: a.url + "/",
				CancelURL: a.url + "/cart", Source: "api"}, "")
			if err != nil {
				panic(err)
			}
			return form(CheckoutPath(p.ID)+"/cancel", "")
		}},
		"GET /checkout/:id/return": {"page-return", func(_ *secApp, p payments.Payment) *http.Request { return get(ReturnPath(p.ID)) }},
		"GET /checkout/:id/status": {"data-status", func(_ *secApp, p payments.Payment) *http.Request {
			return get(CheckoutPath(p.ID) + "/status")
		}},
		"GET /checkout/:id/qr.png": {"data-qr", func(_ *secApp, p payments.Payment) *http.Request { return get(CheckoutPath(p.ID) + "/qr.png") }},
		"GET /checkout/:id/ws": {"ws-refused", func(_ *secApp, p payments.Payment) *http.Request {
			return get(CheckoutPath(p.ID) + "/ws?t=bad")
		}},
		"POST " + CallbackPath: {"callback-bad-signature", func(*secApp, payments.Payment) *http.Request {
			return postCallback(signedNotification("wrong-key", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "wechat", "paid", "NZD", "12.50"))
		}},
		"POST /api/v1/payments": {"api-create", func(*secApp, payments.Payment) *http.Request {
			return apiRequest(http.MethodPost, "/api/v1/payments", `{"amount":"1.00","currency":"NZD","reference":"H-1"}`)
		}},
		"GET /api/v1/payments/:id": {"api-show", func(_ *secApp, p payments.Payment) *http.Request {
			return apiRequest(http.MethodGet, "/api/v1/payments/"+p.ID, "")
		}},
		"GET /checkout/:id/back": {"page-back", func(_ *secApp, p payments.Payment) *http.Request { return get(CheckoutPath(p.ID) + "/back") }},
		"POST /checkout/:id/refresh": {"data-refresh", func(_ *secApp, p payments.Payment) *http.Request {
			return form(CheckoutPath(p.ID)+"/refresh", "reference=01ARZ3NDEKTSV4RRFFQ69G5FAV")
		}},
		"GET " + LogoPath:        {"data-logo", func(*secApp, payments.Payment) *http.Request { return get(LogoPath) }},
		"GET " + ThemePath:       {"data-theme", func(*secApp, payments.Payment) *http.Request { return get(ThemePath) }},
		"GET " + EmbedScriptPath: {"static-embed", func(*secApp, payments.Payment) *http.Request { return get(EmbedScriptPath) }},
		"GET /api/v1/payments": {"api-list", func(a *secApp, _ payments.Payment) *http.Request {
			// At least three payments, whatever ran before: a list of
			// over 1 KiB, which is compressed.
			for range 2 {
				_, _, _ = a.svc.Create(context.Background(), payments.CreateInput{Amount: "1.00", Currency: "NZD",
					Reference: "LIST-" + strconv.FormatInt(time.Now().UnixNano(), 36), ReturnURL: a.url + "/", Source: "api"}, "")
			}
			return apiRequest(http.MethodGet, "/api/v1/payments", "")
		}},
		"POST /api/v1/payments/:id/cancel": {"api-cancel", func(_ *secApp, p payments.Payment) *http.Request {
			return apiRequest(http.MethodPost, "/api/v1/payments/"+p.ID+"/cancel", "")
		}},
		"POST /api/v1/payments/:id/refunds": {"api-refund", func(_ *secApp, p payments.Payment) *http.Request {
			return apiRequest(http.MethodPost, "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"1.00"}`)
		}},
		"GET /api/v1/payments/:id/refunds": {"api-refunds", func(_ *secApp, p payments.Payment) *http.Request {
			return apiRequest(http.MethodGet, "/api/v1/payments/"+p.ID+"/refunds", "")
		}},
		"GET /api/v1/payments/:id/refunds/:refund_id": {"api-refund-show", func(_ *secApp, p payments.Payment) *http.Request {
			return apiRequest(http.MethodGet, "/api/v1/payments/"+p.ID+"/refunds/rf_00000000000000000000000000", "")
		}},
		"GET /api/v1/payments/:id/events": {"api-events", func(_ *secApp, p payments.Payment) *http.Request {
			return apiRequest(http.MethodGet, "/api/v1/payments/"+p.ID+"/events", "")
		}},
		"GET /api/v1/webhook-deliveries": {"api-deliveries", func(*secApp, payments.Payment) *http.Request {
			return apiRequest(http.MethodGet, "/api/v1/webhook-deliveries", "")
		}},
		"POST /api/v1/webhook-deliveries/:id/redeliver": {"api-redeliver", func(*secApp, payments.Payment) *http.Request {
			return apiRequest(http.MethodPost, "/api/v1/webhook-deliveries/x/redeliver", "")
		}},
		"GET /api/v1/openapi.json": {"api-openapi", func(*secApp, payments.Payment) *http.Request { return get("/api/v1/openapi.json") }},
		"POST " + CSPReportPath: {"report-csp", func(*secApp, payments.Payment) *http.Request {
			r := httptest.NewRequest(http.MethodPost, CSPReportPath, strings.NewReader(`{"csp-report":{"effective-directive":"frame-ancestors"}}`))
			r.Header.Set("Content-Type", "application/csp-report")
			return r
		}},
		"POST /sandbox/demo": {"page-sandbox-demo", func(*secApp, payments.Payment) *http.Request { return form("/sandbox/demo", "") }},
		"ANY /sandbox/latipay/*path": {"sandbox-simulator", func(*secApp, payments.Payment) *http.Request {
			return get(SandboxPath + "/ledger")
		}},
	}
}

// errorCases are responses no route produces on purpose.
func errorCases() map[string]routeCase {
	return map[string]routeCase{
		"404": {"error-404", func(*secApp, payments.Payment) *http.Request {
			return httptest.NewRequest(http.MethodGet, "/no/such/page", nil)
		}},
		"405": {"error-405", func(*secApp, payments.Payment) *http.Request {
			return httptest.NewRequest(http.MethodGet, CallbackPath, nil)
		}},
		"api-401": {"api-unauthorized", func(*secApp, payments.Payment) *http.Request {
			return httptest.NewRequest(http.MethodGet, "/api/v1/payments/x", nil)
		}},
	}
}

func staticPath(a *secApp, name string) string {
	w := a.do(httptest.NewRequest(http.MethodGet, "/", nil))
	doc, _ := goquery.NewDocumentFromReader(w.Body)
	href, _ := doc.Find(`link[rel=stylesheet]`).Attr("href")
	return strings.TrimSuffix(href, "css/app.css") + name
}

func signedLink() url.Values {
	q := url.Values{"amount": {"5.00"}, "currency": {"NZD"}, "reference": {"LINK-1"}, "return_url": {"https://shop.example/done"}}
	q.Set("sig", payments.SignLink(secLinkSecret, q))
	return q
}

// registeredRoutes lists "METHOD path" for every route addRoutes adds,
// sandbox included; gin's nine Any routes collapse to one "ANY" entry.
func registeredRoutes(t *testing.T, a *secApp) []string {
	t.Helper()
	u, _ := url.Parse(a.url)
	s := &Server{opts: Options{PublicURL: u, Sandbox: http.NotFoundHandler(), Now: time.Now}, limits: newLimits(Limits{}, time.Now)}
	e := gin.New()
	addRoutes(s, e)
	seen := map[string]bool{}
	var out []string
	for _, r := range e.Routes() {
		key := r.Method + " " + r.Path
		if strings.HasPrefix(r.Path, SandboxPath+"/") {
			key = "ANY " + r.Path
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

// chromiumAcceptEncoding is the Accept-Encoding Chromium sends.
const chromiumAcceptEncoding = "gzip, deflate, br, zstd"

// TestHeadersEveryRoute is test 84 (and 98, 99 in part): every route in
// routes.go, plus the 404/405/401 error responses, answers with exactly
// the headers of its golden file under testdata/headers (per route class;
// the nonce, request id and port are masked), asked for with the
// Accept-Encoding of a browser. Run with -update to rewrite
// the golden files after a reviewed change.
func TestHeadersEveryRoute(t *testing.T) {
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			a := newSecApp(t, func(o *Options) {
				o.Sandbox = a2sandbox(o)
				if scheme == "https" {
					u := *o.PublicURL
					u.Scheme = "https"
					o.PublicURL = &u
				}
			})
			cases := routeCases()
			for _, r := range registeredRoutes(t, a) {
				if _, ok := cases[r]; !ok {
					t.Errorf("route %q has no header expectation: add it to routeCases", r)
				}
			}
			for name, c := range errorCases() {
				cases[name] = c
			}
			for name, c := range cases {
				p := a.newPayment(t)
				if strings.Contains(name, "qr.png") {
					a.startWeChat(t, p.ID)
				}
				req := c.req(a, p)
				// As Chromium sends it: the goldens show which routes
				// compress (Content-Encoding) and which never do.
				req.Header.Set("Accept-Encoding", chromiumAcceptEncoding)
				w := a.do(req)
				if w.Code >= 500 {
					t.Errorf("%s: status %d", name, w.Code)
				}
				got := normalHeaders(w.Header(), a.url)
				checkGolden(t, filepath.Join("testdata", "headers", c.golden+"-"+scheme+".golden"), got)
				checkInvariantHeaders(t, name, scheme, w.Header())
			}
		})
	}
}

// a2sandbox mounts a stand-in simulator so the sandbox routes exist.
func a2sandbox(*Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[]`))
	})
}

// checkInvariantHeaders holds for every response whatever its class.
func checkInvariantHeaders(t *testing.T, name, scheme string, h http.Header) {
	t.Helper()
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: no nosniff", name)
	}
	if h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("%s: CORS header %q", name, h.Get("Access-Control-Allow-Origin"))
	}
	hsts := h.Get("Strict-Transport-Security")
	if scheme == "https" && hsts != "max-age=31536000; includeSubDomains" {
		t.Errorf("%s over https: HSTS %q", name, hsts)
	}
	if scheme == "http" && hsts != "" {
		t.Errorf("%s over http: HSTS %q, want none", name, hsts)
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors") {
		t.Errorf("%s: CSP %q has no frame-ancestors", name, h.Get("Content-Security-Policy"))
	}
	if s := h.Get("Server"); s != "" {
		t.Errorf("%s: Server header %q", name, s)
	}
	// Test 90: the shopper flow sets no cookie; any cookie that ever
	// appears must be HttpOnly with an explicit SameSite and Path=/, no
	// Domain, and on https Secure with the __Host- prefix.
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if !c.HttpOnly || c.SameSite == http.SameSiteDefaultMode || c.Path != "/" || c.Domain != "" ||
			(scheme == "https" && (!c.Secure || !strings.HasPrefix(c.Name, "__Host-"))) {
			t.Errorf("%s: cookie %s has weak attributes: %+v", name, c.Name, c)
		}
	}
}

var nonceRE = regexp.MustCompile(`'nonce-([^']+)'`)

// normalHeaders renders h as sorted "Name: value" lines with the parts
// that change per response or per run masked.
func normalHeaders(h http.Header, public string) string {
	var lines []string
	for k, vs := range h {
		switch k {
		case "Date", "Content-Length", "Location":
			continue
		}
		for _, v := range vs {
			v = nonceRE.ReplaceAllString(v, "'nonce-{N}'")
			v = strings.ReplaceAll(v, strings.TrimPrefix(public, "http://"), "{host}")
			if k == "X-Request-Id" {
				v = "{id}"
			}
			lines = append(lines, k+": "+v)
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./handlers -run %s -update to create it)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// TestFrameAncestors is test 85's header half: with no merchant origins
// the pages may be framed by no one; with origins exactly those, and then
// no X-Frame-Options on the embeddable pages. Non-embeddable responses
// stay 'none'.
func TestFrameAncestors(t *testing.T) {
	for _, tc := range []struct {
		origins []string
		want    string
	}{
		{nil, "frame-ancestors 'none'"},
		{[]string{"https://shop.example"}, "frame-ancestors https://shop.example"},
		{[]string{"https://shop.example", "https://b.example"}, "frame-ancestors https://shop.example https://b.example"},
	} {
		a := newSecApp(t, func(o *Options) { o.MerchantOrigins = tc.origins })
		p := a.newPayment(t)
		w := a.do(httptest.NewRequest(http.MethodGet, CheckoutPath(p.ID), nil))
		csp := w.Header().Get("Content-Security-Policy")
		if !strings.HasSuffix(csp, tc.want) && !strings.Contains(csp, tc.want+";") {
			t.Errorf("origins %v: CSP %q, want %q", tc.origins, csp, tc.want)
		}
		if xfo := w.Header().Get("X-Frame-Options"); xfo != "" {
			t.Errorf("origins %v: embeddable page has X-Frame-Options %q", tc.origins, xfo)
		}
		for _, path := range []string{CheckoutPath(p.ID) + "/status", "/no/such/page"} {
			w := a.do(httptest.NewRequest(http.MethodGet, path, nil))
			if c := w.Header().Get("Content-Security-Policy"); !strings.Contains(c, "frame-ancestors 'none'") {
				t.Errorf("origins %v: %s CSP %q, want frame-ancestors 'none'", tc.origins, path, c)
			}
		}
	}
}

// pageStates renders the checkout in each state a shopper can see, plus
// the home, error and return pages, and returns the responses by name.
func pageStates(t *testing.T, a *secApp) map[string]*httptest.ResponseRecorder {
	t.Helper()
	get := func(path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("User-Agent", secDesktopUA)
		return a.do(r)
	}
	out := map[string]*httptest.ResponseRecorder{"home": get("/"), "404": get("/no/such/page")}
	created := a.newPayment(t)
	out["created"] = get(CheckoutPath(created.ID))
	out["created-panel"] = get(CheckoutPath(created.ID) + "/panel")
	pending := a.newPayment(t)
	a.startWeChat(t, pending.ID)
	out["pending-qr"] = get(CheckoutPath(pending.ID))
	out["pending-choose"] = get(CheckoutPath(pending.ID) + "?choose=1")
	out["pending-return"] = get(ReturnPath(pending.ID))
	paid := a.newPayment(t)
	ref := a.startWeChat(t, paid.ID)
	if w := a.do(postCallback(signedNotification(secLatipayKey, ref, "wechat", "paid", "NZD", "12.50"))); w.Body.String() != "sent" {
		t.Fatalf("paying: %d %s", w.Code, w.Body.String())
	}
	out["paid"] = get(CheckoutPath(paid.ID))
	out["paid-panel"] = get(CheckoutPath(paid.ID) + "/panel")
	failed := a.newPayment(t)
	ref = a.startWeChat(t, failed.ID)
	if w := a.do(postCallback(signedNotification(secLatipayKey, ref, "wechat", "failed", "NZD", "12.50"))); w.Body.String() != "sent" {
		t.Fatalf("failing: %d %s", w.Code, w.Body.String())
	}
	out["failed"] = get(CheckoutPath(failed.ID))
	return out
}

// TestCSPNonce is test 87: every page response carries a fresh nonce of
// at least 128 bits, no 'unsafe-inline' or 'unsafe-eval', object-src and
// base-uri 'none'; in every page state each <script> carries exactly
// that nonce, there is no inline <style>, no inline event handler and no
// style attribute.
func TestCSPNonce(t *testing.T) {
	a := newSecApp(t, func(o *Options) { o.Sandbox = a2sandbox(o) })
	seen := map[string]string{}
	for name, w := range pageStates(t, a) {
		csp := w.Header().Get("Content-Security-Policy")
		for _, tok := range strings.FieldsFunc(csp, func(r rune) bool { return r == ' ' || r == ';' }) {
			switch strings.Trim(tok, "'") {
			case "unsafe-inline", "unsafe-eval", "unsafe-hashes", "*", "http:", "https:", "strict-dynamic":
				t.Errorf("%s: CSP has source %s: %s", name, tok, csp)
			}
		}
		for _, must := range []string{"default-src 'none'", "object-src 'none'", "base-uri 'none'", "script-src 'self' 'nonce-"} {
			if !strings.Contains(csp, must) {
				t.Errorf("%s: CSP lacks %q: %s", name, must, csp)
			}
		}
		m := nonceRE.FindStringSubmatch(csp)
		if m == nil {
			t.Errorf("%s: no nonce in CSP", name)
			continue
		}
		raw, err := base64.RawStdEncoding.DecodeString(m[1])
		if err != nil || len(raw) < 16 {
			t.Errorf("%s: nonce %q is not >= 128 bits of base64", name, m[1])
		}
		if other, dup := seen[m[1]]; dup {
			t.Errorf("%s reuses the nonce of %s", name, other)
		}
		seen[m[1]] = name
		doc, err := goquery.NewDocumentFromReader(w.Body)
		if err != nil {
			t.Fatal(err)
		}
		doc.Find("script").Each(func(_ int, s *goquery.Selection) {
			if n, _ := s.Attr("nonce"); n != m[1] {
				t.Errorf("%s: <script> with nonce %q, want the response's", name, n)
			}
		})
		if n := doc.Find("style").Length(); n > 0 {
			t.Errorf("%s: %d inline <style> elements", name, n)
		}
		doc.Find("*").Each(func(_ int, s *goquery.Selection) {
			for _, at := range s.Nodes[0].Attr {
				if strings.HasPrefix(strings.ToLower(at.Key), "on") || strings.ToLower(at.Key) == "style" {
					t.Errorf("%s: <%s %s=%q>", name, goquery.NodeName(s), at.Key, at.Val)
				}
				if (at.Key == "href" || at.Key == "src" || at.Key == "action") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(at.Val)), "javascript:") {
					t.Errorf("%s: javascript: URL in %s", name, at.Key)
				}
			}
		})
	}
	// The same page twice: two nonces.
	p := a.newPayment(t)
	n1 := nonceRE.FindString(a.do(httptest.NewRequest(http.MethodGet, CheckoutPath(p.ID), nil)).Header().Get("Content-Security-Policy"))
	n2 := nonceRE.FindString(a.do(httptest.NewRequest(http.MethodGet, CheckoutPath(p.ID), nil)).Header().Get("Content-Security-Policy"))
	if n1 == n2 {
		t.Errorf("two responses share nonce %s", n1)
	}
}
