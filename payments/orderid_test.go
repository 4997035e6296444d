package payments_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// countQueries counts the gateway's queries.
type countQueries struct {
	payments.Gateway
	n *atomic.Int64
}

func (g countQueries) Query(ctx context.Context, ref string) (payments.GatewayResult, error) {
	g.n.Add(1)
	return g.Gateway.Query(ctx, ref)
}

// TestHostedPaidByCallbackGetsOrderID: a wallet paid on Latipay's hosted
// page (Alipay on a phone) is paid by the signed callback, which does not
// vouch for Latipay's order id, so the payment has none and no yuan
// figure. The reconciler's next pass asks Latipay once; its signed answer
// gives both, recorded on the payment and its attempt. No further query
// follows.
func TestHostedPaidByCallbackGetsOrderID(t *testing.T) {
	var queries atomic.Int64
	e := paymentstest.NewEnv(t, paymentstest.Options{WrapGateway: func(g payments.Gateway) payments.Gateway {
		return countQueries{Gateway: g, n: &queries}
	}})
	p := e.MustCreate(t, paymentstest.Input("ORDER-HOSTED"))
	st := e.MustStart(t, p.ID, payments.MethodAlipay, payments.DevicePhone)
	if !st.Attempt.Hosted || st.RedirectURL == "" {
		t.Fatalf("started %+v, want the hosted flow", st.Attempt)
	}
	ref := st.Attempt.Reference
	if err := e.Sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	paid := e.WaitStatus(t, p.ID, payments.StatusPaid)
	if paid.LatipayOrderID != "" {
		t.Fatalf("paid by callback with order id %q: the callback's order id was trusted", paid.LatipayOrderID)
	}
	tx, ok := e.Sim.Transaction(ref)
	if !ok || tx.OrderID == "" {
		t.Fatalf("the simulator has no order id for %s", ref)
	}
	before := queries.Load()
	n, err := e.Svc.ReconcileDue(context.Background(), 10)
	if err != nil || n != 1 {
		t.Fatalf("the reconciler's pass looked at %d attempts (%v), want the paid one", n, err)
	}
	got := e.MustGet(t, p.ID)
	if got.Status != payments.StatusPaid || got.LatipayOrderID != tx.OrderID || got.AmountCNY == "" || got.CurrencyRate == "" {
		t.Errorf("after the pass: %s, order id %q (want %q), amount_cny %q, rate %q", got.Status, got.LatipayOrderID, tx.OrderID, got.AmountCNY, got.CurrencyRate)
	}
	as, err := e.Store.Attempts(context.Background(), p.ID)
	if err != nil || len(as) != 1 || as[0].OrderID != tx.OrderID || !as[0].NextCheckAt.IsZero() {
		t.Fatalf("attempts %+v, %v: want the paid one with the order id, no check scheduled", as, err)
	}
	for _, d := range []time.Duration{time.Minute, time.Hour, 48 * time.Hour} {
		e.Clock.Advance(d)
		if n, err := e.Svc.ReconcileDue(context.Background(), 10); err != nil || n != 0 {
			t.Errorf("a later pass looked at %d attempts (%v), want none", n, err)
		}
	}
	if q := queries.Load() - before; q != 1 {
		t.Errorf("Latipay was asked %d times after the paid callback, want once", q)
	}
	if evs := e.MustEvents(t, p.ID); paymentstest.CountEvents(evs, "payment.paid") != 1 || paymentstest.CountEvents(evs, "anomaly") != 0 {
		t.Errorf("events after the order id query: %+v", evs)
	}
}

// failingQueries fails the gateway's first queries as Latipay out of
// reach, then asks the simulator.
type failingQueries struct {
	payments.Gateway
	fail, n *atomic.Int64
}

func (g failingQueries) Query(ctx context.Context, ref string) (payments.GatewayResult, error) {
	g.n.Add(1)
	if g.fail.Add(-1) >= 0 {
		return payments.GatewayResult{}, payments.ErrGatewayNotReached
	}
	return g.Gateway.Query(ctx, ref)
}

