package hub

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

func TestPublishReachesOnlyThatPayment(t *testing.T) {
	h := New()
	a, b := h.Subscribe("pay_a"), h.Subscribe("pay_b")
	h.Publish(payments.Update{PaymentID: "pay_a", Status: payments.StatusPaid, Version: 3})
	if got := <-a.C; got.Status != payments.StatusPaid || got.Version != 3 {
		t.Errorf("a got %+v, want paid v3", got)
	}
	select {
	case u := <-b.C:
		t.Errorf("b got %+v, want nothing", u)
	default:
	}
}

func TestSlowSubscriberIsDropped(t *testing.T) {
	h := New()
	slow := h.Subscribe("pay_a")
	for i := 0; i < buffer+1; i++ {
		h.Publish(payments.Update{PaymentID: "pay_a", Version: int64(i)})
	}
	n := 0
	for range slow.C {
		n++
	}
	if n != buffer {
		t.Errorf("slow subscriber read %d updates before close, want %d", n, buffer)
	}
	if h.Count() != 0 {
		t.Errorf("Count() = %d after drop, want 0", h.Count())
	}
}

func TestCancelAndCloseAreIdempotent(t *testing.T) {
	h := New()
	s := h.Subscribe("pay_a")
	s.Cancel()
	s.Cancel()
	if _, ok := <-s.C; ok {
		t.Error("channel open after Cancel")
	}
	s2 := h.Subscribe("pay_b")
	h.Close()
	h.Close()
	if _, ok := <-s2.C; ok {
		t.Error("channel open after Close")
	}
	s3 := h.Subscribe("pay_c")
	if _, ok := <-s3.C; ok {
		t.Error("Subscribe after Close returned an open channel")
	}
	s3.Cancel()
}

func TestConcurrentUse(t *testing.T) {
	h := New()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			s := h.Subscribe("pay_a")
			defer s.Cancel()
			for j := 0; j < 5; j++ {
				select {
				case <-s.C:
				default:
				}
			}
		}()
		go func() {
			defer wg.Done()
			h.Publish(payments.Update{PaymentID: "pay_a", Status: payments.StatusPaid})
			_ = h.Watched()
		}()
	}
	wg.Wait()
	h.Close()
}

func TestWaitForHolders(t *testing.T) {
	h := New()
	a := h.Subscribe("pay_a")
	h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.Wait(ctx); err == nil {
		t.Fatal("Wait returned before the holder canceled its subscription")
	}
	late := h.Subscribe("pay_b") // after Close: not waited for
	late.Cancel()
	go a.Cancel()
	if err := h.Wait(context.Background()); err != nil {
		t.Fatalf("Wait after Cancel = %v, want nil", err)
	}
}

// TestSubscribeAll: a shop-wide subscription hears every payment's
// updates beside the payments' own subscribers; it counts, shows in
// WatchingAll, and ends with Cancel and Close like any other.
func TestSubscribeAll(t *testing.T) {
	h := New()
	one, all := h.Subscribe("pay_a"), h.SubscribeAll()
	if !h.WatchingAll() || h.Count() != 2 {
		t.Fatalf("WatchingAll() = %v, Count() = %d; want true, 2", h.WatchingAll(), h.Count())
	}
	h.Publish(payments.Update{PaymentID: "pay_a", Status: payments.StatusPaid, Version: 2})
	h.Publish(payments.Update{PaymentID: "pay_b", Status: payments.StatusPending, Version: 1})
	// Publish queues synchronously: what was sent is there to read now.
	next := func(s *Subscription) string {
		select {
		case u := <-s.C:
			return u.PaymentID
		default:
			return "nothing"
		}
	}
	if got := next(one); got != "pay_a" {
		t.Errorf("pay_a's subscriber got %s", got)
	}
	for _, want := range []string{"pay_a", "pay_b"} {
		if got := next(all); got != want {
			t.Errorf("shop-wide got %s, want %s", got, want)
		}
	}
	all.Cancel()
	if _, ok := <-all.C; ok || h.WatchingAll() || h.Count() != 1 {
		t.Errorf("after Cancel: open %v, WatchingAll %v, Count %d; want closed, false, 1", ok, h.WatchingAll(), h.Count())
	}
	again := h.SubscribeAll()
	h.Close()
	if _, ok := <-again.C; ok {
		t.Error("shop-wide channel open after Close")
	}
	if _, ok := <-h.SubscribeAll().C; ok {
		t.Error("SubscribeAll after Close returned an open channel")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	one.Cancel()
	again.Cancel()
	if err := h.Wait(ctx); err != nil {
		t.Errorf("Wait: %v", err)
	}
}

// TestWatching: a payment is watched while it has a subscriber, and only
// that payment.
func TestWatching(t *testing.T) {
	h := New()
	a := h.Subscribe("pay_a")
	a2 := h.Subscribe("pay_a")
	if !h.Watching("pay_a") || h.Watching("pay_b") {
		t.Fatalf("Watching(pay_a) = %v, Watching(pay_b) = %v; want true, false", h.Watching("pay_a"), h.Watching("pay_b"))
	}
	a.Cancel()
	if !h.Watching("pay_a") {
		t.Fatal("Watching(pay_a) = false with one subscriber left")
	}
	a2.Cancel()
	if h.Watching("pay_a") {
		t.Fatal("Watching(pay_a) = true after every subscriber left")
	}
}

// TestCatchUp: CatchUp signals every shop-wide subscription's Stale and
// no per-payment subscription; it never blocks, however often it is
// called before anyone reads, and those signals coalesce into one; a
// canceled subscription is no longer signaled.
func TestCatchUp(t *testing.T) {
	h := New()
	one, all1, all2 := h.Subscribe("pay_a"), h.SubscribeAll(), h.SubscribeAll()
	if one.Stale != nil {
		t.Error("a per-payment subscription has a Stale channel")
	}
	stale := func(s *Subscription) bool {
		select {
		case <-s.Stale:
			return true
		default:
			return false
		}
	}
	if stale(all1) || stale(all2) {
		t.Fatal("Stale fired before any CatchUp")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 3 * allBuffer {
			h.CatchUp() // nobody reads: a blocking send would hang here
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second): // a bound against hanging, not a speed check
		t.Fatal("CatchUp blocked on subscribers that do not read")
	}
	for i, s := range []*Subscription{all1, all2} {
		if !stale(s) {
			t.Errorf("shop-wide subscription %d: Stale did not fire", i+1)
		}
		if stale(s) {
			t.Errorf("shop-wide subscription %d: Stale fired twice; signals must coalesce", i+1)
		}
	}
	select {
	case u := <-one.C:
		t.Errorf("per-payment subscriber got %+v from CatchUp", u)
	case <-all1.C:
		t.Error("CatchUp queued an update on a shop-wide subscription")
	default:
	}
	all2.Cancel()
	h.CatchUp()
	if !stale(all1) || stale(all2) {
		t.Error("after all2.Cancel, CatchUp must signal all1 and not all2")
	}
	h.Close()
	h.CatchUp() // after Close: nothing to signal, and no panic
	if stale(all1) {
		t.Error("CatchUp after Close signaled a closed subscription")
	}
	one.Cancel()
	all1.Cancel()
}
