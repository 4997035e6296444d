package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestReceiptBrowser: the owner prints a paid payment's receipt. Printed
// by Chromium with the page's own @page size, the 58 mm receipt is a 58 mm
// page and the 80 mm one an 80 mm page, one page each, with the screen-only
// tools hidden in print media and nothing wider than the paper. The
// e-receipt link opens the shopper's receipt. axe-core finds no serious
// problem on the print page and the e-receipt in the three languages.
func TestReceiptBrowser(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t, "HPP_MERCHANT_TAX_NUMBER=GST 123-456-789")
	pw := demoOwnerPassword(t, app)
	paid := app.createPayment(t, nil)
	b := browserNew(t, app)
	b.chooseWeChatQR(t, paid.CheckoutURL)
	app.simulate(t, b.qrReference(t), "paid")
	app.waitPayment(t, paid.ID, "paid", 10*time.Second)
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/signin?lang=en"),
		chromedp.SendKeys(chromedp.CSS("#email"), "owner@demo.test"), chromedp.SendKeys(chromedp.CSS("#password"), strings.TrimSpace(pw)),
		chromedp.Click(testid("signin")), chromedp.WaitVisible(testid("admin-nav")))
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/payments/"+paid.ID+"?lang=en"), chromedp.Click(testid("receipt-link")),
		chromedp.WaitVisible(testid("paper")))
	if got := b.text(t, fmt.Sprintf(sel, "receipt-tax")); !strings.Contains(got, "GST 123-456-789") {
		t.Errorf("the receipt's tax line reads %q", got)
	}
	receipt := app.URL + "/admin/payments/" + paid.ID + "/receipt"
	for _, mm := range []int{58, 80} {
		b.do(t, 15*time.Second, chromedp.Navigate(fmt.Sprintf("%s?width=%d&lang=en", receipt, mm)), chromedp.WaitVisible(testid("paper")))
		wPt, _, n := b.printPDF(t)
		if w := wPt * 25.4 / 72; w < float64(mm)-0.5 || w > float64(mm)+0.5 || n != 1 {
			t.Errorf("%d mm receipt printed %.1f mm wide on %d page(s), want %d mm on one", mm, wPt*25.4/72, n, mm)
		}
		b.do(t, 10*time.Second, printMedia(true))
		if shown := browserEval[bool](t, b, `getComputedStyle(document.querySelector('.receipt-tools')).display !== 'none'`); shown {
			t.Errorf("%d mm: the screen-only tools show in print media", mm)
		}
		// In print media the paper is as wide as the page's content box;
		// nothing in it may stick out.
		over := browserEval[[]string](t, b, `[...document.querySelectorAll('.paper *')].filter(e =>
			e.getBoundingClientRect().right > document.querySelector('.paper').getBoundingClientRect().right + 0.5).map(e => e.outerHTML.slice(0, 60))`)
		if len(over) > 0 {
			t.Errorf("%d mm: wider than the paper: %q", mm, over)
		}
		b.do(t, 10*time.Second, printMedia(false))
	}
	ereceipt := b.attr(t, fmt.Sprintf(sel, "ereceipt-link"), "href")
	if !strings.HasPrefix(ereceipt, app.URL+"/receipt/") || strings.Contains(ereceipt, paid.ID) {
		t.Fatalf("e-receipt link %q", ereceipt)
	}
	for _, lang := range a11yLangs {
		for name, u := range map[string]string{"receipt 58": receipt + "?width=58", "receipt 80": receipt + "?width=80", "e-receipt": ereceipt} {
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			b.do(t, 15*time.Second, chromedp.Navigate(u+sep+"lang="+lang), chromedp.WaitVisible(testid("receipt-amount")))
			if got := browserEval[string](t, b, `document.documentElement.lang`); got != lang {
				t.Errorf("%s in %s: <html lang=%q>", name, lang, got)
			}
			for _, v := range a11yAxe(t, b, string(axe)) {
				t.Errorf("%s in %s: axe: %s", name, lang, v)
			}
		}
	}
}
