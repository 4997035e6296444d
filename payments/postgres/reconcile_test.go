package postgres_test

import (
	"context"
	"crypto/rand"
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

// TestReconcileTwoInstances is P0 34's store side (e2e/README.md) on
// PostgreSQL: two services, as two instances, on one database race
// ReconcileDue over the same due attempts, repeatedly. Each attempt is
// queried once per tick, never by both at once, and each paid attempt makes
// one transition.
func TestReconcileTwoInstances(t *testing.T) {
	const n = 20
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
	sim.SetFaults(latipaysim.Faults{DropCallbacks: true, Delay: 5 * time.Millisecond})
	qc := paymentstest.NewQueryLog()
	srv.Config.Handler = qc.Wrap("", sim)
	srv.Start()
	t.Cleanup(func() { sim.Close(); srv.Close() })
	client, err := latipay.New(latipay.Config{BaseURL: base, UserID: paymentstest.UserID, APIKey: paymentstest.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := latipay.NewGateway(client, map[string]string{"NZD": paymentstest.WalletNZD})
	if err != nil {
		t.Fatal(err)
	}
	var svcs []*payments.Service
	for range 2 {
		db, err := postgres.Open(t.Context(), url, clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		h := hub.New()
		t.Cleanup(h.Close)
		svc, err := payments.NewService(db, gw, h, slog.New(slog.DiscardHandler), clock.Now, rand.Reader, payments.Options{
			CallbackURL:    "https://hpp.example/latipay/callback",
			ReturnURLFor:   func(id string) string { return "https://hpp.example/checkout/" + id + "/return" },
			CheckoutURLFor: func(id string) string { return "https://hpp.example/checkout/" + id },
		})
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, svc)
	}
	ctx := context.Background()
	var refs []string
	ids := map[string]string{}
	for i := range n {
		p, _, err := svcs[i%2].Create(ctx, paymentstest.Input(fmt.Sprintf("order-%d", i)), "")
		if err != nil {
			t.Fatal(err)
		}
		st, err := svcs[i%2].Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat",
			Device: payments.DeviceDesktop, ClientIP: "203.0.113.7"})
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, st.Payment.LatipayReference)
		ids[st.Payment.LatipayReference] = p.ID
	}
	for i, ref := range refs {
		if i%2 == 0 { // half paid at Latipay, half still pending
			if err := sim.Pay(ref); err != nil {
				t.Fatal(err)
			}
		}
	}

	for tick := 1; tick <= 3; tick++ {
		clock.Advance(31 * time.Second) // every live attempt is due again
		var wg sync.WaitGroup
		total := make([]int, 2)
		for i, svc := range svcs {
			wg.Go(func() {
				// Small batches, as Run drains them, so the two interleave.
				for {
					got, err := svc.ReconcileDue(ctx, 3)
					if err != nil {
						t.Errorf("ReconcileDue: %v", err)
					}
					total[i] += got
					if got < 3 || err != nil {
						return
					}
				}
			})
		}
		wg.Wait()
		t.Logf("tick %d: instance 1 reconciled %d, instance 2 %d", tick, total[0], total[1])
		live := n
		if tick > 1 {
			live = n / 2 // the paid ones are final after the first tick
		}
		if total[0]+total[1] != live {
			t.Errorf("tick %d: the two instances reconciled %d + %d attempts, want %d in all", tick, total[0], total[1], live)
		}
		for i, ref := range refs {
			want := min(tick, 1)
			if i%2 != 0 {
				want = tick
			}
			if got := qc.Count("", ref); got != want {
				t.Errorf("tick %d: attempt %s queried %d times, want %d", tick, ref, got, want)
			}
		}
	}
	if o := qc.Overlaps(); len(o) > 0 {
		t.Errorf("attempts queried by both instances at once: %v", o)
	}
	for i, ref := range refs {
		evs, err := svcs[1].Events(ctx, ids[ref])
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if i%2 == 0 {
			want = 1
		}
		if got := paymentstest.CountEvents(evs, "payment.paid"); got != want {
			t.Errorf("payment of %s: %d payment.paid events, want %d", ref, got, want)
		}
	}
}
