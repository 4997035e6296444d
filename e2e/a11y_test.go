package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The accessibility and language suite of issue 4: axe-core (vendored as
// testdata/axe.min.js, MPL-2.0, licence header kept) runs inside Chromium
// on every shopper page in every language; a serious or critical
// violation fails the test.

const (
	a11yPhoneUA  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
	a11yWeChatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
	a11yDesktop  = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)

var a11yLangs = []string{"en", "zh-Hans", "zh-Hant"}

// a11yIdentity sets the tab's User-Agent and Accept-Language.
func a11yIdentity(ua, acceptLanguage string) chromedp.Action[chromedp.Void] {
	// Chromium builds the header from the list, adding q-values.
	return devtools(emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: acceptLanguage})
}

// a11yAxe loads axe into the current page through the DevTools protocol
// (the page's CSP does not apply to it) and returns the serious and
// critical violations, one line each; on the back office's and the
// counter's pages (their layouts' body class) the moderate ones too,
// such as content outside every landmark.
func a11yAxe(t testing.TB, b *browserSession, axe string) []string {
	t.Helper()
	staff := browserEval[bool](t, b, `document.body.classList.contains('admin') || document.body.classList.contains('counter')`)
	return a11yAxeImpacts(t, b, axe, staff)
}

// a11yAxeImpacts is a11yAxe, with the moderate violations too when
// moderate is set.
func a11yAxeImpacts(t testing.TB, b *browserSession, axe string, moderate bool) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axe+"\n;true")); err != nil {
		t.Fatalf("inject axe: %v", err)
	}
	impacts := `['serious', 'critical']`
	if moderate {
		impacts = `['moderate', 'serious', 'critical']`
	}
	run := `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
		.filter(v => ` + impacts + `.includes(v.impact))
		.map(v => v.impact + ' ' + v.id + ': ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).join(', ')))`
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	return got
}

