package postgres

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/storetest"
)

// superuser runs sql through psql as the postgres user, on the server of
// base (a local one: its port); it skips t where that is not possible.
func superuser(t *testing.T, base, sql string) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	db := strings.TrimPrefix(u.Path, "/")
	out, err := exec.Command("runuser", "-u", "postgres", "--", "psql", "-v", "ON_ERROR_STOP=1", "-q", "-p", port, "-d", db, "-c", sql).CombinedOutput()
	if err != nil {
		t.Fatalf("psql as postgres: %s: %v: %s", sql, err, out)
	}
}

// fullTablespace gives the test's events table a tablespace of its own on
// a 256 KiB tmpfs, which fills up after some thousands of events, and
// returns the mount point; grow gives it room again. It skips t where
// that needs what the machine does not allow: root (to mount), the
// postgres user and psql beside a local server (CREATE TABLESPACE is for
// superusers).
func fullTablespace(t *testing.T, u string) (grow func()) {
	t.Helper()
	pg, err := user.Lookup("postgres")
	if os.Geteuid() != 0 || err != nil {
		t.Skip("a tablespace on a small tmpfs needs root and a local server's postgres user")
	}
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("a tablespace on a small tmpfs needs psql")
	}
	dir, err := os.MkdirTemp("", "hpp-pgdisk-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := fmt.Sprintf("size=256k,mode=0700,uid=%s,gid=%s", pg.Uid, pg.Gid)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		os.Remove(dir)
		t.Skipf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
		os.Remove(dir)
	})
	base := pgtest.URL(t)
	role := "hpp_test"
	if bu, err := url.Parse(base); err == nil && bu.User != nil {
		role = bu.User.Username()
	}
	name := "hpp_full_" + strings.ReplaceAll(strings.TrimPrefix(dir, os.TempDir()+"/hpp-pgdisk-"), "-", "_")
	superuser(t, base, "CREATE TABLESPACE "+name+" LOCATION '"+dir+"'")
	t.Cleanup(func() { superuser(t, base, "DROP TABLESPACE IF EXISTS "+name) })
	superuser(t, base, "GRANT CREATE ON TABLESPACE "+name+" TO "+role)
	pgtest.Exec(t, u, "ALTER TABLE events SET TABLESPACE "+name)
	t.Cleanup(func() { pgtest.Exec(t, u, "ALTER TABLE events SET TABLESPACE pg_default") })
	return func() {
		if out, err := exec.Command("mount", "-o", "remount,size=64m", dir).CombinedOutput(); err != nil {
			t.Fatalf("grow the tmpfs: %v: %s", err, out)
		}
	}
}

// A write the server refuses because its disk is full ("could not
// extend file", SQLSTATE 53100) is remembered, with no path, until a
// write commits.
func TestWriteFailureRemembered(t *testing.T) {
	u := pgtest.Schema(t)
	db := mustOpen(t, u)
	if f, failing := db.LastWriteFailure(); failing {
		t.Fatalf("a fresh store remembers a failure: %+v", f)
	}
	grow := fullTablespace(t, u)
	end := testNow()
	create := func(n int) error {
		row := storetest.GrowthRow(n, end)
		_, _, err := db.CreatePayment(t.Context(), row.Payment, row.Event, payments.Idempotency{})
		return err
	}
	var err error
	n := 1
	for ; n < 20000 && err == nil; n++ {
		err = create(n)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "53100" {
		t.Fatalf("creating payments with the events' disk full = %v, want SQLSTATE 53100", err)
	}
	// Classified as SQLite's SQLITE_FULL is: the request is answered 503.
	if !errors.Is(err, payments.ErrStoreWrite) {
		t.Errorf("the create refused with SQLSTATE 53100 = %v, want payments.ErrStoreWrite", err)
	}
	f, failing := db.LastWriteFailure()
	if !failing || !strings.Contains(f.Reason, "53100") || !f.At.Equal(testNow()) {
		t.Fatalf("after the disk filled: %+v, %t; want the failure remembered, at the store's time", f, failing)
	}
	if strings.Contains(f.Reason, "base/") || strings.Contains(f.Reason, "pg_tblspc") {
		t.Errorf("the reason names a data file: %q", f.Reason)
	}
	// Ping only asks the server to answer: it does not see the disk.
	if err := db.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	grow()
	if err := create(n); err != nil {
		t.Fatal(err)
	}
	if f, failing := db.LastWriteFailure(); failing {
		t.Fatalf("after a write committed: %+v still remembered", f)
	}
	// Readiness holds the failure for a while whatever committed since.
	if f, seen := db.WriteFailureSeen(); !seen || !strings.Contains(f.Reason, "53100") {
		t.Errorf("WriteFailureSeen after a write committed = %+v, %t; want the failure kept", f, seen)
	}
	// A group-committed Update that commits forgets a failure too.
	db.health.failed.Store(&payments.WriteFailure{At: testNow(), Reason: "earlier"})
	if _, err := db.Update(t.Context(), storetest.GrowthRow(n, end).Payment.ID, func(tx *payments.Tx) error {
		tx.Payment.Description += "!"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if f, failing := db.LastWriteFailure(); failing {
		t.Fatalf("after an Update committed: %+v still remembered", f)
	}
}
