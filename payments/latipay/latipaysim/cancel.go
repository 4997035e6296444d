package latipaysim

import (
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
	if code := s.cancelTxn(m, p["merchant_reference"]); code != 0 {
		writeCode(w, code, "")
		return
	}
	writeJSON(w, http.StatusOK, apiError{Message: "SUCCESS"})
}

// cancelTxn cancels a pending transaction and returns 0, or the code
// refusing it.
func (s *Simulator) cancelTxn(m *Merchant, ref string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.st.byRef[ref]
	if ok {
		s.settleDue(t)
	}
	switch {
	case !ok || t.UserID != m.UserID:
		return 201
	case t.Status == statusPaid:
		return 900
	case t.Status == statusFailed:
		return 901
	case t.Status == statusPending:
		t.setStatus(statusCanceled, s.now())
		s.persist(t)
	}
	return 0
}

// cancelDocMessage is the unsorted pre-image of the docs' cancel example
// (V10), without the key.
func cancelDocMessage(p map[string]string) string {
	return "user_id=" + p["user_id"] + "&merchant_reference=" + p["merchant_reference"]
}
