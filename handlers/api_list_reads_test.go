package handlers

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
)

// TestAPIListReadsRefundsOnce: GET /api/v1/payments reads the refunds of
// a page's payments in one store call, however many of them were
// refunded (before, it read each refunded payment's whole event log, up
// to 100 reads a page), and still answers each payment's
// amount_refunded. The store is counted call by call (countingStore).
func TestAPIListReadsRefundsOnce(t *testing.T) {
	const n = 8
	a := newFloodApp(t, Limits{Off: true})
	ctx := t.Context()
	want := map[string]string{}
	refunded := 0
	for i := range n {
		p, _, err := a.svc.Create(ctx, payments.CreateInput{Amount: "12.50", Currency: "NZD",
			Reference: fmt.Sprintf("LIST-%02d", i), ReturnURL: a.url + "/", Source: "api"}, "")
		if err != nil {
			t.Fatal(err)
		}
		want[p.ID] = "0.00"
		if i == n-1 {
			continue // one never paid: no refund to read
		}
		st, err := a.svc.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop, ClientIP: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.sim.Pay(st.Attempt.Reference); err != nil {
			t.Fatal(err)
		}
		a.WaitStatus(t, p.ID, payments.StatusPaid)
		if i%4 == 3 {
			continue // paid, not refunded
		}
		amount := fmt.Sprintf("%d.00", 1+i%3)
		if _, _, err := a.svc.Refund(ctx, payments.RefundInput{PaymentID: p.ID, Amount: amount, Key: "r-" + p.ID}); err != nil {
			t.Fatalf("Refund %s: %v", p.ID, err)
		}
		want[p.ID] = amount
		refunded++
	}

	before := a.store.calls.Load()
	w := a.do(apiRequest(http.MethodGet, "/api/v1/payments?limit=100", ""))
	calls := a.store.calls.Load() - before
	if w.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/payments = %d %s", w.Code, w.Body)
	}
	var page struct {
		Data []struct {
			ID       string `json:"id"`
			Refunded string `json:"amount_refunded"`
		} `json:"data"`
	}
	mustJSON(t, w.Body, &page)
	if len(page.Data) != n {
		t.Fatalf("the page lists %d payments, want %d", len(page.Data), n)
	}
	for _, p := range page.Data {
		if p.Refunded != want[p.ID] {
			t.Errorf("%s: amount_refunded %q, want %q", p.ID, p.Refunded, want[p.ID])
		}
	}
	// The page itself, then its refunds: two calls, not one more per
	// refunded payment.
	if calls > 2 {
		t.Errorf("GET /api/v1/payments made %d store calls for a page with %d refunded payments, want at most 2", calls, refunded)
	}
}
