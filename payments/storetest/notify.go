package storetest

import (
	"fmt"
	"net/url"
	"strings"
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

// testFindPaidOrphans: FindPaidOrphans finds a paid orphan by its
// reference (as written, or typed in lower case) or by the order_id of its
// form, whenever it came, newest first, at most the limit asked; not one
// whose order id only begins with the text, not an orphan that was not
// paid, and not a notification applied to a payment.
func testFindPaidOrphans(t *testing.T, s payments.Store) {
	ctx := t.Context()
	record := func(n int, status, orderID string, at time.Duration) payments.Notification {
		t.Helper()
		o := newNotification(n, status)
		o.Reference = fmt.Sprintf("ORPHANREF%017d", n) // letters, as Latipay references have
		o.Body = url.Values{"merchant_reference": {o.Reference}, "order_id": {orderID}, "status": {status}, "signature": {"ab12"}}.Encode()
		o.Result, o.At = "orphan", base().Add(at)
		if err := s.RecordOrphan(ctx, o); err != nil {
			t.Fatalf("RecordOrphan: %v", err)
		}
		return o
	}
	old := record(21, "paid", "2026120700000021", -400*24*time.Hour) // long ago
	second := record(22, "paid", "2026120700000022", time.Minute)
	record(23, "failed", "2026120700000023", 2*time.Minute)
	record(24, "paid", "20261207000000221", 3*time.Minute) // an order id beginning with the second's
	p := mustCreate(t, s, newPayment(25))
	applied := newNotification(25, "paid")
	applied.Body += "&order_id=2026120700000025"
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) { tx.AddNotification(applied) })

	find := func(text string, limit int) []payments.Notification {
		t.Helper()
		ns, err := s.FindPaidOrphans(ctx, text, limit)
		if err != nil {
			t.Fatalf("FindPaidOrphans(%q): %v", text, err)
		}
		return ns
	}
	diff(t, "by reference", find(old.Reference, 10), []payments.Notification{old})
	diff(t, "by reference in lower case", find(strings.ToLower(second.Reference), 10), []payments.Notification{second})
	diff(t, "by order id", find("2026120700000022", 10), []payments.Notification{second})
	diff(t, "by the order id of one long ago", find("2026120700000021", 10), []payments.Notification{old})
	for _, text := range []string{"2026120700000023", "2026120700000025", applied.Reference, "20261207000000", "nothing-such"} {
		if ns := find(text, 10); len(ns) != 0 {
			t.Errorf("FindPaidOrphans(%q) = %v, want none", text, ns)
		}
	}
	twin := record(26, "paid", "2026120700000022", 4*time.Minute) // the same order id again
	diff(t, "newest first", find("2026120700000022", 10), []payments.Notification{twin, second})
	diff(t, "limit 1", find("2026120700000022", 1), []payments.Notification{twin})
}

// checkSeen checks NotificationSeen, the callback's duplicate check.
func checkSeen(t *testing.T, s payments.Store, reference, digest string, want bool) {
	t.Helper()
	got, err := s.NotificationSeen(t.Context(), reference, digest)
	if err != nil || got != want {
		t.Errorf("NotificationSeen(%s, %s) = %v, %v; want %v", reference, digest, got, err, want)
	}
}
