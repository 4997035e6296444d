package handlers_test

import (
	"crypto/rand"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/webhook"
)

// apiTime is the one form of every time the API and webhooks send: UTC,
// RFC 3339, exactly six fractional digits (payments.TimeLayout).
var apiTime = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$`)

// checkTimes finds every time field (at, *_at) in a JSON body, at any
// depth, checks each string against apiTime, and returns how many.
func checkTimes(t *testing.T, where string, body []byte) int {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %s: %v", where, body, err)
	}
	n := 0
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, fv := range x {
				if s, ok := fv.(string); ok && (k == "at" || strings.HasSuffix(k, "_at")) {
					n++
					if !apiTime.MatchString(s) {
						t.Errorf("%s: %s.%s = %q, want UTC RFC 3339 with six fractional digits", where, at, k, s)
					}
					continue
				}
				walk(at+"."+k, fv)
			}
		case []any:
			for _, e := range x {
				walk(at+"[]", e)
			}
		}
	}
	walk("", v)
	return n
}

// TestAPITimesOneFormat: every time in a payment, a refund (as answered
// and as listed), a payment's events, the webhook delivery log and the
// webhook bodies has one form, with six fractional digits, though the
// clock reads nanoseconds; each webhook's signature verifies over the
// bytes received; and the OpenAPI document says that form on every
// date-time field, with the same pattern.
func TestAPITimesOneFormat(t *testing.T) {
	var mu sync.Mutex
	type sent struct {
		body []byte
		sig  string
	}
	var got []sent
	rcv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, sent{b, r.Header.Get(webhook.Header)})
		mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	var wk *webhook.Worker
	a := newEmbedApp(t, func(env *paymentstest.Env, o *handlers.Options) {
		var err error
		wk, err = webhook.New(env.Store, webhook.Options{URL: rcv.URL, Secrets: []string{webhookSecret}, Now: env.Clock.Now,
			Rand: rand.Reader, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		o.Webhooks = wk
	}, false)
	// Nanoseconds of every length, as a real clock gives.
	a.Clock.Advance(557809711 * time.Nanosecond)
	p := a.mustPaid(t)
	a.Clock.Advance(20 * time.Nanosecond)
	n := 0
	w := a.api(t, "POST", "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"2.00"}`, nil)
	if w.Code != http.StatusCreated {
		t.Fatalf("refund = %d %s", w.Code, w.Body)
	}
	n += checkTimes(t, "POST refunds", w.Body.Bytes())
	for _, path := range []string{"/api/v1/payments/" + p.ID, "/api/v1/payments/" + p.ID + "/refunds",
		"/api/v1/payments?limit=5", "/api/v1/payments/" + p.ID + "/events"} {
		w := a.api(t, "GET", path, "", nil)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, w.Code, w.Body)
		}
		n += checkTimes(t, "GET "+path, w.Body.Bytes())
	}
	for range 10 {
		if k, err := wk.Flush(t.Context()); err != nil {
			t.Fatal(err)
		} else if k == 0 {
			break
		}
	}
	w = a.api(t, "GET", "/api/v1/webhook-deliveries?payment_id="+p.ID, "", nil)
	n += checkTimes(t, "GET webhook-deliveries", w.Body.Bytes())
	if n < 15 {
		t.Errorf("only %d times checked in the API's answers", n)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(got) < 3 {
		t.Fatalf("%d webhooks received, want the payment's and the refund's", len(got))
	}
	for i, s := range got {
		if err := webhook.Verify(s.sig, s.body, webhookSecret, a.Clock.Now(), webhook.DefaultTolerance); err != nil {
			t.Errorf("webhook %d: the signature does not verify over the body received: %v", i, err)
		}
		if checkTimes(t, "webhook "+strconv.Itoa(i), s.body) < 3 {
			t.Errorf("webhook %d has too few times: %s", i, s.body)
		}
	}

	doc := loadOpenAPI(t)
	var dateTimes int
	var walk func(at string, s *jsonSchema)
	walk = func(at string, s *jsonSchema) {
		if s == nil {
			return
		}
		for k, ps := range s.Properties {
			if k == "at" || strings.HasSuffix(k, "_at") {
				dateTimes++
				if ps.Format != "date-time" || ps.Pattern != apiTime.String() || !strings.Contains(ps.Description, "six fractional digits") {
					t.Errorf("OpenAPI %s.%s: format %q pattern %q description %q; want date-time, %s and the form said",
						at, k, ps.Format, ps.Pattern, ps.Description, apiTime)
				}
			}
			walk(at+"."+k, ps)
		}
		walk(at+"[]", s.Items)
	}
	for name, s := range doc.Components.Schemas {
		walk(name, s)
	}
	if dateTimes < 15 {
		t.Errorf("only %d date-time fields in the OpenAPI document", dateTimes)
	}
}

