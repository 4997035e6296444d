package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserLongTextFits320: a description of 153 characters without a
// space and a 64-character reference (both within the API's limits) wrap
// on a 320 px screen: the checkout (its QR screen) and the paid page with
// its receipt are no wider than the screen, in the three languages. So
// do a payment link's page (/l/<id>) with a 200-character description
// without a space, and the back office's list and page of that link.
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

	adminDemoSignIn(t, app, b)
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/links?lang=en"), chromedp.WaitVisible(testid("link-create")))
	b.do(t, 20*time.Second,
		chromedp.SendKeys(chromedp.CSS("#min"), "5"), chromedp.SendKeys(chromedp.CSS("#max"), "200"),
		chromedp.SetValue(chromedp.CSS("#desc-en"), strings.Repeat("W", 200)),
		chromedp.Click(testid("link-create-button")), chromedp.WaitVisible(testid("link-url")))
	linkURL := b.text(t, fmt.Sprintf(sel, "link-url"))
	detail := browserEval[string](t, b, `location.pathname`)
	for _, lang := range a11yLangs {
		b.do(t, 15*time.Second, chromedp.Navigate(linkURL+"?lang="+lang), chromedp.WaitVisible(testid("link-description")))
		fits("the payment link's page in " + lang)
		b.screenshot(t, "longtext-link-"+lang, false)
		b.do(t, 15*time.Second, chromedp.Navigate(app.URL+detail+"?lang="+lang), chromedp.WaitVisible(testid("link-url")))
		fits("the back office's link page in " + lang)
		b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/links?lang="+lang), chromedp.WaitVisible(testid("link-row-description")))
		fits("the back office's links in " + lang)
		if w := browserEval[float64](t, b, `document.querySelector('[data-testid="link-row-description"]').getBoundingClientRect().width`); w > 2*width {
			t.Errorf("the links list's description cell is %v px wide in %s; want it wrapped", w, lang)
		}
	}
}
