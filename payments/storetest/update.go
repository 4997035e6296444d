package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// testUpdateFnError: when fn fails nothing it recorded is written, and
// Update returns fn's error with the payment as stored.
func testUpdateFnError(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, newPayment(1))
	a := newAttempt(p.ID, 1, base())
	boom := errors.New("boom")
	got, err := s.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
		tx.Payment.Status = payments.StatusPending
		tx.Payment.Attempts++
		tx.PutAttempt(a)
		tx.AddEvent(payments.Event{Type: "attempt.started", CreatedAt: base()})
		tx.AddNotification(newNotification(1, "paid"))
		tx.Touch()
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want fn's error", err)
	}
	diff(t, "Update result", got, p)
	diff(t, "Payment", mustPayment(t, s, p.ID), p)
	if as := mustAttempts(t, s, p.ID); len(as) != 0 {
		t.Errorf("Attempts = %v, want none", as)
	}
	if _, err := s.Attempt(t.Context(), a.Reference); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("Attempt error = %v, want ErrNotFound", err)
	}
	if es := mustEvents(t, s, p.ID); len(es) != 1 {
		t.Errorf("Events = %d events, want 1", len(es))
	}
	if ns, ok := mustNotifications(t, s, reference(1)); ok && len(ns) != 0 {
		t.Errorf("Notifications = %v, want none", ns)
	}
}

// testUpdateNoChange: fn sees the stored state; recording nothing writes
// nothing and leaves Version alone.
func testUpdateNoChange(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, newPayment(1))
	a := newAttempt(p.ID, 1, base())
	p = mustUpdate(t, s, p.ID, func(tx *payments.Tx) { tx.PutAttempt(a) })
	calls := 0
	got := mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		calls++
		diff(t, "tx.Payment", tx.Payment, p)
		diff(t, "tx.Attempts", tx.Attempts, []payments.Attempt{a})
	})
	if calls != 1 {
		t.Errorf("fn ran %d times, want 1", calls)
	}
	diff(t, "Update result", got, p)
	diff(t, "Payment", mustPayment(t, s, p.ID), p)
}

// testUpdateChanges: a change is written with Version+1, whatever fn set
// Version to; Touch alone appends no event.
func testUpdateChanges(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, newPayment(1))
	later := base().Add(time.Minute)
	got := mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		tx.Payment.Status, tx.Payment.Method = payments.StatusPaid, payments.MethodAlipay
		tx.Payment.LatipayReference, tx.Payment.LatipayOrderID = reference(7), "order-7"
		tx.Payment.Attempts, tx.Payment.Refunded = 3, 0
		tx.Payment.AmountCNY, tx.Payment.CurrencyRate = "60.01", "4.8"
		tx.Payment.PaidLate, tx.Payment.NeedsReview = false, false
		tx.Payment.UpdatedAt, tx.Payment.PaidAt = later, time.Time{}
		tx.Payment.Version = 99
		tx.Touch()
	})
	want := p
	want.Status, want.Method = payments.StatusPaid, payments.MethodAlipay
	want.LatipayReference, want.LatipayOrderID = reference(7), "order-7"
	want.Attempts, want.Refunded = 3, 0
	want.AmountCNY, want.CurrencyRate = "60.01", "4.8"
	want.PaidLate, want.NeedsReview = false, false
	want.UpdatedAt, want.PaidAt = later, time.Time{}
	want.Version = 2
	diff(t, "Update result", got, want)
	checkUTC(t, "Update result", got.CreatedAt, got.UpdatedAt, got.ExpiresAt, got.PaidAt)
	diff(t, "Payment", mustPayment(t, s, p.ID), want)
	want.Version = 3
	diff(t, "second Update", mustUpdate(t, s, p.ID, func(tx *payments.Tx) { tx.Touch() }), want)
	if es := mustEvents(t, s, p.ID); len(es) != 1 {
		t.Errorf("Events = %d events, want 1", len(es))
	}
}

