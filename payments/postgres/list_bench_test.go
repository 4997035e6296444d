package postgres

import (
	"net/url"
	"os"
	"regexp"
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
//
// HPP_BENCH_PG_SCHEMA names a schema to keep the seeded payments in and
// reuse, as HPP_BENCH_DB does for SQLite: it is created when missing, seeded
// when it holds no payment, and never dropped (DROP SCHEMA name CASCADE
// removes it). Opening it runs any newer migration, so a kept schema
// measures the indexes of the code under test.
func BenchmarkList(b *testing.B) {
	n := storetest.BenchPayments(10_000)
	var raw string
	if name := os.Getenv("HPP_BENCH_PG_SCHEMA"); name != "" {
		raw = keptSchema(b, name)
	} else {
		raw = pgtest.Schema(b)
	}
	u, err := url.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	seed := mustOpen(b, u.String())
	have := pgtest.QueryInt64(b, u.String(), "SELECT count(*) FROM payments")
	switch {
	case have == 0:
		storetest.SeedList(b, seed, n, 16)
		pgtest.Exec(b, u.String(), "ANALYZE payments")
	case have != int64(n):
		b.Fatalf("schema %s holds %d payments, not HPP_BENCH_PAYMENTS=%d: drop it or pick another name", os.Getenv("HPP_BENCH_PG_SCHEMA"), have, n)
	default:
		b.Logf("reusing %d seeded payments", have)
	}
	storetest.BenchList(b, seed, n)
}

// keptSchema creates schema name on the test server if it is missing and
// returns a URL selecting it; the schema outlives the benchmark.
func keptSchema(b *testing.B, name string) string {
	b.Helper()
	if !regexp.MustCompile(`^[a-z_][a-z0-9_]{0,40}$`).MatchString(name) {
		b.Fatalf("HPP_BENCH_PG_SCHEMA=%q: use lower-case letters, digits and _", name)
	}
	base := pgtest.URL(b)
	pgtest.Exec(b, base, "CREATE SCHEMA IF NOT EXISTS "+name)
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}
