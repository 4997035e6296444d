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
