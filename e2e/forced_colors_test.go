package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// forcedColors turns Chromium's forced-colors emulation (a Windows
// contrast theme) on or off for the tab.
func forcedColors(on bool) chromedp.Action[chromedp.Void] {
	p := emulation.SetEmulatedMediaParams{}
	if on {
		p.Features = []*emulation.MediaFeature{{Name: "forced-colors", Value: "active"}}
	}
	return devtools(emulation.SetEmulatedMedia, p)
}

// forcedControls is, for the visible buttons and controls drawn as
// buttons or links on the page, "<checked> <forced>" then one line per
// control whose computed border would not show.
const forcedControls = `(() => {
	const all = [...document.querySelectorAll('button, input[type=submit], .button, .method, .link')]
		.filter(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden');
	const bad = all.filter(e => ['Top', 'Right', 'Bottom', 'Left'].some(side => {
		const s = getComputedStyle(e);
		return s['border' + side + 'Style'] !== 'solid' || !(parseFloat(s['border' + side + 'Width']) > 0);
	})).map(e => (e.getAttribute('data-testid') || e.className || e.tagName) + ' "' + e.textContent.trim().slice(0, 40) +
		'": border ' + getComputedStyle(e).borderTop);
	return [all.length + ' ' + matchMedia('(forced-colors: active)').matches, ...bad];
})()`

// TestBrowserForcedColors checks that, with forced colours on, every
// button and control drawn as one (WeChat Pay, Alipay, Simulate paid,
// Continue to payment, the back office's, the till's and the display's
// pairing forms, the receipt's print button) has a solid border of some
// width, so it does not read as bare text once backgrounds are dropped;
// and that without forced colours the wallet buttons keep their
// borderless look.
func TestBrowserForcedColors(t *testing.T) {
	app, p, b := browserPaying(t)
	b.do(t, 15*time.Second, chromedp.Navigate(p.CheckoutURL+"?lang=en"), chromedp.WaitVisible(testid("method-wechat")))
	if got := browserEval[string](t, b, `(s => s.borderTopStyle + ' ' + s.borderTopWidth)(getComputedStyle(document.querySelector('.method')))`); got != "none 0px" {
		t.Errorf("without forced colours the wallet button's border is %q, want none 0px (unchanged)", got)
	}
	b.do(t, 5*time.Second, forcedColors(true))
	check := func(name string, want ...string) {
		t.Helper()
		got := browserEval[[]string](t, b, forcedControls)
		if len(got) == 0 || strings.HasPrefix(got[0], "0 ") || !strings.HasSuffix(got[0], " true") {
			t.Fatalf("%s: checked controls and forced colours = %v, want some controls with forced colours on", name, got)
		}
		for _, bad := range got[1:] {
			t.Errorf("%s with forced colours: %s", name, bad)
		}
		for _, id := range want {
			if !browserEval[bool](t, b, fmt.Sprintf(`!!document.querySelector('[data-testid=%q]')`, id)) {
				t.Errorf("%s: no %s on the page to check", name, id)
			}
		}
	}
	b.do(t, 15*time.Second, chromedp.Reload(), chromedp.WaitVisible(testid("method-wechat")))
	check("checkout", "method-wechat", "method-alipay")
	b.do(t, 15*time.Second, chromedp.Click(testid("method-wechat")), chromedp.WaitVisible(testid("qr")))
	check("checkout QR", "simulate-paid")
	app.simulate(t, app.payment(t, p.ID).LatipayReference, "paid")
	b.waitStatus(t, "paid", 10*time.Second)
	check("checkout paid")

	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/signin?lang=en"), chromedp.WaitVisible(testid("signin")))
	check("sign-in", "signin")
	adminDemoSignIn(t, app, b)
	check("back office home", "signout")
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/payments/"+p.ID+"?lang=en"), chromedp.WaitVisible(testid("receipt-link")))
	check("payment detail")
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/payments/"+p.ID+"/receipt?width=58&lang=en"), chromedp.WaitVisible(testid("paper")))
	check("receipt")
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/links?lang=en"), chromedp.WaitVisible(testid("link-create")))
	check("links", "link-create-button")
	b.do(t, 20*time.Second, chromedp.SendKeys(chromedp.CSS("#min"), "5"), chromedp.SendKeys(chromedp.CSS("#max"), "200"),
		chromedp.Click(testid("link-create-button")), chromedp.WaitVisible(testid("link-url")))
	linkURL := b.text(t, fmt.Sprintf(sel, "link-url"))
	b.do(t, 15*time.Second, chromedp.Navigate(linkURL+"?lang=en"), chromedp.WaitVisible(testid("link-form")))
	check("payment link", "link-pay")
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter?lang=en"), chromedp.WaitVisible(testid("pair-code")))
	check("counter pairing", "pair")
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter/display?lang=en"), chromedp.WaitVisible(testid("display-pair-form")))
	check("display pairing", "display-pair-submit")
}
