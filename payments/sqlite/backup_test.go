package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latipay-hpp/hpp/payments"
)

// TestBackupUnderLoad takes a backup while writers create payments and
// apply callbacks to them (a verified notification and the move to paid),
// restores it to a fresh path and opens it as the server would: every
// payment committed before the backup began is there, equal to a version
// that was committed (no torn write), no older than it was then, with
// exactly that version's events and notifications.
func TestBackupUnderLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hpp.db")
	db := mustOpen(t, path) // the "server": holds hpp.db.lock throughout

	type version struct {
		p      payments.Payment
		events int
		notes  int
	}
	var mu sync.Mutex
	history := map[string]map[int64]version{} // id -> version -> what was committed
	commit := func(p payments.Payment, events, notes int) {
		mu.Lock()
		defer mu.Unlock()
		if history[p.ID] == nil {
			history[p.ID] = map[int64]version{}
		}
		history[p.ID][p.Version] = version{p, events, notes}
	}
	snapshot := func() map[string]int64 { // id -> newest committed version
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int64{}
		for id, vs := range history {
			for v := range vs {
				out[id] = max(out[id], v)
			}
		}
		return out
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				p := benchPayment(w*1_000_000 + i)
				p, _, err := db.CreatePayment(t.Context(), p, payments.Event{Type: "payment.created", CreatedAt: testNow()}, payments.Idempotency{})
				if err != nil {
					errc <- err
					return
				}
				commit(p, 1, 0)
				ref := fmt.Sprintf("R%025d", w*1_000_000+i)
				p, err = db.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
					tx.PutAttempt(payments.Attempt{Reference: ref, PaymentID: tx.Payment.ID, Method: payments.MethodWeChat,
						Status: payments.AttemptPending, CreatedAt: testNow()})
					tx.Payment.Status, tx.Payment.Method, tx.Payment.LatipayReference = payments.StatusPending, payments.MethodWeChat, ref
					tx.AddEvent(payments.Event{Type: "payment.pending", From: payments.StatusCreated, To: payments.StatusPending, CreatedAt: testNow()})
					return nil
				})
				if err != nil {
					errc <- err
					return
				}
				commit(p, 2, 0)
				p, err = db.Update(t.Context(), p.ID, func(tx *payments.Tx) error { // the callback
					tx.AddNotification(payments.Notification{Reference: ref, Digest: "d-" + ref, Status: "paid",
						Body: "merchant_reference=" + ref, Result: "applied", At: testNow()})
					tx.Payment.Status, tx.Payment.PaidAt = payments.StatusPaid, testNow()
					tx.AddEvent(payments.Event{Type: "payment.paid", From: payments.StatusPending, To: payments.StatusPaid, CreatedAt: testNow()})
					return nil
				})
				if err != nil {
					errc <- err
					return
				}
				commit(p, 3, 1)
			}
		})
	}
	waitFor := func(n int) {
		t.Helper()
		for end := time.Now().Add(60 * time.Second); len(snapshot()) < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(end) { // a hang guard, not a timing assertion
				t.Fatalf("the load committed fewer than %d payments", n)
			}
		}
	}

	waitFor(100)
	before := snapshot()
	backup := filepath.Join(dir, "backup.db")
	if err := Backup(t.Context(), path, backup); err != nil {
		t.Fatalf("Backup while serving: %v", err)
	}
	waitFor(len(before) + 50) // the load went on during and after the backup
	close(stop)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("load: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	restored := filepath.Join(t.TempDir(), "hpp.db")
	if kept, err := Restore(t.Context(), restored, backup); err != nil || kept != "" {
		t.Fatalf("Restore to a fresh path = %q, %v", kept, err)
	}
	rdb := mustOpen(t, restored)
	for id, newest := range before {
		got, err := rdb.Payment(t.Context(), id)
		if err != nil {
			t.Errorf("payment %s committed before the backup: %v", id, err)
			continue
		}
		v, ok := history[id][got.Version]
		switch {
		case !ok || got.Version < newest:
			t.Errorf("payment %s restored at version %d, committed at %d before the backup", id, got.Version, newest)
			continue
		case !cmp.Equal(v.p, got):
			t.Errorf("payment %s version %d differs from what was committed: %s", id, got.Version, cmp.Diff(v.p, got))
		}
		if es, err := rdb.Events(t.Context(), id); err != nil || len(es) != v.events {
			t.Errorf("payment %s: %d events, %v; want %d", id, len(es), err, v.events)
		}
		if v.p.LatipayReference != "" {
			if ns, err := rdb.Notifications(t.Context(), v.p.LatipayReference); err != nil || len(ns) != v.notes {
				t.Errorf("payment %s: %d notifications, %v; want %d", id, len(ns), err, v.notes)
			}
		}
	}
	t.Logf("%d payments committed before the backup, %d by the end of the load", len(before), len(history))
}