// TestA11yEveryPageEveryLanguage runs axe on the home page, the checkout
// in each state and device flow, and the error pages, in English,
// Simplified and Traditional Chinese. The checkout pages are held to
// moderate violations too (a page without h1, content outside landmarks).
func TestA11yEveryPageEveryLanguage(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t, "HPP_ACCENT_COLOR=#ffcc00")
	expiring := app.createPayment(t, map[string]any{"expires_in": 10})
	b := browserNew(t, app)

	// Payments in each state, made through the browser like a shopper.
	created := app.createPayment(t, nil)
	bare := app.createPayment(t, map[string]any{"description": ""})
	pendingQR := app.createPayment(t, nil)
	b.do(t, 15*time.Second, a11yIdentity(a11yDesktop, "en"))
	b.chooseWeChatQR(t, pendingQR.CheckoutURL)
	samePhone := app.createPayment(t, nil)
	b.do(t, 15*time.Second, a11yIdentity(a11yPhoneUA, "en"), chromedp.Navigate(samePhone.CheckoutURL),
		chromedp.Click(testid("method-wechat")), chromedp.WaitVisible(testid("samephone-helper")))
	paid := app.createPayment(t, nil)
	b.do(t, 5*time.Second, a11yIdentity(a11yDesktop, "en"))
	b.chooseWeChatQR(t, paid.CheckoutURL)
	app.simulate(t, b.qrReference(t), "paid")
	b.waitStatus(t, "paid", 5*time.Second)
	failed := app.createPayment(t, nil)
	b.chooseWeChatQR(t, failed.CheckoutURL)
	app.simulate(t, b.qrReference(t), "failed")
	b.waitStatus(t, "failed", 5*time.Second)
	for deadline := time.Now().Add(15 * time.Second); app.payment(t, expiring.ID).Status != "expired"; {
		if time.Now().After(deadline) {
			t.Fatal("the 10 s payment did not expire within 15 s")
		}
		time.Sleep(100 * time.Millisecond) // polling the API with a deadline
	}

	pages := []struct{ name, url, ua, status string }{
		{"home", app.URL + "/", a11yDesktop, ""},
		{"checkout-created", created.CheckoutURL, a11yDesktop, "created"},
		{"checkout-in-wechat", created.CheckoutURL, a11yWeChatUA, "created"},
		{"checkout-no-description", bare.CheckoutURL, a11yDesktop, "created"},
		{"checkout-no-description-in-wechat", bare.CheckoutURL, a11yWeChatUA, "created"},
		{"checkout-no-description-phone", bare.CheckoutURL, a11yPhoneUA, "created"},
		{"checkout-qr", pendingQR.CheckoutURL, a11yDesktop, "pending"},
		{"checkout-same-phone", samePhone.CheckoutURL, a11yPhoneUA, "pending"},
		{"checkout-paid", paid.CheckoutURL, a11yDesktop, "paid"},
		{"checkout-failed", failed.CheckoutURL, a11yDesktop, "failed"},
		{"checkout-expired", expiring.CheckoutURL, a11yDesktop, "expired"},
		{"error-not-found", app.URL + "/checkout/pay_00000000000000000000000000", a11yDesktop, ""},
		{"error-bad-link", app.URL + "/pay?amount=1&sig=00", a11yDesktop, ""},
	}
	for _, lang := range a11yLangs {
		for _, p := range pages {
			sep := "?"
			if strings.Contains(p.url, "?") {
				sep = "&"
			}
			b.do(t, 15*time.Second, a11yIdentity(p.ua, "en"), chromedp.Navigate(p.url+sep+"lang="+lang),
				chromedp.WaitReady(chromedp.CSS("main")))
			if got := browserEval[string](t, b, `document.documentElement.lang`); got != lang {
				t.Errorf("%s in %s: <html lang=%q>", p.name, lang, got)
			}
			if p.status != "" {
				if got := b.attr(t, fmt.Sprintf(sel, "status"), "data-status"); got != p.status {
					t.Errorf("%s in %s: status %q, want %q", p.name, lang, got, p.status)
				}
			}
			for _, v := range a11yAxeImpacts(t, b, string(axe), strings.HasPrefix(p.name, "checkout")) {
				t.Errorf("%s in %s: axe: %s", p.name, lang, v)
			}
		}
	}
}

// TestA11yKeyboardAndAnnounce: the methods are reachable with Tab, and the
// paid status is announced once through the aria-live region.
func TestA11yKeyboardAndAnnounce(t *testing.T) {
	app, p, b := browserPaying(t)
	b.do(t, 15*time.Second, a11yIdentity(a11yDesktop, "zh-CN"), chromedp.Navigate(p.CheckoutURL),
		chromedp.WaitVisible(testid("method-wechat")))
	reached := false
	for i := 0; i < 12 && !reached; i++ {
		b.do(t, 5*time.Second, chromedp.KeyEvent("\t"))
		reached = browserEval[string](t, b, `document.activeElement.getAttribute('data-testid') || ''`) == "method-wechat"
	}
	if !reached {
		t.Fatal("WeChat Pay is not reachable with Tab")
	}
	b.do(t, 15*time.Second, chromedp.KeyEvent("\r"), chromedp.WaitVisible(testid("qr")))
	b.waitSocket(t)
	app.simulate(t, b.qrReference(t), "paid")
	b.waitStatus(t, "paid", 5*time.Second)
	if got := browserEval[string](t, b, `document.getElementById('announce').textContent`); got != "支付成功" {
		t.Errorf("aria-live announced %q, want 支付成功 once", got)
	}
}

