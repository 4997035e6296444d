package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// createWith is createBody with reference and description replaced.
func createWith(t testing.TB, reference, description string) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{"amount": "12.50", "currency": "NZD", "reference": reference,
		"description": description, "return_url": "https://shop.example.com/done"})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// apiMessage is the message of an API error, after checking its shape.
func apiMessage(t testing.TB, body []byte) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	return e.Error.Message
}

// TestAPITextOverLimitIsRefused: text over its documented maxLength is a
// 400 naming the field and the limit, and nothing is stored; the limits
// count characters, not bytes, so 64 Chinese characters (192 bytes) make
// a good reference and 200 a description kept whole. The same holds for a
// refund's reason, a signed /pay link's description and the list's
// reference filter; limit=0 is refused as the API documents 1..100.
func TestAPITextOverLimitIsRefused(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	han := func(n int) string { return strings.Repeat("咖", n) }
	stored := func() int {
		page := mustJSON[struct{ Data []paymentstest.APIPayment }](t, a.api(t, "GET", "/api/v1/payments?limit=100", "", nil))
		return len(page.Data)
	}
	for _, c := range []struct {
		name, body, want string
	}{
		{"5,000-character description", createWith(t, "ORDER-D1", strings.Repeat("x", 5000)), "description must be at most 200 characters"},
		{"201-character description", createWith(t, "ORDER-D2", han(201)), "description must be at most 200 characters"},
		{"65-character reference", createWith(t, han(65), "Two coffees"), "reference must be at most 64 characters"},
	} {
		w := a.api(t, "POST", "/api/v1/payments", c.body, nil)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: create = %d %s, want 400", c.name, w.Code, w.Body)
			continue
		}
		checkErrorShape(t, w, "invalid_request")
		if msg := apiMessage(t, w.Body.Bytes()); !strings.Contains(msg, c.want) {
			t.Errorf("%s: message %q, want it to say %q", c.name, msg, c.want)
		}
	}
	if n := stored(); n != 0 {
		t.Fatalf("refused creates stored %d payments", n)
	}

	p := a.mustCreate(t, createWith(t, han(64), han(200)))
	if got := a.MustGet(t, p.ID); got.Reference != han(64) || got.Description != han(200) {
		t.Errorf("stored reference %q (%d runes), description of %d runes; want 64 and 200 characters kept whole",
			got.Reference, len([]rune(got.Reference)), len([]rune(got.Description)))
	}

	// The list's reference filter has create's limit; limit is 1..100.
	if w := a.api(t, "GET", "/api/v1/payments?reference="+url.QueryEscape(han(64)), "", nil); w.Code != http.StatusOK ||
		len(mustJSON[struct{ Data []paymentstest.APIPayment }](t, w).Data) != 1 {
		t.Errorf("list by a 64-character reference = %d %s, want the payment", w.Code, w.Body)
	}
	for _, q := range []string{"reference=" + url.QueryEscape(han(65)), "limit=0", "limit=-1"} {
		w := a.api(t, "GET", "/api/v1/payments?"+q, "", nil)
		if w.Code != http.StatusBadRequest {
			t.Errorf("list ?%s = %d, want 400", q, w.Code)
			continue
		}
		checkErrorShape(t, w, "invalid_request")
	}
	if w := a.api(t, "GET", "/api/v1/webhook-deliveries?limit=0", "", nil); w.Code != http.StatusBadRequest {
		t.Errorf("deliveries ?limit=0 = %d, want 400", w.Code)
	}

	// A refund's reason: 201 characters refused, nothing refunded.
	paid := a.mustPaid(t)
	path := "/api/v1/payments/" + paid.ID + "/refunds"
	body, _ := json.Marshal(map[string]string{"amount": "1.00", "reason": strings.Repeat("r", 500)})
	w := a.api(t, "POST", path, string(body), nil)
	if w.Code != http.StatusBadRequest {
		t.Fatalf("refund with a 500-character reason = %d %s, want 400", w.Code, w.Body)
	}
	checkErrorShape(t, w, "invalid_request")
	if msg := apiMessage(t, w.Body.Bytes()); !strings.Contains(msg, "reason must be at most 200 characters") {
		t.Errorf("refund message %q, want it to name reason and 200 characters", msg)
	}
	if got := a.MustGet(t, paid.ID); got.Refunded != 0 {
		t.Errorf("a refused refund refunded %d", got.Refunded)
	}
	body, _ = json.Marshal(map[string]string{"amount": "1.00", "reason": han(200)})
	if w := a.api(t, "POST", path, string(body), nil); w.Code != http.StatusCreated ||
		mustJSON[map[string]any](t, w)["reason"] != han(200) {
		t.Errorf("refund with a 200-character reason = %d %s, want 201 with it whole", w.Code, w.Body)
	}

	// A signed /pay link follows create's rule.
	q := linkQuery("LINK-LONG", "20.00")
	q.Set("description", han(201))
	if w := a.do(t, "GET", signedLink(q), nil, nil); w.Code != http.StatusBadRequest {
		t.Errorf("signed link with a 201-character description = %d, want 400", w.Code)
	}
	q = linkQuery("LINK-200", "20.00")
	q.Set("description", han(200))
	w = a.do(t, "GET", signedLink(q), nil, nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("signed link with a 200-character description = %d, want 303", w.Code)
	}
	id := strings.TrimPrefix(strings.SplitN(w.Header().Get("Location"), "?", 2)[0], "/checkout/")
	if got := a.MustGet(t, id); got.Description != han(200) {
		t.Errorf("link payment description has %d runes, want 200", len([]rune(got.Description)))
	}
	if !payments.ValidPaymentID(id) {
		t.Errorf("link went to %q", w.Header().Get("Location"))
	}
}

