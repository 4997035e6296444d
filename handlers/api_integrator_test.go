package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestMethodNotEnabledRefused: a payment for a method the checkout does
// not offer (HPP_METHODS defaults to wechat,alipay) could never be paid,
// so the API refuses it naming the method, the enabled ones and the
// setting, and a signed link for it gets a page that says so in the
// shopper's language instead of a bare "not valid".
func TestMethodNotEnabledRefused(t *testing.T) {
	app := newTestApp(t)
	w := app.api(t, "POST", "/api/v1/payments", strings.Replace(createBody, `"currency"`, `"payment_method":"upi_upop","currency"`, 1), nil)
	if w.Code != http.StatusBadRequest {
		t.Fatalf("create upi_upop = %d %s, want 400", w.Code, w.Body)
	}
	checkErrorShape(t, w, "invalid_request")
	msg := mustJSON[apiError](t, w).Error.Message
	for _, want := range []string{"payment_method upi_upop", "wechat, alipay", "HPP_METHODS"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}

	q := linkQuery("LINK-UPI", "20.00")
	q.Set("method", "upi_upop")
	for lang, want := range map[string]string{
		"en":    "payment method this shop does not offer",
		"zh-CN": "付款方式本店不支持",
		"zh-TW": "付款方式本店不支援",
	} {
		w := app.do(t, "GET", signedLink(q), nil, http.Header{"Accept-Language": {lang}})
		if w.Code != http.StatusBadRequest {
			t.Fatalf("%s: link for upi_upop = %d, want 400", lang, w.Code)
		}
		if got := testid(mustDoc(t, w), "error").Text(); !strings.Contains(got, want) {
			t.Errorf("%s: error page says %q, want %q", lang, strings.Join(strings.Fields(got), " "), want)
		}
	}
	if w := app.api(t, "GET", "/api/v1/payments?reference=LINK-UPI", "", nil); strings.Contains(w.Body.String(), "LINK-UPI") {
		t.Errorf("the refused link made a payment: %s", w.Body)
	}

	// Enabled, the same request is taken.
	on := handlers.NewTestApp(t, handlers.TestAppOptions{Env: paymentstest.Options{Service: payments.Options{
		Methods: []payments.Method{payments.MethodWeChat, payments.MethodUnionPay}}}})
	onApp := &testApp{Env: on.Env, h: on.H}
	onApp.mustCreate(t, strings.Replace(createBody, `"currency"`, `"payment_method":"upi_upop","currency"`, 1))
	if w := onApp.do(t, "GET", signedLink(q), nil, nil); w.Code != http.StatusSeeOther {
		t.Errorf("link for an enabled upi_upop = %d, want 303", w.Code)
	}
}

// TestReturnURLOriginNormalised: a return_url with the scheme's default
// port, or the host in another case, is on the same origin as the one
// registered, as a browser sees it; another port is not.
func TestReturnURLOriginNormalised(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	for i, u := range []string{"https://shop.example.com:443/x", "https://SHOP.Example.com/x", "https://shop.example.com:443/"} {
		body := strings.Replace(strings.Replace(createBody, "https://shop.example.com/done", u, 1), "ORDER-1", "ORDER-O"+string(rune('0'+i)), 1)
		if w := a.api(t, "POST", "/api/v1/payments", body, nil); w.Code != http.StatusCreated {
			t.Errorf("return_url %s = %d %s, want 201", u, w.Code, w.Body)
		}
	}
	body := strings.Replace(createBody, "https://shop.example.com/done", "https://shop.example.com:8443/x", 1)
	if w := a.api(t, "POST", "/api/v1/payments", body, nil); w.Code != http.StatusBadRequest {
		t.Errorf("return_url on port 8443 = %d, want 400", w.Code)
	}
}

// TestBadCursorsAlike: a cursor the API never gave out is a 400 with the
// same code and words on both lists, not an empty page on one of them;
// a cursor it gave out still pages.
func TestBadCursorsAlike(t *testing.T) {
	a := newTestApp(t)
	var msgs []string
	for _, path := range []string{"/api/v1/payments?cursor=garbage", "/api/v1/webhook-deliveries?cursor=zzz",
		"/api/v1/webhook-deliveries?cursor=whd_12", "/api/v1/webhook-deliveries?cursor=whd_1772326631123000000%2F"} {
		w := a.api(t, "GET", path, "", nil)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s = %d %s, want 400", path, w.Code, w.Body)
			continue
		}
		checkErrorShape(t, w, "invalid_request")
		msgs = append(msgs, mustJSON[apiError](t, w).Error.Message)
	}
	for _, m := range msgs {
		if m != msgs[0] {
			t.Errorf("messages differ: %q", msgs)
			break
		}
	}
	if w := a.api(t, "GET", "/api/v1/webhook-deliveries?cursor=whd_17723266311230000009f3a1c2e", "", nil); w.Code != http.StatusOK {
		t.Errorf("a delivery id as cursor = %d %s, want 200", w.Code, w.Body)
	}
}

