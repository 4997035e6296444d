package payments_test

import (
	"context"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestPaidLearnedLateKeepsLatipaysTime: the shopper pays at 23:59 in
// Auckland, the callback is lost, and the reconciler learns it after
// midnight. The payment is dated by the pay_time of our own query's
// answer, so it counts on the day it was made (as Latipay's settlement
// does), not when the app learned of it.
func TestPaidLearnedLateKeepsLatipaysTime(t *testing.T) {
	nz, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	start := time.Date(2026, 3, 1, 23, 58, 20, 250_000_000, nz) // NZDT
	env := paymentstest.NewEnv(t, paymentstest.Options{Start: start, SimOnClock: true})
	env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	p, st := env.MustStartQR(t, "ORDER-PAYTIME")
	env.Clock.Advance(time.Minute) // 23:59:20.25
	paidAt := env.Clock.Now()
	if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(11 * time.Minute) // 00:10 on 2 March: learned after midnight
	if _, err := env.Svc.ReconcileDue(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	got := env.MustGet(t, p.ID)
	want := paidAt.Truncate(time.Second).UTC() // pay_time has whole seconds
	if got.Status != payments.StatusPaid || !got.PaidAt.Equal(want) {
		t.Fatalf("payment %s paid at %s (%s in Auckland); want paid at Latipay's %s, on 1 March",
			got.Status, got.PaidAt, got.PaidAt.In(nz), want)
	}
	if d := got.PaidAt.In(nz).Day(); d != 1 {
		t.Errorf("paid on day %d in Auckland, want 1", d)
	}
}

// TestPaidAtIgnoresAnImpossiblePayTime: a pay_time after the moment the
// app learned the payment (another clock, or nonsense) is not taken: the
// payment is dated when it was learned. Here the simulator reads the real
// clock, months after the test's.
func TestPaidAtIgnoresAnImpossiblePayTime(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{Start: time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)})
	env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	p, st := env.MustStartQR(t, "ORDER-PAYTIME-FUTURE")
	if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(time.Minute)
	learned := env.Clock.Now()
	if _, err := env.Svc.ReconcileDue(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusPaid || !got.PaidAt.Equal(learned) {
		t.Fatalf("payment %s paid at %s, want %s (when learned)", got.Status, got.PaidAt, learned)
	}
}

// TestCallbackPayTimeNotTaken: pay_time is not signed, so a callback's
// (whoever sent it chose it) never dates the payment.
func TestCallbackPayTimeNotTaken(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	id, paid := env.MustPending(t, "ORDER-PAYTIME-CB", "REFPAYTIMECB")
	env.Clock.Advance(time.Minute)
	now := env.Clock.Now()
	forged := paymentstest.WithField(paid, "pay_time", now.Add(-time.Hour).In(time.FixedZone("", 8*3600)).Format(time.DateTime))
	if got := env.PostCallback(t, forged); got != "200 sent" {
		t.Fatalf("callback answered %q", got)
	}
	if got := env.MustGet(t, id); got.Status != payments.StatusPaid || !got.PaidAt.Equal(now) {
		t.Fatalf("payment %s paid at %s, want %s (when the callback came)", got.Status, got.PaidAt, now)
	}
}

func TestPayTimeAt(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2026-03-01 18:59:20": time.Date(2026, 3, 1, 10, 59, 20, 0, time.UTC), // UTC+8
		"":                    {},
		"2026-03-01T18:59:20": {},
		"not a time":          {},
	} {
		if got := latipay.PayTimeAt(in); !got.Equal(want) {
			t.Errorf("PayTimeAt(%q) = %s, want %s", in, got, want)
		}
	}
}
