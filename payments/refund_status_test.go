package payments_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// leavePending asks for a refund of amount whose answer is a server
// error: Latipay did nothing, but we cannot know that, so the refund
// stays pending with its amount reserved.
func leavePending(t *testing.T, env *paymentstest.Env, id, amount string) payments.Refund {
	t.Helper()
	if p := env.MustGet(t, id); p.LatipayOrderID == "" {
		t.Fatalf("payment %s has no Latipay order id: the refund would not reach Latipay", id)
	}
	env.Sim.SetFaults(latipaysim.Faults{ServerError: true})
	r, _, err := refund(env, id, amount, "")
	env.Sim.SetFaults(latipaysim.Faults{})
	if err != nil || r.Status != payments.RefundPending {
		t.Fatalf("Refund(%s) answered 500 = %+v, %v; want pending, no error", amount, r, err)
	}
	return r
}

// refuseDue makes Latipay refuse every refund (556) and lets the
// reconciler send the pending ones again.
func refuseDue(t *testing.T, env *paymentstest.Env) {
	t.Helper()
	env.Sim.SetFaults(latipaysim.Faults{RefuseRefundsEvery: 1})
	defer env.Sim.SetFaults(latipaysim.Faults{})
	env.Clock.Advance(5 * time.Minute)
	if _, err := env.Svc.ReconcileRefunds(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
}

// statusEvents lists the payment.* events after payment.paid, as
// "type from->to".
func statusEvents(evs []payments.Event) []string {
	var out []string
	for _, e := range evs {
		switch e.Type {
		case "payment.refunded", "payment.partially_refunded":
			out = append(out, fmt.Sprintf("%s %s->%s", e.Type, e.From, e.To))
		case "payment.paid":
			if e.From.Settled() {
				out = append(out, fmt.Sprintf("%s %s->%s", e.Type, e.From, e.To))
			}
		}
	}
	return out
}

// TestRefundStatusFollowsSucceededRefunds: a refund of 5.00 is pending
// (its answer never came) when the other 7.50 of a 12.50 payment is
// refunded. The status says partially refunded, not refunded: only 7.50
// has left. When Latipay then refuses the pending one, the status and
// its events still say what the succeeded refund says, and Latipay's
// ledger agrees.
func TestRefundStatusFollowsSucceededRefunds(t *testing.T) {
	env, p := newPaid(t)
	pending := leavePending(t, env, p.ID, "5.00")
	var tl *payments.RefundTooLargeError
	if _, _, err := refund(env, p.ID, "7.51", ""); !errors.Is(err, payments.ErrRefundTooLarge) ||
		!errors.As(err, &tl) || tl.Left != 750 || tl.Pending != 500 || tl.Currency != payments.NZD {
		t.Fatalf("Refund(7.51) while 5.00 is pending = %v; the pending amount must stay reserved, 7.50 left", err)
	}
	if r, _, err := refund(env, p.ID, "7.50", ""); err != nil || r.Status != payments.RefundSucceeded {
		t.Fatalf("Refund(7.50) = %+v, %v; want succeeded", r, err)
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusPartiallyRefunded || got.Refunded != 1250 {
		t.Errorf("with 7.50 made and 5.00 pending: %s, refunded %d; want partially_refunded (1250 reserved)", got.Status, got.Refunded)
	}

	refuseDue(t, env)
	if ours := ledgerRefunds(t, env.MustEvents(t, p.ID)); ours[pending.ID] != payments.RefundFailed {
		t.Fatalf("pending refund %s is %s after Latipay refused it", pending.ID, ours[pending.ID])
	}
	got := env.MustGet(t, p.ID)
	if got.Status != payments.StatusPartiallyRefunded || got.Refunded != 750 {
		t.Errorf("after the refusal: %s, refunded %d; want partially_refunded 750", got.Status, got.Refunded)
	}
	if evs := statusEvents(env.MustEvents(t, p.ID)); fmt.Sprint(evs) != "[payment.partially_refunded paid->partially_refunded]" {
		t.Errorf("status events %q; want one partially_refunded", evs)
	}
	if sim, _ := env.Sim.Transaction(got.LatipayReference); sim.Refunded != "7.50" {
		t.Errorf("Latipay refunded %s, want 7.50", sim.Refunded)
	}

	// The rest is refundable again, and then the payment is refunded.
	if r, _, err := refundAll(env, p.ID, ""); err != nil || r.Amount != 500 {
		t.Fatalf("Refund(rest) = %+v, %v; want 5.00", r, err)
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusRefunded || got.Refunded != 1250 {
		t.Errorf("after the rest: %s, refunded %d; want refunded 1250", got.Status, got.Refunded)
	}
}

// TestRefundStatusCorrected: a payment whose status counted a refund
// still pending (refunded, while only 7.50 of 12.50 had left) is put
// back to partially refunded when that refund fails, with an event a
// webhook carries.
func TestRefundStatusCorrected(t *testing.T) {
	// The store records the status as a release that counted pending
	// refunds did, while old is set.
	var old atomic.Bool
	env := paymentstest.NewEnv(t, paymentstest.Options{WrapStore: func(st payments.Store) payments.Store {
		return countPending{st, &old}
	}})
	p, st := env.MustStartQR(t, "ORDER-CORRECT")
	if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	env.WaitStatus(t, p.ID, payments.StatusPaid)
	leavePending(t, env, p.ID, "5.00")
	old.Store(true)
	if _, _, err := refund(env, p.ID, "7.50", ""); err != nil {
		t.Fatal(err)
	}
	old.Store(false)
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusRefunded {
		t.Fatalf("set up: status %s, want refunded as the old rule recorded it", got.Status)
	}

	refuseDue(t, env)
	got := env.MustGet(t, p.ID)
	if got.Status != payments.StatusPartiallyRefunded || got.Refunded != 750 {
		t.Errorf("after the refusal: %s, refunded %d; want partially_refunded 750", got.Status, got.Refunded)
	}
	evs := statusEvents(env.MustEvents(t, p.ID))
	if n := len(evs); n == 0 || evs[n-1] != "payment.partially_refunded refunded->partially_refunded" {
		t.Errorf("status events %q; want the last to correct refunded->partially_refunded", evs)
	}
}

// countPending is a store whose Update, while on is set, moves a status
// to refunded whenever the reserved amount (succeeded and pending
// refunds) covers the payment: the rule before statuses followed the
// succeeded refunds only.
type countPending struct {
	payments.Store
	on *atomic.Bool
}

func (s countPending) Update(ctx context.Context, id string, fn func(tx *payments.Tx) error) (payments.Payment, error) {
	return s.Store.Update(ctx, id, func(tx *payments.Tx) error {
		err := fn(tx)
		if s.on.Load() && err == nil && tx.Changed() && tx.Payment.Status == payments.StatusPartiallyRefunded &&
			tx.Payment.Refunded >= tx.Payment.Amount {
			tx.Payment.Status = payments.StatusRefunded
		}
		return err
	})
}

// TestOverlappingRefundsOneRefused: two refunds of half a payment at
// once, while Latipay is slow and refuses every second refund: one is
// made, one refused. Whatever order their answers are recorded in, the
// payment ends partially refunded with the half that left, and no event
// ever said refunded. Three payments, so both orders are likely seen.
func TestOverlappingRefundsOneRefused(t *testing.T) {
	env, _ := newPaid(t)
	for i := range 3 {
		p, st := env.MustStartQR(t, fmt.Sprint("ORDER-OVERLAP-", i))
		if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
			t.Fatal(err)
		}
		env.WaitStatus(t, p.ID, payments.StatusPaid)
		env.Sim.SetFaults(latipaysim.Faults{RefuseRefundsEvery: 2, Delay: 500 * time.Millisecond})
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for j := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[j] = refund(env, p.ID, "6.25", "")
			}()
		}
		wg.Wait()
		env.Sim.SetFaults(latipaysim.Faults{})
		var re *payments.RefundError
		if (errs[0] == nil) == (errs[1] == nil) || !errors.As(errors.Join(errs...), &re) || re.Code != 556 {
			t.Fatalf("round %d: answers %v; want one made, one refused 556", i, errs)
		}
		got := env.MustGet(t, p.ID)
		if got.Status != payments.StatusPartiallyRefunded || got.Refunded != 625 {
			t.Errorf("round %d: %s, refunded %d; want partially_refunded 625", i, got.Status, got.Refunded)
		}
		if evs := statusEvents(env.MustEvents(t, p.ID)); fmt.Sprint(evs) != "[payment.partially_refunded paid->partially_refunded]" {
			t.Errorf("round %d: status events %q; want one partially_refunded", i, evs)
		}
	}
}

