package payments_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// These tests drive the service through the real SQLite store, the real
// Latipay client over HTTP to the simulator, and a real hub.

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64 // 0: rejected
	}{
		{"12.50", 1250},
		{"12.5", 1250},
		{"12", 1200},
		{"0.01", 1},
		{"0.30000000000000004", 0},
		{"0.1e1", 0},
		{"1e2", 0},
		{"-1.00", 0},
		{"+1.00", 0},
		{"0", 0},
		{"0.00", 0},
		{"12.", 0},
		{".50", 0},
		{" 12.50", 0},
		{"12,50", 0},
		{"1,250.00", 0},
		{"012.50", 0},
		{"１２.５０", 0},
		{"", 0},
		{"NaN", 0},
		{"10000000000.01", 0}, // above the cap
	}
	// A number with more digits than the cap is "too large", not "not a
	// decimal"; something else that long is still not a decimal.
	for in, want := range map[string]string{
		"99999999999999999999":    "amount is too large",
		"99999999999999999999.50": "amount is too large",
		"10000000000.01":          "amount is too large",
		"9999999999999999999x":    "must be a decimal",
		"00000000000000000001":    "must be a decimal",
	} {
		if _, err := payments.ParseAmount(in, payments.NZD); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseAmount(%q) = %v, want %q", in, err, want)
		}
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := payments.ParseAmount(tt.in, payments.NZD)
			if tt.want == 0 {
				if err == nil || !errors.Is(err, payments.ErrInvalid) {
					t.Errorf("ParseAmount(%q) = %d, %v, want ErrInvalid", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseAmount(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	in := paymentstest.Input("ORDER-1")
	in.Amount = "12.5"
	p := env.MustCreate(t, in)
	if p.Amount != 1250 || p.Currency != payments.NZD || p.Status != payments.StatusCreated || !payments.ValidPaymentID(p.ID) {
		t.Errorf("Create = %+v, want 1250 NZD created with a valid id", p)
	}
	if got, want := p.ExpiresAt.Sub(p.CreatedAt), 15*time.Minute; got != want {
		t.Errorf("window = %s, want %s", got, want)
	}
	evs := env.MustEvents(t, p.ID)
	if len(evs) != 1 || evs[0].Type != "payment.created" {
		t.Errorf("events = %+v, want one payment.created", evs)
	}
}

func TestCreateValidationListsEveryProblem(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{Service: payments.Options{
		MerchantOrigins: []string{"https://shop.example.com"}}})
	ctx := context.Background()
	_, _, err := env.Svc.Create(ctx, payments.CreateInput{Amount: "0.30000000000000004", Currency: "NZD",
		Reference: "", ReturnURL: "https://evil.example.net/x", CancelURL: "javascript:alert(1)",
		Method: "paypal"}, "")
	var ve *payments.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, payments.ErrInvalid) {
		t.Fatalf("Create = %v, want a *ValidationError matching ErrInvalid", err)
	}
	msg := strings.Join(ve.Problems, "\n")
	for _, want := range []string{"amount", "reference", "payment_method", "cancel_url", "return_url"} {
		if !strings.Contains(msg, want) {
			t.Errorf("problems %q do not mention %s", ve.Problems, want)
		}
	}

	_, _, err = env.Svc.Create(ctx, payments.CreateInput{Amount: "1.00", Currency: "USD", Reference: "R"}, "")
	if !errors.As(err, &ve) || len(ve.Problems) != 2 {
		t.Errorf("Create(USD, no return_url) = %v, want two problems", err)
	}
}

func TestCreateIdempotency(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := context.Background()
	in := paymentstest.Input("ORDER-IDEM")
	first, created, err := env.Svc.Create(ctx, in, "api:k1")
	if err != nil || !created {
		t.Fatalf("Create = %v, %v, want created", created, err)
	}
	again, created, err := env.Svc.Create(ctx, in, "api:k1")
	if err != nil || created || again.ID != first.ID {
		t.Errorf("replay = %s, created %v, %v; want %s, false, nil", again.ID, created, err, first.ID)
	}
	in.Amount = "99.00"
	if _, _, err := env.Svc.Create(ctx, in, "api:k1"); !errors.Is(err, payments.ErrIdempotencyReuse) {
		t.Errorf("same key, other body: err = %v, want ErrIdempotencyReuse", err)
	}
	other, created, err := env.Svc.Create(ctx, in, "api:k2")
	if err != nil || !created || other.ID == first.ID {
		t.Errorf("other key = %s, %v, %v; want a new payment", other.ID, created, err)
	}
}

func TestStartDesktopWeChatShowsQR(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p, st := env.MustStartQR(t, "ORDER-QR")
	if st.RedirectURL != "" {
		t.Errorf("RedirectURL = %q, want none for our own QR", st.RedirectURL)
	}
	a := st.Attempt
	if a.Status != payments.AttemptPending || a.Hosted || !strings.HasPrefix(a.QRCodeURL, "weixin://") || !payments.ValidReference(a.Reference) {
		t.Errorf("attempt = %+v, want pending, merchant-hosted, weixin:// QR", a)
	}
	if st.Payment.Status != payments.StatusPending || st.Payment.LatipayReference != a.Reference || st.Payment.AmountCNY == "" {
		t.Errorf("payment = %+v, want pending on %s with a CNY amount", st.Payment, a.Reference)
	}
	tx, ok := env.Sim.Transaction(a.Reference)
	if !ok || tx.Amount != "12.50" || tx.Currency != "NZD" || tx.PaymentMethod != "wechat" || tx.CallbackURL != env.AppURL+paymentstest.CallbackPath {
		t.Errorf("simulator has %+v, %v; want 12.50 NZD wechat with our callback URL", tx, ok)
	}
	// The same method again resumes the same QR instead of a new attempt.
	again := env.MustStart(t, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
	if again.Attempt.Reference != a.Reference {
		t.Errorf("second Start made %s, want the QR %s resumed", again.Attempt.Reference, a.Reference)
	}
	if qr, ok := env.Svc.CurrentQR(context.Background(), again.Payment); !ok || qr.Reference != a.Reference {
		t.Errorf("CurrentQR = %+v, %v; want %s", qr, ok, a.Reference)
	}
}

func TestStartPhoneAlipayRedirects(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p := env.MustCreate(t, paymentstest.Input("ORDER-PHONE"))
	st := env.MustStart(t, p.ID, payments.MethodAlipay, payments.DevicePhone)
	if !strings.HasPrefix(st.RedirectURL, env.SimURL+"/pay/") {
		t.Errorf("RedirectURL = %q, want the simulator's hosted page %s/pay/...", st.RedirectURL, env.SimURL)
	}
	if !st.Attempt.Hosted || st.Attempt.QRCodeURL != "" || st.Payment.Status != payments.StatusPending {
		t.Errorf("Start = %+v, want a hosted pending attempt", st)
	}
	// WeChat cannot be opened from a phone's own browser as a hosted page,
	// and Alipay is not offered inside WeChat.
	if _, err := env.Svc.Start(context.Background(), payments.StartInput{PaymentID: p.ID, Method: "alipay", Device: payments.DeviceWeChat}); !errors.Is(err, payments.ErrInvalid) {
		t.Errorf("Start(alipay in WeChat) = %v, want ErrInvalid", err)
	}
}

// waitUpdate waits for the next update on ch.
func waitUpdate(t *testing.T, ch <-chan payments.Update) payments.Update {
	t.Helper()
	select {
	case u, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed")
		}
		return u
	case <-time.After(5 * time.Second):
		t.Fatal("no update within 5s")
	}
	return payments.Update{}
}

func TestPaidCallbackPublishes(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p, st := env.MustStartQR(t, "ORDER-PAY")
	sub := env.Hub.Subscribe(p.ID)
	defer sub.Cancel()

	if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatalf("Pay: %v", err)
	}
	u := waitUpdate(t, sub.C)
	if u.Status != payments.StatusPaid || u.PaymentID != p.ID || u.Version != st.Payment.Version+1 {
		t.Errorf("update = %+v, want paid at version %d", u, st.Payment.Version+1)
	}
	got := env.MustGet(t, p.ID)
	if got.Status != payments.StatusPaid || got.PaidAt.IsZero() || got.PaidLate || got.NeedsReview || got.LatipayOrderID == "" {
		t.Errorf("payment = %+v, want paid on time with an order id", got)
	}
	paymentstest.WaitFor(t, 5*time.Second, "the simulator to see its callback acknowledged", func() bool {
		tx, _ := env.Sim.Transaction(st.Attempt.Reference)
		return tx.CallbacksAcked
	})
}

