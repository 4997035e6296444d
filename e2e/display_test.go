package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// counterTab is a second tab of b's browser (same cookies).
func counterTab(t *testing.T, b *browserSession) *browserSession {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("new tab: %v", err)
	}
	return &browserSession{ctx: ctx, rec: b.rec, app: b.app}
}

// counterSetUp signs the sandbox's demo owner in, gives them the PIN
// 2468, pairs the tab as a counter device from the back office and
// unlocks it: the tab ends on the keypad.
func counterSetUp(t *testing.T, app *browserApp, b *browserSession) {
	t.Helper()
	adminDemoSignIn(t, app, b)
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/counter?lang=en"), chromedp.SendKeys(testid("pin-input"), "2468"),
		chromedp.Click(testid("pin-save")), chromedp.WaitVisible(testid("notice")),
		chromedp.Click(testid("pair-start")), chromedp.WaitVisible(testid("pairing-code")))
	code := b.text(t, fmt.Sprintf(sel, "pairing-code"))
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/counter?lang=en"), chromedp.SendKeys(testid("pair-code"), code),
		chromedp.Click(testid("pair")), chromedp.WaitVisible(testid("unlock-pin")),
		chromedp.Click(testid("unlock-person")), chromedp.SendKeys(testid("unlock-pin"), "2468"),
		chromedp.Click(testid("unlock")), chromedp.WaitVisible(testid("key-1")))
}

// TestDisplayBrowser: a display paired with the counter follows a counter
// sale in Chromium, with no reload: idle ("We accept WeChat Pay and
// Alipay" in the three languages), then the amount and the WeChat QR
// while the counter shows its QR, then the tick and the spoken
// announcement once the simulator pays, then idle again after the
// device's result time. axe-core runs on the pairing form, the display
// and the counter's displays page in the three languages, and on the sale
// and result screens.
func TestDisplayBrowser(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t)
	ctr := browserNew(t, app)
	counterSetUp(t, app, ctr)
	disp := counterTab(t, ctr)
	checkAxe := func(b *browserSession, name string) {
		t.Helper()
		for _, v := range a11yAxe(t, b, string(axe)) {
			t.Errorf("%s: axe: %s", name, v)
		}
	}
	for _, lang := range a11yLangs {
		disp.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter/display?lang="+lang), chromedp.WaitVisible(testid("display-pair-form")))
		checkAxe(disp, "display pairing in "+lang)
	}

	ctr.do(t, 15*time.Second, chromedp.Click(testid("to-displays")), chromedp.WaitVisible(testid("display-new-code")),
		chromedp.Click(testid("display-new-code")), chromedp.WaitVisible(testid("display-code")))
	code := ctr.text(t, fmt.Sprintf(sel, "display-code"))
	disp.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter/display?lang=en"), chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(testid("display-pair-submit")), chromedp.WaitVisible(testid("display-idle")))
	for _, lang := range a11yLangs {
		ctr.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter/displays?lang="+lang), chromedp.WaitVisible(testid("displays")))
		checkAxe(ctr, "counter displays in "+lang)
		disp.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter/display?lang="+lang), chromedp.WaitVisible(testid("display-idle")))
		checkAxe(disp, "display idle in "+lang)
	}
	idle := disp.text(t, fmt.Sprintf(sel, "display-idle"))
	for _, want := range []string{"We accept WeChat Pay and Alipay", "我们接受微信支付和支付宝", "我們接受微信支付和支付寶"} {
		if !strings.Contains(idle, want) {
			t.Errorf("the idle display lacks %q: %q", want, idle)
		}
	}
	disp.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter/display?lang=en"), chromedp.WaitVisible(testid("display-idle")),
		chromedp.Evaluate[chromedp.Void](noReload), chromedp.Click(testid("display-sound")))
	for deadline := time.Now().Add(10 * time.Second); browserEval[bool](t, disp, `document.querySelector('[data-offline]').hidden`) == false; {
		if time.Now().After(deadline) {
			t.Fatal("the display's socket did not connect")
		}
		time.Sleep(50 * time.Millisecond) // polling the page with a deadline
	}

	ctr.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter?lang=en"), chromedp.WaitVisible(testid("key-1")),
		chromedp.Click(testid("key-1")), chromedp.Click(testid("key-2")), chromedp.Click(testid("key-5")), chromedp.Click(testid("key-0")),
		chromedp.Click(testid("charge-wechat")), chromedp.WaitVisible(testid("qr-img")))
	disp.do(t, 15*time.Second, chromedp.WaitVisible(testid("display-qr")))
	if got := disp.text(t, fmt.Sprintf(sel, "display-amount")); !strings.Contains(got, "12.50") {
		t.Errorf("the display shows the amount %q, want 12.50", got)
	}
	if m := disp.attr(t, fmt.Sprintf(sel, "display-qr"), "data-method"); m != "wechat" {
		t.Errorf("the display's QR is for %q, want wechat", m)
	}
	checkAxe(disp, "display sale")

	var list struct {
		Data []paymentstest.APIPayment `json:"data"`
	}
	app.do(t, apiGet(app.URL, browserAPIKey, "/api/v1/payments?limit=1"), 200, &list)
	if len(list.Data) != 1 || list.Data[0].LatipayReference == "" {
		t.Fatalf("the newest payment %+v has no Latipay reference", list.Data)
	}
	app.simulate(t, list.Data[0].LatipayReference, "paid")
	disp.do(t, 15*time.Second, chromedp.WaitVisible(testid("display-paid")))
	if !browserEval[bool](t, disp, hasMarker) {
		t.Error("the display reloaded to show the result")
	}
	if said := browserEval[string](t, disp, `document.body.getAttribute('data-said')`); said != "WeChat Pay received, 12.50 New Zealand dollars" {
		t.Errorf("the display announced %q", said)
	}
	checkAxe(disp, "display paid")
	ctr.do(t, 15*time.Second, chromedp.WaitVisible(testid("result")))
	ctx, cancel := context.WithTimeout(disp.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(testid("display-idle"))); err != nil {
		t.Errorf("the display did not return to idle after the result: %v", err)
	}
}
