package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

func newRefund(paymentID string, n int, at time.Time) payments.Refund {
	return payments.Refund{ID: fmt.Sprintf("rf_%026d", n), PaymentID: paymentID, Amount: 100 + int64(n),
		Currency: payments.NZD, Status: payments.RefundPending, Reason: "cold ☕ 'x'",
		KeyHash: fmt.Sprintf("%064d", n), RequestHash: fmt.Sprintf("%064x", n),
		CreatedAt: at, UpdatedAt: at.Add(time.Second), NextCheckAt: at.Add(time.Minute), Checks: n}
}

// mustPaid creates payment n and marks it paid.
func mustPaid(t *testing.T, s payments.Store, n int) payments.Payment {
	t.Helper()
	p := mustCreate(t, s, newPayment(n))
	return mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		tx.Payment.Status, tx.Payment.Refunded = payments.StatusPaid, 0
		tx.Touch()
	})
}

// testRefundsRoundTrip: a settled payment's Tx holds its refunds, oldest
// first, every field round-trips, and updates replace by ID, the
// Idempotency-Key's hashes too: a refund that never reached Latipay
// releases its key, which a new refund may then take.
func testRefundsRoundTrip(t *testing.T, s payments.Store) {
	p := mustPaid(t, s, 1)
	r1 := newRefund(p.ID, 1, base())
	r2 := newRefund(p.ID, 2, base().Add(time.Minute))
	r2.KeyHash, r2.RequestHash, r2.NextCheckAt = "", "", time.Time{}
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		diff(t, "tx.Refunds before", len(tx.Refunds), 0)
		tx.PutRefund(r2)
		tx.PutRefund(r1)
	})
	r1.Status, r1.GatewayCode, r1.GatewayMessage, r1.NextCheckAt, r1.Checks =
		payments.RefundFailed, 556, "code 556: refused", time.Time{}, 7
	r1.KeyHash, r1.RequestHash = "", "" // released
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		diff(t, "tx.Refunds", tx.Refunds, []payments.Refund{newRefund(p.ID, 1, base()), r2})
		tx.PutRefund(r1)
	})
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		diff(t, "tx.Refunds after update", tx.Refunds, []payments.Refund{r1, r2})
	})
	rs, err := s.Refunds(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "Refunds", rs, []payments.Refund{r1, r2})
	r3 := newRefund(p.ID, 3, base().Add(2*time.Minute))
	r3.KeyHash, r3.RequestHash = newRefund(p.ID, 1, base()).KeyHash, newRefund(p.ID, 1, base()).RequestHash
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) { tx.PutRefund(r3) })
	if rs, err = s.Refunds(t.Context(), p.ID); err != nil {
		t.Fatal(err)
	}
	diff(t, "Refunds with the released key taken again", rs, []payments.Refund{r1, r2, r3})
	if rs, err := s.Refunds(t.Context(), "pay_none"); err != nil || len(rs) != 0 {
		t.Errorf("Refunds of an unknown payment = %v, %v; want none", rs, err)
	}
}

// testRefundsSerialized: parallel Updates that each reserve 1.00 against
// what is left to refund never reserve more than was paid: the payment's
// refunds are decided one Update at a time.
func testRefundsSerialized(t *testing.T, s payments.Store) {
	p := mustPaid(t, s, 1) // 12.51
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
				if tx.Payment.Amount-tx.Payment.Refunded < 100 {
					return nil
				}
				r := newRefund(p.ID, 100+i, base())
				r.Amount = 100
				tx.Payment.Refunded += r.Amount
				tx.PutRefund(r)
				return nil
			})
			if err != nil {
				t.Errorf("Update: %v", err)
			}
		}()
	}
	wg.Wait()
	got := mustPayment(t, s, p.ID)
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		var sum int64
		for _, r := range tx.Refunds {
			sum += r.Amount
		}
		if len(tx.Refunds) != 12 || sum != got.Refunded || got.Refunded != 1200 {
			t.Errorf("%d refunds of %d in all, payment refunded %d; want 12 refunds, 1200", len(tx.Refunds), sum, got.Refunded)
		}
	})
}

// testClaimDueRefunds: only pending refunds that are due are claimed,
// each by one claimer, and their next check moves to now+lease.
func testClaimDueRefunds(t *testing.T, s payments.Store) {
	p := mustPaid(t, s, 1)
	now := base().Add(time.Hour)
	var due []string
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		for i := range 10 {
			r := newRefund(p.ID, i, base())
			switch i {
			case 0:
				r.Status, r.NextCheckAt = payments.RefundSucceeded, time.Time{}
			case 1:
				r.Status = payments.RefundFailed // final: never claimed, whatever NextCheckAt says
			case 2:
				r.NextCheckAt = now.Add(time.Second) // not due yet
			default:
				due = append(due, r.ID)
			}
			tx.PutRefund(r)
		}
	})
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs, err := s.ClaimDueRefunds(t.Context(), now, time.Minute, 3)
			if err != nil {
				t.Errorf("ClaimDueRefunds: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, r := range rs {
				claimed[r.ID]++
				if !r.NextCheckAt.Equal(now.Add(time.Minute)) || r.Status != payments.RefundPending {
					t.Errorf("claimed %s: %s, next check %v; want pending, now+lease", r.ID, r.Status, r.NextCheckAt)
				}
			}
		}()
	}
	wg.Wait()
	for _, id := range due {
		if claimed[id] != 1 {
			t.Errorf("due refund %s claimed %d times, want 1", id, claimed[id])
		}
	}
	if len(claimed) != len(due) {
		t.Errorf("claimed %d refunds, want the %d due", len(claimed), len(due))
	}
	if rs, err := s.ClaimDueRefunds(t.Context(), now, time.Minute, 100); err != nil || len(rs) != 0 {
		t.Errorf("second claim = %d refunds, %v; want none (leased)", len(rs), err)
	}
}
