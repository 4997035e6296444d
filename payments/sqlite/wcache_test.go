package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latipay-hpp/hpp/payments"
)

// checkWriterCache compares every payment the writer's cache holds with
// the file (read through the read pool): the payment, the number of its
// last event and its attempts, in the file's order. It returns how many
// entries it compared.
func checkWriterCache(t *testing.T, db *DB, step string) int {
	t.Helper()
	db.wc.mu.Lock()
	entries := make(map[string]wentry, len(db.wc.m))
	for id, e := range db.wc.m {
		entries[id] = e
	}
	db.wc.mu.Unlock()
	for id, e := range entries {
		var p payments.Payment
		var lastSeq int64
		if err := db.reader.QueryRowContext(t.Context(), selectPaymentForUpdate, id).Scan(paymentDests(&p, &lastSeq)...); err != nil {
			t.Fatalf("%s: read %s: %v", step, id, err)
		}
		as, err := loadAttempts(t.Context(), db.reader, id)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wentry{p: p, lastSeq: lastSeq, as: as}, e, cmp.AllowUnexported(wentry{})); diff != "" {
			t.Errorf("%s: writer's cache of %s differs from the file (-file +cache):\n%s", step, id, diff)
		}
	}
	return len(entries)
}

// TestWriterCacheMatchesFile: after every kind of write Update makes
// (new attempts at the same and at later instants, an attempt created
// before the others, a changed creation time, an update that ignores the
// client, refusals, writes that change nothing, events), what the
// writer's cache holds is what the file holds, and the writes that follow
// a cached state store what they would have stored after reading.
func TestWriterCacheMatchesFile(t *testing.T) {
	db, p := newTestDBWithPayment(t)
	ctx := t.Context()
	now := testNow()
	if n := checkWriterCache(t, db, "create"); n != 0 {
		t.Fatalf("after the create the writer's cache holds %d payments, want none", n)
	}
	attempt := func(ref string, at time.Time) payments.Attempt {
		return payments.Attempt{Reference: ref, PaymentID: p.ID, Method: payments.MethodWeChat,
			Status: payments.AttemptPending, CreatedAt: at, NextCheckAt: at.Add(30 * time.Second),
			Client: "client-" + ref, Kind: payments.AttemptKind("online")}
	}
	errNo := errors.New("refused")
	steps := []struct {
		name   string
		fn     func(tx *payments.Tx) error
		cached bool // the payment is still in the cache after it
	}{
		{"first attempt", func(tx *payments.Tx) error {
			tx.Payment.Status, tx.Payment.LatipayReference, tx.Payment.Attempts = payments.StatusPending, "A1", 1
			tx.PutAttempt(attempt("A1", now.Add(time.Second)))
			tx.AddEvent(payments.Event{Type: "payment.pending", CreatedAt: now})
			return nil
		}, true},
		{"two attempts at one instant", func(tx *payments.Tx) error {
			tx.PutAttempt(attempt("A3", now.Add(2*time.Second)))
			tx.PutAttempt(attempt("A2", now.Add(2*time.Second)))
			return nil
		}, true},
		{"refused", func(tx *payments.Tx) error { tx.Payment.Description = "no"; return errNo }, true},
		{"nothing changed", func(tx *payments.Tx) error { return nil }, true},
		{"state only, the client ignored", func(tx *payments.Tx) error {
			a := tx.Attempts[0]
			a.Status, a.NextCheckAt, a.Checks, a.Client, a.OrderID = payments.AttemptPaid, time.Time{}, 2, "someone else", "2026030100000001"
			tx.PutAttempt(a)
			tx.Payment.Status, tx.Payment.PaidAt = payments.StatusPaid, now.Add(3*time.Second)
			tx.AddEvent(payments.Event{Type: "payment.paid", CreatedAt: now})
			tx.AddEvent(payments.Event{Type: "payment.note", CreatedAt: now})
			return nil
		}, true},
		{"an attempt created before the last", func(tx *payments.Tx) error {
			tx.PutAttempt(attempt("A0", now))
			return nil
		}, false},
		{"read again", func(tx *payments.Tx) error { tx.Touch(); return nil }, true},
		{"a creation time changed", func(tx *payments.Tx) error {
			a := tx.Attempts[len(tx.Attempts)-1]
			a.CreatedAt = now.Add(-time.Hour)
			tx.PutAttempt(a)
			return nil
		}, false},
		{"read again", func(tx *payments.Tx) error { tx.Touch(); return nil }, true},
	}
	for _, s := range steps {
		var seen payments.Payment
		_, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error { seen = tx.Payment; return s.fn(tx) })
		if err != nil && !errors.Is(err, errNo) {
			t.Fatalf("%s: %v", s.name, err)
		}
		stored, err := db.readPayment(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.name != "refused" && s.name != "nothing changed" && seen.Version+1 != stored.Version {
			t.Errorf("%s: the write saw version %d, the file now holds %d", s.name, seen.Version, stored.Version)
		}
		checkWriterCache(t, db, s.name)
		if _, ok := db.wc.get(p.ID); ok != s.cached {
			t.Errorf("%s: payment cached %v, want %v", s.name, ok, s.cached)
		}
	}
	es, err := db.Events(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range es {
		if e.Seq != int64(i+1) {
			t.Errorf("event %d has seq %d: the numbers must follow on", i, e.Seq)
		}
	}
	if len(es) != 4 {
		t.Errorf("%d events, want 4", len(es))
	}
}

// TestWriterCacheClaim: ClaimDueAttempts moves an attempt's next check
// outside the writer goroutine. The writer's cache must not answer the
// next write with the attempt as it was before: that write would store
// the old next check back and the claim's lease would be lost.
func TestWriterCacheClaim(t *testing.T) {
	db, p := newTestDBWithPayment(t)
	ctx := t.Context()
	now := testNow()
	a := payments.Attempt{Reference: "A1", PaymentID: p.ID, Status: payments.AttemptPending,
		CreatedAt: now, NextCheckAt: now.Add(time.Second)}
	if _, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error { tx.PutAttempt(a); return nil }); err != nil {
		t.Fatal(err)
	}
	// Another payment, not due: the claim leaves it, and its entry.
	other := benchPayment(2)
	if _, _, err := db.CreatePayment(ctx, other, payments.Event{Type: "payment.created", CreatedAt: now}, payments.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Update(ctx, other.ID, func(tx *payments.Tx) error {
		tx.PutAttempt(payments.Attempt{Reference: "B1", Status: payments.AttemptPending, CreatedAt: now, NextCheckAt: now.Add(time.Hour)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, ok := db.wc.get(p.ID); !ok {
		t.Fatal("the write left nothing in the writer's cache: the test would prove nothing")
	}
	claimed, err := db.ClaimDueAttempts(ctx, now.Add(time.Minute), time.Hour, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimDueAttempts = %v, %v; want A1", claimed, err)
	}
	if _, ok := db.wc.get(other.ID); !ok {
		t.Error("the claim emptied the writer's cache: only the payments it changed must go")
	}
	if _, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error {
		a := tx.Attempts[0]
		a.Checks++
		tx.PutAttempt(a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Attempt(ctx, "A1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.NextCheckAt.Equal(claimed[0].NextCheckAt) || got.Checks != 1 {
		t.Errorf("after the claim and a write: next check %v, checks %d; want the claim's %v and 1",
			got.NextCheckAt, got.Checks, claimed[0].NextCheckAt)
	}
	checkWriterCache(t, db, "after the claim")
}

// TestWriterCacheFailedCommit: a batch whose commit fails may or may not
// be in the file; the writer's cache must not stay ahead of it. The next
// write reads the file: it sees the version stored and numbers its event
// after the last stored one.
func TestWriterCacheFailedCommit(t *testing.T) {
	db := newTestDB(t)
	ctx := t.Context()
	p := benchPayment(1)
	if _, _, err := db.CreatePayment(ctx, p, payments.Event{Type: "payment.created", CreatedAt: testNow()}, payments.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	note := func(tx *payments.Tx) error {
		tx.AddEvent(payments.Event{Type: "payment.note", CreatedAt: testNow()})
		return nil
	}
	errCommit := errors.New("commit failed on purpose")
	db.hooks.beforeCommit = func(int) error { return errCommit }
	if _, err := db.Update(ctx, p.ID, note); !errors.Is(err, errCommit) {
		t.Fatalf("Update with a failing commit = %v", err)
	}
	db.hooks.beforeCommit = nil
	var seen payments.Payment
	if _, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error { seen = tx.Payment; return note(tx) }); err != nil {
		t.Fatal(err)
	}
	if seen.Version != 1 {
		t.Errorf("the write after the failed commit saw version %d, want the stored 1", seen.Version)
	}
	es, err := db.Events(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[1].Seq != 2 {
		t.Errorf("events after the failed commit and a write: %+v; want seq 1 and 2", es)
	}
	checkWriterCache(t, db, "after the failed commit")
}

// TestWriterCacheUndoneWrite: in one batch a write of payment 1 is kept,
// a write of payment 2 fails after changing its row (the batch rolls back
// and replays the first), and a third write of payment 1 reads the first
// one's state from the cache. The failed write must leave nothing staged
// and the others exactly what the file holds.
func TestWriterCacheUndoneWrite(t *testing.T) {
	db := newTestDB(t)
	ctx := t.Context()
	now := testNow()
	for _, n := range []int{1, 2, 3} {
		if _, _, err := db.CreatePayment(ctx, benchPayment(n), payments.Event{Type: "payment.created", CreatedAt: now}, payments.Idempotency{}); err != nil {
			t.Fatal(err)
		}
	}
	p1, p2, p3 := benchPayment(1).ID, benchPayment(2).ID, benchPayment(3).ID
	a := payments.Attempt{Reference: "A3", PaymentID: p3, Status: payments.AttemptPending, CreatedAt: now}
	if _, err := db.Update(ctx, p3, func(tx *payments.Tx) error { tx.PutAttempt(a); return nil }); err != nil {
		t.Fatal(err)
	}
	// Hold the writer goroutine in a batch's commit while the three writes
	// queue, so that they make up the next batch.
	hold, held := make(chan struct{}), make(chan struct{})
	var once sync.Once
	db.hooks.beforeCommit = func(int) error {
		once.Do(func() { close(held); <-hold })
		return nil
	}
	go db.Update(ctx, p3, func(tx *payments.Tx) error { tx.Touch(); return nil })
	<-held
	errs := make([]error, 3)
	var seen payments.Payment
	var wg sync.WaitGroup
	submit := func(i int, id string, fn func(tx *payments.Tx) error) {
		wg.Go(func() { _, errs[i] = db.Update(ctx, id, fn) })
		for db.batch.waiting.Load() != int32(i+1) {
			time.Sleep(time.Millisecond)
		}
	}
	submit(0, p1, func(tx *payments.Tx) error {
		tx.Payment.Description = "kept"
		tx.AddEvent(payments.Event{Type: "payment.note", CreatedAt: now})
		return nil
	})
	submit(1, p2, func(tx *payments.Tx) error {
		tx.Payment.Description = "undone"
		tx.PutAttempt(payments.Attempt{Reference: "A3", Status: payments.AttemptPaid, CreatedAt: now}) // payment 3's
		return nil
	})
	submit(2, p1, func(tx *payments.Tx) error {
		seen = tx.Payment
		tx.AddEvent(payments.Event{Type: "payment.note", CreatedAt: now})
		return nil
	})
	close(hold)
	wg.Wait()
	if errs[0] != nil || !errors.Is(errs[1], payments.ErrConflict) || errs[2] != nil {
		t.Fatalf("writes: %v; want nil, a conflict, nil", errs)
	}
	if seen.Description != "kept" || seen.Version != 2 {
		t.Errorf("the third write saw %q version %d, want the first write's \"kept\" version 2", seen.Description, seen.Version)
	}
	if n := checkWriterCache(t, db, "after the batch"); n < 2 {
		t.Errorf("the writer's cache holds %d payments, want at least payments 1 and 3", n)
	}
	if _, err := db.Update(ctx, p2, func(tx *payments.Tx) error {
		if tx.Payment.Description != benchPayment(2).Description || tx.Payment.Version != 1 {
			return fmt.Errorf("payment 2 seen as %q version %d, want it as created", tx.Payment.Description, tx.Payment.Version)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	es, err := db.Events(ctx, p1)
	if err != nil || len(es) != 3 || es[2].Seq != 3 {
		t.Errorf("payment 1's events: %+v, %v; want seq 1 to 3", es, err)
	}
}

// TestWriterCacheConcurrent: writers, claims and failed commits racing;
// at the end the writer's cache agrees with the file.
func TestWriterCacheConcurrent(t *testing.T) {
	db := newTestDB(t)
	ctx := t.Context()
	now := testNow()
	const n = 16
	for i := range n {
		p := benchPayment(i)
		if _, _, err := db.CreatePayment(ctx, p, payments.Event{Type: "payment.created", CreatedAt: now}, payments.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		a := payments.Attempt{Reference: fmt.Sprintf("A%d", i), PaymentID: p.ID, Status: payments.AttemptPending,
			CreatedAt: now, NextCheckAt: now}
		if _, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error { tx.PutAttempt(a); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	var commits sync.Mutex
	failNext := 0
	db.hooks.beforeCommit = func(int) error {
		commits.Lock()
		defer commits.Unlock()
		if failNext++; failNext%7 == 0 {
			return errors.New("commit failed on purpose")
		}
		return nil
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 40 {
				id := benchPayment((g*40 + k) % n).ID
				db.Update(context.Background(), id, func(tx *payments.Tx) error {
					a := tx.Attempts[0]
					a.Checks++
					tx.PutAttempt(a)
					tx.AddEvent(payments.Event{Type: "payment.note", CreatedAt: now})
					return nil
				})
			}
		})
	}
	wg.Go(func() {
		for k := range 20 {
			db.ClaimDueAttempts(context.Background(), now.Add(time.Duration(k)*time.Hour), time.Minute, 4)
		}
	})
	wg.Wait()
	db.hooks.beforeCommit = nil
	checkWriterCache(t, db, "after the race")
	for i := range n {
		es, err := db.Events(ctx, benchPayment(i).ID)
		if err != nil {
			t.Fatal(err)
		}
		for k, e := range es {
			if e.Seq != int64(k+1) {
				t.Fatalf("payment %d: event %d has seq %d", i, k, e.Seq)
			}
		}
	}
}

// TestWriterCacheOutsideWriteDuringBatch: an outside write (a claim) may
// begin while a batch is being written and end after its commit, or a
// batch may write while an outside write runs. Either way the batch's
// outcome is not merged, so the entries it would have replaced must go
// too, or the next write would be answered with the state before the
// batch.
func TestWriterCacheOutsideWriteDuringBatch(t *testing.T) {
	v := func(n int64) wentry { return wentry{p: payments.Payment{ID: "X", Version: n}, lastSeq: n} }
	for _, order := range []string{"staged, then the outside write began", "the outside write began, then staged"} {
		c := newWriterCache()
		c.m["X"] = v(1)
		var done func([]string, bool)
		if order == "staged, then the outside write began" {
			c.stage("X", v(2))
			done = c.outsideWrite()
		} else {
			done = c.outsideWrite()
			c.stage("X", v(2))
		}
		if _, ok := c.get("X"); ok {
			t.Errorf("%s: answered during the outside write", order)
		}
		c.committed() // the file now holds version 2
		done(nil, false)
		if e, ok := c.get("X"); ok && e.p.Version != 2 {
			t.Errorf("%s: the cache answers version %d after the batch wrote 2", order, e.p.Version)
		}
	}
}
