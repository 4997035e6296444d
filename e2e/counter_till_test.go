package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// keyTimes records, before the page's own handlers run, the time of every
// keydown the tab receives, so that a test can say how fast it typed.
const keyTimes = `(() => { window.__hppKeys = []; document.addEventListener('keydown', e => window.__hppKeys.push(e.timeStamp), true); return true })()`

// keyGaps is the largest gap between the keys recorded since keyTimes (or
// the last keyGaps), in milliseconds, and starts a new record.
const keyGaps = `(() => { const k = window.__hppKeys; let g = 0; for (let i = 1; i < k.length; i++) { g = Math.max(g, k[i] - k[i-1]); } window.__hppKeys = []; return g })()`

// counterScan has a USB barcode scanner type code and Enter on the
// counter: trusted key events (Chromium's input pipeline, default actions
// included), one straight after the other as a scanner sends them. It
// returns the largest gap between the keys as the page saw them.
func counterScan(t *testing.T, b *browserSession, code string) float64 {
	t.Helper()
	browserEval[float64](t, b, keyGaps)
	b.do(t, 10*time.Second, chromedp.KeyEvent(code+"\r"))
	time.Sleep(300 * time.Millisecond) // past any run the page holds, so what it did shows
	gap := browserEval[float64](t, b, keyGaps)
	t.Logf("scanned %s: largest gap between keys %.1f ms", code, gap)
	return gap
}

// counterType types keys on the counter as a person does, pause apart.
func counterType(t *testing.T, b *browserSession, keys string, pause time.Duration) {
	t.Helper()
	for _, k := range keys {
		b.do(t, 5*time.Second, chromedp.KeyEvent(string(k)))
		time.Sleep(pause) // a person's pace between keys, the input under test
	}
}

