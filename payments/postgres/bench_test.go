package postgres

import (
	"crypto/sha256"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/latipay-hpp/hpp/payments"
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
	pids := backends(b, db)
	before := serverCPU(pids)
	b.ResetTimer()
	defer reportServerCPU(b, pids, before)
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

// BenchmarkCreateParallel is the store's half of payment creation from 32
// goroutines: CreatePayment with its event and idempotency key, the
// payment's indexes and its payment_text row (written by migration 021's
// trigger, with the search box's trigram and word indexes) kept by the
// server. Besides ns/op it reports the server's
// CPU per payment (pg-cpu-µs/op) when the server runs on this machine:
// the user and system time, from /proc, of the backends serving the
// store's pool, which is where an index's cost shows.
func BenchmarkCreateParallel(b *testing.B) {
	db := mustOpen(b, pgtest.Schema(b))
	now := time.Now()
	var next atomic.Int64
	run := strconv.Itoa(b.N)
	b.SetParallelism(16) // 32 goroutines on 2 CPUs
	pids := backends(b, db)
	before := serverCPU(pids)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			p := payments.Payment{ID: fmt.Sprintf("pay_%s_%024d", run, i), Reference: fmt.Sprintf("load-%s-%d", run, i),
				Amount: 1250, Currency: payments.NZD, Description: "Load test order", Status: payments.StatusCreated,
				Source: "api", ReturnURL: "https://shop.example/return", Version: 1,
				CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
			_, _, err := db.CreatePayment(b.Context(), p, payments.Event{Type: "payment.created", To: payments.StatusCreated, CreatedAt: now},
				payments.Idempotency{Key: "load-" + run + "-" + strconv.FormatInt(i, 10), Hash: "h"})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportServerCPU(b, pids, before)
}

// reportServerCPU reports the CPU the backends pids used since before,
// per operation (pg-cpu-µs/op), when the server runs on this machine.
func reportServerCPU(b *testing.B, pids []int, before time.Duration) {
	b.StopTimer()
	if after := serverCPU(pids); before > 0 && after > before {
		b.ReportMetric(float64((after-before).Microseconds())/float64(b.N), "pg-cpu-µs/op")
	}
}

// BenchmarkCallbackParallel is the store's half of a paid callback from
// 32 goroutines, each on a payment of its own, as Service.Notify does
// it: NotificationTarget (the duplicate check and the attempt's
// payment), then an Update that moves the payment and its attempt to
// paid and records the event and the notification. The payments are
// seeded pending, with random ids, in bulk before the timer starts.
// Moving to paid changes indexed columns (status, paid_at), so each
// update adds an entry to every index of payments: pg-cpu-µs/op is the
// server's CPU for that, which the load harness's pg2 row pays per
// callback.
func BenchmarkCallbackParallel(b *testing.B) {
	db := mustOpen(b, pgtest.Schema(b))
	end := time.Now()
	refs := make([]string, b.N)
	rows := make([]payments.NewPayment, 0, 1000)
	for i := range b.N {
		row := storetest.GrowthRow(i+1, end)
		p, a := row.Payment, row.Attempts[0]
		p.ID = fmt.Sprintf("pay_%x", sha256.Sum256([]byte(p.ID)))[:30]
		p.Status, p.PaidAt, p.LatipayOrderID, p.Refunded = payments.StatusPending, time.Time{}, "", 0
		p.ExpiresAt = end.Add(time.Hour)
		a.PaymentID, a.Status, a.OrderID = p.ID, payments.AttemptPending, ""
		a.Reference = fmt.Sprintf("%x", sha256.Sum256([]byte(a.Reference)))[:24]
		p.LatipayReference, refs[i] = a.Reference, a.Reference
		row.Payment, row.Attempts, row.Event.PaymentID = p, []payments.Attempt{a}, p.ID
		if rows = append(rows, row); len(rows) == cap(rows) || i == b.N-1 {
			if err := db.CreatePayments(b.Context(), rows); err != nil {
				b.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	if _, err := db.pool.Exec(b.Context(), "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.SetParallelism(16) // 32 goroutines on 2 CPUs
	pids := backends(b, db)
	before := serverCPU(pids)
	b.ResetTimer()
	defer reportServerCPU(b, pids, before)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ref := refs[next.Add(1)-1]
			digest := "d" + ref
			seen, id, err := db.NotificationTarget(b.Context(), ref, digest)
			if err != nil || seen || id == "" {
				b.Errorf("NotificationTarget(%s) = %v, %q, %v", ref, seen, id, err)
				return
			}
			_, err = db.Update(b.Context(), id, func(tx *payments.Tx) error {
				a := tx.Attempts[0]
				tx.Payment.Status, tx.Payment.UpdatedAt, tx.Payment.PaidAt = payments.StatusPaid, end, end
				tx.Payment.LatipayOrderID = "2025" + ref[:12]
				a.Status, a.OrderID, a.NextCheckAt = payments.AttemptPaid, tx.Payment.LatipayOrderID, time.Time{}
				tx.PutAttempt(a)
				tx.AddEvent(payments.Event{Type: "payment.paid", From: payments.StatusPending, To: payments.StatusPaid, CreatedAt: end})
				tx.AddNotification(payments.Notification{Reference: ref, Digest: digest, Status: "paid",
					Body: "merchant_reference=" + ref + "&status=paid", Result: "applied", At: end})
				return nil
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// backends holds every connection of the store's pool at once and
// returns their server processes' ids.
func backends(b *testing.B, db *DB) []int {
	var pids []int
	var held []*pgxpool.Conn
	for range db.pool.Config().MaxConns {
		c, err := db.pool.Acquire(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		held = append(held, c)
		var pid int
		if err := c.QueryRow(b.Context(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			b.Fatal(err)
		}
		pids = append(pids, pid)
	}
	for _, c := range held {
		c.Release()
	}
	return pids
}

// serverCPU is the CPU time used so far by the processes pids, or 0
// where none can be read (a server on another machine).
func serverCPU(pids []int) time.Duration {
	var ticks int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || s[open+1:end] != "postgres" {
			continue
		}
		fields := strings.Fields(s[end+1:]) // state is fields[0]; utime and stime are the 14th and 15th of the line
		if len(fields) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(fields[11], 10, 64)
		st, _ := strconv.ParseInt(fields[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}

// BenchmarkCallbackReads: a callback's reads before its write, the
// duplicate check and the attempt's payment, as two statements
// (NotificationSeen, AttemptPayment: two round trips) and as one
// (NotificationTarget), 32 goroutines over 256 seeded payments.
func BenchmarkCallbackReads(b *testing.B) {
	db := mustOpen(b, pgtest.Schema(b))
	end := time.Now()
	const n = 256
	if _, err := storetest.Grow(b.Context(), db, 0, n, n, end); err != nil {
		b.Fatal(err)
	}
	refs := make([]string, n)
	for i := range refs {
		refs[i] = storetest.GrowthRow(i+1, end).Attempts[0].Reference
	}
	run := func(b *testing.B, read func(ref string) error) {
		var next atomic.Int64
		b.SetParallelism(16)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := read(refs[next.Add(1)%n]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("two", func(b *testing.B) {
		run(b, func(ref string) error {
			if _, err := db.NotificationSeen(b.Context(), ref, "d"); err != nil {
				return err
			}
			_, err := db.AttemptPayment(b.Context(), ref)
			return err
		})
	})
	b.Run("one", func(b *testing.B) {
		run(b, func(ref string) error {
			_, _, err := db.NotificationTarget(b.Context(), ref, "d")
			return err
		})
	})
}
