// Package countertest is the contract every counter.Store must pass, so
// the SQLite and PostgreSQL stores behave alike:
//
//	func TestCounterStore(t *testing.T) {
//		countertest.Run(t, func(t *testing.T) countertest.Store { return newTestDB(t) })
//	}
//
// It owns what the shop counter's pairing, devices, PINs and sales must
// do in any engine; Store adds account creation because a PIN belongs to
// an account. It imports payments/counter and payments/accounts (and
// go-cmp) only, never an engine. A new counter.Store method gets its check in Run
// first, then both stores implement it; the counter's rules themselves
// are tested in payments/counter.
package countertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
)

// Store is a counter store that also keeps accounts: a PIN belongs to an
// account.
type Store interface {
	counter.Store
	CreateAccount(ctx context.Context, a accounts.Account) error
}

// Run runs the contract against stores made by newStore, which must return
// a new, empty store for every call and clean it up through t.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"Pairing/Once", testPairingOnce},
		{"Pairing/Concurrent", testPairingConcurrent},
		{"Device/RoundTrip", testDevice},
		{"PIN/RoundTrip", testPIN},
		{"PIN/ConcurrentFailures", testPINConcurrent},
		{"Sale/KeyOnce", testSaleKey},
		{"Sale/Concurrent", testSaleConcurrent},
		{"Sale/Today", testSales},
		{"Sale/RevokedDevice", testSaleRevoked},
		{"Sale/DuringRevoke", testSaleDuringRevoke},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// base is the suite's fixed instant: millisecond precision in a zone other
// than UTC (stores return UTC).
func base() time.Time {
	return time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.FixedZone("NZDT", 13*60*60))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// same compares times by instant.
var same = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

func testPairingOnce(t *testing.T, s Store) {
	ctx := t.Context()
	p := counter.Pairing{Hash: "aa11", Name: "Front till 前台", ExpiresAt: base().Add(time.Minute)}
	must(t, s.PutPairing(ctx, p))
	must(t, s.PutPairing(ctx, counter.Pairing{Hash: "bb22", Name: "Back", ExpiresAt: base().Add(time.Minute)}))
	got, err := s.TakePairing(ctx, "aa11")
	must(t, err)
	if d := cmp.Diff(p, got, same); d != "" {
		t.Errorf("TakePairing (-want +got):\n%s", d)
	}
	if _, err := s.TakePairing(ctx, "aa11"); !errors.Is(err, counter.ErrNotFound) {
		t.Errorf("second TakePairing = %v, want ErrNotFound", err)
	}
	if _, err := s.TakePairing(ctx, "bb22"); err != nil {
		t.Errorf("the other code was lost: %v", err)
	}
}

func testPairingConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	must(t, s.PutPairing(ctx, counter.Pairing{Hash: "cc33", Name: "Till", ExpiresAt: time.Now().Add(time.Hour)}))
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.TakePairing(ctx, "cc33")
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				won++
			} else if !errors.Is(err, counter.ErrNotFound) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d of 8 racing takes got the code, want exactly 1", won)
	}
}

func device(n int) counter.Device {
	return counter.Device{ID: fmt.Sprintf("dev_%026d", n), Name: fmt.Sprintf("Till %d 收银", n),
		TokenHash: fmt.Sprintf("%064d", n), CreatedAt: base(), SeenAt: base().Add(time.Second), ResultSeconds: 6}
}

