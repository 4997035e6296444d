package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCounterTapTargetsBrowser: on a 360 px touch phone, at the browser's
// usual 16 px text and at 32 px, in the three languages, every link,
// button and field on every screen of the till (keypad, scan, QR,
// result, today's sales, the displays page) is at least 44 x 44 CSS
// pixels, the size a finger can hit: "Back" on today's sales included.
func TestCounterTapTargetsBrowser(t *testing.T) {
	app := browserStartApp(t)
	b := browserNew(t, app)
	counterSetUp(t, app, b)
	small := func(what string) {
		t.Helper()
		if s := browserEval[[]string](t, b, tapTargetsSmall); len(s) > 0 {
			t.Errorf("%s: targets smaller than 44 x 44 px: %v", what, s)
		}
	}
	for _, large := range []bool{false, true} {
		counterPhone(t, b, large)
		for _, lang := range a11yLangs {
			at := fmt.Sprintf("%s at large text %v", lang, large)
			b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter?lang="+lang), chromedp.WaitVisible(testid("keypad")))
			small("the keypad in " + at)
			b.do(t, 5*time.Second, chromedp.Click(testid("key-5")))
			b.do(t, 10*time.Second, chromedp.Click(testid("to-scan")), chromedp.WaitVisible(testid("paycode")))
			small("the scan screen in " + at)
			b.do(t, 10*time.Second, chromedp.Click(testid("scan-back")), chromedp.WaitVisible(testid("keypad")))
			b.do(t, 15*time.Second, chromedp.Click(testid("charge-wechat")), chromedp.WaitVisible(chromedp.CSS(`#qr-img[src]`)))
			small("the QR screen in " + at)
			b.do(t, 15*time.Second, chromedp.Click(testid("qr-cancel")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"][data-result="failed"]`)))
			small("the result in " + at)
			b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter/sales?lang="+lang), chromedp.WaitVisible(testid("to-keypad")))
			small("today's sales in " + at)
			b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter/displays?lang="+lang), chromedp.WaitReady(chromedp.CSS("main")))
			small("the displays page in " + at)
		}
	}
}
