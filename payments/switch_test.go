package payments_test

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// simStatus is what the simulator (Latipay) holds for merchant reference ref.
func simStatus(t *testing.T, env *paymentstest.Env, ref string) string {
	t.Helper()
	tx, ok := env.Sim.Transaction(ref)
	if !ok {
		t.Fatalf("the simulator has no transaction %s", ref)
	}
	return tx.Status
}

// attemptOf reads one attempt of payment id.
func attemptOf(t *testing.T, env *paymentstest.Env, id, ref string) payments.Attempt {
	t.Helper()
	as, err := env.Svc.Attempts(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Reference == ref {
			return a
		}
	}
	t.Fatalf("payment %s has no attempt %s", id, ref)
	return payments.Attempt{}
}

// TestSwitchWalletCancelsTheOldQR: a shopper who shows WeChat's QR and
// then switches to Alipay can no longer pay the WeChat QR: Latipay has
// canceled it, the reconciler learns so at once, and switching back to
// WeChat shows a fresh QR, never the canceled one.
func TestSwitchWalletCancelsTheOldQR(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := t.Context()
	p, wechat := env.MustStartQR(t, "ORDER-SWITCH")
	alipay := env.MustStart(t, p.ID, payments.MethodAlipay, payments.DeviceDesktop)
	if got := simStatus(t, env, wechat.Attempt.Reference); got != "canceled" {
		t.Fatalf("the WeChat QR at Latipay is %q after switching to Alipay, want canceled", got)
	}
	if err := env.Sim.Pay(wechat.Attempt.Reference); err == nil {
		t.Fatal("the shopper could still pay the WeChat QR after switching to Alipay")
	}
	if n := paymentstest.CountEvents(env.MustEvents(t, p.ID), "attempt.replaced"); n != 1 {
		t.Errorf("%d attempt.replaced events, want 1", n)
	}
	if _, err := env.Svc.ReconcileDue(ctx, 10); err != nil { // due at once: no clock advance
		t.Fatal(err)
	}
	if a := attemptOf(t, env, p.ID, wechat.Attempt.Reference); a.Status != payments.AttemptCanceled {
		t.Errorf("the replaced attempt is %s after the immediate check, want canceled", a.Status)
	}
	again := env.MustStart(t, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
	if again.Attempt.Reference == wechat.Attempt.Reference || again.Attempt.QRCodeURL == wechat.Attempt.QRCodeURL {
		t.Errorf("switching back to WeChat showed the canceled QR %s", wechat.Attempt.Reference)
	}
	if got := simStatus(t, env, alipay.Attempt.Reference); got != "canceled" {
		t.Errorf("the Alipay QR at Latipay is %q after switching back, want canceled", got)
	}
	if err := env.Sim.Pay(again.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	got := env.WaitStatus(t, p.ID, payments.StatusPaid)
	if got.PaidLate || got.NeedsReview || got.LatipayReference != again.Attempt.Reference {
		t.Errorf("payment = late %v review %v by %s, want paid on time by %s", got.PaidLate, got.NeedsReview,
			got.LatipayReference, again.Attempt.Reference)
	}
}

// TestSwitchAfterPayingAsksLatipayFirst: the shopper pays the WeChat QR
// and, its callback late, chooses Alipay. The start asks Latipay about
// the WeChat order before making another: paid, so the payment is paid
// by it at once, on time, and no Alipay order exists to be paid as well.
func TestSwitchAfterPayingAsksLatipayFirst(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := t.Context()
	env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true}) // the callback is late
	p, wechat := env.MustStartQR(t, "ORDER-SWITCHPAID")
	env.Clock.Advance(17 * time.Second)
	if err := env.Sim.Pay(wechat.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	st, err := env.Svc.StartByShopper(ctx, payments.StartInput{PaymentID: p.ID, Method: "alipay",
		Device: payments.DevicePhone, ClientIP: "203.0.113.7"})
	if !errors.Is(err, payments.ErrPaidBeforeReplace) || !errors.Is(err, payments.ErrNotPayable) || st.RedirectURL != "" {
		t.Fatalf("switching to Alipay after paying WeChat = redirect %q, %v; want ErrPaidBeforeReplace, no redirect", st.RedirectURL, err)
	}
	got := env.MustGet(t, p.ID)
	if got.Status != payments.StatusPaid || got.PaidLate || got.NeedsReview || got.LatipayReference != wechat.Attempt.Reference {
		t.Errorf("payment = %s late %v review %v by %s; want paid on time by the WeChat attempt %s", got.Status,
			got.PaidLate, got.NeedsReview, got.LatipayReference, wechat.Attempt.Reference)
	}
	if st.Payment.Status != payments.StatusPaid {
		t.Errorf("Start returned the payment %s, want it paid", st.Payment.Status)
	}
	as, err := env.Svc.Attempts(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || got.Attempts != 1 || len(env.Sim.Ledger()) != 1 {
		t.Errorf("%d attempts here (counted %d), %d orders at Latipay; want the WeChat one only", len(as), got.Attempts, len(env.Sim.Ledger()))
	}
}

// TestSwitchUnconfirmedMakesNoNewOrder: Latipay cannot be asked about the
// WeChat QR when the shopper chooses Alipay, so no Alipay order is made
// (the shopper could pay both); the WeChat attempt is due at once, and
// the reconciler's query, once Latipay answers, finds it paid.
func TestSwitchUnconfirmedMakesNoNewOrder(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := t.Context()
	p, wechat := env.MustStartQR(t, "ORDER-SWITCHDOWN")
	// Callbacks are dropped before the payment at Latipay: the simulator
	// sends its callback on its own goroutine, and one that arrived before
	// the switch would make the payment paid here first.
	env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	if err := env.Sim.Pay(wechat.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true, ServerError: true})
	st, err := env.Svc.StartByShopper(ctx, payments.StartInput{PaymentID: p.ID, Method: "alipay",
		Device: payments.DeviceDesktop, ClientIP: "203.0.113.7"})
	if !errors.Is(err, payments.ErrReplacedUnconfirmed) || st.Payment.ID != p.ID {
		t.Errorf("switching while Latipay does not answer = payment %q, %v; want the payment, ErrReplacedUnconfirmed", st.Payment.ID, err)
	}
	as, err := env.Svc.Attempts(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || len(env.Sim.Ledger()) != 1 {
		t.Fatalf("%d attempts here, %d orders at Latipay; want the WeChat one only", len(as), len(env.Sim.Ledger()))
	}
	if a := as[0]; a.NextCheckAt.After(env.Clock.Now()) {
		t.Errorf("the unconfirmed WeChat attempt is next checked at %s, want at once (%s)", a.NextCheckAt, env.Clock.Now())
	}
	env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	if _, err := env.Svc.ReconcileDue(ctx, 10); err != nil { // no clock advance
		t.Fatal(err)
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusPaid || got.LatipayReference != wechat.Attempt.Reference {
		t.Errorf("payment = %s by %s after the reconciler asked, want paid by %s", got.Status, got.LatipayReference, wechat.Attempt.Reference)
	}
}

// TestPaidTwiceIsOnTimeAndNamed: the race that remains. Latipay does not
// answer the cancel of the WeChat QR when the shopper switches to Alipay,
// and its query says the QR is unpaid, so the Alipay order is made; the
// shopper then pays both. The first payment is on time (the window was
// open; the attempt had only been replaced), and the second is recorded
// for review and named by PaidTwice, for the shop to refund at Latipay.
func TestPaidTwiceIsOnTimeAndNamed(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := t.Context()
	svc, cp := serviceViaProxy(t, env)
	env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true}) // only the reconciler's queries tell
	p := env.MustCreate(t, paymentstest.Input("ORDER-TWICE"))
	start := func(m payments.Method) payments.Started {
		t.Helper()
		st, err := svc.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: string(m), Device: payments.DeviceDesktop, ClientIP: "203.0.113.7"})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	wechat := start(payments.MethodWeChat)
	env.Clock.Advance(17 * time.Second)
	cp.set(true, 0)
	alipay := start(payments.MethodAlipay) // the query before it: WeChat unpaid
	if err := env.Sim.Pay(wechat.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	if err := env.Sim.Pay(alipay.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ReconcileDue(ctx, 10); err != nil { // the replaced WeChat attempt, due at once
		t.Fatal(err)
	}
	got := env.MustGet(t, p.ID)
	if got.Status != payments.StatusPaid || got.PaidLate || got.LatipayReference != wechat.Attempt.Reference {
		t.Fatalf("payment = %s late %v by %s, want paid on time by the WeChat attempt %s", got.Status, got.PaidLate,
			got.LatipayReference, wechat.Attempt.Reference)
	}
	if _, err := svc.ReconcileDue(ctx, 10); err != nil { // the Alipay attempt, due at once now it is paid
		t.Fatal(err)
	}
	got = env.MustGet(t, p.ID)
	as, err := env.Svc.Attempts(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	twice := payments.PaidTwice(got, as)
	if !got.NeedsReview || got.PaidLate || len(twice) != 1 || twice[0].Reference != alipay.Attempt.Reference {
		t.Errorf("payment review %v late %v, paid twice %+v; want under review, on time, the Alipay attempt %s paid twice",
			got.NeedsReview, got.PaidLate, twice, alipay.Attempt.Reference)
	}
}

// cancelProxy is the HTTP transport of a Latipay client that answers
// Latipay's cancel itself while refuse is set: with HTTP 500 (no answer)
// or, with code set, Latipay's code. Every other request reaches the
// simulator.
type cancelProxy struct {
	mu      sync.Mutex
	refuse  bool
	code    int // 0: HTTP 500
	cancels int // cancel requests seen
}

func (c *cancelProxy) set(refuse bool, code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refuse, c.code = refuse, code
}

func (c *cancelProxy) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cancels
}

func (c *cancelProxy) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.URL.Path, "/cancel") {
		return http.DefaultTransport.RoundTrip(r)
	}
	c.mu.Lock()
	c.cancels++
	refuse, code := c.refuse, c.code
	c.mu.Unlock()
	if !refuse {
		return http.DefaultTransport.RoundTrip(r)
	}
	w := httptest.NewRecorder()
	if code == 0 {
		http.Error(w, "down", http.StatusInternalServerError)
	} else {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.WriteString(`{"code":` + strconv.Itoa(code) + `,"message":"fail"}`)
	}
	return w.Result(), nil
}

