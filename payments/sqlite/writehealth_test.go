package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
)

// limitPages makes the write connection's file full at its current size
// (PRAGMA max_page_count: SQLite then answers SQLITE_FULL to a write that
// needs another page, as on a full disk), or lifts the limit (0).
func limitPages(t *testing.T, db *DB, full bool) {
	t.Helper()
	n := int64(1 << 30)
	if full {
		if err := db.writer.QueryRowContext(t.Context(), "PRAGMA page_count").Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.writer.ExecContext(t.Context(), fmt.Sprintf("PRAGMA max_page_count = %d", n)); err != nil {
		t.Fatal(err)
	}
}

// A write SQLite refuses for want of space is remembered, with its time
// and SQLite's code and no path, until a write commits: the group
// commit's writes (CreatePayment) and a write of its own on the write
// connection (the back office's) alike.
func TestWriteFailureRemembered(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, filepath.Join(dir, "hpp.db"))
	if f, failing := db.LastWriteFailure(); failing {
		t.Fatalf("a fresh store remembers a failure: %+v", f)
	}
	create := func(n int) error {
		p := benchPayment(n)
		_, _, err := db.CreatePayment(t.Context(), p, payments.Event{Type: "payment.created", To: p.Status, CreatedAt: p.CreatedAt}, payments.Idempotency{})
		return err
	}
	if err := create(1); err != nil {
		t.Fatal(err)
	}
	// Free pages (a migration's rebuilt table left its old ones) would
	// take the new payments first: the file is full when none is left.
	if _, err := db.writer.ExecContext(t.Context(), "VACUUM"); err != nil {
		t.Fatal(err)
	}
	limitPages(t, db, true)
	var err error
	n := 2
	for ; n < 5000 && err == nil; n++ {
		err = create(n)
	}
	var se *sqlite.Error
	if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_FULL {
		t.Fatalf("creating payments in a full file = %v, want SQLITE_FULL", err)
	}
	if !errors.Is(err, payments.ErrStoreWrite) {
		t.Errorf("the create refused with SQLITE_FULL = %v, want payments.ErrStoreWrite (a 503)", err)
	}
	f, failing := db.LastWriteFailure()
	if !failing || !strings.Contains(f.Reason, "disk is full") || !f.At.Equal(testNow()) {
		t.Fatalf("after SQLITE_FULL: %+v, %t; want the failure remembered, at the store's time", f, failing)
	}
	if strings.Contains(f.Reason, dir) {
		t.Errorf("the reason names the path: %q", f.Reason)
	}
	limitPages(t, db, false)
	if err := create(n); err != nil {
		t.Fatal(err)
	}
	if f, failing := db.LastWriteFailure(); failing {
		t.Fatalf("after a write committed: %+v still remembered", f)
	}

	// The back office's writes, which bypass the group commit.
	limitPages(t, db, true)
	err = nil
	for i := 0; i < 5000 && err == nil; i++ {
		err = db.CreateAccount(t.Context(), accounts.Account{ID: fmt.Sprintf("acc_%d", i), Email: fmt.Sprintf("p%d@shop.example", i),
			Name: strings.Repeat("n", 200), Role: accounts.Cashier, CreatedAt: testNow(), UpdatedAt: testNow()})
	}
	if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_FULL {
		t.Fatalf("creating accounts in a full file = %v, want SQLITE_FULL", err)
	}
	if !errors.Is(err, payments.ErrStoreWrite) {
		t.Errorf("the account refused with SQLITE_FULL = %v, want payments.ErrStoreWrite (a 503)", err)
	}
	if _, failing := db.LastWriteFailure(); !failing {
		t.Fatal("a back-office write refused for want of space is not remembered")
	}
	limitPages(t, db, false)
	if err := db.CreateAccount(t.Context(), accounts.Account{ID: "acc_last", Email: "last@shop.example", Role: accounts.Cashier,
		CreatedAt: testNow(), UpdatedAt: testNow()}); err != nil {
		t.Fatal(err)
	}
	if f, failing := db.LastWriteFailure(); failing {
		t.Fatalf("after a back-office write committed: %+v still remembered", f)
	}
}

// TestWriteFailureSeenAfterACommit: with the file at its size limit, a
// write that changes a payment in place commits while new payments still
// fail. The commit clears LastWriteFailure (the metrics' "failing"), but
// WriteFailureSeen keeps the failure, so readiness does not flip to
// ready while payments cannot be created.
func TestWriteFailureSeenAfterACommit(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "hpp.db"))
	if f, seen := db.WriteFailureSeen(); seen {
		t.Fatalf("a fresh store has seen a failure: %+v", f)
	}
	create := func(n int) error {
		p := benchPayment(n)
		_, _, err := db.CreatePayment(t.Context(), p, payments.Event{Type: "payment.created", To: p.Status, CreatedAt: p.CreatedAt}, payments.Idempotency{})
		return err
	}
	if err := create(1); err != nil {
		t.Fatal(err)
	}
	// Free pages (a migration's rebuilt table left its old ones) would
	// take the new payments first: the file is full when none is left.
	if _, err := db.writer.ExecContext(t.Context(), "VACUUM"); err != nil {
		t.Fatal(err)
	}
	limitPages(t, db, true)
	var err error
	n := 2
	for ; n < 5000 && err == nil; n++ {
		err = create(n)
	}
	if !errors.Is(err, payments.ErrStoreWrite) {
		t.Fatalf("creating payments in a full file = %v, want ErrStoreWrite", err)
	}
	if _, err := db.Update(t.Context(), benchPayment(1).ID, func(tx *payments.Tx) error {
		tx.Payment.Description = strings.ToUpper(tx.Payment.Description) // same length: in place
		tx.Touch()
		return nil
	}); err != nil {
		t.Fatalf("an update in place in the full file: %v", err)
	}
	if f, failing := db.LastWriteFailure(); failing {
		t.Fatalf("after a write committed, LastWriteFailure = %+v", f)
	}
	if err := create(n); !errors.Is(err, payments.ErrStoreWrite) {
		t.Fatalf("a new payment after the update = %v, want ErrStoreWrite still", err)
	}
	if err := db.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Update(t.Context(), benchPayment(1).ID, func(tx *payments.Tx) error {
		tx.Payment.Description = strings.ToLower(tx.Payment.Description)
		tx.Touch()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f, seen := db.WriteFailureSeen()
	if !seen || !strings.Contains(f.Reason, "disk is full") || !f.At.Equal(testNow()) {
		t.Fatalf("WriteFailureSeen after a commit that followed the failure = %+v, %t; want the failure kept", f, seen)
	}
}
