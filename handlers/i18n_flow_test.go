package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

const (
	flowWeChatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
	flowAlipayUA = "Mozilla/5.0 (Linux; U; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100 Mobile Safari/537.36 AlipayClient/10.5.90.8000 Language/zh-Hant"
)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// TestPhoneZhCNAlipayFlowInChinese: a phone with Accept-Language zh-CN
// sees Simplified Chinese; an explicit switch to Traditional Chinese is
// carried through the start form, the return URL given to Latipay and the
// result page.
func TestPhoneZhCNAlipayFlowInChinese(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	w := app.do(t, "GET", "/checkout/"+p.ID, nil, hdr("User-Agent", phoneUA, "Accept-Language", "zh-CN,zh;q=0.9"))
	doc := mustDoc(t, w)
	if got, _ := doc.Find("html").Attr("lang"); got != "zh-Hans" {
		t.Fatalf("<html lang> = %q, want zh-Hans", got)
	}
	if got := testid(doc, "method-alipay").Text(); got != "支付宝" {
		t.Errorf("alipay button = %q, want 支付宝", got)
	}
	if href, _ := testid(doc, "lang-zh-Hant").Attr("href"); href != "/checkout/"+p.ID+"?lang=zh-Hant" {
		t.Errorf("switch link = %q", href)
	}
	// The shopper switches to Traditional Chinese.
	doc = mustDoc(t, app.do(t, "GET", "/checkout/"+p.ID+"?lang=zh-Hant", nil, hdr("User-Agent", phoneUA, "Accept-Language", "zh-CN")))
	action, _ := doc.Find("form.methods").Attr("action")
	if action != "/checkout/"+p.ID+"/start?lang=zh-Hant" {
		t.Fatalf("start form action = %q, want the language carried", action)
	}
	w = app.do(t, "POST", action, strings.NewReader("method=alipay"),
		hdr("Content-Type", "application/x-www-form-urlencoded", "Origin", app.AppURL, "User-Agent", phoneUA))
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), app.SimURL) {
		t.Fatalf("start = %d %q, want a redirect to Latipay", w.Code, w.Header().Get("Location"))
	}
	got, _ := app.Store.Payment(context.Background(), p.ID)
	tx, ok := app.Sim.Transaction(got.LatipayReference)
	if !ok || !strings.HasSuffix(tx.ReturnURL, "/return?lang=zh-Hant") {
		t.Fatalf("return_url given to Latipay = %q, want it to carry lang=zh-Hant", tx.ReturnURL)
	}
	if err := app.Sim.Pay(got.LatipayReference); err != nil {
		t.Fatal(err)
	}
	ret, _ := url.Parse(tx.ReturnURL)
	w = app.do(t, "GET", ret.RequestURI(), nil, hdr("User-Agent", phoneUA, "Accept-Language", "en"))
	doc = mustDoc(t, w)
	if lang, _ := doc.Find("html").Attr("lang"); lang != "zh-Hant" || testid(doc, "status").Text() != "付款成功" {
		t.Errorf("result page lang %q status %q, want zh-Hant 付款成功", lang, testid(doc, "status").Text())
	}
}

// TestWeChatBrowserOffersOnlyWeChat: inside WeChat only WeChat Pay, plus
// the guide to Alipay in the phone's browser; inside Alipay only Alipay,
// plus the guide to WeChat Pay in WeChat.
func TestWeChatBrowserOffersOnlyWeChat(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	doc := mustDoc(t, app.do(t, "GET", "/checkout/"+p.ID, nil, hdr("User-Agent", flowWeChatUA)))
	if n := doc.Find("button.method").Length(); n != 1 || testid(doc, "method-wechat").Length() != 1 {
		t.Errorf("in WeChat: %d method buttons, want WeChat Pay only", n)
	}
	if testid(doc, "wechat-alipay-guide").Length() != 1 {
		t.Error("in WeChat: no guide to pay with Alipay in the browser")
	}
	if lang, _ := doc.Find("html").Attr("lang"); lang != "zh-Hans" {
		t.Errorf("WeChat Language/zh_CN gave lang %q, want zh-Hans", lang)
	}
	doc = mustDoc(t, app.do(t, "GET", "/checkout/"+p.ID, nil, hdr("User-Agent", flowAlipayUA)))
	if n := doc.Find("button.method").Length(); n != 1 || testid(doc, "method-alipay").Length() != 1 || testid(doc, "wechat-alipay-guide").Length() != 0 {
		t.Errorf("in Alipay: %d method buttons, want Alipay only", n)
	}
	if lang, _ := doc.Find("html").Attr("lang"); lang != "zh-Hant" {
		t.Errorf("Alipay Language/zh-Hant gave lang %q", lang)
	}
	// WeChat Pay does not vanish without a word inside Alipay.
	if g := testid(doc, "alipay-wechat-guide"); !strings.Contains(g.Text(), "支付寶內無法使用微信支付") {
		t.Errorf("in Alipay: the guide to WeChat Pay says %q", g.Text())
	}
	doc = mustDoc(t, app.do(t, "GET", "/checkout/"+p.ID+"?lang=en", nil, hdr("User-Agent", flowAlipayUA)))
	if got := strings.TrimSpace(testid(doc, "alipay-wechat-guide").Find("h3").Text()); got != "Want to pay with WeChat Pay?" {
		t.Errorf("in Alipay, in English: the guide's heading is %q", got)
	}
	for _, ua := range []string{flowWeChatUA, phoneUA} {
		if testid(mustDoc(t, app.do(t, "GET", "/checkout/"+p.ID, nil, hdr("User-Agent", ua))), "alipay-wechat-guide").Length() != 0 {
			t.Errorf("the guide to WeChat Pay shows outside Alipay (%s)", ua)
		}
	}
}

