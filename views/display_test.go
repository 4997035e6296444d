package views

import (
	"bytes"
	"context"
	"regexp"
	"strings"
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
	han := regexp.MustCompile(`\p{Han}`)
	for name, comp := range comps {
		for _, tag := range Languages() {
			var buf bytes.Buffer
			if err := comp.Render(WithLocalizer(context.Background(), c.Localizer(tag)), &buf); err != nil {
				t.Fatal(err)
			}
			doc, err := goquery.NewDocumentFromReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			text := doc.Text()
			doc.Find("[alt],[aria-label]").Each(func(_ int, s *goquery.Selection) {
				v, _ := s.Attr("alt")
				text += " " + v
			})
			for _, id := range c.IDs(LangEnglish) {
				if (strings.HasPrefix(id, "display.") || strings.HasPrefix(id, "say.")) && strings.Contains(text, id) {
					t.Errorf("%s/%s: raw message id %q", name, tag, id)
				}
			}
			if strings.Contains(text, "{{") || strings.Contains(text, "<no value>") {
				t.Errorf("%s/%s: a placeholder leaked", name, tag)
			}
			if tag != LangEnglish && !han.MatchString(text) {
				t.Errorf("%s/%s: no Chinese in %q", name, tag, text)
			}
		}
	}
}
