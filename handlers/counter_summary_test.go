package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
)

// TestCounterSummaryNetOfRefunds: the counter's shift summary shows, in
// each language, what the device's paid sales took, what was refunded of
// them and the net, not the paid amounts alone.
func TestCounterSummaryNetOfRefunds(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	var ids []string
	for i, amount := range []string{"20.00", "8.00"} {
		sale := mustJSON[counterSaleJSON](t, a.charge(t, dev, "sale-key-summary-00000"+string(rune('1'+i)), amount, "wechat"))
		p, err := a.Store.Payment(t.Context(), sale.ID)
		if err != nil {
			t.Fatal(err)
		}
		a.simulatePaid(t, p.LatipayReference)
		a.WaitStatus(t, sale.ID, payments.StatusPaid)
		ids = append(ids, sale.ID)
	}
	for i, amount := range []string{"", "3.00"} {
		if _, _, err := a.Svc.Refund(t.Context(), payments.RefundInput{PaymentID: ids[i], Amount: amount, All: amount == ""}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ lang, refunds, net string }{
		{"en", "Refunded", "Net"}, {"zh-Hans", "退款", "净收款"}, {"zh-Hant", "退款", "淨收款"},
	} {
		doc := mustDoc(t, a.do(t, http.MethodGet, handlers.CounterSalesPath+"?lang="+tc.lang, nil, withCookie(dev, nil)))
		head := doc.Find(`[data-testid="summary"] thead`).Text()
		row := doc.Find(`[data-testid="summary-row"]`)
		cell := func(col string) string { return strings.TrimSpace(row.Find(`td[data-col="` + col + `"]`).Text()) }
		if !strings.Contains(head, tc.refunds) || !strings.Contains(head, tc.net) {
			t.Errorf("%s: summary heads %q; want %q and %q", tc.lang, head, tc.refunds, tc.net)
		}
		if row.Length() != 1 || cell("gross") != "NZ$ 28.00" || cell("refunds") != "NZ$ 23.00" || cell("net") != "NZ$ 5.00" {
			t.Errorf("%s: summary row %q; want NZ$ 28.00 paid, NZ$ 23.00 refunded, NZ$ 5.00 net", tc.lang, strings.Join(strings.Fields(row.Text()), " "))
		}
	}
}
