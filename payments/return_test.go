package payments_test

import (
	"context"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// attemptHook runs its hook once, before the next Attempt read.
type attemptHook struct {
	payments.Store
	hook atomic.Pointer[func()]
}

func (s *attemptHook) Attempt(ctx context.Context, ref string) (payments.Attempt, error) {
	if f := s.hook.Swap(nil); f != nil {
		(*f)()
	}
	return s.Store.Attempt(ctx, ref)
}

// TestReturnSettledMeanwhile: the shopper lands back from Latipay while
// Latipay's paid callback commits between the return's read of the
// payment and its read of the attempt. The return shows the payment as it
// now is, paid, not the pending one it read first (a random CI failure of
// handlers.TestPhoneZhCNAlipayFlowInChinese).
func TestReturnSettledMeanwhile(t *testing.T) {
	var hs *attemptHook
	e := paymentstest.NewEnv(t, paymentstest.Options{WrapStore: func(s payments.Store) payments.Store {
		hs = &attemptHook{Store: s}
		return hs
	}})
	p, st := e.MustStartQR(t, "ORDER-RETURN-1")
	ref := st.Attempt.Reference
	callback := func() {
		if got := e.PostCallback(t, paymentstest.Notification(ref, "wechat", "paid", "NZD", "12.50")); got != "200 sent" {
			t.Errorf("callback = %q", got)
		}
	}
	hs.hook.Store(&callback)
	got, err := e.Svc.HandleReturn(t.Context(), p.ID, url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	if hs.hook.Load() != nil {
		t.Fatal("the return never read the attempt")
	}
	if got.Status != payments.StatusPaid {
		t.Errorf("the return shows %s; the callback committed paid before it read the attempt", got.Status)
	}
}