func testDevice(t *testing.T, s Store) {
	ctx := t.Context()
	a, b := device(1), device(2)
	must(t, s.CreateDevice(ctx, a))
	must(t, s.CreateDevice(ctx, b))
	for _, get := range []func() (counter.Device, error){
		func() (counter.Device, error) { return s.Device(ctx, a.ID) },
		func() (counter.Device, error) { return s.DeviceByToken(ctx, a.TokenHash) },
	} {
		got, err := get()
		must(t, err)
		if d := cmp.Diff(a, got, same); d != "" {
			t.Errorf("device (-want +got):\n%s", d)
		}
	}
	if _, err := s.Device(ctx, "dev_none"); !errors.Is(err, counter.ErrNotFound) {
		t.Errorf("Device(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.DeviceByToken(ctx, "ffff"); !errors.Is(err, counter.ErrNotFound) {
		t.Errorf("DeviceByToken(unknown) = %v, want ErrNotFound", err)
	}
	want := a
	want.CashierID, want.UnlockedAt, want.RevokedAt, want.ResultSeconds = "acc_x", base().Add(time.Hour), base().Add(2*time.Hour), 9
	got, err := s.UpdateDevice(ctx, a.ID, func(d *counter.Device) error {
		d.CashierID, d.UnlockedAt, d.RevokedAt, d.ResultSeconds = want.CashierID, want.UnlockedAt, want.RevokedAt, 9
		return nil
	})
	must(t, err)
	if d := cmp.Diff(want, got, same); d != "" {
		t.Errorf("UpdateDevice returned (-want +got):\n%s", d)
	}
	boom := errors.New("boom")
	if _, err := s.UpdateDevice(ctx, a.ID, func(d *counter.Device) error { d.Name = "x"; return boom }); !errors.Is(err, boom) {
		t.Errorf("UpdateDevice with failing fn = %v, want fn's error", err)
	}
	if _, err := s.UpdateDevice(ctx, "dev_none", func(*counter.Device) error { return nil }); !errors.Is(err, counter.ErrNotFound) {
		t.Errorf("UpdateDevice(unknown) = %v, want ErrNotFound", err)
	}
	all, err := s.Devices(ctx)
	must(t, err)
	if d := cmp.Diff([]counter.Device{want, b}, all, same); d != "" {
		t.Errorf("Devices (-want +got):\n%s", d)
	}
}

func addAccount(t *testing.T, s Store, n int) string {
	t.Helper()
	a := accounts.Account{ID: fmt.Sprintf("acc_%026d", n), Email: fmt.Sprintf("c%d@shop.example", n), Role: accounts.Cashier,
		PasswordHash: "x", CreatedAt: base(), UpdatedAt: base()}
	must(t, s.CreateAccount(t.Context(), a))
	return a.ID
}

func testPIN(t *testing.T, s Store) {
	ctx := t.Context()
	id1, id2 := addAccount(t, s, 1), addAccount(t, s, 2)
	if _, err := s.PIN(ctx, id1); !errors.Is(err, counter.ErrNotFound) {
		t.Errorf("PIN before any = %v, want ErrNotFound", err)
	}
	p := counter.PIN{AccountID: id1, Hash: "$argon2id$one", Failures: 4, Locked: true, UpdatedAt: base()}
	must(t, s.PutPIN(ctx, p))
	must(t, s.PutPIN(ctx, counter.PIN{AccountID: id2, Hash: "$argon2id$two", UpdatedAt: base()}))
	got, err := s.PIN(ctx, id1)
	must(t, err)
	if d := cmp.Diff(p, got, same); d != "" {
		t.Errorf("PIN (-want +got):\n%s", d)
	}
	// A new PIN replaces the old one, lock and failures included.
	p2 := counter.PIN{AccountID: id1, Hash: "$argon2id$new", UpdatedAt: base().Add(time.Minute)}
	must(t, s.PutPIN(ctx, p2))
	got, err = s.UpdatePIN(ctx, id1, func(p *counter.PIN) error { p.Failures++; return nil })
	must(t, err)
	p2.Failures = 1
	if d := cmp.Diff(p2, got, same); d != "" {
		t.Errorf("PutPIN then UpdatePIN (-want +got):\n%s", d)
	}
	all, err := s.PINs(ctx)
	must(t, err)
	if len(all) != 2 {
		t.Errorf("PINs = %d, want 2", len(all))
	}
	if _, err := s.UpdatePIN(ctx, "acc_none", func(*counter.PIN) error { return nil }); !errors.Is(err, counter.ErrNotFound) {
		t.Errorf("UpdatePIN(unknown) = %v, want ErrNotFound", err)
	}
}

// testPINConcurrent: wrong PINs typed on several devices at once all
// count, so the lock cannot be outrun.
func testPINConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	id := addAccount(t, s, 3)
	must(t, s.PutPIN(ctx, counter.PIN{AccountID: id, Hash: "h", UpdatedAt: base()}))
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.UpdatePIN(ctx, id, func(p *counter.PIN) error { p.Failures++; return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	p, err := s.PIN(ctx, id)
	must(t, err)
	if p.Failures != 10 {
		t.Errorf("failures = %d after 10 concurrent, want 10", p.Failures)
	}
}

func testSaleKey(t *testing.T, s Store) {
	ctx := t.Context()
	d := device(1)
	must(t, s.CreateDevice(ctx, d))
	sale := counter.Sale{PaymentID: "pay_1", DeviceID: d.ID, AccountID: "acc_1", Key: "key-0000000000000001", CreatedAt: base()}
	got, err := s.AddSale(ctx, sale)
	must(t, err)
	if diff := cmp.Diff(sale, got, same); diff != "" {
		t.Errorf("AddSale (-want +got):\n%s", diff)
	}
	again := sale
	again.PaymentID = "pay_2"
	got, err = s.AddSale(ctx, again)
	if !errors.Is(err, counter.ErrDuplicateKey) || got.PaymentID != "pay_1" {
		t.Errorf("AddSale with a used key = %+v, %v; want the first sale and ErrDuplicateKey", got, err)
	}
	for _, get := range []func() (counter.Sale, error){
		func() (counter.Sale, error) { return s.SaleByKey(ctx, d.ID, sale.Key) },
		func() (counter.Sale, error) { return s.Sale(ctx, "pay_1") },
	} {
		got, err := get()
		must(t, err)
		if diff := cmp.Diff(sale, got, same); diff != "" {
			t.Errorf("sale (-want +got):\n%s", diff)
		}
	}
	if _, err := s.Sale(ctx, "pay_2"); !errors.Is(err, counter.ErrNotFound) {
		t.Errorf("Sale of the refused duplicate = %v, want ErrNotFound", err)
	}
	if _, err := s.SaleByKey(ctx, "dev_other", sale.Key); !errors.Is(err, counter.ErrNotFound) {
		t.Errorf("SaleByKey on another device = %v, want ErrNotFound", err)
	}
}

// testSaleConcurrent: a double tap sends the same key twice at once; one
// sale wins and both requests learn which.
func testSaleConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	d := device(1)
	must(t, s.CreateDevice(ctx, d))
	var wg sync.WaitGroup
	got := make([]string, 6)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sale, err := s.AddSale(ctx, counter.Sale{PaymentID: fmt.Sprintf("pay_%d", i), DeviceID: d.ID, AccountID: "acc_1",
				Key: "double-tap-key-0001", CreatedAt: base()})
			if err != nil && !errors.Is(err, counter.ErrDuplicateKey) {
				t.Error(err)
			}
			got[i] = sale.PaymentID
		}()
	}
	wg.Wait()
	for _, id := range got[1:] {
		if id != got[0] {
			t.Fatalf("racing AddSale answered %v, want one payment for all", got)
		}
	}
	sales, err := s.Sales(ctx, d.ID, time.Time{}.Add(time.Nanosecond), 10)
	must(t, err)
	if len(sales) != 1 {
		t.Errorf("%d sales stored, want 1", len(sales))
	}
}

