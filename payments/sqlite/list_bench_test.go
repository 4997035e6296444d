package sqlite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/latipay-hpp/hpp/payments/storetest"
)

// BenchmarkList is the back office's list over HPP_BENCH_PAYMENTS payments
// (default 10,000) seeded through CreatePayment: each query's p50 and p99
// (e2e/load/README.md has the 1,000,000-payment figures and the command).
// HPP_BENCH_DB names a file to keep the seeded database in and reuse.
func BenchmarkList(b *testing.B) {
	n := storetest.BenchPayments(10_000)
	path := os.Getenv("HPP_BENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "hpp.db")
	}
	_, statErr := os.Stat(path)
	db := mustOpen(b, path)
	b.Cleanup(func() { db.Close() })
	if statErr != nil {
		storetest.SeedList(b, db, n, 64)
	}
	storetest.BenchList(b, db, n)
}
