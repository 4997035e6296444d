package postgres_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/postgres"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// silentGateway is Latipay not answering cancels nor queries; callbacks
// still verify with the real client.
type silentGateway struct{ payments.Gateway }

var errSilent = errors.New("cancel test: Latipay does not answer")

func (silentGateway) Cancel(context.Context, string) error { return errSilent }
func (silentGateway) Query(context.Context, string) (payments.GatewayResult, error) {
	return payments.GatewayResult{}, errSilent
}

// cancelInstances are two services on one PostgreSQL database, as two
// instances: the first over the simulator, the second over it too, or,
// with silent, over a Latipay that does not answer.
func cancelInstances(t *testing.T, silent bool) (*latipaysim.Simulator, [2]*payments.Service) {
	t.Helper()
	url := pgtest.Schema(t)
	clock := paymentstest.NewClock(time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC))
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	sim, err := latipaysim.New(latipaysim.Options{BaseURL: base,
		Merchants: []latipaysim.Merchant{{UserID: paymentstest.UserID, APIKey: paymentstest.APIKey,
			Wallets: map[string]string{paymentstest.WalletNZD: "NZD"}}}})
	if err != nil {
		t.Fatal(err)
	}
	sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	srv.Config.Handler = sim
	srv.Start()
	t.Cleanup(func() { sim.Close(); srv.Close() })
	client, err := latipay.New(latipay.Config{BaseURL: base, UserID: paymentstest.UserID, APIKey: paymentstest.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	gw0, err := latipay.NewGateway(client, map[string]string{"NZD": paymentstest.WalletNZD})
	if err != nil {
		t.Fatal(err)
	}
	var svcs [2]*payments.Service
	for i := range svcs {
		var gw payments.Gateway = gw0
		if i == 1 && silent {
			gw = silentGateway{gw0}
		}
		db, err := postgres.Open(t.Context(), url, clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		h := hub.New()
		t.Cleanup(h.Close)
		svcs[i], err = payments.NewService(db, gw, h, slog.New(slog.DiscardHandler), clock.Now, rand.Reader, payments.Options{
			CallbackURL:    "https://hpp.example/latipay/callback",
			ReturnURLFor:   func(id string) string { return "https://hpp.example/checkout/" + id + "/return" },
			CheckoutURLFor: func(id string) string { return "https://hpp.example/checkout/" + id },
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return sim, svcs
}

func countTypes(evs []payments.Event) map[string]int {
	n := map[string]int{}
	for _, e := range evs {
		n[e.Type]++
	}
	return n
}

// TestCancelOfPaidAtLatipay on PostgreSQL: the shopper paid, its
// callbacks were lost; the other instance's cancel learns it from
// Latipay, records the payment paid and is refused.
func TestCancelOfPaidAtLatipay(t *testing.T) {
	sim, svcs := cancelInstances(t, false)
	ctx := context.Background()
	p, _, err := svcs[0].Create(ctx, paymentstest.Input("ORDER-PG-CANCEL"), "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := svcs[0].Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop, ClientIP: "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	got, err := svcs[1].Cancel(ctx, p.ID)
	if !errors.Is(err, payments.ErrAlreadyPaid) || got.Status != payments.StatusPaid || got.NeedsReview {
		t.Fatalf("Cancel = %s needs_review %v, %v; want paid, ErrAlreadyPaid", got.Status, got.NeedsReview, err)
	}
	evs, err := svcs[0].Events(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := countTypes(evs); n["payment.paid"] != 1 || n["payment.canceled"] != 0 {
		t.Errorf("events %v, want one payment.paid and no payment.canceled", n)
	}
}

// TestCancelRacesPaidCallback on PostgreSQL: a paid callback on one
// instance races a cancel on the other, whose Latipay does not answer.
// Each round ends one way or the other: paid and the cancel refused
// (ErrAlreadyPaid, whether the callback came first or while the cancel
// asked Latipay), or
// canceled then paid late under review; never both events unreviewed.
func TestCancelRacesPaidCallback(t *testing.T) {
	const rounds = 20
	sim, svcs := cancelInstances(t, true)
	ctx := context.Background()
	refused, late := 0, 0
	for i := range rounds {
		p, _, err := svcs[0].Create(ctx, paymentstest.Input(fmt.Sprintf("ORDER-PG-RACE-%d", i)), "")
		if err != nil {
			t.Fatal(err)
		}
		st, err := svcs[0].Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop, ClientIP: "203.0.113.7"})
		if err != nil {
			t.Fatal(err)
		}
		ref := st.Attempt.Reference
		if err := sim.Pay(ref); err != nil {
			t.Fatal(err)
		}
		var cerr, nerr error
		var wg sync.WaitGroup
		wg.Go(func() { _, cerr = svcs[1].Cancel(ctx, p.ID) })
		wg.Go(func() {
			nerr = svcs[0].HandleNotification(ctx, paymentstest.Notification(ref, "wechat", "paid", "NZD", "12.50"))
		})
		wg.Wait()
		if nerr != nil {
			t.Fatalf("round %d: callback: %v", i, nerr)
		}
		got, err := svcs[0].Get(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := svcs[0].Events(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := countTypes(evs)
		switch {
		case errors.Is(cerr, payments.ErrAlreadyPaid):
			// The callback committed before the cancel began, or while it
			// asked Latipay: paid either way, and the cancel says so.
			refused++
			if got.Status != payments.StatusPaid || got.PaidLate || got.NeedsReview || n["payment.canceled"] != 0 || n["payment.paid"] != 1 {
				t.Errorf("round %d: cancel refused but payment %s late %v review %v, events %v", i, got.Status, got.PaidLate, got.NeedsReview, n)
			}
		case cerr == nil:
			late++
			if got.Status != payments.StatusPaid || !got.PaidLate || !got.NeedsReview || n["payment.canceled"] != 1 || n["payment.paid"] != 1 {
				t.Errorf("round %d: canceled, then payment %s late %v review %v, events %v; want paid late under review", i, got.Status, got.PaidLate, got.NeedsReview, n)
			}
		default:
			t.Errorf("round %d: Cancel = %v", i, cerr)
		}
	}
	t.Logf("%d rounds: cancel refused %d, canceled then paid late %d", rounds, refused, late)
}
