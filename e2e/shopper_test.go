package e2e

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The shopper's-trust suite: what a shopper sees at first sight, measured
// in Chromium against the built binary in sandbox mode, in the three
// languages, with axe-core on every page it visits. Screenshots of each
// state and language go to e2e/screenshots (ignored by git).

// shopperFirstScreen reports whether the page fits the viewport without
// scrolling, with the figures for the message.
const shopperFirstScreen = `(() => [document.scrollingElement.scrollHeight, innerHeight])()`

// paidTimeText is the time paid as the checkout writes it: the date and
// time in the shop's zone, and the zone's abbreviation (or offset).
var paidTimeText = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2} [A-Z+\-0-9]+$`)

// shopperPhone is a 390x844 phone at three device pixels per CSS pixel,
// with an iPhone's User-Agent.
func shopperPhone() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := userAgent(a11yPhoneUA)(ctx, tg); err != nil {
			return err
		}
		_, err := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch)(ctx, tg)
		return err
	})
}

// bottomOf is the bottom edge of a data-testid's element in CSS pixels.
func bottomOf(id string) string {
	return fmt.Sprintf(`document.querySelector('[data-testid=%q]').getBoundingClientRect().bottom`, id)
}

// TestBrowserShopperTrust: on a 390x844 phone the choosing screen needs no
// scrolling in sandbox mode and shows both wallets' distinct marks; money
// reads per language; the same-phone WeChat helper has the QR, the save
// button and the countdown on the first screen; on a desktop the order
// sits beside the payment and the QR is drawn at a whole number of device
// pixels per module; "Cancel and return" cancels and lands on the shop's
// cancel_url; an unknown path says the page does not exist; a partly
// refunded payment's page says how much was refunded.
func TestBrowserShopperTrust(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t)
	b := browserNew(t, app)
	check := func(name, lang string) {
		t.Helper()
		for _, v := range a11yAxe(t, b, string(axe)) {
			t.Errorf("%s in %s: axe: %s", name, lang, v)
		}
		b.screenshot(t, "shopper-"+name+"-"+lang, false)
	}
	wantAmount := map[string]string{"en": "NZ$ 1,234.50", "zh-Hans": "NZ$ 1,234.50", "zh-Hant": "NZ$ 1,234.50"}
	big := app.createPayment(t, map[string]any{"amount": "1234.50"})
	for _, lang := range a11yLangs {
		b.do(t, 15*time.Second, shopperPhone(), chromedp.Navigate(big.CheckoutURL+"?lang="+lang),
			chromedp.WaitVisible(testid("method-alipay")))
		if f := browserEval[[]float64](t, b, shopperFirstScreen); f[0] > f[1] {
			t.Errorf("phone choosing screen in %s scrolls: scrollHeight %v > innerHeight %v", lang, f[0], f[1])
		}
		if got := b.text(t, fmt.Sprintf(sel, "amount")); got != wantAmount[lang] {
			t.Errorf("amount in %s = %q, want %q", lang, got, wantAmount[lang])
		}
		const marks = `['wechat','alipay'].map(m => { const i = document.querySelector('[data-testid="mark-'+m+'"]');
			return i && i.complete && i.naturalWidth > 0 ? i.getAttribute('src') : ''; })`
		if m := browserEval[[]string](t, b, marks); m[0] == "" || m[1] == "" || m[0] == m[1] {
			t.Errorf("wallet marks in %s = %q, want two distinct loaded images", lang, m)
		}
		check("phone-choose", lang)
	}

	same := app.createPayment(t, nil)
	b.do(t, 20*time.Second, shopperPhone(), chromedp.Navigate(same.CheckoutURL),
		chromedp.Click(testid("method-wechat")), chromedp.WaitVisible(testid("samephone-helper")))
	// The QR fills its box on the phone (at least 85% of its container's
	// content width) and, there as on the desktop, is drawn at exactly the
	// device pixels it is shown at, a whole number of them per module.
	qrFits := func(where string, fill float64) {
		t.Helper()
		// The image's own pixels, read from a fresh Image: naturalWidth of
		// an <img> that once had a srcset is divided by its density.
		const fitted = `(() => { const i = document.querySelector('[data-testid="qr"]');
			if (!i || !i.complete || !i.naturalWidth || !i.currentSrc.endsWith('scale=' + i.getAttribute('data-scale'))) { return false; }
			if (window.qrSrc !== i.currentSrc) { window.qrSrc = i.currentSrc; window.qrPx = null;
				const m = new Image(); m.onload = () => { window.qrPx = [m.naturalWidth, m.naturalHeight]; }; m.src = i.currentSrc; }
			return !!window.qrPx; })()`
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fitted, chromedp.WithPollingInterval(25*time.Millisecond))); err != nil {
			t.Fatalf("%s: the QR was not fitted to its box: %v", where, err)
		}
		const geometry = `(() => { const i = document.querySelector('[data-testid="qr"]'), r = i.getBoundingClientRect(),
			p = i.parentElement, cs = getComputedStyle(p);
			return [r.width, r.height, window.qrPx[0], window.qrPx[1], +i.getAttribute('data-modules'), devicePixelRatio,
				p.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)]; })()`
		g := browserEval[[]float64](t, b, geometry)
		w, h, nat, natH, mods, dpr, box := g[0], g[1], g[2], g[3], g[4], g[5], g[6]
		if mods == 0 || nat != natH || math.Abs(w*dpr-nat) > 0.1 || math.Abs(h*dpr-nat) > 0.1 || math.Mod(nat, mods) != 0 {
			t.Errorf("%s: QR shown %vx%v CSS px at DPR %v, drawn %v px for %v modules: want drawn at the device pixels shown, whole pixels per module",
				where, w, h, dpr, nat, mods)
		}
		if w < fill*box {
			t.Errorf("%s: QR %v CSS px wide in a %v px box (%.0f%%), want at least %.0f%%", where, w, box, 100*w/box, 100*fill)
		}
	}
	qrFits("phone", 0.85)
	inner := browserEval[float64](t, b, `innerHeight`)
	for _, id := range []string{"qr", "save-qr", "countdown"} {
		if bottom := browserEval[float64](t, b, bottomOf(id)); bottom > inner {
			t.Errorf("same-phone helper: %s ends at %v px, below the first screen (%v px)", id, bottom, inner)
		}
	}
	check("phone-samephone", "en")

	withCancel := app.createPayment(t, map[string]any{"cancel_url": app.URL + "/shop/cart"})
	b.do(t, 15*time.Second, chromedp.EmulateReset(), chromedp.EmulateViewport(1280, 900))
	b.chooseWeChatQR(t, withCancel.CheckoutURL)
	qrFits("desktop", 0)
	const columns = `(() => { const o = document.querySelector('.order').getBoundingClientRect(),
		p = document.getElementById('panel').getBoundingClientRect(); return p.left >= o.right && p.top < o.bottom; })()`
	if !browserEval[bool](t, b, columns) {
		t.Error("desktop: the order summary is not beside the payment")
	}
	for _, lang := range a11yLangs {
		b.do(t, 15*time.Second, chromedp.Navigate(withCancel.CheckoutURL+"?lang="+lang), chromedp.WaitVisible(testid("qr")))
		check("desktop-qr", lang)
	}
	b.do(t, 15*time.Second, chromedp.Navigate(withCancel.CheckoutURL+"?lang=en"), chromedp.WaitVisible(testid("cancel")))
	if got := b.text(t, fmt.Sprintf(sel, "cancel")); got != "Cancel and return to Kiwi Tea Co" {
		t.Errorf("cancel link = %q", got)
	}
	b.do(t, 15*time.Second, chromedp.Click(testid("cancel")), chromedp.WaitVisible(testid("error")))
	if loc := browserEval[string](t, b, `location.pathname + location.search`); !strings.HasPrefix(loc, "/shop/cart?") || !strings.Contains(loc, "status=canceled") {
		t.Errorf("after cancel the shopper is at %q, want the cancel_url with status=canceled", loc)
	}
	// /shop/cart is no route of ours: the shopper sees the unknown path page.
	if got := b.text(t, fmt.Sprintf(sel, "error")); !strings.Contains(got, "does not exist") || strings.Contains(got, "payment") {
		t.Errorf("unknown path page says %q", got)
	}
	if got := app.payment(t, withCancel.ID).Status; got != "canceled" {
		t.Errorf("after cancel the payment is %q, want canceled", got)
	}
	// The shopper canceled: the page says so, not that the shop did.
	want := map[string]string{"en": "You canceled this payment.", "zh-Hans": "您已取消此订单", "zh-Hant": "您已取消此訂單"}
	for _, lang := range a11yLangs {
		b.do(t, 15*time.Second, chromedp.Navigate(withCancel.CheckoutURL+"?lang="+lang), chromedp.WaitVisible(testid("screen-text")))
		if got := b.text(t, fmt.Sprintf(sel, "screen-text")); !strings.Contains(got, want[lang]) {
			t.Errorf("canceled page in %s says %q", lang, got)
		}
		check("canceled", lang)
		b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/no/such/page?lang="+lang), chromedp.WaitVisible(testid("error")))
		check("unknown-path", lang)
	}

	paid := app.createPayment(t, nil)
	b.chooseWeChatQR(t, paid.CheckoutURL)
	app.simulate(t, b.qrReference(t), "paid")
	b.waitStatus(t, "paid", 5*time.Second)
	for _, lang := range a11yLangs {
		b.do(t, 15*time.Second, chromedp.Navigate(paid.CheckoutURL+"?lang="+lang), chromedp.WaitVisible(testid("receipt")))
		for _, id := range []string{"receipt-amount", "receipt-method", "receipt-time", "receipt-order", "receipt-cny", "receipt-rate"} {
			if strings.TrimSpace(b.text(t, fmt.Sprintf(sel, id))) == "" {
				t.Errorf("paid page in %s: no %s", lang, id)
			}
		}
		// The time paid stays a date and time in the shop's zone: the
		// countdown script must not take it for the countdown.
		if got := b.text(t, fmt.Sprintf(sel, "receipt-time")); !paidTimeText.MatchString(got) {
			t.Errorf("paid page in %s: time paid reads %q, want 2006-01-02 15:04 and the shop's zone", lang, got)
		}
		check("paid", lang)
	}

	// Partly refunded through the merchant API: the page says how much.
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/api/v1/payments/"+paid.ID+"/refunds", strings.NewReader(`{"amount":"2.50"}`))
	req.Header.Set("Authorization", "Bearer "+browserAPIKey)
	req.Header.Set("Content-Type", "application/json")
	app.do(t, req, http.StatusCreated, nil)
	app.waitPayment(t, paid.ID, "partially_refunded", 10*time.Second)
	wantRefunded := map[string]string{"en": "Refunded so far: NZ$ 2.50", "zh-Hans": "已退款：NZ$ 2.50", "zh-Hant": "已退款：NZ$ 2.50"}
	for _, lang := range a11yLangs {
		b.do(t, 15*time.Second, chromedp.Navigate(paid.CheckoutURL+"?lang="+lang), chromedp.WaitVisible(testid("refunded")))
		if got := strings.TrimSpace(b.text(t, fmt.Sprintf(sel, "refunded"))); got != wantRefunded[lang] {
			t.Errorf("partly refunded page in %s says %q, want %q", lang, got, wantRefunded[lang])
		}
		if strings.TrimSpace(b.text(t, fmt.Sprintf(sel, "receipt-amount"))) == "" {
			t.Errorf("partly refunded page in %s: no receipt amount", lang)
		}
		check("refunded", lang)
	}
}

// TestREADMELinkRecipe runs the README's signed-link recipe as a newcomer
// would on a fresh sandbox: with the link secret `go run .` printed, the
// link it echoes opens a checkout.
func TestREADMELinkRecipe(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "\n### Signed payment links")
	if !ok {
		t.Fatal(`README.md has no "### Signed payment links" section`)
	}
	_, block, ok := strings.Cut(sec, "```sh\n")
	block, _, closed := strings.Cut(block, "```")
	if !ok || !closed {
		t.Fatal("the signed links section has no ```sh block")
	}
	a := startApp(t, nil) // the sandbox makes up its own link secret
	secret := a.printed(t, "sandbox link secret (HPP_LINK_SECRET, signs /pay links): ", "")
	// The recipe's sandbox URL, plain or escaped, becomes this app's.
	script := strings.NewReplacer("http://localhost:8080", a.URL,
		url.QueryEscape("http://localhost:8080"), url.QueryEscape(a.URL)).Replace(block)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(), "HPP_LINK_SECRET="+secret)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the README recipe failed: %v\n%s", err, block)
	}
	link := strings.TrimSpace(string(out))
	resp, err := a.client.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/checkout/pay_") {
		t.Errorf("GET %s = %d Location %q, want a 303 to a checkout page", link, resp.StatusCode, loc)
	}
}

// TestREADMEGoVersion: the Go version the README asks for is go.mod's.
func TestREADMEGoVersion(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var want string
	for _, l := range strings.Split(string(mod), "\n") {
		if v, ok := strings.CutPrefix(l, "go "); ok {
			want = strings.TrimSpace(v)
		}
	}
	if want == "" || !strings.Contains(string(readme), "Needs **Go "+want+"** or newer") {
		t.Errorf("README.md does not ask for go.mod's Go %q (\"Needs **Go %s** or newer\")", want, want)
	}
}
