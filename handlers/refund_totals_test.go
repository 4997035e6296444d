package handlers_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
)

// TestRefundedMeansSucceeded: a 12.50 payment with 2.50 refunded and a
// 5.00 refund still waiting for Latipay's answer. Everything that says
// how much was refunded says 2.50, what the partially_refunded status
// follows: the API's payment (with the 5.00 as amount_refund_pending, as
// documented), the back office's list and detail, both exports, the
// receipt and the shopper's page. None says 7.50.
func TestRefundedMeansSucceeded(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	a.Sim.SetFaults(latipaysim.Faults{ServerError: true}) // the answer is lost: the refund stays pending
	if r, _, err := a.Svc.Refund(t.Context(), payments.RefundInput{PaymentID: p.ID, Amount: "5.00"}); err != nil || r.Status != payments.RefundPending {
		t.Fatalf("Refund(5.00) answered 500 = %+v, %v; want pending", r, err)
	}
	a.Sim.SetFaults(latipaysim.Faults{})
	if r, _, err := a.Svc.Refund(t.Context(), payments.RefundInput{PaymentID: p.ID, Amount: "2.50"}); err != nil || r.Status != payments.RefundSucceeded {
		t.Fatalf("Refund(2.50) = %+v, %v; want succeeded", r, err)
	}
	if got := a.MustGet(t, p.ID); got.Status != payments.StatusPartiallyRefunded || got.Refunded != 750 {
		t.Fatalf("set up: %s, %d reserved; want partially_refunded, 750", got.Status, got.Refunded)
	}
	doc := loadOpenAPI(t)

	w := a.api(t, http.MethodGet, "/api/v1/payments/"+p.ID, "", nil)
	checkAgainst(t, doc, "Payment", w.Body.Bytes())
	if got := mustJSON[map[string]any](t, w); got["amount_refunded"] != "2.50" || got["amount_refund_pending"] != "5.00" {
		t.Errorf("API payment: amount_refunded %v, amount_refund_pending %v; want 2.50 and 5.00", got["amount_refunded"], got["amount_refund_pending"])
	}
	w = a.api(t, http.MethodGet, "/api/v1/payments?limit=5", "", nil)
	checkAgainst(t, doc, "PaymentList", w.Body.Bytes())
	list := mustJSON[struct{ Data []map[string]any }](t, w)
	if len(list.Data) != 1 || list.Data[0]["amount_refunded"] != "2.50" || list.Data[0]["amount_refund_pending"] != "5.00" {
		t.Errorf("API list = %v; want the payment with 2.50 refunded, 5.00 pending", list.Data)
	}

	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	page := mustDoc(t, a.do(t, http.MethodGet, "/admin/payments", nil, withCookie(owner, nil)))
	cell := strings.Join(strings.Fields(page.Find(`[data-testid="payment-row"] [data-col="refunded"]`).Text()), " ")
	if cell != "NZD 2.50 +NZD 5.00 pending" {
		t.Errorf("list's refunded cell reads %q, want \"NZD 2.50 +NZD 5.00 pending\"", cell)
	}
	detail := mustDoc(t, a.do(t, http.MethodGet, "/admin/payments/"+p.ID, nil, withCookie(owner, nil)))
	if got := detail.Find(`[data-testid="detail-refunded"]`).Text(); got != "NZD 2.50" {
		t.Errorf("detail says refunded %q, want NZD 2.50", got)
	}
	if got := detail.Find(`[data-testid="detail-refund-pending"]`).Text(); got != "NZD 5.00" {
		t.Errorf("detail says pending %q, want NZD 5.00", got)
	}

	w = a.do(t, http.MethodGet, "/admin/payments/export.csv", nil, withCookie(owner, nil))
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("export.csv = %v, %v; want a header and one row", recs, err)
	}
	row := map[string]string{}
	for i, name := range recs[0] {
		row[name] = recs[1][i]
	}
	if row["refunded"] != "2.50" || row["refund_pending"] != "5.00" {
		t.Errorf("export.csv: refunded %q, refund_pending %q; want 2.50 and 5.00", row["refunded"], row["refund_pending"])
	}
	w = a.do(t, http.MethodGet, "/admin/payments/export.json", nil, withCookie(owner, nil))
	var js []map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &js); err != nil || len(js) != 1 || js[0]["refunded"] != "2.50" || js[0]["refund_pending"] != "5.00" {
		t.Errorf("export.json = %v, %v; want refunded 2.50, refund_pending 5.00", js, err)
	}

	receipt := mustDoc(t, a.do(t, http.MethodGet, "/admin/payments/"+p.ID+"/receipt", nil, withCookie(owner, nil)))
	if got := receipt.Find(`[data-testid="receipt-refunded"]`).Text(); !strings.Contains(got, "2.50") {
		t.Errorf("receipt says refunded %q, want 2.50", got)
	}
	checkout := mustDoc(t, a.do(t, http.MethodGet, "/checkout/"+p.ID, nil, nil))
	if got := checkout.Find(`[data-testid="refunded"]`).Text(); !strings.Contains(got, "2.50") {
		t.Errorf("the shopper's page says %q, want 2.50 refunded", got)
	}
}
