package postgres

import (
	"net/url"
	"testing"

	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/storetest"
)

// BenchmarkList is the back office's list over HPP_BENCH_PAYMENTS payments
// (default 10,000) seeded through CreatePayment into a fresh schema: each
// query's p50 and p99 (e2e/load/README.md has the 1,000,000-payment
// figures and the command). The seeding connections commit without
// waiting for the WAL flush (synchronous_commit=off, a session setting):
// the rows are the same, only written faster.
func BenchmarkList(b *testing.B) {
	n := storetest.BenchPayments(10_000)
	u, err := url.Parse(pgtest.Schema(b))
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	seed := mustOpen(b, u.String())
	storetest.SeedList(b, seed, n, 16)
	pgtest.Exec(b, u.String(), "ANALYZE payments")
	storetest.BenchList(b, seed, n)
}
