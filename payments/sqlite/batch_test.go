package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
)

// TestGroupCommitConcurrentWrites: many writers at once (so batches form)
// all get their own result, a failing write in a batch is rolled back
// alone, and every successful write is there after a reopen.
func TestGroupCommitConcurrentWrites(t *testing.T) {
	path := t.TempDir() + "/hpp.db"
	db := mustOpen(t, path)
	const n = 64
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	got := make([]error, n)
	for i := range n {
		wg.Go(func() {
			p := benchPayment(i)
			if _, _, err := db.CreatePayment(t.Context(), p, payments.Event{Type: "payment.created", CreatedAt: testNow()}, payments.Idempotency{}); err != nil {
				got[i] = err
				return
			}
			_, got[i] = db.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
				tx.Payment.Description = fmt.Sprintf("updated %d", i)
				tx.AddEvent(payments.Event{Type: "payment.note", CreatedAt: testNow()})
				if i%4 == 0 {
					return errBoom // rolled back alone
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range got {
		if want := (i%4 == 0); errors.Is(err, errBoom) != want || (!want && err != nil) {
			t.Errorf("write %d: err = %v, want boom: %v", i, err, want)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, path)
	for i := range n {
		p, err := db.Payment(t.Context(), benchPayment(i).ID)
		if err != nil {
			t.Fatalf("payment %d after reopen: %v", i, err)
		}
		want := fmt.Sprintf("updated %d", i)
		if i%4 == 0 {
			want = benchPayment(i).Description
		}
		if p.Description != want {
			t.Errorf("payment %d: description %q, want %q", i, p.Description, want)
		}
	}
}

// TestGroupCommitAfterClose: a write after Close fails instead of hanging.
func TestGroupCommitAfterClose(t *testing.T) {
	db := mustOpen(t, t.TempDir()+"/hpp.db")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, _, err := db.CreatePayment(t.Context(), benchPayment(1), payments.Event{Type: "payment.created"}, payments.Idempotency{})
	if !errors.Is(err, errClosed) {
		t.Errorf("CreatePayment after Close: %v, want errClosed", err)
	}
}

// TestGroupCommitUndoesAFailedWriteAlone runs one batch by hand so that
// its make-up is known: writes that fail after changing something (an
// error, a failed statement, a panic) are undone alone, the writes before
// and after them are kept, and each later write sees exactly the earlier
// writes that succeeded.
func TestGroupCommitUndoesAFailedWriteAlone(t *testing.T) {
	path := t.TempDir() + "/hpp.db"
	db := mustOpen(t, path)
	ctx := t.Context()
	errBoom := errors.New("boom")
	insert := func(n int) func(context.Context, cached) error {
		return func(ctx context.Context, q cached) error {
			_, err := q.ExecContext(ctx, insertPayment, paymentArgs(benchPayment(n))...)
			return err
		}
	}
	exists := func(ctx context.Context, q cached, n int) bool {
		var c int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM payments WHERE id = ?`, benchPayment(n).ID).Scan(&c); err != nil {
			t.Error(err)
		}
		return c == 1
	}
	var seen []bool
	fns := []func(context.Context, cached) error{
		insert(0), // kept
		func(ctx context.Context, q cached) error { // changes, then fails
			if err := insert(1)(ctx, q); err != nil {
				return err
			}
			return errBoom
		},
		insert(2), // kept
		func(ctx context.Context, q cached) error { // changes, then a statement fails
			if err := insert(3)(ctx, q); err != nil {
				return err
			}
			return insert(0)(ctx, q) // duplicate id
		},
		func(ctx context.Context, q cached) error { // changes, then panics
			if err := insert(4)(ctx, q); err != nil {
				return err
			}
			panic("write panicked on purpose")
		},
		func(ctx context.Context, q cached) error { return errBoom }, // fails before changing anything
		func(ctx context.Context, q cached) error { // sees what the batch kept so far
			for n := range 5 {
				seen = append(seen, exists(ctx, q, n))
			}
			return insert(5)(ctx, q)
		},
	}
	batch := make([]job, len(fns))
	for i, fn := range fns {
		batch[i] = job{ctx: ctx, fn: fn, done: make(chan error, 1)}
	}
	errs := db.commitBatch(batch)
	wantErr := []bool{false, true, false, true, true, true, false}
	for i, err := range errs {
		if (err != nil) != wantErr[i] {
			t.Errorf("write %d: err = %v, want an error: %v", i, err, wantErr[i])
		}
	}
	if want := []bool{true, false, true, false, false}; !slices.Equal(seen, want) {
		t.Errorf("the last write saw payments 0-4 as %v, want %v", seen, want)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, path)
	for n, want := range []bool{true, false, true, false, false, true} {
		_, err := db.Payment(ctx, benchPayment(n).ID)
		if got := err == nil; got != want {
			t.Errorf("payment %d after reopen: stored %v (%v), want %v", n, got, err, want)
		}
	}
}
