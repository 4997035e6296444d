package payments_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// cancelGateway is the real Latipay client over HTTP to the simulator,
// with the cancel and the query replaced when a test sets them.
type cancelGateway struct {
	payments.Gateway
	cancel func(ctx context.Context, ref string) error
	query  func(ctx context.Context, ref string) (payments.GatewayResult, error)
}

func (g *cancelGateway) Cancel(ctx context.Context, ref string) error {
	if g.cancel != nil {
		return g.cancel(ctx, ref)
	}
	return g.Gateway.Cancel(ctx, ref)
}

func (g *cancelGateway) Query(ctx context.Context, ref string) (payments.GatewayResult, error) {
	if g.query != nil {
		return g.query(ctx, ref)
	}
	return g.Gateway.Query(ctx, ref)
}

func newCancelEnv(t *testing.T) (*paymentstest.Env, *cancelGateway) {
	t.Helper()
	gw := &cancelGateway{}
	env := paymentstest.NewEnv(t, paymentstest.Options{WrapGateway: func(g payments.Gateway) payments.Gateway {
		gw.Gateway = g
		return gw
	}})
	return env, gw
}

var errLatipayDown = errors.New("cancel test: Latipay down")

func unreachable(context.Context, string) error { return errLatipayDown }

func noAnswer(context.Context, string) (payments.GatewayResult, error) {
	return payments.GatewayResult{}, errLatipayDown
}

// paidAt is what Latipay's query says of an attempt the shopper paid.
func paidAt(ref string) payments.GatewayResult {
	return payments.GatewayResult{Reference: ref, Method: "wechat", Status: "paid", Currency: "NZD",
		Amount: "12.50", OrderID: "2026030100000042"}
}

// checkPaidNotCanceled checks that a refused cancel left the payment paid
// on time, with one paid event, no canceled one and nothing to review.
func checkPaidNotCanceled(t *testing.T, env *paymentstest.Env, id string, got payments.Payment, err error) {
	t.Helper()
	if !errors.Is(err, payments.ErrAlreadyPaid) || !errors.Is(err, payments.ErrNotCancelable) {
		t.Errorf("Cancel = %v, want ErrAlreadyPaid (an ErrNotCancelable)", err)
	}
	if got.Status != payments.StatusPaid {
		t.Errorf("Cancel returned the payment %s, want it as it now is: paid", got.Status)
	}
	p := env.MustGet(t, id)
	if p.Status != payments.StatusPaid || p.PaidLate || p.NeedsReview {
		t.Errorf("payment = %s paid_late %v needs_review %v, want paid on time, nothing to review", p.Status, p.PaidLate, p.NeedsReview)
	}
	evs := env.MustEvents(t, id)
	if n, c := paymentstest.CountEvents(evs, "payment.paid"), paymentstest.CountEvents(evs, "payment.canceled"); n != 1 || c != 0 {
		t.Errorf("events: %d payment.paid, %d payment.canceled; want 1 and 0", n, c)
	}
}

// A shopper paid at Latipay but its callbacks were lost: the cancel
// learns it from Latipay (cancel answers 900, the query paid), records
// the payment paid as a callback would, and is refused.
func TestCancelRefusedWhenLatipayHasItPaid(t *testing.T) {
	for _, by := range []string{"merchant", "shopper"} {
		t.Run(by, func(t *testing.T) {
			env, _ := newCancelEnv(t)
			p, st := startCancelable(t, env, "ORDER-CANCEL-PAID-"+by)
			env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
			if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
				t.Fatal(err)
			}
			cancel := env.Svc.Cancel
			if by == "shopper" {
				cancel = env.Svc.CancelByShopper
			}
			got, err := cancel(context.Background(), p.ID)
			checkPaidNotCanceled(t, env, p.ID, got, err)
			if got.LatipayReference != st.Attempt.Reference || got.LatipayOrderID == "" {
				t.Errorf("paid payment reference %q order %q, want the attempt's, with Latipay's order id", got.LatipayReference, got.LatipayOrderID)
			}
		})
	}
}

// Latipay refuses the cancel for now (code 1) but its query says paid:
// paid too, refused.
func TestCancelRefusedWhenQuerySaysPaid(t *testing.T) {
	env, gw := newCancelEnv(t)
	p, st := env.MustStartQR(t, "ORDER-CANCEL-FAIL1")
	gw.cancel = func(context.Context, string) error {
		return &payments.GatewayError{Code: 1, Message: "FAIL"}
	}
	gw.query = func(_ context.Context, ref string) (payments.GatewayResult, error) { return paidAt(ref), nil }
	got, err := env.Svc.Cancel(context.Background(), p.ID)
	checkPaidNotCanceled(t, env, p.ID, got, err)
	if got.LatipayReference != st.Attempt.Reference {
		t.Errorf("reference %q, want %q", got.LatipayReference, st.Attempt.Reference)
	}
}