func testSales(t *testing.T, s Store) {
	ctx := t.Context()
	d1, d2 := device(1), device(2)
	must(t, s.CreateDevice(ctx, d1))
	must(t, s.CreateDevice(ctx, d2))
	for i := range 5 {
		_, err := s.AddSale(ctx, counter.Sale{PaymentID: fmt.Sprintf("pay_%d", i), DeviceID: d1.ID, AccountID: "acc_1",
			Key: fmt.Sprintf("key-%016d", i), CreatedAt: base().Add(time.Duration(i) * time.Hour)})
		must(t, err)
	}
	_, err := s.AddSale(ctx, counter.Sale{PaymentID: "pay_other", DeviceID: d2.ID, AccountID: "acc_1",
		Key: "key-other-device-01", CreatedAt: base().Add(3 * time.Hour)})
	must(t, err)
	got, err := s.Sales(ctx, d1.ID, base().Add(2*time.Hour), 2)
	must(t, err)
	var ids []string
	for _, x := range got {
		ids = append(ids, x.PaymentID)
	}
	if d := cmp.Diff([]string{"pay_4", "pay_3"}, ids); d != "" {
		t.Errorf("Sales since 2h, limit 2 (-want +got):\n%s", d)
	}
	got, err = s.Sales(ctx, d1.ID, base().Add(2*time.Hour), 10)
	must(t, err)
	if len(got) != 3 {
		t.Errorf("Sales since 2h = %d, want 3 (the instant itself included)", len(got))
	}
}

// testSaleRevoked: a revoked device gets no new sale, even one whose
// request checked the device before the revoke; an unknown device none.
func testSaleRevoked(t *testing.T, s Store) {
	ctx := t.Context()
	d := device(1)
	d.RevokedAt = base().Add(time.Minute)
	must(t, s.CreateDevice(ctx, d))
	sale := counter.Sale{PaymentID: "pay_1", DeviceID: d.ID, AccountID: "acc_1", Key: "key-0000000000000001", CreatedAt: base()}
	if got, err := s.AddSale(ctx, sale); !errors.Is(err, counter.ErrRevoked) {
		t.Errorf("AddSale on a revoked device = %+v, %v; want ErrRevoked", got, err)
	}
	if _, err := s.Sale(ctx, "pay_1"); !errors.Is(err, counter.ErrNotFound) {
		t.Errorf("the refused sale was stored: %v", err)
	}
	sale.DeviceID, sale.PaymentID = "dev_none", "pay_2"
	if _, err := s.AddSale(ctx, sale); !errors.Is(err, counter.ErrNotFound) {
		t.Errorf("AddSale on an unknown device = %v, want ErrNotFound", err)
	}
}

// testSaleDuringRevoke: a sale recorded while a revoke of its device is
// being written (UpdateDevice has the device and has not committed) is
// refused once the revoke commits: never recorded after the revoke
// without the revoke seeing it in the device's sales that it lists next.
func testSaleDuringRevoke(t *testing.T, s Store) {
	ctx := t.Context()
	d := device(1)
	must(t, s.CreateDevice(ctx, d))
	started := make(chan struct{})
	added := make(chan error, 1)
	_, err := s.UpdateDevice(ctx, d.ID, func(x *counter.Device) error {
		x.RevokedAt = base().Add(time.Minute)
		go func() {
			close(started)
			_, err := s.AddSale(ctx, counter.Sale{PaymentID: "pay_1", DeviceID: d.ID, AccountID: "acc_1",
				Key: "key-0000000000000001", CreatedAt: base()})
			added <- err
		}()
		<-started
		return nil
	})
	must(t, err)
	err = <-added
	sales, lerr := s.Sales(ctx, d.ID, time.Time{}.Add(time.Nanosecond), 10)
	must(t, lerr)
	if !errors.Is(err, counter.ErrRevoked) || len(sales) != 0 {
		t.Errorf("AddSale during the revoke = %v with %d sales listed after it; want ErrRevoked and none", err, len(sales))
	}
}
