package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/accounts/accountstest"
	"github.com/latipay-hpp/hpp/payments/displays"
	"github.com/latipay-hpp/hpp/payments/displays/displaystest"
	"github.com/latipay-hpp/hpp/payments/linkstest"
	"github.com/latipay-hpp/hpp/payments/receipts"
	"github.com/latipay-hpp/hpp/payments/receipts/receiptstest"
	"github.com/latipay-hpp/hpp/payments/storetest"
)

// testNow is the clock the tests give Open.
func testNow() time.Time { return time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC) }

// newTestDB opens a fresh database in a temporary directory.
func newTestDB(t testing.TB) *DB {
	t.Helper()
	return mustOpen(t, filepath.Join(t.TempDir(), "hpp.db"))
}

func mustOpen(t testing.TB, path string) *DB {
	t.Helper()
	db, err := Open(t.Context(), path, testNow)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openRefused opens path, which must be refused, and returns Open's
// error; an Open that succeeds is closed and fails the test (what names
// the case).
func openRefused(t testing.TB, path, what string) error {
	t.Helper()
	db, err := Open(t.Context(), path, testNow)
	if err == nil {
		db.Close()
		t.Fatalf("Open(%s) = nil error, want a refusal", what)
	}
	return err
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) payments.Store { return newTestDB(t) })
}

func TestReports(t *testing.T) {
	storetest.RunReports(t, func(t *testing.T) storetest.ReportingStore { return newTestDB(t) })
}

// TestPragmas is P0 58 (e2e/README.md): every pooled connection, not only the first,
// runs in WAL mode with synchronous=FULL, foreign keys and a busy timeout;
// the writer's own checkpoint is only the backstop (walBackstopPages), the
// checkpointer's connection has the writer's settings.
func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	db := mustOpen(t, path)
	wide, err := openPool(t.Context(), dsn(path, false), 20)
	if err != nil {
		t.Fatalf("openPool: %v", err)
	}
	defer wide.Close()
	checkPool(t, "20-connection pool with the reader's settings", wide, 20)
	checkPool(t, "reader", db.reader, readerConns)
	checkPool(t, "writer", db.writer, 1)
	checkPool(t, "checkpointer", db.ckpt.conn, 1)
	var pages int
	if err := db.writer.QueryRowContext(t.Context(), "PRAGMA wal_autocheckpoint").Scan(&pages); err != nil || pages != walBackstopPages {
		t.Errorf("writer: wal_autocheckpoint = %d, %v; want %d", pages, err, walBackstopPages)
	}
}

// checkPool takes n connections from pool at once, so each is a distinct
// connection opened concurrently, and checks each one's pragmas.
func checkPool(t *testing.T, name string, pool *sql.DB, n int) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var held, wg sync.WaitGroup
	held.Add(n)
	for i := range n {
		wg.Go(func() {
			c, err := pool.Conn(ctx)
			held.Done()
			if err != nil {
				t.Errorf("%s conn %d: %v", name, i, err)
				return
			}
			defer c.Close()
			var mode string
			var sync, fk, busy int
			q := func(pragma string, dst any) {
				if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(dst); err != nil {
					t.Errorf("%s conn %d: PRAGMA %s: %v", name, i, pragma, err)
				}
			}
			q("journal_mode", &mode)
			q("synchronous", &sync)
			q("foreign_keys", &fk)
			q("busy_timeout", &busy)
			if mode != "wal" || sync != 2 || fk != 1 || busy < 5000 {
				t.Errorf("%s conn %d: journal_mode=%s synchronous=%d foreign_keys=%d busy_timeout=%d; want wal, 2, 1, >= 5000",
					name, i, mode, sync, fk, busy)
			}
			held.Wait() // keep this connection until all n are open
		})
	}
	wg.Wait()
}

