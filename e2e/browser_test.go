package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// The browser suite: each scenario of issue 3 is one test that drives a
// fresh headless Chromium against the built binary in sandbox mode. The
// tests run one after another (no t.Parallel) so that two Chromiums never
// share the machine's two cores.

const (
	sel       = `[data-testid="%s"]`
	wechatUA  = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.0.0 Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/en"
	noReload  = `window.__hppNoReload = 'still here'`
	hasMarker = `window.__hppNoReload === 'still here'`
)

// testid is the CSS selector of a data-testid.
func testid(id string) chromedp.CSS { return chromedp.CSS(fmt.Sprintf(sel, id)) }

// qrReference is the attempt reference the QR image was drawn for.
func (b *browserSession) qrReference(t testing.TB) string {
	t.Helper()
	src := b.attr(t, fmt.Sprintf(sel, "qr"), "src")
	u, err := url.Parse(src)
	if err != nil || u.Query().Get("ref") == "" {
		t.Fatalf("qr src = %q, want a ?ref= attempt reference", src)
	}
	return u.Query().Get("ref")
}

// chooseWeChatQR opens the checkout page on a desktop and chooses WeChat
// Pay, and waits for the QR to be drawn.
func (b *browserSession) chooseWeChatQR(t testing.TB, checkoutURL string) {
	t.Helper()
	b.do(t, 30*time.Second, // a hang guard: a loaded machine takes its time
		chromedp.Navigate(checkoutURL),
		chromedp.WaitVisible(testid("method-wechat")),
		chromedp.Click(testid("method-wechat")),
		chromedp.WaitVisible(testid("qr")),
	)
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	const loaded = `(() => { const i = document.querySelector('[data-testid="qr"]'); return i.complete && i.naturalWidth > 0; })()`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](loaded, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		t.Fatalf("the QR image did not load: %v", err)
	}
}

// finishPaid ends a scenario whose payment was paid: the way back leads
// to the shop, the merchant API agrees it is paid, the page is kept as
// the screenshot shot (readme: the committed copy too, see screenshot),
// and the session's checks run (browserChecks).
func (b *browserSession) finishPaid(t *testing.T, app *browserApp, p paymentstest.APIPayment, shot string, readme bool) {
	t.Helper()
	b.checkBackToShop(t, p.ReturnURL)
	if got := app.payment(t, p.ID).Status; got != "paid" {
		t.Errorf("merchant API status = %q, want paid", got)
	}
	b.screenshot(t, shot, readme)
	b.finish(t, browserChecks{})
}

// checkBackToShop checks that the back-to-shop link leads to the merchant's
// return_url: the link goes through our own redirect, which adds the
// signed result parameters, so it is followed one hop over HTTP.
func (b *browserSession) checkBackToShop(t testing.TB, returnURL string) {
	t.Helper()
	href := browserEval[string](t, b, `document.querySelector('[data-testid="back-to-shop"]').href`)
	if href == returnURL {
		return
	}
	if !sameOrigin(href, b.app.URL) {
		t.Fatalf("back-to-shop href = %q, want the merchant's return_url %q or our redirect to it", href, returnURL)
	}
	resp, err := b.app.client.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if base, _, _ := strings.Cut(loc, "?"); resp.StatusCode != http.StatusSeeOther || base != returnURL {
		t.Errorf("back-to-shop %s answers %d to %q, want a 303 to the merchant's return_url %q", href, resp.StatusCode, loc, returnURL)
	}
}

// userAgent overrides the tab's User-Agent.
func userAgent(ua string) chromedp.Action[chromedp.Void] {
	return devtools(emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua})
}