// TestBrowserZhCNPhoneFlow is issue 4's "done when": a phone with
// Accept-Language zh-CN completes the flow in Simplified Chinese; WeChat's
// browser offers only WeChat Pay.
func TestBrowserZhCNPhoneFlow(t *testing.T) {
	app, p, b := browserPaying(t)
	b.do(t, 20*time.Second, a11yIdentity(a11yPhoneUA, "zh-CN,zh"),
		chromedp.Navigate(p.CheckoutURL),
		chromedp.WaitVisible(testid("method-alipay")))
	if got := browserEval[string](t, b, `document.documentElement.lang`); got != "zh-Hans" {
		t.Errorf("<html lang> = %q, want zh-Hans", got)
	}
	if got := b.text(t, fmt.Sprintf(sel, "method-alipay")); got != "支付宝" {
		t.Errorf("Alipay button = %q", got)
	}
	b.do(t, 20*time.Second, chromedp.Click(testid("method-alipay")), chromedp.WaitVisible(testid("sim-pay")),
		chromedp.Click(testid("sim-pay")), chromedp.WaitVisible(testid("status")))
	b.waitStatus(t, "paid", 5*time.Second)
	if got := b.text(t, fmt.Sprintf(sel, "status")); got != "支付成功" {
		t.Errorf("result = %q, want 支付成功", got)
	}
	if got := browserEval[string](t, b, `document.documentElement.lang`); got != "zh-Hans" {
		t.Errorf("result page <html lang> = %q, want zh-Hans", got)
	}

	q := app.createPayment(t, nil)
	b.do(t, 15*time.Second, a11yIdentity(a11yWeChatUA, "zh-CN"), chromedp.Navigate(q.CheckoutURL),
		chromedp.WaitVisible(testid("method-wechat")))
	if n := browserEval[int](t, b, `document.querySelectorAll('button.method').length`); n != 1 {
		t.Errorf("inside WeChat %d methods are offered, want WeChat Pay only", n)
	}
	if n := browserEval[int](t, b, `document.querySelectorAll('[data-testid="wechat-alipay-guide"]').length`); n != 1 {
		t.Error("inside WeChat there is no guide to Alipay in the browser")
	}
}

// TestBrowserCheckoutWeight is the page-weight budget, as a shopper's
// phone receives it: Chromium, as a phone in Simplified Chinese, chooses
// WeChat Pay (the same-phone helper makes the largest checkout page),
// and the DevTools network log gives the bytes transferred for the page,
// its CSS and its JS, headers included, with the Accept-Encoding
// Chromium sent. Each must come compressed; the total is the figure
// e2e/README.md gives (Languages and devices, Light) and must stay under
// browserMaxWeight.
func TestBrowserCheckoutWeight(t *testing.T) {
	_, p, b := browserPaying(t)
	b.do(t, 20*time.Second, a11yIdentity(a11yPhoneUA, "zh-CN,zh"), chromedp.Navigate(p.CheckoutURL+"?lang=zh-Hans"),
		chromedp.Click(testid("method-wechat")), chromedp.WaitVisible(testid("samephone-helper")))
	parts := b.rec.checkoutParts()
	if len(parts) != 3 {
		t.Fatalf("counted %d requests, want the page, its CSS and its JS: %+v", len(parts), parts)
	}
	var wire float64
	for _, q := range parts {
		wire += q.Encoded
		t.Logf("%s %s: %.0f bytes transferred, Content-Encoding %q (Accept-Encoding %q)", q.Type, q.URL, q.Encoded, q.Coding, q.Accept)
		if q.Coding == "" {
			t.Errorf("%s came uncompressed; Chromium sent Accept-Encoding %q", q.URL, q.Accept)
		}
	}
	t.Logf("checkout page HTML+CSS+JS: %.0f bytes transferred (budget %d)", wire, browserMaxWeight)
	fmt.Printf("checkout weight: %.0f bytes transferred, headers included\n", wire)
	if wire >= browserMaxWeight {
		t.Errorf("checkout page is %.0f bytes transferred, want < %d", wire, browserMaxWeight)
	}
	b.finish(t, browserChecks{})
}

