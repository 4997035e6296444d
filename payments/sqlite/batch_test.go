package sqlite

import (
	"errors"
	"fmt"
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
