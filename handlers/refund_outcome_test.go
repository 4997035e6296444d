package handlers_test

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/webhook"
)

// TestRefundFailedReachesMerchant: a refund answered 202 (Latipay's answer
// lost) that Latipay then refuses (code 559) is told to the merchant: a
// refund.failed webhook naming the refund and why, delivered and in the
// delivery log, though the payment's status never moved for it; and
// GET .../refunds/:refund_id and the refunds list show it failed.
func TestRefundFailedReachesMerchant(t *testing.T) {
	var mu sync.Mutex
	var got []webhook.Event
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev webhook.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
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
	doc := loadOpenAPI(t)

	a.Sim.SetFaults(latipaysim.Faults{ServerError: true})
	w := a.api(t, http.MethodPost, "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"2.00"}`, nil)
	if w.Code != http.StatusAccepted {
		t.Fatalf("refund while Latipay answers 500 = %d %s; want 202", w.Code, w.Body)
	}
	checkAgainst(t, doc, "Refund", w.Body.Bytes())
	rf := mustJSON[map[string]any](t, w)
	id, _ := rf["id"].(string)
	w = a.api(t, http.MethodGet, "/api/v1/payments/"+p.ID+"/refunds/"+id, "", nil)
	if w.Code != http.StatusOK || mustJSON[map[string]any](t, w)["status"] != "pending" {
		t.Fatalf("GET the refund while pending = %d %s; want 200 pending", w.Code, w.Body)
	}

	a.Sim.SetFaults(latipaysim.Faults{RefundCode: 559})
	a.Clock.Advance(5 * time.Minute) // its check is due
	if n, err := a.Svc.ReconcileRefunds(t.Context(), 10); err != nil || n != 1 {
		t.Fatalf("ReconcileRefunds = %d, %v; want the pending refund", n, err)
	}
	for range 10 {
		if n, err := worker.Flush(t.Context()); err != nil {
			t.Fatal(err)
		} else if n == 0 {
			break
		}
	}

	mu.Lock()
	var failed *webhook.Event
	for i := range got {
		if got[i].Type == "refund.failed" {
			failed = &got[i]
		}
	}
	mu.Unlock()
	if failed == nil {
		t.Fatalf("webhooks sent: %+v; want a refund.failed", got)
	}
	if r := failed.Refund; r == nil || r.ID != id || r.Amount != "2.00" || r.Status != "failed" || r.LatipayCode != 559 ||
		!strings.Contains(r.FailureMessage, "559") {
		t.Errorf("refund.failed's refund = %+v; want %s, 2.00, failed, code 559 in words", r, id)
	}
	if failed.Payment.Status != "paid" || failed.Payment.AmountRefunded != "0.00" || failed.Payment.AmountRefundPending != "0.00" {
		t.Errorf("refund.failed's payment: %s, refunded %s, pending %s; want paid, 0.00, 0.00",
			failed.Payment.Status, failed.Payment.AmountRefunded, failed.Payment.AmountRefundPending)
	}

	w = a.api(t, http.MethodGet, "/api/v1/webhook-deliveries?payment_id="+p.ID, "", nil)
	ds := mustJSON[struct {
		Data []map[string]any `json:"data"`
	}](t, w)
	var logged bool
	for _, d := range ds.Data {
		logged = logged || d["event_type"] == "refund.failed" && d["state"] == "delivered"
	}
	if !logged {
		t.Errorf("delivery log %v; want a delivered refund.failed", ds.Data)
	}

	w = a.api(t, http.MethodGet, "/api/v1/payments/"+p.ID+"/refunds/"+id, "", nil)
	checkAgainst(t, doc, "Refund", w.Body.Bytes())
	if r := mustJSON[map[string]any](t, w); w.Code != http.StatusOK || r["status"] != "failed" || r["latipay_code"] != float64(559) ||
		!strings.Contains(r["failure_message"].(string), "too little") {
		t.Errorf("GET the refund = %d %v; want failed, code 559, in words", w.Code, r)
	}
	w = a.api(t, http.MethodGet, "/api/v1/payments/"+p.ID+"/refunds", "", nil)
	checkAgainst(t, doc, "RefundList", w.Body.Bytes())
	if l := mustJSON[struct{ Data []map[string]any }](t, w); len(l.Data) != 1 || l.Data[0]["id"] != id || l.Data[0]["status"] != "failed" {
		t.Errorf("refunds list = %v; want the one failed refund", l.Data)
	}
	for _, path := range []string{"/api/v1/payments/" + p.ID + "/refunds/rf_00000000000000000000000000",
		"/api/v1/payments/pay_nope/refunds", "/api/v1/payments/pay_nope/refunds/" + id} {
		if w := a.api(t, http.MethodGet, path, "", nil); w.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d; want 404", path, w.Code)
		}
	}
}
