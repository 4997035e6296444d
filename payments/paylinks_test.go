package payments_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// newLinks wires the links service over the test env's SQLite store.
// MerchantOrigins is set so that a link's return URL (this app's home
// page, not a merchant origin) must be let through.
func newLinks(t *testing.T) (*payments.Links, *paymentstest.Env) {
	t.Helper()
	env := paymentstest.NewEnv(t, paymentstest.Options{Service: payments.Options{
		MerchantOrigins: []string{"https://shop.example"}, Currencies: []string{"NZD", "AUD"}}})
	ls, err := payments.NewLinks(env.Store, env.Svc, func(id string) string { return "https://pay.example/l/" + id }, "https://pay.example/")
	if err != nil {
		t.Fatal(err)
	}
	return ls, env
}

func TestLinkCreateProblems(t *testing.T) {
	ls, env := newLinks(t)
	past := env.Clock.Now().Add(-time.Minute)
	tests := []struct {
		name string
		in   payments.LinkInput
		want []payments.LinkProblem
	}{
		{"min above max", payments.LinkInput{Currency: "NZD", MinAmount: "50.00", MaxAmount: "10.00"},
			[]payments.LinkProblem{payments.LinkMinAboveMax}},
		{"zero fixed", payments.LinkInput{Currency: "NZD", Amount: "0"}, []payments.LinkProblem{payments.LinkBadAmount}},
		{"no bounds", payments.LinkInput{Currency: "NZD"}, []payments.LinkProblem{payments.LinkBadMin, payments.LinkBadMax}},
		{"currency without wallet", payments.LinkInput{Currency: "CNY", Amount: "1.00"}, []payments.LinkProblem{payments.LinkBadCurrency}},
		{"past expiry and bad uses", payments.LinkInput{Currency: "NZD", Amount: "1.00", ExpiresAt: past, MaxUses: "-1"},
			[]payments.LinkProblem{payments.LinkBadExpiry, payments.LinkBadUses}},
		{"static with a limit", payments.LinkInput{Source: payments.SourceStaticQR, Currency: "NZD", MinAmount: "1", MaxAmount: "9", MaxUses: "3"},
			[]payments.LinkProblem{payments.LinkStaticLimited}},
		{"unknown source", payments.LinkInput{Source: payments.SourceCounterQR, Currency: "NZD", Amount: "1"},
			[]payments.LinkProblem{payments.LinkBadSource}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ls.Create(t.Context(), tt.in)
			var le *payments.LinkError
			if !errors.As(err, &le) || !errors.Is(err, payments.ErrInvalid) {
				t.Fatalf("Create = %v, want a LinkError", err)
			}
			if d := cmp.Diff(tt.want, le.Problems); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
		})
	}
	all, err := ls.List(t.Context(), "", "", 10)
	if err != nil || len(all) != 0 {
		t.Errorf("after refused input the store holds %d links, %v; want none", len(all), err)
	}
}

func TestLinkPayOpenAmount(t *testing.T) {
	ls, env := newLinks(t)
	ctx := t.Context()
	l, err := ls.Create(ctx, payments.LinkInput{Currency: "NZD", MinAmount: "5.00", MaxAmount: "200",
		Descriptions: map[string]string{"en": "Deposit", "zh-Hans": "订金"}, MaxUses: "2"})
	if err != nil {
		t.Fatal(err)
	}
	if !payments.ValidLinkID(l.ID) {
		t.Fatalf("link id %q is not a valid link id", l.ID)
	}
	for typed, want := range map[string]payments.LinkProblem{
		"4.99": payments.LinkAmountBelow, "200.01": payments.LinkAmountAbove, "0": payments.LinkAmountBelow,
		"abc": payments.LinkAmountNotNumber, "": payments.LinkAmountNotNumber, "-5": payments.LinkAmountBelow,
		"0.00": payments.LinkAmountBelow, "－５": payments.LinkAmountBelow, "-12.345": payments.LinkAmountBelow,
		"12.345": payments.LinkAmountDecimals, "１２．３４５": payments.LinkAmountDecimals, "0.001": payments.LinkAmountDecimals,
		"99999999999999": payments.LinkAmountAbove, "012": payments.LinkAmountNotNumber, ".5": payments.LinkAmountNotNumber,
		"1.2.3": payments.LinkAmountNotNumber, "1e3": payments.LinkAmountNotNumber, "-": payments.LinkAmountNotNumber,
		"12.": payments.LinkAmountNotNumber,
	} {
		_, err := ls.Pay(ctx, l.ID, typed, "en", "")
		var le *payments.LinkError
		if !errors.As(err, &le) || !le.Has(want) {
			t.Errorf("Pay(%q) = %v, want problem %s", typed, err, want)
		}
	}
	p, err := ls.Pay(ctx, l.ID, "12.5", "zh-Hans", "")
	if err != nil {
		t.Fatalf("Pay(12.5): %v", err)
	}
	if p.Amount != 1250 || p.Currency != payments.NZD || p.Source != payments.SourceLink || p.Description != "订金" {
		t.Errorf("payment = %d %s source %q description %q; want 1250 NZD link 订金", p.Amount, p.Currency, p.Source, p.Description)
	}
	if p2, err := ls.Pay(ctx, l.ID, "200", "zh-Hant", ""); err != nil || p2.Description != "订金" {
		t.Errorf("second payment: %v, description %q (zh-Hant missing: falls back to Simplified, not English)", err, p2.Description)
	}
	if _, err := ls.Pay(ctx, l.ID, "10", "en", ""); !errors.Is(err, payments.ErrLinkUsedUp) {
		t.Errorf("third payment of a 2-use link = %v, want ErrLinkUsedUp", err)
	}
	got, _ := ls.Get(ctx, l.ID)
	if got.Uses != 2 {
		t.Errorf("uses = %d, want 2 (refused amounts count none)", got.Uses)
	}
	_ = env
}

