package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"
)

// TestBrowserEmbedTopNavigation checks in Chromium that, on a phone, the
// checkout embedded by embed.js in a cross-site iframe (sandboxed with
// allow-top-navigation-by-user-activation) cannot move the shop's window
// from script without a tap, and still shows the Alipay button; the tap on
// Alipay (a hosted flow: formtarget=_top) posts the start form into the
// top window, and neither the POST nor its redirect to the payment page is
// blocked by the checkout's CSP form-action (in sandbox the Latipay origin
// is the app's own). The top window reaches the simulator's hosted page,
// and the payment completes there.
func TestBrowserEmbedTopNavigation(t *testing.T) {
	shop, app, b := embedRegistered(t)
	p := app.createPayment(t, map[string]any{"return_url": shop + "/thanks"})
	shopURL := embedShopURL(shop, "inline", p.CheckoutURL)

	b.do(t, 15*time.Second, chromedp.Emulate(device.IPhone14), chromedp.Navigate(shopURL))
	frame := b.embedFrame(t, app.URL+"/checkout/"+p.ID)
	frameDo(t, frame, 10*time.Second, chromedp.WaitVisible(testid("method-alipay")))
	if got := frameEval[string](t, frame, `document.querySelector('[data-testid="method-alipay"]').getAttribute('formtarget') || ''`); got != "_top" {
		t.Fatalf("Alipay button formtarget = %q, want _top (the phone's hosted flow)", got)
	}
	if got := browserEval[string](t, b, `document.querySelector('iframe').getAttribute('sandbox')`); !strings.Contains(got, "allow-top-navigation-by-user-activation") ||
		strings.Contains(strings.ReplaceAll(got, "allow-top-navigation-by-user-activation", ""), "allow-top-navigation") {
		t.Errorf("iframe sandbox = %q, want allow-top-navigation-by-user-activation and not allow-top-navigation", got)
	}

	// Without a gesture: script in the frame tries to move the top window.
	// Nothing in this test has activated the frame yet (chromedp's Poll
	// would: it evaluates with userGesture, so none is used on the frame).
	if frameEval[bool](t, frame, `navigator.userActivation.isActive`) {
		t.Fatal("the frame has a user activation before any tap; the no-gesture check would prove nothing")
	}
	noGesture := app.URL + "/?no-gesture=1"
	try := fmt.Sprintf(`(() => { try { top.location.href = %s; return 'no exception'; } catch (e) { return e.name; } })()`,
		strconv.Quote(noGesture))
	threw := frameEval[string](t, frame, try)
	t.Logf("top.location assignment without a gesture: %s", threw)
	if got := browserEval[string](t, b, `location.href`); got != shopURL {
		t.Fatalf("after a script navigation without a gesture the top is at %q, want still %q", got, shopURL)
	}
	frameDo(t, frame, 5*time.Second, chromedp.WaitVisible(testid("method-alipay"))) // the UI still offers the tap

	// With a tap (a touch on the phone's screen, so a user activation):
	// the form posts into the top window.
	b.tapInFrame(t, frame, fmt.Sprintf(sel, "method-alipay"))
	b.do(t, 15*time.Second, chromedp.WaitVisible(testid("sim-pay")))
	top := browserEval[string](t, b, `location.href`)
	if !strings.HasPrefix(top, app.URL+"/sandbox/latipay/") {
		t.Errorf("after the tap the top window is at %q, want the simulator's hosted page under %s/sandbox/latipay/", top, app.URL)
	}
	if got := b.text(t, fmt.Sprintf(sel, "sim-method")); got != "alipay" {
		t.Errorf("hosted page method = %q, want alipay", got)
	}
	// Only the start POST's 303 leads here, so form-action let both the
	// POST and its redirect through; a refusal would also have been
	// reported to the app's report-uri.
	if hosted := b.rec.topDocument(top); hosted == nil || hosted.Status != http.StatusOK {
		t.Errorf("the hosted page's document in the top window = %+v, want 200", hosted)
	}
	if got := app.payment(t, p.ID).LatipayReference; got == "" {
		t.Error("the payment has no attempt after the tap; want the start POST to have run")
	}
	if b.rec.topDocument(noGesture) != nil {
		t.Errorf("the top window requested %s: a script without a gesture navigated it", noGesture)
	}
	if logs := app.Logs(); strings.Contains(logs, `"msg":"csp violation"`) {
		t.Errorf("the app received a CSP violation report: %s", logs)
	}

	b.do(t, 15*time.Second, chromedp.Click(testid("sim-pay")), chromedp.WaitVisible(testid("status")))
	b.waitStatus(t, "paid", 5*time.Second)
	if got, want := browserEval[string](t, b, `location.pathname`), "/checkout/"+p.ID+"/return"; got != want {
		t.Errorf("result page path = %q, want %q", got, want)
	}
	if got := app.payment(t, p.ID).Status; got != "paid" {
		t.Errorf("merchant API status = %q, want paid", got)
	}
	if problems := b.rec.shopProblems(); len(problems) > 0 {
		t.Errorf("top window problems:\n%s", strings.Join(problems, "\n"))
	}
}

// topDocument is the last document request of the top window for URL u
// (after any redirect, as the recorder keeps each request's final URL);
// nil if there was none.
func (r *browserRecorder) topDocument(u string) *browserRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	var got *browserRequest
	for _, id := range r.order {
		if q := r.requests[id]; q.Type == network.ResourceTypeDocument && q.URL == u {
			c := *q
			got = &c
		}
	}
	return got
}

// tapInFrame taps the element matching css inside the embedded frame the
// way a phone does: a touch on the top window's screen at the element's
// place, which Chromium routes into the frame. (Under device emulation
// Chromium maps input into a cross-site frame right only at page scale 1,
// hence the shop page's viewport meta tag.)
func (b *browserSession) tapInFrame(t *testing.T, frame context.Context, css string) {
	t.Helper()
	at := frameEval[[]float64](t, frame, fmt.Sprintf(`(() => {
		const el = document.querySelector(%s);
		el.scrollIntoView({block: 'center'});
		const r = el.getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2];
	})()`, strconv.Quote(css)))
	xy := browserEval[[]float64](t, b, fmt.Sprintf(`(() => {
		const f = document.querySelector('iframe').getBoundingClientRect(), v = visualViewport;
		return [(f.left + %f - v.offsetLeft) * v.scale, (f.top + %f - v.offsetTop) * v.scale];
	})()`, at[0], at[1]))
	b.do(t, 5*time.Second, chromedp.TapXY(xy[0], xy[1]))
}
