package sqlite

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// BenchmarkCreateTail creates payments from 32 goroutines at a fixed
// offered rate (2,000 a second, as checkout starts at 1,000/s write) and
// reports the 99th and 99.9th percentile and the longest time from a
// creation's due time to its durable answer: what a WAL checkpoint on the
// writer (copying 8,000 frames inside a commit, every write queued behind
// it waiting) adds to the tail (checkpoint.go). Run it with -benchtime
// 20000x or more, so that the WAL passes its mark a few times.
func BenchmarkCreateTail(b *testing.B) {
	db := newTestDB(b)
	const workers, rate = 32, 2000
	interval := time.Second / rate
	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	b.ResetTimer()
	begin := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				due := begin.Add(time.Duration(i) * interval)
				time.Sleep(time.Until(due))
				p := benchPayment(i + 1)
				ev := payments.Event{Type: "payment.created", To: payments.StatusCreated, CreatedAt: p.CreatedAt}
				if _, _, err := db.CreatePayment(b.Context(), p, ev, payments.Idempotency{Key: fmt.Sprintf("api:%d", i), Hash: "h"}); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(due)
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(at(0.999), "p99.9-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