// TestAPIRefundPendingIsItsOwnCode: a refund refused only because refunds
// still waiting for Latipay's answer hold what is left is 409
// refund_pending, with the amount they hold and a hint to retry; asking
// more than is left beside a pending refund, and asking after a full
// refund, stay 422 refund_too_large. Every answer matches the OpenAPI
// document's Error, and the document lists the new code on the call.
func TestAPIRefundPendingIsItsOwnCode(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	doc := loadOpenAPI(t)
	p := a.mustPaid(t) // 12.50 NZD
	refund := func(body string) *httptest.ResponseRecorder {
		return a.api(t, http.MethodPost, "/api/v1/payments/"+p.ID+"/refunds", body, nil)
	}
	a.Sim.SetFaults(latipaysim.Faults{ServerError: true})
	if w := refund(`{"amount":"5.00"}`); w.Code != http.StatusAccepted {
		t.Fatalf("refund while Latipay answers 500 = %d %s, want 202", w.Code, w.Body)
	}
	type errBody struct {
		Error struct {
			Code          string `json:"code"`
			Message       string `json:"message"`
			AmountPending string `json:"amount_pending"`
			Currency      string `json:"currency"`
		} `json:"error"`
	}
	w := refund(`{"amount":"9.00"}`)
	checkAgainst(t, doc, "Error", w.Body.Bytes())
	if e := mustJSON[errBody](t, w).Error; w.Code != http.StatusUnprocessableEntity || e.Code != "refund_too_large" ||
		e.Message != "Only NZD 7.50 can still be refunded." || e.AmountPending != "" {
		t.Errorf("more than is left beside a pending refund = %d %s, want 422 refund_too_large, NZD 7.50 left", w.Code, w.Body)
	}
	if w := refund(`{}`); w.Code != http.StatusAccepted {
		t.Fatalf("refund the rest while Latipay answers 500 = %d %s, want 202", w.Code, w.Body)
	}
	for _, body := range []string{`{"amount":"1.00"}`, `{}`} {
		w := refund(body)
		checkAgainst(t, doc, "Error", w.Body.Bytes())
		e := mustJSON[errBody](t, w).Error
		if w.Code != http.StatusConflict || e.Code != "refund_pending" || e.AmountPending != "12.50" || e.Currency != "NZD" ||
			!strings.Contains(e.Message, "NZD 12.50 is held by refunds still waiting for Latipay's answer") ||
			!strings.Contains(e.Message, "Retry once they have settled") {
			t.Errorf("refund %s while pending refunds hold the rest = %d %s, want 409 refund_pending holding NZD 12.50", body, w.Code, w.Body)
		}
	}

	a.Sim.SetFaults(latipaysim.Faults{})
	a.Clock.Advance(5 * time.Minute)
	if n, err := a.Svc.ReconcileRefunds(t.Context(), 10); err != nil || n != 2 {
		t.Fatalf("ReconcileRefunds = %d, %v; want the two pending refunds", n, err)
	}
	w = refund(`{"amount":"1.00"}`)
	checkAgainst(t, doc, "Error", w.Body.Bytes())
	if e := mustJSON[errBody](t, w).Error; w.Code != http.StatusUnprocessableEntity || e.Code != "refund_too_large" ||
		e.Message != "This payment is already fully refunded." || e.AmountPending != "" {
		t.Errorf("refund after a full refund = %d %s, want 422 refund_too_large", w.Code, w.Body)
	}

	raw, _ := json.Marshal(doc.Paths["/api/v1/payments/{id}/refunds"]["post"].Responses["409"])
	if !strings.Contains(string(raw), `"refund_pending"`) {
		t.Errorf("the OpenAPI document's 409 for POST refunds does not show refund_pending: %s", raw)
	}
}