// TestBackOfficeTextOverLimitIsRefused: the back office's payment-link
// form, its refund form and the counter's note refuse text over the limit
// with the limit in words, and store nothing.
func TestBackOfficeTextOverLimitIsRefused(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)

	f := url.Values{"kind": {"link"}, "currency": {"NZD"}, "amount": {"10"}, "desc_zh_hans": {strings.Repeat("订", 201)}}
	w := a.do(t, http.MethodPost, "/admin/links", strings.NewReader(f.Encode()), withCookie(owner, formHeader.Clone()))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "at most 200 characters") {
		t.Errorf("link with a 201-character description = %d, body without the limit", w.Code)
	}
	if ls, _ := a.links.List(t.Context(), "", "", 10); len(ls) != 0 {
		t.Errorf("the refused link form stored %d links", len(ls))
	}
	f.Set("desc_zh_hans", strings.Repeat("订", 200))
	if w := a.do(t, http.MethodPost, "/admin/links", strings.NewReader(f.Encode()), withCookie(owner, formHeader.Clone())); w.Code != http.StatusSeeOther {
		t.Errorf("link with a 200-character description = %d, want 303", w.Code)
	} else if ls, _ := a.links.List(t.Context(), "", "", 10); len(ls) != 1 || ls[0].Descriptions["zh-Hans"] != strings.Repeat("订", 200) {
		t.Errorf("stored links %+v, want one with the description whole", ls)
	}

	p := a.mustPaid(t)
	refund := url.Values{"key": {"long-reason"}, "amount": {"1.00"}, "reason": {strings.Repeat("r", 500)}}
	w = a.do(t, http.MethodPost, "/admin/payments/"+p.ID+"/refund", strings.NewReader(refund.Encode()), withCookie(owner, formHeader.Clone()))
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "at most 200 characters") {
		t.Errorf("back-office refund with a 500-character reason = %d, body without the limit", w.Code)
	}
	if got := a.MustGet(t, p.ID).Refunded; got != 0 {
		t.Errorf("the refused refund refunded %d", got)
	}

	dev := a.readyDevice(t)
	body, h := form(url.Values{"key": {"sale-key-long-note-0001"}, "amount": {"5.00"}, "method": {"wechat"}, "note": {strings.Repeat("n", 101)}})
	w = a.do(t, http.MethodPost, handlers.CounterChargePath, body, withCookie(dev, h))
	if e := mustJSON[counterErrJSON](t, w); w.Code != http.StatusBadRequest || e.Error.Code != "note_too_long" || !strings.Contains(e.Error.Message, "100 characters") {
		t.Errorf("counter note of 101 characters = %d %+v, want 400 note_too_long naming 100 characters", w.Code, e)
	}
	all, _ := a.Store.ListPayments(t.Context(), payments.PaymentFilter{Limit: 10})
	if len(all) != 1 { // the paid one above
		t.Errorf("%d payments stored, want only the paid one", len(all))
	}
	body, h = form(url.Values{"key": {"sale-key-note-100-0001"}, "amount": {"5.00"}, "method": {"wechat"}, "note": {strings.Repeat("茶", 100)}})
	w = a.do(t, http.MethodPost, handlers.CounterChargePath, body, withCookie(dev, h))
	if w.Code != http.StatusOK {
		t.Fatalf("counter note of 100 characters = %d %s", w.Code, w.Body)
	}
	if got := a.MustGet(t, mustJSON[counterSaleJSON](t, w).ID); got.Description != strings.Repeat("茶", 100) {
		t.Errorf("counter sale description %q, want the note whole", got.Description)
	}
}
