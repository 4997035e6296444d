package sqlite

import (
	"syscall"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// TestUpdateTakesTheCachedPaymentAtItsVersion: Update's load reads the
// payment's columns only when the payment cache does not hold the version
// the row has (write.go, loadCached). A column changed behind the cache
// with the version left as it was (no write of this store does that) is
// not read: fn gets the cached payment. Once the row's version moves, fn
// gets the row as stored, and so does every later Update.
func TestUpdateTakesTheCachedPaymentAtItsVersion(t *testing.T) {
	db, p := newTestDBWithPayment(t)
	ctx := t.Context()
	if c, ok := db.cache.get(p.ID); !ok || c.Version != p.Version {
		t.Fatalf("the creation's commit left the payment cache without it (%v, version %d)", ok, c.Version)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.writer.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	seen := func() payments.Payment {
		t.Helper()
		var got payments.Payment
		if _, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error { got = tx.Payment; return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}

	exec(`UPDATE payments SET description = 'Behind the cache' WHERE id = ?`, p.ID)
	if got := seen(); got.Description != p.Description || got.Version != p.Version {
		t.Errorf("row at the cached version: fn got %q v%d, want the cached %q v%d (read the columns again)",
			got.Description, got.Version, p.Description, p.Version)
	}

	exec(`UPDATE payments SET description = 'Moved on', version = version + 1 WHERE id = ?`, p.ID)
	if got := seen(); got.Description != "Moved on" || got.Version != p.Version+1 {
		t.Errorf("row at a newer version: fn got %q v%d, want %q v%d", got.Description, got.Version, "Moved on", p.Version+1)
	}

	// A write through Update: its commit keeps the new version, which
	// the next load takes.
	w, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error {
		tx.Payment.Status = payments.StatusPending
		tx.AddEvent(payments.Event{Type: "payment.pending", CreatedAt: testNow()})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := seen(); got.Status != payments.StatusPending || got.Version != w.Version || got.Description != "Moved on" {
		t.Errorf("after a write: fn got %s v%d %q, want %s v%d %q", got.Status, got.Version, got.Description,
			payments.StatusPending, w.Version, "Moved on")
	}
}

// BenchmarkUpdateLoad is an Update whose function changes nothing (the
// writer's round trip and the load, no commit) on a payment with one
// attempt, with the payment cached and with its entry dropped before each
// Update. cpu-us/op is the process's CPU per Update (ns/op is wall time,
// mostly the hand-off to the writer goroutine).
func BenchmarkUpdateLoad(b *testing.B) {
	for _, cached := range []bool{true, false} {
		name := "read"
		if cached {
			name = "cached"
		}
		b.Run(name, func(b *testing.B) {
			db, p := newTestDBWithPayment(b)
			a := payments.Attempt{Reference: "01ARZ3NDEKTSV4RRFFQ69G5FAV", PaymentID: p.ID, Method: payments.MethodWeChat,
				Status: payments.AttemptPending, CreatedAt: testNow()}
			if _, err := db.Update(b.Context(), p.ID, func(tx *payments.Tx) error { tx.PutAttempt(a); return nil }); err != nil {
				b.Fatal(err)
			}
			cpu := func() time.Duration {
				var ru syscall.Rusage
				_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
				return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			}
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cpu()
			for range b.N {
				if !cached {
					db.cache.mu.Lock()
					delete(db.cache.m, p.ID)
					db.cache.mu.Unlock()
				}
				if _, err := db.Update(b.Context(), p.ID, func(*payments.Tx) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpu()-c0).Microseconds())/float64(b.N), "cpu-us/op")
		})
	}
}