// TestRefundStatusCorrectedAtStart: a payment left refunded by an earlier
// version while only 5.00 of 12.50 succeeded, with no refund pending to
// correct it, is put back to partially refunded when the reconciler
// starts, with the correction event a webhook carries.
func TestRefundStatusCorrectedAtStart(t *testing.T) {
	env, p := newPaid(t)
	if r, _, err := refund(env, p.ID, "5.00", ""); err != nil || r.Status != payments.RefundSucceeded {
		t.Fatalf("Refund(5.00) = %+v, %v", r, err)
	}
	if _, err := env.Store.Update(context.Background(), p.ID, func(tx *payments.Tx) error {
		tx.Payment.Status = payments.StatusRefunded // as the earlier rule left it
		tx.Touch()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { env.Svc.Run(ctx, time.Hour); close(done) }()
	got := env.WaitStatus(t, p.ID, payments.StatusPartiallyRefunded)
	stop()
	<-done
	if got.Refunded != 500 {
		t.Errorf("refunded %d after the correction, want 500", got.Refunded)
	}
	evs := env.MustEvents(t, p.ID)
	if last := evs[len(evs)-1]; last.Type != "payment.partially_refunded" || last.From != payments.StatusRefunded ||
		last.Detail != "corrected to the succeeded refunds: recorded by an earlier version" {
		t.Errorf("last event %s %s->%s %q; want the correction to partially_refunded", last.Type, last.From, last.To, last.Detail)
	}
}
