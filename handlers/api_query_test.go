package handlers_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestAPIQueryExact: a GET of the merchant API refuses, naming it, a query
// parameter it does not take, one spelled in another case and one given
// twice, rather than answer as if it were not there; the payments list
// filters by currency.
func TestAPIQueryExact(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	nzd := a.mustCreate(t, createBody)
	aud := a.mustCreate(t, strings.Replace(strings.Replace(createBody, `"NZD"`, `"AUD"`, 1), "ORDER-1", "ORDER-2", 1))

	w := a.api(t, "GET", "/api/v1/payments?currency=AUD", "", nil)
	if got := mustJSON[struct{ Data []paymentstest.APIPayment }](t, w); w.Code != http.StatusOK || len(got.Data) != 1 || got.Data[0].ID != aud.ID {
		t.Errorf("?currency=AUD = %d %s, want only %s", w.Code, w.Body, aud.ID)
	}
	w = a.api(t, "GET", "/api/v1/payments?currency=NZD&status=created", "", nil)
	if got := mustJSON[struct{ Data []paymentstest.APIPayment }](t, w); w.Code != http.StatusOK || len(got.Data) != 1 || got.Data[0].ID != nzd.ID {
		t.Errorf("?currency=NZD&status=created = %d %s, want only %s", w.Code, w.Body, nzd.ID)
	}

	p := "/api/v1/payments/" + nzd.ID
	for _, c := range []struct{ path, want string }{
		{"/api/v1/payments?currency=aud", "currency must be one of NZD, AUD or CNY"},
		{"/api/v1/payments?Status=refunded", `unknown query parameter "Status": parameter names are case-sensitive, this one is "status"`},
		{"/api/v1/payments?from=2026-12-01", `unknown query parameter "from": this endpoint takes status, currency, reference, cursor and limit`},
		{"/api/v1/payments?status=paid&status=refunded", `query parameter "status" is given 2 times`},
		{"/api/v1/payments?status=%zz", "the query string could not be read"},
		{"/api/v1/webhook-deliveries?paymentid=" + nzd.ID, `unknown query parameter "paymentid": this endpoint takes payment_id, state, cursor and limit`},
		{p + "?expand=refunds", `unknown query parameter "expand": this endpoint takes no query parameters`},
		{p + "/refunds?status=failed", `unknown query parameter "status"`},
		{p + "/refunds/rf_nope?x=1", `unknown query parameter "x"`},
		{p + "/events?limit=5", `unknown query parameter "limit"`},
	} {
		w := a.api(t, "GET", c.path, "", nil)
		var body struct{ Error struct{ Message string } }
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != http.StatusBadRequest || !strings.Contains(body.Error.Message, c.want) {
			t.Errorf("GET %s = %d %s, want 400 saying %s", c.path, w.Code, w.Body, c.want)
			continue
		}
		checkErrorShape(t, w, "invalid_request")
	}
	// What they document still answers.
	for _, path := range []string{p, p + "/refunds", p + "/events", "/api/v1/webhook-deliveries?payment_id=" + nzd.ID + "&limit=5",
		"/api/v1/payments?status=created&reference=ORDER-1&limit=5"} {
		if w := a.api(t, "GET", path, "", nil); w.Code != http.StatusOK {
			t.Errorf("GET %s = %d %s, want 200", path, w.Code, w.Body)
		}
	}
}

// TestAPIQueryTakesWhatOpenAPIDocuments: every GET of the merchant API
// takes exactly the query parameters openapi.json documents for it: each
// one is read (never refused as unknown), and the refusal of an unknown
// one lists the same set. A filter added to a handler but not to its
// exact-query list (or the other way round) fails here.
func TestAPIQueryTakesWhatOpenAPIDocuments(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	p := a.mustCreate(t, createBody)
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name, In string }
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("{id}", p.ID, "{refund_id}", "rf_nope")
	checked := 0
	for path, ops := range doc.Paths {
		op, ok := ops["get"]
		if !ok || path == "/api/v1/openapi.json" {
			continue
		}
		var names []string
		for _, prm := range op.Parameters {
			if prm.In == "query" {
				names = append(names, prm.Name)
			}
		}
		url := fill.Replace(path)
		for _, n := range names {
			w := a.api(t, "GET", url+"?"+n+"=x", "", nil)
			if strings.Contains(w.Body.String(), "unknown query parameter") {
				t.Errorf("GET %s?%s= refused as unknown, though openapi.json documents it: %s", path, n, w.Body)
			}
			checked++
		}
		w := a.api(t, "GET", url+"?zz_not_a_parameter=1", "", nil)
		want := "this endpoint takes no query parameters"
		if len(names) > 0 {
			want = "this endpoint takes " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
			if len(names) == 1 {
				want = "this endpoint takes " + names[0]
			}
		}
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), want) {
			t.Errorf("GET %s?zz_not_a_parameter=1 = %d %s, want 400 saying %q (openapi.json's list, in its order)", path, w.Code, w.Body, want)
		}
	}
	if checked < 6 {
		t.Fatalf("checked %d documented query parameters; reading openapi.json is broken", checked)
	}
}
