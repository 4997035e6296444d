package counter_test

import (
	"crypto/rand"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// newCounter is the counter service over the real SQLite store, the
// payments service and the simulator over HTTP, on a fake clock.
func newCounter(t *testing.T) (*counter.Service, *paymentstest.Env) {
	t.Helper()
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	c, err := counter.NewService(env.Store, accounts.NewHasher(1), env.Store, env.Svc, env.Clock.Now, rand.Reader,
		counter.Options{Currency: "NZD", Location: time.FixedZone("NZDT", 13*3600)})
	if err != nil {
		t.Fatal(err)
	}
	return c, env
}

// TestPairingCode: a code pairs once, only within its 60 seconds, and the
// store keeps neither the code nor the device credential in clear.
func TestPairingCode(t *testing.T) {
	c, env := newCounter(t)
	ctx := t.Context()
	code, _, err := c.NewPairing(ctx, "Till 1")
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(counter.PairingTTL + time.Second)
	if _, _, err := c.Pair(ctx, code); !errors.Is(err, counter.ErrPairingCode) {
		t.Fatalf("a code after 61 s = %v, want ErrPairingCode", err)
	}
	code, _, err = c.NewPairing(ctx, "Till 1")
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(counter.PairingTTL - time.Second)
	d, token, err := c.Pair(ctx, code)
	if err != nil {
		t.Fatalf("a code at 59 s = %v, want it to pair", err)
	}
	if _, _, err := c.Pair(ctx, code); !errors.Is(err, counter.ErrPairingCode) {
		t.Errorf("a used code = %v, want ErrPairingCode", err)
	}
	if len(token) < 40 || d.TokenHash == token {
		t.Errorf("credential %q, stored %q: want a long random token stored only hashed", token, d.TokenHash)
	}
	if _, err := env.Store.DeviceByToken(ctx, token); !errors.Is(err, counter.ErrNotFound) {
		t.Errorf("the store finds the device by its clear credential: %v", err)
	}
	got, err := c.Authenticate(ctx, token)
	if err != nil || got.ID != d.ID || got.Name != "Till 1" {
		t.Errorf("Authenticate = %+v, %v", got, err)
	}
	if _, err := c.Authenticate(ctx, token+"x"); !errors.Is(err, counter.ErrUnknown) {
		t.Errorf("a wrong credential = %v, want ErrUnknown", err)
	}
}

// TestUnlockLasts: an unlocked device locks itself after a shift.
func TestUnlockLasts(t *testing.T) {
	c, env := newCounter(t)
	ctx := t.Context()
	a := mustCashier(t, env)
	d, token := mustDevice(t, c)
	if err := c.SetPIN(ctx, a.ID, "2580"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Unlock(ctx, d.ID, a.ID, "2580"); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(counter.UnlockFor - time.Minute)
	if d, _ := c.Authenticate(ctx, token); d.CashierID != a.ID {
		t.Errorf("before %v the device is locked", counter.UnlockFor)
	}
	env.Clock.Advance(time.Minute)
	if d, _ := c.Authenticate(ctx, token); d.CashierID != "" {
		t.Errorf("after %v the device is still unlocked by %s", counter.UnlockFor, d.CashierID)
	}
}

// TestToday: the shift summary counts and totals the paid sales of the
// shop's day by currency and method, and lists the unpaid ones too.
func TestToday(t *testing.T) {
	c, env := newCounter(t)
	ctx := t.Context()
	a := mustCashier(t, env)
	d, _ := mustDevice(t, c)
	if err := c.SetPIN(ctx, a.ID, "2580"); err != nil {
		t.Fatal(err)
	}
	d, _, err := c.Unlock(ctx, d.ID, a.ID, "2580")
	if err != nil {
		t.Fatal(err)
	}
	sell := func(key, amount string, m payments.Method, pay bool) {
		t.Helper()
		st, err := c.ChargeQR(ctx, counter.ChargeInput{Device: d, Key: key, Amount: amount, Method: m, ClientIP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if pay {
			if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
				t.Fatal(err)
			}
			env.WaitStatus(t, st.Payment.ID, payments.StatusPaid)
		}
	}
	sell("today-key-000000000001", "12.50", payments.MethodWeChat, true)
	sell("today-key-000000000002", "7.50", payments.MethodWeChat, true)
	sell("today-key-000000000003", "3.00", payments.MethodAlipay, true)
	sell("today-key-000000000004", "99.00", payments.MethodAlipay, false)
	today, err := c.Today(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	want := []counter.Total{{Currency: "NZD", Method: "alipay", Count: 1, Amount: 300}, {Currency: "NZD", Method: "wechat", Count: 2, Amount: 2000}}
	if len(today.Sales) != 4 || today.Paid != 3 || len(today.Totals) != 2 || today.Totals[0] != want[0] || today.Totals[1] != want[1] {
		t.Errorf("today = %d sales, %d paid, totals %+v; want 4, 3, %+v", len(today.Sales), today.Paid, today.Totals, want)
	}
	if today.LastRate() == "" {
		t.Error("no Latipay rate known after four QR sales")
	}
}

func mustCashier(t *testing.T, env *paymentstest.Env) accounts.Account {
	t.Helper()
	acc, err := accounts.NewService(env.Store, accounts.NewHasher(1), env.Clock.Now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a, err := acc.CreateAccount(t.Context(), "till@shop.example", "Mei", "a long enough password", accounts.Cashier, accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustDevice(t *testing.T, c *counter.Service) (counter.Device, string) {
	t.Helper()
	code, _, err := c.NewPairing(t.Context(), "Till")
	if err != nil {
		t.Fatal(err)
	}
	d, token, err := c.Pair(t.Context(), code)
	if err != nil {
		t.Fatal(err)
	}
	return d, token
}

// TestTodayStaticQR: today's sales on a device include the shop's paid
// static-QR payments of the shop's day (its time zone: NZDT here), marked
// and outside the device's totals, also one typed before midnight and
// paid after it; yesterday's, and unpaid ones, are not listed, and
// StaticQRPayment finds only those paid today.
func TestTodayStaticQR(t *testing.T) {
	c, env := newCounter(t) // 2026-03-01 01:00 UTC is 14:00 NZDT
	ctx := t.Context()
	d, _ := mustDevice(t, c)
	links, err := payments.NewLinks(env.Store, env.Svc, func(id string) string { return env.AppURL + "/l/" + id }, env.AppURL+"/")
	if err != nil {
		t.Fatal(err)
	}
	l, err := links.Create(ctx, payments.LinkInput{Source: payments.SourceStaticQR, Currency: "NZD", MinAmount: "0.01", MaxAmount: "5000"})
	if err != nil {
		t.Fatal(err)
	}
	pay := func(amount string, settle bool) payments.Payment {
		t.Helper()
		p, err := links.Pay(ctx, l.ID, amount, "en", "")
		if err != nil {
			t.Fatal(err)
		}
		st := env.MustStart(t, p.ID, payments.MethodAlipay, payments.DeviceDesktop)
		if settle {
			if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
				t.Fatal(err)
			}
			return env.WaitStatus(t, p.ID, payments.StatusPaid)
		}
		return p
	}
	yesterday := pay("5.00", true)
	env.Clock.Advance(10*time.Hour - 2*time.Minute) // 23:58 NZDT
	p, err := links.Pay(ctx, l.ID, "7.00", "en", "")
	if err != nil {
		t.Fatal(err)
	}
	st := env.MustStart(t, p.ID, payments.MethodAlipay, payments.DeviceDesktop)
	env.Clock.Advance(3 * time.Minute) // 00:01 NZDT the next day
	if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	overnight := env.WaitStatus(t, p.ID, payments.StatusPaid) // typed before midnight, paid after
	today := pay("12.50", true)
	pay("8.00", false)
	got, err := c.Today(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sales) != 2 || got.Sales[0].Payment.ID != today.ID || got.Sales[1].Payment.ID != overnight.ID ||
		!got.Sales[0].StaticQR || !got.Sales[1].StaticQR || got.Paid != 0 || len(got.Totals) != 0 {
		t.Errorf("today = %+v; want only the static-QR payments paid today (one begun before midnight), marked, outside the totals", got)
	}
	for _, p := range []payments.Payment{today, overnight} {
		if _, err := c.StaticQRPayment(ctx, p.ID); err != nil {
			t.Errorf("StaticQRPayment(%s, paid today) = %v", p.Reference, err)
		}
	}
	if _, err := c.StaticQRPayment(ctx, yesterday.ID); !errors.Is(err, counter.ErrNotFound) {
		t.Errorf("StaticQRPayment(yesterday's) = %v, want ErrNotFound", err)
	}
}

// TestStaticQRPaidSince: what a counter's socket replays when it opens,
// the shop's static-QR payments paid after the page's stamp, oldest
// first: not those paid before it, not unpaid ones, and nothing older than
// an hour however old the stamp.
func TestStaticQRPaidSince(t *testing.T) {
	c, env := newCounter(t)
	ctx := t.Context()
	links, err := payments.NewLinks(env.Store, env.Svc, func(id string) string { return env.AppURL + "/l/" + id }, env.AppURL+"/")
	if err != nil {
		t.Fatal(err)
	}
	l, err := links.Create(ctx, payments.LinkInput{Source: payments.SourceStaticQR, Currency: "NZD", MinAmount: "0.01", MaxAmount: "5000"})
	if err != nil {
		t.Fatal(err)
	}
	pay := func(amount string, settle bool) payments.Payment {
		t.Helper()
		p, err := links.Pay(ctx, l.ID, amount, "en", "")
		if err != nil {
			t.Fatal(err)
		}
		st := env.MustStart(t, p.ID, payments.MethodAlipay, payments.DeviceDesktop)
		if !settle {
			return p
		}
		if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
			t.Fatal(err)
		}
		return env.WaitStatus(t, p.ID, payments.StatusPaid)
	}
	ids := func(ps []payments.Payment) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	before := pay("1.00", true)
	env.Clock.Advance(time.Minute)
	stamp := c.Now()
	env.Clock.Advance(time.Minute)
	first := pay("2.00", true)
	pay("3.00", false)
	env.Clock.Advance(time.Minute)
	second := pay("4.00", true)

	got, err := c.StaticQRPaidSince(ctx, stamp)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{first.ID, second.ID}; !slices.Equal(ids(got), want) {
		t.Errorf("paid since the stamp: %v, want %v (oldest first; not %s, paid before)", ids(got), want, before.ID)
	}
	got, err = c.StaticQRPaidSince(ctx, stamp.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{before.ID, first.ID, second.ID}; !slices.Equal(ids(got), want) {
		t.Errorf("since a day before: %v, want %v", ids(got), want)
	}
	env.Clock.Advance(59 * time.Minute) // the first was paid 60 minutes ago, the second 59
	got, err = c.StaticQRPaidSince(ctx, stamp)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{second.ID}; !slices.Equal(ids(got), want) {
		t.Errorf("an hour on: %v, want only the one paid within the hour, %v", ids(got), want)
	}
}

// TestSwitchWalletAtCounter: the counter's "Switch wallet" (the same key
// charged again with the other wallet) and a QR shown after a scanned pay
// code that is still waiting for the shopper's password both cancel the
// earlier transaction at Latipay, so the shopper cannot pay twice.
func TestSwitchWalletAtCounter(t *testing.T) {
	c, env := newCounter(t)
	ctx := t.Context()
	a := mustCashier(t, env)
	d, _ := mustDevice(t, c)
	if err := c.SetPIN(ctx, a.ID, "2580"); err != nil {
		t.Fatal(err)
	}
	d, _, err := c.Unlock(ctx, d.ID, a.ID, "2580")
	if err != nil {
		t.Fatal(err)
	}
	status := func(ref string) string {
		t.Helper()
		tx, ok := env.Sim.Transaction(ref)
		if !ok {
			t.Fatalf("Latipay has no transaction %s", ref)
		}
		return tx.Status
	}
	in := counter.ChargeInput{Device: d, Key: "switch-key-00000000001", Amount: "12.50", Method: payments.MethodWeChat, ClientIP: "192.0.2.1"}
	wechat, err := c.ChargeQR(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Method = payments.MethodAlipay
	alipay, err := c.ChargeQR(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if alipay.Payment.ID != wechat.Payment.ID || alipay.Attempt.Reference == wechat.Attempt.Reference {
		t.Fatalf("switch wallet: payment %s attempt %s, want payment %s with a new attempt", alipay.Payment.ID, alipay.Attempt.Reference, wechat.Payment.ID)
	}
	if got := status(wechat.Attempt.Reference); got != "canceled" {
		t.Errorf("after Switch wallet the WeChat QR at Latipay is %q, want canceled", got)
	}

	// A pay code that waits for the shopper's password, then a QR instead.
	scan := counter.ChargeInput{Device: d, Key: "switch-key-00000000002", Amount: "12.50", ClientIP: "192.0.2.1"}
	code, err := c.ChargeScan(ctx, scan, "134567890123456711")
	if err != nil {
		t.Fatal(err)
	}
	if code.Attempt.Kind != payments.KindBarcode || status(code.Attempt.Reference) != "pending" {
		t.Fatalf("pay code attempt %+v, want a barcode attempt pending at Latipay", code.Attempt)
	}
	scan.Method = payments.MethodAlipay
	qr, err := c.ChargeQR(ctx, scan)
	if err != nil {
		t.Fatal(err)
	}
	if qr.Payment.ID != code.Payment.ID {
		t.Fatalf("the QR is for payment %s, want the scanned sale's %s", qr.Payment.ID, code.Payment.ID)
	}
	if got := status(code.Attempt.Reference); got != "canceled" {
		t.Errorf("after showing a QR the pay code's transaction at Latipay is %q, want canceled", got)
	}
	if err := env.Sim.Pay(code.Attempt.Reference); err == nil {
		t.Error("the shopper could still pay by the pay code after the QR was shown")
	}
}

// TestSwitchWalletAtCounterAfterPaying: the shopper paid the WeChat QR,
// its callback late, and the cashier switches the sale to Alipay: Latipay
// is asked about the WeChat order first, so the sale comes back paid by
// it and no Alipay order is made.
func TestSwitchWalletAtCounterAfterPaying(t *testing.T) {
	c, env := newCounter(t)
	ctx := t.Context()
	a := mustCashier(t, env)
	d, _ := mustDevice(t, c)
	if err := c.SetPIN(ctx, a.ID, "2580"); err != nil {
		t.Fatal(err)
	}
	d, _, err := c.Unlock(ctx, d.ID, a.ID, "2580")
	if err != nil {
		t.Fatal(err)
	}
	in := counter.ChargeInput{Device: d, Key: "switch-key-00000000003", Amount: "12.50", Method: payments.MethodWeChat, ClientIP: "192.0.2.1"}
	wechat, err := c.ChargeQR(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	if err := env.Sim.Pay(wechat.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	in.Method = payments.MethodAlipay
	got, err := c.ChargeQR(ctx, in)
	if err != nil || got.Payment.Status != payments.StatusPaid || got.Payment.LatipayReference != wechat.Attempt.Reference || got.Attempt.Reference != "" {
		t.Fatalf("switching a sale paid by WeChat = %s by %s, attempt %q, %v; want paid by %s, no new attempt",
			got.Payment.Status, got.Payment.LatipayReference, got.Attempt.Reference, err, wechat.Attempt.Reference)
	}
	if n := len(env.Sim.Ledger()); n != 1 {
		t.Errorf("%d orders at Latipay, want the WeChat one only", n)
	}
}