// Latipay cannot be reached: the payment is canceled here (the
// reconciler keeps asking), and a payment Latipay confirms afterwards is
// paid late and needs review, whoever canceled.
func TestCancelUnreachableThenPaidNeedsReview(t *testing.T) {
	for _, by := range []string{"merchant", "shopper"} {
		t.Run(by, func(t *testing.T) {
			env, gw := newCancelEnv(t)
			ctx := context.Background()
			p, st := startCancelable(t, env, "ORDER-CANCEL-DOWN-"+by)
			gw.cancel, gw.query = unreachable, noAnswer
			cancel := env.Svc.Cancel
			if by == "shopper" {
				cancel = env.Svc.CancelByShopper
			}
			got, err := cancel(ctx, p.ID)
			if err != nil || got.Status != payments.StatusCanceled || got.NeedsReview {
				t.Fatalf("Cancel = %s needs_review %v, %v; want canceled, nil", got.Status, got.NeedsReview, err)
			}
			a, err := env.Store.Attempt(ctx, st.Attempt.Reference)
			if err != nil || !a.Status.Live() || a.NextCheckAt.After(env.Clock.Now()) {
				t.Errorf("attempt = %+v, %v; want live and due now for the reconciler", a, err)
			}
			ref := st.Attempt.Reference
			if err := env.Svc.HandleNotification(ctx, paymentstest.Notification(ref, "wechat", "paid", "NZD", "12.50")); err != nil {
				t.Fatal(err)
			}
			p = env.MustGet(t, p.ID)
			if p.Status != payments.StatusPaid || !p.PaidLate || !p.NeedsReview {
				t.Errorf("payment = %s paid_late %v needs_review %v, want paid late and needing review", p.Status, p.PaidLate, p.NeedsReview)
			}
			evs := env.MustEvents(t, p.ID)
			found := false
			for _, e := range evs {
				if m, ok := payments.EventMessage(e); ok && e.Type == "anomaly" && m.Code == payments.MsgPaidAfterCancel && m.Reference == ref {
					found = true
				}
			}
			if !found || paymentstest.CountEvents(evs, "payment.canceled") != 1 || paymentstest.CountEvents(evs, "payment.paid") != 1 {
				t.Errorf("events %+v; want one canceled, one paid and the paid-after-cancel anomaly", evs)
			}
		})
	}
}

// A paid callback committed while the cancel was asking Latipay (which
// did not answer): the cancel finds the payment paid and is refused; it
// is never both canceled and paid.
func TestCancelRacingPaidCallback(t *testing.T) {
	env, gw := newCancelEnv(t)
	ctx := context.Background()
	p, st := env.MustStartQR(t, "ORDER-CANCEL-RACE")
	ref := st.Attempt.Reference
	gw.cancel = func(context.Context, string) error {
		if err := env.Svc.HandleNotification(ctx, paymentstest.Notification(ref, "wechat", "paid", "NZD", "12.50")); err != nil {
			t.Errorf("callback: %v", err)
		}
		return errLatipayDown
	}
	gw.query = noAnswer
	got, err := env.Svc.Cancel(ctx, p.ID)
	checkPaidNotCanceled(t, env, p.ID, got, err)
}

// Latipay cancels the attempt (code 0): the payment is canceled, and the
// transaction at Latipay is canceled by the cancel itself, before any
// reconciler runs, so the shopper can no longer pay it.
func TestCancelConfirmedAtLatipay(t *testing.T) {
	env, _ := newCancelEnv(t)
	p, st := env.MustStartQR(t, "ORDER-CANCEL-OK")
	got, err := env.Svc.Cancel(context.Background(), p.ID)
	if err != nil || got.Status != payments.StatusCanceled || got.NeedsReview {
		t.Fatalf("Cancel = %s needs_review %v, %v; want canceled, nil", got.Status, got.NeedsReview, err)
	}
	if tx, ok := env.Sim.Transaction(st.Attempt.Reference); !ok || tx.Status != "canceled" {
		t.Errorf("Latipay's transaction = %q (%v), want canceled by the cancel", tx.Status, ok)
	}
	if err := env.Sim.Pay(st.Attempt.Reference); err == nil {
		t.Error("the shopper could still pay the canceled transaction at Latipay")
	}
	// Latipay's signed query confirmed it: the attempt is closed by the
	// cancel itself, so a till need not wait for the reconciler's pass.
	if a := attemptOf(t, env, p.ID, st.Attempt.Reference); a.Status.Live() || a.Status != payments.AttemptCanceled {
		t.Errorf("attempt after a confirmed cancel = %s, want canceled (not live)", a.Status)
	}
}

