package latipaysim

import (
	"strconv"
	"testing"
)

func refundParams(orderID, amount, reference string) map[string]string {
	p := map[string]string{"user_id": testUser, "order_id": orderID, "refund_amount": amount}
	if reference != "" {
		p["reference"] = reference
	}
	p["signature"] = signParams(testKey, p)
	return p
}

func TestRefund(t *testing.T) {
	sim, srv := newTestSim(t, nil)
	mustCreate(t, srv, "rf-paid", "alipay", nil)
	mustCreate(t, srv, "rf-pending", "alipay", nil)
	if err := sim.Pay("rf-paid"); err != nil {
		t.Fatal(err)
	}
	paid, _ := sim.Transaction("rf-paid")
	pending, _ := sim.Transaction("rf-pending")
	u := srv.URL + "/refund"
	tests := []struct {
		name string
		p    map[string]string
		want string
	}{
		{"partial", refundParams(paid.OrderID, "2.50", "first"), "0"},
		{"exact duplicate", refundParams(paid.OrderID, "2.50", "first"), "562"},
		{"same amount, new reference", refundParams(paid.OrderID, "2.50", "second"), "0"},
		{"over the rest", refundParams(paid.OrderID, "7.51", "third"), "556"},
		{"not paid", refundParams(pending.OrderID, "1.00", ""), "556"},
		{"unknown order", refundParams("2026030199999999", "1.00", ""), "551"},
		{"merchant reference is not an order id", refundParams("rf-paid", "1.00", ""), "551"},
		{"bad amount", refundParams(paid.OrderID, "1", ""), "550"},
		{"zero amount", refundParams(paid.OrderID, "0.00", ""), "550"},
		{"missing amount", map[string]string{"user_id": testUser, "order_id": paid.OrderID, "signature": "ab"}, "550"},
		{"unknown user", map[string]string{"user_id": "U404", "order_id": paid.OrderID, "refund_amount": "1.00", "signature": "ab"}, "205"},
		{"bad signature", map[string]string{"user_id": testUser, "order_id": paid.OrderID, "refund_amount": "1.00", "signature": hmacHex("x", "y")}, "206"},
		{"rest exactly", refundParams(paid.OrderID, "7.50", "third"), "0"},
		{"nothing left", refundParams(paid.OrderID, "0.01", "fourth"), "556"},
	}
	for _, tt := range tests {
		_, m := postJSON(t, srv.Client(), u, tt.p)
		if code(m) != tt.want {
			t.Errorf("%s: %v, want code %s", tt.name, m, tt.want)
		}
		if tt.want == "0" && m["message"] != "" {
			t.Errorf("%s: message %q, want empty", tt.name, m["message"])
		}
	}
	got, _ := sim.Transaction("rf-paid")
	if got.Refunded != "12.50" || got.Status != "paid" {
		t.Errorf("after refunds: refunded %s status %s, want 12.50 paid", got.Refunded, got.Status)
	}
}

func TestRefundCodeFault(t *testing.T) {
	sim, srv := newTestSim(t, nil)
	for _, c := range []int{550, 551, 556, 558, 559, 562} {
		sim.SetFaults(Faults{RefundCode: c})
		_, m := postJSON(t, srv.Client(), srv.URL+"/refund", refundParams("x", "1.00", ""))
		if got, want := code(m), strconv.Itoa(c); got != want || m["message"] == "" {
			t.Errorf("RefundCode %d: %v", c, m)
		}
	}
}
