package storetest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// BenchPayments is how many payments BenchList seeds: HPP_BENCH_PAYMENTS,
// else def.
func BenchPayments(def int) int {
	if n, err := strconv.Atoi(os.Getenv("HPP_BENCH_PAYMENTS")); err == nil && n > 0 {
		return n
	}
	return def
}

// benchSpan is the time the seeded payments spread over, newest last.
const benchSpan = 365 * 24 * time.Hour

// benchRow is seeded payment i of n: a year of a shop's payments, mostly
// paid, online and NZD, with every status, channel, method and currency
// present in realistic proportions.
func benchRow(i, n int) payments.Payment {
	at := base().UTC().Add(time.Duration(int64(benchSpan) / int64(n) * int64(i)))
	p := payments.Payment{ID: fmt.Sprintf("pay_%026d", i), Reference: fmt.Sprintf("INV-%07d", i),
		Amount: 500 + int64(i%9000), Currency: payments.NZD, Description: fmt.Sprintf("Order %d: flat white x%d", i, 1+i%3),
		Status: payments.StatusPaid, Source: payments.SourceOnline, Method: payments.MethodWeChat,
		ReturnURL: "https://shop.example/return", Version: 1, CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(15 * time.Minute)}
	switch b := i % 100; {
	case b < 10:
		p.Status = payments.StatusCreated
	case b < 18:
		p.Status = payments.StatusExpired
	case b < 23:
		p.Status = payments.StatusFailed
	case b < 27:
		p.Status = payments.StatusCanceled
	case b < 29:
		p.Status, p.Refunded = payments.StatusPartiallyRefunded, 100
	case b < 30:
		p.Status, p.Refunded = payments.StatusRefunded, p.Amount
	}
	switch b := (i / 7) % 100; {
	case b < 15:
		p.Source = payments.SourceLink
	case b < 25:
		p.Source = payments.SourceCounterQR
	case b < 35:
		p.Source = payments.SourceCounterScan
	case b < 40:
		p.Source = payments.SourceStaticQR
	}
	switch b := (i / 3) % 100; {
	case b < 45:
		p.Method = payments.MethodAlipay
	case b < 50:
		p.Method = payments.MethodUnionPay
	}
	switch b := (i / 11) % 100; {
	case b < 8:
		p.Currency = payments.AUD
	case b < 10:
		p.Currency = payments.CNY
	}
	if p.Status.Settled() {
		p.LatipayOrderID = fmt.Sprintf("2025%012d", i)
		p.PaidAt = at.Add(time.Minute)
	}
	return p
}

