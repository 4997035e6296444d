package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// refundAnswer is one merchant's answer from POST .../refunds.
type refundAnswer struct {
	code int
	body struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Error  struct {
			Code     string `json:"code"`
			RefundID string `json:"refund_id"`
		} `json:"error"`
	}
}

// refundOf is the refund an answer names, and what it said of it.
func (a refundAnswer) refundOf() (id, said string) {
	switch {
	case a.code == http.StatusCreated || a.code == http.StatusAccepted:
		return a.body.ID, a.body.Status
	case a.code == http.StatusUnprocessableEntity && a.body.Error.Code == "refund_rejected":
		return a.body.Error.RefundID, "failed"
	}
	return "", ""
}

// ourRefunds reads the payment's refunds from its event log, whose
// details start with the refund id: id to status.
func ourRefunds(t *testing.T, app *secProc, id string) map[string]string {
	t.Helper()
	code, b, err := app.api(context.Background(), http.MethodGet, "/api/v1/payments/"+id+"/events", "", "")
	if err != nil || code != http.StatusOK {
		t.Fatalf("events: %d, %v", code, err)
	}
	var evs struct {
		Data []struct {
			Type   string `json:"type"`
			Detail string `json:"detail"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &evs); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range evs.Data {
		rid, _, _ := strings.Cut(e.Detail, " ")
		switch e.Type {
		case "refund.requested":
			out[rid] = "pending"
		case "refund.succeeded":
			out[rid] = "succeeded"
		case "refund.failed":
			out[rid] = "failed"
		}
	}
	return out
}

// TestRefundsAgreeWithLatipay: twenty merchants' parallel refunds of 1.00
// on one paid payment of 10.00, through the merchant API of the built
// binary, with and without Idempotency-Keys, while Latipay (the simulator,
// over HTTP) refuses every 4th refund and loses the answer of every 3rd it
// makes. Every answer is the truth (no spurious 409: the only one is
// refund_pending, pending refunds holding what is left; no "succeeded" that
// Latipay did not make, every refusal names its refund), nothing stays
// pending once the reconciler has run, and the merchants' answers, our
// ledger and Latipay's ledger agree exactly.
func TestRefundsAgreeWithLatipay(t *testing.T) {
	sim := secNewSim(t, 300*time.Millisecond)
	app := secStart(t, sim, t.TempDir(), "HPP_RATE_LIMITS=off")
	ctx := context.Background()
	for _, keyed := range []bool{false, true} {
		t.Run(fmt.Sprintf("keys=%v", keyed), func(t *testing.T) {
			code, b, err := app.api(ctx, http.MethodPost, "/api/v1/payments",
				fmt.Sprintf(`{"amount":"10.00","currency":"NZD","reference":"refund-race-%v","return_url":"https://shop.example/done"}`, keyed), "")
			if err != nil || code != http.StatusCreated {
				t.Fatalf("create: %d %s %v", code, b, err)
			}
			var sp paymentstest.APIPayment
			if err := json.Unmarshal(b, &sp); err != nil {
				t.Fatal(err)
			}
			if code, body, err := app.startQR(ctx, sp.ID); err != nil || code >= 400 {
				t.Fatalf("start: %d %v %.200s", code, err, body)
			}
			ref := refOf(sim, sp.ID)
			if err := sim.Pay(ref); err != nil {
				t.Fatal(err)
			}
			secWait(t, 15*time.Second, "the payment to be paid", func() bool {
				got, err := app.get(ctx, sp.ID)
				return err == nil && got.Status == "paid"
			})

			sim.SetFaults(latipaysim.Faults{RefuseRefundsEvery: 4, LoseRefundAnswersEvery: 3})
			const n = 20
			key := func(i int) string {
				if keyed {
					return fmt.Sprintf("race-%d", i)
				}
				return ""
			}
			send := func(i int) refundAnswer {
				var a refundAnswer
				code, b, err := app.api(ctx, http.MethodPost, "/api/v1/payments/"+sp.ID+"/refunds", `{"amount":"1.00"}`, key(i))
				if err != nil {
					t.Errorf("refund %d: %v", i, err)
					return a
				}
				a.code = code
				if err := json.Unmarshal(b, &a.body); err != nil {
					t.Errorf("refund %d: %d %s", i, code, b)
				}
				return a
			}
			answers := make([]refundAnswer, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() { defer wg.Done(); answers[i] = send(i) }()
			}
			wg.Wait()
			sim.SetFaults(latipaysim.Faults{})

			seen := map[string]int{}
			for i, a := range answers {
				id, said := a.refundOf()
				switch {
				case id != "":
					seen[said]++
				case a.code == http.StatusUnprocessableEntity && a.body.Error.Code == "refund_too_large",
					a.code == http.StatusConflict && a.body.Error.Code == "refund_pending":
					// Nothing left, for good or while pending refunds hold it.
					seen["too large"]++
				default:
					t.Errorf("answer %d = %d %+v: not a truthful refund answer", i, a.code, a.body)
				}
			}
			if seen["failed"] == 0 || seen["pending"] == 0 || seen["succeeded"] == 0 || seen["too large"] == 0 {
				t.Errorf("answers %v: the run did not exercise every case", seen)
			}

			// The reconciler resolves the refunds whose answer was lost.
			var ours map[string]string
			secWait(t, 90*time.Second, "no refund left pending", func() bool {
				ours = ourRefunds(t, app, sp.ID)
				for _, st := range ours {
					if st == "pending" {
						return false
					}
				}
				return true
			})
			tx, _ := sim.Transaction(ref)
			made := map[string]bool{}
			for _, r := range tx.Refunds {
				made[r.Reference] = true
			}
			succeeded := 0
			for id, st := range ours {
				if (st == "succeeded") != made[id] {
					t.Errorf("refund %s is %s here; made at Latipay: %v", id, st, made[id])
				}
				if st == "succeeded" {
					succeeded++
				}
			}
			t.Logf("answers %v; after reconciling: %d succeeded (Latipay made %d, refunded %s)", seen, succeeded, len(made), tx.Refunded)
			if len(made) != succeeded {
				t.Errorf("Latipay made %d refunds, our ledger has %d succeeded", len(made), succeeded)
			}
			for i, a := range answers {
				if id, said := a.refundOf(); said != "" && said != "pending" && ours[id] != said {
					t.Errorf("answer %d said %s %s; our ledger says %s", i, id, said, ours[id])
				}
			}
			var shown struct {
				Refunded string `json:"amount_refunded"`
			}
			_, b, _ = app.api(ctx, http.MethodGet, "/api/v1/payments/"+sp.ID, "", "")
			_ = json.Unmarshal(b, &shown)
			if want := fmt.Sprintf("%d.00", succeeded); tx.Refunded != want || shown.Refunded != want {
				t.Errorf("Latipay refunded %s, the API shows %s, our ledger has %d refunds of 1.00 succeeded",
					tx.Refunded, shown.Refunded, succeeded)
			}

			if !keyed {
				return
			}
			// A merchant repeating a request gets the same refund, final.
			for i, a := range answers {
				id, _ := a.refundOf()
				if id == "" {
					continue
				}
				again := send(i)
				if got, said := again.refundOf(); got != id || said != ours[id] {
					t.Errorf("repeat %d = %s %s, want %s %s", i, got, said, id, ours[id])
				}
			}
			if again, _ := sim.Transaction(ref); again.Refunded != tx.Refunded {
				t.Errorf("repeats made Latipay refund %s, was %s", again.Refunded, tx.Refunded)
			}
		})
	}
}