// serviceViaProxy is a second service over env's store whose Latipay
// client reaches the simulator over HTTP through a cancelProxy.
func serviceViaProxy(t *testing.T, env *paymentstest.Env) (*payments.Service, *cancelProxy) {
	t.Helper()
	cp := &cancelProxy{}
	client, err := latipay.New(latipay.Config{BaseURL: env.SimURL, UserID: paymentstest.UserID,
		APIKey: paymentstest.APIKey, HTTPClient: &http.Client{Transport: cp, Timeout: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := latipay.NewGateway(client, map[string]string{"NZD": paymentstest.WalletNZD})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := payments.NewService(env.Store, gw, env.Hub, env.Log, env.Clock.Now, rand.Reader, payments.Options{
		CallbackURL:    env.AppURL + paymentstest.CallbackPath,
		ReturnURLFor:   func(id string) string { return env.AppURL + "/checkout/" + id + "/return" },
		CheckoutURLFor: func(id string) string { return env.AppURL + "/checkout/" + id },
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc, cp
}

// TestPaidCancelsTheOtherAttempts: when the switch could not cancel the
// old QR (Latipay did not answer), the payment becoming paid through the
// new one makes the old one due at once, and the reconciler cancels it at
// Latipay then, not half a minute later.
func TestPaidCancelsTheOtherAttempts(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := t.Context()
	svc, cp := serviceViaProxy(t, env)
	p := env.MustCreate(t, paymentstest.Input("ORDER-PAIDCANCEL"))
	start := func(m payments.Method) payments.Started {
		t.Helper()
		st, err := svc.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: string(m), Device: payments.DeviceDesktop, ClientIP: "203.0.113.7"})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	wechat := start(payments.MethodWeChat)
	cp.set(true, 0)
	alipay := start(payments.MethodAlipay)
	if got := simStatus(t, env, wechat.Attempt.Reference); got != "pending" {
		t.Fatalf("the WeChat QR at Latipay is %q, want still pending (its cancel was not answered)", got)
	}
	cp.set(false, 0)
	if _, err := svc.ReconcileDue(ctx, 10); err != nil { // the immediate check: still pending, the payment open
		t.Fatal(err)
	}
	if err := env.Sim.Pay(alipay.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	env.WaitStatus(t, p.ID, payments.StatusPaid)
	if _, err := svc.ReconcileDue(ctx, 10); err != nil { // no clock advance
		t.Fatal(err)
	}
	if got := simStatus(t, env, wechat.Attempt.Reference); got != "canceled" {
		t.Errorf("the WeChat QR at Latipay is %q once the payment is paid, want canceled at once", got)
	}
	if a := attemptOf(t, env, p.ID, wechat.Attempt.Reference); a.Status != payments.AttemptCanceled {
		t.Errorf("the WeChat attempt is %s, want canceled", a.Status)
	}
}

// TestRefusedCancelWaits: Latipay refused a cancel (code 1, which asks for
// at least 15 minutes before a retry): the reconciler does not cancel the
// attempt again, nor check it, before then.
func TestRefusedCancelWaits(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := t.Context()
	svc, cp := serviceViaProxy(t, env)
	p := env.MustCreate(t, paymentstest.Input("ORDER-CANCELWAIT"))
	st, err := svc.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop, ClientIP: "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	// The cancel's own ask is not answered: closed here, the reconciler
	// cancels at Latipay.
	cp.set(true, 0)
	if _, err := svc.Cancel(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	cp.set(true, 1)
	if _, err := svc.ReconcileDue(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if n := cp.count(); n != 2 {
		t.Fatalf("%d cancels sent, want 2 (the cancel's, the reconciler's)", n)
	}
	for range 14 {
		env.Clock.Advance(time.Minute)
		if _, err := svc.ReconcileDue(ctx, 10); err != nil {
			t.Fatal(err)
		}
	}
	if n := cp.count(); n != 2 {
		t.Errorf("%d cancels sent within 15 minutes of a refusal, want 2", n)
	}
	cp.set(false, 0)
	env.Clock.Advance(time.Minute + time.Second)
	if _, err := svc.ReconcileDue(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if n, got := cp.count(), simStatus(t, env, st.Attempt.Reference); n != 3 || got != "canceled" {
		t.Errorf("after 15 minutes: %d cancels sent, Latipay has %q; want 3, canceled", n, got)
	}
}

// TestCancelRefusedAtLatipayWaits: Latipay refused the cancel's own ask
// (code 1) and its query says pending: the payment is canceled here, and
// the reconciler does not cancel the attempt again before Latipay's wait.
func TestCancelRefusedAtLatipayWaits(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := t.Context()
	svc, cp := serviceViaProxy(t, env)
	p := env.MustCreate(t, paymentstest.Input("ORDER-CANCELWAIT2"))
	st, err := svc.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop, ClientIP: "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	cp.set(true, 1)
	if got, err := svc.Cancel(ctx, p.ID); err != nil || got.Status != payments.StatusCanceled {
		t.Fatalf("Cancel = %s, %v; want canceled", got.Status, err)
	}
	for range 14 {
		if _, err := svc.ReconcileDue(ctx, 10); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Minute)
	}
	if n := cp.count(); n != 1 {
		t.Errorf("%d cancels sent within 15 minutes of a refusal, want 1", n)
	}
	cp.set(false, 0)
	env.Clock.Advance(time.Minute + time.Second)
	if _, err := svc.ReconcileDue(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if n, got := cp.count(), simStatus(t, env, st.Attempt.Reference); n != 2 || got != "canceled" {
		t.Errorf("after 15 minutes: %d cancels sent, Latipay has %q; want 2, canceled", n, got)
	}
}
