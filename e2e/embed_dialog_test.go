package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// embedFocus says where the shop page's focus is: "close" (the dialog's
// × button), "frame" (inside the checkout), or the element outside the
// dialog that has it.
const embedFocus = `(() => {
	const a = document.activeElement, o = document.querySelector('[data-hpp-overlay]');
	if (o && a === o.querySelector('[role=dialog] > button')) { return 'close'; }
	if (o && a && a.tagName === 'IFRAME' && o.contains(a)) { return 'frame'; }
	return a ? a.tagName + (a.id ? '#' + a.id : '') : 'none';
})()`

// settledFocus is embedFocus once focus has settled: moving focus into
// or out of the checkout's frame (another document, maybe another
// process) passes through the page's BODY for a moment, so BODY is read
// again until focus lands (or 3 s pass, and BODY is the answer).
func settledFocus(t *testing.T, b *browserSession) string {
	t.Helper()
	at := browserEval[string](t, b, embedFocus)
	for deadline := time.Now().Add(3 * time.Second); at == "BODY" && time.Now().Before(deadline); {
		time.Sleep(25 * time.Millisecond)
		at = browserEval[string](t, b, embedFocus)
	}
	return at
}

// embedNames are the dialog's name, the frame's title and the close
// button's name, joined with |.
const embedNames = `[document.querySelector('[data-hpp-overlay] [role=dialog]').getAttribute('aria-label'),
	document.querySelector('[data-hpp-overlay] iframe').title,
	document.querySelector('[data-hpp-overlay] [role=dialog] > button').getAttribute('aria-label')].join('|')`

// TestBrowserEmbedDialog checks HPPCheckout.open as a modal dialog for a
// keyboard and screen reader user: the shop's "Pay now" opens it with the
// names in the shop's chosen language (zh-Hant, which the checkout inside
// speaks too); the page behind is inert; Tab and Shift+Tab go round
// between the checkout and the × button and never reach the shop's own
// link or button; a second open while it is open stacks nothing; Esc
// pressed inside the checkout's frame (a cross-site frame, so the shop's
// keydown listener never sees it) closes the dialog and focus goes back to
// "Pay now". Without the option, the names follow the checkout URL's lang.
func TestBrowserEmbedDialog(t *testing.T) {
	shop, app, b := embedRegistered(t)
	axe := axeScript(t)
	p := app.createPayment(t, map[string]any{"return_url": shop + "/thanks"})

	b.do(t, 15*time.Second, chromedp.Navigate(embedShopURL(shop, "button", p.CheckoutURL)+"&lang=zh-Hant"),
		chromedp.Click(chromedp.CSS("#pay-now")), chromedp.WaitVisible(chromedp.CSS("[data-hpp-overlay] iframe")))
	frame := b.embedFrame(t, app.URL+"/checkout/"+p.ID)
	frameDo(t, frame, 10*time.Second, chromedp.WaitVisible(testid("method-wechat")))
	if got := frameEval[string](t, frame, `document.documentElement.lang`); got != "zh-Hant" {
		t.Errorf("the checkout in the dialog is in %q, want zh-Hant (the lang option)", got)
	}
	if got := browserEval[string](t, b, embedNames); got != "付款|付款頁面|關閉" {
		t.Errorf("dialog name|frame title|close button = %q, want 付款|付款頁面|關閉", got)
	}
	for _, v := range a11yAxe(t, b, string(axe)) {
		t.Errorf("shop page with the dialog open: axe: %s", v)
	}

	if got := settledFocus(t, b); got != "close" {
		t.Fatalf("focus after open is on %s, want the close button", got)
	}
	// The page behind cannot take focus, from a click or from script.
	if got := browserEval[string](t, b, `document.getElementById('shop-link').closest('[inert]') ? 'inert' : 'live'`); got != "inert" {
		t.Errorf("the shop's link behind the dialog is %s, want inert", got)
	}
	browserEval[bool](t, b, `document.getElementById('pay-now').focus(), true`)
	if got := settledFocus(t, b); got != "close" {
		t.Errorf("focusing the shop's Pay now behind the dialog moved focus to %s", got)
	}

	// Tab round the dialog: into the checkout, through it, back to ×.
	var path []string
	sawFrame, backToClose := false, false
	for i := 0; i < 30 && !backToClose; i++ {
		b.do(t, 5*time.Second, chromedp.KeyEvent("\t"))
		at := settledFocus(t, b)
		path = append(path, at)
		switch at {
		case "frame":
			sawFrame = true
		case "close":
			backToClose = sawFrame
		default:
			t.Fatalf("Tab left the dialog for %s (path %v)", at, path)
		}
	}
	if !backToClose {
		t.Fatalf("Tab did not come round to the close button through the checkout (path %v)", path)
	}
	b.do(t, 5*time.Second, chromedp.KeyEvent("\t", chromedp.KeyModifiers(chromedp.ModifierShift)))
	if at := settledFocus(t, b); at != "frame" {
		t.Errorf("Shift+Tab from the close button went to %s, want the checkout", at)
	}
	b.do(t, 5*time.Second, chromedp.KeyEvent("\t"))
	if at := settledFocus(t, b); at != "close" {
		t.Fatalf("Tab from the checkout's last control went to %s, want the close button", at)
	}

	// "Pay now" again (its handler called from script, as a shop's own
	// code might) does not stack a second dialog.
	got := browserEval[string](t, b, `(() => { const first = __handle; document.getElementById('pay-now').click();
		return document.querySelectorAll('[data-hpp-overlay]').length + ' ' + (__handle === first); })()`)
	if got != "1 true" {
		t.Errorf("a second open while the dialog is open: overlays and same handle = %q, want 1 true", got)
	}

	// Esc inside the checkout's frame closes the dialog.
	b.do(t, 5*time.Second, chromedp.KeyEvent("\t"))
	if at := settledFocus(t, b); at != "frame" {
		t.Fatalf("Tab from the close button went to %s, want the checkout", at)
	}
	if !frameEval[bool](t, frame, `document.hasFocus()`) {
		t.Fatal("the checkout's frame does not have focus; Esc would not be pressed inside it")
	}
	b.do(t, 10*time.Second, chromedp.KeyEvent("\x1b"), chromedp.WaitNotPresent(chromedp.CSS("[data-hpp-overlay]")))
	if n := browserEval[int](t, b, `__hpp.closed`); n != 1 {
		t.Errorf("onClose called %d times, want 1", n)
	}
	if at := settledFocus(t, b); at != "BUTTON#pay-now" {
		t.Errorf("after closing, focus is on %s, want the shop's Pay now", at)
	}
	if n := browserEval[int](t, b, `document.querySelectorAll('[inert]').length`); n != 0 {
		t.Errorf("%d elements are still inert after closing", n)
	}

	// No lang option: the names follow the checkout URL's lang.
	u, err := url.Parse(p.CheckoutURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("lang", "zh-Hans")
	u.RawQuery = q.Encode()
	b.do(t, 15*time.Second, chromedp.Navigate(embedShopURL(shop, "modal", u.String())),
		chromedp.WaitVisible(chromedp.CSS("[data-hpp-overlay] iframe")))
	if got := browserEval[string](t, b, embedNames); got != "付款|付款页面|关闭" {
		t.Errorf("names with the checkout in zh-Hans = %q, want 付款|付款页面|关闭", got)
	}
	if problems := b.rec.shopProblems(); len(problems) > 0 {
		t.Errorf("shop page problems:\n%s", strings.Join(problems, "\n"))
	}
}