// TestInvalidUTF8Refused: a text field holding bytes that are not UTF-8
// is refused naming the field, not stored with U+FFFD in their place.
func TestInvalidUTF8Refused(t *testing.T) {
	a := newTestApp(t)
	for field, body := range map[string]string{
		"reference":   strings.Replace(createBody, `"ORDER-1"`, "\"bad\xff\"", 1),
		"description": strings.Replace(createBody, `"Two coffees"`, "\"caf\xc3\"", 1),
		"field name":  strings.Replace(createBody, `"description"`, "\"descr\xffiption\"", 1),
	} {
		w := a.api(t, "POST", "/api/v1/payments", body, nil)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s with invalid UTF-8 = %d %s, want 400", field, w.Code, w.Body)
			continue
		}
		checkErrorShape(t, w, "invalid_request")
		if msg := mustJSON[apiError](t, w).Error.Message; !strings.Contains(msg, field) || !strings.Contains(msg, "UTF-8") {
			t.Errorf("%s: message %q does not name the field and UTF-8", field, msg)
		}
	}
	p := a.mustPaid(t)
	w := a.api(t, "POST", "/api/v1/payments/"+p.ID+"/refunds", "{\"reason\":\"broken \xe2\x82\"}", nil)
	if msg := mustJSON[apiError](t, w).Error.Message; w.Code != http.StatusBadRequest || !strings.Contains(msg, "reason") {
		t.Errorf("refund reason with invalid UTF-8 = %d %q, want 400 naming reason", w.Code, msg)
	}
}

// TestRefundLatipayUnreachable: a refund whose call to Latipay was never
// made (connection refused) is answered 503 gateway_unavailable, as the
// OpenAPI document promises, and recorded failed with its amount free
// again, not 202 pending.
func TestRefundLatipayUnreachable(t *testing.T) {
	a := newTestApp(t)
	p := a.mustPaid(t)
	a.StopSim()
	w := a.api(t, "POST", "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"5.00"}`, http.Header{"Idempotency-Key": {"rf-down"}})
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("refund with Latipay down = %d %s, want 503", w.Code, w.Body)
	}
	checkErrorShape(t, w, "gateway_unavailable")
	if got := mustJSON[map[string]any](t, a.api(t, "GET", "/api/v1/payments/"+p.ID, "", nil)); got["amount_refunded"] != "0.00" {
		t.Errorf("amount_refunded = %v, want 0.00: nothing was refunded", got["amount_refunded"])
	}
	var failed bool
	for _, e := range a.MustEvents(t, p.ID) {
		failed = failed || e.Type == "refund.failed"
	}
	if !failed {
		t.Errorf("no refund.failed event: the refund is not recorded failed")
	}
}

// TestRefundUnreachedKeyReleased: nothing was sent when Latipay could
// not be reached, so the refund's Idempotency-Key is released: the same
// request with the same key, once Latipay is back, really tries again
// and succeeds, and Latipay holds exactly one refund. A refund whose
// outcome is unknown keeps its key: the same request replays it.
func TestRefundUnreachedKeyReleased(t *testing.T) {
	a := newTestApp(t)
	p := a.mustPaid(t)
	key := http.Header{"Idempotency-Key": {"rf-retry"}}
	a.StopSim()
	if w := a.api(t, "POST", "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"5.00"}`, key); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("refund with Latipay unreachable = %d %s, want 503", w.Code, w.Body)
	}
	a.ResumeSim(t)
	w := a.api(t, "POST", "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"5.00"}`, key)
	if w.Code != http.StatusCreated || w.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("the same refund, same key, Latipay back = %d %s (replayed %q), want 201, not replayed",
			w.Code, w.Body, w.Header().Get("Idempotent-Replayed"))
	}
	made := mustJSON[map[string]any](t, w)
	tx, ok := a.Sim.Transaction(a.MustGet(t, p.ID).LatipayReference)
	if !ok || len(tx.Refunds) != 1 || tx.Refunded != "5.00" {
		t.Errorf("Latipay holds refunds %+v (refunded %s), want exactly one of 5.00", tx.Refunds, tx.Refunded)
	}
	if w := a.api(t, "POST", "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"5.00"}`, key); w.Code != http.StatusCreated ||
		w.Header().Get("Idempotent-Replayed") != "true" || mustJSON[map[string]any](t, w)["id"] != made["id"] {
		t.Errorf("the same request a third time = %d %s, want the refund made, replayed", w.Code, w.Body)
	}
	rs, err := a.Svc.Refunds(t.Context(), p.ID)
	if err != nil || len(rs) != 2 || rs[0].Status != payments.RefundFailed || rs[1].Status != payments.RefundSucceeded {
		t.Errorf("refunds: %+v, %v; want the one not sent, failed, then the one made", rs, err)
	}

	// An outcome unknown (Latipay's answer cut short after it made the
	// refund) keeps the key: the same request replays, nothing more is
	// sent.
	a.Sim.SetFaults(latipaysim.Faults{MalformedJSON: true})
	unknown := http.Header{"Idempotency-Key": {"rf-unknown"}}
	w = a.api(t, "POST", "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"1.00"}`, unknown)
	if w.Code != http.StatusAccepted {
		t.Fatalf("refund whose answer is lost = %d %s, want 202 pending", w.Code, w.Body)
	}
	pending := mustJSON[map[string]any](t, w)["id"]
	a.Sim.SetFaults(latipaysim.Faults{})
	if w := a.api(t, "POST", "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"1.00"}`, unknown); w.Header().Get("Idempotent-Replayed") != "true" ||
		mustJSON[map[string]any](t, w)["id"] != pending {
		t.Errorf("the same request after a lost answer = %d %s, want the pending refund replayed", w.Code, w.Body)
	}
	if rs, _ := a.Svc.Refunds(t.Context(), p.ID); len(rs) != 3 {
		t.Errorf("%d refunds, want 3: a replay made another", len(rs))
	}
}
