package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
)

// TestCashierForbiddenSaysWhatToDo: a cashier opening an owner's page
// (the payments list, where refunds are) is refused with words for a
// cashier in each language: what their role does, that refunds are the
// owner's, and a way to the till; an owner's own refusal is unchanged.
func TestCashierForbiddenSaysWhatToDo(t *testing.T) {
	a := newAdminApp(t)
	_, cashier := a.signIn(t, "cashier@shop.example", adminPW)
	for lang, want := range map[string][]string{
		"en":      {"As a cashier you take payments at the till", "refunds", "ask them"},
		"zh-Hans": {"收银员在收银台收款", "退款", "请联系店主"},
		"zh-Hant": {"收銀員在收銀台收款", "退款", "請聯絡店主"},
	} {
		w := a.do(t, http.MethodGet, "/admin/payments?lang="+lang, nil, withCookie(cashier, nil))
		if w.Code != http.StatusForbidden {
			t.Fatalf("%s: a cashier's /admin/payments = %d, want 403", lang, w.Code)
		}
		doc := mustDoc(t, w)
		text := doc.Find(`[data-testid="error"]`).Text()
		for _, s := range want {
			if !strings.Contains(text, s) {
				t.Errorf("%s: the cashier's 403 page reads %q, want %q in it", lang, text, s)
			}
		}
		back, _ := doc.Find(`[data-testid="back-to-area"]`).Attr("href")
		if !strings.HasPrefix(back, handlers.CounterPath) {
			t.Errorf("%s: the cashier's 403 page leads to %q, want the till (%s)", lang, back, handlers.CounterPath)
		}
	}
}
