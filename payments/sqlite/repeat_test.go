package sqlite

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
)

// repeatFixture is a payment with an attempt written through Update, and
// a notification for the attempt.
func repeatFixture(t *testing.T, db *DB) (payments.Payment, payments.Attempt, payments.Notification) {
	t.Helper()
	p := benchPayment(1)
	if _, _, err := db.CreatePayment(t.Context(), p, payments.Event{Type: "payment.created", CreatedAt: testNow()}, payments.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	a := payments.Attempt{Reference: "REPEAT0000000000000000001", PaymentID: p.ID, Method: payments.MethodWeChat,
		Status: payments.AttemptPending, CreatedAt: testNow()}
	if _, err := db.Update(t.Context(), p.ID, func(tx *payments.Tx) error { tx.PutAttempt(a); return nil }); err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("paid"))
	n := payments.Notification{Reference: a.Reference, Digest: hex.EncodeToString(d[:]), Status: "paid",
		Body: "status=paid", Result: "applied", At: testNow()}
	return p, a, n
}

// record is an Update that records n with an effect of its own (an
// event), as a callback's apply does.
func record(n payments.Notification) func(tx *payments.Tx) error {
	return func(tx *payments.Tx) error {
		tx.AddNotification(n)
		tx.AddEvent(payments.Event{Type: "anomaly", CreatedAt: testNow()})
		return nil
	}
}

// TestRepeatWritesNothing: an Update that records a notification already
// recorded (a callback's repeat that reached the writer: after a restart,
// or racing its first copy) writes nothing at all, its other effects
// included, commits nothing and returns the payment as stored with nil
// (the callback is answered "sent"). The duplicate check then knows the
// notification without a read. Before the store decided repeats itself,
// the repeat's event and version bump were committed (the notification
// alone was ignored).
func TestRepeatWritesNothing(t *testing.T) {
	db := newTestDB(t)
	p, _, n := repeatFixture(t, db)
	first, err := db.Update(t.Context(), p.ID, record(n))
	if err != nil {
		t.Fatal(err)
	}
	// As after a restart: the cache does not know the notification.
	db.refs = newAttemptCache()
	var commits atomic.Int32
	db.hooks.beforeCommit = func(int) error { commits.Add(1); return nil }
	got, err := db.Update(t.Context(), p.ID, record(n))
	if err != nil {
		t.Fatalf("repeat: Update = %v, want nil (a repeat is acknowledged)", err)
	}
	if got.Version != first.Version {
		t.Errorf("repeat returned version %d, want %d as stored", got.Version, first.Version)
	}
	if c := commits.Load(); c != 0 {
		t.Errorf("repeat committed %d batches, want none", c)
	}
	evs, err := db.Events(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := db.readPayment(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if k := countEvents(evs, "anomaly"); k != 1 || stored.Version != first.Version {
		t.Errorf("after the repeat: %d anomaly events, version %d; want 1 and %d", k, stored.Version, first.Version)
	}
	if id, seen, known := db.refs.target(n.Reference, n.Digest); !known || !seen || id != p.ID {
		t.Errorf("cache after the repeat: %q seen %v known %v; want %s seen, known", id, seen, known, p.ID)
	}
}

// TestNotificationTargetAcrossRestart: the duplicate check answers from
// memory only what it knows to be exact, so a restart (an empty cache) or
// a reference cached without its notifications (found by a lookup)
// still finds a recorded notification, from the database; and the first
// callback for an attempt this process wrote is answered without a read.
func TestNotificationTargetAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	db := mustOpen(t, path)
	p, a, n := repeatFixture(t, db)
	other := n
	d := sha256.Sum256([]byte("failed"))
	other.Digest, other.Status = hex.EncodeToString(d[:]), "failed"
	// The attempt was inserted here: its entry is complete, and a
	// notification not recorded is known to be new.
	if id, seen, known := db.refs.target(a.Reference, n.Digest); !known || seen || id != p.ID {
		t.Errorf("before the notification: %q seen %v known %v; want %s, not seen, known", id, seen, known, p.ID)
	}
	if _, err := db.Update(t.Context(), p.ID, record(n)); err != nil {
		t.Fatal(err)
	}
	check := func(when string, db *DB) {
		t.Helper()
		seen, id, err := db.NotificationTarget(t.Context(), a.Reference, n.Digest)
		if err != nil || !seen || id != p.ID {
			t.Errorf("%s: NotificationTarget = %v, %q, %v; want seen, %s", when, seen, id, err, p.ID)
		}
		seen, id, err = db.NotificationTarget(t.Context(), a.Reference, other.Digest)
		if err != nil || seen || id != p.ID {
			t.Errorf("%s: another digest: NotificationTarget = %v, %q, %v; want not seen, %s", when, seen, id, err, p.ID)
		}
	}
	check("recorded", db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, path)
	check("after a restart", db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, path)
	if id, err := db.AttemptPayment(t.Context(), a.Reference); err != nil || id != p.ID {
		t.Fatalf("AttemptPayment = %q, %v", id, err)
	}
	check("after a restart and a lookup", db)
}

func countEvents(evs []payments.Event, typ string) int {
	k := 0
	for _, e := range evs {
		if e.Type == typ {
			k++
		}
	}
	return k
}