// SeedList writes n payments into s through CreatePayment, the store's
// own path, from workers goroutines, and reports the rate.
func SeedList(b testing.TB, s payments.Store, n, workers int) {
	b.Helper()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	next := make(chan int, 1024)
	for range workers {
		wg.Go(func() {
			for i := range next {
				p := benchRow(i, n)
				ev := payments.Event{PaymentID: p.ID, Type: "payment.created", To: payments.StatusCreated, CreatedAt: p.CreatedAt}
				if _, _, err := s.CreatePayment(b.Context(), p, ev, payments.Idempotency{}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := 1; i <= n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatalf("seed: %v", err)
	}
	d := time.Since(start)
	b.Logf("seeded %d payments in %s (%.0f/s) with %d writers", n, d.Round(time.Second), float64(n)/d.Seconds(), workers)
}

// BenchList measures the back office's list queries over a store SeedList
// filled with n payments, each as a sub-benchmark reporting its p50 and
// p99 latency (ms) over its iterations: the first page (51 rows, newest
// first), filtered pages (a rare status; a channel with a status; a page
// deep in a filtered list through its cursor), and the searches (an exact
// reference, an exact Latipay order id, and free text found in one
// payment). Each query runs 5 times unmeasured first.
func BenchList(b *testing.B, s payments.Store, n int) {
	rng := rand.New(rand.NewPCG(1, 2))
	some := func() int { return 1 + rng.IntN(n) }
	mid := benchRow(n/2, n)
	cases := []struct {
		name string
		f    func() payments.PaymentFilter
	}{
		{"first", func() payments.PaymentFilter { return payments.PaymentFilter{} }},
		{"status-refunded", func() payments.PaymentFilter { return payments.PaymentFilter{Status: payments.StatusRefunded} }},
		{"channel-counter_qr-paid", func() payments.PaymentFilter {
			return payments.PaymentFilter{Source: payments.SourceCounterQR, Status: payments.StatusPaid}
		}},
		{"currency-AUD", func() payments.PaymentFilter { return payments.PaymentFilter{Currency: payments.AUD} }},
		{"date-range-week", func() payments.PaymentFilter {
			from := base().UTC().Add(time.Duration(rng.IntN(300)) * 24 * time.Hour)
			return payments.PaymentFilter{From: from, To: from.Add(7 * 24 * time.Hour)}
		}},
		{"status-paid-deep", func() payments.PaymentFilter {
			return payments.PaymentFilter{Status: payments.StatusPaid, BeforeTime: mid.CreatedAt, BeforeID: mid.ID}
		}},
		{"search-reference", func() payments.PaymentFilter {
			return payments.PaymentFilter{Reference: fmt.Sprintf("INV-%07d", some())}
		}},
		{"search-latipay", func() payments.PaymentFilter {
			i := some()
			return payments.PaymentFilter{OrderID: fmt.Sprintf("2025%012d", i-i%100+50)}
		}},
		{"search-text", func() payments.PaymentFilter {
			return payments.PaymentFilter{Text: fmt.Sprintf("order %d:", some())}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			// Warm up first: the p99 is of a shop's working list, not of
			// the first read after the database was opened.
			for range 5 {
				f := c.f()
				f.Limit = 51
				if _, err := s.ListPayments(b.Context(), f); err != nil {
					b.Fatal(err)
				}
			}
			runs := b.N
			var took []time.Duration
			rows := 0
			b.ResetTimer()
			for range runs {
				f := c.f()
				f.Limit = 51
				start := time.Now()
				ps, err := s.ListPayments(b.Context(), f)
				took = append(took, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				rows += len(ps)
			}
			slices.Sort(took)
			at := func(q float64) float64 {
				return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
			}
			b.ReportMetric(at(0.50), "p50-ms")
			b.ReportMetric(at(0.99), "p99-ms")
			b.ReportMetric(float64(rows)/float64(len(took)), "rows/op")
		})
	}
}

// BenchReports measures the back office's figures over a store its caller
// has seeded with a year of paid payments before now (each engine seeds by
// one INSERT ... SELECT of its own, so the seed takes seconds): the home's
// 30 days of totals, a 366-day report, and the attention list, in
// Pacific/Auckland. Each sub-benchmark starts with a fresh Reports, so its
// first view is cold: it reads every day from the store and keeps the
// finished ones; cold-ms is that view, ns/op the later ones.
func BenchReports(b *testing.B, s payments.ReportStore, now func() time.Time) {
	loc, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		b.Fatal(err)
	}
	var r *payments.Reports
	fresh := func(b *testing.B) {
		var err error
		if r, err = payments.NewReports(s, now, loc); err != nil {
			b.Fatal(err)
		}
	}
	// (b.Loop resets the timer, which drops metrics reported before it.)
	cold := func(b *testing.B, f func() error) (report func()) {
		start := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		ms := float64(time.Since(start).Milliseconds())
		return func() { b.ReportMetric(ms, "cold-ms") }
	}
	b.Run("Home", func(b *testing.B) {
		fresh(b)
		report := cold(b, func() error { _, err := r.Home(b.Context()); return err })
		for b.Loop() {
			if _, err := r.Home(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
		report()
	})
	b.Run("Report366Days", func(b *testing.B) {
		fresh(b)
		last := r.Today()
		report := cold(b, func() error { _, err := r.Report(b.Context(), last.AddDate(0, 0, -365), last); return err })
		for b.Loop() {
			if _, err := r.Report(b.Context(), last.AddDate(0, 0, -365), last); err != nil {
				b.Fatal(err)
			}
		}
		report()
	})
	b.Run("Attention", func(b *testing.B) {
		at := now()
		for b.Loop() {
			if _, err := s.Attention(b.Context(), payments.AttentionQuery{Since: at.Add(-30 * 24 * time.Hour),
				StuckBefore: at.Add(-payments.StuckAfter), Limit: 10}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
