package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// offlineSilencer lets a test hide the browser's offline event from the
// page (window.__hppSilent), as when a network goes quietly: the page
// then has only its own checks to find out.
const offlineSilencer = `window.__hppSilent = false;
window.addEventListener('offline', e => { if (window.__hppSilent) { e.stopImmediatePropagation(); } }, true);`

// connShown is the till's connection warning.
const connShown = `document.querySelector('[data-testid="counter-conn"]').textContent`

// TestCounterOfflineWarnsBrowser: the till with a QR shown, in Traditional
// Chinese, in Chromium against the built binary in sandbox mode. The
// tab's network goes quietly (no offline event reaches the page, and its
// socket never closes): within 20 s the till says the connection is lost
// (a live region), the QR still shown, and clears it once the network is
// back. The network goes again, this time said by the browser: the
// warning comes within 3 s; the shopper pays meanwhile; back online the
// till shows paid, with no warning left.
func TestCounterOfflineWarnsBrowser(t *testing.T) {
	app := browserStartApp(t)
	b := browserNew(t, app)
	counterSetUp(t, app, b)
	b.do(t, 5*time.Second, devtools(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: offlineSilencer}))
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter?lang=zh-Hant"), chromedp.WaitVisible(testid("keypad")))
	for _, k := range []string{"1", "2", "3", "4"} {
		b.do(t, 5*time.Second, chromedp.Click(testid("key-"+k)))
	}
	b.do(t, 15*time.Second, chromedp.Click(testid("charge-wechat")), chromedp.WaitVisible(chromedp.CSS(`#qr-img[src]`)))
	sale := counterStored(t, b)
	b.waitSocket(t)
	if got := browserEval[string](t, b, connShown); got != "" {
		t.Fatalf("online, the till says %q", got)
	}
	if role := b.attr(t, fmt.Sprintf(sel, "counter-conn"), "role"); role != "status" {
		t.Errorf("the connection warning's role = %q, want status (a live region)", role)
	}

	// Quietly gone: only the till's own check can tell.
	browserEval[bool](t, b, `window.__hppSilent = true`)
	b.do(t, 5*time.Second, browserOffline(true))
	start := time.Now()
	adminWaitJS(t, b, "the connection warning with the network quietly gone", connShown+` !== ''`, 20*time.Second)
	t.Logf("the quiet drop was said after %v", time.Since(start).Round(100*time.Millisecond))
	if got := browserEval[string](t, b, connShown); !strings.Contains(got, "連線中斷") {
		t.Errorf("the till says %q, want the connection lost", got)
	}
	if browserEval[bool](t, b, `document.querySelector('[data-testid="qr-screen"]').hidden`) {
		t.Error("offline, the till left the QR: the sale may still be paid")
	}
	b.do(t, 5*time.Second, browserOffline(false))
	adminWaitJS(t, b, "the warning cleared back online", connShown+` === ''`, 20*time.Second)

	// Gone, and the browser says so: at once.
	browserEval[bool](t, b, `window.__hppSilent = false`)
	b.do(t, 5*time.Second, browserOffline(true))
	adminWaitJS(t, b, "the connection warning when the browser goes offline", connShown+` !== ''`, 3*time.Second)
	app.simulate(t, app.payment(t, sale.ID).LatipayReference, "paid")
	app.waitPayment(t, sale.ID, "paid", 10*time.Second)
	b.do(t, 5*time.Second, browserOffline(false))
	b.do(t, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"][data-result="paid"]`)))
	if got := browserEval[string](t, b, connShown); got != "" {
		t.Errorf("back online and paid, the till still says %q", got)
	}
}