// TestBackupErrors: a path that cannot be written, an existing file and a
// missing database are clear errors naming the file; restore refuses
// while the server holds the database and refuses a file that is not a
// backup; a restore keeps the database it replaces.
func TestBackupErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hpp.db")
	db := mustOpen(t, path)
	if _, _, err := db.CreatePayment(t.Context(), benchPayment(1), payments.Event{Type: "payment.created"}, payments.Idempotency{}); err != nil {
		t.Fatal(err)
	}

	ro := filepath.Join(dir, "read-only")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 { // root writes anywhere: the check below needs a plain user
		if err := Backup(t.Context(), path, filepath.Join(ro, "b.db")); err == nil || !strings.Contains(err.Error(), ro) || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("Backup into a read-only directory = %v, want an error naming %s", err, ro)
		}
	}
	if err := Backup(t.Context(), path, filepath.Join(path, "b.db")); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Backup under a file = %v, want a clear error", err) // fails for root too
	}
	if err := Backup(t.Context(), path, filepath.Join(dir, "no-such-dir", "b.db")); err == nil || !strings.Contains(err.Error(), "no-such-dir") {
		t.Errorf("Backup into a missing directory = %v, want an error naming it", err)
	}
	if err := Backup(t.Context(), filepath.Join(dir, "missing.db"), filepath.Join(dir, "b.db")); err == nil || !strings.Contains(err.Error(), "missing.db") {
		t.Errorf("Backup of a missing database = %v, want an error naming it", err)
	}
	good := filepath.Join(dir, "good.db")
	if err := Backup(t.Context(), path, good); err != nil {
		t.Fatal(err)
	}
	if err := Backup(t.Context(), path, good); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("Backup over an existing file = %v, want a refusal", err)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, ".*partial*")); len(matches) != 0 {
		t.Errorf("partial files left behind: %v", matches)
	}

	if _, err := Restore(t.Context(), path, good); err == nil || !strings.Contains(err.Error(), "stop the server") {
		t.Errorf("Restore while the server holds the database = %v, want a refusal", err)
	}
	db.Close()
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(t.Context(), path, junk); err == nil || !strings.Contains(err.Error(), "not a sound backup") {
		t.Errorf("Restore of a junk file = %v, want a refusal", err)
	}
	// Something written after the backup is in the kept file, not in the restored one.
	db = mustOpen(t, path)
	if _, _, err := db.CreatePayment(t.Context(), benchPayment(2), payments.Event{Type: "payment.created"}, payments.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	kept, err := Restore(t.Context(), path, good)
	if err != nil || !strings.HasPrefix(kept, path+".replaced-") {
		t.Fatalf("Restore = %q, %v; want the old database kept", kept, err)
	}
	db = mustOpen(t, path)
	if _, err := db.Payment(t.Context(), benchPayment(2).ID); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("payment written after the backup is in the restored database: %v", err)
	}
	db.Close()
	old := mustOpen(t, kept)
	if _, err := old.Payment(t.Context(), benchPayment(2).ID); err != nil {
		t.Errorf("the kept database lost a payment: %v", err)
	}
}
