package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestAPIJSONStrict: the merchant API takes exactly one JSON object whose
// keys appear once. encoding/json alone keeps the last of a repeated key,
// so "amount":"1.00" then "amount":"99.00" created a 99.00 payment; a
// "[]" body was answered "( has the wrong type)".
func TestAPIJSONStrict(t *testing.T) {
	a := newTestApp(t)
	paid := a.mustCreate(t, createBody)
	for _, tc := range []struct {
		name, path, body, want string
	}{
		{"duplicate amount", "/api/v1/payments", `{"amount":"1.00","currency":"NZD","reference":"DUP-1","return_url":"https://shop.example.com/done","amount":"99.00"}`, `"amount" appears more than once`},
		{"duplicate inside", "/api/v1/payments", `{"amount":"1.00","currency":"NZD","currency":"AUD","reference":"DUP-2","return_url":"https://shop.example.com/done"}`, `"currency" appears more than once`},
		{"array", "/api/v1/payments", `[]`, "must be a JSON object ({...}), not an array"},
		{"string", "/api/v1/payments", `"x"`, "not a string"},
		{"empty", "/api/v1/payments", ``, "body is empty"},
		{"trailing", "/api/v1/payments", createBody + `{}`, "nothing after it"},
		{"refund duplicate", "/api/v1/payments/" + paid.ID + "/refunds", `{"amount":"1.00","amount":"12.50"}`, `"amount" appears more than once`},
		{"refund array", "/api/v1/payments/" + paid.ID + "/refunds", `[{"amount":"1.00"}]`, "not an array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := a.api(t, "POST", tc.path, tc.body, nil)
			e := mustJSON[apiError](t, w)
			if w.Code != http.StatusUnprocessableEntity && w.Code != http.StatusBadRequest || !strings.Contains(e.Error.Message, tc.want) {
				t.Errorf("POST %s %s = %d %q, want 4xx mentioning %q", tc.path, tc.body, w.Code, e.Error.Message, tc.want)
			}
		})
	}
}

// TestHeadOnGetRoutes: HEAD is answered as GET without a body on every GET
// route (it was 405 everywhere, /healthz included); a route without GET
// still answers 405.
func TestHeadOnGetRoutes(t *testing.T) {
	a := newTestApp(t)
	p := a.mustCreate(t, createBody)
	for _, path := range []string{"/healthz", "/readyz", "/", "/checkout/" + p.ID, "/api/v1/openapi.json"} {
		get := a.do(t, "GET", path, nil, nil)
		head := a.do(t, "HEAD", path, nil, nil)
		if head.Code != get.Code || head.Code != http.StatusOK || head.Body.Len() != 0 ||
			head.Header().Get("Content-Type") != get.Header().Get("Content-Type") {
			t.Errorf("HEAD %s = %d, %d body bytes, %q; GET = %d %q", path, head.Code, head.Body.Len(),
				head.Header().Get("Content-Type"), get.Code, get.Header().Get("Content-Type"))
		}
	}
	if w := a.do(t, "HEAD", "/checkout/"+p.ID+"/start", nil, nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("HEAD on a POST-only route = %d, want 405", w.Code)
	}
}

// TestSandboxControlsLoopbackOnly: the simulator's ledger and fault
// switches need no authentication, so they answer only when the public
// URL is on loopback; the simulated Latipay API itself stays reachable.
func TestSandboxControlsLoopbackOnly(t *testing.T) {
	local := newTestApp(t)
	if w := local.do(t, "GET", "/sandbox/latipay/ledger", nil, nil); w.Code != http.StatusOK {
		t.Errorf("GET ledger on loopback = %d, want 200", w.Code)
	}
	pub, _ := url.Parse("https://pay.example.com")
	h := handlers.NewTestApp(t, handlers.TestAppOptions{Detached: true, Edit: func(_ *paymentstest.Env, o *handlers.Options) {
		o.PublicURL, o.FormActionHosts = pub, nil
	}}).H
	for _, r := range []*http.Request{
		httptest.NewRequest("GET", "https://pay.example.com/sandbox/latipay/ledger", nil),
		httptest.NewRequest("GET", "https://pay.example.com/sandbox/latipay/faults", nil),
		httptest.NewRequest("POST", "https://pay.example.com/sandbox/latipay/faults", strings.NewReader(`{"drop_callbacks":true}`)),
	} {
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "loopback") {
			t.Errorf("%s %s with a public URL off loopback = %d %s, want 403", r.Method, r.URL.Path, w.Code, w.Body)
		}
	}
}
