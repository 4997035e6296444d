package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/storetest"
)

// BenchmarkCreatePayments is the seeding path: 5,000 payments (with
// their event and attempt) a transaction; ns/op is per payment.
func BenchmarkCreatePayments(b *testing.B) {
	db := mustOpen(b, filepath.Join(b.TempDir(), "hpp.db"))
	b.Cleanup(func() { db.Close() })
	end := time.Now()
	b.ResetTimer()
	if _, err := storetest.Grow(b.Context(), db, 0, b.N, 5000, end); err != nil {
		b.Fatal(err)
	}
}
