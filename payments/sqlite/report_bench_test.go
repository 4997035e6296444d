package sqlite

import (
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/storetest"
)

// BenchmarkReports is storetest.BenchReports over 1,000,000 payments paid
// across the year before testNow (some 2,740 a day, one in a hundred
// refunded, one in a thousand flagged), seeded by one INSERT ... SELECT,
// not through the store, so the seed takes seconds; run with
// -bench Reports -benchtime 20x.
func BenchmarkReports(b *testing.B) {
	db := newTestDB(b)
	const n = 1_000_000
	end := testNow().UnixNano()
	span := int64(365 * 24 * time.Hour)
	seed := []string{`WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < ?1)
		INSERT INTO payments (id, reference, amount, currency, method, status, source, version, paid_late, needs_review,
			refunded, created_at, updated_at, expires_at, paid_at)
		SELECT printf('pay_%026d', n), printf('order-%d', n), 100 + n % 5000, CASE n % 3 WHEN 0 THEN 'AUD' ELSE 'NZD' END,
			CASE n % 2 WHEN 0 THEN 'wechat' ELSE 'alipay' END, 'paid', CASE n % 4 WHEN 0 THEN 'link' ELSE 'api' END, 2,
			n % 1000 = 0, 0, 0, ?2 - n * (?3 / ?1), ?2 - n * (?3 / ?1), ?2 - n * (?3 / ?1) + 900000000000, ?2 - n * (?3 / ?1)
		FROM i`,
		`INSERT INTO refunds (id, payment_id, amount, currency, status, created_at, updated_at)
		SELECT 'rf_' || substr(id, 5), id, amount, currency, 'succeeded', paid_at + 3600000000000, paid_at + 3600000000000
		FROM payments WHERE CAST(substr(id, 5) AS INTEGER) % 100 = 0`,
		`ANALYZE`}
	for _, q := range seed {
		if _, err := db.writer.ExecContext(b.Context(), q, n, end, span); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	storetest.BenchReports(b, db, testNow)
}