// TestCounterScannerBrowser: the till with a USB barcode scanner (a
// keyboard typing the shopper's pay code and Enter within a few
// milliseconds a key), in Chromium against the built binary in sandbox
// mode. On the keypad a scan never becomes the amount and its Enter
// never presses the charge button the focus is on: after WeChat Pay QR
// refused an empty amount, after Scan code did, and after 12.50 was
// typed, the amount stays as it was, no payment is made and the till
// says it was a pay code. A person typing 12.50 at a person's pace, or
// two keys at once, still types the amount, and Enter on WeChat Pay QR
// after they saw it makes the QR sale. With the connection gone the QR
// screen says "Connection lost, reconnecting…" in a polite live region
// (axe-core passes) and keeps the sale; back online the words go and the
// same QR stays. Today's sales, with that sale open, fit a 390 px phone
// in English, Simplified and Traditional Chinese with its Cancel in reach.
func TestCounterScannerBrowser(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t)
	b := browserNew(t, app)
	b.do(t, 5*time.Second, devtools(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: socketCutter + keyTimes}))
	counterSetUp(t, app, b)
	amount := func() string { t.Helper(); return b.text(t, fmt.Sprintf(sel, "amount")) }
	onKeypad := func(what, want string) {
		t.Helper()
		if browserEval[string](t, b, `document.getElementById('counter').dataset.screen`) != "keypad" {
			t.Errorf("%s: the till left the keypad for %q", what, browserEval[string](t, b, `document.getElementById('counter').dataset.screen`))
		}
		if got := amount(); got != want {
			t.Errorf("%s: the amount reads %q, want %q", what, got, want)
		}
		if got := b.text(t, fmt.Sprintf(sel, "counter-error")); !strings.Contains(got, "That was a pay code") || !strings.Contains(got, "nothing was charged") {
			t.Errorf("%s: the keypad says %q, want that it was a pay code and nothing was charged", what, got)
		}
		if n := app.countPayments(t); n != 0 {
			t.Errorf("%s: %d payments made, want none", what, n)
		}
	}
	focused := func() string {
		return browserEval[string](t, b, `document.activeElement.getAttribute('data-testid') || document.activeElement.tagName`)
	}

	// (a) WeChat Pay QR with no amount: refused, the focus stays on it;
	// then a WeChat pay code and Enter.
	b.do(t, 10*time.Second, chromedp.Click(testid("charge-wechat")), chromedp.WaitVisible(testid("counter-error")))
	if f := focused(); f != "charge-wechat" {
		t.Fatalf("after the empty charge the focus is on %q, want the WeChat Pay QR button", f)
	}
	counterScan(t, b, "134588558514585062")
	onKeypad("a WeChat pay code after WeChat Pay QR refused an empty amount", "NZ$ 0.00")

	// (b) Scan code with no amount, then an Alipay code and Enter.
	b.do(t, 10*time.Second, chromedp.Click(testid("to-scan")), chromedp.WaitVisible(testid("counter-error")))
	counterScan(t, b, "2812345678901234567")
	onKeypad("an Alipay code after Scan code refused an empty amount", "NZ$ 0.00")

	// (c) 12.50 typed at a person's pace (the focus still on Scan code),
	// then a scan.
	counterType(t, b, "1250", 120*time.Millisecond)
	if got := amount(); got != "NZ$ 12.50" {
		t.Fatalf("1 2 5 0 typed 120 ms apart read %q, want NZ$ 12.50", got)
	}
	counterScan(t, b, "134588558514585062")
	onKeypad("a pay code after 12.50 was typed", "NZ$ 12.50")

	// A person's two keys at once (no gap) and one more: 3.45.
	b.do(t, 5*time.Second, chromedp.KeyEvent("\x1b"), chromedp.KeyEvent("34"))
	time.Sleep(200 * time.Millisecond) // a person's pause before the next key
	counterType(t, b, "5", 300*time.Millisecond)
	if got := amount(); got != "NZ$ 3.45" {
		t.Fatalf("34 together then 5 read %q, want NZ$ 3.45", got)
	}
	// Enter on WeChat Pay QR once the cashier has seen the amount charges it.
	browserEval[bool](t, b, `(document.querySelector('[data-testid="charge-wechat"]').focus(), true)`)
	b.do(t, 15*time.Second, chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(`#qr-img[src]`)))
	sale := counterStored(t, b)
	if got := b.text(t, fmt.Sprintf(sel, "qr-amount")); got != "NZ$ 3.45" {
		t.Errorf("Enter on WeChat Pay QR showed the shopper %q, want NZ$ 3.45", got)
	}
	if n := app.countPayments(t); n != 1 {
		t.Errorf("%d payments after Enter on WeChat Pay QR, want 1", n)
	}

	// The connection goes: the till says so, the QR stays; back, it stops.
	b.waitSocket(t)
	qrSrc := b.attr(t, "#qr-img", "src")
	b.do(t, 5*time.Second, browserOffline(true))
	if n := browserEval[int](t, b, `window.__hppCutSockets()`); n < 1 {
		t.Fatalf("cut %d sockets, want the sale's socket cut", n)
	}
	conn := fmt.Sprintf(sel, "counter-conn")
	b.do(t, 15*time.Second, chromedp.WaitVisible(chromedp.CSS(conn)))
	if got := b.text(t, conn); got != "Connection lost, reconnecting… The sale on screen is kept." {
		t.Errorf("offline the till says %q", got)
	}
	if role := b.attr(t, conn, "role"); role != "status" {
		t.Errorf("the connection line's role is %q, want status (polite)", role)
	}
	if browserEval[bool](t, b, `document.querySelector('[data-testid="qr-screen"]').hidden`) || b.attr(t, "#qr-img", "src") != qrSrc {
		t.Error("offline the till left the sale's QR")
	}
	for _, v := range a11yAxe(t, b, string(axe)) {
		t.Errorf("QR screen with the connection lost: axe: %s", v)
	}
	b.screenshot(t, "counter-connection-lost", false)
	b.do(t, 5*time.Second, browserOffline(false))
	b.do(t, 20*time.Second, chromedp.WaitNotVisible(chromedp.CSS(conn)))
	if browserEval[bool](t, b, `document.querySelector('[data-testid="qr-screen"]').hidden`) || b.attr(t, "#qr-img", "src") != qrSrc {
		t.Error("back online the till left the sale's QR")
	}
	if again := counterStored(t, b); again.ID != sale.ID {
		t.Errorf("back online the sale is %s, want %s", again.ID, sale.ID)
	}

	// Today's sales on a phone, the open sale's Cancel in reach.
	b.do(t, 10*time.Second, phoneOn(true))
	for _, lang := range a11yLangs {
		b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter/sales?lang="+lang), chromedp.WaitVisible(testid("sale-cancel")))
		phoneFits(t, b, "today's sales with an open sale in "+lang)
		if r := browserEval[[]float64](t, b, `(() => { const r = document.querySelector('[data-testid="sale-cancel"]').getBoundingClientRect(); return [r.left, r.right, r.height] })()`); r[0] < 0 || r[1] > phoneWidth || r[2] < 24 {
			t.Errorf("today's sales in %s: Cancel spans %v..%v px (%v high) on a %d px phone", lang, r[0], r[1], r[2], phoneWidth)
		}
		for _, v := range a11yAxe(t, b, string(axe)) {
			t.Errorf("today's sales on a phone in %s: axe: %s", lang, v)
		}
		b.screenshot(t, "phone-counter-sales-"+lang, false)
	}
	b.do(t, 10*time.Second, phoneOn(false))
	b.finish(t, browserChecks{offline: "net::ERR_INTERNET_DISCONNECTED"})
}

