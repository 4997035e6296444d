package handlers_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/webhook"
)

const (
	shopOrigin    = "https://shop.example.com"
	webhookSecret = "CANARY-handlers-webhook-secret-0123456789"
)

// newEmbedApp is newTestApp with the merchant's origin registered, a
// redirect secret, and edit applied to the options. keepMode leaves gin's
// mode alone (the route-listing test runs in debug mode).
func newEmbedApp(t testing.TB, edit func(env *paymentstest.Env, o *handlers.Options), keepMode bool) *testApp {
	t.Helper()
	o := handlers.TestAppOptions{Env: paymentstest.Options{Service: payments.Options{MerchantOrigins: []string{shopOrigin}}},
		Edit: func(env *paymentstest.Env, o *handlers.Options) {
			o.MerchantOrigins, o.RedirectSecret = []string{shopOrigin}, webhookSecret
			if edit != nil {
				edit(env, o)
			}
		}}
	if keepMode {
		o.GinMode = "keep"
	}
	app := handlers.NewTestApp(t, o)
	return &testApp{Env: app.Env, h: app.H}
}

// mustPaid creates a 12.50 NZD payment over the API and pays it through
// the simulator.
func (a *testApp) mustPaid(t testing.TB) paymentstest.APIPayment {
	t.Helper()
	p := a.mustCreate(t, createBody)
	st := a.MustStart(t, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
	if err := a.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatalf("Pay: %v", err)
	}
	a.WaitStatus(t, p.ID, payments.StatusPaid)
	return p
}

func TestAPIPaymentList(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	doc := loadOpenAPI(t)
	var ids []string
	for i := range 3 {
		ids = append([]string{a.mustCreate(t, strings.Replace(createBody, "ORDER-1", "ORDER-L"+string(rune('0'+i%2)), 1)).ID}, ids...)
		a.Clock.Advance(time.Second)
	}
	w := a.api(t, "GET", "/api/v1/payments?limit=2", "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("list = %d %s", w.Code, w.Body)
	}
	checkAgainst(t, doc, "PaymentList", w.Body.Bytes())
	page := mustJSON[struct {
		Data       []paymentstest.APIPayment `json:"data"`
		NextCursor string                    `json:"next_cursor"`
	}](t, w)
	if len(page.Data) != 2 || page.Data[0].ID != ids[0] || page.NextCursor == "" {
		t.Fatalf("first page = %+v, want %v first and a cursor", page, ids[:2])
	}
	w = a.api(t, "GET", "/api/v1/payments?limit=2&cursor="+url.QueryEscape(page.NextCursor), "", nil)
	page2 := mustJSON[struct {
		Data       []paymentstest.APIPayment `json:"data"`
		NextCursor string                    `json:"next_cursor"`
	}](t, w)
	if len(page2.Data) != 1 || page2.Data[0].ID != ids[2] || page2.NextCursor != "" {
		t.Errorf("second page = %+v, want %s and no cursor", page2, ids[2])
	}
	w = a.api(t, "GET", "/api/v1/payments?reference=ORDER-L1&status=created", "", nil)
	if got := mustJSON[struct{ Data []paymentstest.APIPayment }](t, w); len(got.Data) != 1 || got.Data[0].ID != ids[1] {
		t.Errorf("filtered = %+v, want only %s", got, ids[1])
	}
	for _, q := range []string{"status=nope", "limit=1000", "limit=x", "cursor=%25%25"} {
		if w := a.api(t, "GET", "/api/v1/payments?"+q, "", nil); w.Code != http.StatusBadRequest {
			t.Errorf("list ?%s = %d, want 400", q, w.Code)
		} else {
			checkErrorShape(t, w, "invalid_request")
		}
	}
}