func TestDuplicateCallbacksOneTransition(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p, st := env.MustStartQR(t, "ORDER-DUP")
	form := paymentstest.Notification(st.Attempt.Reference, "wechat", "paid", "NZD", "12.50")

	const n = 100
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = env.Svc.HandleNotification(context.Background(), form)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("HandleNotification #%d = %v, want nil (sent)", i, err)
		}
	}
	got := env.MustGet(t, p.ID)
	if got.Status != payments.StatusPaid || got.Version != st.Payment.Version+1 {
		t.Errorf("payment %s version %d, want paid at version %d (one bump)", got.Status, got.Version, st.Payment.Version+1)
	}
	if n := paymentstest.CountEvents(env.MustEvents(t, p.ID), "payment.paid"); n != 1 {
		t.Errorf("%d payment.paid events, want 1", n)
	}
}

// updateCounter counts the store's write transactions.
type updateCounter struct {
	payments.Store
	updates atomic.Int64
}

func (c *updateCounter) Update(ctx context.Context, id string, fn func(tx *payments.Tx) error) (payments.Payment, error) {
	c.updates.Add(1)
	return c.Store.Update(ctx, id, fn)
}

// TestRepeatedCallbackIsReadOnly: once a notification is recorded, its
// repeats (Latipay retries until it reads "sent") are acknowledged from
// the duplicate check alone, without a write transaction; a notification
// with another status for the same reference still gets one (here a
// pending after paid: an anomaly, recorded once).
func TestRepeatedCallbackIsReadOnly(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p, st := env.MustStartQR(t, "ORDER-REPEAT")
	store := &updateCounter{Store: env.Store}
	svc, err := payments.NewService(store, env.Gateway, env.Hub, env.Log, env.Clock.Now, rand.Reader, payments.Options{
		CallbackURL:    env.AppURL + paymentstest.CallbackPath,
		ReturnURLFor:   func(id string) string { return env.AppURL + "/checkout/" + id + "/return" },
		CheckoutURLFor: func(id string) string { return env.AppURL + "/checkout/" + id },
	})
	if err != nil {
		t.Fatal(err)
	}
	pending := paymentstest.Notification(st.Attempt.Reference, "wechat", "pending", "NZD", "12.50")
	paid := paymentstest.Notification(st.Attempt.Reference, "wechat", "paid", "NZD", "12.50")
	for i, form := range []url.Values{paid, paid, paid, pending, pending, paid, pending} {
		if err := svc.HandleNotification(t.Context(), form); err != nil {
			t.Fatalf("HandleNotification #%d = %v, want nil", i, err)
		}
	}
	if n := store.updates.Load(); n != 2 {
		t.Errorf("%d write transactions for 2 distinct notifications and 5 repeats, want 2", n)
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusPaid {
		t.Errorf("payment %s, want paid", got.Status)
	}
}

func TestMismatchedCallbackIsAnomaly(t *testing.T) {
	tests := []struct{ name, currency, amount string }{
		{"cent more", "NZD", "12.51"},
		{"cent less", "NZD", "12.49"},
		{"times 100", "NZD", "1250.00"},
		{"other currency", "AUD", "12.50"},
		{"CNY", "CNY", "12.50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := paymentstest.NewEnv(t, paymentstest.Options{})
			p, st := env.MustStartQR(t, "ORDER-MISMATCH")
			form := paymentstest.Notification(st.Attempt.Reference, "wechat", "paid", tt.currency, tt.amount)
			if err := env.Svc.HandleNotification(context.Background(), form); err != nil {
				t.Fatalf("HandleNotification = %v, want nil so Latipay is told sent", err)
			}
			got := env.MustGet(t, p.ID)
			if got.Status != payments.StatusPending || !got.NeedsReview || !got.PaidAt.IsZero() {
				t.Errorf("payment = %s review %v paid_at %v, want pending, needs review, not paid", got.Status, got.NeedsReview, got.PaidAt)
			}
			if n := paymentstest.CountEvents(env.MustEvents(t, p.ID), "anomaly"); n != 1 {
				t.Errorf("%d anomaly events, want 1", n)
			}
		})
	}
}