// Scenario 1: desktop, WeChat Pay, paid by the live push without a reload.
func TestBrowserDesktopWeChatPaidLive(t *testing.T) {
	app, p, b := browserPaying(t)
	b.chooseWeChatQR(t, p.CheckoutURL)

	if got, want := b.text(t, fmt.Sprintf(sel, "amount")), "NZ$ 12.50"; got != want {
		t.Errorf("amount = %q, want %q", got, want)
	}
	if got := b.text(t, fmt.Sprintf(sel, "amount-cny")); !strings.Contains(got, "¥") || !strings.Contains(got, "CNY") {
		t.Errorf("CNY amount = %q, want a ¥ amount and its CNY rate", got)
	}
	b.waitSocket(t)
	b.screenshot(t, "desktop-qr", true)

	browserEval[string](t, b, noReload)
	b.do(t, 5*time.Second, chromedp.Click(testid("simulate-paid")))
	took := b.waitStatus(t, "paid", 2*time.Second)
	t.Logf("paid shown %v after the click", took.Round(time.Millisecond))
	if !browserEval[bool](t, b, hasMarker) {
		t.Error("the page reloaded; want the live push to swap the status in place")
	}
	// Paid, the receipt states the yuan charged; the estimate goes, as on
	// a reload, so the page does not show two yuan amounts.
	if n := browserEval[int](t, b, `document.querySelectorAll('[data-testid="amount-cny"], [data-testid="cny-note"]').length`); n != 0 {
		t.Errorf("the live paid page still shows the yuan estimate (%d elements)", n)
	}
	b.finishPaid(t, app, p, "desktop-paid", false)
}

// Scenario 2: a phone, Alipay through the simulator's hosted page, back to
// our result page which shows paid.
func TestBrowserPhoneAlipayHosted(t *testing.T) {
	app, p, b := browserPaying(t)
	b.do(t, 20*time.Second,
		chromedp.Emulate(device.IPhone14),
		chromedp.Navigate(p.CheckoutURL),
		chromedp.WaitVisible(testid("method-alipay")),
		chromedp.Click(testid("method-alipay")),
		chromedp.WaitVisible(testid("sim-pay")),
	)
	loc := browserEval[string](t, b, `location.pathname`)
	if !strings.HasPrefix(loc, "/sandbox/latipay/") {
		t.Errorf("after choosing Alipay the phone is at %q, want the simulator's hosted page", loc)
	}
	if got := b.text(t, fmt.Sprintf(sel, "sim-method")); got != "alipay" {
		t.Errorf("hosted page method = %q, want alipay", got)
	}
	b.do(t, 15*time.Second,
		chromedp.Click(testid("sim-pay")),
		chromedp.WaitVisible(testid("status")),
	)
	b.waitStatus(t, "paid", 5*time.Second)
	if got, want := browserEval[string](t, b, `location.pathname`), "/checkout/"+p.ID+"/return"; got != want {
		t.Errorf("result page path = %q, want %q", got, want)
	}
	b.finishPaid(t, app, p, "phone-result", true)
}

// Scenario 3: inside WeChat's browser only WeChat Pay can work, and it goes
// through Latipay's page.
func TestBrowserWeChatBrowserOffersWeChatOnly(t *testing.T) {
	_, p, b := browserPaying(t)
	b.do(t, 15*time.Second,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch),
		userAgent(wechatUA),
		chromedp.Navigate(p.CheckoutURL),
		chromedp.WaitVisible(testid("method-wechat")),
	)
	got := browserEval[[]string](t, b, `Array.from(document.querySelectorAll('[data-testid^="method-"]')).map(e => e.getAttribute('data-testid'))`)
	if len(got) != 1 || got[0] != "method-wechat" {
		t.Errorf("methods offered in WeChat = %q, want only method-wechat", got)
	}
	b.screenshot(t, "wechat-methods", false)
	b.do(t, 15*time.Second,
		chromedp.Click(testid("method-wechat")),
		chromedp.WaitVisible(testid("sim-pay")),
	)
	if got := b.text(t, fmt.Sprintf(sel, "sim-method")); got != "wechat" {
		t.Errorf("hosted page method = %q, want wechat", got)
	}
	b.finish(t, browserChecks{})
}

