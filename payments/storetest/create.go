package storetest

import (
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
)

func testCreateRoundTrip(t *testing.T, s payments.Store) {
	p := newPayment(1)
	ev := createdEvent(p)
	ev.Seq = 42 // the store numbers events itself
	got, created, err := s.CreatePayment(t.Context(), p, ev, payments.Idempotency{})
	if err != nil || !created {
		t.Fatalf("CreatePayment = created %v, %v; want created, nil", created, err)
	}
	diff(t, "CreatePayment result", got, p)
	checkUTC(t, "CreatePayment result", got.CreatedAt, got.UpdatedAt, got.ExpiresAt, got.PaidAt)
	diff(t, "Payment", mustPayment(t, s, p.ID), p)
	diff(t, "Events", mustEvents(t, s, p.ID), []payments.Event{withSeq(ev, p.ID, 1)})

	// Zero values stay zero, and money beyond float64's exact range is exact.
	z := payments.Payment{ID: paymentID(2), Reference: "r", Amount: math.MaxInt64,
		Currency: payments.AUD, Status: payments.StatusCreated, Refunded: 1<<53 + 1, Version: 1}
	mustCreate(t, s, z)
	diff(t, "Payment with zero values", mustPayment(t, s, z.ID), z)
}

func testCreateIdempotent(t *testing.T, s payments.Store) {
	ctx := t.Context()
	idem := payments.Idempotency{Key: "api:key-1", Hash: "hash-1"}
	p := newPayment(1)
	if _, created, err := s.CreatePayment(ctx, p, createdEvent(p), idem); err != nil || !created {
		t.Fatalf("first CreatePayment = created %v, %v; want created, nil", created, err)
	}
	// A retry carries a fresh id, as the service makes one per request.
	retry := newPayment(2)
	got, created, err := s.CreatePayment(ctx, retry, createdEvent(retry), idem)
	if err != nil || created {
		t.Fatalf("repeated CreatePayment = created %v, %v; want not created, nil", created, err)
	}
	diff(t, "repeated CreatePayment result", got, p)
	if _, err := s.Payment(ctx, retry.ID); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("Payment(retry id) error = %v, want ErrNotFound", err)
	}
	if es := mustEvents(t, s, p.ID); len(es) != 1 {
		t.Errorf("Events after a repeat = %d events, want 1", len(es))
	}

	if id, hash, err := s.IdempotentPayment(ctx, idem.Key); err != nil || id != p.ID || hash != idem.Hash {
		t.Errorf("IdempotentPayment(%s) = %q, %q, %v; want %q, %q", idem.Key, id, hash, err, p.ID, idem.Hash)
	}
	if _, _, err := s.IdempotentPayment(ctx, "api:never-used"); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("IdempotentPayment of an unused key: %v, want ErrNotFound", err)
	}

	other := newPayment(3)
	_, created, err = s.CreatePayment(ctx, other, createdEvent(other),
		payments.Idempotency{Key: idem.Key, Hash: "hash-2"})
	if !errors.Is(err, payments.ErrIdempotencyReuse) || created {
		t.Errorf("CreatePayment with another hash = created %v, %v; want ErrIdempotencyReuse", created, err)
	}
	if _, err := s.Payment(ctx, other.ID); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("Payment(reused key id) error = %v, want ErrNotFound", err)
	}

	// A repeat returns the payment as it is now, not as it was created.
	want := mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		tx.Payment.Status = payments.StatusPending
		tx.Touch()
	})
	got, _, err = s.CreatePayment(ctx, retry, createdEvent(retry), idem)
	if err != nil {
		t.Fatalf("CreatePayment after an update: %v", err)
	}
	diff(t, "repeated CreatePayment after an update", got, want)

	fresh := newPayment(4)
	if _, created, err := s.CreatePayment(ctx, fresh, createdEvent(fresh),
		payments.Idempotency{Key: "api:key-2", Hash: idem.Hash}); err != nil || !created {
		t.Errorf("CreatePayment with a new key = created %v, %v; want created, nil", created, err)
	}
}

func testCreateDuplicateID(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, newPayment(1))
	dup := newPayment(1)
	dup.Reference = "someone else"
	if _, created, err := s.CreatePayment(t.Context(), dup, createdEvent(dup), payments.Idempotency{}); err == nil || created {
		t.Errorf("CreatePayment with a taken id = created %v, %v; want an error", created, err)
	}
	diff(t, "Payment after a duplicate create", mustPayment(t, s, p.ID), p)
	if es := mustEvents(t, s, p.ID); len(es) != 1 {
		t.Errorf("Events after a duplicate create = %d events, want 1", len(es))
	}
}

// testCreateConcurrent races 20 creates with one key: exactly one creates,
// and every caller gets that payment.
func testCreateConcurrent(t *testing.T, s payments.Store) {
	const n = 20
	idem := payments.Idempotency{Key: "link:order-1", Hash: "hash"}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []string
		ids     = map[string]bool{}
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			p := newPayment(i + 1)
			<-start
			got, ok, err := s.CreatePayment(t.Context(), p, createdEvent(p), idem)
			if err != nil {
				t.Errorf("CreatePayment(%s): %v", p.ID, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[got.ID] = true
			if ok {
				created = append(created, got.ID)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(created) != 1 || len(ids) != 1 || !ids[created[0]] {
		t.Fatalf("%d concurrent creates: created %v, results name %d payments; want one created, one payment", n, created, len(ids))
	}
	for i := range n {
		id := paymentID(i + 1)
		if _, err := s.Payment(t.Context(), id); id != created[0] && !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("Payment(%s) error = %v, want ErrNotFound (only %s was created)", id, err, created[0])
		}
	}
}

func testNotFound(t *testing.T, s payments.Store) {
	ctx := t.Context()
	mustCreate(t, s, newPayment(1))
	missing := paymentID(99)
	if _, err := s.Payment(ctx, missing); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("Payment(missing) error = %v, want ErrNotFound", err)
	}
	if _, err := s.Attempt(ctx, reference(99)); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("Attempt(missing) error = %v, want ErrNotFound", err)
	}
	if _, err := s.AttemptPayment(ctx, reference(99)); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("AttemptPayment(missing) error = %v, want ErrNotFound", err)
	}
	called := false
	if _, err := s.Update(ctx, missing, func(*payments.Tx) error { called = true; return nil }); !errors.Is(err, payments.ErrNotFound) || called {
		t.Errorf("Update(missing) = %v (fn called %v), want ErrNotFound without calling fn", err, called)
	}
	if as, err := s.Attempts(ctx, missing); err != nil || len(as) != 0 {
		t.Errorf("Attempts(missing) = %v, %v; want none, nil", as, err)
	}
	if es, err := s.Events(ctx, missing); err != nil || len(es) != 0 {
		t.Errorf("Events(missing) = %v, %v; want none, nil", es, err)
	}
}
