package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// testExpired: only open payments (created, pending, failed) whose
// ExpiresAt is at or before now are returned, at most limit of them; a
// failed counter sale is not one: it stays failed (payments.Expirable).
func testExpired(t *testing.T, s payments.Store) {
	now := base().Add(time.Hour)
	n := 0
	create := func(st payments.Status, expires time.Time) string {
		n++
		p := newPayment(n)
		p.Status, p.ExpiresAt = st, expires
		return mustCreate(t, s, p).ID
	}
	want := []string{
		// No expiry counts as expired (payments.Payment.Expired).
		create(payments.StatusCreated, time.Time{}),
		create(payments.StatusCreated, now.Add(-time.Hour)),
		create(payments.StatusPending, now),
		create(payments.StatusFailed, now.Add(-time.Millisecond)),
	}
	create(payments.StatusCreated, now.Add(time.Millisecond))
	for _, src := range []string{payments.SourceCounterQR, payments.SourceCounterScan} {
		n++
		p := newPayment(n)
		p.Status, p.ExpiresAt, p.Source = payments.StatusFailed, now.Add(-time.Hour), src
		mustCreate(t, s, p)
	}
	create(payments.StatusPending, now.Add(time.Hour))
	for _, st := range []payments.Status{payments.StatusPaid, payments.StatusExpired, payments.StatusCanceled,
		payments.StatusRefunded, payments.StatusPartiallyRefunded} {
		create(st, now.Add(-time.Hour))
	}
	got, err := s.ExpiredPayments(t.Context(), now, 10)
	if err != nil {
		t.Fatalf("ExpiredPayments: %v", err)
	}
	slices.Sort(got)
	diff(t, "ExpiredPayments", got, want)

	got, err = s.ExpiredPayments(t.Context(), now, 2)
	if err != nil {
		t.Fatalf("ExpiredPayments(limit 2): %v", err)
	}
	if len(got) != 2 || !slices.Contains(want, got[0]) || !slices.Contains(want, got[1]) || got[0] == got[1] {
		t.Errorf("ExpiredPayments(limit 2) = %v, want two of %v", got, want)
	}
	// Earliest first, the one with no expiry before any.
	got, err = s.ExpiredPayments(t.Context(), now, 3)
	if err != nil {
		t.Fatalf("ExpiredPayments(limit 3): %v", err)
	}
	diff(t, "ExpiredPayments(limit 3)", got, []string{want[0], want[1], want[3]})
	// Before any window has ended only the one with no expiry is due.
	got, err = s.ExpiredPayments(t.Context(), now.Add(-2*time.Hour), 10)
	if err != nil {
		t.Fatalf("ExpiredPayments(two hours earlier): %v", err)
	}
	diff(t, "ExpiredPayments(two hours earlier)", got, want[:1])
}