func TestLinkPayStates(t *testing.T) {
	ls, env := newLinks(t)
	ctx := t.Context()
	fixed, err := ls.Create(ctx, payments.LinkInput{Currency: "AUD", Amount: "9.90", ExpiresAt: env.Clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := ls.Pay(ctx, fixed.ID, "1000", "en", "") // the typed amount is ignored
	if err != nil || p.Amount != 990 || p.Currency != payments.AUD {
		t.Fatalf("fixed link payment = %d %s, %v; want 990 AUD", p.Amount, p.Currency, err)
	}
	if _, err := ls.SetActive(ctx, fixed.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Pay(ctx, fixed.ID, "", "en", ""); !errors.Is(err, payments.ErrLinkInactive) {
		t.Errorf("deactivated: %v, want ErrLinkInactive", err)
	}
	if _, err := ls.SetActive(ctx, fixed.ID, true); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(time.Hour)
	if _, err := ls.Pay(ctx, fixed.ID, "", "en", ""); !errors.Is(err, payments.ErrLinkExpired) {
		t.Errorf("expired: %v, want ErrLinkExpired", err)
	}
	if _, err := ls.Pay(ctx, "00000000000000000000000000", "", "en", ""); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("unknown link: %v, want ErrNotFound", err)
	}
	st, err := ls.Create(ctx, payments.LinkInput{Source: payments.SourceStaticQR, Currency: "NZD", MinAmount: "0.01", MaxAmount: "5000"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := ls.Pay(ctx, st.ID, "3.20", "en", ""); err != nil || p.Source != payments.SourceStaticQR {
		t.Errorf("static QR payment: source %q, %v; want static_qr", p.Source, err)
	}
}

// TestLinkPayConcurrent: twelve shoppers pay a 3-use link at once; three
// payments are made and the rest are told it is used up.
func TestLinkPayConcurrent(t *testing.T) {
	ls, _ := newLinks(t)
	ctx := t.Context()
	l, err := ls.Create(ctx, payments.LinkInput{Currency: "NZD", Amount: "1.00", MaxUses: "3"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	made, usedUp := 0, 0
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := ls.Pay(ctx, l.ID, "", "en", "")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				made++
			case errors.Is(err, payments.ErrLinkUsedUp):
				usedUp++
			default:
				t.Errorf("Pay: %v", err)
			}
		}()
	}
	wg.Wait()
	if made != 3 || usedUp != 9 {
		t.Errorf("12 concurrent payments of a 3-use link: %d made, %d used up; want 3 and 9", made, usedUp)
	}
}

// TestLinkPayReplay: the same form submitted twice (a double tap) answers
// the same payment and counts one use, even on a one-use link; the same
// key with another amount is another payment.
func TestLinkPayReplay(t *testing.T) {
	ls, _ := newLinks(t)
	ctx := t.Context()
	l, err := ls.Create(ctx, payments.LinkInput{Currency: "NZD", MinAmount: "1", MaxAmount: "50", MaxUses: "1"})
	if err != nil {
		t.Fatal(err)
	}
	const key = "form-key-0123456789"
	p1, err := ls.Pay(ctx, l.ID, "7.00", "en", key)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := ls.Pay(ctx, l.ID, "7.00", "en", key)
	if err != nil || p2.ID != p1.ID {
		t.Errorf("the same submission again = %s, %v; want the first payment %s", p2.ID, err, p1.ID)
	}
	if got, _ := ls.Get(ctx, l.ID); got.Uses != 1 {
		t.Errorf("uses after a double submission = %d, want 1", got.Uses)
	}
	if _, err := ls.Pay(ctx, l.ID, "8.00", "en", key); !errors.Is(err, payments.ErrLinkUsedUp) {
		t.Errorf("another amount on the used-up link = %v, want ErrLinkUsedUp", err)
	}
}

// failCreate fails CreatePayment while fail is set: the store lost
// between counting a link's use and making its payment.
type failCreate struct {
	payments.Store
	fail atomic.Bool
}

func (s *failCreate) CreatePayment(ctx context.Context, p payments.Payment, ev payments.Event, idem payments.Idempotency) (payments.Payment, bool, error) {
	if s.fail.Load() {
		return payments.Payment{}, false, errors.New("disk I/O error")
	}
	return s.Store.CreatePayment(ctx, p, ev, idem)
}

// noRelease fails ReleaseLink, so a use whose payment could not be made
// keeps its place, as when the process stops before giving it back.
type noRelease struct{ payments.LinkStore }

func (noRelease) ReleaseLink(context.Context, string, string) error {
	return errors.New("disk I/O error")
}

// TestLinkSweepGivesBackOrphanedPlace: a 1-use link's place taken by a
// checkout whose payment was never made (its creation failed and so did
// giving the place back) is held by nothing: the link refuses every
// shopper until the sweep, once the use is older than any creation could
// take, gives it back. A younger one is left alone.
func TestLinkSweepGivesBackOrphanedPlace(t *testing.T) {
	var logs paymentstest.SyncBuffer
	var fc *failCreate
	env := paymentstest.NewEnv(t, paymentstest.Options{
		Log: slog.New(slog.NewTextHandler(&logs, nil)),
		WrapStore: func(s payments.Store) payments.Store {
			fc = &failCreate{Store: s}
			return fc
		},
		Service: payments.Options{Currencies: []string{"NZD"}},
	})
	ls, err := payments.NewLinks(noRelease{env.Store}, env.Svc, func(id string) string { return "https://pay.example/l/" + id }, "https://pay.example/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	l, err := ls.Create(ctx, payments.LinkInput{Currency: "NZD", Amount: "25.00", MaxUses: "1"})
	if err != nil {
		t.Fatal(err)
	}
	fc.fail.Store(true)
	if _, err := ls.Pay(ctx, l.ID, "", "en", "first-shopper-key"); err == nil {
		t.Fatal("Pay with the store failing made a payment")
	}
	fc.fail.Store(false)
	if _, err := ls.Pay(ctx, l.ID, "", "en", ""); !errors.Is(err, payments.ErrLinkUsedUp) {
		t.Fatalf("Pay with the place held by no payment = %v, want ErrLinkUsedUp", err)
	}

	env.Clock.Advance(9 * time.Minute)
	if n, err := ls.SweepUses(ctx); err != nil || n != (payments.LinkSweep{}) {
		t.Errorf("sweep 9 minutes on = %+v, %v; want nothing settled", n, err)
	}
	if _, err := ls.Pay(ctx, l.ID, "", "en", ""); !errors.Is(err, payments.ErrLinkUsedUp) {
		t.Errorf("Pay after the early sweep = %v, want ErrLinkUsedUp", err)
	}

	env.Clock.Advance(2 * time.Minute)
	if n, err := ls.SweepUses(ctx); err != nil || n != (payments.LinkSweep{Released: 1}) {
		t.Errorf("sweep 11 minutes on = %+v, %v; want 1 released", n, err)
	}
	if !strings.Contains(logs.String(), "level=INFO") || !strings.Contains(logs.String(), "released=1") {
		t.Errorf("the sweep logged %q; want an INFO line with released=1", logs.String())
	}
	p, err := ls.Pay(ctx, l.ID, "", "en", "")
	if err != nil || p.Amount != 2500 {
		t.Fatalf("Pay after the sweep = %d, %v; want a 25.00 payment", p.Amount, err)
	}
	if got, _ := ls.Get(ctx, l.ID); got.Uses != 1 || got.Open() != 1 {
		t.Errorf("uses %d, open %d; want 1 and 1", got.Uses, got.Open())
	}
}

// TestLinkSweepFollowsUntiedPayment: a checkout an earlier version made
// (PostgreSQL instances of two versions side by side) did not tie its
// payment to its use, so the payment's expiry, here through the
// reconciler's ExpireDue, gives nothing back. The sweep finds the payment
// by its idempotency key, ties it and gives the place back; paid late
// afterwards, it counts again.
func TestLinkSweepFollowsUntiedPayment(t *testing.T) {
	ls, env := newLinks(t)
	ctx := t.Context()
	l, err := ls.Create(ctx, payments.LinkInput{Currency: "NZD", Amount: "25.00", MaxUses: "1"})
	if err != nil {
		t.Fatal(err)
	}
	now := env.Clock.Now().UTC()
	const key = "old-version-key:2500"
	if _, used, _, err := env.Store.UseLink(ctx, l.ID, key, now); err != nil || !used {
		t.Fatalf("UseLink = %v, %v", used, err)
	}
	p := payments.Payment{ID: "pay_01JNX0000000000000000000AA", Reference: "L-" + l.ID[:10] + "-old-version-key",
		Amount: 2500, Currency: payments.NZD, Status: payments.StatusCreated, Source: payments.SourceLink, Version: 1,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
	if _, _, err := env.Store.CreatePayment(ctx, p, payments.Event{PaymentID: p.ID, Type: "payment.created", To: payments.StatusCreated, CreatedAt: now},
		payments.Idempotency{Key: "link:" + l.ID + ":" + key, Hash: "h"}); err != nil {
		t.Fatal(err)
	}

	env.Clock.Advance(11 * time.Minute)
	if n, err := ls.SweepUses(ctx); err != nil || n != (payments.LinkSweep{}) {
		t.Errorf("sweep while the payment is open = %+v, %v; want nothing settled", n, err)
	}
	env.Clock.Advance(5 * time.Minute)
	if n, err := env.Svc.ExpireDue(ctx, 10); err != nil || n != 1 {
		t.Fatalf("ExpireDue = %d, %v; want 1", n, err)
	}
	if _, err := ls.Pay(ctx, l.ID, "", "en", ""); !errors.Is(err, payments.ErrLinkUsedUp) {
		t.Fatalf("Pay with the place held by an expired untied payment = %v, want ErrLinkUsedUp", err)
	}
	if n, err := ls.SweepUses(ctx); err != nil || n != (payments.LinkSweep{Released: 1, Tied: 1}) {
		t.Errorf("sweep after the expiry = %+v, %v; want 1 tied and released", n, err)
	}
	if got, _ := ls.Get(ctx, l.ID); got.Uses != 0 || got.Paid != 0 {
		t.Errorf("after the sweep: uses %d, paid %d; want 0, 0", got.Uses, got.Paid)
	}
	if _, err := env.Store.Update(ctx, p.ID, func(tx *payments.Tx) error {
		tx.Payment.Status = payments.StatusPaid
		tx.SetLinkUse(payments.LinkUsePaid)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := ls.Get(ctx, l.ID); got.Uses != 1 || got.Paid != 1 {
		t.Errorf("paid late after the sweep tied it: uses %d, paid %d; want 1, 1", got.Uses, got.Paid)
	}
}

// TestLinkStateBusyOrUsedUp: a link with every place taken is used up
// only when its paid payments reached the maximum; while open checkouts
// hold the places left it is busy, which still means no place is free.
func TestLinkStateBusyOrUsedUp(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		uses, paid int
		want       error
	}{{1, 0, payments.ErrLinkBusy}, {2, 1, payments.ErrLinkBusy}, {2, 2, payments.ErrLinkUsedUp}, {3, 3, payments.ErrLinkUsedUp}, {1, 1, nil}} {
		l := payments.Link{Active: true, MaxUses: 2, Uses: c.uses, Paid: c.paid}
		if c.uses == 1 && c.paid == 0 {
			l.MaxUses = 1
		}
		got := l.State(now)
		if got != c.want || (got != nil && !errors.Is(got, payments.ErrLinkUsedUp)) {
			t.Errorf("uses %d, paid %d of %d: State = %v, want %v (matching ErrLinkUsedUp)", c.uses, c.paid, l.MaxUses, got, c.want)
		}
	}
}
