package sqlite

import (
	"fmt"
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
	db := newTestDB(b)
	p := benchPayment(1)
	if _, _, err := db.CreatePayment(b.Context(), p, payments.Event{Type: "payment.created"}, payments.Idempotency{}); err != nil {
		b.Fatal(err)
	}
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

// BenchmarkPayment measures one read from the read pool, in parallel.
func BenchmarkPayment(b *testing.B) {
	db := newTestDB(b)
	p := benchPayment(1)
	if _, _, err := db.CreatePayment(b.Context(), p, payments.Event{Type: "payment.created"}, payments.Idempotency{}); err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.Payment(b.Context(), p.ID); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