func TestOutOfOrderStaysPaid(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p, st := env.MustStartQR(t, "ORDER-ORDER")
	ref := st.Attempt.Reference
	for _, status := range []string{"paid", "pending", "failed", "canceled"} {
		if err := env.Svc.HandleNotification(context.Background(), paymentstest.Notification(ref, "wechat", status, "NZD", "12.50")); err != nil {
			t.Errorf("HandleNotification(%s) = %v, want nil", status, err)
		}
		if got := env.MustGet(t, p.ID); got.Status != payments.StatusPaid {
			t.Fatalf("after %s: status %s, want paid", status, got.Status)
		}
	}
	got := env.MustGet(t, p.ID)
	if !got.NeedsReview {
		t.Error("NeedsReview = false, want true after contradictions")
	}
	evs := env.MustEvents(t, p.ID)
	if n := paymentstest.CountEvents(evs, "anomaly"); n != 3 {
		t.Errorf("%d anomaly events, want 3 (pending, failed, canceled after paid)", n)
	}
	if n := paymentstest.CountEvents(evs, "payment.paid"); n != 1 {
		t.Errorf("%d payment.paid events, want 1", n)
	}
}

func TestBadCallbackRejected(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p, st := env.MustStartQR(t, "ORDER-FORGE")
	ref := st.Attempt.Reference
	good := paymentstest.Notification(ref, "wechat", "paid", "NZD", "12.50")
	mutate := func(k, v string) url.Values { return paymentstest.WithField(good, k, v) }
	tests := map[string]url.Values{
		"no signature":    mutate("signature", ""),
		"other key":       mutate("signature", strings.Repeat("ab", 32)),
		"amount changed":  mutate("amount", "1.00"),
		"status changed":  mutate("status", "failed"),
		"method changed":  mutate("payment_method", "alipay"),
		"truncated sig":   mutate("signature", good.Get("signature")[:20]),
		"non-hex sig":     mutate("signature", strings.Repeat("zz", 32)),
		"reference moved": mutate("merchant_reference", ref+"w"),
	}
	for name, form := range tests {
		t.Run(name, func(t *testing.T) {
			err := env.Svc.HandleNotification(context.Background(), form)
			if !errors.Is(err, payments.ErrBadSignature) && !errors.Is(err, payments.ErrMalformed) {
				t.Errorf("HandleNotification = %v, want ErrBadSignature or ErrMalformed", err)
			}
		})
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusPending {
		t.Errorf("status %s after forged callbacks, want pending", got.Status)
	}
}

func TestDroppedCallbackReconciled(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := context.Background()
	p, st := env.MustStartQR(t, "ORDER-DROP")
	sub := env.Hub.Subscribe(p.ID)
	defer sub.Cancel()
	env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatalf("Pay: %v", err)
	}
	if n, err := env.Svc.ReconcileDue(ctx, 10); err != nil || n != 0 {
		t.Fatalf("ReconcileDue before the first check = %d, %v; want 0, nil", n, err)
	}
	env.Clock.Advance(31 * time.Second)
	if n, err := env.Svc.ReconcileDue(ctx, 10); err != nil || n != 1 {
		t.Fatalf("ReconcileDue = %d, %v; want 1, nil", n, err)
	}
	u := waitUpdate(t, sub.C)
	if u.Status != payments.StatusPaid {
		t.Errorf("update = %+v, want paid", u)
	}
	got := env.MustGet(t, p.ID)
	if got.Status != payments.StatusPaid || got.PaidLate {
		t.Errorf("payment = %s late %v, want paid on time", got.Status, got.PaidLate)
	}
	as, err := env.Svc.Attempts(ctx, p.ID)
	if err != nil || len(as) != 1 || as[0].Status != payments.AttemptPaid || !as[0].NextCheckAt.IsZero() {
		t.Errorf("attempts = %+v, %v; want one paid attempt with no further check", as, err)
	}
	// Nothing is due any more.
	env.Clock.Advance(time.Hour)
	if n, err := env.Svc.ReconcileDue(ctx, 10); err != nil || n != 0 {
		t.Errorf("ReconcileDue after paid = %d, %v; want 0, nil", n, err)
	}
}

