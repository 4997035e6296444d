package e2e

import (
	"context"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// The embedding tests (P0 83, 86, 91 in e2e/README.md): a merchant's page on
// another loopback site embeds the checkout with /embed.js. The app's
// public URL is http://127.0.0.1:<port> and the merchant pages are served
// as http://localhost:<port>, so the two are different sites to Chromium
// (cookies, site isolation) as a real shop and the checkout would be.

// embedShopPage is the merchant's page: it loads embed.js from the app,
// embeds the checkout inline or as a modal, and records what reaches it
// in window.__hpp for the test to read.
var embedShopPage = template.Must(template.New("shop").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Kiwi Tea shop</title></head>
<body><h1>Kiwi Tea shop</h1><nav><a id="shop-link" href="#teas">Our teas</a></nav>
<button type="button" id="pay-now">Pay now</button><div id="pay"></div>
<script src="{{.App}}/embed.js"></script>
<script>
  window.__hpp = { messages: [], statuses: [], paid: [], failed: [], closed: 0, loads: 0 };
  window.addEventListener('message', function (ev) {
    __hpp.messages.push({ origin: ev.origin, keys: Object.keys(ev.data || {}).sort().join(','), data: ev.data });
  });
  var q = new URLSearchParams(location.search), cbs = {
    onStatus: function (m) { __hpp.statuses.push(m.status); },
    onPaid: function (m) { __hpp.paid.push(m); },
    onFailed: function (m) { __hpp.failed.push(m); },
    onClose: function () { __hpp.closed++; }
  };
  if (q.get('lang')) { cbs.lang = q.get('lang'); }
  function start() {
    window.__handle = q.get('mode') === 'inline'
      ? HPPCheckout.mount(document.getElementById('pay'), q.get('checkout'), cbs)
      : HPPCheckout.open(q.get('checkout'), cbs);
    __handle.frame.addEventListener('load', function () { __hpp.loads++; });
    return __handle;
  }
  document.getElementById('pay-now').addEventListener('click', start);
  if (q.get('mode') !== 'button') { start(); }
</script></body></html>`))

// embedShop is a merchant's site on a free loopback port, reached as
// http://localhost:<port>. It serves its page once the app it embeds is
// known (the app must be told the shop's origin before it starts).
type embedShop struct {
	Origin string
	app    atomic.Pointer[string] // the app's URL, for the script tag
}

func newEmbedShop(t *testing.T) *embedShop {
	t.Helper()
	s := &embedShop{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app := s.app.Load()
		if app == nil || r.URL.Path != "/" {
			w.WriteHeader(http.StatusNoContent) // favicon.ico and the like
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := embedShopPage.Execute(w, struct{ App string }{*app}); err != nil {
			t.Errorf("shop page: %v", err)
		}
	}))
	t.Cleanup(srv.Close)
	s.Origin = "http://localhost:" + strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)
	return s
}

// embedRegistered starts a shop page and an app that lists the shop's
// origin (HPP_MERCHANT_ORIGINS) and whose embed.js the page loads, and a
// browser; it returns the shop's origin.
func embedRegistered(t *testing.T) (string, *browserApp, *browserSession) {
	t.Helper()
	s := newEmbedShop(t)
	app := browserStartApp(t, "HPP_MERCHANT_ORIGINS="+s.Origin)
	s.embeds(app.URL)
	return s.Origin, app, browserNew(t, app)
}

// embeds sets the app whose embed.js the page loads.
func (s *embedShop) embeds(app string) { s.app.Store(&app) }

// embedShopURL is the shop's page embedding checkoutURL in mode
// ("inline" or "modal").
func embedShopURL(shop, mode, checkoutURL string) string {
	return shop + "/?" + url.Values{"mode": {mode}, "checkout": {checkoutURL}}.Encode()
}

// blockThirdPartyCookies turns on Chromium's third-party cookie
// restriction for the tab (as WebKit does by default); it holds from the
// next navigation on.
func blockThirdPartyCookies() chromedp.Action[chromedp.Void] {
	return devtools(network.SetCookieControls, network.SetCookieControlsParams{EnableThirdPartyCookieRestriction: true})
}

// embedFrame waits for the checkout's cross-site iframe, which Chromium
// runs out of process as a target of its own, and attaches to it.
func (b *browserSession) embedFrame(t *testing.T, prefix string) context.Context {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		infos, err := chromedp.Targets(b.ctx)
		if err != nil {
			t.Fatalf("targets: %v", err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, prefix) {
				ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
				t.Cleanup(cancel)
				// The first Do binds the frame's session to ctx itself, not
				// to a deadline's child; the timer only bounds the wait.
				timer := time.AfterFunc(10*time.Second, cancel)
				err := chromedp.Do(ctx)
				timer.Stop()
				if err != nil {
					t.Fatalf("attach to the checkout frame: %v", err)
				}
				return ctx
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no iframe target at %s within 10s; targets: %s", prefix, embedTargets(infos))
		}
		time.Sleep(50 * time.Millisecond) // polling the browser with a deadline
	}
}

func embedTargets(infos []*target.Info) string {
	var s []string
	for _, i := range infos {
		s = append(s, i.Type+" "+i.URL)
	}
	return strings.Join(s, "; ")
}

// frameDo runs actions in the iframe with a deadline.
func frameDo(t *testing.T, ctx context.Context, d time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("in the checkout frame: %v", err)
	}
}

// frameEval evaluates expr in the iframe.
func frameEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("in the checkout frame: evaluate %s: %v", expr, err)
	}
	return v
}

// waitShop polls a JavaScript condition on the merchant's page.
func (b *browserSession) waitShop(t *testing.T, cond string, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, within)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(25*time.Millisecond))); err != nil {
		state, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`JSON.stringify(window.__hpp)`))
		t.Fatalf("shop page: %s not true within %v (window.__hpp = %s): %v", cond, within, state, err)
	}
}

// embedMessage is one message the merchant's page received.
type embedMessage struct {
	Origin string `json:"origin"`
	Keys   string `json:"keys"`
	Data   struct {
		Type      string `json:"type"`
		PaymentID string `json:"paymentId"`
		Status    string `json:"status"`
		Version   int    `json:"version"`
	} `json:"data"`
}

// TestBrowserEmbedRegistered is test 86 (registered origin), 83 and 91: a
// shop on another site, registered in HPP_MERCHANT_ORIGINS, embeds the
// checkout inline and as a modal with third-party cookies blocked; the
// shopper chooses WeChat Pay inside the frame and the payment completes
// (inline: the sandbox button clicked inside the frame; modal: the
// simulator paid from outside); the shop gets the paid event from the
// checkout's origin, in the documented shape, and nothing else.
func TestBrowserEmbedRegistered(t *testing.T) {
	shop, app, b := embedRegistered(t)

	for _, mode := range []string{"inline", "modal"} {
		t.Run(mode, func(t *testing.T) {
			p := app.createPayment(t, map[string]any{"return_url": shop + "/thanks"})
			b.do(t, 15*time.Second, blockThirdPartyCookies(), chromedp.Navigate(embedShopURL(shop, mode, p.CheckoutURL)))
			frame := b.embedFrame(t, app.URL+"/checkout/"+p.ID)
			frameDo(t, frame, 10*time.Second, chromedp.WaitVisible(testid("method-wechat")))
			// The restriction holds: an unpartitioned cookie does not stick
			// in the frame (a first-party one on the app's origin would).
			const probe = `document.cookie = 'hpp_probe=1; SameSite=None; Secure; Path=/'; document.cookie`
			if got := frameEval[string](t, frame, probe); strings.Contains(got, "hpp_probe") {
				t.Errorf("the frame set a third-party cookie (%q); want third-party cookies blocked", got)
			}
			if got := frameEval[string](t, frame, `document.getElementById('checkout').getAttribute('data-embed-origin')`); got != shop {
				t.Errorf("checkout data-embed-origin = %q, want %q", got, shop)
			}

			frameDo(t, frame, 10*time.Second, chromedp.Click(testid("method-wechat")), chromedp.WaitVisible(testid("qr")))
			if mode == "inline" {
				frameDo(t, frame, 5*time.Second, chromedp.Click(testid("simulate-paid")))
			} else {
				app.simulate(t, app.payment(t, p.ID).LatipayReference, "paid")
			}
			frameDo(t, frame, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="status"][data-status="paid"]`)))
			b.waitShop(t, `__hpp.paid.length === 1`, 5*time.Second)
			if got := app.payment(t, p.ID).Status; got != "paid" {
				t.Errorf("merchant API status = %q, want paid", got)
			}
			if got := frameEval[string](t, frame, `document.cookie`); got != "" {
				t.Errorf("checkout frame cookies = %q, want none", got)
			}

			msgs := browserEval[[]embedMessage](t, b, `__hpp.messages`)
			if len(msgs) == 0 {
				t.Fatal("the shop received no message")
			}
			for _, m := range msgs {
				if m.Origin != app.URL || m.Keys != "paymentId,status,type,version" || m.Data.Type != "hpp:status" || m.Data.PaymentID != p.ID {
					t.Errorf("message %+v, want {type: hpp:status, paymentId: %s, status, version} from %s", m, p.ID, app.URL)
				}
			}
			if last := msgs[len(msgs)-1]; last.Data.Status != "paid" {
				t.Errorf("last message status = %q, want paid", last.Data.Status)
			}
			paid := browserEval[[]map[string]any](t, b, `__hpp.paid`)
			if paid[0]["paymentId"] != p.ID || paid[0]["status"] != "paid" {
				t.Errorf("onPaid got %v, want payment %s paid", paid[0], p.ID)
			}
			if n := browserEval[int](t, b, `__hpp.failed.length`); n != 0 {
				t.Errorf("onFailed called %d times, want 0", n)
			}

			if mode == "modal" {
				b.do(t, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-hpp-overlay] button[aria-label="Close"]`)),
					chromedp.WaitNotPresent(chromedp.CSS(`[data-hpp-overlay]`)))
				if n := browserEval[int](t, b, `__hpp.closed`); n != 1 {
					t.Errorf("onClose called %d times, want 1", n)
				}
			}
		})
	}
	if problems := b.rec.shopProblems(); len(problems) > 0 {
		t.Errorf("shop page problems:\n%s", strings.Join(problems, "\n"))
	}
}

// shopProblems are the console errors and exceptions of the top page
// (the checkout frame's own are not recorded there).
func (r *browserRecorder) shopProblems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.problems...)
}

// TestBrowserEmbedUnlistedOrigin is test 86 (unregistered origin): a page
// on an origin that is not in HPP_MERCHANT_ORIGINS cannot frame the
// checkout. What Chromium does: it loads the document, refuses it
// (net::ERR_BLOCKED_BY_RESPONSE, a frame-ancestors error on the console),
// shows an error page in the frame instead, and posts a CSP violation
// report to the app's report-uri. The page gets no message.
func TestBrowserEmbedUnlistedOrigin(t *testing.T) {
	app := browserStartApp(t, "HPP_MERCHANT_ORIGINS=https://shop.example.com")
	s := newEmbedShop(t)
	s.embeds(app.URL)
	b := browserNew(t, app)
	p := app.createPayment(t, nil)

	b.do(t, 15*time.Second, chromedp.Navigate(embedShopURL(s.Origin, "inline", p.CheckoutURL)))
	b.waitShop(t, `__hpp.loads >= 1`, 10*time.Second)

	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(app.Logs(), `"msg":"csp violation"`) {
		if time.Now().After(deadline) {
			t.Fatalf("the app received no CSP violation report within 10s; app log:\n%s", app.Logs())
		}
		time.Sleep(50 * time.Millisecond) // polling the app's log with a deadline
	}
	logs := app.Logs()
	if !strings.Contains(logs, `"directive":"frame-ancestors"`) || strings.Contains(logs, p.ID) {
		t.Errorf("app log = %s, want a frame-ancestors violation without the payment id", logs)
	}

	if got := b.rec.failure(app.URL + "/checkout/" + p.ID); got != "net::ERR_BLOCKED_BY_RESPONSE" {
		t.Errorf("the checkout document in the frame failed with %q, want net::ERR_BLOCKED_BY_RESPONSE", got)
	}
	refused := false
	for _, pr := range b.rec.shopProblems() {
		if strings.Contains(pr, `violates the following Content Security Policy directive: "frame-ancestors https://shop.example.com"`) {
			refused = true
		}
	}
	if !refused {
		t.Errorf("no frame-ancestors refusal on the console; problems: %q", b.rec.shopProblems())
	}
	frame := b.embedFrame(t, app.URL+"/checkout/"+p.ID)
	if got := frameEval[string](t, frame, `location.href + ' ' + !!document.getElementById('checkout')`); !strings.HasSuffix(got, " false") {
		t.Errorf("the frame shows %q, want an error page without the checkout", got)
	}
	if n := browserEval[int](t, b, `__hpp.messages.length`); n != 0 {
		t.Errorf("the page received %d messages, want none", n)
	}
}

// failure is the network error of the last request whose URL starts with
// prefix, "" when it did not fail.
func (r *browserRecorder) failure(prefix string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := ""
	for _, id := range r.order {
		if q := r.requests[id]; strings.HasPrefix(q.URL, prefix) {
			got = q.Failed
		}
	}
	return got
}
