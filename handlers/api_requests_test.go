package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestIdempotencyKeyNotUTF8: an Idempotency-Key that is not UTF-8 is
// the client's 400 naming the header, on each route that takes one,
// before the store (PostgreSQL refuses such text); nothing is made.
// So is the back office refund form's key.
func TestIdempotencyKeyNotUTF8(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	bad := http.Header{"Idempotency-Key": {"k\xff\xfe"}}
	for _, tc := range []struct{ name, path, body string }{
		{"create", "/api/v1/payments", createBody},
		{"refund", "/api/v1/payments/" + p.ID + "/refunds", `{"amount":"1.00"}`},
	} {
		w := a.api(t, "POST", tc.path, tc.body, bad)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "Idempotency-Key") {
			t.Errorf("%s with a key that is not UTF-8 = %d %s, want 400 naming Idempotency-Key", tc.name, w.Code, w.Body)
			continue
		}
		checkErrorShape(t, w, "invalid_request")
	}
	long := http.Header{"Idempotency-Key": {strings.Repeat("k", 256)}}
	if w := a.api(t, "POST", "/api/v1/payments", createBody, long); w.Code != http.StatusBadRequest {
		t.Errorf("create with a 256-byte key = %d, want 400", w.Code)
	}

	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	w := a.post(t, "/admin/payments/"+p.ID+"/refund", url.Values{"key": {"k\xff\xfe"}, "amount": {"1.00"}}, owner)
	if w.Code != http.StatusBadRequest {
		t.Errorf("back office refund with a key that is not UTF-8 = %d, want 400", w.Code)
	}
	if got := a.MustGet(t, p.ID).Refunded; got != 0 {
		t.Errorf("refunded %d, want nothing", got)
	}
}

// TestRefundShowNotFound: a refund that is not there, or is another
// payment's, is a 404 that says the refund is missing, not the payment
// it names (which is there).
func TestRefundShowNotFound(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	p, other := a.mustPaid(t), a.mustPaid(t)
	w := a.api(t, "POST", "/api/v1/payments/"+other.ID+"/refunds", `{"amount":"1.00"}`, nil)
	if w.Code != http.StatusCreated {
		t.Fatalf("refund of the other payment = %d %s", w.Code, w.Body)
	}
	otherRefund := mustJSON[map[string]any](t, w)["id"].(string)
	for _, id := range []string{"rf_nope", otherRefund} {
		w := a.api(t, "GET", "/api/v1/payments/"+p.ID+"/refunds/"+id, "", nil)
		checkErrorShape(t, w, "not_found")
		if msg := mustJSON[map[string]map[string]string](t, w)["error"]["message"]; w.Code != http.StatusNotFound ||
			msg != "No refund with that id on this payment." {
			t.Errorf("GET refund %s of %s = %d %q, want 404 saying no refund with that id on this payment", id, p.ID, w.Code, msg)
		}
	}
	if w := a.api(t, "GET", "/api/v1/payments/pay_nope/refunds/rf_nope", "", nil); w.Code != http.StatusNotFound ||
		!strings.Contains(w.Body.String(), "No payment with that id.") {
		t.Errorf("GET refund of a missing payment = %d %s, want 404 naming the payment", w.Code, w.Body)
	}
}
