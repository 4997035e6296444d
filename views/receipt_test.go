package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

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