// TestAPIRefundReplayedPendingDocumented: a replayed refund still
// pending is answered 202 with Idempotent-Replayed: true, and the OpenAPI
// document lists that header on the 202 as on the 201.
func TestAPIRefundReplayedPendingDocumented(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	p := a.mustPaid(t)
	a.Sim.SetFaults(latipaysim.Faults{ServerError: true})
	key := http.Header{"Idempotency-Key": {"refund-replay-202"}}
	for i, replay := range []string{"", "true"} {
		w := a.api(t, http.MethodPost, "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"2.00"}`, key)
		if w.Code != http.StatusAccepted || w.Header().Get("Idempotent-Replayed") != replay {
			t.Fatalf("refund %d = %d Idempotent-Replayed %q %s, want 202 %q", i, w.Code, w.Header().Get("Idempotent-Replayed"), w.Body, replay)
		}
	}
	for _, code := range []string{"201", "202"} {
		r := loadOpenAPI(t).Paths["/api/v1/payments/{id}/refunds"]["post"].Responses[code]
		if _, ok := r.Headers["Idempotent-Replayed"]; !ok {
			t.Errorf("the OpenAPI document's %s for POST refunds lacks the Idempotent-Replayed header", code)
		}
	}
}

// TestOpenAPIPaymentRequiredIsWhatIsSent: every field a payment always
// carries (those of a payment with no optional field set: no cancel_url,
// not paid in yuan) is in the OpenAPI document's Payment.required, as the
// webhook payload's schema lists its own.
func TestOpenAPIPaymentRequiredIsWhatIsSent(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	doc := loadOpenAPI(t)
	required := doc.Components.Schemas["Payment"].Required
	p := a.mustCreate(t, createBody)
	path := "/api/v1/payments/" + p.ID
	sent := mustJSON[map[string]any](t, a.api(t, "GET", path, "", nil))
	for k := range sent {
		if !slices.Contains(required, k) {
			t.Errorf("GET %s always sends %q, not in Payment.required", path, k)
		}
	}
	if len(sent) < 20 {
		t.Errorf("GET %s sent only %v", path, sent)
	}
	if !slices.Contains(doc.Components.Schemas["WebhookEvent"].Properties["payment"].Required, "reviewed_at") {
		t.Error("the webhook payload's payment does not require reviewed_at")
	}
}

// notAPIAreas are the error codes handlers use that the merchant API
// (/api/v1) never answers, by the part of the app that does.
var notAPIAreas = map[string][]string{
	"counter": {"device_unknown", "device_revoked", "counter_locked", "amount_zero", "note_too_long",
		"amount_too_large", "sale_key_reused", "bad_pay_code", "pay_code_pending", "pay_code_refused"},
	"checkout":     {"counter_sale", "not_payable", "too_many_attempts", "cancel_not_allowed", "previous_attempt_unconfirmed"},
	"payment link": {"link_expired", "method_not_enabled", "bad_link", "link_taken", "link_busy", "link_used_up"},
	"back office":  {"code_required", "bad_code", "code_used", "locked", "bad_password", "session_ended", "forbidden"},
	"forms":        {"cross_origin", "body_too_large", "unsupported_media_type"},
	"sandbox":      {"sandbox_controls_local_only"},
}

// notAPICodes is notAPIAreas by code.
var notAPICodes = func() map[string]string {
	m := map[string]string{}
	for area, codes := range notAPIAreas {
		for _, c := range codes {
			m[c] = area
		}
	}
	return m
}()

// handlerErrorCodes reads the package's source (tests aside) for every
// error code it can answer: the code of each failure{...} literal, each
// string assigned to a failure's code, and each "code": "..." of a JSON
// body built in place.
func handlerErrorCodes(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	str := func(e ast.Expr) (string, bool) {
		if bl, ok := e.(*ast.BasicLit); ok && bl.Kind == token.STRING {
			s, err := strconv.Unquote(bl.Value)
			return s, err == nil
		}
		return "", false
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, "_templ.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CompositeLit:
				if id, ok := x.Type.(*ast.Ident); ok && id.Name == "failure" && len(x.Elts) >= 2 {
					if s, ok := str(x.Elts[1]); ok {
						codes[s] = true
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := str(x.Key); ok && k == "code" {
					if s, ok := str(x.Value); ok {
						codes[s] = true
					}
				}
			case *ast.AssignStmt:
				for i, l := range x.Lhs {
					if sel, ok := l.(*ast.SelectorExpr); ok && sel.Sel.Name == "code" && i < len(x.Rhs) {
						if s, ok := str(x.Rhs[i]); ok {
							codes[s] = true
						}
					}
				}
			}
			return true
		})
	}
	return codes
}