// TestCounterNoteScannerBrowser: a USB barcode scanner fired while the
// cursor is in the till's Note field, in Chromium against the built
// binary in sandbox mode. The cashier's own typing of letters and digits
// at a person's pace stays in the note ("Table 12", then "3" after the
// scan); the scanned pay code's digits are taken out of it again, its
// Enter charges nothing, the amount is unchanged, no payment is made, and
// the till says it was a pay code and nothing was charged. The sale
// charged next carries the note as the cashier typed it.
func TestCounterNoteScannerBrowser(t *testing.T) {
	app := browserStartApp(t)
	b := browserNew(t, app)
	b.do(t, 5*time.Second, devtools(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: keyTimes}))
	counterSetUp(t, app, b)
	note := func() string { t.Helper(); return browserEval[string](t, b, `document.getElementById('note').value`) }

	b.do(t, 5*time.Second, chromedp.Click(testid("note")))
	counterType(t, b, "Table 12", 120*time.Millisecond)
	if got := note(); got != "Table 12" {
		t.Fatalf("Table 12 typed 120 ms apart into the note reads %q", got)
	}
	counterScan(t, b, "134588558514585062")
	if got := note(); got != "Table 12" {
		t.Errorf("after a scan into the note it reads %q, want Table 12: the pay code stays out of the note", got)
	}
	if got := b.text(t, fmt.Sprintf(sel, "counter-error")); !strings.Contains(got, "That was a pay code") || !strings.Contains(got, "nothing was charged") {
		t.Errorf("after a scan into the note the till says %q, want that it was a pay code and nothing was charged", got)
	}
	if got := b.text(t, fmt.Sprintf(sel, "amount")); got != "NZ$ 0.00" {
		t.Errorf("after a scan into the note the amount reads %q, want NZ$ 0.00", got)
	}
	if s := browserEval[string](t, b, `document.getElementById('counter').dataset.screen`); s != "keypad" {
		t.Errorf("after a scan into the note the till shows %q, want the keypad", s)
	}
	if n := app.countPayments(t); n != 0 {
		t.Errorf("%d payments after a scan into the note, want none", n)
	}
	// The cashier goes on typing at a person's pace.
	time.Sleep(300 * time.Millisecond) // a person's pause after the scanner's beep
	counterType(t, b, "3", 120*time.Millisecond)
	if got := note(); got != "Table 123" {
		t.Errorf("3 typed after the scan into the note reads %q, want Table 123", got)
	}

	// The amount on the keypad, then WeChat Pay QR: the sale's note.
	b.do(t, 10*time.Second, chromedp.Click(testid("key-3")), chromedp.Click(testid("key-4")), chromedp.Click(testid("key-5")),
		chromedp.Click(testid("charge-wechat")), chromedp.WaitVisible(chromedp.CSS(`#qr-img[src]`)))
	var list struct {
		Data []struct {
			Description string `json:"description"`
		} `json:"data"`
	}
	app.do(t, apiGet(app.URL, browserAPIKey, "/api/v1/payments?limit=10"), http.StatusOK, &list)
	if len(list.Data) != 1 || list.Data[0].Description != "Table 123" {
		t.Errorf("payments after the charge: %+v; want one, its note Table 123", list.Data)
	}
	b.finish(t, browserChecks{})
}
