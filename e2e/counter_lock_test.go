package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCounterLockWarningBrowser is the till's warning before its unlock
// ends, in Chromium against the build whose unlock lasts seconds (the
// shortsessions tag, payments/counter/limits_short.go: 90 s, warned 60 s
// ahead). A WeChat QR sale is on screen when the warning comes: its
// role=alert line says the till is about to lock and that the sale is
// kept, in English, Simplified and Traditional Chinese (each a reload
// that finds the same sale), passes axe-core and fits a 360 px phone at
// 200% text. At the end the till shows the unlock form by itself; the
// cashier unlocks again and the same sale's QR is back.
func TestCounterLockWarningBrowser(t *testing.T) {
	axe := axeScript(t)
	app := browserStartBin(t, sessionBuild(t))
	b := browserNew(t, app)
	counterSetUp(t, app, b)
	for _, k := range []string{"1", "2", "5", "0"} {
		b.do(t, 5*time.Second, chromedp.Click(testid("key-"+k)))
	}
	b.do(t, 20*time.Second, chromedp.Click(testid("charge-wechat")), chromedp.WaitVisible(chromedp.CSS(`#qr-img[src]`)))
	sale := counterStored(t, b)

	warned := `document.querySelector('[data-testid="lock-warn"]').textContent.trim() !== ''`
	for i, c := range []struct{ lang, kept string }{
		{"en", "A sale in progress is kept"},
		{"zh-Hans", "进行中的交易会保留"},
		{"zh-Hant", "進行中的交易會保留"},
	} {
		if i > 0 {
			// A reload in another language: the same sale, warned at once.
			b.do(t, 20*time.Second, chromedp.EmulateViewport(1024, 768), chromedp.Navigate(app.URL+"/counter?lang="+c.lang),
				chromedp.WaitVisible(chromedp.CSS(`#qr-img[src]`)))
		}
		sessionWait(t, b, "the till's warning in "+c.lang, warned, 60*time.Second)
		if role := b.attr(t, `[data-testid="lock-warn"]`, "role"); role != "alert" {
			t.Errorf("%s: the warning has role %q, want alert", c.lang, role)
		}
		if say := b.text(t, fmt.Sprintf(sel, "lock-warn")); !strings.Contains(say, c.kept) {
			t.Errorf("%s: the warning says %q, want it to say %q", c.lang, say, c.kept)
		}
		if again := counterStored(t, b); again.ID != sale.ID {
			t.Errorf("%s: the till shows sale %s, want %s", c.lang, again.ID, sale.ID)
		}
		for _, v := range a11yAxe(t, b, string(axe)) {
			t.Errorf("the till's warning in %s: axe: %s", c.lang, v)
		}
		b.do(t, 10*time.Second, chromedp.EmulateViewport(narrowPhone, 740, chromedp.EmulateMobile, chromedp.EmulateTouch))
		fitsLargeText(t, b, "the till's warning in "+c.lang)
	}

	// The end: the unlock form, by itself.
	b.do(t, 10*time.Second, chromedp.EmulateViewport(1024, 768))
	b.do(t, 100*time.Second, chromedp.WaitVisible(testid("unlock-form"))) // across the page's own reload
	if p := app.payment(t, sale.ID); p.Status != "pending" {
		t.Errorf("the sale after the till locked is %s, want still pending", p.Status)
	}
	b.do(t, 20*time.Second, chromedp.Click(testid("unlock-person")), chromedp.SendKeys(testid("unlock-pin"), "2468"),
		chromedp.Click(testid("unlock")), chromedp.WaitVisible(chromedp.CSS(`#qr-img[src]`)))
	if again := counterStored(t, b); again.ID != sale.ID {
		t.Errorf("after unlocking again the till shows sale %s, want %s", again.ID, sale.ID)
	}
	b.finish(t, browserChecks{})
}