// Scenario 4: a failed payment shows the failure, and trying again makes a
// fresh attempt.
func TestBrowserFailedThenRetry(t *testing.T) {
	app, p, b := browserPaying(t)
	b.chooseWeChatQR(t, p.CheckoutURL)
	first := b.qrReference(t)
	b.waitSocket(t)
	b.do(t, 5*time.Second, chromedp.Click(testid("simulate-failed")))
	b.waitStatus(t, "failed", 3*time.Second)
	if got := b.text(t, "#panel"); !strings.Contains(got, "did not go through") {
		t.Errorf("failed panel says %q, want the failure explained", got)
	}
	b.screenshot(t, "failed", false)

	b.do(t, 15*time.Second,
		chromedp.Click(testid("method-wechat")),
		chromedp.WaitVisible(testid("qr")),
	)
	second := b.qrReference(t)
	if second == first {
		t.Errorf("retry QR reference = %q, the same as the failed attempt's; want a fresh attempt", second)
	}
	if got := app.payment(t, p.ID); got.LatipayReference != second || got.Status != "pending" {
		t.Errorf("merchant API = %s/%q, want pending/%q", got.Status, got.LatipayReference, second)
	}
	b.waitSocket(t)
	b.do(t, 5*time.Second, chromedp.Click(testid("simulate-paid")))
	b.waitStatus(t, "paid", 2*time.Second)
	b.screenshot(t, "retry-paid", false)
	b.finish(t, browserChecks{})
}

// Scenario 5: the payment window ends and the page shows it; a callback
// after that is recorded, and the shopper never sees a success the
// merchant does not know about.
func TestBrowserExpiryThenLateCallback(t *testing.T) {
	app := browserStartApp(t)
	// The window leaves room to open the page and show the QR before it
	// ends, even on a machine shared by several test runs.
	p := app.createPayment(t, map[string]any{"expires_in": 20})
	b := browserNew(t, app)
	b.chooseWeChatQR(t, p.CheckoutURL)
	ref := b.qrReference(t)
	b.waitSocket(t)
	// Latipay is unreachable when the window ends, so the reconciler cannot
	// cancel the attempt there and the shopper can still pay it, late.
	app.faults(t, `{"server_error": true}`)
	browserEval[string](t, b, noReload)
	b.waitStatus(t, "expired", 30*time.Second)
	if !browserEval[bool](t, b, hasMarker) {
		t.Error("the page reloaded to show expiry; want it shown in place")
	}
	if got := app.payment(t, p.ID).Status; got != "expired" {
		t.Errorf("merchant API status = %q, want expired", got)
	}
	b.screenshot(t, "expired", false)

	app.simulate(t, ref, "paid") // the signed callback still reaches us
	got := app.waitPayment(t, p.ID, "paid", 5*time.Second)
	if !got.PaidLate {
		t.Errorf("merchant API: paid_late = false, want true for a payment after the window")
	}
	app.faults(t, `{}`)
	// What the open page shows must be something the merchant knows.
	if shown := b.attr(t, fmt.Sprintf(sel, "status"), "data-status"); shown == "paid" && got.Status != "paid" {
		t.Errorf("page shows paid, merchant API %s", got.Status)
	}
	// A fresh look shows the server's truth, with the late note.
	b.do(t, 10*time.Second, chromedp.Reload(), chromedp.WaitVisible(testid("status")))
	if shown := b.attr(t, fmt.Sprintf(sel, "status"), "data-status"); shown != got.Status {
		t.Errorf("reloaded page shows %q, merchant API %q", shown, got.Status)
	}
	if txt := b.text(t, "#panel"); !strings.Contains(txt, "after the time limit") {
		t.Errorf("late-paid page says %q, want the late payment explained", txt)
	}
	b.screenshot(t, "late-paid", false)
	b.finish(t, browserChecks{})
}

