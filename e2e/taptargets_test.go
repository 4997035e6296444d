package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// tapTargetsSmall lists the interactive elements of the page in the tab
// that are shown and smaller than 44 x 44 CSS pixels (each with its test
// id or text, and its size).
const tapTargetsSmall = `[...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex="-1"])')]
	.filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden' && (r.width < 44 || r.height < 44); })
	.map(e => { const r = e.getBoundingClientRect(); return (e.dataset.testid || e.tagName + ' ' + e.textContent.trim().slice(0, 30)) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height); })`

// TestBrowserCheckoutTapTargets: on a 390 and a 320 px touch phone, in
// the three languages, every link, button and field of each checkout
// state (choosing a wallet, the QR, choosing another way to pay, after a
// failed start, failed, paid, canceled) is at least 44 x 44 CSS pixels,
// the size a finger can hit: the language links and "Choose another way
// to pay" included.
func TestBrowserCheckoutTapTargets(t *testing.T) {
	app := browserStartApp(t)
	b := browserNew(t, app)
	open := app.createPayment(t, nil)
	qr := app.createPayment(t, map[string]any{"payment_method": "wechat"})
	failed := app.createPayment(t, map[string]any{"payment_method": "wechat"})
	paid := app.createPayment(t, map[string]any{"payment_method": "wechat"})
	canceled := app.createPayment(t, map[string]any{"cancel_url": app.URL + "/shop/cart"})
	// The QR states: the first visit starts the preselected wallet.
	for _, p := range []string{qr.ID, failed.ID, paid.ID} {
		b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/checkout/"+p), chromedp.WaitReady(chromedp.CSS("main")))
	}
	app.simulate(t, app.waitPayment(t, failed.ID, "pending", 10*time.Second).LatipayReference, "failed")
	app.simulate(t, app.waitPayment(t, paid.ID, "pending", 10*time.Second).LatipayReference, "paid")
	app.waitPayment(t, failed.ID, "failed", 10*time.Second)
	app.waitPayment(t, paid.ID, "paid", 10*time.Second)
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/api/v1/payments/"+canceled.ID+"/cancel", nil)
	req.Header.Set("Authorization", "Bearer "+browserAPIKey)
	app.do(t, req, http.StatusOK, nil)
	// A failed start (Latipay answers with a server error): its redirect
	// carries the signed message the page shows; a hand-made ?error= says
	// nothing.
	app.faults(t, `{"server_error": true}`)
	req, _ = http.NewRequest(http.MethodPost, app.URL+"/checkout/"+open.ID+"/start", strings.NewReader("method=wechat"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", app.URL)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
	resp, err := noRedirects().Do(req)
	app.faults(t, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	failedStart := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(failedStart, "/checkout/"+open.ID+"?") {
		t.Fatalf("failed start = %d to %q, want 303 back to the checkout", resp.StatusCode, failedStart)
	}
	states := []struct{ name, path, ready string }{
		{"choosing a wallet", "/checkout/" + open.ID, "method"},
		{"after a failed start", failedStart, "error-message"},
		{"the QR", "/checkout/" + qr.ID, "change-method"},
		{"choosing another way to pay", "/checkout/" + qr.ID + "?choose=1", "method"},
		{"failed", "/checkout/" + failed.ID, "status"},
		{"paid", "/checkout/" + paid.ID, "receipt"},
		{"canceled", "/checkout/" + canceled.ID, "status"},
	}
	for _, width := range []int64{390, 320} {
		b.do(t, 10*time.Second, chromedp.EmulateViewport(width, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
		for _, st := range states {
			for _, lang := range a11yLangs {
				sep := "?"
				if strings.Contains(st.path, "?") {
					sep = "&"
				}
				b.do(t, 15*time.Second, chromedp.Navigate(app.URL+st.path+sep+"lang="+lang), chromedp.WaitReady(chromedp.CSS(`[data-testid^="`+st.ready+`"]`)))
				if small := browserEval[[]string](t, b, tapTargetsSmall); len(small) > 0 {
					t.Errorf("%d px, %s in %s: tap targets under 44 x 44 px: %v", width, st.name, lang, small)
				}
			}
		}
	}
	b.do(t, 10*time.Second, phoneOn(false))
}
