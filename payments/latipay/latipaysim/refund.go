package latipaysim

import (
	"context"
	"io"
	"net/http"
)

// handleRefund serves POST /refund. JSON: user_id, order_id,
// refund_amount, reference (optional), signature (sorted-parameters). Codes:
//
//	550 body unreadable, user_id, order_id, refund_amount or signature
//	    missing, or refund_amount not a 2 dp amount above zero
//	205 unknown user_id
//	206 wrong signature
//	551 no order with this order_id for this user
//	562 the same order_id, reference and refund_amount was already refunded
//	556 the order is not paid, or the refund exceeds paid minus refunded
//	Faults.RefundCode, when set, instead of all of the above
//
// Success is {"code":0,"message":""}; the amount adds to Refunded and the
// refund is listed in the transaction's Refunds. The order's status stays
// paid. The RefuseRefundsEvery and LoseRefundAnswersEvery faults refuse
// (556) or lose the answer of every nth refund.
func (s *Simulator) handleRefund(w http.ResponseWriter, r *http.Request) {
	if code := s.Faults().RefundCode; code != 0 {
		writeCode(w, code, "")
		return
	}
	p, err := readParams(w, r)
	if err != nil || missing(p, "user_id", "order_id", "refund_amount", "signature") != "" {
		writeCode(w, 550, "")
		return
	}
	cents, ok := parseAmount(p["refund_amount"])
	if !ok || cents <= 0 {
		writeCode(w, 550, "")
		return
	}
	m := s.merchants[p["user_id"]]
	if m == nil {
		writeCode(w, 205, "")
		return
	}
	if !validSignature(p["signature"], m.APIKey, sortedMessage(p)+m.APIKey) {
		writeCode(w, 206, "")
		return
	}
	code, lose, err := s.refund(r.Context(), m, p["order_id"], p["reference"], p["refund_amount"], cents)
	if err != nil {
		s.ledgerFailed(w, err)
		return
	}
	if code != 0 {
		writeCode(w, code, "")
		return
	}
	if lose {
		// Made, but the answer is cut short: the caller cannot know.
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"code":0,"mess`)
		return
	}
	writeJSON(w, http.StatusOK, apiError{})
}

// refund records a refund and returns 0, or the code refusing it. lose
// is set when the LoseRefundAnswersEvery fault hits this refund. The
// check against paid minus refunded and the refund itself are one change
// of the stored transaction, so refunds made at once, through this
// simulator or another sharing its journal, never exceed the amount.
func (s *Simulator) refund(ctx context.Context, m *Merchant, orderID, reference, amount string, cents int64) (code int, lose bool, err error) {
	t, err := s.load(ctx, byOrder, orderID)
	if err != nil {
		return 0, false, err
	}
	if t == nil || t.UserID != m.UserID {
		return 551, false, nil
	}
	key := orderID + "\x00" + reference + "\x00" + amount
	_, err = s.change(ctx, t.MerchantReference, func(t *txn) (bool, error) {
		code, lose = 0, false
		if t.refunds[key] {
			code = 562
			return false, nil
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.refundsSeen++
		if n := s.faults.RefuseRefundsEvery; n > 0 && s.refundsSeen%n == 0 {
			code = 556
			return false, nil
		}
		if t.Status != statusPaid || cents > t.cents-t.refunded {
			code = 556
			return false, nil
		}
		t.refunds[key] = true
		t.refunded += cents
		t.Refunds = append(t.Refunds, Refund{Reference: reference, Amount: amount})
		s.refundsMade++
		n := s.faults.LoseRefundAnswersEvery
		lose = n > 0 && s.refundsMade%n == 0
		return true, nil
	})
	return code, lose, err
}
