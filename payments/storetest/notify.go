package storetest

import (
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// testUpdateNotifications: notifications are recorded once per Digest; a
// repeat is ignored without failing the transaction.
func testUpdateNotifications(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, newPayment(1))
	pending, paid := newNotification(1, "pending"), newNotification(1, "paid")
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) { tx.AddNotification(pending) })
	repeat := pending
	repeat.Body, repeat.Result = "a repeat", "duplicate"
	got := mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		tx.AddNotification(repeat)
		tx.AddNotification(paid)
	})
	if got.Version != 3 {
		t.Errorf("Version = %d, want 3", got.Version)
	}
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) { tx.AddNotification(paid) })
	checkSeen(t, s, reference(1), pending.Digest, true)
	checkSeen(t, s, reference(1), paid.Digest, true)
	checkSeen(t, s, reference(1), newNotification(1, "failed").Digest, false)
	checkSeen(t, s, reference(2), paid.Digest, false) // the digest under another reference
	if ns, ok := mustNotifications(t, s, reference(1)); ok {
		diff(t, "Notifications", ns, []payments.Notification{pending, paid})
		for _, n := range ns {
			checkUTC(t, "Notifications", n.At)
		}
	}
}

// testRecordOrphan: an orphan is kept once per Digest, also when the same
// digest was recorded through Update.
func testRecordOrphan(t *testing.T, s payments.Store) {
	ctx := t.Context()
	o := newNotification(9, "paid")
	o.Result = "orphan"
	if err := s.RecordOrphan(ctx, o); err != nil {
		t.Fatalf("RecordOrphan: %v", err)
	}
	repeat := o
	repeat.Body = "a repeat"
	if err := s.RecordOrphan(ctx, repeat); err != nil {
		t.Errorf("RecordOrphan(repeat) = %v, want nil", err)
	}
	p := mustCreate(t, s, newPayment(1))
	applied := newNotification(1, "paid")
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) { tx.AddNotification(applied) })
	late := applied
	late.Result = "orphan"
	if err := s.RecordOrphan(ctx, late); err != nil {
		t.Errorf("RecordOrphan(digest already applied) = %v, want nil", err)
	}
	checkSeen(t, s, o.Reference, o.Digest, true)
	if ns, ok := mustNotifications(t, s, o.Reference); ok {
		diff(t, "Notifications of the orphan", ns, []payments.Notification{o})
		ns, _ = mustNotifications(t, s, applied.Reference)
		diff(t, "Notifications of the applied one", ns, []payments.Notification{applied})
	}
}

// testPaidOrphans: PaidOrphans lists the orphans whose status is paid,
// received since the time asked, newest first, at most the limit asked,
// and counts them all; other orphans and applied notifications are not
// listed.
func testPaidOrphans(t *testing.T, s payments.Store) {
	ctx := t.Context()
	record := func(n int, status string, at time.Duration) payments.Notification {
		t.Helper()
		o := newNotification(n, status)
		o.Result, o.At = "orphan", base().Add(at)
		if err := s.RecordOrphan(ctx, o); err != nil {
			t.Fatalf("RecordOrphan: %v", err)
		}
		return o
	}
	record(11, "paid", -48*time.Hour) // before since
	first := record(12, "paid", time.Minute)
	record(13, "failed", 2*time.Minute)
	second := record(14, "paid", 3*time.Minute)
	third := record(15, "paid", 4*time.Minute)
	p := mustCreate(t, s, newPayment(16))
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) { tx.AddNotification(newNotification(16, "paid")) })

	since := base().Add(-24 * time.Hour)
	ns, total, err := s.PaidOrphans(ctx, since, 2)
	if err != nil {
		t.Fatalf("PaidOrphans: %v", err)
	}
	diff(t, "PaidOrphans, limit 2", ns, []payments.Notification{third, second})
	if total != 3 {
		t.Errorf("PaidOrphans total = %d, want 3", total)
	}
	ns, _, err = s.PaidOrphans(ctx, since, 10)
	if err != nil {
		t.Fatalf("PaidOrphans: %v", err)
	}
	diff(t, "PaidOrphans", ns, []payments.Notification{third, second, first})
}

// checkSeen checks NotificationSeen, the callback's duplicate check.
func checkSeen(t *testing.T, s payments.Store, reference, digest string, want bool) {
	t.Helper()
	got, err := s.NotificationSeen(t.Context(), reference, digest)
	if err != nil || got != want {
		t.Errorf("NotificationSeen(%s, %s) = %v, %v; want %v", reference, digest, got, err, want)
	}
}
