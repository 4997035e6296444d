package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/sqlite"
)

// TestAdminResetPasswordLocksTills: `hpp admin reset-password` of a
// cashier locks the counter device they unlocked and records it, once:
// a counter.lock in the command's name that says which till, whose turn
// ended and why. Run again, it finds nothing more to lock.
func TestAdminResetPasswordLocksTills(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hpp.db")
	open := func() *sqlite.DB {
		t.Helper()
		st, err := sqlite.Open(t.Context(), db, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	_, _, dev, _, _ := seedSessions(t, st)
	st.Close()
	for range 2 {
		if out, errOut, status := hppEnv(t, map[string]string{"HPP_DATABASE": db}, "admin", "reset-password", "till@shop.example"); status != 0 {
			t.Fatalf("hpp admin reset-password = %d, %q, %q", status, out, errOut)
		}
	}
	st = open()
	defer st.Close()
	if d, err := st.Device(t.Context(), dev); err != nil || d.CashierID != "" {
		t.Errorf("the till after the reset = %+v, %v; want locked", d, err)
	}
	es, err := st.Audit(t.Context(), accounts.AuditFilter{Action: "counter.lock", Limit: 5})
	want := counter.LockedDetail(counter.Device{Name: "Front till"}, "till@shop.example", counter.LockedPasswordReset)
	if err != nil || len(es) != 1 || es[0].Target != dev || es[0].Email != "(hpp admin reset-password)" || es[0].After != want {
		t.Errorf("counter.lock rows after two resets = %+v, %v; want one for %s by the command: %q", es, err, dev, want)
	}
}
