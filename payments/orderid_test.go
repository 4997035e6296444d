package payments_test

import (
	"context"
	"errors"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestForgedOrderIDNeverRefunded: in the Latipay-hosted flow the shopper's
// browser receives, in the return redirect, a signature over the same five
// fields as the callback. A shopper who posts those fields to the callback
// before Latipay does, with the order id of someone else's payment, must
// not choose the order a later refund is sent for: the order id comes from
// Latipay itself, and the refund leaves for the shopper's own order.
func TestForgedOrderIDNeverRefunded(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := context.Background()

	// Someone else's payment, paid through our own QR: its order id is in
	// Latipay's signed QR data.
	other := env.MustCreate(t, paymentstest.Input("ORDER-OTHER"))
	ost := env.MustStart(t, other.ID, payments.MethodWeChat, payments.DeviceDesktop)
	if err := env.Sim.Pay(ost.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	other = env.WaitStatus(t, other.ID, payments.StatusPaid)
	otherTx, _ := env.Sim.Transaction(ost.Attempt.Reference)

	// The shopper's own payment, Alipay on a phone: Latipay's page.
	mine := env.MustCreate(t, paymentstest.Input("ORDER-MINE"))
	st := env.MustStart(t, mine.ID, payments.MethodAlipay, payments.DevicePhone)
	if !st.Attempt.Hosted {
		t.Fatalf("attempt %+v is not hosted", st.Attempt)
	}
	env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true}) // the shopper is faster than Latipay
	if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	forged := paymentstest.Notification(st.Attempt.Reference, "alipay", "paid", "NZD", "12.50")
	forged.Set("order_id", otherTx.OrderID)
	if err := env.Svc.HandleNotification(ctx, forged); err != nil {
		t.Fatalf("HandleNotification(signed fields, forged order_id) = %v", err)
	}
	got := env.WaitStatus(t, mine.ID, payments.StatusPaid)
	if got.LatipayOrderID == otherTx.OrderID {
		t.Fatalf("stored the order id %s the shopper chose", got.LatipayOrderID)
	}
	for _, a := range mustAttempts(t, env, mine.ID) {
		if a.OrderID == otherTx.OrderID {
			t.Fatalf("attempt %s stored the order id the shopper chose", a.Reference)
		}
	}

	if _, _, err := refund(env, mine.ID, "1.00", ""); err != nil {
		t.Fatalf("Refund: %v", err)
	}
	mineTx, _ := env.Sim.Transaction(st.Attempt.Reference)
	if otherTx, _ = env.Sim.Transaction(ost.Attempt.Reference); otherTx.Refunded != "0.00" {
		t.Errorf("Latipay refunded %s of the other payment's order", otherTx.Refunded)
	}
	if mineTx.Refunded != "1.00" {
		t.Errorf("Latipay refunded %s of the shopper's own order, want 1.00", mineTx.Refunded)
	}
	if got = env.MustGet(t, mine.ID); got.LatipayOrderID != mineTx.OrderID {
		t.Errorf("stored order id %q, want Latipay's %q (from its query answer)", got.LatipayOrderID, mineTx.OrderID)
	}
}

func mustAttempts(t *testing.T, env *paymentstest.Env, id string) []payments.Attempt {
	t.Helper()
	as, err := env.Svc.Attempts(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// TestRefundNeedsLatipaysOrderID: a payment marked paid here whose order
// Latipay does not report as paid (its query says pending) gets no order
// id, so its refund is never sent: it fails at once, nothing is held, and
// Latipay's ledger shows no refund.
func TestRefundNeedsLatipaysOrderID(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p := env.MustCreate(t, paymentstest.Input("ORDER-HOSTED"))
	st := env.MustStart(t, p.ID, payments.MethodAlipay, payments.DevicePhone)
	form := paymentstest.Notification(st.Attempt.Reference, "alipay", "paid", "NZD", "12.50")
	if err := env.Svc.HandleNotification(context.Background(), form); err != nil {
		t.Fatal(err)
	}
	env.WaitStatus(t, p.ID, payments.StatusPaid)
	r, _, err := refund(env, p.ID, "1.00", "")
	if !errors.Is(err, payments.ErrNotRefundable) || r.Status != payments.RefundFailed {
		t.Fatalf("Refund = %+v, %v; want failed, ErrNotRefundable", r, err)
	}
	if got := env.MustGet(t, p.ID); got.Refunded != 0 || got.LatipayOrderID != "" {
		t.Errorf("payment refunded %d, order id %q; want 0, none", got.Refunded, got.LatipayOrderID)
	}
	if tx, _ := env.Sim.Transaction(st.Attempt.Reference); tx.Refunded != "0.00" {
		t.Errorf("Latipay refunded %s", tx.Refunded)
	}
}
