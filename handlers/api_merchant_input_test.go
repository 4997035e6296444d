package handlers_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/webhook"
)

// errMessage is the message of an API error answer.
func errMessage(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	return mustJSON[apiError](t, w).Error.Message
}

// apiPayment is payment id as GET /api/v1/payments/{id} shows it.
func (a *testApp) apiPayment(t testing.TB, id string) map[string]any {
	t.Helper()
	w := a.api(t, http.MethodGet, "/api/v1/payments/"+id, "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET payment %s = %d %s", id, w.Code, w.Body)
	}
	return mustJSON[map[string]any](t, w)
}

// TestRefundAmountMustBeGiven: only leaving amount out refunds everything
// left. An empty amount and a null one are refused with 400, saying why,
// and refund nothing; the body without amount still refunds it all.
func TestRefundAmountMustBeGiven(t *testing.T) {
	a := newTestApp(t)
	p := a.mustPaid(t)
	path := "/api/v1/payments/" + p.ID + "/refunds"
	for body, want := range map[string]string{
		`{"amount":""}`:                      "must not be empty",
		`{"amount":"","reason":"cold"}`:      "must not be empty",
		`{"amount":null}`:                    "not null",
		`{"amount":null,"reason":"spilled"}`: "not null",
	} {
		w := a.api(t, http.MethodPost, path, body, nil)
		if w.Code != http.StatusBadRequest {
			t.Fatalf("refund %s = %d %s; want 400", body, w.Code, w.Body)
		}
		checkErrorShape(t, w, "invalid_request")
		if msg := errMessage(t, w); !strings.Contains(msg, want) {
			t.Errorf("refund %s: message %q, want it to say %q", body, msg, want)
		}
	}
	w := a.api(t, http.MethodGet, path, "", nil)
	if n := len(mustJSON[struct{ Data []any }](t, w).Data); n != 0 {
		t.Fatalf("refused refunds left %d refunds: %s", n, w.Body)
	}
	if got := a.apiPayment(t, p.ID)["status"]; got != "paid" {
		t.Fatalf("after refused refunds the payment is %v, want paid", got)
	}
	w = a.api(t, http.MethodPost, path, `{"reason":"all of it"}`, nil)
	if w.Code != http.StatusCreated {
		t.Fatalf("refund without amount = %d %s; want 201", w.Code, w.Body)
	}
	if r := mustJSON[map[string]any](t, w); r["amount"] != "12.50" || r["status"] != "succeeded" {
		t.Fatalf("refund without amount = %v; want all 12.50 succeeded", r)
	}
}

