package views

import (
	"context"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

// TestNoYuanConversionForYuan: the printed receipt and the display facing
// the shopper give the yuan figure and the rate for an NZD sale, and
// nothing of the kind for a CNY one ("1 CNY = 1 CNY" says nothing).
func TestNoYuanConversionForYuan(t *testing.T) {
	c := mustCatalog(t)
	ctx := WithLocalizer(context.Background(), c.Localizer(LangEnglish))
	for _, tc := range []struct {
		currency string
		shown    bool
	}{{"NZD", true}, {"CNY", false}} {
		m := Money{Minor: 1250, Currency: tc.currency}
		doc := renderDoc(t, ctx, "receipt", receiptLines(ReceiptLines{Amount: m, AmountCNY: "60.41", Rate: "4.832151", Method: "wechat"}))
		for _, id := range []string{"receipt-cny", "receipt-rate"} {
			if got := doc.Find(`[data-testid="`+id+`"]`).Length() == 1; got != tc.shown {
				t.Errorf("%s receipt: %s shown %v, want %v", tc.currency, id, got, tc.shown)
			}
		}
		doc = renderDoc(t, ctx, "display", DisplaySaleFragment(DisplaySale{Amount: m, AmountCNY: "60.41", Rate: "4.832151", Method: "wechat"}))
		if got := doc.Find(`[data-testid="display-cny"]`).Length() == 1; got != tc.shown {
			t.Errorf("%s display: yuan line shown %v, want %v", tc.currency, got, tc.shown)
		}
	}
}

// TestRateNamedAlike: the yuan rate reads the same on the checkout, the
// paid page's receipt, the printed receipt and the display facing the
// shopper, in each language: the order's currency and the yuan both by
// their codes, as the amounts beside them are ("1 NZD = 4.8322 CNY"),
// never the yuan's code on one page and its Chinese name on another.
func TestRateNamedAlike(t *testing.T) {
	c := mustCatalog(t)
	m := Money{Minor: 1250, Currency: "NZD", Exponent: 2}
	const want = "1 NZD = 4.8322 CNY"
	for _, tag := range Languages() {
		ctx := WithLocalizer(context.Background(), c.Localizer(tag))
		open := Checkout{Amount: m, AmountCNY: "60.41", Rate: "4.832151", Status: "pending", Screen: ScreenOpen}
		paid := open
		paid.Status, paid.Screen = "paid", ScreenPaid
		paid.Receipt = Receipt{Method: "wechat", PaidAtText: "2026-03-01 01:05 UTC"}
		for _, tc := range []struct {
			where, id string
			comp      templ.Component
		}{
			{"checkout", "amount-cny", CheckoutPage(open)},
			{"paid page", "receipt-rate", CheckoutPage(paid)},
			{"receipt", "receipt-rate", receiptLines(ReceiptLines{Amount: m, AmountCNY: "60.41", Rate: "4.832151", Method: "wechat"})},
			{"display", "display-cny", DisplaySaleFragment(DisplaySale{Amount: m, AmountCNY: "60.41", Rate: "4.832151", Method: "wechat"})},
		} {
			got := renderDoc(t, ctx, tc.where, tc.comp).Find(`[data-testid="` + tc.id + `"]`).Text()
			if !strings.Contains(got, want) || strings.Contains(got, "人民") {
				t.Errorf("%s %s: rate %q, want it written %q", tag, tc.where, got, want)
			}
		}
	}
}

// TestYuanWrittenOneWay: in each language a yuan figure is written one
// way on every page: a yuan payment's amount, the yuan estimate beside an
// NZD amount on the checkout, its paid page and printed receipt, the
// display facing the shopper and the back office's list all read as
// formatMoney writes yuan ("￥ 12,345.60" in Simplified Chinese, "CN¥
// 12,345.60" in English and Traditional Chinese), never "¥12,345.60"
// beside it.
func TestYuanWrittenOneWay(t *testing.T) {
	c := mustCatalog(t)
	nzd := Money{Minor: 1250, Currency: "NZD", Exponent: 2}
	yuan := Money{Minor: 1234560, Currency: "CNY", Exponent: 2}
	const est = "12345.6"
	for _, tag := range Languages() {
		ctx := WithLocalizer(context.Background(), c.Localizer(tag))
		want := formatMoney(ctx, yuan)
		open := Checkout{Amount: nzd, AmountCNY: est, Rate: "4.832151", Status: "pending", Screen: ScreenOpen}
		paid := open
		paid.Status, paid.Screen = "paid", ScreenPaid
		paid.Receipt = Receipt{Method: "wechat", PaidAtText: "2026-03-01 01:05 UTC"}
		inYuan := Checkout{Amount: yuan, Status: "pending", Screen: ScreenOpen}
		for _, tc := range []struct {
			where, id string
			comp      templ.Component
		}{
			{"yuan checkout", "amount", CheckoutPage(inYuan)},
			{"checkout", "amount-cny", CheckoutPage(open)},
			{"paid page", "receipt-cny", CheckoutPage(paid)},
			{"receipt", "receipt-cny", receiptLines(ReceiptLines{Amount: nzd, AmountCNY: est, Rate: "4.832151", Method: "wechat"})},
			{"display", "display-cny", DisplaySaleFragment(DisplaySale{Amount: nzd, AmountCNY: est, Rate: "4.832151", Method: "wechat"})},
			{"back office list", "row-cny", amountCell(PaymentRow{Amount: "12.50", Currency: "NZD", AmountCNY: est})},
		} {
			got := renderDoc(t, ctx, tc.where, tc.comp).Find(`[data-testid="` + tc.id + `"]`).Text()
			if !strings.Contains(got, want) || strings.Count(got, "12,345.60") != strings.Count(got, want) {
				t.Errorf("%s %s: yuan written %q, want it as %q", tag, tc.where, got, want)
			}
		}
	}
}