// testUpdateAttempts: attempts are inserted and updated, round-trip every
// field, and list oldest first (ties in the order first written).
func testUpdateAttempts(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, newPayment(1))
	a1 := newAttempt(p.ID, 1, base())
	a2 := newAttempt(p.ID, 2, base().Add(time.Minute))
	a2.Hosted, a2.Method, a2.Status, a2.NextCheckAt = false, payments.MethodWeChat, payments.AttemptInitiated, time.Time{}
	a2.Kind, a2.PayCodeHash = payments.KindBarcode, "5f0c2b1e9a7d4c3b8e6f1a2d0c9b8a7e" // a scanned pay code
	a3 := newAttempt(p.ID, 3, base().Add(time.Minute))
	a3.OrderID, a3.QRCodeURL, a3.AmountCNY, a3.Rate, a3.Checks = "", "", "", "", 0
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) { tx.PutAttempt(a1) })
	diff(t, "Attempt", mustAttempt(t, s, a1.Reference), a1)
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		diff(t, "tx.Attempts", tx.Attempts, []payments.Attempt{a1})
		tx.PutAttempt(a2)
		tx.PutAttempt(a3)
	})
	diff(t, "Attempts", mustAttempts(t, s, p.ID), []payments.Attempt{a1, a2, a3})

	// Updating keeps the order; an older attempt written later sorts first.
	a2.Status, a2.OrderID, a2.NextCheckAt, a2.Checks = payments.AttemptPaid, "paid-order", time.Time{}, 9
	a1.NextCheckAt = base().Add(time.Hour)
	a0 := newAttempt(p.ID, 4, base().Add(-time.Millisecond))
	got := mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		tx.PutAttempt(a2)
		tx.PutAttempt(a1)
		tx.PutAttempt(a0)
	})
	if got.Version != 4 {
		t.Errorf("Version = %d, want 4", got.Version)
	}
	diff(t, "Attempt after update", mustAttempt(t, s, a2.Reference), a2)
	diff(t, "Attempts after update", mustAttempts(t, s, p.ID), []payments.Attempt{a0, a1, a2, a3})
	q := mustCreate(t, s, newPayment(2))
	if as := mustAttempts(t, s, q.ID); len(as) != 0 {
		t.Errorf("Attempts of another payment = %v, want none", as)
	}
	// An attempt never moves: a write that tries fails, and the lookup by
	// reference still names the first payment.
	moved := a3
	moved.PaymentID = q.ID
	if _, err := s.Update(t.Context(), q.ID, func(tx *payments.Tx) error { tx.PutAttempt(moved); return nil }); err == nil {
		t.Errorf("Update moving attempt %s to another payment succeeded, want an error", a3.Reference)
	}
	for _, a := range []payments.Attempt{a0, a1, a2, a3} {
		if id, err := s.AttemptPayment(t.Context(), a.Reference); err != nil || id != p.ID {
			t.Errorf("AttemptPayment(%s) = %q, %v; want %q", a.Reference, id, err, p.ID)
		}
	}
}

// testUpdateEvents: events are numbered 1, 2, 3... per payment.
func testUpdateEvents(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, newPayment(1))
	q := mustCreate(t, s, newPayment(2))
	e1 := payments.Event{Type: "attempt.started", From: payments.StatusCreated, To: payments.StatusCreated,
		Detail: "wechat " + reference(1), CreatedAt: base().Add(time.Second), Seq: 42}
	e2 := payments.Event{Type: "payment.pending", From: payments.StatusCreated, To: payments.StatusPending,
		CreatedAt: base().Add(2 * time.Second)}
	e3 := payments.Event{Type: "payment.paid", From: payments.StatusPending, To: payments.StatusPaid,
		Detail: "via callback", Data: `{"reference":"` + reference(1) + `"}`, CreatedAt: base().Add(3 * time.Second)}
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) { tx.AddEvent(e1); tx.AddEvent(e2) })
	mustUpdate(t, s, q.ID, func(tx *payments.Tx) { tx.AddEvent(e3) })
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) { tx.AddEvent(e3) })
	diff(t, "Events", mustEvents(t, s, p.ID), []payments.Event{withSeq(createdEvent(p), p.ID, 1),
		withSeq(e1, p.ID, 2), withSeq(e2, p.ID, 3), withSeq(e3, p.ID, 4)})
	diff(t, "Events of another payment", mustEvents(t, s, q.ID),
		[]payments.Event{withSeq(createdEvent(q), q.ID, 1), withSeq(e3, q.ID, 2)})
}

