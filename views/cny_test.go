package views

import (
	"context"
	"testing"
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
