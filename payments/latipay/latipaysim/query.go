package latipaysim

import (
	"encoding/json"
	"net/http"
	"time"
)

// blockTimeout is how long a query with is_block=1 is held at most (package latipay, Endpoints).
const blockTimeout = 180 * time.Second

// queryResponse is the body of a successful query (package latipay, Endpoints), in the field order
// of the captured response. Numbers keep their literal text.
type queryResponse struct {
	Code              int         `json:"code"`
	Message           string      `json:"message"`
	MessageCN         string      `json:"messageCN"`
	MerchantReference string      `json:"merchant_reference"`
	Status            string      `json:"status"`
	Currency          string      `json:"currency"`
	Amount            json.Number `json:"amount"`
	AmountCNY         json.Number `json:"amount_cny"`
	Rate              json.Number `json:"rate"`
	Signature         string      `json:"signature"`
	PaymentMethod     string      `json:"payment_method"`
	TransactionID     string      `json:"transaction_id"`
	OrderID           string      `json:"order_id"`
	PayTime           string      `json:"pay_time"`
}

// handleQuery serves GET /v2/transaction/{merchant_reference}?user_id=&signature=[&is_block=1].
// Both query request signatures (package latipay, Signatures) are accepted: Form A (sorted parameters,
// is_block included when sent, plus key) and Form B (ref + user_id).
//
//	204 user_id or signature missing
//	205 unknown user_id
//	206 wrong signature
//	201 no such order for this user
//
// With is_block=1 a pending order is held until its status changes, 180 s
// pass, the request is cancelled or the simulator closes.
func (s *Simulator) handleQuery(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	q := r.URL.Query()
	params := map[string]string{}
	for k := range q {
		params[k] = q.Get(k)
	}
	params["merchant_reference"] = ref
	if missing(params, "user_id", "signature") != "" {
		writeCode(w, 204, "")
		return
	}
	m := s.merchants[params["user_id"]]
	if m == nil {
		writeCode(w, 205, "")
		return
	}
	sig := params["signature"]
	if !validSignature(sig, m.APIKey, sortedMessage(params)+m.APIKey) &&
		!validSignature(sig, m.APIKey, ref+m.UserID) {
		writeCode(w, 206, "")
		return
	}
	block := params["is_block"] == "1"
	var w8 *waiter
	if block { // watch before reading, so no change is missed in between
		w8 = s.watch(ref)
		defer func() { s.unwatch(ref, w8) }()
	}
	t, err := s.load(r.Context(), byRef, ref)
	if err != nil {
		s.ledgerFailed(w, err)
		return
	}
	if t == nil || t.UserID != m.UserID {
		writeCode(w, 201, "")
		return
	}
	if block && t.Status == statusPending {
		hold := blockTimeout
		if d := s.settleWait(t); d > 0 {
			hold = min(hold, d) // wake when the shopper's answer is due
		}
		timer := time.NewTimer(hold)
		defer timer.Stop()
		var poll <-chan time.Time
		if s.journal != nil { // another simulator may change it
			tick := time.NewTicker(pollInterval)
			defer tick.Stop()
			poll = tick.C
		}
	wait:
		for t.Status == statusPending {
			select {
			case <-w8.ch:
			case <-poll:
			case <-timer.C:
				break wait
			case <-s.ctx.Done():
				break wait
			case <-r.Context().Done():
				return
			}
			s.unwatch(ref, w8)
			w8 = s.watch(ref)
			if t, err = s.load(r.Context(), byRef, ref); err != nil || t == nil {
				break wait
			}
		}
		if t, err = s.load(r.Context(), byRef, ref); err != nil {
			s.ledgerFailed(w, err)
			return
		}
		if t == nil {
			writeCode(w, 201, "")
			return
		}
	}
	snap, cents, completed := t.snapshot(), t.cents, t.completedAt
	payTime := completed
	if payTime.IsZero() {
		payTime = snap.CreatedAt // the captured pending response has pay_time set too
	}
	writeJSON(w, http.StatusOK, queryResponse{
		Message: "SUCCESS", MessageCN: "操作成功", MerchantReference: ref, Status: snap.Status,
		Currency: snap.Currency, Amount: json.Number(snap.Amount),
		AmountCNY: json.Number(s.amountCNY(cents, snap.Currency)), Rate: json.Number(s.cnyRate(snap.Currency)),
		Signature:     signResult(s.responseKey(m), ref, snap.PaymentMethod, snap.Status, snap.Currency, snap.Amount),
		PaymentMethod: snap.PaymentMethod, TransactionID: snap.OrderID, OrderID: snap.OrderID,
		PayTime: payTime.In(chinaTime).Format(time.DateTime),
	})
}