// testEventsOfType: the events of one type of several payments in one
// call, by payment, then sequence; none of a payment not named, of
// another type, or of an unknown payment; nothing for no payment.
func testEventsOfType(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, newPayment(2))
	q := mustCreate(t, s, newPayment(1))
	other := mustCreate(t, s, newPayment(3))
	ok := func(amount int64, at int) payments.Event {
		return payments.Event{Type: "refund.succeeded", Detail: "refund", Data: fmt.Sprintf(`{"amount":%d}`, amount),
			CreatedAt: base().Add(time.Duration(at) * time.Second)}
	}
	failed := payments.Event{Type: "refund.failed", Data: `{"amount":7}`, CreatedAt: base().Add(time.Second)}
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) { tx.AddEvent(ok(100, 1)); tx.AddEvent(failed) })
	mustUpdate(t, s, q.ID, func(tx *payments.Tx) { tx.AddEvent(ok(200, 2)) })
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) { tx.AddEvent(ok(300, 3)) })
	mustUpdate(t, s, other.ID, func(tx *payments.Tx) { tx.AddEvent(ok(400, 4)) })

	got, err := s.EventsOfType(t.Context(), []string{p.ID, q.ID, paymentID(99)}, "refund.succeeded")
	if err != nil {
		t.Fatalf("EventsOfType: %v", err)
	}
	for _, e := range got {
		checkUTC(t, "EventsOfType", e.CreatedAt)
	}
	first, second := p, q
	if q.ID < p.ID {
		first, second = q, p
	}
	var want []payments.Event
	for _, x := range []payments.Payment{first, second} {
		for _, e := range mustEvents(t, s, x.ID) {
			if e.Type == "refund.succeeded" {
				want = append(want, e)
			}
		}
	}
	if len(want) != 3 {
		t.Fatalf("the payments hold %d refund.succeeded events, want 3", len(want))
	}
	diff(t, "EventsOfType", got, want)
	if got, err := s.EventsOfType(t.Context(), nil, "refund.succeeded"); err != nil || len(got) != 0 {
		t.Errorf("EventsOfType of no payment = %v, %v; want none", got, err)
	}
	if got, err := s.EventsOfType(t.Context(), []string{other.ID}, "refund.pending"); err != nil || len(got) != 0 {
		t.Errorf("EventsOfType of a type the payment has none of = %v, %v; want none", got, err)
	}
}

// testUpdateConcurrent: 50 concurrent read-modify-writes lose nothing.
func testUpdateConcurrent(t *testing.T, s payments.Store) {
	const n = 50
	p := mustCreate(t, s, newPayment(1))
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := s.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
				tx.Payment.Attempts++
				tx.AddEvent(payments.Event{Type: "test.increment", CreatedAt: base()})
				return nil
			})
			if err != nil {
				t.Errorf("Update: %v", err)
			}
		})
	}
	wg.Wait()
	got := mustPayment(t, s, p.ID)
	if got.Attempts != p.Attempts+n || got.Version != p.Version+n {
		t.Errorf("after %d updates Attempts, Version = %d, %d; want %d, %d", n, got.Attempts, got.Version, p.Attempts+n, p.Version+n)
	}
	es := mustEvents(t, s, p.ID)
	if len(es) != n+1 {
		t.Errorf("Events = %d events, want %d", len(es), n+1)
	}
	for i, e := range es {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has Seq %d, want %d", i, e.Seq, i+1)
		}
	}
}