// A cancel waits for Latipay no longer than its bound: Latipay hanging
// does not hold the merchant's request.
func TestCancelAskIsBounded(t *testing.T) {
	env, gw := newCancelEnv(t)
	p, _ := env.MustStartQR(t, "ORDER-CANCEL-SLOW")
	asked := 0
	gw.cancel = func(ctx context.Context, _ string) error {
		asked++
		if _, ok := ctx.Deadline(); !ok {
			t.Error("Latipay is asked without a deadline")
		}
		return errLatipayDown
	}
	gw.query = noAnswer
	if got, err := env.Svc.Cancel(context.Background(), p.ID); err != nil || got.Status != payments.StatusCanceled {
		t.Errorf("Cancel = %s, %v; want canceled", got.Status, err)
	}
	if asked != 1 {
		t.Errorf("Latipay asked %d times, want once", asked)
	}
}

// The attempt had failed at Latipay (its callback lost): the cancel is
// answered 901, which says nothing was paid, and the payment is canceled
// without a query.
func TestCancelOfFailedAtLatipay(t *testing.T) {
	env, gw := newCancelEnv(t)
	p, st := env.MustStartQR(t, "ORDER-CANCEL-FAILED")
	env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	if err := env.Sim.Fail(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	var answered []error
	gw.cancel = func(ctx context.Context, ref string) error {
		err := gw.Gateway.Cancel(ctx, ref)
		answered = append(answered, err)
		return err
	}
	gw.query = func(context.Context, string) (payments.GatewayResult, error) {
		t.Error("Latipay queried after it said the attempt failed")
		return payments.GatewayResult{}, errLatipayDown
	}
	got, err := env.Svc.Cancel(context.Background(), p.ID)
	if err != nil || got.Status != payments.StatusCanceled || got.NeedsReview {
		t.Errorf("Cancel = %s needs_review %v, %v; want canceled", got.Status, got.NeedsReview, err)
	}
	if len(answered) != 1 || !errors.Is(answered[0], payments.ErrFailedAtGateway) {
		t.Errorf("Latipay's answers to the cancel: %v, want one, already failed (901)", answered)
	}
}

// startCancelable starts a WeChat QR for a new payment whose merchant gave
// a cancel_url, so that the shopper may cancel it too.
func startCancelable(t *testing.T, env *paymentstest.Env, reference string) (payments.Payment, payments.Started) {
	t.Helper()
	in := paymentstest.Input(reference)
	in.CancelURL = "https://shop.example.com/cart"
	p := env.MustCreate(t, in)
	return p, env.MustStart(t, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
}

// A cancel of a payment paid here before it (its callback came first) is
// refused as one that finds the payment paid at Latipay: ErrAlreadyPaid
// with the payment, paid, by every canceler, refunded since or not; one
// that ended unpaid is ErrNotCancelable alone.
func TestCancelOfPaidPaymentIsAlreadyPaid(t *testing.T) {
	env, _ := newCancelEnv(t)
	p, st := startCancelable(t, env, "ORDER-CANCEL-PAID-HERE")
	if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	env.WaitStatus(t, p.ID, payments.StatusPaid)
	for name, cancel := range map[string]func(context.Context, string) (payments.Payment, error){
		"merchant": env.Svc.Cancel, "shopper": env.Svc.CancelByShopper, "counter": env.Svc.CancelAtCounter,
	} {
		got, err := cancel(context.Background(), p.ID)
		if !errors.Is(err, payments.ErrAlreadyPaid) || got.ID != p.ID || got.Status != payments.StatusPaid {
			t.Errorf("%s's cancel of a paid payment = %s %s, %v; want it paid, ErrAlreadyPaid", name, got.ID, got.Status, err)
		}
	}
	checkPaidNotCanceled(t, env, p.ID, env.MustGet(t, p.ID), payments.ErrAlreadyPaid)

	if _, _, err := refund(env, p.ID, "5.00", "cancel-after-refund"); err != nil {
		t.Fatal(err)
	}
	if got, err := env.Svc.Cancel(context.Background(), p.ID); !errors.Is(err, payments.ErrAlreadyPaid) || !got.Status.Settled() {
		t.Errorf("cancel of a refunded payment = %s, %v; want ErrAlreadyPaid with it", got.Status, err)
	}

	expired := env.MustCreate(t, paymentstest.Input("ORDER-CANCEL-EXPIRED"))
	env.Clock.Advance(expired.ExpiresAt.Sub(env.Clock.Now()) + time.Minute)
	if _, err := env.Svc.ExpireDue(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.Cancel(context.Background(), expired.ID); !errors.Is(err, payments.ErrNotCancelable) || errors.Is(err, payments.ErrAlreadyPaid) {
		t.Errorf("cancel of an expired payment = %v, want ErrNotCancelable, not ErrAlreadyPaid", err)
	}
}
