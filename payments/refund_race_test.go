package payments_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
)

// ledgerRefunds reads our refunds of payment id from its event log: id to
// final status ("pending" while no outcome is recorded).
func ledgerRefunds(t *testing.T, evs []payments.Event) map[string]payments.RefundStatus {
	t.Helper()
	out := map[string]payments.RefundStatus{}
	for _, e := range evs {
		var d struct {
			ID string `json:"id"`
		}
		if e.Data == "" || json.Unmarshal([]byte(e.Data), &d) != nil {
			continue
		}
		switch e.Type {
		case "refund.requested":
			out[d.ID] = payments.RefundPending
		case "refund.succeeded":
			out[d.ID] = payments.RefundSucceeded
		case "refund.failed":
			out[d.ID] = payments.RefundFailed
		}
	}
	return out
}

// TestParallelRefundsAgreeWithLatipay: twenty parallel refunds of 1.00 on
// one paid payment of 12.50, with and without Idempotency-Keys, while
// Latipay (the simulator, over HTTP) refuses every 4th refund (556) and
// loses the answer of every 3rd it makes. Every answer is the truth (no
// spurious conflict, nothing told succeeded that Latipay did not make),
// the reconciler resolves every refund left pending, and then our ledger,
// the payment's refunded amount and Latipay's ledger agree exactly.
func TestParallelRefundsAgreeWithLatipay(t *testing.T) {
	for _, keyed := range []bool{false, true} {
		t.Run(fmt.Sprintf("keys=%v", keyed), func(t *testing.T) {
			env, p := newPaid(t)
			ctx := context.Background()
			env.Sim.SetFaults(latipaysim.Faults{RefuseRefundsEvery: 4, LoseRefundAnswersEvery: 3})
			type answer struct {
				r   payments.Refund
				err error
			}
			const n = 20
			answers := make([]answer, n)
			key := func(i int) string {
				if !keyed {
					return ""
				}
				return fmt.Sprint("refund-", i)
			}
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, _, err := refund(env, p.ID, "1.00", key(i))
					answers[i] = answer{r, err}
				}()
			}
			wg.Wait()
			env.Sim.SetFaults(latipaysim.Faults{})

			var refused, lost, tooLarge int
			for i, a := range answers {
				var re *payments.RefundError
				switch {
				case a.err == nil && a.r.Status == payments.RefundPending:
					lost++
				case a.err == nil && a.r.Status == payments.RefundSucceeded:
				case errors.As(a.err, &re) && re.Code == 556 && re.RefundID != "":
					refused++
				case errors.Is(a.err, payments.ErrRefundTooLarge):
					tooLarge++
				default:
					t.Errorf("answer %d = %+v, %v: not a truthful refund answer", i, a.r, a.err)
				}
			}
			if refused == 0 || lost == 0 || tooLarge == 0 {
				t.Errorf("refused %d, lost %d, too large %d: the run did not exercise every case", refused, lost, tooLarge)
			}

			// The reconciler resolves what was left pending.
			for range 10 {
				env.Clock.Advance(20 * time.Minute)
				if _, err := env.Svc.ReconcileRefunds(ctx, 100); err != nil {
					t.Fatal(err)
				}
			}
			ours := ledgerRefunds(t, env.MustEvents(t, p.ID))
			sim, _ := env.Sim.Transaction(env.MustGet(t, p.ID).LatipayReference)
			made := map[string]bool{}
			for _, r := range sim.Refunds {
				made[r.Reference] = true
			}
			var succeeded []string
			for id, st := range ours {
				switch {
				case st == payments.RefundPending:
					t.Errorf("refund %s is still pending after reconciling", id)
				case (st == payments.RefundSucceeded) != made[id]:
					t.Errorf("refund %s is %s here; made at Latipay: %v", id, st, made[id])
				}
				if st == payments.RefundSucceeded {
					succeeded = append(succeeded, id)
				}
			}
			if len(made) != len(succeeded) {
				t.Errorf("Latipay made %d refunds, our ledger has %d succeeded", len(made), len(succeeded))
			}
			for i, a := range answers {
				var re *payments.RefundError
				switch {
				case a.err == nil && a.r.Status == payments.RefundSucceeded && ours[a.r.ID] != payments.RefundSucceeded:
					t.Errorf("answer %d said %s succeeded; the ledger says %s", i, a.r.ID, ours[a.r.ID])
				case errors.As(a.err, &re) && (ours[re.RefundID] != payments.RefundFailed || made[re.RefundID]):
					t.Errorf("answer %d said %s was refused; the ledger says %s, Latipay made it: %v", i, re.RefundID, ours[re.RefundID], made[re.RefundID])
				}
			}
			got := env.MustGet(t, p.ID)
			if want := fmt.Sprintf("%d.00", len(succeeded)); sim.Refunded != want || got.Refunded != int64(len(succeeded))*100 {
				t.Errorf("Latipay refunded %s, payment says %d, ledger has %d succeeded refunds of 1.00",
					sim.Refunded, got.Refunded, len(succeeded))
			}

			if !keyed {
				return
			}
			// Each merchant repeating its request gets the same refund,
			// now final, and nothing more leaves.
			for i, a := range answers {
				if errors.Is(a.err, payments.ErrRefundTooLarge) {
					continue
				}
				id := a.r.ID
				var re *payments.RefundError
				if errors.As(a.err, &re) {
					id = re.RefundID
				}
				r, replayed, err := refund(env, p.ID, "1.00", key(i))
				if errors.As(err, &re) {
					r.ID, r.Status = re.RefundID, payments.RefundFailed
				}
				if !replayed || r.ID != id || r.Status != ours[id] {
					t.Errorf("repeat %d = %s %s (replayed %v, %v); want %s %s", i, r.ID, r.Status, replayed, err, id, ours[id])
				}
			}
			if again, _ := env.Sim.Transaction(sim.MerchantReference); again.Refunded != sim.Refunded {
				t.Errorf("repeats refunded more: %s, was %s", again.Refunded, sim.Refunded)
			}
		})
	}
}
