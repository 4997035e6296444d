package views

import (
	"context"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

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