func TestReconcileKeepsPendingOnSchedule(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := context.Background()
	_, st := env.MustStartQR(t, "ORDER-SCHED")
	env.Clock.Advance(31 * time.Second)
	if n, err := env.Svc.ReconcileDue(ctx, 10); err != nil || n != 1 {
		t.Fatalf("ReconcileDue = %d, %v; want 1, nil", n, err)
	}
	a, err := env.Store.Attempt(ctx, st.Attempt.Reference)
	if err != nil || a.Status != payments.AttemptPending || a.Checks != 1 || !a.NextCheckAt.Equal(env.Clock.Now().Add(30*time.Second)) {
		t.Errorf("attempt = %+v, %v; want pending, 1 check, next in 30s", a, err)
	}
}

func TestForgedReturnDoesNotPay(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p := env.MustCreate(t, paymentstest.Input("ORDER-RETURN"))
	st := env.MustStart(t, p.ID, payments.MethodAlipay, payments.DevicePhone)
	ref := st.Attempt.Reference
	q := url.Values{"merchant_reference": {ref}, "payment_method": {"alipay"}, "status": {"paid"},
		"currency": {"NZD"}, "amount": {"12.50"}, "signature": {strings.Repeat("0", 64)}}
	got, err := env.Svc.HandleReturn(context.Background(), p.ID, q)
	if err != nil || got.Status != payments.StatusPending {
		t.Errorf("HandleReturn(forged paid) = %s, %v; want pending, nil", got.Status, err)
	}
	// Once Latipay really has the money, the return asks and learns it
	// (after the first return's answer has aged: returns within a few
	// seconds of one share its query).
	env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	if err := env.Sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(6 * time.Second)
	got, err = env.Svc.HandleReturn(context.Background(), p.ID, url.Values{})
	if err != nil || got.Status != payments.StatusPaid {
		t.Errorf("HandleReturn after a real payment = %s, %v; want paid (from the query)", got.Status, err)
	}
}

