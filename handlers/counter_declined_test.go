package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
)

// declinedCode is a sandbox pay code whose shopper is asked for a
// password and gives up: pending, then failed.
const declinedCode = "134588558514585012"

// TestCounterDeclinedStaysFailed: a counter sale the shopper's wallet
// declined, and that nobody retried, stays failed after its window ends:
// its events end with payment.failed (no payment.expired), today's sales
// and the back office's list say failed, and the sale takes no new code
// (nor a cancel from today's sales) once its window ended. An online
// checkout whose attempt failed still expires with its window.
func TestCounterDeclinedStaysFailed(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	w := a.scan(t, dev, "declined-key-0000000001", "8.00", declinedCode)
	sale := mustJSON[counterSaleJSON](t, w)
	if w.Code != http.StatusOK || sale.Status != "pending" {
		t.Fatalf("scan = %d %+v; want the sale pending while the shopper types", w.Code, sale)
	}
	online := a.mustCreate(t, createBody)
	ref := a.mustStartQR(t, online.ID)
	if err := a.Sim.Fail(ref); err != nil {
		t.Fatal(err)
	}
	// The shopper gives up typing the password (the sandbox's controls
	// say so at once rather than after its delay).
	if err := a.Sim.Fail(a.MustGet(t, sale.ID).LatipayReference); err != nil {
		t.Fatal(err)
	}
	a.Clock.Advance(31 * time.Second)
	if _, err := a.Svc.ReconcileDue(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{sale.ID, online.ID} {
		if got := a.MustGet(t, id).Status; got != payments.StatusFailed {
			t.Fatalf("payment %s (sale %s) after the decline = %s, want failed", id, sale.ID, got)
		}
	}
	end := a.MustGet(t, sale.ID).ExpiresAt
	if o := a.MustGet(t, online.ID).ExpiresAt; o.After(end) {
		end = o
	}
	a.Clock.Advance(end.Sub(a.Clock.Now()) + time.Minute)
	if _, err := a.Svc.ExpireDue(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	if got := a.MustGet(t, online.ID).Status; got != payments.StatusExpired {
		t.Errorf("the failed online checkout after its window = %s, want expired", got)
	}
	if got := a.MustGet(t, sale.ID).Status; got != payments.StatusFailed {
		t.Fatalf("the declined counter sale after its window = %s, want failed", got)
	}
	evs := a.MustEvents(t, sale.ID)
	if last := evs[len(evs)-1]; last.Type != "payment.failed" || strings.Contains(paymentEventTypes(evs), "payment.expired") {
		t.Errorf("the sale's events are %s; want them to end with payment.failed, no payment.expired", paymentEventTypes(evs))
	}

	sales := mustDoc(t, a.do(t, http.MethodGet, handlers.CounterSalesPath+"?lang=en", nil, withCookie(dev, nil)))
	row := sales.Find(`[data-testid="sale-row"][data-id="` + sale.ID + `"]`)
	if got := row.Find(`[data-testid="sale-status"]`).Text(); !strings.Contains(got, "Payment failed") {
		t.Errorf("today's sales say %q of the declined sale; want it failed", got)
	}
	if n := row.Find(`[data-testid="sale-cancel"]`).Length(); n != 0 {
		t.Errorf("today's sales offer a cancel of the declined sale whose window ended")
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	list := a.ownerDoc(t, owner, "/admin/payments?lang=en", http.StatusOK)
	if got := list.Find(`[data-testid="payment-row"][data-id="`+sale.ID+`"] [data-col="status"]`).AttrOr("data-status", ""); got != "failed" {
		t.Errorf("the back office lists the declined sale as %q, want failed", got)
	}

	// The same sale takes no new code once its window ended: the cashier
	// starts a new sale.
	w = a.scan(t, dev, "declined-key-0000000001", "8.00", "134588558514585062")
	if w.Code == http.StatusOK {
		t.Errorf("a new code on the declined sale after its window = %d %s; want it refused", w.Code, w.Body)
	}
	if got := a.MustGet(t, sale.ID); got.Status != payments.StatusFailed || got.Attempts != 1 {
		t.Errorf("the declined sale after a late scan = %s with %d attempts; want failed with its one", got.Status, got.Attempts)
	}
}

// paymentEventTypes lists events' types, for messages.
func paymentEventTypes(evs []payments.Event) string {
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(e.Type + " ")
	}
	return b.String()
}