// axeScript is axe-core's source (testdata/axe.min.js), for the
// browser tests' accessibility checks (one read, one failure message).
func axeScript(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// axeInLanguages opens page in each language (its lang= parameter set), checks
// that <html lang> names it, and reports every axe-core violation.
func axeInLanguages(t *testing.T, b *browserSession, axe []byte, name, page string) {
	t.Helper()
	u, err := url.Parse(page)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, lang := range a11yLangs {
		q := u.Query() // a link taken from a page already names its language
		q.Set("lang", lang)
		u.RawQuery = q.Encode()
		b.do(t, 15*time.Second, chromedp.Navigate(u.String()), chromedp.WaitReady(chromedp.CSS("main")))
		if got := browserEval[string](t, b, `document.documentElement.lang`); got != lang {
			t.Errorf("%s in %s: <html lang=%q>", name, lang, got)
		}
		for _, v := range a11yAxe(t, b, string(axe)) {
			t.Errorf("%s in %s: axe: %s", name, lang, v)
		}
	}
}

// demoOwnerPassword is the sandbox demo owner's password, as start-up
// prints it ("back office: … sign in as owner@demo.test with password …").
func demoOwnerPassword(t testing.TB, app *browserApp) string {
	t.Helper()
	line := app.printed(t, "back office: ", "")
	_, pw, ok := strings.Cut(line, " with password ")
	if !ok || strings.TrimSpace(pw) == "" {
		t.Fatalf("the demo owner's line %q has no password", line)
	}
	return strings.Fields(pw)[0]
}

// TestA11yLiveFlipFocusAndTitle: when the status flips live, focus that
// was in the swapped panel goes to the new status heading, not to the
// page's start; the title says the new state; the countdown, ticking,
// is labelled as the time left.
func TestA11yLiveFlipFocusAndTitle(t *testing.T) {
	app, p, b := browserPaying(t)
	b.do(t, 15*time.Second, a11yIdentity(a11yDesktop, "en"))
	b.chooseWeChatQR(t, p.CheckoutURL+"?lang=en")
	b.waitSocket(t)
	if got := browserEval[string](t, b, `document.title`); got != "Scan to pay with WeChat Pay – Pay Kiwi Tea Co" {
		t.Errorf("QR page title = %q", got)
	}
	if got := b.text(t, fmt.Sprintf(sel, "countdown-label")); got != "Time left to pay" {
		t.Errorf("the ticking countdown is labelled %q, want Time left to pay", got)
	}
	b.do(t, 5*time.Second, chromedp.Focus(testid("change-method")))
	app.simulate(t, b.qrReference(t), "paid")
	b.waitStatus(t, "paid", 5*time.Second)
	if got := browserEval[string](t, b, `document.activeElement.id || document.activeElement.tagName`); got != "status-heading" {
		t.Errorf("after the live flip to paid, focus is on %q, want the status heading", got)
	}
	if got := browserEval[string](t, b, `document.title`); got != "Paid – Pay Kiwi Tea Co" {
		t.Errorf("after the live flip, title = %q, want Paid – Pay Kiwi Tea Co", got)
	}
}

// TestA11yWalletChangedInAnotherTab: tab A shows the WeChat Pay QR; the
// shopper chooses Alipay in another tab; tab A's QR becomes Alipay's, and
// says so: its heading names the wallet and the live region announces
// the change.
func TestA11yWalletChangedInAnotherTab(t *testing.T) {
	app, p, b := browserPaying(t)
	b.do(t, 15*time.Second, a11yIdentity(a11yDesktop, "en"))
	b.chooseWeChatQR(t, p.CheckoutURL+"?lang=en")
	b.waitSocket(t)
	if got := b.text(t, fmt.Sprintf(sel, "qr-brand")); got != "Pay with WeChat Pay" {
		t.Errorf("QR heading = %q, want Pay with WeChat Pay", got)
	}
	// Tab B: the same checkout, choosing Alipay (a plain form post).
	req, _ := http.NewRequest(http.MethodPost, p.CheckoutURL+"/start", strings.NewReader("method=alipay"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", app.URL)
	req.Header.Set("User-Agent", a11yDesktop)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("tab B's Alipay = %d, want 303", resp.StatusCode)
	}
	b.do(t, 10*time.Second, chromedp.WaitVisible(`[data-testid="qr-block"][data-method="alipay"]`))
	if got := b.text(t, fmt.Sprintf(sel, "qr-brand")); got != "Pay with Alipay" {
		t.Errorf("QR heading after the change = %q, want Pay with Alipay", got)
	}
	if got := browserEval[string](t, b, `document.getElementById('announce').textContent`); got != "The wallet changed to Alipay: scan with Alipay." {
		t.Errorf("aria-live announced %q, want the wallet change", got)
	}
}

// TestA11yNoScriptTextsAndStateHeading: with JavaScript off the QR page
// and the same-phone helper say only what holds without it (the code does
// not renew itself, the page does not update by itself: press the check
// button), in each language; with it, the texts say the page does. A
// payment without a description has a screen-reader h1 that says the
// state, as the title does, and follows it on a live flip.
func TestA11yNoScriptTextsAndStateHeading(t *testing.T) {
	app := browserStartApp(t)
	b := browserNew(t, app)
	texts := `(() => { const q = document.querySelector('[data-testid="qr-fresh"]'), h = document.querySelector('[data-testid="helper-return"]');
		return (q ? q.textContent.trim() : '-') + '|' + (h ? h.textContent.trim() : '-'); })()`
	want := map[string][2]string{ // without script, then with
		"en": {"This code works for a few minutes. If it runs out before you pay, use “Choose another way to pay” below and choose the same way again for a new code.|" +
			"After paying, come back to this page and press “Check the payment status”: without JavaScript it does not update by itself.",
			"This code renews itself shortly before it runs out; just keep this page open.|After paying, come back to this page: it updates by itself."},
		"zh-Hans": {"此二维码几分钟内有效。若付款前已失效，请点击下方的“选择其他付款方式”，再选同一方式以获取新二维码。|付款后请回到本页面并点击“查看付款状态”：未启用 JavaScript 时页面不会自动更新。",
			"二维码失效前会自动更新，请保持本页面打开。|付款后请回到本页面，页面会自动更新。"},
		"zh-Hant": {"此二維碼幾分鐘內有效。若付款前已失效，請點選下方的「選擇其他付款方式」，再選同一方式以取得新二維碼。|付款後請回到本頁面並點選「查看付款狀態」：未啟用 JavaScript 時頁面不會自動更新。",
			"二維碼失效前會自動更新，請保持本頁面開啟。|付款後請回到本頁面，頁面會自動更新。"},
	}
	for _, lang := range a11yLangs {
		p := app.createPayment(t, nil)
		for i, off := range []bool{true, false} {
			b.do(t, 20*time.Second, scriptsOff(off), a11yIdentity(a11yPhoneUA, "en"), chromedp.Navigate(p.CheckoutURL+"?lang="+lang))
			if off {
				b.do(t, 20*time.Second, chromedp.WaitVisible(testid("method-wechat")), chromedp.Click(testid("method-wechat")))
			}
			b.do(t, 20*time.Second, chromedp.WaitVisible(testid("samephone-helper")))
			if got := browserEval[string](t, b, texts); got != want[lang][i] {
				t.Errorf("in %s with scripts off=%v the QR page says %q, want %q", lang, off, got, want[lang][i])
			}
		}
	}
	b.do(t, 5*time.Second, scriptsOff(false), a11yIdentity(a11yDesktop, "en"))

	bare := app.createPayment(t, map[string]any{"description": ""})
	b.chooseWeChatQR(t, bare.CheckoutURL+"?lang=en")
	b.waitSocket(t)
	heading := `document.querySelector('[data-testid="state-heading"]').textContent.trim() + '|' + document.title`
	if got := browserEval[string](t, b, heading); got != "Scan to pay with WeChat Pay – Pay Kiwi Tea Co|Scan to pay with WeChat Pay – Pay Kiwi Tea Co" {
		t.Errorf("QR page: h1|title = %q, want both to say the state", got)
	}
	app.simulate(t, b.qrReference(t), "paid")
	b.waitStatus(t, "paid", 5*time.Second)
	if got := browserEval[string](t, b, heading); got != "Paid – Pay Kiwi Tea Co|Paid – Pay Kiwi Tea Co" {
		t.Errorf("after the live flip to paid: h1|title = %q, want both to say paid", got)
	}
	if n := browserEval[int](t, b, `document.querySelectorAll('h1').length`); n != 1 {
		t.Errorf("the paid page has %d h1, want 1", n)
	}
}

// largeText sets the page's root font size to 200% (a person's larger
// text) and lets the page's scripts fit again (they listen for resize).
const largeText = `(() => { document.documentElement.style.fontSize = '200%'; window.dispatchEvent(new Event('resize')); return true; })()`

// narrowPhone is the phone of TestA11yLargeTextNarrowBrowser, in CSS px.
const narrowPhone = 360

// fitsLargeText reports the page in the tab as wider than the 360 px
// phone at 200% text, naming the elements that stick out. (A phone's
// browser zooms a page out to its content, so window.innerWidth grows
// with a page too wide: the phone's width is the measure.)
func fitsLargeText(t testing.TB, b *browserSession, what string) {
	t.Helper()
	browserEval[bool](t, b, largeText)
	if w := browserEval[float64](t, b, `document.documentElement.scrollWidth`); w > narrowPhone {
		wide := browserEval[[]string](t, b, fmt.Sprintf(`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > %d && !e.closest('.table-scroll, .sr-only')).slice(-6).map(e => e.tagName + '.' + e.className + '[' + (e.getAttribute('data-testid') || '') + '] ' + Math.round(e.getBoundingClientRect().right))`, narrowPhone))
		t.Errorf("%s at 200%% text is %v px wide on a %d px phone; too wide: %v", what, w, narrowPhone, wide)
	}
}

// TestA11yLargeTextNarrowBrowser is a 360 px phone whose person reads at
// 200% text (the root font size doubled), in Chromium against the built
// binary in sandbox mode: no page of the back office (signed out and as
// the demo owner) and no screen of the counter (keypad, QR for
// NZ$ 1,234.50, scan, result, today's sales) is wider than the phone, in
// English, Simplified and Traditional Chinese. The sign-in page says when
// a session ends, and the two-step code page how long the code is awaited.
func TestA11yLargeTextNarrowBrowser(t *testing.T) {
	app := browserStartApp(t)
	p := app.createPayment(t, nil)
	b := browserNew(t, app)
	b.do(t, 10*time.Second, chromedp.EmulateViewport(narrowPhone, 740, chromedp.EmulateMobile, chromedp.EmulateTouch))
	open := func(path, lang string) {
		t.Helper()
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		b.do(t, 20*time.Second, chromedp.Navigate(app.URL+path+sep+"lang="+lang), chromedp.WaitReady(chromedp.CSS("main")))
	}
	for _, lang := range a11yLangs {
		open("/admin/signin", lang)
		fitsLargeText(t, b, "sign-in in "+lang)
		if got := browserEval[string](t, b, `(document.querySelector('[data-testid="signin-limits"]') || {}).textContent || ''`); !strings.Contains(got, "30") || !strings.Contains(got, "12") {
			t.Errorf("sign-in in %s says %q of a session's end, want 30 minutes idle and 12 hours", lang, got)
		}
	}
	counterSetUp(t, app, b)
	pages := []string{"/admin/", "/admin/payments", "/admin/payments/" + p.ID, "/admin/reports", "/admin/links", "/admin/settings",
		"/admin/accounts", "/admin/audit", "/admin/sessions", "/admin/webhooks", "/admin/counter", "/admin/totp", "/admin/password"}
	for _, lang := range a11yLangs {
		for _, path := range pages {
			open(path, lang)
			fitsLargeText(t, b, path+" in "+lang)
		}
	}
	for _, lang := range a11yLangs {
		open("/counter", lang)
		fitsLargeText(t, b, "the keypad in "+lang)
		for _, k := range []string{"1", "2", "3", "4", "5", "0"} {
			b.do(t, 5*time.Second, chromedp.Click(testid("key-"+k)))
		}
		fitsLargeText(t, b, "the keypad with 1,234.50 in "+lang)
		b.do(t, 15*time.Second, chromedp.Click(testid("charge-wechat")), chromedp.WaitVisible(chromedp.CSS(`#qr-img[src]`)))
		fitsLargeText(t, b, "the QR screen for 1,234.50 in "+lang)
		if !browserEval[bool](t, b, `(() => { const e = document.querySelector('[data-testid="qr-amount"]'); return e.scrollWidth <= e.clientWidth; })()`) {
			t.Errorf("the QR screen's amount in %s is cut: %q", lang, b.text(t, fmt.Sprintf(sel, "qr-amount")))
		}
		b.do(t, 15*time.Second, chromedp.Click(testid("qr-cancel")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"][data-result="failed"]`)))
		fitsLargeText(t, b, "the result in "+lang)
		b.do(t, 15*time.Second, chromedp.Click(testid("result-done")), chromedp.WaitVisible(testid("keypad")))
		b.do(t, 5*time.Second, chromedp.Click(testid("key-5")))
		b.do(t, 10*time.Second, chromedp.Click(testid("to-scan")), chromedp.WaitVisible(testid("paycode")))
		fitsLargeText(t, b, "the scan screen in "+lang)
		open("/counter/sales", lang)
		fitsLargeText(t, b, "today's sales in "+lang)
	}
}

// TestA11yCheckoutLastMinute: the checkout says, once and politely, that
// less than a minute is left to pay, before the payment expires, in
// Chromium against the built binary in sandbox mode (the page's clock
// moved on, not waited for); opened again with less than a minute left,
// it says so at once.
func TestA11yCheckoutLastMinute(t *testing.T) {
	app, p, b := browserPaying(t)
	b.do(t, 5*time.Second, devtools(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: clockShift}))
	b.do(t, 15*time.Second, a11yIdentity(a11yDesktop, "en"))
	b.chooseWeChatQR(t, p.CheckoutURL+"?lang=en")
	const warn = "Less than a minute left to pay."
	if got := browserEval[string](t, b, `document.getElementById('announce').textContent`); got == warn {
		t.Fatalf("with the whole time left the page says %q", got)
	}
	left := browserEval[float64](t, b, `Date.parse(document.querySelector('[data-testid="countdown"]').getAttribute('datetime')) - Date.now()`)
	browserEval[bool](t, b, fmt.Sprintf(`window.__hppShift(%d)`, int64(left)-30000))
	adminWaitJS(t, b, "the last minute said", `document.getElementById('announce').textContent === `+strconv.Quote(warn), 15*time.Second)
	if got := browserEval[string](t, b, `document.getElementById('announce').getAttribute('aria-live')`); got != "polite" {
		t.Errorf("the last minute is said in a region aria-live=%q, want polite", got)
	}
	b.do(t, 15*time.Second, chromedp.Reload(), chromedp.WaitVisible(testid("countdown")))
	adminWaitJS(t, b, "the last minute said after a reload", `document.getElementById('announce').textContent === `+strconv.Quote(warn), 15*time.Second)
	if st := app.payment(t, p.ID).Status; st == "expired" {
		t.Errorf("the payment is %s: the warning came too late", st)
	}
}
