package postgres

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/storetest"
)

// BenchmarkUpdateParallel is the store's half of a callback from 32
// goroutines: each Update locks a payment, reads it with its attempts,
// and writes the attempt, an event and a notification (and the
// doorbell), as a paid notification does. The test database commits
// with synchronous_commit off (.ci/postgres), so this is the CPU and the
// round trips of a write, not the WAL flush.
func BenchmarkUpdateParallel(b *testing.B) {
	db := mustOpen(b, pgtest.Schema(b))
	end := time.Now()
	const n = 256
	if _, err := storetest.Grow(b.Context(), db, 0, n, n, end); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.SetParallelism(16) // 32 goroutines on 2 CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			row := storetest.GrowthRow(int(i%n)+1, end)
			_, err := db.Update(b.Context(), row.Payment.ID, func(tx *payments.Tx) error {
				a := tx.Attempts[0]
				a.Checks++
				tx.PutAttempt(a)
				tx.AddEvent(payments.Event{Type: "payment.checked", From: tx.Payment.Status, To: tx.Payment.Status, CreatedAt: end})
				tx.AddNotification(payments.Notification{Reference: a.Reference, Digest: fmt.Sprintf("d%d", i),
					Status: "paid", Body: "status=paid", Result: "sent", At: end})
				tx.Touch()
				return nil
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