// TestHostedOrderIDQueryRetried: the query for the order id of a payment
// paid by callback fails (Latipay out of reach) twice. The attempt stays
// due on the reconciliation's schedule, kept in the store, and the third
// query, a schedule step later, records the order id and the yuan figure;
// then nothing more is asked.
func TestHostedOrderIDQueryRetried(t *testing.T) {
	var fail, queries atomic.Int64
	e := paymentstest.NewEnv(t, paymentstest.Options{WrapGateway: func(g payments.Gateway) payments.Gateway {
		return failingQueries{Gateway: g, fail: &fail, n: &queries}
	}})
	p := e.MustCreate(t, paymentstest.Input("ORDER-HOSTED-RETRY"))
	st := e.MustStart(t, p.ID, payments.MethodAlipay, payments.DevicePhone)
	ref := st.Attempt.Reference
	if err := e.Sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	e.WaitStatus(t, p.ID, payments.StatusPaid)
	tx, ok := e.Sim.Transaction(ref)
	if !ok || tx.OrderID == "" {
		t.Fatalf("the simulator has no order id for %s", ref)
	}
	fail.Store(2)
	before := queries.Load()
	ctx := context.Background()
	for i := range 2 {
		if n, err := e.Svc.ReconcileDue(ctx, 10); err != nil || n != 1 {
			t.Fatalf("pass %d looked at %d attempts (%v), want the paid one", i+1, n, err)
		}
		as, err := e.Store.Attempts(ctx, p.ID)
		if err != nil || len(as) != 1 || as[0].OrderID != "" || !as[0].NextCheckAt.After(e.Clock.Now()) {
			t.Fatalf("after failed query %d: attempts %+v, %v; want no order id and a later check kept", i+1, as, err)
		}
		if got := e.MustGet(t, p.ID); got.Status != payments.StatusPaid || got.LatipayOrderID != "" {
			t.Fatalf("after failed query %d: %s, order id %q", i+1, got.Status, got.LatipayOrderID)
		}
		// Not due again before its step.
		if n, err := e.Svc.ReconcileDue(ctx, 10); err != nil || n != 0 {
			t.Fatalf("a pass right after failed query %d looked at %d attempts (%v), want none", i+1, n, err)
		}
		e.Clock.Advance(as[0].NextCheckAt.Sub(e.Clock.Now()))
	}
	if n, err := e.Svc.ReconcileDue(ctx, 10); err != nil || n != 1 {
		t.Fatalf("the third pass looked at %d attempts (%v), want the paid one", n, err)
	}
	got := e.MustGet(t, p.ID)
	if got.Status != payments.StatusPaid || got.LatipayOrderID != tx.OrderID || got.AmountCNY == "" {
		t.Errorf("after Latipay answered: %s, order id %q (want %q), amount_cny %q", got.Status, got.LatipayOrderID, tx.OrderID, got.AmountCNY)
	}
	as, err := e.Store.Attempts(ctx, p.ID)
	if err != nil || len(as) != 1 || as[0].OrderID != tx.OrderID || !as[0].NextCheckAt.IsZero() {
		t.Fatalf("attempts %+v, %v: want the order id, no check scheduled", as, err)
	}
	for _, d := range []time.Duration{time.Minute, time.Hour, 48 * time.Hour} {
		e.Clock.Advance(d)
		if n, err := e.Svc.ReconcileDue(ctx, 10); err != nil || n != 0 {
			t.Errorf("a pass after the order id looked at %d attempts (%v), want none", n, err)
		}
	}
	if q := queries.Load() - before; q != 3 {
		t.Errorf("Latipay was asked %d times, want 3 (two failed, one answered)", q)
	}
	if evs := e.MustEvents(t, p.ID); paymentstest.CountEvents(evs, "payment.paid") != 1 || paymentstest.CountEvents(evs, "anomaly") != 0 {
		t.Errorf("events: %+v", evs)
	}
}
