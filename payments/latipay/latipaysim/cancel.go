package latipaysim

import (
	"context"
	"net/http"
)

// handleCancel serves POST /cancel. JSON: user_id, merchant_reference,
// signature. The signature may be over the sorted parameters (the stated
// rule) or over "user_id=…&merchant_reference=…" in that order (the docs'
// worked example, V10), each with the key appended. Codes:
//
//	3   body unreadable or a field missing
//	110 unknown user_id
//	206 wrong signature
//	201 no such order for this user
//	900 the order is paid
//	901 the order failed
//	0   canceled now, or already canceled
//
// Cancelling sends no callback; it wakes blocked queries.
func (s *Simulator) handleCancel(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(w, r)
	if err != nil || missing(p, "user_id", "merchant_reference", "signature") != "" {
		writeCode(w, 3, "")
		return
	}
	m := s.merchants[p["user_id"]]
	if m == nil {
		writeCode(w, 110, "")
		return
	}
	if !validSignature(p["signature"], m.APIKey, sortedMessage(p)+m.APIKey) &&
		!validSignature(p["signature"], m.APIKey, cancelDocMessage(p)+m.APIKey) {
		writeCode(w, 206, "")
		return
	}
	code, err := s.cancelTxn(r.Context(), m, p["merchant_reference"])
	if err != nil {
		s.ledgerFailed(w, err)
		return
	}
	if code != 0 {
		writeCode(w, code, "")
		return
	}
	writeJSON(w, http.StatusOK, apiError{Message: "SUCCESS"})
}

// cancelTxn cancels a pending transaction and returns 0, or the code
// refusing it.
func (s *Simulator) cancelTxn(ctx context.Context, m *Merchant, ref string) (int, error) {
	code := 201
	t, err := s.change(ctx, ref, func(t *txn) (bool, error) {
		switch {
		case t.UserID != m.UserID:
			code = 201
		case t.Status == statusPaid:
			code = 900
		case t.Status == statusFailed:
			code = 901
		case t.Status == statusPending:
			code = 0
			t.setStatus(statusCanceled, s.now())
			return true, nil
		default:
			code = 0
		}
		return false, nil
	})
	if err != nil || t == nil {
		return 201, err
	}
	return code, nil
}

// cancelDocMessage is the unsorted pre-image of the docs' cancel example
// (V10), without the key.
func cancelDocMessage(p map[string]string) string {
	return "user_id=" + p["user_id"] + "&merchant_reference=" + p["merchant_reference"]
}