func TestExpiryCancelsAtLatipay(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := context.Background()
	in := paymentstest.Input("ORDER-EXPIRE")
	in.ExpiresIn = time.Minute
	p := env.MustCreate(t, in)
	st := env.MustStart(t, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
	sub := env.Hub.Subscribe(p.ID)
	defer sub.Cancel()

	env.Clock.Advance(59 * time.Second)
	if n, err := env.Svc.ExpireDue(ctx, 10); err != nil || n != 0 {
		t.Fatalf("ExpireDue before the end = %d, %v; want 0", n, err)
	}
	env.Clock.Advance(time.Second)
	if n, err := env.Svc.ExpireDue(ctx, 10); err != nil || n != 1 {
		t.Fatalf("ExpireDue = %d, %v; want 1", n, err)
	}
	if u := waitUpdate(t, sub.C); u.Status != payments.StatusExpired {
		t.Errorf("update = %+v, want expired", u)
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusExpired {
		t.Errorf("status %s, want expired", got.Status)
	}
	// The live attempt is due at once; the reconciler cancels it at
	// Latipay and learns that it is final.
	if _, err := env.Svc.ReconcileDue(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if tx, _ := env.Sim.Transaction(st.Attempt.Reference); tx.Status != "canceled" {
		t.Errorf("simulator status %q, want canceled", tx.Status)
	}
	if _, err := env.Svc.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop}); !errors.Is(err, payments.ErrNotPayable) {
		t.Errorf("Start after expiry = %v, want ErrNotPayable", err)
	}
	env.Clock.Advance(time.Minute)
	if _, err := env.Svc.ReconcileDue(ctx, 10); err != nil {
		t.Fatal(err)
	}
	a, _ := env.Store.Attempt(ctx, st.Attempt.Reference)
	if a.Status.Live() {
		t.Errorf("attempt %s after reconciling a canceled transaction, want final", a.Status)
	}
}

func TestExpiryOnRead(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p := env.MustCreate(t, paymentstest.Input("ORDER-READ"))
	env.Clock.Advance(15 * time.Minute)
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusExpired {
		t.Errorf("Get after the window = %s, want expired", got.Status)
	}
}

func TestLatePaymentAfterExpiry(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := context.Background()
	p, st := env.MustStartQR(t, "ORDER-LATE")
	// Latipay does not answer the cancel, and the shopper pays anyway.
	env.Sim.SetFaults(latipaysim.Faults{ServerError: true})
	env.Clock.Advance(16 * time.Minute)
	if n, err := env.Svc.ExpireDue(ctx, 10); err != nil || n != 1 {
		t.Fatalf("ExpireDue = %d, %v; want 1", n, err)
	}
	env.Sim.SetFaults(latipaysim.Faults{})
	if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatalf("Pay: %v", err)
	}
	got := env.WaitStatus(t, p.ID, payments.StatusPaid)
	if !got.PaidLate || got.PaidAt.IsZero() {
		t.Errorf("payment = late %v paid_at %v, want paid late", got.PaidLate, got.PaidAt)
	}
}