// TestWriteLockHeldFromBegin shows that the writer's transactions begin
// IMMEDIATE: while a write runs in one (an Update's fn, batch.go), before
// anything is written, another writer cannot start, and its SQLITE_BUSY
// is reported as such.
func TestWriteLockHeldFromBegin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	db := mustOpen(t, path)
	p := payments.Payment{ID: "pay_1", Reference: "r", Amount: 1, Currency: payments.NZD,
		Status: payments.StatusCreated, Version: 1}
	if _, _, err := db.CreatePayment(t.Context(), p, payments.Event{Type: "payment.created"}, payments.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(50)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	err = db.inTx(t.Context(), nil, func(context.Context, cached) error {
		tx, err := other.BeginTx(t.Context(), nil)
		if err == nil {
			tx.Rollback()
			t.Error("another writer began while Update held the payment; want SQLITE_BUSY")
			return nil
		}
		if got := wrap("update", err).Error(); !strings.Contains(got, "database busy") {
			t.Errorf("wrap(busy) = %q, want it to say database busy", got)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("inTx: %v", err)
	}
}

// TestMigrateTwice is the SQLite twin of postgres.TestMigrateTogether: migrating again is a no-op,
// and a schema newer than the program is refused.
func TestMigrateTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	db := mustOpen(t, path)
	files, _ := migrations.ReadDir("migrations")
	count := func() int {
		var n int
		if err := db.writer.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := count(); got != len(files) {
		t.Fatalf("schema_migrations has %d rows, want %d", got, len(files))
	}
	if err := db.migrate(t.Context()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if got := count(); got != len(files) {
		t.Errorf("after a second migrate schema_migrations has %d rows, want %d", got, len(files))
	}
	if _, err := db.writer.Exec(`INSERT INTO schema_migrations VALUES (999, '999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	openRefused(t, path, "a database with a newer schema")
}

// TestReopen checks that committed data survives Close and Open, and that
// a path with URI-special characters names exactly that file.
func TestReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?with#odd%chars")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hpp.db")
	db := mustOpen(t, path)
	p := payments.Payment{ID: "pay_1", Reference: "r", Amount: 1250, Currency: payments.NZD,
		Status: payments.StatusCreated, Version: 1, CreatedAt: testNow(), ExpiresAt: testNow().Add(time.Hour)}
	if _, _, err := db.CreatePayment(t.Context(), p, payments.Event{Type: "payment.created"}, payments.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	a := payments.Attempt{Reference: "A1", PaymentID: p.ID, Status: payments.AttemptPending, CreatedAt: testNow()}
	want, err := db.Update(t.Context(), p.ID, func(tx *payments.Tx) error { tx.PutAttempt(a); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
	db = mustOpen(t, path)
	got, err := db.Payment(t.Context(), p.ID)
	if err != nil {
		t.Fatalf("Payment after reopen: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Payment after reopen (-want +got):\n%s", d)
	}
	as, err := db.Attempts(t.Context(), p.ID)
	if err != nil {
		t.Fatalf("Attempts after reopen: %v", err)
	}
	if d := cmp.Diff([]payments.Attempt{a}, as); d != "" {
		t.Errorf("Attempts after reopen (-want +got):\n%s", d)
	}
}

// TestAttemptStaysWithItsPayment: an attempt reference taken by one payment
// cannot be written through another payment's Update.
func TestAttemptStaysWithItsPayment(t *testing.T) {
	db := newTestDB(t)
	for _, id := range []string{"pay_1", "pay_2"} {
		p := payments.Payment{ID: id, Reference: "r", Amount: 1, Currency: payments.NZD,
			Status: payments.StatusCreated, Version: 1}
		if _, _, err := db.CreatePayment(t.Context(), p, payments.Event{Type: "payment.created"}, payments.Idempotency{}); err != nil {
			t.Fatal(err)
		}
	}
	a := payments.Attempt{Reference: "A1", PaymentID: "pay_1", Status: payments.AttemptPending}
	if _, err := db.Update(t.Context(), "pay_1", func(tx *payments.Tx) error { tx.PutAttempt(a); return nil }); err != nil {
		t.Fatal(err)
	}
	_, err := db.Update(t.Context(), "pay_2", func(tx *payments.Tx) error { tx.PutAttempt(a); return nil })
	if !errors.Is(err, payments.ErrConflict) {
		t.Errorf("Update of another payment's attempt = %v, want ErrConflict", err)
	}
	if got, err := db.Attempt(t.Context(), "A1"); err != nil || got.PaymentID != "pay_1" {
		t.Errorf("Attempt(A1) = %+v, %v; want it still on pay_1", got, err)
	}
	if p, err := db.Payment(t.Context(), "pay_2"); err != nil || p.Version != 1 {
		t.Errorf("Payment(pay_2) = version %d, %v; want unchanged", p.Version, err)
	}
}

// TestUpdateWritesEveryColumn: Update leaves unchanged indexed columns out
// of its UPDATE when it can (write.go: updatePaymentState,
// updatePaymentStatus, updatePaymentStatusMethod, updatePaymentAttempt, updatePaymentBooks,
// updateAttemptState), yet a change to any of them
// is still stored (read from the file, past the payment cache).
func TestUpdateWritesEveryColumn(t *testing.T) {
	db := newTestDB(t)
	now := testNow()
	p := payments.Payment{ID: "pay_1", Reference: "r1", Amount: 1, Currency: payments.NZD,
		Status: payments.StatusCreated, Version: 1, CreatedAt: now, UpdatedAt: now}
	if _, _, err := db.CreatePayment(t.Context(), p, payments.Event{Type: "payment.created"}, payments.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	a := payments.Attempt{Reference: "A1", PaymentID: "pay_1", Status: payments.AttemptPending, CreatedAt: now}
	steps := []struct {
		name string
		fn   func(tx *payments.Tx)
	}{
		{"new attempt", func(tx *payments.Tx) { tx.PutAttempt(a) }},
		{"state only", func(tx *payments.Tx) {
			tx.Payment.Status = payments.StatusPending
			a.Status = payments.AttemptPaid
			tx.PutAttempt(a)
		}},
		{"every attempt column kept by its update", func(tx *payments.Tx) {
			a.Method, a.Hosted, a.OrderID, a.QRCodeURL = payments.MethodAlipay, true, "2026030100000001", "weixin://x"
			a.AmountCNY, a.Rate, a.NextCheckAt, a.Checks = "58.20", "4.656", now.Add(time.Minute), 3
			tx.PutAttempt(a)
		}},
		{"reference, creation times", func(tx *payments.Tx) {
			tx.Payment.Reference, tx.Payment.CreatedAt = "r2", now.Add(time.Second)
			a.CreatedAt = now.Add(2 * time.Second)
			tx.PutAttempt(a)
		}},
		{"status, paid time", func(tx *payments.Tx) {
			tx.Payment.Status, tx.Payment.PaidAt, tx.Payment.LatipayReference = payments.StatusPaid, now, "A1"
			tx.Touch()
		}},
		{"attempt bookkeeping", func(tx *payments.Tx) {
			tx.Payment.LatipayReference, tx.Payment.Attempts = "A2", 4
			tx.Payment.AmountCNY, tx.Payment.CurrencyRate, tx.Payment.UpdatedAt = "9.31", "4.655", now.Add(3*time.Second)
			tx.Touch()
		}},
		{"method and attempt bookkeeping", func(tx *payments.Tx) {
			tx.Payment.Method, tx.Payment.LatipayReference, tx.Payment.Attempts = payments.MethodWeChat, "A3", 5
			tx.Touch()
		}},
		{"order id", func(tx *payments.Tx) { tx.Payment.LatipayOrderID = "2026030100000002"; tx.Touch() }},
		{"refunded", func(tx *payments.Tx) { tx.Payment.Refunded = 1; tx.Touch() }},
		{"paid late", func(tx *payments.Tx) { tx.Payment.PaidLate = true; tx.Touch() }},
		{"needs review", func(tx *payments.Tx) { tx.Payment.NeedsReview = true; tx.Touch() }},
		{"reviewed", func(tx *payments.Tx) { tx.Payment.ReviewedAt = now.Add(4 * time.Second); tx.Touch() }},
		{"expiry", func(tx *payments.Tx) { tx.Payment.ExpiresAt = now.Add(time.Hour); tx.Touch() }},
		{"paid time", func(tx *payments.Tx) { tx.Payment.PaidAt = now.Add(5 * time.Second); tx.Touch() }},
		{"state and method", func(tx *payments.Tx) {
			tx.Payment.Status, tx.Payment.Method = payments.StatusPending, payments.MethodAlipay
			tx.Touch()
		}},
		{"amount", func(tx *payments.Tx) { tx.Payment.Amount = 2; tx.Touch() }},
		{"currency", func(tx *payments.Tx) { tx.Payment.Currency = payments.AUD; tx.Touch() }},
		{"description", func(tx *payments.Tx) { tx.Payment.Description = "Long black"; tx.Touch() }},
		{"method", func(tx *payments.Tx) { tx.Payment.Method = payments.MethodAlipay; tx.Touch() }},
		{"source", func(tx *payments.Tx) { tx.Payment.Source = "counter"; tx.Touch() }},
		{"return URL", func(tx *payments.Tx) { tx.Payment.ReturnURL = "https://shop.example/r"; tx.Touch() }},
		{"cancel URL", func(tx *payments.Tx) { tx.Payment.CancelURL = "https://shop.example/c"; tx.Touch() }},
	}
	for _, s := range steps {
		want, err := db.Update(t.Context(), "pay_1", func(tx *payments.Tx) error { s.fn(tx); return nil })
		if err != nil {
			t.Fatalf("%s: Update: %v", s.name, err)
		}
		got, err := scanPayment(db.writer.QueryRowContext(t.Context(), selectPayment, "pay_1"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: stored payment differs from Update's (-want +got):\n%s", s.name, diff)
		}
		gotA, err := db.Attempt(t.Context(), "A1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a, gotA); diff != "" {
			t.Errorf("%s: stored attempt (-want +got):\n%s", s.name, diff)
		}
	}
	ps, err := db.ListPayments(t.Context(), payments.PaymentFilter{Reference: "r2", Limit: 10})
	if err != nil || len(ps) != 1 {
		t.Errorf("ListPayments(reference r2) = %d payments, %v; want 1 (the index follows the column)", len(ps), err)
	}
	for _, f := range []payments.PaymentFilter{{Text: "Long black"}, {Method: payments.MethodAlipay}, {Source: "counter"}} {
		f.Limit = 10
		if ps, err := db.ListPayments(t.Context(), f); err != nil || len(ps) != 1 {
			t.Errorf("ListPayments(%+v) = %d payments, %v; want 1 (the index follows the column)", f, len(ps), err)
		}
	}
}

func TestAccountStore(t *testing.T) {
	accountstest.Run(t, func(t *testing.T) accounts.Store { return newTestDB(t) })
}

func TestReceiptStore(t *testing.T) {
	receiptstest.Run(t, func(t *testing.T) receipts.Store { return newTestDB(t) })
}

func TestDisplayStore(t *testing.T) {
	displaystest.Run(t, func(t *testing.T) displays.Store { return newTestDB(t) })
}

func TestLinkStore(t *testing.T) {
	linkstest.Run(t, func(t *testing.T) linkstest.Store { return newTestDB(t) })
}

// TestAuditAppendOnly: the schema itself refuses to change or remove an
// audit entry, whatever code runs against the file.
func TestAuditAppendOnly(t *testing.T) {
	db := newTestDB(t)
	if _, err := db.AppendAudit(t.Context(), accounts.AuditEntry{At: testNow(), Action: "refund", Target: "pay_1"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_log SET action = 'nothing'`, `DELETE FROM audit_log`} {
		if _, err := db.writer.ExecContext(t.Context(), q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s = %v, want refused as append-only", q, err)
		}
	}
}

// TestClaimDueIndex: attempts_due holds only attempts with a check
// scheduled (migration 020), so that a paid transition, which clears the
// next check, deletes its entry and inserts none; ClaimDueAttempts still
// finds the due attempts through it, and the settled ones are not in it.
func TestClaimDueIndex(t *testing.T) {
	db, p := newTestDBWithPayment(t)
	ctx := t.Context()
	now := testNow()
	if _, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error {
		tx.PutAttempt(payments.Attempt{Reference: "LIVE", Status: payments.AttemptPending, CreatedAt: now, NextCheckAt: now})
		tx.PutAttempt(payments.Attempt{Reference: "PAID", Status: payments.AttemptPaid, CreatedAt: now})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.writer.QueryContext(ctx, "EXPLAIN QUERY PLAN "+claimDue, now.UnixNano(), now.UnixNano(), 10,
		string(payments.AttemptInitiated), string(payments.AttemptPending), string(payments.AttemptPaid))
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	rows.Close()
	if !strings.Contains(strings.Join(plan, "\n"), "USING INDEX attempts_due") {
		t.Errorf("ClaimDueAttempts' plan does not use attempts_due:\n%s", strings.Join(plan, "\n"))
	}
	var partial bool
	if err := db.reader.QueryRowContext(ctx, `SELECT partial FROM pragma_index_list('attempts')
		WHERE name = 'attempts_due'`).Scan(&partial); err != nil || !partial {
		t.Errorf("attempts_due partial: %v, %v; want a partial index", partial, err)
	}
	as, err := db.ClaimDueAttempts(ctx, now, time.Minute, 10)
	if err != nil || len(as) != 1 || as[0].Reference != "LIVE" {
		t.Errorf("ClaimDueAttempts = %+v, %v; want LIVE", as, err)
	}
}

// TestWriterCacheSpill: the write connection does not spill a
// transaction's dirty pages before its commit (writerPragmas), also after
// CreatePayments, which spills for its own transaction only.
func TestWriterCacheSpill(t *testing.T) {
	db := newTestDB(t)
	spill := func() int {
		t.Helper()
		var n int
		if err := db.writer.QueryRowContext(t.Context(), "PRAGMA cache_spill").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := spill(); n != 0 {
		t.Fatalf("writer cache_spill = %d at open, want 0 (off)", n)
	}
	if _, err := storetest.Grow(t.Context(), db, 0, 20, 10, testNow()); err != nil {
		t.Fatal(err)
	}
	if n := spill(); n != 0 {
		t.Fatalf("writer cache_spill = %d after CreatePayments, want 0 (off)", n)
	}
	// The migrations and the bulk insert run on a connection that spills.
	conn, done, err := db.spilling(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRowContext(t.Context(), "PRAGMA cache_spill").Scan(&n); err != nil || n == 0 {
		t.Fatalf("cache_spill inside spilling = %d, %v; want on", n, err)
	}
	done()
	if n := spill(); n != 0 {
		t.Fatalf("writer cache_spill = %d after spilling, want 0 (off)", n)
	}
}