// TestSamePhoneWeChatHelper: a phone browser choosing WeChat Pay gets our
// QR with the save button, the steps and the copyable link.
func TestSamePhoneWeChatHelper(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	if w := app.start(t, p.ID, "wechat", phoneUA); w.Code != http.StatusSeeOther {
		t.Fatalf("start = %d", w.Code)
	}
	doc := mustDoc(t, app.do(t, "GET", "/checkout/"+p.ID, nil, hdr("User-Agent", phoneUA, "Accept-Language", "zh-CN")))
	if testid(doc, "samephone-helper").Length() != 1 {
		t.Fatal("no same-phone helper")
	}
	save := testid(doc, "save-qr")
	href, _ := save.Attr("href")
	if _, ok := save.Attr("download"); !ok || !strings.HasPrefix(href, "/checkout/"+p.ID+"/qr.png") {
		t.Errorf("save button href %q, want a download of the QR image", href)
	}
	if w := app.do(t, "GET", href, nil, nil); w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/png" {
		t.Errorf("GET %s = %d %q", href, w.Code, w.Header().Get("Content-Type"))
	}
	if n := doc.Find(".steps img").Length(); n != 3 {
		t.Errorf("%d step pictures, want 3", n)
	}
	src, _ := doc.Find(".steps img").First().Attr("src")
	if w := app.do(t, "GET", src, nil, nil); w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("GET %s = %d %q", src, w.Code, w.Header().Get("Content-Type"))
	}
	if v, _ := testid(doc, "open-link").Attr("value"); v != app.AppURL+"/checkout/"+p.ID+"?lang=zh-Hans" {
		t.Errorf("open-in-WeChat link = %q", v)
	}
	if _, hidden := testid(doc, "copy-link").Attr("hidden"); !hidden {
		t.Error("the copy button shows without script; the input is the no-JS fallback")
	}
	// A desktop gets the plain QR.
	doc = mustDoc(t, app.do(t, "GET", "/checkout/"+p.ID, nil, nil))
	if testid(doc, "qr").Length() != 1 || testid(doc, "samephone-helper").Length() != 0 {
		t.Error("desktop: want the QR without the same-phone helper")
	}
}

// TestQRRefresh: near the end of a QR's life the page gets a fresh Latipay
// transaction, the old one is canceled at Latipay, and a callback for the
// old reference (scanned just before) is matched: paid, and on time, as
// the window was still open; the shopper is not told it was late.
func TestQRRefresh(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	old := app.mustStartQR(t, p.ID)
	doc := app.page(t, p.ID)
	qr := testid(doc, "qr-block")
	at, _ := qr.Attr("data-refresh-at")
	refreshURL, _ := qr.Attr("data-refresh-url")
	before := app.MustGet(t, p.ID)
	if want := before.CreatedAt.Add(payments.QRLifetime - payments.QRRefreshLead); at == "" || refreshURL == "" {
		t.Fatalf("QR block has no refresh time/URL (want %s)", want)
	}
	post := func() {
		t.Helper()
		w := app.do(t, "POST", refreshURL, strings.NewReader("reference="+old),
			hdr("Content-Type", "application/x-www-form-urlencoded", "Origin", app.AppURL))
		if w.Code != http.StatusOK {
			t.Fatalf("POST refresh = %d %s", w.Code, w.Body)
		}
	}
	post() // too early: nothing changes
	if got := app.MustGet(t, p.ID); got.LatipayReference != old || got.Version != before.Version {
		t.Fatalf("an early refresh replaced the QR: %+v", got)
	}
	app.Clock.Advance(payments.QRLifetime - payments.QRRefreshLead + time.Second)
	post()
	got := app.MustGet(t, p.ID)
	if got.LatipayReference == old || got.Status != payments.StatusPending || got.Version <= before.Version {
		t.Fatalf("after refresh: reference %s (old %s) status %s version %d", got.LatipayReference, old, got.Status, got.Version)
	}
	if tx, _ := app.Sim.Transaction(old); tx.Status != "canceled" {
		t.Errorf("old transaction at Latipay is %q, want canceled", tx.Status)
	}
	doc = app.page(t, p.ID)
	if ref, _ := testid(doc, "qr-block").Attr("data-reference"); ref != got.LatipayReference {
		t.Errorf("page shows QR %s, want the fresh %s", ref, got.LatipayReference)
	}
	post() // a second tab asking about the old QR changes nothing
	if again := app.MustGet(t, p.ID); again.LatipayReference != got.LatipayReference {
		t.Error("a stale refresh replaced the fresh QR")
	}
	// The shopper had scanned the old code: its callback still counts.
	if err := app.Svc.HandleNotification(context.Background(), paymentstest.Notification(old, "wechat", "paid", "NZD", "12.50")); err != nil {
		t.Fatalf("late callback for the old reference: %v", err)
	}
	if final := app.MustGet(t, p.ID); final.Status != payments.StatusPaid || final.PaidLate {
		t.Errorf("after the old reference paid: status %s paid_late %v, want paid on time", final.Status, final.PaidLate)
	}
	if body := app.page(t, p.ID).Text(); strings.Contains(body, "after the time limit") {
		t.Errorf("the shopper's page says the payment was late: %q", body)
	}
}

