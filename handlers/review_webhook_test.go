package handlers_test

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/webhook"
)

// TestReviewReachesMerchant: an owner marking a flagged payment (paid
// after its cancel) reviewed is told to the merchant: a payment.reviewed
// webhook, its status unchanged and its payment's reviewed_at the time of
// the review, while the events sent before it carried reviewed_at null.
// Every body sent matches the OpenAPI document's WebhookEvent, and the API
// answers the same reviewed_at.
func TestReviewReachesMerchant(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	rcv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	var worker *webhook.Worker
	gw := &downGateway{}
	a := newAdminApp(t, adminAppOptions{
		wrapGateway: func(g payments.Gateway) payments.Gateway { gw.Gateway = g; return gw },
		webhooks: func(env *paymentstest.Env) handlers.Webhooks {
			w, err := webhook.New(env.Store, webhook.Options{URL: rcv.URL, Secrets: []string{webhookSecret},
				Now: env.Clock.Now, Rand: rand.Reader, Log: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			worker = w
			return w
		}})
	flush := func() {
		t.Helper()
		for range 10 {
			if n, err := worker.Flush(t.Context()); err != nil {
				t.Fatal(err)
			} else if n == 0 {
				return
			}
		}
	}
	dev := a.readyDevice(t)
	id := paidAfterCancel(t, a, gw, dev, "review-hook-key-00000001", "27.18")
	flush()
	a.Clock.Advance(time.Minute)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	if w := a.post(t, "/admin/payments/"+id+"/review", url.Values{"note": {"called the shopper"}}, owner); w.Code != http.StatusSeeOther {
		t.Fatalf("review = %d %s", w.Code, w.Body)
	}
	reviewedAt := payments.FormatTime(a.Clock.Now())
	flush()

	doc := loadOpenAPI(t)
	mu.Lock()
	defer mu.Unlock()
	// The payment's reviewed_at as sent: absent is not null.
	type sent struct {
		webhook.Event
		Payment struct {
			webhook.Payment
			ReviewedAt *string `json:"reviewed_at"`
		} `json:"payment"`
	}
	var reviewed *sent
	var types []string
	for _, b := range bodies {
		checkAgainst(t, doc, "WebhookEvent", b)
		var ev sent
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		var raw struct {
			Payment map[string]any `json:"payment"`
		}
		_ = json.Unmarshal(b, &raw)
		if _, ok := raw.Payment["reviewed_at"]; !ok {
			t.Errorf("%s: the payment carries no reviewed_at: %s", ev.Type, b)
		}
		types = append(types, ev.Type)
		if ev.Type == "payment.reviewed" {
			reviewed = &ev
		} else if ev.Payment.ReviewedAt != nil {
			t.Errorf("%s, sent before the review: reviewed_at %q, want null", ev.Type, *ev.Payment.ReviewedAt)
		}
	}
	if reviewed == nil {
		t.Fatalf("webhooks sent: %v; want a payment.reviewed", types)
	}
	if reviewed.Status != "paid" || reviewed.PreviousStatus != "paid" || reviewed.Payment.ID != id ||
		!reviewed.Payment.PaidLate || !reviewed.Payment.NeedsReview {
		t.Errorf("payment.reviewed = %+v; want the paid payment, status unchanged, flags kept", reviewed)
	}
	if got := reviewed.Payment.ReviewedAt; got == nil || *got != reviewedAt {
		t.Errorf("payment.reviewed's reviewed_at = %v, want %s", got, reviewedAt)
	}
	w := a.api(t, http.MethodGet, "/api/v1/payments/"+id, "", nil)
	checkAgainst(t, doc, "Payment", w.Body.Bytes())
	if got := mustJSON[struct {
		ReviewedAt *string `json:"reviewed_at"`
	}](t, w); got.ReviewedAt == nil || *got.ReviewedAt != reviewedAt {
		t.Errorf("API reviewed_at = %v, want %s", got.ReviewedAt, reviewedAt)
	}
}