func TestLatePaymentAfterFailure(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p, st := env.MustStartQR(t, "ORDER-FAILPAID")
	ref := st.Attempt.Reference
	ctx := context.Background()
	if err := env.Svc.HandleNotification(ctx, paymentstest.Notification(ref, "wechat", "failed", "NZD", "12.50")); err != nil {
		t.Fatal(err)
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusFailed {
		t.Fatalf("status %s, want failed", got.Status)
	}
	if err := env.Svc.HandleNotification(ctx, paymentstest.Notification(ref, "wechat", "paid", "NZD", "12.50")); err != nil {
		t.Fatal(err)
	}
	got := env.MustGet(t, p.ID)
	if got.Status != payments.StatusPaid || !got.PaidLate {
		t.Errorf("payment = %s late %v, want paid late (corrected to match Latipay)", got.Status, got.PaidLate)
	}
}

func TestRetryAfterFailure(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p := env.MustCreate(t, paymentstest.Input("ORDER-RETRY"))
	first := env.MustStart(t, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
	if err := env.Sim.Fail(first.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	env.WaitStatus(t, p.ID, payments.StatusFailed)
	second := env.MustStart(t, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
	if second.Attempt.Reference == first.Attempt.Reference {
		t.Errorf("retry reused reference %s, want a fresh one", first.Attempt.Reference)
	}
	if second.Payment.Status != payments.StatusPending || second.Payment.Attempts != 2 || second.Payment.LatipayReference != second.Attempt.Reference {
		t.Errorf("payment = %+v, want pending on the second attempt", second.Payment)
	}
	if err := env.Sim.Pay(second.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	if got := env.WaitStatus(t, p.ID, payments.StatusPaid); got.PaidLate {
		t.Error("PaidLate = true for the current attempt, want false")
	}
}

func TestMaxAttempts(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{Service: payments.Options{MaxAttempts: 2}})
	ctx := context.Background()
	p := env.MustCreate(t, paymentstest.Input("ORDER-MAX"))
	refs := map[string]bool{}
	for i := range 2 {
		st, err := env.Svc.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop, Fresh: true})
		if err != nil {
			t.Fatalf("Start #%d: %v", i+1, err)
		}
		refs[st.Attempt.Reference] = true
	}
	if len(refs) != 2 {
		t.Errorf("fresh starts gave %d references, want 2", len(refs))
	}
	_, err := env.Svc.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop, Fresh: true})
	if !errors.Is(err, payments.ErrTooManyAttempts) {
		t.Errorf("third Start = %v, want ErrTooManyAttempts", err)
	}
}

func TestStartGatewayFaults(t *testing.T) {
	tests := []struct {
		name    string
		faults  latipaysim.Faults
		timeout time.Duration
		want    error
	}{
		{"server error", latipaysim.Faults{ServerError: true}, 0, payments.ErrGatewayUnavailable},
		// A truncated body reads as a cut connection: unavailable, retried.
		{"malformed json", latipaysim.Faults{MalformedJSON: true}, 0, payments.ErrGatewayUnavailable},
		{"wrong signature", latipaysim.Faults{WrongSignature: true}, 0, payments.ErrBadSignature},
		// The simulator only notices a cancelled POST once it has read the
		// body, so its delay runs out in full: keep it short.
		{"slow", latipaysim.Faults{Delay: 2 * time.Second}, 500 * time.Millisecond, payments.ErrGatewayUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := paymentstest.NewEnv(t, paymentstest.Options{})
			p := env.MustCreate(t, paymentstest.Input("ORDER-FAULT"))
			env.Sim.SetFaults(tt.faults)
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			st, err := env.Svc.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Start = %v, want %v", err, tt.want)
			}
			if st.RedirectURL != "" || st.Attempt.QRCodeURL != "" {
				t.Errorf("Start gave %+v, want no redirect and no QR", st)
			}
			bg := context.Background()
			got := env.MustGet(t, p.ID)
			if got.Status.Settled() || got.Status == payments.StatusPending {
				t.Errorf("payment %s, want neither paid nor pending", got.Status)
			}
			as, err := env.Svc.Attempts(bg, p.ID)
			if err != nil || len(as) != 1 {
				t.Fatalf("attempts = %+v, %v; want one", as, err)
			}
			if a := as[0]; !a.Status.Live() || a.NextCheckAt.IsZero() {
				t.Errorf("attempt = %+v, want kept live for reconciliation", a)
			}
			if n := paymentstest.CountEvents(env.MustEvents(t, p.ID), "attempt.error"); n != 1 {
				t.Errorf("%d attempt.error events, want 1", n)
			}
			// Once Latipay behaves, the reconciler settles the attempt.
			env.Sim.SetFaults(latipaysim.Faults{})
			env.Clock.Advance(31 * time.Second)
			if _, err := env.Svc.ReconcileDue(bg, 10); err != nil {
				t.Fatal(err)
			}
			if got := env.MustGet(t, p.ID); got.Status == payments.StatusPaid {
				t.Errorf("payment paid without Latipay saying so")
			}
		})
	}
}

