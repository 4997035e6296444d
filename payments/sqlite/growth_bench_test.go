package sqlite

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/storetest"
)

// BenchmarkGrowth is e2e/load's growth rows at the store: the same
// operations over a database of HPP_BENCH_PAYMENTS seeded payments
// (default 10,000; storetest.GrowthRow through CreatePayments, as the
// harness seeds). HPP_BENCH_DB names a file to keep the seeded database
// in and reuse (it is grown to the count if it holds fewer; measuring
// adds the payments created). Each sub-benchmark reports, besides ns/op,
// the process's CPU per operation (cpu-µs/op) and its read and write
// system calls per operation (syscr/op: pages SQLite did not find in its
// page cache or the memory map; syscw/op: WAL frames and checkpoint
// writes), which do not depend on how busy the machine is: compare them
// between a 10,000 and a 1,000,000 file; rss-MB is the process's RSS
// after the sub-benchmark (what a bigger page cache costs). At 1,000,000
// payments the B-trees' interior pages alone (some 2,500, 10 MB) are five
// times SQLite's default page cache of 2,000 KiB, so each write's index
// descents read their pages again (e2e/load/README.md has the figures). Run it with a fixed count, e.g.
// -benchtime 3000x, as the harness measures a few thousand operations
// per row:
//
//	create:   CreatePayment from 64 goroutines (group-committed)
//	start:    Update adding the attempt and the pending status (checkout start)
//	callback: the duplicate check, the attempt lookup and the paid transition
//	read:     one payment read from the read pool, not the cache (a page's miss)
//	readseed: the same for seeded payments spread over the whole file
//	list:     the API's first page of 51 and the status=paid page
func BenchmarkGrowth(b *testing.B) {
	n := storetest.BenchPayments(10_000)
	path := os.Getenv("HPP_BENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "hpp.db")
	}
	db := mustOpen(b, path)
	ctx := b.Context()
	var have int
	if err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM payments`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have < n {
		if _, err := storetest.Grow(ctx, db, have, n, 5000, testNow()); err != nil {
			b.Fatal(err)
		}
		have = n
	}
	for db.checking.Load() { // a large file's start-up check reads every page (health.go)
		time.Sleep(50 * time.Millisecond)
	}
	var seeded int // GrowthRow's merchant references, SEED- followed by digits
	if err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM payments WHERE reference > 'SEED-' AND reference < 'SEED.'`).Scan(&seeded); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d payments (%d seeded) in %s", have, seeded, path)
	tag := strconv.FormatInt(time.Now().UnixNano(), 36)
	var made atomic.Int64
	fresh := func(count int) []payments.Payment {
		ps := make([]payments.Payment, count)
		for i := range ps {
			k := made.Add(1)
			p := benchPayment(int(k))
			id, err := payments.NewPaymentID(rand.Reader, time.Now())
			if err != nil {
				panic(err)
			}
			p.ID = id
			p.Reference = fmt.Sprintf("g-%s-%d", tag, k)
			ps[i] = p
		}
		return ps
	}
	parallel := func(b *testing.B, op func(i int) error) {
		var next atomic.Int64
		b.SetParallelism(32) // 64 goroutines on two cores, as the harness's connections
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := op(int(next.Add(1) - 1)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	create := func(ps []payments.Payment, i int) error {
		_, _, err := db.CreatePayment(ctx, ps[i], payments.Event{Type: "payment.created", To: payments.StatusCreated, CreatedAt: testNow()}, payments.Idempotency{})
		return err
	}
	ref := func(p payments.Payment) string { // as the service's: the time (the id's), then random
		h := sha256.Sum256([]byte(p.ID))
		return strings.ToUpper(p.ID[len("pay_"):len("pay_")+7]) + crockford.EncodeToString(h[:16])
	}
	start := func(p payments.Payment) error {
		a := payments.Attempt{Reference: ref(p), PaymentID: p.ID, Method: payments.MethodWeChat,
			Status: payments.AttemptPending, CreatedAt: testNow(), NextCheckAt: testNow().Add(30 * time.Second)}
		_, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error {
			tx.Payment.Status, tx.Payment.UpdatedAt, tx.Payment.Attempts = payments.StatusPending, testNow(), 1
			tx.PutAttempt(a)
			tx.AddEvent(payments.Event{Type: "payment.pending", From: payments.StatusCreated, To: payments.StatusPending, CreatedAt: testNow()})
			return nil
		})
		return err
	}
	prepare := func(b *testing.B, started bool) []payments.Payment {
		ps := fresh(b.N)
		var wg sync.WaitGroup
		var next atomic.Int64
		for range 64 {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < len(ps); i = int(next.Add(1) - 1) {
					err := create(ps, i)
					if err == nil && started {
						err = start(ps[i])
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return ps
	}

	b.Run("create", func(b *testing.B) {
		ps := fresh(b.N)
		defer growthMeter(b)()
		parallel(b, func(i int) error { return create(ps, i) })
	})
	b.Run("start", func(b *testing.B) {
		ps := prepare(b, false)
		b.ResetTimer()
		defer growthMeter(b)()
		parallel(b, func(i int) error { return start(ps[i]) })
	})
	b.Run("callback", func(b *testing.B) {
		ps := prepare(b, true)
		b.ResetTimer()
		defer growthMeter(b)()
		parallel(b, func(i int) error {
			r := ref(ps[i])
			if _, err := db.NotificationSeen(ctx, r, "d"+r); err != nil {
				return err
			}
			id, err := db.AttemptPayment(ctx, r)
			if err != nil {
				return err
			}
			_, err = db.Update(ctx, id, func(tx *payments.Tx) error {
				a := tx.Attempts[0]
				tx.Payment.Status, tx.Payment.UpdatedAt, tx.Payment.PaidAt = payments.StatusPaid, testNow(), testNow()
				tx.Payment.LatipayReference = r
				a.Status, a.NextCheckAt = payments.AttemptPaid, time.Time{}
				tx.PutAttempt(a)
				tx.AddEvent(payments.Event{Type: "payment.paid", From: payments.StatusPending, To: payments.StatusPaid, CreatedAt: testNow()})
				tx.AddNotification(payments.Notification{Reference: r, Digest: "d" + r, Status: "paid",
					Body: "merchant_reference=" + r + "&status=paid", Result: "applied", At: testNow()})
				return nil
			})
			return err
		})
	})
	b.Run("read", func(b *testing.B) {
		ps := prepare(b, false)
		b.ResetTimer()
		defer growthMeter(b)()
		parallel(b, func(i int) error { _, err := db.readPayment(ctx, ps[i%len(ps)].ID); return err })
	})
	b.Run("readseed", func(b *testing.B) {
		ids := make([]string, b.N)
		for i := range ids {
			ids[i] = storetest.GrowthID(1 + (i*7919)%seeded)
		}
		defer growthMeter(b)()
		parallel(b, func(i int) error {
			_, err := db.readPayment(ctx, ids[i])
			return err
		})
	})
	b.Run("list", func(b *testing.B) {
		defer growthMeter(b)()
		parallel(b, func(i int) error {
			f := payments.PaymentFilter{Limit: 51}
			if i%2 == 1 {
				f.Status = payments.StatusPaid
			}
			ps, err := db.ListPayments(ctx, f)
			if err == nil && len(ps) == 0 {
				err = fmt.Errorf("list: no payments")
			}
			return err
		})
	})
}

// crockford is the alphabet of payment ids and references.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// growthMeter reports the process's CPU (user and system) and its read
// and write system calls (/proc/self/io's syscr and syscw) per operation
// from now until the returned func is called.
func growthMeter(b *testing.B) (stop func()) {
	b.Helper()
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start, r0, w0 := cpu(), procIO("syscr"), procIO("syscw")
	return func() {
		b.ReportMetric(float64((cpu()-start).Microseconds())/float64(b.N), "cpu-µs/op")
		if r0 >= 0 && w0 >= 0 {
			b.ReportMetric(float64(procIO("syscr")-r0)/float64(b.N), "syscr/op")
			b.ReportMetric(float64(procIO("syscw")-w0)/float64(b.N), "syscw/op")
		}
		if rss := procStatus("VmRSS"); rss > 0 {
			b.ReportMetric(float64(rss)/1024, "rss-MB")
		}
	}
}

// procStatus returns a kB figure of /proc/self/status (Linux), -1
// elsewhere.
func procStatus(name string) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			if n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil {
				return n
			}
		}
	}
	return -1
}

// procIO returns a counter of /proc/self/io (Linux), -1 elsewhere.
func procIO(name string) int64 {
	raw, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				return n
			}
		}
	}
	return -1
}