// TestRefundRefusalReplaySaysReplayed: a repeat of a refund Latipay
// refused, with the same Idempotency-Key, is the first answer again and
// says so with Idempotent-Replayed, as every replay does.
func TestRefundRefusalReplaySaysReplayed(t *testing.T) {
	a := newTestApp(t)
	p := a.mustPaid(t)
	a.Sim.SetFaults(latipaysim.Faults{RefundCode: 559})
	key := http.Header{"Idempotency-Key": {"refund-refused-1"}}
	first := a.api(t, http.MethodPost, "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"2.00"}`, key)
	if first.Code != http.StatusUnprocessableEntity || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("refused refund = %d (replayed %q) %s; want 422, not replayed", first.Code,
			first.Header().Get("Idempotent-Replayed"), first.Body)
	}
	a.Sim.SetFaults(latipaysim.Faults{})
	again := a.api(t, http.MethodPost, "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"2.00"}`, key)
	if again.Code != first.Code || again.Body.String() != first.Body.String() {
		t.Fatalf("replay = %d %s; want the first answer %d %s", again.Code, again.Body, first.Code, first.Body)
	}
	if got := again.Header().Get("Idempotent-Replayed"); got != "true" {
		t.Errorf("replayed refusal: Idempotent-Replayed = %q, want true", got)
	}
}

// TestRefundSurvivesClientHangup: a merchant's client that hangs up while
// Latipay is slow does not cut the refund: Latipay still gets it, and it
// is recorded succeeded at once, not left pending for the reconciler.
func TestRefundSurvivesClientHangup(t *testing.T) {
	a := newTestApp(t)
	p := a.mustPaid(t)
	stored, err := a.Store.Payment(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.h)
	t.Cleanup(srv.Close)
	a.Sim.SetFaults(latipaysim.Faults{Delay: 2 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/v1/payments/"+p.ID+"/refunds",
		strings.NewReader(`{"amount":"3.00"}`))
	req.Host = strings.TrimPrefix(a.AppURL, "http://")
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the refund answered %d before the client gave up; the test needs Latipay slower", resp.StatusCode)
	}
	// Latipay answers after its delay; the refund is then recorded.
	var rs []payments.Refund
	for range 200 {
		if rs, err = a.Svc.Refunds(t.Context(), p.ID); err != nil {
			t.Fatal(err)
		}
		if len(rs) == 1 && rs[0].Status != payments.RefundPending {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(rs) != 1 || rs[0].Status != payments.RefundSucceeded || rs[0].Amount != 300 {
		t.Fatalf("refunds after the client hung up: %+v; want one of 3.00, succeeded", rs)
	}
	tx, ok := a.Sim.Transaction(stored.LatipayReference)
	if !ok || len(tx.Refunds) != 1 || tx.Refunds[0].Amount != "3.00" {
		t.Fatalf("Latipay's ledger: %+v; want the 3.00 refund", tx.Refunds)
	}
	if got := a.apiPayment(t, p.ID)["status"]; got != "partially_refunded" {
		t.Errorf("payment after the refund is %v, want partially_refunded", got)
	}
}

// TestAPIMessagesSayWhy: refusals say what is wrong and what the limit
// is: a refund of a payment never paid says only a paid one can be
// refunded; a return_url too long and an amount too large state their
// limits.
func TestAPIMessagesSayWhy(t *testing.T) {
	a := newTestApp(t)
	unpaid := a.mustCreate(t, createBody)
	w := a.api(t, http.MethodPost, "/api/v1/payments/"+unpaid.ID+"/refunds", `{"amount":"1.00"}`, nil)
	if w.Code != http.StatusConflict {
		t.Fatalf("refund of an unpaid payment = %d %s; want 409", w.Code, w.Body)
	}
	checkErrorShape(t, w, "not_refundable")
	if msg := errMessage(t, w); !strings.Contains(msg, "Only a paid payment can be refunded") || !strings.Contains(msg, "created, not paid") {
		t.Errorf("refund of an unpaid payment: %q; want it to say only a paid payment can be refunded and this one is not paid", msg)
	}

	long := "https://shop.example.com/done?" + strings.Repeat("a", 2048)
	body, _ := json.Marshal(map[string]string{"amount": "1.00", "currency": "NZD", "reference": "ORDER-LONG", "return_url": long})
	w = a.api(t, http.MethodPost, "/api/v1/payments", string(body), nil)
	if w.Code != http.StatusBadRequest || !strings.Contains(errMessage(t, w), "return_url is too long: at most 2048") {
		t.Errorf("return_url of %d bytes = %d %s; want 400 stating the 2048 limit", len(long), w.Code, w.Body)
	}
	w = a.api(t, http.MethodPost, "/api/v1/payments", `{"amount":"10000000000.01","currency":"NZD","reference":"ORDER-BIG","return_url":"https://shop.example.com/done"}`, nil)
	if w.Code != http.StatusBadRequest || !strings.Contains(errMessage(t, w), "amount is too large: at most 10000000000.00") {
		t.Errorf("amount above the limit = %d %s; want 400 stating the limit", w.Code, w.Body)
	}
}

// TestAPITextRefusedNotAltered: a reference of only spaces is refused, and
// so is a JSON escape of half a surrogate pair, which encoding/json would
// store as U+FFFD; a whole pair (an emoji) is kept as sent.
func TestAPITextRefusedNotAltered(t *testing.T) {
	a := newTestApp(t)
	for _, tc := range []struct{ name, body, want string }{
		{"blank reference", `{"amount":"1.00","currency":"NZD","reference":"   ","return_url":"https://shop.example.com/done"}`, "reference must not be blank"},
		{"lone high surrogate", `{"amount":"1.00","currency":"NZD","reference":"SUR-1","description":"tea \ud800","return_url":"https://shop.example.com/done"}`, "description must not hold half of a UTF-16 surrogate pair"},
		{"lone low surrogate", `{"amount":"1.00","currency":"NZD","reference":"SUR-2","description":"\udc00 tea","return_url":"https://shop.example.com/done"}`, "description must not hold half"},
		{"reversed pair", `{"amount":"1.00","currency":"NZD","reference":"SUR-3\udc00\ud800","return_url":"https://shop.example.com/done"}`, "reference must not hold half"},
	} {
		w := a.api(t, http.MethodPost, "/api/v1/payments", tc.body, nil)
		if w.Code != http.StatusBadRequest || !strings.Contains(errMessage(t, w), tc.want) {
			t.Errorf("%s = %d %s; want 400 saying %q", tc.name, w.Code, w.Body, tc.want)
		}
	}
	w := a.api(t, http.MethodPost, "/api/v1/payments", `{"amount":"1.00","currency":"NZD","reference":"SUR-OK","description":"tea \ud83c\udf75 \\ud800","return_url":"https://shop.example.com/done"}`, nil)
	if w.Code != http.StatusCreated {
		t.Fatalf("a whole surrogate pair = %d %s; want 201", w.Code, w.Body)
	}
	if got := mustJSON[map[string]any](t, w)["description"]; got != "tea \U0001F375 \\ud800" {
		t.Errorf("description = %q, want it as sent", got)
	}
}

// TestDeliveryLogShowsTheTypeSent: a partial refund's status change is
// sent as payment.refunded; the back office's delivery log, a delivery's
// page and the payment's timeline name it so too, as the API's delivery
// log does, never by the event log's finer name.
func TestDeliveryLogShowsTheTypeSent(t *testing.T) {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(rcv.Close)
	var worker *webhook.Worker
	a := newAdminApp(t, adminAppOptions{webhooks: func(env *paymentstest.Env) handlers.Webhooks {
		w, err := webhook.New(env.Store, webhook.Options{URL: rcv.URL, Secrets: []string{webhookSecret},
			Now: env.Clock.Now, Rand: rand.Reader, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		worker = w
		return w
	}})
	p := a.mustPaid(t)
	if w := a.api(t, http.MethodPost, "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"2.00"}`, nil); w.Code != http.StatusCreated {
		t.Fatalf("partial refund = %d %s", w.Code, w.Body)
	}
	for range 10 {
		if n, err := worker.Flush(t.Context()); err != nil {
			t.Fatal(err)
		} else if n == 0 {
			break
		}
	}
	ds, err := a.Store.Deliveries(t.Context(), payments.DeliveryFilter{PaymentID: p.ID, Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	var partial payments.Delivery
	for _, d := range ds {
		if d.EventType == "payment.partially_refunded" {
			partial = d
		}
	}
	if partial.ID == "" {
		t.Fatalf("no delivery of the partial refund's status change among %+v", ds)
	}
	w := a.api(t, http.MethodGet, "/api/v1/webhook-deliveries", "", nil)
	if !strings.Contains(w.Body.String(), `"event_type":"payment.refunded"`) || strings.Contains(w.Body.String(), "partially_refunded") {
		t.Fatalf("API delivery log: %s; want payment.refunded", w.Body)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for _, path := range []string{"/admin/webhooks?lang=en", "/admin/webhooks/" + partial.ID + "?lang=en"} {
		w := a.do(t, http.MethodGet, path, nil, withCookie(owner, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, w.Code)
		}
		if body := w.Body.String(); strings.Contains(body, "payment.partially_refunded") || !strings.Contains(body, "payment.refunded") {
			t.Errorf("GET %s names the delivery other than payment.refunded, the type sent", path)
		}
	}
	// The payment's page shows its event log too, with the finer names;
	// its webhook items name what was sent.
	w = a.do(t, http.MethodGet, "/admin/payments/"+p.ID+"?lang=en", nil, withCookie(owner, nil))
	var sent []string
	mustDoc(t, w).Find(`[data-testid="timeline-item"][data-kind="webhook"]`).Each(func(_ int, s *goquery.Selection) {
		sent = append(sent, strings.Join(strings.Fields(s.Text()), " "))
	})
	if all := strings.Join(sent, "|"); strings.Contains(all, "partially_refunded") || !strings.Contains(all, "payment.refunded") {
		t.Errorf("the payment's timeline names its webhooks %q; want payment.refunded, the type sent", sent)
	}
}

// TestSignedLinkIgnoresTracking: a signed link still opens with the
// tracking parameters social networks and email tools append, which reach
// nothing; any other unsigned parameter is still refused.
func TestSignedLinkIgnoresTracking(t *testing.T) {
	a := newTestApp(t)
	link := signedLink(linkQuery("LINK-TRACK", "20.00"))
	w := a.do(t, http.MethodGet, link+"&utm_source=newsletter&utm_campaign=spring&fbclid=IwAR0abc&gclid=Cj0K&msclkid=9f&mc_cid=1a&mc_eid=2b&_ga=2.1", nil, nil)
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/checkout/pay_") {
		t.Fatalf("link with tracking parameters = %d Location %q; want 303 to its checkout", w.Code, loc)
	}
	// HubSpot, Marketo, Google Search, Omeda, Vero, Rakuten and Adobe
	// append these to the links in the emails and results they carry.
	for _, extra := range []string{"&_hsenc=p2ANqtz-8&_hsmi=2", "&mkt_tok=NzU2LUZ", "&srsltid=AfmBOo",
		"&oly_enc_id=1&oly_anon_id=2", "&vero_id=3", "&rb_clickid=4", "&s_cid=em_5"} {
		w := a.do(t, http.MethodGet, link+extra, nil, nil)
		if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/checkout/pay_") {
			t.Errorf("link with %s = %d Location %q; want 303 to its checkout", extra, w.Code, loc)
		}
	}
	for _, extra := range []string{"&coupon=FREE", "&amount=0.01", "&utm_source=x&note=1"} {
		w := a.do(t, http.MethodGet, link+extra, nil, nil)
		if w.Code != http.StatusForbidden {
			t.Errorf("link with %s = %d; want 403", extra, w.Code)
		}
	}
}