// TestReconcilePaced: a backlog of due attempts is queried at most
// QueryRate a second (HPP_RECONCILE_RATE), not as fast as Latipay
// answers, and is still worked through to the end.
func TestReconcilePaced(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{Service: payments.Options{QueryRate: 4}})
	var refs []string
	for i := range 12 {
		p := env.MustCreate(t, paymentstest.Input(fmt.Sprintf("ORDER-PACE-%d", i)))
		refs = append(refs, env.MustStart(t, p.ID, payments.MethodWeChat, payments.DeviceDesktop).Attempt.Reference)
	}
	env.Clock.Advance(31 * time.Second)
	checked := func() int {
		n := 0
		for _, r := range refs {
			if a, err := env.Store.Attempt(context.Background(), r); err == nil && a.Checks > 0 {
				n++
			}
		}
		return n
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); env.Svc.Run(ctx, 50*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	// Queries are a quarter second apart, however fast this machine
	// is: at most 3 in the first 600 ms.
	time.Sleep(600 * time.Millisecond)
	if n := checked(); n > 3 {
		t.Fatalf("%d attempts queried in the first 600 ms at 4 a second, want at most 3", n)
	}
	deadline := time.Now().Add(30 * time.Second)
	for checked() < len(refs) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d due attempts queried after 30 s", checked(), len(refs))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStartReturnsStoredAttempt: the attempt Start returns is the one
// stored, field for field (Start takes it from its own write instead of
// reading it back).
func TestStartReturnsStoredAttempt(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	for _, d := range []payments.Device{payments.DeviceDesktop, payments.DevicePhone} {
		p := env.MustCreate(t, paymentstest.Input("ORDER-RET-"+string(d)))
		st := env.MustStart(t, p.ID, payments.MethodWeChat, d)
		stored, err := env.Store.Attempt(context.Background(), st.Attempt.Reference)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(st.Attempt, stored) {
			t.Errorf("%s: Start returned %+v, stored %+v", d, st.Attempt, stored)
		}
		if st.Attempt.Status != payments.AttemptPending {
			t.Errorf("%s: attempt %s, want pending", d, st.Attempt.Status)
		}
	}
}

// TestReferenceRefusesInvisible: a reference with any bidirectional
// control or invisible format character is refused, and a description
// loses them, so two orders cannot be made to look alike on a receipt or
// in the back office.
func TestReferenceRefusesInvisible(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	for _, r := range []rune{'\u061c', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u202a', '\u202b',
		'\u202c', '\u202d', '\u202e', '\u2060', '\u2066', '\u2067', '\u2068', '\u2069', '\ufeff', '\u00ad',
		'\u2028', '\u2029', '\u180e', '\u3164', '\U000e0041'} {
		in := paymentstest.Input("ORDER" + string(r) + "1")
		if _, _, err := env.Svc.Create(context.Background(), in, ""); !errors.Is(err, payments.ErrInvalid) {
			t.Errorf("Create(reference with U+%04X) = %v, want ErrInvalid", r, err)
		}
		in = paymentstest.Input("ORDER-OK-" + string('A'+r%26))
		in.Description = "Mug" + string(r) + "s"
		p, _, err := env.Svc.Create(context.Background(), in, "")
		if err != nil || p.Description != "Mugs" {
			t.Errorf("Create(description with U+%04X) = %q, %v, want %q", r, p.Description, err, "Mugs")
		}
	}
	if _, _, err := env.Svc.Create(context.Background(), paymentstest.Input("订单-１"), ""); err != nil {
		t.Errorf("Create(visible non-ASCII reference) = %v, want accepted", err)
	}
}

// TestAttemptsCountedPerClient: someone else holding the checkout URL who
// uses up MaxAttempts does not lock the shopper out; the shopper has
// their own MaxAttempts, and a payment takes at most five clients' worth.
func TestAttemptsCountedPerClient(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{Service: payments.Options{MaxAttempts: 2}})
	ctx := context.Background()
	p := env.MustCreate(t, paymentstest.Input("ORDER-PER-CLIENT"))
	start := func(ip string) error {
		_, err := env.Svc.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop, Fresh: true, ClientIP: ip})
		return err
	}
	for i := range 2 {
		if err := start("198.51.100.66"); err != nil {
			t.Fatalf("third party's Start #%d: %v", i+1, err)
		}
	}
	if err := start("198.51.100.66"); !errors.Is(err, payments.ErrTooManyAttempts) {
		t.Errorf("third party's third Start = %v, want ErrTooManyAttempts", err)
	}
	if err := start("203.0.113.5"); err != nil {
		t.Errorf("the shopper's Start after a third party used up theirs = %v, want it to go ahead", err)
	}
	for i := range 8 { // four more clients' worth: the payment's ceiling of 5 x 2
		_ = start("192.0.2." + string(rune('1'+i/2)))
	}
	if err := start("192.0.2.200"); !errors.Is(err, payments.ErrTooManyAttempts) {
		t.Errorf("Start past the payment's ceiling = %v, want ErrTooManyAttempts", err)
	}
	as, err := env.Store.Attempts(ctx, p.ID)
	if err != nil || len(as) != 10 || as[0].Client == "" || strings.Contains(as[0].Client, "198.51") {
		t.Errorf("stored attempts = %d, %v; want 10, each with a hashed client", len(as), err)
	}
}

