package storetest

import (
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// mustCreate stores p, without an idempotency key, and its created event.
func mustCreate(t testing.TB, s payments.Store, p payments.Payment) payments.Payment {
	t.Helper()
	got, created, err := s.CreatePayment(t.Context(), p, createdEvent(p), payments.Idempotency{})
	if err != nil || !created {
		t.Fatalf("CreatePayment(%s) = created %v, %v; want created, nil", p.ID, created, err)
	}
	return got
}

// mustUpdate runs Update and fails the test on error.
func mustUpdate(t testing.TB, s payments.Store, id string, fn func(tx *payments.Tx)) payments.Payment {
	t.Helper()
	p, err := s.Update(t.Context(), id, func(tx *payments.Tx) error { fn(tx); return nil })
	if err != nil {
		t.Fatalf("Update(%s): %v", id, err)
	}
	return p
}

func mustPayment(t testing.TB, s payments.Store, id string) payments.Payment {
	t.Helper()
	p, err := s.Payment(t.Context(), id)
	if err != nil {
		t.Fatalf("Payment(%s): %v", id, err)
	}
	checkUTC(t, "Payment "+id, p.CreatedAt, p.UpdatedAt, p.ExpiresAt, p.PaidAt)
	return p
}

func mustAttempt(t testing.TB, s payments.Store, ref string) payments.Attempt {
	t.Helper()
	a, err := s.Attempt(t.Context(), ref)
	if err != nil {
		t.Fatalf("Attempt(%s): %v", ref, err)
	}
	checkUTC(t, "Attempt "+ref, a.CreatedAt, a.NextCheckAt)
	return a
}

func mustAttempts(t testing.TB, s payments.Store, id string) []payments.Attempt {
	t.Helper()
	as, err := s.Attempts(t.Context(), id)
	if err != nil {
		t.Fatalf("Attempts(%s): %v", id, err)
	}
	for _, a := range as {
		checkUTC(t, "Attempts "+a.Reference, a.CreatedAt, a.NextCheckAt)
	}
	return as
}

func mustEvents(t testing.TB, s payments.Store, id string) []payments.Event {
	t.Helper()
	es, err := s.Events(t.Context(), id)
	if err != nil {
		t.Fatalf("Events(%s): %v", id, err)
	}
	for _, e := range es {
		checkUTC(t, "Events", e.CreatedAt)
	}
	return es
}

// checkUTC reports any non-zero time not in UTC: stores return UTC
// whatever zone they were given.
func checkUTC(t testing.TB, what string, times ...time.Time) {
	t.Helper()
	for i, tm := range times {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Errorf("%s: time %d is in %v, want UTC", what, i, tm.Location())
		}
	}
}

// withSeq returns e as the store returns it: numbered, for payment id.
func withSeq(e payments.Event, id string, seq int64) payments.Event {
	e.PaymentID, e.Seq = id, seq
	return e
}
