package sqlite_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/sqlite"
)

// TestSandboxJournal: the simulator's ledger in SQLite. A transaction
// made by one simulator is paid and refunded by the next one on the same
// file (as after a restart, while the first still answers), and refunds
// sent through both at once never exceed the amount.
func TestSandboxJournal(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hpp.db"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	start := func() (*latipaysim.Simulator, *latipay.Client) {
		srv := httptest.NewUnstartedServer(nil)
		base := "http://" + srv.Listener.Addr().String()
		sim, err := latipaysim.New(latipaysim.Options{BaseURL: base, Journal: db,
			Merchants: []latipaysim.Merchant{{UserID: paymentstest.UserID, APIKey: paymentstest.APIKey,
				Wallets: map[string]string{paymentstest.WalletNZD: "NZD"}}},
			CallbackClient: &http.Client{Transport: latipaysim.NewTransport(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte("sent"))
			}))}})
		if err != nil {
			t.Fatal(err)
		}
		srv.Config.Handler = sim
		srv.Start()
		t.Cleanup(func() { sim.Close(); srv.Close() })
		c, err := latipay.New(latipay.Config{BaseURL: base, UserID: paymentstest.UserID, APIKey: paymentstest.APIKey})
		if err != nil {
			t.Fatal(err)
		}
		return sim, c
	}
	simA, a := start()
	ctx := t.Context()
	if _, err := a.CreateTransaction(ctx, latipay.CreateRequest{WalletID: paymentstest.WalletNZD, Amount: "10.00",
		PaymentMethod: "alipay", MerchantReference: "SQ-1", ReturnURL: "https://hpp.example/return",
		CallbackURL: "https://hpp.example/latipay/callback", IP: "203.0.113.9", ProductName: "Tea"}); err != nil {
		t.Fatal(err)
	}
	simB, b := start()
	if err := simB.Pay("SQ-1"); err != nil {
		t.Fatalf("pay through the next simulator: %v", err)
	}
	r, err := a.Query(ctx, "SQ-1", false)
	if err != nil || r.Status != "paid" {
		t.Fatalf("query through the first = %+v, %v; want paid", r, err)
	}
	var mu sync.Mutex
	made := 0
	var wg sync.WaitGroup
	for i := range 16 {
		c := []*latipay.Client{a, b}[i%2]
		wg.Go(func() {
			if c.Refund(ctx, r.OrderID, "1.00", fmt.Sprintf("part-%d", i)) == nil {
				mu.Lock()
				made++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if made != 10 {
		t.Errorf("refunds of 1.00 of 10.00 made: %d, want 10", made)
	}
	for _, s := range []*latipaysim.Simulator{simA, simB} {
		if tx, _ := s.Transaction("SQ-1"); tx.Refunded != fmt.Sprintf("%d.00", made) {
			t.Errorf("refunded %s after %d refunds made", tx.Refunded, made)
		}
	}
}
