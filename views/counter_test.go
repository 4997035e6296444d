package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

// The counter's pages that are not the till itself: the display facing
// the shopper and the receipts, in every language.

// TestDisplayPagesInEveryLanguage renders the pairing form, the idle
// display and its fragments in each language: no message id or template
// hole leaks, and the Chinese ones are Chinese.
func TestDisplayPagesInEveryLanguage(t *testing.T) {
	c := mustCatalog(t)
	page := Page{Title: "Display", MerchantName: "Kiwi Shop", CSS: "/static/x/css/display.css", JS: "/static/x/js/display.js"}
	amount := Money{Minor: 1250, Currency: "NZD", Exponent: 2}
	comps := map[string]templ.Component{
		"pair":      DisplayPairPage(DisplayPair{Page: page, Action: "/counter/display", ErrorID: "display.pair.bad"}),
		"display":   DisplayPage(Display{Page: page, Accept: []LangText{{"en", "We accept"}, {"zh-Hans", "我们接受"}}, SocketURL: "/counter/display/ws"}),
		"sale-qr":   DisplaySaleFragment(DisplaySale{Amount: amount, AmountCNY: "58.06", Rate: "4.6449", Method: "wechat", QR: "data:image/png;base64,AA=="}),
		"sale-scan": DisplaySaleFragment(DisplaySale{Amount: amount, Method: "alipay"}),
		"paid":      DisplayResultFragment(DisplayResult{Paid: true, Amount: amount, Method: "wechat"}),
		"failed":    DisplayResultFragment(DisplayResult{Amount: amount, Method: "alipay"}),
	}
	ids := c.IDs(LangEnglish)
	for name, comp := range comps {
		for _, tag := range Languages() {
			doc := renderDoc(t, WithLocalizer(context.Background(), c.Localizer(tag)), name, comp)
			text := doc.Text()
			doc.Find("[alt],[aria-label]").Each(func(_ int, s *goquery.Selection) {
				v, _ := s.Attr("alt")
				text += " " + v
			})
			checkLocalised(t, name+"/"+tag, tag, text, text, ids, "display.", "say.")
		}
	}
}

// TestReceiptPagesInEveryLanguage renders the print page (both widths) and
// the e-receipt (paid and not) in each language: the right <html lang>, no
// message id or template hole, Chinese text on the Chinese pages, and the
// paper's width class.
func TestReceiptPagesInEveryLanguage(t *testing.T) {
	c := mustCatalog(t)
	page := Page{Title: "Receipt", MerchantName: "Kiwi Shop", CSS: "/static/x/css/receipt.css", JS: "/static/x/js/receipt.js"}
	lines := ReceiptLines{TaxNumber: "GST 123-456-789", Amount: Money{Minor: 1250, Currency: "NZD", Exponent: 2}, AmountCNY: "58.06",
		Rate: "4.64490", Method: "wechat", OrderID: "2026030100001", Cashier: "Mei", Time: "2026-03-01T01:05:00Z",
		TimeText: "2026-03-01 01:05 UTC", Refunded: Money{Minor: 500, Currency: "NZD", Exponent: 2}}
	widths := []ReceiptWidth{{MM: 80, URL: "/r?width=80"}, {MM: 58, URL: "/r?width=58", Current: true}}
	pages := map[string]templ.Component{
		"print-58": ReceiptPrintPage(ReceiptPrint{Page: page, Width: 58, Lines: lines, QR: "data:image/png;base64,AA==", Widths: widths, BackURL: "/admin/payments/pay_1"}),
		"print-80": ReceiptPrintPage(ReceiptPrint{Page: page, Width: 80, Lines: lines, Widths: widths}),
		"paid":     EReceiptPage(EReceipt{Page: page, Paid: true, Lines: lines}),
		"unpaid":   EReceiptPage(EReceipt{Page: page}),
	}
	ids := c.IDs(LangEnglish)
	for name, comp := range pages {
		for _, tag := range Languages() {
			doc := renderDoc(t, WithLocalizer(context.Background(), c.Localizer(tag)), name, comp)
			if got, _ := doc.Find("html").Attr("lang"); got != tag {
				t.Errorf("%s/%s: lang %q", name, tag, got)
			}
			checkLocalised(t, name+"/"+tag, tag, doc.Text(), doc.Find("main").Text(), ids, "receipt.")
		}
	}
	var buf bytes.Buffer
	_ = pages["print-58"].Render(context.Background(), &buf)
	doc, _ := goquery.NewDocumentFromReader(&buf)
	if !doc.Find("main.paper").HasClass("paper-58") || doc.Find(`[data-testid="receipt-cashier"]`).Text() != "Mei" {
		t.Error("the 58 mm receipt lacks its paper class or the cashier")
	}
	if src, _ := doc.Find(`[data-testid="receipt-qr"]`).Attr("src"); !strings.HasPrefix(src, "data:image/png") {
		t.Errorf("QR src = %q: templ dropped the data URL", src)
	}
}