// TestEveryServedPageInEveryLanguage: home, error pages and the checkout
// in each language through the real router, with the switch present.
func TestEveryServedPageInEveryLanguage(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	for _, lang := range []string{"en", "zh-Hans", "zh-Hant"} {
		for _, path := range []string{"/", "/checkout/" + p.ID, "/checkout/pay_00000000000000000000000000", "/no/such/page", "/pay?amount=1"} {
			w := app.do(t, "GET", path+map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")]+"lang="+lang, nil, nil)
			doc := mustDoc(t, w)
			if got, _ := doc.Find("html").Attr("lang"); got != lang {
				t.Errorf("%s in %s: <html lang=%q>", path, lang, got)
			}
			if testid(doc, "lang-switch").Find("a").Length() != 3 {
				t.Errorf("%s in %s: no language switch", path, lang)
			}
			if w.Header().Get("Content-Language") != lang {
				t.Errorf("%s in %s: Content-Language %q", path, lang, w.Header().Get("Content-Language"))
			}
		}
	}
}

// TestBrowsersAcceptLanguage: the Accept-Language headers real browsers
// send, through the router to a checkout page. The first listed language
// decides the script: Chrome in Hong Kong or Macau lists its region first
// and then a plain "zh", which must not turn the page Simplified.
func TestBrowsersAcceptLanguage(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	for _, tc := range []struct{ browser, accept, want string }{
		{"Chrome, Hong Kong", "zh-HK,zh;q=0.9,en-US;q=0.8,en;q=0.7", "zh-Hant"},
		{"Chrome, Macau", "zh-MO,zh;q=0.9", "zh-Hant"},
		{"Chrome, Taiwan", "zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7", "zh-Hant"},
		{"Firefox, Taiwan", "zh-TW,zh;q=0.8,en-US;q=0.5,en;q=0.3", "zh-Hant"},
		{"Safari, Hong Kong", "zh-HK", "zh-Hant"},
		{"Safari, Traditional script", "zh-Hant-HK", "zh-Hant"},
		{"Safari, Traditional, no region", "zh-Hant", "zh-Hant"},
		{"Simplified in Hong Kong", "zh-Hans-HK,zh-HK;q=0.9", "zh-Hans"},
		{"Chrome, mainland", "zh-CN,zh;q=0.9", "zh-Hans"},
		{"Edge, mainland", "zh-CN,zh;q=0.9,en;q=0.8,en-GB;q=0.7,en-US;q=0.6", "zh-Hans"},
		{"Chrome, Singapore", "zh-SG,zh;q=0.9,en;q=0.8", "zh-Hans"},
		{"Safari, Simplified", "zh-Hans-CN", "zh-Hans"},
		{"plain zh", "zh", "zh-Hans"},
		{"English first, Hong Kong", "en-HK,en;q=0.9,zh-HK;q=0.8", "en"},
		{"French first, then Hong Kong", "fr-FR,fr;q=0.9,zh-HK;q=0.8", "zh-Hant"},
		{"French only", "fr-FR,fr;q=0.9", "en"},
	} {
		doc := mustDoc(t, app.do(t, "GET", "/checkout/"+p.ID, nil, hdr("User-Agent", phoneUA, "Accept-Language", tc.accept)))
		if got, _ := doc.Find("html").Attr("lang"); got != tc.want {
			t.Errorf("%s (%q): <html lang> = %q, want %q", tc.browser, tc.accept, got, tc.want)
		}
	}
}
