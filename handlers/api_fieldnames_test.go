package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestAPIFieldNamesExact: encoding/json matches names in any case, the
// last one read winning. Only the documented lower-case names are
// accepted: any other spelling is an unknown field, refused 400 naming
// it, and nothing is created, refunded or changed.
func TestAPIFieldNamesExact(t *testing.T) {
	a := newTestApp(t)
	const ret = `"return_url":"https://shop.example.com/done"`
	for body, field := range map[string]string{
		`{"amount":"1.00","currency":"NZD","reference":"ci-1",` + ret + `,"AMOUNT":"900.00"}`:                    "AMOUNT",
		`{"AMOUNT":"900.00","amount":"1.00","currency":"NZD","reference":"ci-1",` + ret + `}`:                    "AMOUNT",
		`{"Amount":"1.00","currency":"NZD","reference":"ci-1",` + ret + `}`:                                      "Amount",
		`{"amount":"1.00","currency":"NZD","reference":"ci-1",` + ret + `,"Return_URL":"https://evil.example/"}`: "Return_URL",
		`{"amount":"1.00","Currency":"CNY","currency":"NZD","reference":"ci-1",` + ret + `}`:                     "Currency",
		`{"amount":"1.00","currency":"NZD","reference":"ci-1",` + ret + `,"amount\u0020":"2.00"}`:                "amount ",
	} {
		w := a.api(t, http.MethodPost, "/api/v1/payments", body, nil)
		if w.Code != http.StatusBadRequest {
			t.Errorf("create %s = %d %s; want 400", body, w.Code, w.Body)
			continue
		}
		checkErrorShape(t, w, "invalid_request")
		if msg := errMessage(t, w); !strings.Contains(msg, `unknown field "`+field+`"`) {
			t.Errorf("create %s: message %q, want it to name the unknown field %q", body, msg, field)
		}
	}
	w := a.api(t, http.MethodGet, "/api/v1/payments", "", nil)
	if n := len(mustJSON[struct{ Data []any }](t, w).Data); n != 0 {
		t.Fatalf("refused creates made %d payments: %s", n, w.Body)
	}

	p := a.mustPaid(t)
	path := "/api/v1/payments/" + p.ID + "/refunds"
	for _, body := range []string{`{"amount":"1.00","Amount":"2.00"}`, `{"Amount":"2.00"}`, `{"amount":"1.00","REASON":"x"}`} {
		w := a.api(t, http.MethodPost, path, body, nil)
		if w.Code != http.StatusBadRequest || !strings.Contains(errMessage(t, w), "unknown field") {
			t.Errorf("refund %s = %d %s; want 400 naming the unknown field", body, w.Code, w.Body)
		}
	}
	w = a.api(t, http.MethodGet, path, "", nil)
	if n := len(mustJSON[struct{ Data []any }](t, w).Data); n != 0 {
		t.Fatalf("refused refunds made %d refunds: %s", n, w.Body)
	}
	// The exact names still work.
	w = a.api(t, http.MethodPost, path, `{"amount":"1.00","reason":"spilled"}`, nil)
	if r := mustJSON[map[string]any](t, w); w.Code != http.StatusCreated || r["amount"] != "1.00" {
		t.Fatalf("refund with exact names = %d %s; want 201 of 1.00", w.Code, w.Body)
	}
}

// TestAPIBodilessPostsRefuseFields: cancel and redeliver take no field.
// No body and {} are fine; any field is refused 400 before anything is
// done, as create and refund refuse unknown fields.
func TestAPIBodilessPostsRefuseFields(t *testing.T) {
	a := newTestApp(t)
	p := a.mustCreate(t, createBody)
	cancel := "/api/v1/payments/" + p.ID + "/cancel"
	for _, body := range []string{`{"reason":"x"}`, `{"Reason":"x"}`, `[]`, `"x"`, `{}{}`} {
		w := a.api(t, http.MethodPost, cancel, body, nil)
		if w.Code != http.StatusBadRequest {
			t.Errorf("cancel with %s = %d %s; want 400", body, w.Code, w.Body)
			continue
		}
		checkErrorShape(t, w, "invalid_request")
	}
	if got := a.apiPayment(t, p.ID)["status"]; got != "created" {
		t.Fatalf("after refused cancels the payment is %v, want created", got)
	}
	for _, body := range []string{"", "{}", " { } \n"} {
		q := a.mustCreate(t, strings.Replace(createBody, "ORDER-1", "ORDER-C"+strings.TrimSpace(body), 1))
		w := a.api(t, http.MethodPost, "/api/v1/payments/"+q.ID+"/cancel", body, nil)
		if w.Code != http.StatusOK || mustJSON[map[string]any](t, w)["status"] != "canceled" {
			t.Errorf("cancel with %q = %d %s; want 200 canceled", body, w.Code, w.Body)
		}
	}
	w := a.api(t, http.MethodPost, "/api/v1/webhook-deliveries/whd_nope/redeliver", `{"force":true}`, nil)
	if w.Code != http.StatusBadRequest {
		t.Errorf("redeliver with a field = %d %s; want 400", w.Code, w.Body)
	}
}

// TestAPITrailingSlashAnswersJSON: no API path ends in "/". Such a path
// answers the API's JSON 404, never gin's redirect with an HTML body.
func TestAPITrailingSlashAnswersJSON(t *testing.T) {
	a := newTestApp(t)
	p := a.mustCreate(t, createBody)
	for _, c := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/payments/" + p.ID + "/", ""},
		{http.MethodGet, "/api/v1/payments/", ""},
		{http.MethodGet, "/api/v1/payments/" + p.ID + "/refunds/", ""},
		{http.MethodPost, "/api/v1/payments/", createBody},
		{http.MethodPost, "/api/v1/payments/" + p.ID + "/cancel/", ""},
		{http.MethodHead, "/api/v1/payments/" + p.ID + "/", ""},
	} {
		w := a.api(t, c.method, c.path, c.body, nil)
		if w.Code != http.StatusNotFound || w.Header().Get("Location") != "" {
			t.Errorf("%s %s = %d (Location %q) %s; want 404 without a redirect", c.method, c.path, w.Code, w.Header().Get("Location"), w.Body)
			continue
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s %s: Content-Type %q, want JSON", c.method, c.path, ct)
			continue
		}
		if c.method != http.MethodHead {
			checkErrorShape(t, w, "not_found")
		}
	}
	if got := a.apiPayment(t, p.ID)["status"]; got != "created" {
		t.Fatalf("after the slashed cancel the payment is %v, want created", got)
	}
	// Pages keep gin's redirect to the path without the slash.
	if w := a.do(t, http.MethodGet, "/checkout/"+p.ID+"/", nil, nil); w.Code != http.StatusMovedPermanently {
		t.Errorf("GET /checkout/{id}/ = %d, want 301 as before", w.Code)
	}
}