func TestAPICancel(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	p := a.mustCreate(t, createBody)
	w := a.api(t, "POST", "/api/v1/payments/"+p.ID+"/cancel", "", nil)
	if got := mustJSON[paymentstest.APIPayment](t, w); w.Code != http.StatusOK || got.Status != "canceled" {
		t.Fatalf("cancel = %d %s, want 200 canceled", w.Code, w.Body)
	}
	checkAgainst(t, loadOpenAPI(t), "Payment", w.Body.Bytes())
	if w := a.api(t, "POST", "/api/v1/payments/"+p.ID+"/cancel", "", nil); w.Code != http.StatusOK {
		t.Errorf("second cancel = %d, want 200 (a no-op)", w.Code)
	}
	// A payment paid here answers as one the cancel finds paid at
	// Latipay: 409 already_paid, with the payment.
	paid := a.mustPaid(t)
	w = a.api(t, "POST", "/api/v1/payments/"+paid.ID+"/cancel", "", nil)
	checkAgainst(t, loadOpenAPI(t), "Error", w.Body.Bytes())
	body := mustJSON[struct {
		Error   struct{ Code, Message string }
		Payment paymentstest.APIPayment
	}](t, w)
	if w.Code != http.StatusConflict || body.Error.Code != "already_paid" || !strings.Contains(body.Error.Message, "refund") {
		t.Errorf("cancel paid = %d %+v, want 409 already_paid saying to refund it", w.Code, body.Error)
	}
	if body.Payment.ID != paid.ID || body.Payment.Status != "paid" || body.Payment.PaidAt == nil {
		t.Errorf("payment in the 409 = %+v, want %s, paid", body.Payment, paid.ID)
	}
	if got := a.MustGet(t, paid.ID); got.Status != payments.StatusPaid || got.NeedsReview {
		t.Errorf("after the cancel: %s needs_review %v, want paid as it was", got.Status, got.NeedsReview)
	}
	// One that ended unpaid is not_cancelable, and says so (not "refund").
	expired := a.mustCreate(t, strings.Replace(createBody, "ORDER-1", "ORDER-X", 1))
	a.Clock.Advance(a.MustGet(t, expired.ID).ExpiresAt.Sub(a.Clock.Now()) + time.Minute)
	if _, err := a.Svc.ExpireDue(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	w = a.api(t, "POST", "/api/v1/payments/"+expired.ID+"/cancel", "", nil)
	if e := mustJSON[struct {
		Error struct{ Code, Message string }
	}](t, w).Error; w.Code != http.StatusConflict ||
		e.Code != "not_cancelable" || strings.Contains(e.Message, "refund") || !strings.Contains(e.Message, "expired") {
		t.Errorf("cancel expired = %d %+v, want 409 not_cancelable saying it expired", w.Code, e)
	}
	if w := a.api(t, "POST", "/api/v1/payments/pay_nope/cancel", "", nil); w.Code != http.StatusNotFound {
		t.Errorf("cancel unknown = %d, want 404", w.Code)
	}
}

func TestAPIRefunds(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	doc := loadOpenAPI(t)
	p := a.mustPaid(t)
	path := "/api/v1/payments/" + p.ID + "/refunds"
	key := http.Header{"Idempotency-Key": {"refund-1"}}

	w := a.api(t, "POST", path, `{"amount":"5.00","reason":"cold"}`, key)
	if w.Code != http.StatusCreated {
		t.Fatalf("partial refund = %d %s, want 201", w.Code, w.Body)
	}
	checkAgainst(t, doc, "Refund", w.Body.Bytes())
	first := mustJSON[map[string]any](t, w)
	if first["amount"] != "5.00" || first["status"] != "succeeded" {
		t.Errorf("refund = %v", first)
	}
	again := a.api(t, "POST", path, `{"amount":"5.00","reason":"cold"}`, key)
	if again.Code != http.StatusCreated || again.Header().Get("Idempotent-Replayed") != "true" ||
		mustJSON[map[string]any](t, again)["id"] != first["id"] {
		t.Errorf("repeat = %d %s (replayed %q), want the same refund", again.Code, again.Body, again.Header().Get("Idempotent-Replayed"))
	}
	if w := a.api(t, "POST", path, `{"amount":"6.00"}`, key); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("same key, other body = %d, want 422", w.Code)
	} else {
		checkErrorShape(t, w, "idempotency_key_reused")
	}
	if w := a.api(t, "POST", path, `{"amount":"7.51"}`, nil); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("over-refund = %d %s, want 422", w.Code, w.Body)
	} else {
		checkErrorShape(t, w, "refund_too_large")
	}
	for _, body := range []string{`{"amount":7.5}`, `{"amount":"-1"}`, `{"amont":"1.00"}`, `nope`} {
		if w := a.api(t, "POST", path, body, nil); w.Code != http.StatusBadRequest {
			t.Errorf("refund %s = %d, want 400", body, w.Code)
		}
	}

	a.Sim.SetFaults(latipaysim.Faults{RefundCode: 559})
	w = a.api(t, "POST", path, `{"amount":"1.00"}`, nil)
	a.Sim.SetFaults(latipaysim.Faults{})
	checkAgainst(t, doc, "Error", w.Body.Bytes())
	e := mustJSON[struct {
		Error struct {
			Code        string `json:"code"`
			Message     string `json:"message"`
			LatipayCode int    `json:"latipay_code"`
		} `json:"error"`
	}](t, w)
	if w.Code != http.StatusUnprocessableEntity || e.Error.Code != "refund_rejected" || e.Error.LatipayCode != 559 ||
		!strings.Contains(e.Error.Message, "code 559") || !strings.Contains(e.Error.Message, "wallet") {
		t.Errorf("refund refused by Latipay = %d %s, want 422 refund_rejected naming code 559", w.Code, w.Body)
	}

	w = a.api(t, "POST", path, `{}`, nil) // the rest
	if got := mustJSON[map[string]any](t, w); w.Code != http.StatusCreated || got["amount"] != "7.50" {
		t.Errorf("refund the rest = %d %s, want 7.50", w.Code, w.Body)
	}
	if got := mustJSON[paymentstest.APIPayment](t, a.api(t, "GET", "/api/v1/payments/"+p.ID, "", nil)); got.Status != "refunded" {
		t.Errorf("status after full refund = %s, want refunded", got.Status)
	}
	unpaid := a.mustCreate(t, createBody)
	if w := a.api(t, "POST", "/api/v1/payments/"+unpaid.ID+"/refunds", `{}`, nil); w.Code != http.StatusConflict {
		t.Errorf("refund unpaid = %d, want 409", w.Code)
	}
}

