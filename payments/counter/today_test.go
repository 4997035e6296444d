package counter_test

import (
	"fmt"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
)

// TestTodayNetOfRefunds: the shift summary counts a refunded sale as
// paid and shows what was refunded of the sales beside what they took,
// as the back office's reports do: a fully refunded 20.00, an 8.00 with
// 3.00 refunded and an untouched 12.50 took 40.50, of which 23.00 went
// back, 17.50 net. A refund still waiting for Latipay's answer is not
// counted until it succeeds.
func TestTodayNetOfRefunds(t *testing.T) {
	c, env := newCounter(t)
	ctx := t.Context()
	a := mustCashier(t, env)
	d, _ := mustDevice(t, c)
	if err := c.SetPIN(ctx, a.ID, "2580"); err != nil {
		t.Fatal(err)
	}
	d, _, err := c.Unlock(ctx, d.ID, a.ID, "2580")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	sell := func(amount string, m payments.Method) string {
		t.Helper()
		n++
		st, err := c.ChargeQR(ctx, counter.ChargeInput{Device: d, Key: fmt.Sprintf("net-key-%015d", n), Amount: amount, Method: m, ClientIP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
			t.Fatal(err)
		}
		env.WaitStatus(t, st.Payment.ID, payments.StatusPaid)
		return st.Payment.ID
	}
	refund := func(id, amount string) payments.Refund {
		t.Helper()
		r, _, err := env.Svc.Refund(ctx, payments.RefundInput{PaymentID: id, Amount: amount, All: amount == ""})
		if err != nil {
			t.Fatalf("Refund(%s) = %v", amount, err)
		}
		return r
	}
	refund(sell("20.00", payments.MethodWeChat), "")
	refund(sell("8.00", payments.MethodWeChat), "3.00")
	sell("12.50", payments.MethodWeChat)
	held := sell("5.00", payments.MethodAlipay)
	env.Sim.SetFaults(latipaysim.Faults{ServerError: true})
	if r := refund(held, "2.00"); r.Status != payments.RefundPending {
		t.Fatalf("refund with a lost answer is %s, want pending", r.Status)
	}
	env.Sim.SetFaults(latipaysim.Faults{})

	today, err := c.Today(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	want := []counter.Total{
		{Currency: "NZD", Method: "alipay", Count: 1, Amount: 500, Refunds: 0},
		{Currency: "NZD", Method: "wechat", Count: 3, Amount: 4050, Refunds: 2300},
	}
	if today.Paid != 4 || fmt.Sprint(today.Totals) != fmt.Sprint(want) {
		t.Fatalf("today: %d paid, totals %+v; want 4, %+v", today.Paid, today.Totals, want)
	}
	if net := today.Totals[1].Net(); net != 1750 {
		t.Errorf("WeChat Pay net %d, want 1750", net)
	}
}
