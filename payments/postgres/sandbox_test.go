package postgres_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/postgres"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// sharedSim is one instance's simulated Latipay: a simulator whose
// journal is its own connection pool to the shared schema, the client
// that reaches it over HTTP, and where its callbacks go.
type sharedSim struct {
	sim    *latipaysim.Simulator
	client *latipay.Client
}

// newSharedSim starts a simulator on the schema at url, as sandbox mode
// does (main.go); callback answers its callbacks.
func newSharedSim(t *testing.T, url string, callback http.HandlerFunc) sharedSim {
	t.Helper()
	db, err := postgres.Open(t.Context(), url, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	sim, err := latipaysim.New(latipaysim.Options{BaseURL: base, Journal: db,
		Merchants: []latipaysim.Merchant{{UserID: paymentstest.UserID, APIKey: paymentstest.APIKey,
			Wallets: map[string]string{paymentstest.WalletNZD: "NZD"}}},
		CallbackInterval: time.Millisecond,
		CallbackClient:   &http.Client{Transport: latipaysim.NewTransport(callback)}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = sim
	srv.Start()
	t.Cleanup(func() { sim.Close(); srv.Close() })
	client, err := latipay.New(latipay.Config{BaseURL: base, UserID: paymentstest.UserID, APIKey: paymentstest.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	return sharedSim{sim: sim, client: client}
}

// sent acknowledges every callback.
func sent(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("sent")) }

// create makes a pending NZD 10.00 WeChat transaction through s.
func (s sharedSim) create(t *testing.T, ref string) {
	t.Helper()
	_, err := s.client.CreateTransaction(t.Context(), latipay.CreateRequest{WalletID: paymentstest.WalletNZD,
		Amount: "10.00", PaymentMethod: "wechat", MerchantReference: ref, ReturnURL: "https://hpp.example/return",
		CallbackURL: "https://hpp.example/latipay/callback", IP: "203.0.113.9", ProductName: "Tea"})
	if err != nil {
		t.Fatalf("create %s: %v", ref, err)
	}
}

// TestSandboxSimulatorsShareTheLedger: two instances on one database,
// each with its own simulated Latipay, are one Latipay. A transaction
// made through one is queried, paid and refunded through the other, and
// the refunds made through both add up on both; refunds sent through
// both at once never exceed the amount.
func TestSandboxSimulatorsShareTheLedger(t *testing.T) {
	url := pgtest.Schema(t)
	a, b := newSharedSim(t, url, sent), newSharedSim(t, url, sent)
	ctx := t.Context()

	a.create(t, "SHARED-1")
	r, err := b.client.Query(ctx, "SHARED-1", false)
	if err != nil || r.Status != "pending" {
		t.Fatalf("query through the other instance = %+v, %v; want pending", r, err)
	}
	if err := b.sim.Simulate("SHARED-1", "paid"); err != nil {
		t.Fatalf("simulate paid through the other instance: %v", err)
	}
	if r, err = a.client.Query(ctx, "SHARED-1", false); err != nil || r.Status != "paid" {
		t.Fatalf("query after paying through the other instance = %+v, %v; want paid", r, err)
	}
	if err := a.sim.Simulate("SHARED-1", "failed"); !errors.Is(err, latipaysim.ErrNotPending) {
		t.Errorf("simulate failed after paid elsewhere = %v, want ErrNotPending", err)
	}
	if err := a.client.Refund(ctx, r.OrderID, "1.00", "first"); err != nil {
		t.Fatalf("refund 1.00 through A: %v", err)
	}
	if err := b.client.Refund(ctx, r.OrderID, "2.00", "second"); err != nil {
		t.Fatalf("refund 2.00 through B: %v", err)
	}
	if err := a.client.Refund(ctx, r.OrderID, "7.01", "third"); err == nil {
		t.Error("refund 7.01 through A after 3.00 of 10.00 refunded: accepted, want refused")
	}
	for name, s := range map[string]sharedSim{"A": a, "B": b} {
		if tx, ok := s.sim.Transaction("SHARED-1"); !ok || tx.Refunded != "3.00" || len(tx.Refunds) != 2 {
			t.Errorf("%s's view: %+v, %v; want 3.00 refunded in 2 refunds", name, tx, ok)
		}
	}

	// Refunds of 1.00 sent through both at once: exactly ten are made.
	b.create(t, "SHARED-2")
	if err := a.sim.Pay("SHARED-2"); err != nil {
		t.Fatalf("pay through the other instance: %v", err)
	}
	tx, _ := b.sim.Transaction("SHARED-2")
	const tries = 16
	var mu sync.Mutex
	made := 0
	var wg sync.WaitGroup
	for i := range tries {
		s := []sharedSim{a, b}[i%2]
		wg.Go(func() {
			if err := s.client.Refund(ctx, tx.OrderID, "1.00", fmt.Sprintf("part-%d", i)); err == nil {
				mu.Lock()
				made++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if made != 10 {
		t.Errorf("concurrent refunds of 1.00 of 10.00 made: %d, want 10", made)
	}
	for name, s := range map[string]sharedSim{"A": a, "B": b} {
		if tx, _ := s.sim.Transaction("SHARED-2"); tx.Refunded != fmt.Sprintf("%d.00", made) || len(tx.Refunds) != made {
			t.Errorf("%s's view after %d refunds made: refunded %s in %d refunds", name, made, tx.Refunded, len(tx.Refunds))
		}
	}
	if n := len(b.sim.Ledger()); n != 2 {
		t.Errorf("B's ledger lists %d transactions, want 2", n)
	}
}

// TestSandboxSimulatorCallbackKeepsOtherChanges: a callback still being
// delivered by the instance where the payment was made records its
// attempts on the stored transaction as it is then, keeping a refund the
// other instance made meanwhile.
func TestSandboxSimulatorCallbackKeepsOtherChanges(t *testing.T) {
	url := pgtest.Schema(t)
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	a := newSharedSim(t, url, func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		<-release
		sent(w, r)
	})
	b := newSharedSim(t, url, sent)
	a.create(t, "SHARED-CB")
	if err := a.sim.Pay("SHARED-CB"); err != nil {
		t.Fatal(err)
	}
	<-arrived // A's callback is in flight
	tx, _ := b.sim.Transaction("SHARED-CB")
	if err := b.client.Refund(t.Context(), tx.OrderID, "4.00", "while the callback is out"); err != nil {
		t.Fatalf("refund through B: %v", err)
	}
	close(release)
	for !tx.CallbacksAcked { // the test's own deadline bounds this
		time.Sleep(5 * time.Millisecond)
		tx, _ = a.sim.Transaction("SHARED-CB")
	}
	if tx.Refunded != "4.00" || len(tx.Refunds) != 1 {
		t.Errorf("after A recorded its callback: refunded %s in %d refunds, want 4.00 in 1", tx.Refunded, len(tx.Refunds))
	}
}
