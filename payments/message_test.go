package payments_test

import (
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// TestMessageCodes: every code has its English sentence (the Detail the
// log, the API and webhooks give), and an event keeps its message in
// Data for EventMessage; an event without one, or with Data of another
// shape, has none.
func TestMessageCodes(t *testing.T) {
	seen := map[string]bool{}
	for _, code := range payments.MessageCodes {
		if seen[code] {
			t.Errorf("code %s is listed twice", code)
		}
		seen[code] = true
		m := payments.Message{Code: code, Reference: "R1", Other: "R2", Method: payments.MethodWeChat, Source: "query",
			Status: "failed", Amount: 1250, Currency: "NZD", Said: "1.00", SaidCurrency: "AUD", Refund: "rf_1", Error: "boom"}
		if m.English() == code || m.English() == "" {
			t.Errorf("code %s has no English sentence", code)
		}
		e := m.Event("x", payments.StatusPaid, time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC))
		if got, ok := payments.EventMessage(e); !ok || got != m || e.Detail != m.English() {
			t.Errorf("%s: event %+v gives back %+v, %v", code, e, got, ok)
		}
	}
	for _, data := range []string{"", `{"id":"rf_x","amount":5}`, `{"by":"shopper"}`, "not json"} {
		if m, ok := payments.EventMessage(payments.Event{Data: data}); ok {
			t.Errorf("Data %q gives a message: %+v", data, m)
		}
	}
}
