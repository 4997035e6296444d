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
