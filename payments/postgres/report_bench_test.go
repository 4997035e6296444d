package postgres

import (
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/storetest"
)

// BenchmarkReports is payments/sqlite's BenchmarkReports on PostgreSQL:
// storetest.BenchReports over 1,000,000 payments paid across the year
// before testNow, seeded by one INSERT ... SELECT. Run with
// -bench Reports -benchtime 10x.
func BenchmarkReports(b *testing.B) {
	db := mustOpen(b, pgtest.Schema(b))
	const n = 1_000_000
	end, span := testNow(), 365*24*time.Hour
	seed := []string{`INSERT INTO payments (id, reference, amount, currency, method, status, source, version, paid_late,
			needs_review, refunded, created_at, updated_at, expires_at, paid_at)
		SELECT 'pay_' || lpad(i::text, 26, '0'), 'order-' || i, 100 + i % 5000, CASE i % 3 WHEN 0 THEN 'AUD' ELSE 'NZD' END,
			CASE i % 2 WHEN 0 THEN 'wechat' ELSE 'alipay' END, 'paid', CASE i % 4 WHEN 0 THEN 'link' ELSE 'api' END, 2,
			i % 1000 = 0, false, 0, t, t, t + interval '15 minutes', t
		FROM generate_series(1, $1::int) AS i, LATERAL (SELECT $2::timestamptz - i * ($3::bigint / $1::int) * interval '1 microsecond' AS t) x`,
		`INSERT INTO refunds (id, payment_id, amount, currency, status, created_at, updated_at)
		SELECT 'rf_' || substr(id, 5), id, amount, currency, 'succeeded', paid_at + interval '1 hour', paid_at + interval '1 hour'
		FROM payments WHERE substr(id, 5)::bigint % 100 = 0`,
		`ANALYZE`}
	for i, q := range seed {
		args := []any{n, end, span.Microseconds()}
		if i > 0 {
			args = nil
		}
		if _, err := db.pool.Exec(b.Context(), q, args...); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	storetest.BenchReports(b, db, testNow)
}
