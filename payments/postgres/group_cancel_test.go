package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// holdTurns takes every turn of db's group commit, so that writes stay
// queued, and returns what gives them back.
func holdTurns(db *DB) (release func()) {
	g := db.group
	for range cap(g.turns) {
		g.turns <- struct{}{}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			for range cap(g.turns) {
				<-g.turns
			}
		})
	}
}

// An Update whose context ends while its write waits in the queue returns
// the context's error at once, with no batch running, and its write is
// never applied: it left the queue.
func TestGroupCommitCanceledWhileQueued(t *testing.T) {
	db := mustOpen(t, pgtest.Schema(t))
	ids, _ := seedPending(t, db, 1)
	release := holdTurns(db)
	defer release()
	ctx, cancel := context.WithCancel(t.Context())
	var ran atomic.Bool
	out := make(chan error, 1)
	go func() {
		_, err := db.Update(ctx, ids[0], func(tx *payments.Tx) error {
			ran.Store(true)
			return payIfPending(tx)
		})
		out <- err
	}()
	for db.group.queued() == 0 {
		time.Sleep(time.Millisecond) // waits for a state, asserts no time
	}
	cancel()
	select {
	case err := <-out:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled queued Update: %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute): // a bound on a hang, not a timing assertion
		t.Fatal("a queued Update whose context ended did not return while no batch could run")
	}
	if n := db.group.queued(); n != 0 {
		t.Fatalf("%d writes still queued after the caller gave up", n)
	}
	release()
	// A later write of the same payment runs in a batch of its own; the
	// withdrawn one is in none.
	got, err := db.Update(t.Context(), ids[0], func(tx *payments.Tx) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if ran.Load() {
		t.Error("the withdrawn write's fn ran")
	}
	if got.Status != payments.StatusPending || paidEvents(t, db, ids)[ids[0]] != 0 {
		t.Errorf("payment %s with %d paid events: the withdrawn write was applied", got.Status, paidEvents(t, db, ids)[ids[0]])
	}
}

// A write a batch has already taken is not given up when its caller's
// context ends: the batch may commit it, so the caller waits for the
// batch and gets what was committed.
func TestGroupCommitCanceledAfterTaken(t *testing.T) {
	db := mustOpen(t, pgtest.Schema(t))
	ids, _ := seedPending(t, db, 2)
	release := holdTurns(db)
	defer release()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	db.group.started = func(int) { cancel() } // the batch has taken both writes
	var wg sync.WaitGroup
	var errA, errB error
	var gotB payments.Payment
	wg.Go(func() { _, errA = db.Update(t.Context(), ids[0], payIfPending) })
	wg.Go(func() { gotB, errB = db.Update(ctx, ids[1], payIfPending) })
	for db.group.queued() < 2 {
		time.Sleep(time.Millisecond) // waits for a state, asserts no time
	}
	release()
	wg.Wait()
	if errA != nil {
		t.Fatal(errA)
	}
	if errB != nil || gotB.Status != payments.StatusPaid {
		t.Fatalf("Update canceled after its batch began: %s, %v; want the committed payment", gotB.Status, errB)
	}
	if paid := paidEvents(t, db, ids); paid[ids[0]] != 1 || paid[ids[1]] != 1 {
		t.Errorf("paid transitions %v, want one each", paid)
	}
}
