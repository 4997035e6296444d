package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// Test secrets are canaries: they must never appear in a response.
const (
	testAPIKey     = handlers.TestAPIKey
	testLinkSecret = handlers.TestLinkSecret
)

// desktopUA is a desktop browser's User-Agent.
const desktopUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"

// phoneUA is a phone browser's User-Agent.
const phoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"

// testApp is the real router over the real store, simulator, client and hub.
type testApp struct {
	*paymentstest.Env
	h http.Handler
}

// newTestApp is handlers.NewTestApp in sandbox mode, served at
// env.AppURL, so the simulator's callbacks go through the router too.
func newTestApp(t testing.TB) *testApp {
	t.Helper()
	app := handlers.NewTestApp(t, handlers.TestAppOptions{})
	return &testApp{Env: app.Env, h: app.H}
}

// do serves one request through the router. Paths are relative to the
// app's public URL, so Host matches it.
func (a *testApp) do(t testing.TB, method, path string, body io.Reader, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, a.AppURL+path, body)
	for k, v := range header {
		r.Header[k] = v
	}
	if r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", desktopUA)
	}
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, r)
	return w
}

// api calls the merchant API with the test key.
func (a *testApp) api(t testing.TB, method, path, body string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + testAPIKey}, "Content-Type": {"application/json"}}
	for k, v := range header {
		h[k] = v
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	return a.do(t, method, path, rd, h)
}

// apiError is the API's error shape.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func mustJSON[T any](t testing.TB, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON; body %s", ct, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, w.Body, err)
	}
	return v
}

// checkErrorShape checks that an API error body is exactly
// {"error":{"code":"...","message":"..."}} with the given code.
func checkErrorShape(t testing.TB, w *httptest.ResponseRecorder, code string) {
	t.Helper()
	var body map[string]map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %s: %v", w.Body, err)
	}
	e, ok := body["error"]
	if len(body) != 1 || !ok || len(e) != 2 || e["code"] != code || e["message"] == "" {
		t.Errorf("error body = %s, want {\"error\":{\"code\":%q,\"message\":...}}", w.Body, code)
	}
}

const createBody = `{"amount":"12.50","currency":"NZD","reference":"ORDER-1","description":"Two coffees","return_url":"https://shop.example.com/done"}`

// mustCreate creates a payment over the API.
func (a *testApp) mustCreate(t testing.TB, body string) paymentstest.APIPayment {
	t.Helper()
	w := a.api(t, "POST", "/api/v1/payments", body, nil)
	if w.Code != http.StatusCreated {
		t.Fatalf("POST /api/v1/payments = %d %s, want 201", w.Code, w.Body)
	}
	return mustJSON[paymentstest.APIPayment](t, w)
}

// mustDoc parses an HTML response.
func mustDoc(t testing.TB, w *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type = %q, want HTML", ct)
	}
	doc, err := goquery.NewDocumentFromReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// page loads the checkout page of id.
func (a *testApp) page(t testing.TB, id string) *goquery.Document {
	t.Helper()
	w := a.do(t, "GET", "/checkout/"+id, nil, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /checkout/%s = %d, want 200", id, w.Code)
	}
	return mustDoc(t, w)
}

// start chooses a method on the checkout page as a same-origin form post.
func (a *testApp) start(t testing.TB, id, method, ua string) *httptest.ResponseRecorder {
	t.Helper()
	return a.do(t, "POST", "/checkout/"+id+"/start", strings.NewReader(url.Values{"method": {method}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}, "User-Agent": {ua}})
}

// mustStartQR starts a WeChat QR attempt and returns its reference.
func (a *testApp) mustStartQR(t testing.TB, id string) string {
	t.Helper()
	if w := a.start(t, id, "wechat", desktopUA); w.Code != http.StatusSeeOther {
		t.Fatalf("POST start = %d %s, want 303", w.Code, w.Body)
	}
	p, err := a.Store.Payment(context.Background(), id)
	if err != nil || p.LatipayReference == "" {
		t.Fatalf("payment after start: %+v, %v", p, err)
	}
	return p.LatipayReference
}

// mustStartedQR creates the createBody payment and starts a WeChat QR
// attempt on it, returning the payment and the attempt's reference.
func (a *testApp) mustStartedQR(t testing.TB) (paymentstest.APIPayment, string) {
	t.Helper()
	p := a.mustCreate(t, createBody)
	return p, a.mustStartQR(t, p.ID)
}

func TestAPIAuth(t *testing.T) {
	app := newTestApp(t)
	for name, auth := range map[string]string{
		"missing":   "",
		"wrong":     "Bearer not-the-key",
		"no bearer": testAPIKey,
		"basic":     "Basic " + testAPIKey,
	} {
		t.Run(name, func(t *testing.T) {
			h := http.Header{"Content-Type": {"application/json"}}
			if auth != "" {
				h.Set("Authorization", auth)
			}
			w := app.do(t, "POST", "/api/v1/payments", strings.NewReader(createBody), h)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401", w.Code)
			}
			if got := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want Bearer", got)
			}
			checkErrorShape(t, w, "unauthorized")
		})
	}
}

// TestAPIAuthSchemeAnyCase: the scheme's name is case-insensitive
// (RFC 9110), so a client that writes "bearer" is let in.
func TestAPIAuthSchemeAnyCase(t *testing.T) {
	app := newTestApp(t)
	for _, scheme := range []string{"bearer", "BEARER", "bEaReR"} {
		w := app.api(t, "GET", "/api/v1/payments", "", http.Header{"Authorization": {scheme + " " + testAPIKey}})
		if w.Code != http.StatusOK {
			t.Errorf("%q scheme = %d %s, want 200", scheme, w.Code, w.Body)
		}
	}
}

