package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCounterTwoTabsBrowser: two tabs of one paired device, in Chromium
// against the built binary in sandbox mode. Tab A shows a WeChat QR for
// 12.34, tab B then one for 5.67; A, reloaded, still shows its own sale
// (not B's), and when the shopper pays it, A says paid. B, reloaded,
// shows its own. B's sale, left open, is listed on A's keypad; opening it
// there shows it, and once paid A says so: no sale a shopper can still
// pay goes out of sight. The listing passes axe, its buttons 44 px.
func TestCounterTwoTabsBrowser(t *testing.T) {
	app := browserStartApp(t)
	a := browserNew(t, app)
	counterSetUp(t, app, a)
	b := counterTab(t, a)
	charge := func(tab *browserSession, keys ...string) counterSale {
		t.Helper()
		tab.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter?lang=zh-Hant"), chromedp.WaitVisible(testid("keypad")))
		for _, k := range keys {
			tab.do(t, 5*time.Second, chromedp.Click(testid("key-"+k)))
		}
		tab.do(t, 15*time.Second, chromedp.Click(testid("charge-wechat")), chromedp.WaitVisible(chromedp.CSS(`#qr-img[src]`)))
		return counterStored(t, tab)
	}
	saleA := charge(a, "1", "2", "3", "4")
	saleB := charge(b, "5", "6", "7")
	if saleA.ID == saleB.ID {
		t.Fatalf("both tabs show the sale %s", saleA.ID)
	}
	a.do(t, 15*time.Second, chromedp.Reload(), chromedp.WaitVisible(testid("qr-screen")))
	if got := a.text(t, fmt.Sprintf(sel, "qr-amount")); !strings.Contains(got, "12.34") {
		t.Errorf("tab A, reloaded, shows %q; want its own sale of 12.34", got)
	}
	if again := counterStored(t, a); again.ID != saleA.ID {
		t.Errorf("tab A, reloaded, keeps the sale %s, want its own %s", again.ID, saleA.ID)
	}
	app.simulate(t, app.payment(t, saleA.ID).LatipayReference, "paid")
	app.waitPayment(t, saleA.ID, "paid", 10*time.Second)
	a.do(t, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"][data-result="paid"]`)))
	if got := a.text(t, fmt.Sprintf(sel, "result-amount")); !strings.Contains(got, "12.34") {
		t.Errorf("tab A says paid for %q, want 12.34", got)
	}
	b.do(t, 15*time.Second, chromedp.Reload(), chromedp.WaitVisible(testid("qr-screen")))
	if got := b.text(t, fmt.Sprintf(sel, "qr-amount")); !strings.Contains(got, "5.67") {
		t.Errorf("tab B, reloaded, shows %q; want its own sale of 5.67", got)
	}

	// A goes on to its keypad: B's open sale is listed there.
	a.do(t, 15*time.Second, chromedp.Click(testid("result-done")), chromedp.WaitVisible(testid("keypad")))
	a.do(t, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="other-sale"][data-id="`+saleB.ID+`"]`)))
	if got := a.text(t, fmt.Sprintf(sel, "other-sales")); !strings.Contains(got, "5.67") {
		t.Errorf("tab A lists %q for the other tab's sale, want 5.67", got)
	}
	for _, v := range a11yAxe(t, a, string(axeScript(t))) {
		t.Errorf("the keypad listing another tab's sale: axe: %s", v)
	}
	if small := browserEval[[]string](t, a, tapTargetsSmall); len(small) > 0 {
		t.Errorf("the keypad listing another tab's sale: targets smaller than 44 x 44 px: %v", small)
	}
	a.do(t, 15*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="other-sale"][data-id="`+saleB.ID+`"]`)), chromedp.WaitVisible(testid("qr-screen")))
	app.simulate(t, app.payment(t, saleB.ID).LatipayReference, "paid")
	app.waitPayment(t, saleB.ID, "paid", 10*time.Second)
	a.do(t, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"][data-result="paid"]`)))
	if got := a.text(t, fmt.Sprintf(sel, "result-amount")); !strings.Contains(got, "5.67") {
		t.Errorf("tab A says paid for %q, want the other tab's 5.67", got)
	}
}
