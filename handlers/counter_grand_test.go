package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
)

// TestCounterSummaryGrandTotal: the shift summary ends with the day's
// total per currency over every method (count, paid, refunded, net), in
// each language; and the owner's PIN table heads its first column as the
// names with roles it lists, not "Email".
func TestCounterSummaryGrandTotal(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	var ids []string
	for i, s := range []struct{ amount, method string }{{"20.00", "wechat"}, {"8.00", "alipay"}, {"2.50", "wechat"}} {
		sale := mustJSON[counterSaleJSON](t, a.charge(t, dev, "sale-key-grand-000000"+string(rune('1'+i)), s.amount, s.method))
		p, err := a.Store.Payment(t.Context(), sale.ID)
		if err != nil {
			t.Fatal(err)
		}
		a.simulatePaid(t, p.LatipayReference)
		a.WaitStatus(t, sale.ID, payments.StatusPaid)
		ids = append(ids, sale.ID)
	}
	if _, _, err := a.Svc.Refund(t.Context(), payments.RefundInput{PaymentID: ids[1], Amount: "3.00"}); err != nil {
		t.Fatal(err)
	}
	for lang, word := range map[string]string{"en": "Total (NZD)", "zh-Hans": "合计（NZD）", "zh-Hant": "合計（NZD）"} {
		doc := mustDoc(t, a.do(t, http.MethodGet, handlers.CounterSalesPath+"?lang="+lang, nil, withCookie(dev, nil)))
		total := doc.Find(`[data-testid="summary"] tfoot [data-testid="summary-total"]`)
		cell := func(col string) string { return strings.TrimSpace(total.Find(`[data-col="` + col + `"]`).Text()) }
		if total.Length() != 1 || cell("method") != word || cell("gross") != "NZ$ 30.50" || cell("refunds") != "NZ$ 3.00" || cell("net") != "NZ$ 27.50" {
			t.Errorf("%s: the summary's total reads %q (%d rows); want %s: NZ$ 30.50 paid, NZ$ 3.00 refunded, NZ$ 27.50 net", lang,
				strings.Join(strings.Fields(total.Text()), " "), total.Length(), word)
		}
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for lang, want := range map[string]string{"en": "Name and role", "zh-Hans": "姓名与角色", "zh-Hant": "姓名與角色"} {
		doc := mustDoc(t, a.do(t, http.MethodGet, "/admin/counter?lang="+lang, nil, withCookie(owner, nil)))
		if got := strings.TrimSpace(doc.Find(`[data-testid="pins"] thead th`).First().Text()); got != want {
			t.Errorf("%s: the PIN table's first column is headed %q, want %q", lang, got, want)
		}
	}
}
