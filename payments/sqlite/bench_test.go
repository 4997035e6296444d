package sqlite

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// benchPayment is a realistic payment row.
func benchPayment(n int) payments.Payment {
	now := testNow()
	return payments.Payment{ID: fmt.Sprintf("pay_%026d", n), Reference: fmt.Sprintf("order-%d", n),
		Amount: 1250, Currency: payments.NZD, Description: "Flat white", Status: payments.StatusCreated,
		Source: "api", ReturnURL: "https://shop.example/return", Version: 1,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
}

// BenchmarkCreatePayment measures one durable create with an idempotency
// key: one IMMEDIATE transaction, three inserts, one fsync'd commit.
func BenchmarkCreatePayment(b *testing.B) {
	db := newTestDB(b)
	n := 0
	for b.Loop() {
		n++
		p := benchPayment(n)
		ev := payments.Event{Type: "payment.created", To: payments.StatusCreated, CreatedAt: p.CreatedAt}
		idem := payments.Idempotency{Key: fmt.Sprintf("api:%d", n), Hash: "h"}
		if _, _, err := db.CreatePayment(b.Context(), p, ev, idem); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdate measures one payment transition as the service makes
// it: load the payment and its attempt, update the attempt, append an
// event and a notification, write the payment, commit.
func BenchmarkUpdate(b *testing.B) {
	db, p := newTestDBWithPayment(b)
	a := payments.Attempt{Reference: "A1", PaymentID: p.ID, Method: payments.MethodWeChat,
		Status: payments.AttemptPending, CreatedAt: testNow(), NextCheckAt: testNow().Add(30 * time.Second)}
	n := 0
	for b.Loop() {
		n++
		_, err := db.Update(b.Context(), p.ID, func(tx *payments.Tx) error {
			from := tx.Payment.Status
			tx.Payment.Status = payments.StatusPending
			tx.Payment.UpdatedAt = testNow()
			a.Checks = n
			tx.PutAttempt(a)
			tx.AddEvent(payments.Event{Type: "payment.pending", From: from, To: payments.StatusPending, CreatedAt: testNow()})
			tx.AddNotification(payments.Notification{Reference: a.Reference, Digest: fmt.Sprintf("d%d", n),
				Status: "pending", Body: "merchant_reference=A1&status=pending", Result: "applied", At: testNow()})
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPayment measures the page's read of one payment, in parallel:
// from the cache of recent payments (cache.go), and from the read pool,
// as on a miss.
func BenchmarkPayment(b *testing.B) {
	db, p := newTestDBWithPayment(b)
	for _, bb := range []struct {
		name string
		read func(ctx context.Context, id string) (payments.Payment, error)
	}{{"cached", db.Payment}, {"read", db.readPayment}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := bb.read(b.Context(), p.ID); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkCallbackParallel is the callback scenario of e2e/load at the
// store: from 64 goroutines, each distinct payment's duplicate check and
// attempt lookup (read pool), then the paid transition (group-committed
// Update: payment, attempt, event, notification). Run it with a fixed
// count, e.g. -benchtime 5000x: b.N started payments are made first.
func BenchmarkCallbackParallel(b *testing.B) {
	db := newTestDB(b)
	ctx := b.Context()
	refs := make([]string, b.N)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 64 {
		wg.Go(func() {
			for i := range next {
				p := benchPayment(i)
				p.ID = fmt.Sprintf("pay_%x", sha256.Sum256([]byte(p.ID)))[:30] // random order, as real ids
				p.Status = payments.StatusPending
				if _, _, err := db.CreatePayment(ctx, p, payments.Event{Type: "payment.created"}, payments.Idempotency{}); err != nil {
					b.Error(err)
					return
				}
				refs[i] = fmt.Sprintf("%x", sha256.Sum256([]byte(p.ID)))[:24]
				a := payments.Attempt{Reference: refs[i], PaymentID: p.ID, Method: payments.MethodWeChat,
					Status: payments.AttemptPending, CreatedAt: testNow(), NextCheckAt: testNow().Add(30 * time.Second)}
				if _, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error { tx.PutAttempt(a); return nil }); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	for i := range b.N {
		next <- i
	}
	close(next)
	wg.Wait()
	var n atomic.Int64
	b.SetParallelism(32) // 64 goroutines on two cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ref := refs[n.Add(1)-1]
			if _, err := db.Notifications(ctx, ref); err != nil {
				b.Error(err)
				return
			}
			a, err := db.Attempt(ctx, ref)
			if err != nil {
				b.Error(err)
				return
			}
			_, err = db.Update(ctx, a.PaymentID, func(tx *payments.Tx) error {
				tx.Payment.Status, tx.Payment.UpdatedAt, tx.Payment.PaidAt = payments.StatusPaid, testNow(), testNow()
				tx.Payment.LatipayReference = ref
				a.Status, a.NextCheckAt = payments.AttemptPaid, time.Time{}
				tx.PutAttempt(a)
				tx.AddEvent(payments.Event{Type: "payment.paid", From: payments.StatusPending, To: payments.StatusPaid, CreatedAt: testNow()})
				tx.AddNotification(payments.Notification{Reference: ref, Digest: "d" + ref, Status: "paid",
					Body: "merchant_reference=" + ref + "&status=paid", Result: "applied", At: testNow()})
				return nil
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
