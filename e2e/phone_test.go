package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// phoneWidth is the phone the back office must fit: 390 CSS pixels wide.
const phoneWidth = 390

// phoneOn has the tab emulate a 390 x 844 touch phone (phoneOn(false):
// back to the desktop window the tests start with).
func phoneOn(on bool) chromedp.Action[chromedp.Void] {
	if on {
		return chromedp.EmulateViewport(phoneWidth, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	return chromedp.Steps(chromedp.EmulateReset(), chromedp.EmulateViewport(1280, 900))
}

// phoneFits reports the page in the tab as wider than the phone, naming
// the first elements that stick out and are not inside a table's own
// scrolling region (or are, but positioned out of its reach).
func phoneFits(t testing.TB, b *browserSession, what string) {
	t.Helper()
	if w := browserEval[float64](t, b, `document.documentElement.scrollWidth`); w > phoneWidth {
		wide := browserEval[[]string](t, b, `[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 390 && (!e.closest('.table-scroll') || /absolute|fixed/.test(getComputedStyle(e).position))).slice(0, 6).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))`)
		t.Errorf("%s is %v px wide on a %d px phone; too wide: %v", what, w, phoneWidth, wide)
	}
}

// phoneFitsInLanguages opens page on a phone in each language and checks
// that it is no wider than the phone (a screenshot of each goes to
// e2e/screenshots).
func phoneFitsInLanguages(t *testing.T, b *browserSession, name, page string) {
	t.Helper()
	u, err := url.Parse(page)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	b.do(t, 10*time.Second, phoneOn(true))
	for _, lang := range a11yLangs {
		q := u.Query()
		q.Set("lang", lang)
		u.RawQuery = q.Encode()
		b.do(t, 15*time.Second, chromedp.Navigate(u.String()), chromedp.WaitReady(chromedp.CSS("main")))
		phoneFits(t, b, name+" in "+lang)
		b.screenshot(t, "phone-"+strings.ReplaceAll(name, " ", "-")+"-"+lang, false)
	}
	b.do(t, 10*time.Second, phoneOn(false))
}
