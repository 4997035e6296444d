package handlers_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
)

// noscriptRefresh finds a meta refresh, the no-JavaScript fallback that
// reloaded the page every few seconds.
var noscriptRefresh = regexp.MustCompile(`(?i)http-equiv="?refresh`)

// TestCheckoutTitleSaysState: the checkout's title says the payment's state
// (and the wallet of the QR shown), in the page as served and in the
// panel the script swaps in (data-title), in each language; every state
// has an h1, a payment without description too.
func TestCheckoutTitleSaysState(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, `{"amount":"12.50","currency":"NZD","reference":"NO-DESC","return_url":"https://shop.example.com/done"}`)
	check := func(lang, want string) {
		t.Helper()
		doc := app.page(t, p.ID+"?lang="+lang)
		if got := doc.Find("title").Text(); got != want {
			t.Errorf("%s title = %q, want %q", lang, got, want)
		}
		if n := doc.Find("h1").Length(); n != 1 {
			t.Errorf("%s: %d h1, want 1", lang, n)
		}
		w := app.do(t, http.MethodGet, "/checkout/"+p.ID+"/panel?lang="+lang, nil, nil)
		if got, _ := testid(mustDoc(t, w), "status").Attr("data-title"); got != want {
			t.Errorf("%s panel data-title = %q, want %q", lang, got, want)
		}
	}
	check("en", "Choose how to pay – Pay Test Shop")
	check("zh-Hans", "选择付款方式 – 向 Test Shop 付款")
	ref := app.mustStartQR(t, p.ID)
	check("en", "Scan to pay with WeChat Pay – Pay Test Shop")
	check("zh-Hant", "用微信支付掃碼付款 – 向 Test Shop 付款")
	if err := app.Sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	app.WaitStatus(t, p.ID, payments.StatusPaid)
	check("en", "Paid – Pay Test Shop")
	check("zh-Hans", "已付款 – 向 Test Shop 付款")
}

// TestCheckoutNoTimedRefresh: without JavaScript no state reloads the page
// by itself (a keyboard user would have seconds to reach a button and a
// screen reader would restart); while the shopper pays in the wallet the
// page offers a link that shows the current status instead.
func TestCheckoutNoTimedRefresh(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	created := app.do(t, http.MethodGet, "/checkout/"+p.ID, nil, nil).Body.String()
	if noscriptRefresh.MatchString(created) || strings.Contains(created, `data-testid="check-status"`) {
		t.Error("the created page refreshes itself or offers a status check; nothing changes there without the shopper")
	}
	app.mustStartQR(t, p.ID)
	pending := app.do(t, http.MethodGet, "/checkout/"+p.ID+"?lang=en", nil, nil).Body.String()
	if noscriptRefresh.MatchString(pending) {
		t.Error("the QR page refreshes itself")
	}
	link := regexp.MustCompile(`<noscript>.*<a [^>]*href="([^"]+)"[^>]*data-testid="check-status"[^>]*>Check the payment status</a>.*</noscript>`).FindStringSubmatch(pending)
	if link == nil || link[1] != "/checkout/"+p.ID+"?lang=en" {
		t.Fatalf("the QR page has no link to check the status without JavaScript: %v", link)
	}
}

// TestErrorPageTitles: an error page is titled, and headed, by what
// happened; the shopper's e-receipt names the shop in its title.
func TestErrorPageTitles(t *testing.T) {
	app := newTestApp(t)
	for _, tt := range []struct{ path, want string }{
		{"/checkout/pay_00000000000000000000000000?lang=en", "Payment not found"},
		{"/pay?amount=1&sig=00&lang=en", "Payment link not valid"},
		{"/pay?amount=1&sig=00&lang=zh-Hans", "付款链接无效"},
		{"/no-such-page?lang=en", "Page not found"},
	} {
		doc := mustDoc(t, app.do(t, http.MethodGet, tt.path, nil, nil))
		if got, h1 := doc.Find("title").Text(), doc.Find("h1").Text(); got != tt.want || h1 != tt.want {
			t.Errorf("%s: title %q, h1 %q; want %q", tt.path, got, h1, tt.want)
		}
	}
}