func TestAPIEvents(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	p := a.mustPaid(t)
	w := a.api(t, "GET", "/api/v1/payments/"+p.ID+"/events", "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("events = %d %s", w.Code, w.Body)
	}
	checkAgainst(t, loadOpenAPI(t), "EventList", w.Body.Bytes())
	got := mustJSON[struct {
		Data []struct {
			Sequence int64  `json:"sequence"`
			Type     string `json:"type"`
		} `json:"data"`
	}](t, w)
	var types []string
	for i, e := range got.Data {
		if e.Sequence != int64(i+1) {
			t.Errorf("event %d has sequence %d", i, e.Sequence)
		}
		types = append(types, e.Type)
	}
	if want := "payment.created attempt.started payment.pending payment.paid"; strings.Join(types, " ") != want {
		t.Errorf("event types = %v, want %s", types, want)
	}
	if w := a.api(t, "GET", "/api/v1/payments/pay_nope/events", "", nil); w.Code != http.StatusNotFound {
		t.Errorf("events of unknown = %d, want 404", w.Code)
	}
}

func TestAPIWebhookDeliveries(t *testing.T) {
	var hits atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
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
	p := a.mustCreate(t, createBody)
	a.api(t, "POST", "/api/v1/payments/"+p.ID+"/cancel", "", nil)
	if _, err := wk.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := a.api(t, "GET", "/api/v1/webhook-deliveries?payment_id="+p.ID, "", nil)
	checkAgainst(t, loadOpenAPI(t), "DeliveryList", w.Body.Bytes())
	list := mustJSON[struct {
		Data []map[string]any `json:"data"`
	}](t, w)
	if len(list.Data) != 1 || list.Data[0]["state"] != "retrying" || list.Data[0]["status_code"] != float64(503) ||
		list.Data[0]["event_type"] != "payment.canceled" || list.Data[0]["next_attempt_at"] == nil {
		t.Fatalf("deliveries = %+v, want one retrying 503", list.Data)
	}
	id, _ := list.Data[0]["id"].(string)
	w = a.api(t, "POST", "/api/v1/webhook-deliveries/"+id+"/redeliver", "", nil)
	checkAgainst(t, loadOpenAPI(t), "Delivery", w.Body.Bytes())
	d := mustJSON[map[string]any](t, w)
	if w.Code != http.StatusOK || d["state"] != "delivered" || d["redelivery"] != true || d["event_id"] != list.Data[0]["event_id"] {
		t.Errorf("redeliver = %d %v, want delivered redelivery of the same event", w.Code, d)
	}
	if w := a.api(t, "POST", "/api/v1/webhook-deliveries/whd_nope/redeliver", "", nil); w.Code != http.StatusNotFound {
		t.Errorf("redeliver unknown = %d, want 404", w.Code)
	}
	if w := a.api(t, "GET", "/api/v1/webhook-deliveries?limit=0x", "", nil); w.Code != http.StatusBadRequest {
		t.Errorf("deliveries ?limit=0x = %d, want 400", w.Code)
	}

	off := newEmbedApp(t, nil, false)
	if w := off.api(t, "POST", "/api/v1/webhook-deliveries/"+id+"/redeliver", "", nil); w.Code != http.StatusConflict {
		t.Errorf("redeliver without webhooks = %d, want 409", w.Code)
	} else {
		checkErrorShape(t, w, "webhooks_disabled")
	}
	if w := off.do(t, "GET", "/api/v1/webhook-deliveries", nil, nil); w.Code != http.StatusUnauthorized {
		t.Errorf("deliveries without a key = %d, want 401", w.Code)
	}
}
