package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserLongTextFits320: a description of 153 characters without a
// space and a 64-character reference (both within the API's limits) wrap
// on a 320 px screen: the checkout (its QR screen) and the paid page with
// its receipt are no wider than the screen, in the three languages.
func TestBrowserLongTextFits320(t *testing.T) {
	const width = 320
	app := browserStartApp(t)
	desc := strings.Repeat("GreenTeaSencha", 11)[:153]
	ref := strings.Repeat("REF0123456789-", 5)[:64]
	p := app.createPayment(t, map[string]any{"description": desc, "reference": ref, "payment_method": "wechat"})
	b := browserNew(t, app)
	b.do(t, 10*time.Second, chromedp.EmulateViewport(width, 700))
	fits := func(what string) {
		t.Helper()
		if w := browserEval[float64](t, b, `document.documentElement.scrollWidth`); w > width {
			wide := browserEval[[]string](t, b, `[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 320).slice(0, 6).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))`)
			t.Errorf("%s is %v px wide on a %d px screen; too wide: %v", what, w, width, wide)
		}
	}
	for _, lang := range a11yLangs {
		b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/checkout/"+p.ID+"?lang="+lang), chromedp.WaitReady(chromedp.CSS("main")))
		fits("the checkout in " + lang)
		b.screenshot(t, "longtext-checkout-"+lang, false)
	}
	got := app.waitPayment(t, p.ID, "pending", 10*time.Second)
	app.simulate(t, got.LatipayReference, "paid")
	app.waitPayment(t, p.ID, "paid", 10*time.Second)
	for _, lang := range a11yLangs {
		b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/checkout/"+p.ID+"?lang="+lang), chromedp.WaitReady(chromedp.CSS(`[data-testid="receipt"]`)))
		fits("the paid page in " + lang)
		b.screenshot(t, "longtext-paid-"+lang, false)
	}
}
