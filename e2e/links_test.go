package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestLinksBrowser is a stored payment link in Chromium: the sandbox's
// demo owner creates an open-amount link in the back office; a shopper
// opens it in Simplified Chinese, sees the Chinese description, types an
// amount out of range (a clear message), then a good one, and pays through
// the sandbox; the payment is in the back office's list. The A5 poster,
// with print media emulated, hides its tools and prints as exactly one
// A5 page. The settings page's credentials check lists the sandbox
// wallet's methods. axe-core runs on the links list, a link's page, the
// shopper's link page, the poster and the settings page in all three
// languages; the link's page, its long URL included, fits a 390 px phone.
func TestLinksBrowser(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t)
	b := browserNew(t, app)
	axeAll := func(name, page string) { t.Helper(); axeInLanguages(t, b, axe, name, page) }
	adminDemoSignIn(t, app, b)
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/links?lang=en"), chromedp.WaitVisible(testid("link-create")))
	b.do(t, 20*time.Second,
		chromedp.SendKeys(chromedp.CSS("#min"), "5"), chromedp.SendKeys(chromedp.CSS("#max"), "200"),
		chromedp.SendKeys(chromedp.CSS("#desc-en"), "Tea tasting deposit"), chromedp.SendKeys(chromedp.CSS("#desc-zh-hans"), "品茶订金"),
		chromedp.SendKeys(chromedp.CSS("#max-uses"), "3"),
		chromedp.Click(testid("link-create-button")), chromedp.WaitVisible(testid("link-url")))
	linkURL := b.text(t, fmt.Sprintf(sel, "link-url"))
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(app.URL) + `/l/[0-9a-z]{26}$`).MatchString(linkURL) {
		t.Fatalf("the link's URL is %q", linkURL)
	}
	detail := browserEval[string](t, b, `location.pathname`)
	axeAll("links", app.URL+"/admin/links")
	axeAll("link detail", app.URL+detail)
	phoneFitsInLanguages(t, b, "link detail", app.URL+detail)
	axeAll("settings", app.URL+"/admin/settings")
	// The credentials check asks the sandbox's Latipay for each wallet.
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/settings?lang=en"), chromedp.Click(testid("settings-check")),
		chromedp.WaitVisible(testid("wallet-results")))
	if got := b.text(t, fmt.Sprintf(sel, "wallet-results")); !strings.Contains(got, "Latipay accepted the credentials. Methods enabled: Wechat, Alipay") {
		t.Errorf("the credentials check says %q", got)
	}
	for _, v := range a11yAxe(t, b, string(axe)) {
		t.Errorf("settings with the check's answer: axe: %s", v)
	}
	axeAll("poster", app.URL+detail+"/poster?size=A4")
	axeAll("link page", linkURL)

	// The shopper, in Simplified Chinese.
	b.do(t, 15*time.Second, chromedp.Navigate(linkURL+"?lang=zh-Hans"), chromedp.WaitVisible(testid("link-form")))
	if got := b.text(t, fmt.Sprintf(sel, "link-description")); got != "品茶订金" {
		t.Errorf("the zh-Hans shopper reads %q", got)
	}
	b.do(t, 15*time.Second, chromedp.SendKeys(chromedp.CSS("#amount"), "500"), chromedp.Click(testid("link-pay")),
		chromedp.WaitVisible(testid("form-error")))
	if got := b.text(t, fmt.Sprintf(sel, "form-error")); !strings.Contains(got, "金额不能超过 NZ$ 200.00") {
		t.Errorf("an amount above the maximum says %q", got)
	}
	b.do(t, 15*time.Second, chromedp.SetValue(chromedp.CSS("#amount"), "12.80"), chromedp.Click(testid("link-pay")),
		chromedp.WaitVisible(testid("method-wechat")))
	checkout := browserEval[string](t, b, `location.href`)
	id := regexp.MustCompile(`pay_(?:[0-9a-z]{7})?[0-9a-z]{26}`).FindString(checkout)
	if id == "" || browserEval[string](t, b, `document.documentElement.lang`) != "zh-Hans" {
		t.Fatalf("after paying the shopper is at %q", checkout)
	}
	// The refused amount came back by GET (post/redirect/get): Back from
	// the checkout reaches the link's page saying why, then the link's
	// page as first opened, never a form post to send again.
	for _, step := range []struct {
		visible string
		errors  int
	}{{"form-error", 1}, {"link-form", 0}} {
		b.back(t)
		at := browserEval[string](t, b, `location.href`)
		if !browserEval[bool](t, b, fmt.Sprintf(`(() => { const e = document.querySelector('[data-testid=%q]'); return !!e && e.getBoundingClientRect().height > 0; })()`, step.visible)) {
			t.Fatalf("Back from the checkout: at %q no %s shows: %.300s", at, step.visible, browserEval[string](t, b, `document.body.innerText`))
		}
		if n := browserEval[int](t, b, `document.querySelectorAll('[data-testid="form-error"]').length`); n != step.errors || !strings.HasPrefix(at, linkURL) {
			t.Errorf("Back from the checkout: at %q with %d errors shown, want the link's page with %d", at, n, step.errors)
		}
	}
	b.chooseWeChatQR(t, checkout)
	app.simulate(t, b.qrReference(t), "paid")
	app.waitPayment(t, id, "paid", 10*time.Second)
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/payments?lang=en"), chromedp.WaitReady(testid("payments")))
	row := fmt.Sprintf(`[data-testid="payment-row"][data-id="%s"]`, id)
	if got := b.text(t, row); !strings.Contains(got, "NZD 12.80") {
		t.Errorf("the list's row of the link's payment reads %q", got)
	}
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+detail+"?lang=en"), chromedp.WaitVisible(testid("link-uses")))
	if got := b.text(t, fmt.Sprintf(sel, "link-uses")); got != "1 / 3" {
		t.Errorf("the link's uses read %q, want 1 / 3", got)
	}

	// The poster prints: tools hidden, one A5 page.
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+detail+"/poster?size=A5&lang=en"), chromedp.WaitVisible(testid("poster-qr")),
		printMedia(true))
	if d := browserEval[string](t, b, `getComputedStyle(document.querySelector('[data-testid="poster-tools"]')).display`); d != "none" {
		t.Errorf("in print the poster's tools are display %q, want none", d)
	}
	if pg := browserEval[string](t, b, `getComputedStyle(document.querySelector('[data-testid="poster"]')).page`); pg != "a5" {
		t.Errorf("in print the poster is on page %q, want a5", pg)
	}
	w, h, pages := b.printPDF(t)
	if pages != 1 {
		t.Fatalf("the A5 poster printed %d pages, want 1", pages)
	}
	if w < 418 || w > 421 || h < 594 || h > 597 { // A5 is 148 x 210 mm: 419.5 x 595.3 points
		t.Errorf("the A5 poster printed on %.1f x %.1f points, want about 419.5 x 595.3", w, h)
	}
}

// back goes one step back in the tab's history, as the Back button does,
// and waits until another document has loaded. Unlike
// chromedp.NavigateBack it does not wait for a load event, which a page
// restored from the back/forward cache does not fire.
func (b *browserSession) back(t *testing.T) {
	t.Helper()
	before := browserEval[string](t, b, `location.href`)
	browserEval[bool](t, b, `(setTimeout(() => history.back(), 0), true)`)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) { // polling with a deadline
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		moved, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.href !== `+strconv.Quote(before)+` && document.readyState === 'complete'`))
		cancel()
		if err == nil && moved {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Back from %s: no other page loaded (%v)", before, err)
		}
	}
}
