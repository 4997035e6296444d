package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserEmbedErrorPageEscape: the embed dialog on a checkout that
// does not exist shows the error page inside the frame; Esc pressed there
// still closes the dialog (the error page passes it up, as the checkout
// does). In forced colours, which drop the overlay's and the dialog's
// backgrounds, the dialog keeps a visible border.
func TestBrowserEmbedErrorPageEscape(t *testing.T) {
	shop, app, b := embedRegistered(t)
	checkout := app.URL + "/checkout/pay_nonexistent"
	b.do(t, 15*time.Second, chromedp.Navigate(embedShopURL(shop, "button", checkout)),
		chromedp.Click(chromedp.CSS("#pay-now")), chromedp.WaitVisible(chromedp.CSS("[data-hpp-overlay] iframe")))
	frame := b.embedFrame(t, checkout)
	frameDo(t, frame, 10*time.Second, chromedp.WaitVisible(testid("error")))
	// The error page's script listens for Esc once it has run: wait for the
	// document to finish loading, deferred scripts included.
	ready, cancel := context.WithTimeout(frame, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ready, chromedp.Poll[bool](`document.readyState === 'complete'`, chromedp.WithPollingInterval(25*time.Millisecond))); err != nil {
		t.Fatalf("the error page in the frame did not finish loading: %v", err)
	}

	const border = `(() => { const s = getComputedStyle(document.querySelector('[data-hpp-overlay] [role=dialog]'));
		return s.borderTopStyle + ' ' + s.borderTopWidth + ' ' + s.borderTopColor; })()`
	b.do(t, 5*time.Second, forcedColors(true))
	got := browserEval[string](t, b, border)
	b.do(t, 5*time.Second, forcedColors(false))
	if style, _, _ := strings.Cut(got, " "); style != "solid" || got == "solid 0px" {
		t.Errorf("the dialog's border in forced colours = %q, want a visible one", got)
	}

	b.do(t, 5*time.Second, chromedp.KeyEvent("\t"))
	if at := settledFocus(t, b); at != "frame" {
		t.Fatalf("Tab from the close button went to %s, want the error page in the frame", at)
	}
	if !frameEval[bool](t, frame, `document.hasFocus()`) {
		t.Fatal("the error page's frame does not have focus; Esc would not be pressed inside it")
	}
	// Esc closes the dialog, which removes the frame the key went to, so
	// the browser may never acknowledge the key: its answer is not waited
	// for; the overlay's going is what counts.
	esc, cancelEsc := context.WithTimeout(b.ctx, 3*time.Second)
	_ = chromedp.Do(esc, chromedp.KeyEvent("\x1b"))
	cancelEsc()
	b.do(t, 10*time.Second, chromedp.WaitNotPresent(chromedp.CSS("[data-hpp-overlay]")))
	if at := settledFocus(t, b); at != "BUTTON#pay-now" {
		t.Errorf("after Esc in the error page, focus is on %s, want the shop's Pay now", at)
	}
}
