package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCounterStaticQRBrowser: a payment through the shop's static QR
// reaches the paired counter live, in Chromium against the built binary
// in sandbox mode. The owner makes the static QR in the back office and
// pairs and unlocks a counter; a shopper in another tab types an amount
// on the QR's page and pays through the simulator over HTTP. Without a
// reload the keypad shows "Static QR: NZ$ 12.50 paid with WeChat Pay" in
// a polite live region, which the cashier dismisses; axe-core passes on
// the keypad with the notice shown in English, Simplified and
// Traditional Chinese (a payment each). The keypad's ~CNY line shows
// before the device's first sale. Today's sales list the static-QR
// payments on load, marked, and a new one joins the list as a row without
// a reload.
func TestCounterStaticQRBrowser(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t)
	ctr := browserNew(t, app)
	counterSetUp(t, app, ctr)
	ctr.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/links?lang=en"), chromedp.WaitVisible(testid("link-create")),
		chromedp.SetValue(chromedp.CSS("#kind"), "static_qr"),
		chromedp.SendKeys(chromedp.CSS("#min"), "1"), chromedp.SendKeys(chromedp.CSS("#max"), "500"),
		chromedp.Click(testid("link-create-button")), chromedp.WaitVisible(testid("link-url")))
	linkURL := ctr.text(t, fmt.Sprintf(sel, "link-url"))
	shopper := counterTab(t, ctr)
	// pay has the shopper pay amount at the static QR with WeChat Pay,
	// settled by the simulator; it returns the payment's id.
	pay := func(amount string) string {
		t.Helper()
		shopper.do(t, 20*time.Second, chromedp.Navigate(linkURL+"?lang=en"), chromedp.WaitVisible(testid("link-form")),
			chromedp.SetValue(chromedp.CSS("#amount"), amount), chromedp.Click(testid("link-pay")),
			chromedp.WaitVisible(testid("method-wechat")))
		checkout := browserEval[string](t, shopper, `location.href`)
		id := regexp.MustCompile(`pay_[0-9a-z]{26}`).FindString(checkout)
		shopper.chooseWeChatQR(t, checkout)
		app.simulate(t, shopper.qrReference(t), "paid")
		app.waitPayment(t, id, "paid", 15*time.Second)
		return id
	}
	// open shows a counter page in lang with its socket open.
	open := func(path, lang string) {
		t.Helper()
		ctr.do(t, 20*time.Second, chromedp.Navigate(app.URL+path+"?lang="+lang),
			chromedp.WaitReady(chromedp.CSS(`#counter-live[data-live="on"]`)))
		browserEval[string](t, ctr, noReload)
	}
	stillHere := func(what string) {
		t.Helper()
		if browserEval[string](t, ctr, `window.__hppNoReload || ''`) != "still here" {
			t.Errorf("%s: the page reloaded", what)
		}
	}

	open("/counter", "en")
	pay("12.50")
	ctr.do(t, 20*time.Second, chromedp.WaitVisible(testid("static-notice")))
	stillHere("the notice")
	if got := ctr.text(t, fmt.Sprintf(sel, "static-notice")); !strings.Contains(got, "Static QR: NZ$") || !strings.Contains(got, "12.50 paid with WeChat Pay") {
		t.Errorf("the keypad's notice reads %q", got)
	}
	if got := ctr.attr(t, "#counter-live", "aria-live"); got != "polite" {
		t.Errorf("the notices' region is aria-live=%q, want polite", got)
	}
	for _, v := range a11yAxe(t, ctr, string(axe)) {
		t.Errorf("keypad with the notice in en: axe: %s", v)
	}
	ctr.do(t, 10*time.Second, chromedp.Click(testid("notice-dismiss")),
		chromedp.WaitNotPresent(testid("static-notice")))

	// The device has made no sale, yet the keypad's ~CNY line shows: the
	// rate Latipay gave the shop's static-QR payment (the handlers' and
	// the counter's tests cover the rate of an earlier day).
	open("/counter", "en")
	ctr.do(t, 10*time.Second, chromedp.Click(testid("key-5")), chromedp.WaitVisible(testid("cny")))
	if got := browserEval[string](t, ctr, `document.getElementById('cny-value').textContent`); !strings.Contains(got, "≈") {
		t.Errorf("the ~CNY line before the device's first sale reads %q", got)
	}
	ctr.do(t, 5*time.Second, chromedp.Click(testid("key-C")))

	for i, lang := range []string{"zh-Hans", "zh-Hant"} {
		open("/counter", lang)
		pay(fmt.Sprintf("%d.00", 3+i))
		ctr.do(t, 20*time.Second, chromedp.WaitVisible(testid("static-notice")))
		if got := ctr.text(t, fmt.Sprintf(sel, "static-notice")); !strings.Contains(got, map[string]string{"zh-Hans": "固定收款码", "zh-Hant": "固定收款碼"}[lang]) {
			t.Errorf("the notice in %s reads %q", lang, got)
		}
		for _, v := range a11yAxe(t, ctr, string(axe)) {
			t.Errorf("keypad with the notice in %s: axe: %s", lang, v)
		}
	}

	// Today's sales: the three on load, then a fourth joins live.
	open("/counter/sales", "en")
	if n := browserEval[int](t, ctr, `document.querySelectorAll('[data-testid="sale-row"] [data-testid="sale-static-qr"]').length`); n != 3 {
		t.Errorf("today's sales list %d static-QR payments on load, want 3", n)
	}
	id := pay("4.20")
	row := fmt.Sprintf(`[data-testid="sale-row"][data-id="%s"]`, id)
	ctr.do(t, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(row)))
	stillHere("the new row")
	if got := ctr.text(t, row); !strings.Contains(got, "4.20") || !strings.Contains(got, "Static QR") || strings.Contains(got, "Cancel") {
		t.Errorf("the new row reads %q", got)
	}
	if first := browserEval[string](t, ctr, `document.querySelector('[data-testid="sale-row"]').getAttribute('data-id')`); first != id {
		t.Errorf("the new row is not at the top (the top is %s)", first)
	}
	for _, v := range a11yAxe(t, ctr, string(axe)) {
		t.Errorf("today's sales with a live row and notice: axe: %s", v)
	}
}
