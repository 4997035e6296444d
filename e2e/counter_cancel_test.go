package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// amountLines is how many lines the keypad's amount takes, and whether
// it fits its box without being cut.
const amountLines = `(() => {
  const el = document.getElementById('amount');
  const r = document.createRange();
  r.selectNodeContents(el);
  const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
  return { lines: tops.size, fits: el.scrollWidth <= el.clientWidth, text: el.textContent };
})()`

type amountBox struct {
	Lines int
	Fits  bool
	Text  string
}

// TestCounterNarrowAfterCancelBrowser: the counter on a 320 px phone in
// Simplified Chinese, in Chromium against the built binary in sandbox
// mode. The keypad's NZ$ 12,500.00 stays on one line and fits; a digit
// that would pass the counter's limit is not taken and the keypad says
// the limit. Then a WeChat QR sale of 31.41 is canceled while Latipay
// answers nothing (the simulator's server errors): the till says
// canceled, waiting for Latipay to confirm, and does not go back to the
// keypad; the shopper then pays the QR, and the till, without a reload,
// says paid after cancel until the cashier goes on, that a refund is the
// owner's, and the sale's number and receipt to give them.
func TestCounterNarrowAfterCancelBrowser(t *testing.T) {
	app := browserStartApp(t)
	b := browserNew(t, app)
	counterSetUp(t, app, b)
	b.do(t, 10*time.Second, chromedp.EmulateViewport(320, 640, chromedp.EmulateMobile, chromedp.EmulateTouch))
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter?lang=zh-Hans"), chromedp.WaitVisible(testid("keypad")))
	for _, k := range []string{"1", "2", "5", "0", "0", "00"} {
		b.do(t, 5*time.Second, chromedp.Click(testid("key-"+k)))
	}
	box := browserEval[amountBox](t, b, amountLines)
	if !strings.Contains(box.Text, "12,500.00") || box.Lines != 1 || !box.Fits {
		t.Errorf("at 320 px the amount %q takes %d lines (fits %v); want 12,500.00 on one line", box.Text, box.Lines, box.Fits)
	}
	b.screenshot(t, "counter-320-zh-Hans", false)
	// 125,000.00 would pass the limit of 50,000.00: the 0 is not taken.
	b.do(t, 5*time.Second, chromedp.Click(testid("key-0")), chromedp.WaitVisible(testid("counter-error")))
	if got := b.text(t, fmt.Sprintf(sel, "amount")); !strings.Contains(got, "12,500.00") {
		t.Errorf("after a digit past the limit the amount reads %q, want 12,500.00", got)
	}
	if got := b.text(t, fmt.Sprintf(sel, "counter-error")); !strings.Contains(got, "50,000.00") {
		t.Errorf("the keypad says %q past the limit; want the limit, 50,000.00", got)
	}

	// A new amount: Escape clears, then 31.41 on WeChat Pay's QR.
	b.do(t, 5*time.Second, chromedp.KeyEvent("\x1b"))
	for _, k := range []string{"3", "1", "4", "1"} {
		b.do(t, 5*time.Second, chromedp.Click(testid("key-"+k)))
	}
	b.do(t, 15*time.Second, chromedp.Click(testid("charge-wechat")), chromedp.WaitVisible(chromedp.CSS(`#qr-img[src]`)))
	sale := counterStored(t, b)
	ref := app.payment(t, sale.ID).LatipayReference
	app.faults(t, `{"server_error": true}`)
	t.Cleanup(func() { app.faults(t, `{}`) })
	b.do(t, 20*time.Second, chromedp.Click(testid("qr-cancel")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"][data-result="waiting"]`)))
	app.waitPayment(t, sale.ID, "canceled", 10*time.Second)
	if got := b.text(t, fmt.Sprintf(sel, "result-title")); !strings.Contains(got, "等待 Latipay 确认") || !strings.Contains(got, "不要再次收款") {
		t.Errorf("the unconfirmed cancel reads %q; want canceled, waiting for Latipay, do not charge again", got)
	}
	// The shopper pays the QR the cancel never reached Latipay about.
	app.simulate(t, ref, "paid")
	app.waitPayment(t, sale.ID, "paid", 15*time.Second)
	b.do(t, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"][data-result="paid-late"]`)))
	if got := b.text(t, fmt.Sprintf(sel, "result")); !strings.Contains(got, "取消后顾客仍已付款") || !strings.Contains(got, "31.41") {
		t.Errorf("the paid-after-cancel result reads %q", got)
	}
	// A refund is the owner's: the till says so, not "refund if needed",
	// and names the sale (and links its receipt) to hand over.
	if got := b.text(t, fmt.Sprintf(sel, "result")); strings.Contains(got, "如有需要请退款") ||
		!strings.Contains(got, "只有店主可以退款") || !strings.Contains(got, sale.ID) {
		t.Errorf("the paid-after-cancel result reads %q; want the owner named for a refund and the sale %s", got, sale.ID)
	}
	if href := browserEval[string](t, b, `document.querySelector('[data-testid="result-receipt"]').getAttribute('href') || ''`); !strings.Contains(href, sale.ID+"/receipt") {
		t.Errorf("the paid-after-cancel result links the receipt at %q", href)
	}
	b.screenshot(t, "counter-paid-after-cancel-zh-Hans", false)
	b.do(t, 10*time.Second, chromedp.Click(testid("result-done")), chromedp.WaitVisible(testid("keypad")))
	if got := browserEval[string](t, b, counterKept); got != "" {
		t.Errorf("the sale is still kept after the cashier went on: %s", got)
	}
}