// Scenario 6: the page is offline, and its socket gone, while the payment
// completes; back online it shows paid within five seconds.
func TestBrowserSocketCutThenPaid(t *testing.T) {
	app, p, b := browserPaying(t)
	b.do(t, 5*time.Second, devtools(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: socketCutter}))
	b.chooseWeChatQR(t, p.CheckoutURL)
	ref := b.qrReference(t)
	b.waitSocket(t)
	browserEval[string](t, b, noReload)

	if shown := browserEval[string](t, b, offlineShown); shown != "" {
		t.Errorf("the live page says %q, want no offline notice", shown)
	}
	b.do(t, 5*time.Second, browserOffline(true))
	if n := browserEval[int](t, b, `window.__hppCutSockets()`); n < 1 {
		t.Fatalf("cut %d sockets, want the page's live socket cut", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for b.rec.openSockets() > 0 {
		if time.Now().After(deadline) {
			b.rec.mu.Lock()
			t.Logf("websockets seen: %q; page problems: %q", b.rec.sockets, b.rec.problems)
			b.rec.mu.Unlock()
			t.Fatal("the socket stayed open after the page went offline")
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
	// The page says it has lost the server, in a live region, while the
	// status still says what the server last said.
	want := "No connection to the server. If you have paid, do not pay again: this page updates once the connection is back."
	for deadline = time.Now().Add(5 * time.Second); browserEval[string](t, b, offlineShown) != want; {
		if time.Now().After(deadline) {
			t.Fatalf("offline page says %q, want %q", browserEval[string](t, b, offlineShown), want)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
	if role := b.attr(t, fmt.Sprintf(sel, "offline"), "role"); role != "status" {
		t.Errorf("offline notice role = %q, want status (a live region)", role)
	}
	for _, v := range a11yAxe(t, b, string(axeScript(t))) {
		t.Errorf("offline page: axe: %s", v)
	}
	b.screenshot(t, "socket-cut-offline", false)
	app.simulate(t, ref, "paid")
	app.waitPayment(t, p.ID, "paid", 5*time.Second)
	if shown := b.attr(t, fmt.Sprintf(sel, "status"), "data-status"); shown != "pending" {
		t.Fatalf("offline page shows %q, want it still pending until it is back online", shown)
	}
	b.do(t, 5*time.Second, browserOffline(false))
	took := b.waitStatus(t, "paid", 5*time.Second)
	t.Logf("paid shown %v after the page came back online", took.Round(time.Millisecond))
	if shown := browserEval[string](t, b, offlineShown); shown != "" {
		t.Errorf("back online and paid, the page still says %q", shown)
	}
	if !browserEval[bool](t, b, hasMarker) {
		t.Error("the page reloaded; want it to catch up in place")
	}
	b.screenshot(t, "socket-cut-paid", false)
	b.finish(t, browserChecks{offline: "net::ERR_INTERNET_DISCONNECTED"})
}

// offlineShown is the checkout's offline notice as shown: its text when
// it takes up room on the page, else "".
const offlineShown = `(() => { const n = document.getElementById('offline');
  return n && n.getBoundingClientRect().height > 0 ? n.textContent : ''; })()`

// socketCutter runs before the page's own script and keeps a handle on
// every websocket the page opens, so the test can cut them as a dropped
// connection would: offline emulation alone leaves open sockets open.
const socketCutter = `(() => {
  const Native = window.WebSocket, all = [];
  window.__hppCutSockets = () => { all.forEach(s => s.close()); return all.length; };
  window.WebSocket = function (url, protocols) {
    const s = protocols === undefined ? new Native(url) : new Native(url, protocols);
    all.push(s);
    return s;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();`

// browserOffline takes the tab's network down or brings it back.
// Network.emulateNetworkConditionsByRule took its offline flag beside the
// rules until Chromium moved it into each rule (cdproto follows the newer
// protocol, Debian's Chromium 148 wants the older, required field): both
// are sent, and each Chromium ignores the one it does not know.
func browserOffline(offline bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		cond := []*network.Conditions{}
		if offline {
			cond = append(cond, &network.Conditions{Offline: true, Latency: 0, DownloadThroughput: -1, UploadThroughput: -1})
		}
		if _, err := cdp.Call(ctx, tg, emulateByRule, emulateByRuleParams{Offline: offline, MatchedNetworkConditions: cond}); err != nil {
			return fmt.Errorf("Network.emulateNetworkConditionsByRule: %w", err)
		}
		if _, err := cdp.Call(ctx, tg, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
			return fmt.Errorf("Network.overrideNetworkState: %w", err)
		}
		return nil
	})
}

// emulateByRuleParams are Network.emulateNetworkConditionsByRule's
// parameters in both protocol versions (browserOffline).
type emulateByRuleParams struct {
	Offline                  bool                  `json:"offline"`
	MatchedNetworkConditions []*network.Conditions `json:"matchedNetworkConditions"`
}

var emulateByRule = cdp.Command[emulateByRuleParams, network.EmulateNetworkConditionsByRuleResult]{Method: network.CommandEmulateNetworkConditionsByRule}

// Scenario 7: with JavaScript off the page still reaches paid: it never
// reloads by itself (no meta refresh, which would move a keyboard user's
// focus and restart a screen reader), and its "check the payment status"
// link shows the current state when the shopper asks.
func TestBrowserNoScriptRefresh(t *testing.T) {
	app, p, b := browserPaying(t)
	b.do(t, 5*time.Second, scriptsOff(true))
	b.chooseWeChatQR(t, p.CheckoutURL)
	if n := browserEval[int](t, b, `document.querySelectorAll('meta[http-equiv="refresh" i]').length`); n != 0 {
		t.Errorf("the QR page has %d meta refresh", n)
	}
	ref := b.qrReference(t)
	app.simulate(t, ref, "paid")
	app.waitPayment(t, p.ID, "paid", 5*time.Second)
	if got := b.attr(t, fmt.Sprintf(sel, "status"), "data-status"); got != "pending" {
		t.Errorf("the page changed by itself to %q", got)
	}
	b.do(t, 10*time.Second, chromedp.Click(testid("check-status")))
	b.waitStatus(t, "paid", 8*time.Second)
	if n := b.rec.socketCount(); n != 0 {
		t.Errorf("the page opened %d websockets with JavaScript off", n)
	}
	b.screenshot(t, "noscript-paid", false)
	b.finish(t, browserChecks{})
}

// Scenario 8: bad links get a friendly page with the right status code.
func TestBrowserBadLinks(t *testing.T) {
	app := browserStartApp(t)
	b := browserNew(t, app)
	link := func(q url.Values) string {
		q.Set("sig", payments.SignLink(browserLinkSecret, q))
		return app.URL + "/pay?" + q.Encode()
	}
	order := func() url.Values {
		return url.Values{"amount": {"9.90"}, "currency": {"NZD"}, "reference": {"LINK-" + strconv.FormatInt(time.Now().UnixNano(), 36)},
			"return_url": {app.URL + "/shop"}}
	}
	tampered := order()
	tamperedURL := link(tampered)
	tamperedURL = strings.Replace(tamperedURL, "amount=9.90", "amount=0.10", 1)
	expired := order()
	expired.Set("exp", strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10))

	for _, tc := range []struct {
		name, url string
		want      int
	}{
		{"unknown checkout", app.URL + "/checkout/pay_doesnotexist0000000000000", http.StatusNotFound},
		{"tampered link", tamperedURL, http.StatusForbidden},
		{"expired link", link(expired), http.StatusGone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
			defer cancel()
			resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(tc.url))
			if err != nil {
				t.Fatalf("navigate: %v", err)
			}
			if resp.Status != int64(tc.want) {
				t.Errorf("status = %d, want %d", resp.Status, tc.want)
			}
			b.do(t, 5*time.Second, chromedp.WaitVisible(testid("error")))
			if got := b.attr(t, fmt.Sprintf(sel, "error"), "data-status-code"); got != strconv.Itoa(tc.want) {
				t.Errorf("error page data-status-code = %q, want %d", got, tc.want)
			}
			body := b.text(t, "body")
			for _, leak := range []string{"goroutine", "panic", ".go:", "runtime error", "payments:", "handlers:", "sql"} {
				if strings.Contains(body, leak) {
					t.Errorf("error page shows %q: %q", leak, body)
				}
			}
			if !strings.Contains(body, "ask the shop") && !strings.Contains(body, "check the link") {
				t.Errorf("error page says %q, want a friendly explanation", body)
			}
			b.screenshot(t, "error-"+strings.ReplaceAll(tc.name, " ", "-"), false)
		})
	}
	b.finish(t, browserChecks{documentStatus: map[int64]bool{404: true, 403: true, 410: true}})
}