// targetStore offers NotificationTarget (answered from the two reads
// underneath) and counts which of the callback's reads the service asks.
type targetStore struct {
	payments.Store
	target, seen, attempt atomic.Int64
}

func (s *targetStore) NotificationTarget(ctx context.Context, ref, digest string) (bool, string, error) {
	s.target.Add(1)
	if seen, err := s.Store.NotificationSeen(ctx, ref, digest); err != nil || seen {
		return seen, "", err
	}
	id, err := s.Store.AttemptPayment(ctx, ref)
	if errors.Is(err, payments.ErrNotFound) {
		return false, "", nil
	}
	return false, id, err
}

func (s *targetStore) NotificationSeen(ctx context.Context, ref, digest string) (bool, error) {
	s.seen.Add(1)
	return s.Store.NotificationSeen(ctx, ref, digest)
}

func (s *targetStore) AttemptPayment(ctx context.Context, ref string) (string, error) {
	s.attempt.Add(1)
	return s.Store.AttemptPayment(ctx, ref)
}

// TestCallbackAsksNotificationTarget: with a store that answers the
// duplicate check and the attempt's payment in one read, a callback asks
// only that: a first paid callback is applied, its repeat acknowledged
// without a write, and one for an unknown reference kept as an orphan.
func TestCallbackAsksNotificationTarget(t *testing.T) {
	var store *targetStore
	env := paymentstest.NewEnv(t, paymentstest.Options{WrapStore: func(s payments.Store) payments.Store {
		store = &targetStore{Store: s}
		return store
	}})
	p, st := env.MustStartQR(t, "ORDER-TARGET")
	paid := paymentstest.Notification(st.Attempt.Reference, "wechat", "paid", "NZD", "12.50")
	orphan := paymentstest.Notification(strings.Repeat("Z", len(st.Attempt.Reference)), "wechat", "paid", "NZD", "12.50")
	for i, form := range []url.Values{paid, paid, orphan} {
		if err := env.Svc.HandleNotification(t.Context(), form); err != nil {
			t.Fatalf("HandleNotification #%d = %v, want nil", i, err)
		}
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusPaid || got.Version != st.Payment.Version+1 {
		t.Errorf("payment %s version %d, want paid at version %d", got.Status, got.Version, st.Payment.Version+1)
	}
	if ns, err := env.Store.Notifications(t.Context(), orphan.Get("merchant_reference")); err != nil || len(ns) != 1 || ns[0].Result != "orphan" {
		t.Errorf("orphan's notifications = %+v, %v; want one orphan", ns, err)
	}
	if n, s, a := store.target.Load(), store.seen.Load(), store.attempt.Load(); n != 3 || s != 0 || a != 0 {
		t.Errorf("NotificationTarget %d, NotificationSeen %d, AttemptPayment %d calls; want 3, 0, 0", n, s, a)
	}
}
