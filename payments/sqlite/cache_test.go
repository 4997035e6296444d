package sqlite

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
)

// TestPaymentCacheRules: versions only move forward, a read that began
// before a failed write or an eviction does not fill, and the size holds.
func TestPaymentCacheRules(t *testing.T) {
	c := newPaymentCache()
	v := func(n int64) payments.Payment { p := benchPayment(1); p.Version = n; return p }
	id := v(1).ID
	c.put(v(6))
	c.fill(v(5), c.now()) // a slow read of an older version
	c.put(v(4))           // a write that returned late
	if p, _ := c.get(id); p.Version != 6 {
		t.Fatalf("cached version %d, want 6", p.Version)
	}
	e := c.now()
	c.forget(id) // a failed write
	c.fill(v(6), e)
	if _, ok := c.get(id); ok {
		t.Fatal("a read that began before a failed write filled the cache")
	}
	c.fill(v(6), c.now())
	if p, ok := c.get(id); !ok || p.Version != 6 {
		t.Fatalf("after a clean read: %v %d, want version 6", ok, p.Version)
	}
	e = c.now()
	for n := range cacheSize + 10 {
		p := benchPayment(1000 + n)
		c.put(p)
	}
	if len(c.m) != cacheSize {
		t.Errorf("%d entries, want %d", len(c.m), cacheSize)
	}
	c.fill(v(7), e) // began before the evictions
	if p, ok := c.get(id); ok && p.Version == 7 {
		t.Error("a read that began before an eviction filled the cache")
	}
}

// TestPaymentCacheCoherent: readers racing group-committed writers never
// see a version go backwards, and afterwards the cached payment is the
// stored one, also after writes that failed.
func TestPaymentCacheCoherent(t *testing.T) {
	db := newTestDB(t)
	ctx := t.Context()
	const payments_ = 8
	for i := range payments_ {
		if _, _, err := db.CreatePayment(ctx, benchPayment(i), payments.Event{Type: "payment.created", CreatedAt: testNow()}, payments.Idempotency{}); err != nil {
			t.Fatal(err)
		}
	}
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for n := range 40 {
				id := benchPayment((w + n) % payments_).ID
				_, err := db.Update(ctx, id, func(tx *payments.Tx) error {
					tx.Payment.Description = fmt.Sprintf("writer %d, write %d", w, n)
					tx.AddEvent(payments.Event{Type: "payment.note", CreatedAt: testNow()}) // marks it changed
					if n%5 == 0 {
						return errBoom
					}
					return nil
				})
				if err != nil && !errors.Is(err, errBoom) {
					t.Error(err)
				}
			}
		})
	}
	for r := range 8 {
		wg.Go(func() {
			last := map[string]int64{}
			for n := range 400 {
				id := benchPayment((r + n) % payments_).ID
				p, err := db.Payment(ctx, id)
				if err != nil {
					t.Error(err)
					return
				}
				if p.Version < last[id] {
					t.Errorf("reader %d: %s went from version %d back to %d", r, id, last[id], p.Version)
				}
				last[id] = p.Version
			}
		})
	}
	wg.Wait()
	for i := range payments_ {
		id := benchPayment(i).ID
		if _, err := db.Payment(ctx, id); err != nil { // cached now, if it was not
			t.Fatal(err)
		}
		if _, err := db.Update(ctx, id, func(tx *payments.Tx) error {
			tx.Payment.Description = "last"
			tx.AddEvent(payments.Event{Type: "payment.note", CreatedAt: testNow()})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		got, err := db.Payment(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := scanPayment(db.writer.QueryRowContext(ctx, selectPayment, id))
		if err != nil {
			t.Fatal(err)
		}
		if got != stored {
			t.Errorf("payment %d: cached %+v, stored %+v", i, got, stored)
		}
		if got.Description != "last" {
			t.Errorf("payment %d: description %q after the last write", i, got.Description)
		}
	}
}

// TestOneProcessPerFile: a second Open of a file in use fails, naming the
// reason; after Close the file opens again.
func TestOneProcessPerFile(t *testing.T) {
	path := t.TempDir() + "/hpp.db"
	db := mustOpen(t, path)
	if other, err := Open(t.Context(), path, testNow); err == nil {
		other.Close()
		t.Fatal("a second Open of a file in use succeeded")
	} else if !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("second Open: %v; want it to say the file is in use", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	again := mustOpen(t, path)
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestAttemptCache: a reference not found is not remembered, a committed
// attempt is (the callback then needs no read), and a write that failed
// leaves nothing behind.
func TestAttemptCache(t *testing.T) {
	db := newTestDB(t)
	ctx := t.Context()
	p := benchPayment(1)
	if _, _, err := db.CreatePayment(ctx, p, payments.Event{Type: "payment.created"}, payments.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	a := payments.Attempt{Reference: "REF-CACHE-1", PaymentID: p.ID, Method: payments.MethodWeChat,
		Status: payments.AttemptPending, CreatedAt: testNow()}
	if _, err := db.AttemptPayment(ctx, a.Reference); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("AttemptPayment before the attempt exists: %v, want ErrNotFound", err)
	}
	failed := a
	failed.Reference = "REF-CACHE-2"
	if _, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error { tx.PutAttempt(failed); return errors.New("refused") }); err == nil {
		t.Fatal("Update: want the refusal")
	}
	if _, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error { tx.PutAttempt(a); return nil }); err != nil {
		t.Fatal(err)
	}
	if id, ok := db.refs.get(a.Reference); !ok || id != p.ID {
		t.Errorf("reference cache after the write: %q, %v; want %q", id, ok, p.ID)
	}
	if _, ok := db.refs.get(failed.Reference); ok {
		t.Error("the reference of a refused write is cached")
	}
	if id, err := db.AttemptPayment(ctx, a.Reference); err != nil || id != p.ID {
		t.Errorf("AttemptPayment: %q, %v; want %q", id, err, p.ID)
	}
}