// TestOpenAPIErrorCodesListed: the OpenAPI document's Error.code lists
// every error code the package can answer but those only the counter,
// back office, checkout, links or sandbox answer, and nothing else; a
// method a path does not take answers 405 method_not_allowed, with
// Allow, matching the document's Error, which names that code.
func TestOpenAPIErrorCodesListed(t *testing.T) {
	doc := loadOpenAPI(t)
	var enum []string
	for _, v := range doc.Components.Schemas["Error"].Properties["error"].Properties["code"].Enum {
		s, _ := v.(string)
		enum = append(enum, s)
	}
	codes := handlerErrorCodes(t)
	if len(codes) < 40 || !codes["internal"] || !codes["not_found"] {
		t.Fatalf("found %d codes in the source (%v): the scan is broken", len(codes), codes)
	}
	var missing, stale []string
	for c := range codes {
		if _, other := notAPICodes[c]; !other && !slices.Contains(enum, c) {
			missing = append(missing, c)
		}
	}
	for _, c := range enum {
		if !codes[c] {
			stale = append(stale, c+" (answered nowhere)")
		}
		if where, ok := notAPICodes[c]; ok {
			stale = append(stale, c+" (the "+where+"'s only)")
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 || len(stale) > 0 {
		t.Errorf("Error.code's enum lacks %v and lists %v", missing, stale)
	}

	a := newEmbedApp(t, nil, false)
	w := a.api(t, http.MethodPut, "/api/v1/payments", `{}`, nil)
	if w.Code != http.StatusMethodNotAllowed || !strings.Contains(w.Header().Get("Allow"), "POST") {
		t.Fatalf("PUT /api/v1/payments = %d Allow %q %s, want 405 with Allow", w.Code, w.Header().Get("Allow"), w.Body)
	}
	checkErrorShape(t, w, "method_not_allowed")
	checkAgainst(t, doc, "Error", w.Body.Bytes())
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "405 method_not_allowed") {
		t.Error("the OpenAPI document does not say that a method a path does not take is 405 method_not_allowed")
	}
}

// TestSandboxLocalURLsDocumented: in sandbox mode return_url and
// cancel_url may be http on localhost, 127.0.0.1 and [::1], as the app
// accepts them, and the README and the OpenAPI document say so beside
// "https".
func TestSandboxLocalURLsDocumented(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	for _, u := range []string{"http://localhost:3000/done", "http://127.0.0.1/done", "http://[::1]:8080/done"} {
		body := `{"amount":"1.00","currency":"NZD","reference":"local","return_url":"` + u + `","cancel_url":"` + u + `"}`
		if w := a.api(t, "POST", "/api/v1/payments", body, nil); w.Code != http.StatusCreated {
			t.Errorf("sandbox create with %s = %d %s, want 201", u, w.Code, w.Body)
		}
	}
	if w := a.api(t, "POST", "/api/v1/payments", strings.Replace(createBody, "https://shop.example.com", "http://shop.example.com", 1), nil); w.Code != http.StatusBadRequest {
		t.Errorf("sandbox create with http on another host = %d, want 400", w.Code)
	}
	wants := []string{"sandbox", "localhost", "127.0.0.1", "::1", "https"}
	props := loadOpenAPI(t).Components.Schemas["PaymentCreate"].Properties
	for _, f := range []string{"return_url", "cancel_url"} {
		for _, want := range wants {
			if !strings.Contains(props[f].Description, want) {
				t.Errorf("OpenAPI PaymentCreate.%s does not say %q: %s", f, want, props[f].Description)
			}
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, api, _ := strings.Cut(string(readme), "## Merchant API")
	api, _, _ = strings.Cut(api, "\n## ")
	_, urls, _ := strings.Cut(api, "`return_url` and `cancel_url`")
	urls, _, _ = strings.Cut(urls, ";")
	for _, want := range wants {
		if !strings.Contains(urls, want) {
			t.Errorf("the README's sentence on return_url and cancel_url does not say %q: %s", want, urls)
		}
	}
}

// TestSimulateTakesJSON: the sandbox's /simulate control, through the
// app's router, takes its fields as JSON as well as form-encoded, and
// answers another media type 415 saying what it takes.
func TestSimulateTakesJSON(t *testing.T) {
	a := newTestApp(t)
	p, ref := a.mustStartedQR(t)
	w := a.do(t, "POST", "/sandbox/latipay/simulate", strings.NewReader(`{"merchant_reference":"`+ref+`","status":"paid"}`),
		http.Header{"Content-Type": {"application/json"}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "SUCCESS") {
		t.Fatalf("simulate with JSON = %d %s, want 200 SUCCESS", w.Code, w.Body)
	}
	a.WaitStatus(t, p.ID, payments.StatusPaid)
	w = a.do(t, "POST", "/sandbox/latipay/simulate", strings.NewReader("merchant_reference="+ref+"&status=paid"),
		http.Header{"Content-Type": {"text/plain"}})
	if w.Code != http.StatusUnsupportedMediaType || !strings.Contains(w.Body.String(), "application/x-www-form-urlencoded") {
		t.Errorf("simulate with text/plain = %d %s, want 415 naming the form encoding", w.Code, w.Body)
	}
}
