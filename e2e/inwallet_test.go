package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// a11yAlipayUA is Alipay's in-app browser on an Android phone.
const a11yAlipayUA = "Mozilla/5.0 (Linux; U; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100 Mobile Safari/537.36 AlipayClient/10.5.90.8000 Language/zh-Hans"

// walletBrowsers are the wallets' own browsers, by the method each pays.
var walletBrowsers = map[string]string{"wechat": a11yWeChatUA, "alipay": a11yAlipayUA}

// browserQRChosenOnDesktop opens a new payment's checkout on a desktop
// and chooses method, whose QR the page then shows; it returns the
// payment's checkout URL.
func browserQRChosenOnDesktop(t *testing.T, app *browserApp, b *browserSession, method string) string {
	t.Helper()
	p := app.createPayment(t, nil)
	b.do(t, 30*time.Second, chromedp.EmulateReset(), a11yIdentity(a11yDesktop, "en"), chromedp.Navigate(p.CheckoutURL),
		chromedp.WaitVisible(testid("method-"+method)), chromedp.Click(testid("method-"+method)), chromedp.WaitVisible(testid("qr")))
	return p.CheckoutURL
}

// TestBrowserOtherWalletQRInWallet: a QR chosen on a computer, opened
// inside the other wallet's browser (an Alipay QR inside WeChat, a
// WeChat Pay QR inside Alipay), where it cannot be paid. On a 360 px
// phone at 200% text, in English, Simplified and Traditional Chinese, the
// page says so, offers the wallet it is open in right here and how to
// open the page elsewhere, and passes axe; paying here goes through
// Latipay's page and the payment is paid by the wallet it is open in.
func TestBrowserOtherWalletQRInWallet(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t)
	b := browserNew(t, app)
	for _, tc := range []struct{ qr, here string }{{"alipay", "wechat"}, {"wechat", "alipay"}} {
		checkout := browserQRChosenOnDesktop(t, app, b, tc.qr)
		b.do(t, 10*time.Second, chromedp.EmulateViewport(narrowPhone, 740, chromedp.EmulateMobile, chromedp.EmulateTouch),
			a11yIdentity(walletBrowsers[tc.here], "zh-CN"))
		for _, lang := range a11yLangs {
			what := fmt.Sprintf("%s QR inside %s's browser in %s", tc.qr, tc.here, lang)
			b.do(t, 20*time.Second, chromedp.Navigate(checkout+"?lang="+lang), chromedp.WaitVisible(testid("qr-elsewhere")))
			for _, id := range []string{"switch-here-button", "qr-open-elsewhere", "qr"} {
				if !browserEval[bool](t, b, fmt.Sprintf(`!!document.querySelector('[data-testid="%s"]')`, id)) {
					t.Errorf("%s: no %s", what, id)
				}
			}
			if got := b.attr(t, fmt.Sprintf(sel, "switch-here-button"), "value"); got != tc.here {
				t.Errorf("%s: the button pays with %q, want %q", what, got, tc.here)
			}
			for _, v := range a11yAxeImpacts(t, b, string(axe), true) {
				t.Errorf("%s: axe: %s", what, v)
			}
			fitsLargeText(t, b, what)
			b.screenshot(t, "other-wallet-"+tc.qr+"-in-"+tc.here+"-"+lang, false)
		}
		b.do(t, 20*time.Second, chromedp.Click(testid("switch-here-button")), chromedp.WaitVisible(testid("sim-pay")))
		if loc := browserEval[string](t, b, `location.pathname`); !strings.HasPrefix(loc, "/sandbox/latipay/") {
			t.Errorf("%s QR, paying with %s here: at %q, want Latipay's page", tc.qr, tc.here, loc)
		}
		b.do(t, 15*time.Second, chromedp.Click(testid("sim-pay")), chromedp.WaitVisible(testid("status")))
		b.waitStatus(t, "paid", 10*time.Second)
		id := checkout[strings.LastIndex(checkout, "/")+1:]
		if p := app.payment(t, id); p.Status != "paid" || p.PaymentMethod != tc.here || p.NeedsReview {
			t.Errorf("%s QR, paid with %s here: payment %s by %s, review %v", tc.qr, tc.here, p.Status, p.PaymentMethod, p.NeedsReview)
		}
	}
}

// TestBrowserPayHereNoScanLine: a QR chosen on a computer, opened inside
// its own wallet's browser (WeChat Pay's QR inside WeChat, Alipay's
// inside Alipay), offers paying here; the line under the code no longer
// says to open the wallet and scan it, which that phone cannot do, but
// to scan it from another phone. On a computer the line stays as it
// was. On a 360 px phone at 200% text, in English, Simplified and
// Traditional Chinese, with axe.
func TestBrowserPayHereNoScanLine(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t)
	b := browserNew(t, app)
	scan := map[string]map[string]string{ // method -> lang -> the line under the code, on a computer
		"wechat": {"en": "Open WeChat, tap + then Scan, and scan this code.", "zh-Hans": "打开微信，点击右上角「+」，选择「扫一扫」扫描此二维码。", "zh-Hant": "開啟微信，點選右上角「+」，選擇「掃一掃」掃描此二維碼。"},
		"alipay": {"en": "Open Alipay, tap Scan, and scan this code.", "zh-Hans": "打开支付宝，点击「扫一扫」扫描此二维码。", "zh-Hant": "開啟支付寶，點選「掃一掃」掃描此二維碼。"},
	}
	other := map[string]map[string]string{ // the same, inside a wallet's browser
		"wechat": {"en": "Or scan this code with WeChat on another phone.", "zh-Hans": "也可以用另一部手机的微信扫描此二维码。", "zh-Hant": "也可以用另一支手機的微信掃描此二維碼。"},
		"alipay": {"en": "Or scan this code with Alipay on another phone.", "zh-Hans": "也可以用另一部手机的支付宝扫描此二维码。", "zh-Hant": "也可以用另一支手機的支付寶掃描此二維碼。"},
	}
	for _, m := range []string{"wechat", "alipay"} {
		checkout := browserQRChosenOnDesktop(t, app, b, m)
		for _, lang := range a11yLangs {
			b.do(t, 20*time.Second, chromedp.Navigate(checkout+"?lang="+lang), chromedp.WaitVisible(testid("qr")))
			if body := browserEval[string](t, b, `document.querySelector('main').innerText`); !strings.Contains(body, scan[m][lang]) || strings.Contains(body, other[m][lang]) {
				t.Errorf("%s QR on a computer in %s: want %q under the code, not %q", m, lang, scan[m][lang], other[m][lang])
			}
		}
		b.do(t, 10*time.Second, chromedp.EmulateViewport(narrowPhone, 740, chromedp.EmulateMobile, chromedp.EmulateTouch),
			a11yIdentity(walletBrowsers[m], "zh-CN"))
		for _, lang := range a11yLangs {
			what := fmt.Sprintf("%s QR inside its wallet in %s", m, lang)
			b.do(t, 20*time.Second, chromedp.Navigate(checkout+"?lang="+lang), chromedp.WaitVisible(testid("pay-here-button")))
			if body := browserEval[string](t, b, `document.querySelector('main').innerText`); strings.Contains(body, scan[m][lang]) || !strings.Contains(body, other[m][lang]) {
				t.Errorf("%s: the page says %q under the code; want %q", what, scan[m][lang], other[m][lang])
			}
			for _, v := range a11yAxeImpacts(t, b, string(axe), true) {
				t.Errorf("%s: axe: %s", what, v)
			}
			fitsLargeText(t, b, what)
			b.screenshot(t, "pay-here-"+m+"-"+lang, false)
		}
	}
}
