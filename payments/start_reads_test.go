package payments_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// readCounter counts the store's reads of a payment and of its attempts.
type readCounter struct {
	payments.Store
	payment, attempts atomic.Int32
}

func (s *readCounter) Payment(ctx context.Context, id string) (payments.Payment, error) {
	s.payment.Add(1)
	return s.Store.Payment(ctx, id)
}

func (s *readCounter) Attempts(ctx context.Context, id string) ([]payments.Attempt, error) {
	s.attempts.Add(1)
	return s.Store.Attempts(ctx, id)
}

func newReadCounter(t *testing.T) (*paymentstest.Env, *readCounter) {
	var st *readCounter
	env := paymentstest.NewEnv(t, paymentstest.Options{WrapStore: func(s payments.Store) payments.Store {
		st = &readCounter{Store: s}
		return st
	}})
	return env, st
}

// TestStartReadsOnlyInItsWrites: a start checks the payment in the write
// that stores its attempt, from what that write read, and finds the
// attempts it replaces in what its second write read, rather than
// reading the payment before and its attempts after (two queries per
// start besides the writes'), and still cancels the QR of the wallet it
// replaces.
func TestStartReadsOnlyInItsWrites(t *testing.T) {
	env, st := newReadCounter(t)
	p := env.MustCreate(t, paymentstest.Input("ORDER-START-READS"))
	st.payment.Store(0)
	wechat := env.MustStart(t, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
	if n, m := st.payment.Load(), st.attempts.Load(); n != 0 || m != 0 {
		t.Errorf("a first start read the payment %d times and its attempts %d times, want 0 and 0", n, m)
	}
	env.MustStart(t, p.ID, payments.MethodAlipay, payments.DeviceDesktop)
	if n, m := st.payment.Load(), st.attempts.Load(); n != 0 || m != 0 {
		t.Errorf("a start replacing another read the payment %d times and its attempts %d times, want 0 and 0", n, m)
	}
	if got := simStatus(t, env, wechat.Attempt.Reference); got != "canceled" {
		t.Errorf("the WeChat QR at Latipay is %q after switching to Alipay, want canceled", got)
	}
	if n := paymentstest.CountEvents(env.MustEvents(t, p.ID), "attempt.replaced"); n != 1 {
		t.Errorf("%d attempt.replaced events, want 1", n)
	}
}

// TestStartReusesTheQRWithoutWriting: choosing the wallet whose QR is
// shown again shows the same QR, writes nothing, and reads nothing
// outside the write it gave up.
func TestStartReusesTheQRWithoutWriting(t *testing.T) {
	env, st := newReadCounter(t)
	p, first := env.MustStartQR(t, "ORDER-START-REUSE")
	before := env.MustGet(t, p.ID)
	st.payment.Store(0)
	again, err := env.Svc.StartByShopper(t.Context(), payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop})
	if err != nil {
		t.Fatal(err)
	}
	if again.Attempt.Reference != first.Attempt.Reference || again.Attempt.QRCodeURL != first.Attempt.QRCodeURL {
		t.Errorf("the same wallet again started %+v, want the current QR %+v", again.Attempt, first.Attempt)
	}
	if again.Payment.Version != before.Version || env.MustGet(t, p.ID).Version != before.Version {
		t.Errorf("showing the current QR again changed the payment: version %d -> %d", before.Version, again.Payment.Version)
	}
	if n, m := st.payment.Load(), st.attempts.Load(); n != 1 || m != 0 {
		t.Errorf("reads: payment %d (MustGet's), attempts %d; want 1 and 0", n, m)
	}
}

// TestStartExpiresAnExpiredPayment: a start on a payment whose time ran
// out before anything expired it in the store expires it, as reading it
// does, and is refused with the payment as it now stands.
func TestStartExpiresAnExpiredPayment(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	in := paymentstest.Input("ORDER-START-EXPIRED")
	in.ExpiresIn = time.Minute
	p := env.MustCreate(t, in)
	env.Clock.Advance(2 * time.Minute)
	st, err := env.Svc.StartByShopper(t.Context(), payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop})
	if !errors.Is(err, payments.ErrNotPayable) {
		t.Fatalf("start after the time ran out = %v, want ErrNotPayable", err)
	}
	if st.Payment.ID != p.ID || st.Payment.Status != payments.StatusExpired {
		t.Errorf("start answered the payment %q in %s, want %s expired", st.Payment.ID, st.Payment.Status, p.ID)
	}
	if n := paymentstest.CountEvents(env.MustEvents(t, p.ID), "attempt.started"); n != 0 {
		t.Errorf("%d attempt.started events, want 0", n)
	}
	if got, err := env.Store.Payment(t.Context(), p.ID); err != nil || got.Status != payments.StatusExpired {
		t.Errorf("stored payment %s, %v; want expired", got.Status, err)
	}
}
