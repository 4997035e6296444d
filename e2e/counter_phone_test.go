package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// counterPhone is the till on a 360 x 740 touch phone; with large, its
// browser's default font is 32 px (200% text, as a person sets it in the
// browser's settings, not the page).
func counterPhone(t *testing.T, b *browserSession, large bool) {
	t.Helper()
	size := int64(16)
	if large {
		size = 32
	}
	b.do(t, 10*time.Second, chromedp.EmulateViewport(narrowPhone, 740, chromedp.EmulateMobile, chromedp.EmulateTouch),
		devtools(page.SetFontSizes, page.SetFontSizesParams{FontSizes: &page.FontSizes{Standard: size, Fixed: size}}))
}

// amountWhole says how the element with test id testid shows its text:
// on how many lines, whether it is cut (wider than its box), and whether
// it reaches past the phone's right edge.
const amountWhole = `(id => {
  const el = document.querySelector('[data-testid="' + id + '"]');
  const r = document.createRange();
  r.selectNodeContents(el);
  const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
  return { lines: tops.size, fits: el.scrollWidth <= el.clientWidth && el.getBoundingClientRect().right <= %d, text: el.textContent };
})(%q)`

// counterWhole checks that the amount testid is whole, on one line.
func counterWhole(t *testing.T, b *browserSession, what, testid string) {
	t.Helper()
	box := browserEval[amountBox](t, b, fmt.Sprintf(amountWhole, narrowPhone, testid))
	if box.Lines != 1 || !box.Fits {
		t.Errorf("%s: %s %q takes %d lines (whole: %v); want one line, whole, within the phone", what, testid, box.Text, box.Lines, box.Fits)
	}
	if w := browserEval[float64](t, b, `document.documentElement.scrollWidth`); w > narrowPhone {
		t.Errorf("%s: the page is %v px wide on a %d px phone", what, w, narrowPhone)
	}
}

// TestCounterAmountsFitLargeTextBrowser: on a 360 px phone whose browser
// shows text at 32 px (200%), in Chromium against the built binary in
// sandbox mode, in the three languages, every amount on the till is whole
// on one line within the phone, the page never scrolls sideways: the
// keypad's NZ$ 9,999.99 and its yuan, the scan screen's amount, the QR
// screen's amount and "≈ CN¥…" (never "≈ CN¥" on one line and the
// figures on the next), and the result's; the QR image stays inside its
// card.
func TestCounterAmountsFitLargeTextBrowser(t *testing.T) {
	app := browserStartApp(t)
	b := browserNew(t, app)
	counterSetUp(t, app, b)
	counterPhone(t, b, true)
	for _, lang := range a11yLangs {
		b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter?lang="+lang), chromedp.WaitVisible(testid("keypad")))
		for _, k := range []string{"9", "9", "9", "9", "9", "9"} {
			b.do(t, 5*time.Second, chromedp.Click(testid("key-"+k)))
		}
		counterWhole(t, b, "the keypad in "+lang, "amount")
		b.do(t, 10*time.Second, chromedp.Click(testid("to-scan")), chromedp.WaitVisible(testid("paycode")))
		counterWhole(t, b, "the scan screen in "+lang, "scan-amount")
		b.do(t, 10*time.Second, chromedp.Click(testid("scan-back")), chromedp.WaitVisible(testid("keypad")))
		b.do(t, 15*time.Second, chromedp.Click(testid("charge-wechat")), chromedp.WaitVisible(chromedp.CSS(`#qr-img[src]`)))
		counterWhole(t, b, "the QR screen in "+lang, "qr-amount")
		counterWhole(t, b, "the QR screen in "+lang, "qr-cny")
		if got := b.text(t, fmt.Sprintf(sel, "qr-cny")); !strings.ContainsAny(got, "¥￥") {
			t.Errorf("the QR screen in %s shows %q as the yuan", lang, got)
		}
		out := browserEval[[]float64](t, b, `(() => { const q = document.getElementById('qr').getBoundingClientRect(), i = document.getElementById('qr-img').getBoundingClientRect(); return [i.left - q.left, q.right - i.right]; })()`)
		if out[0] < 0 || out[1] < 0 {
			t.Errorf("the QR screen in %s: the QR image sticks out of its card (left %v, right %v px inside)", lang, out[0], out[1])
		}
		b.do(t, 15*time.Second, chromedp.Click(testid("qr-cancel")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"][data-result="failed"]`)))
		counterWhole(t, b, "the result in "+lang, "result-amount")
		b.do(t, 15*time.Second, chromedp.Click(testid("result-done")), chromedp.WaitVisible(testid("keypad")))
	}
}

// TestDisplayAmountFitsLargeTextBrowser: the display facing the shopper
// on a 360 px phone at 32 px text, in Chromium against the built binary
// in sandbox mode: a sale of NZ$ 9,999.99 shows its amount whole on one
// line, the page never wider than the phone.
func TestDisplayAmountFitsLargeTextBrowser(t *testing.T) {
	app := browserStartApp(t)
	ctr := browserNew(t, app)
	counterSetUp(t, app, ctr)
	disp := counterTab(t, ctr)
	ctr.do(t, 15*time.Second, chromedp.Click(testid("to-displays")), chromedp.WaitVisible(testid("display-new-code")),
		chromedp.Click(testid("display-new-code")), chromedp.WaitVisible(testid("display-code")))
	code := ctr.text(t, fmt.Sprintf(sel, "display-code"))
	disp.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter/display?lang=zh-Hant"), chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(testid("display-pair-submit")), chromedp.WaitVisible(testid("display-idle")))
	counterPhone(t, disp, true)
	disp.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter/display?lang=zh-Hant"), chromedp.WaitVisible(testid("display-idle")))
	for deadline := time.Now().Add(10 * time.Second); !browserEval[bool](t, disp, `document.querySelector('[data-offline]').hidden`); {
		if time.Now().After(deadline) {
			t.Fatal("the display's socket did not connect")
		}
		time.Sleep(50 * time.Millisecond) // polling the page with a deadline
	}
	ctr.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter?lang=en"), chromedp.WaitVisible(testid("key-1")))
	for _, k := range []string{"9", "9", "9", "9", "9", "9"} {
		ctr.do(t, 5*time.Second, chromedp.Click(testid("key-"+k)))
	}
	ctr.do(t, 15*time.Second, chromedp.Click(testid("charge-wechat")), chromedp.WaitVisible(testid("qr-img")))
	disp.do(t, 15*time.Second, chromedp.WaitVisible(testid("display-qr")))
	counterWhole(t, disp, "the display's sale", "display-amount")
}
