package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
)

// TestCounterYuanAsEveryPage: the till writes yuan as every other page
// does, one way per language ("CN¥ 12,345.60" in English and Traditional
// Chinese, "￥ 12,345.60" in Simplified Chinese), not as the browser's
// Intl would ("CN¥12,345.60"). A sale's JSON carries Latipay's estimate
// so written (amount_cny_text), and the keypad page gives the script
// 1234567.89 yuan so written, from which it writes its estimate while
// the cashier types.
func TestCounterYuanAsEveryPage(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	w := a.charge(t, dev, "sale-key-yuan-00000000001", "9876.50", "wechat")
	if w.Code != http.StatusOK {
		t.Fatalf("charge = %d: %s", w.Code, w.Body)
	}
	sale := mustJSON[struct{ ID, AmountCNY string }](t, w)
	type yuanJSON struct {
		AmountCNY     string `json:"amount_cny"`
		AmountCNYText string `json:"amount_cny_text"`
	}
	for lang, symbol := range map[string]string{"en": "CN¥ ", "zh-Hant": "CN¥ ", "zh-Hans": "￥ "} {
		got := mustJSON[yuanJSON](t, a.do(t, http.MethodGet, handlers.CounterSalesPath+"/"+sale.ID+"?lang="+lang, nil, withCookie(dev, nil)))
		v, err := strconv.ParseFloat(got.AmountCNY, 64)
		if err != nil || v < 1000 {
			t.Fatalf("%s: the sale's yuan estimate is %q, want Latipay's yuan above 1,000", lang, got.AmountCNY)
		}
		if want := symbol + groupedFen(v); got.AmountCNYText != want {
			t.Errorf("%s: the sale's yuan reads %q, want %q", lang, got.AmountCNYText, want)
		}
		page := mustDoc(t, a.do(t, http.MethodGet, handlers.CounterPath+"?lang="+lang, nil, withCookie(dev, nil)))
		if got, want := page.Find("#counter").AttrOr("data-yuan-sample", ""), symbol+"1,234,567.89"; got != want {
			t.Errorf("%s: the keypad's yuan sample reads %q, want %q", lang, got, want)
		}
	}
}

// groupedFen writes v with two decimals and a comma every three digits:
// 47723.456 reads "47,723.46".
func groupedFen(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String() + "." + frac
}