// TestAPIAuthSpaces: RFC 9110 parts the scheme from the credential with
// one or more spaces, so "Bearer  <key>" is let in; a key with nothing
// after the spaces is not.
func TestAPIAuthSpaces(t *testing.T) {
	app := newTestApp(t)
	for _, auth := range []string{"Bearer  " + testAPIKey, "Bearer     " + testAPIKey} {
		if w := app.api(t, "GET", "/api/v1/payments", "", http.Header{"Authorization": {auth}}); w.Code != http.StatusOK {
			t.Errorf("%q = %d %s, want 200", auth, w.Code, w.Body)
		}
	}
	for _, auth := range []string{"Bearer   ", "Bearer  x" + testAPIKey} {
		if w := app.api(t, "GET", "/api/v1/payments", "", http.Header{"Authorization": {auth}}); w.Code != http.StatusUnauthorized {
			t.Errorf("%q = %d, want 401", auth, w.Code)
		}
	}
}

func TestAPICreateAndShow(t *testing.T) {
	app := newTestApp(t)
	w := app.api(t, "POST", "/api/v1/payments", createBody, nil)
	if w.Code != http.StatusCreated {
		t.Fatalf("status = %d %s, want 201", w.Code, w.Body)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	p := mustJSON[paymentstest.APIPayment](t, w)
	if !payments.ValidPaymentID(p.ID) || p.Status != "created" || p.Amount != "12.50" || p.Currency != "NZD" ||
		p.CheckoutURL != app.AppURL+"/checkout/"+p.ID || p.PaidAt != nil {
		t.Errorf("created = %+v", p)
	}

	w = app.api(t, "GET", "/api/v1/payments/"+p.ID, "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET = %d, want 200", w.Code)
	}
	if got := mustJSON[paymentstest.APIPayment](t, w); got.ID != p.ID || got.Status != "created" {
		t.Errorf("GET = %+v, want %s created", got, p.ID)
	}
	for _, id := range []string{"pay_00000000000000000000000000", "nope", "pay_" + strings.Repeat("z", 26)} {
		w := app.api(t, "GET", "/api/v1/payments/"+id, "", nil)
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", id, w.Code)
			continue
		}
		if e := mustJSON[apiError](t, w); e.Error.Code != "not_found" {
			t.Errorf("GET %s error = %+v, want not_found", id, e.Error)
		}
	}
}

func TestAPICreateBadInput(t *testing.T) {
	app := newTestApp(t)
	tests := []struct {
		name, body string
		want       []string // words the message must contain
	}{
		{"amount as number", `{"amount":12.50,"currency":"NZD","reference":"R","return_url":"https://shop.example.com/"}`, []string{"amount", "string"}},
		{"float artefact", `{"amount":"0.30000000000000004","currency":"NZD","reference":"R","return_url":"https://shop.example.com/"}`, []string{"amount"}},
		{"unknown field", `{"amount":"1.00","currency":"NZD","reference":"R","return_url":"https://shop.example.com/","amout":"1"}`, []string{"amout"}},
		{"not json", `amount=1`, []string{"JSON"}},
		{"several problems", `{"amount":"-1","currency":"usd","reference":"","return_url":"ftp://x"}`, []string{"amount", "currency", "reference", "return_url"}},
		{"trailing garbage", createBody + `{"x":1}`, []string{"JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := app.api(t, "POST", "/api/v1/payments", tt.body, nil)
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status = %d %s, want 400", w.Code, w.Body)
			}
			e := mustJSON[apiError](t, w)
			if e.Error.Code != "invalid_request" {
				t.Errorf("code = %q, want invalid_request", e.Error.Code)
			}
			for _, word := range tt.want {
				if !strings.Contains(strings.ToLower(e.Error.Message), strings.ToLower(word)) {
					t.Errorf("message %q does not mention %q", e.Error.Message, word)
				}
			}
		})
	}
}

func TestAPIIdempotency(t *testing.T) {
	app := newTestApp(t)
	key := http.Header{"Idempotency-Key": {"order-1-attempt"}}
	w1 := app.api(t, "POST", "/api/v1/payments", createBody, key)
	w2 := app.api(t, "POST", "/api/v1/payments", createBody, key)
	if w1.Code != http.StatusCreated || w2.Code != http.StatusCreated {
		t.Fatalf("statuses = %d, %d; want 201 twice", w1.Code, w2.Code)
	}
	if w1.Header().Get("Idempotent-Replayed") != "" || w2.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("Idempotent-Replayed = %q, %q; want \"\", \"true\"", w1.Header().Get("Idempotent-Replayed"), w2.Header().Get("Idempotent-Replayed"))
	}
	if p1, p2 := mustJSON[paymentstest.APIPayment](t, w1), mustJSON[paymentstest.APIPayment](t, w2); p1.ID != p2.ID {
		t.Errorf("replay id %s, want %s", p2.ID, p1.ID)
	}
	w3 := app.api(t, "POST", "/api/v1/payments", strings.Replace(createBody, "12.50", "13.00", 1), key)
	if w3.Code != http.StatusUnprocessableEntity {
		t.Fatalf("other body, same key = %d, want 422", w3.Code)
	}
	if e := mustJSON[apiError](t, w3); e.Error.Code != "idempotency_key_reused" {
		t.Errorf("code = %q, want idempotency_key_reused", e.Error.Code)
	}
}
