package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// mustSeed writes n payments through CreatePayment and moves them from
// the WAL into the main file, so damage to the file is what readers see.
func mustSeed(t testing.TB, db *DB, n int) {
	t.Helper()
	for i := range n {
		p := benchPayment(i + 1)
		if _, _, err := db.CreatePayment(t.Context(), p, payments.Event{Type: "payment.created", To: p.Status, CreatedAt: p.CreatedAt}, payments.Idempotency{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.writer.ExecContext(t.Context(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
}

// damageFile overwrites four pages in the middle of the file, as a bad
// disk or a careless copy would.
func damageFile(t testing.TB, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	pages := fi.Size() / 4096
	if pages < 12 {
		t.Fatalf("file has %d pages, want at least 12", pages)
	}
	damagePages(t, path, pages/4, pages/2, pages/2+1, 3*pages/4)
}

// damagePages overwrites the given pages (numbered from 1) with junk.
func damagePages(t testing.TB, path string, pages ...int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	junk := []byte(strings.Repeat("\xde\xad\xbe\xef", 1024))
	for _, pg := range pages {
		if _, err := f.WriteAt(junk, (pg-1)*4096); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOpenRefusesDamagedFile: a 200-payment file with four pages
// overwritten is refused at start-up with advice to restore the backup
// (it used to open, answer /readyz, and fail every write).
func TestOpenRefusesDamagedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	db := mustOpen(t, path)
	mustSeed(t, db, 200)
	db.Close()
	damageFile(t, path)
	if err := openRefused(t, path, "damaged file"); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "restore the latest backup") {
		t.Errorf("Open(damaged file) = %v, want ErrDamaged saying to restore the backup", err)
	}
}

// TestPingFailsOnDamage: damage found while serving (here by the
// merchant's payment list) makes Ping, and so /readyz,
// fail from then on.
func TestPingFailsOnDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	db := mustOpen(t, path)
	mustSeed(t, db, 200)
	var root int64
	if err := db.writer.QueryRowContext(t.Context(), "SELECT rootpage FROM sqlite_master WHERE name = 'payments'").Scan(&root); err != nil {
		t.Fatal(err)
	}
	damagePages(t, path, root)
	_, err := db.ListPayments(t.Context(), payments.PaymentFilter{Limit: 1000})
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("ListPayments over damaged pages = %v, want ErrDamaged", err)
	}
	if err := db.Ping(t.Context()); !errors.Is(err, ErrDamaged) {
		t.Errorf("Ping after damage = %v, want ErrDamaged", err)
	}
}

// TestOpenRefusesForeignFile: a SQLite file holding another program's
// tables is refused, naming them, and left untouched; an empty file is
// ours to fill.
func TestOpenRefusesForeignFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "other.db")
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'Ann')"); err != nil {
		t.Fatal(err)
	}
	other.Close()
	if err := openRefused(t, path, "another program's file"); !errors.Is(err, ErrForeign) || !strings.Contains(err.Error(), "customers") {
		t.Errorf("Open(another program's file) = %v, want ErrForeign naming customers", err)
	}
	other, _ = sql.Open("sqlite", path)
	defer other.Close()
	var n int
	if err := other.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'payments'").Scan(&n); err != nil || n != 0 {
		t.Errorf("payments tables added to the other program's file: %d, %v", n, err)
	}

	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, empty)
	mustOpen(t, filepath.Join(dir, "reopened.db")).Close()
	mustOpen(t, filepath.Join(dir, "reopened.db")) // our own file opens again
}

// BenchmarkQuickCheck measures the start-up integrity check on a file of
// HPP_BENCH_PAYMENTS payments (default 10,000) written through
// CreatePayment: go test -run '^$' -bench QuickCheck -benchtime 1x.
func BenchmarkQuickCheck(b *testing.B) {
	n := 10_000
	if v := os.Getenv("HPP_BENCH_PAYMENTS"); v != "" {
		fmt.Sscan(v, &n)
	}
	path := filepath.Join(b.TempDir(), "hpp.db")
	db := mustOpen(b, path)
	seedParallel(b, db, n)
	db.Close()
	fi, _ := os.Stat(path)
	b.Logf("%d payments, %.0f MB", n, float64(fi.Size())/(1<<20))
	for b.Loop() {
		db, err := Open(b.Context(), path, testNow)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := quickCheck(b.Context(), db.writer); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "check-s")
		db.Close()
	}
}

// seedParallel writes n payments through CreatePayment from 64 goroutines,
// so group commit batches them.
func seedParallel(b *testing.B, db *DB, n int) {
	jobs := make(chan int)
	errc := make(chan error, 64)
	for range 64 {
		go func() {
			for i := range jobs {
				p := benchPayment(i)
				if _, _, err := db.CreatePayment(b.Context(), p, payments.Event{Type: "payment.created", To: p.Status, CreatedAt: p.CreatedAt}, payments.Idempotency{}); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
	}
	for i := range n {
		jobs <- i + 1
	}
	close(jobs)
	for range 64 {
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
	}
}

// TestLargeFileCheckedInBackground: a file over syncCheckMax is checked
// while the app serves; Ping fails while the check runs and, once it has
// found damage, for good.
func TestLargeFileCheckedInBackground(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	db := mustOpen(t, path)
	mustSeed(t, db, 200)
	damageFile(t, path)
	if err := db.checkFile(t.Context(), syncCheckMax+1); err != nil {
		t.Fatalf("checkFile(large) = %v, want nil (the check runs in the background)", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for db.checking.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling for the check to end, not synchronising
	}
	if err := db.Ping(t.Context()); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "quick_check") {
		t.Errorf("Ping after the background check = %v, want ErrDamaged with its finding", err)
	}
}
