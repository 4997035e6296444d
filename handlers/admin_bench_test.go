package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/storetest"
)

// countingWriter is a ResponseWriter that keeps nothing: it counts bytes
// and newlines, so the export's own memory is all that is measured.
type countingWriter struct {
	h            http.Header
	code         int
	bytes, lines int64
}

func (w *countingWriter) Header() http.Header  { return w.h }
func (w *countingWriter) WriteHeader(code int) { w.code = code }
func (w *countingWriter) Flush()               {}
func (w *countingWriter) Write(p []byte) (int, error) {
	w.bytes += int64(len(p))
	for _, c := range p {
		if c == '\n' {
			w.lines++
		}
	}
	return len(p), nil
}

// BenchmarkAdminExport streams the CSV export of HPP_BENCH_PAYMENTS
// payments (default 10,000; seeded through the store's CreatePayment) and
// of about a fifth of them (a date range), sampling the heap every 10 ms
// while it runs: peak-heap-MB is the most the heap held above what it
// held before the export. Constant memory means the two peaks are alike
// though one export has five times the rows (e2e/load/README.md).
func BenchmarkAdminExport(b *testing.B) {
	n := storetest.BenchPayments(10_000)
	a := newAdminApp(b)
	storetest.SeedList(b, a.Store, n, 64)
	_, owner := a.signIn(b, "owner@shop.example", adminPW)
	for _, c := range []struct{ name, query string }{
		{"part", "?to=2025-05-19"}, // the seeded year starts 2025-03-14: about a fifth
		{"all", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			var peak uint64
			var rows int64
			for b.Loop() {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				before := ms.HeapAlloc
				var high atomic.Uint64
				stop := make(chan struct{})
				var wg sync.WaitGroup
				wg.Go(func() {
					t := time.NewTicker(10 * time.Millisecond)
					defer t.Stop()
					for {
						select {
						case <-stop:
							return
						case <-t.C:
							var ms runtime.MemStats
							runtime.ReadMemStats(&ms)
							if ms.HeapAlloc > high.Load() {
								high.Store(ms.HeapAlloc)
							}
						}
					}
				})
				r := httptest.NewRequest(http.MethodGet, a.AppURL+"/admin/payments/export.csv"+c.query, nil)
				r.AddCookie(owner)
				w := &countingWriter{h: http.Header{}}
				a.h.ServeHTTP(w, r)
				close(stop)
				wg.Wait()
				if w.code != http.StatusOK {
					b.Fatalf("export = %d", w.code)
				}
				rows = w.lines - 1
				if h := high.Load(); h > before && h-before > peak {
					peak = h - before
				}
			}
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}
