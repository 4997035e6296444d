package sqlite

import (
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// TestUpdateRacesOnOnePayment races n Updates on one payment, each
// reserving one more cent of a refund (Refunded++) and appending an
// event, as concurrent callbacks and refunds of one payment do. The first
// write is held just before its commit until the other n-1 have queued
// for the writer; they then run in one batch, each reading what the one
// before it wrote in the same transaction (write.go). Each must be
// applied exactly once: Refunded ends at n, the version at 1+n, and the
// events are numbered 1..n+1 with no gap. An Update that read before the
// held commit (from the read pool or the payment cache) would write
// Refunded = 1 (or collide on an event number and fail).
func TestUpdateRacesOnOnePayment(t *testing.T) {
	const n = 16
	db, p := newTestDBWithPayment(t)
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	db.hooks.beforeCommit = func(int) error {
		once.Do(func() {
			close(held)
			<-release
		})
		return nil
	}
	reserve := func(tx *payments.Tx) error {
		tx.Payment.Refunded++
		tx.AddEvent(payments.Event{Type: "refund.requested", CreatedAt: testNow()})
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	wg.Go(func() { _, err := db.Update(t.Context(), p.ID, reserve); errs <- err })
	<-held
	for range n - 1 {
		wg.Go(func() { _, err := db.Update(t.Context(), p.ID, reserve); errs <- err })
	}
	for db.batch.waiting.Load() < n-1 {
		time.Sleep(time.Millisecond) // polling, not timing: waits for the n-1 to queue
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Update: %v", err)
		}
	}
	got, err := db.readPayment(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Refunded != n || got.Version != 1+n {
		t.Errorf("after %d racing reservations: refunded %d, version %d; want %d and %d", n, got.Refunded, got.Version, n, 1+n)
	}
	es, err := db.Events(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range es {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d numbered %d", i, e.Seq)
		}
	}
	if len(es) != n+1 {
		t.Errorf("%d events, want %d", len(es), n+1)
	}
}

// TestUpdateKeepsAClaimMadeMeanwhile: the reconciler's claim moves an
// attempt's next check without a new payment version. An Update reads the
// attempt and writes it (here: pending) with nothing able to come between
// (write.go): a claim made while fn runs waits for the one write
// connection, and then sees the Update's write. Were fn run on a read made
// outside the write transaction, the claim would finish while fn runs and
// the write would put the old next check back over the claim's lease.
func TestUpdateKeepsAClaimMadeMeanwhile(t *testing.T) {
	db, p := newTestDBWithPayment(t)
	ctx := t.Context()
	now := testNow()
	a := payments.Attempt{Reference: "CLAIMREF0000000000000001", PaymentID: p.ID, Method: payments.MethodWeChat,
		Status: payments.AttemptInitiated, CreatedAt: now, NextCheckAt: now.Add(-time.Second)}
	if _, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error { tx.PutAttempt(a); return nil }); err != nil {
		t.Fatal(err)
	}
	const lease = time.Minute
	type claimed struct {
		as  []payments.Attempt
		err error
	}
	claims := make(chan claimed, 1)
	_, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error {
		waits := db.writer.Stats().WaitCount
		go func() {
			as, err := db.ClaimDueAttempts(ctx, now, lease, 10)
			claims <- claimed{as, err}
		}()
		for db.writer.Stats().WaitCount == waits { // polling, not timing: waits for the claim to queue
			select {
			case c := <-claims:
				claims <- c
				t.Errorf("the claim finished while Update's fn ran (%d claimed, %v): Update read outside its write", len(c.as), c.err)
				return nil
			default:
				time.Sleep(time.Millisecond)
			}
		}
		at := tx.Attempts[0]
		at.Status = payments.AttemptPending
		tx.PutAttempt(at)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := <-claims
	if c.err != nil || len(c.as) != 1 || c.as[0].Status != payments.AttemptPending {
		t.Fatalf("claim after the Update: %v, %v; want the pending attempt", c.as, c.err)
	}
	got, err := db.Attempt(ctx, a.Reference)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != payments.AttemptPending || !got.NextCheckAt.Equal(now.Add(lease)) {
		t.Errorf("attempt %s, next check %v; want pending with the claim's lease %v",
			got.Status, got.NextCheckAt, now.Add(lease))
	}
}
