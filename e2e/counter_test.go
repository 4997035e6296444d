package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	qrcode "github.com/skip2/go-qrcode"
)

// counterSale is the sale the counter's script keeps in localStorage.
type counterSale struct {
	Key, ID, Method string
}

// TestCounterBrowser is the shop counter in Chromium against the built
// binary in sandbox mode: the owner sets a PIN and pairs a device from
// the back office with the printed code (the back office's counter page,
// its devices table in a scrolling region, fits a 390 px phone and passes
// axe-core); the device unlocks with the PIN;
// 1 2 5 0 on the keypad reads 12.50; a double tap on WeChat Pay QR makes
// one payment, whose QR screen writes Latipay's yuan estimate as the
// server writes yuan; a reload shows the same sale's QR again; with the page
// offline and its socket cut the sandbox settles the sale paid, and back
// online the page shows the green result without a reload, then returns
// to the keypad after the owner's delay, whose ~CNY estimate while typing
// reads as the server writes yuan in each of the three languages
// ("CN¥ 20,555.51", "￥ 20,555.51"), not as the browser's Intl would.
// axe-core passes on every counter
// page in English, Simplified and Traditional Chinese. Then a pay code
// typed with Enter, whose shopper must type a password, keeps the counter
// amber until the server says paid. Today's sales, with the shift's
// summary, fit a 390 px phone in the three languages.
func TestCounterBrowser(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t)
	signin := app.app.printed(t, "sign in as owner@demo.test with password ", "")
	b := browserNew(t, app)
	b.do(t, 5*time.Second, devtools(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: socketCutter}))
	axeAll := func(name, path string) {
		t.Helper()
		for _, lang := range a11yLangs {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			b.do(t, 15*time.Second, chromedp.Navigate(app.URL+path+sep+"lang="+lang), chromedp.WaitReady(chromedp.CSS("main")))
			if got := browserEval[string](t, b, `document.documentElement.lang`); got != lang {
				t.Errorf("%s in %s: <html lang=%q>", name, lang, got)
			}
			for _, v := range a11yAxe(t, b, string(axe)) {
				t.Errorf("%s in %s: axe: %s", name, lang, v)
			}
		}
	}

	// The owner signs in, sets their own counter PIN and pairs a device.
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/signin?lang=en"),
		chromedp.SendKeys(chromedp.CSS("#email"), "owner@demo.test"), chromedp.SendKeys(chromedp.CSS("#password"), signin),
		chromedp.Click(testid("signin")), chromedp.WaitVisible(testid("admin-nav")))
	axeAll("admin counter", "/admin/counter")
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/counter?lang=en"),
		chromedp.SendKeys(testid("pin-input"), "135790"), chromedp.Click(testid("pin-save")), chromedp.WaitVisible(testid("notice")))
	axeAll("pairing form", "/counter")
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/counter?lang=en"), chromedp.Click(testid("pair-start")),
		chromedp.WaitVisible(testid("pairing-code")))
	code := b.text(t, fmt.Sprintf(sel, "pairing-code"))
	if len(strings.ReplaceAll(code, " ", "")) != 8 {
		t.Fatalf("pairing code %q, want eight digits", code)
	}
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter?lang=en"), chromedp.SendKeys(testid("pair-code"), code),
		chromedp.Click(testid("pair")), chromedp.WaitVisible(testid("unlock-form")))
	axeAll("unlock", "/counter")
	// The result shows for 2 seconds on this device.
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/counter?lang=en"), chromedp.WaitVisible(testid("device-row")),
		chromedp.SetValue(chromedp.CSS(`input[name="seconds"]`), "2"),
		chromedp.Submit(chromedp.CSS(`input[name="seconds"]`)), chromedp.WaitVisible(testid("notice")))
	phoneFitsInLanguages(t, b, "admin counter with a paired device", app.URL+"/admin/counter")
	axeAll("admin counter with a paired device", "/admin/counter")

	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/counter?lang=en"), chromedp.SendKeys(testid("unlock-pin"), "135790"),
		chromedp.Click(testid("unlock")), chromedp.WaitVisible(testid("keypad")))
	axeAll("keypad", "/counter")
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter?lang=en"), chromedp.WaitVisible(testid("keypad")))
	counterDecodes(t, b)
	for _, k := range []string{"1", "2", "5", "0"} {
		b.do(t, 5*time.Second, chromedp.Click(testid("key-"+k)))
	}
	// The keypad writes money as every other page does (the server's
	// formatter), not as the browser's Intl would ("NZ$12.50").
	keypadAmount := b.text(t, fmt.Sprintf(sel, "amount"))
	if keypadAmount != "NZ$ 12.50" {
		t.Fatalf("after 1 2 5 0 the amount reads %q, want NZ$ 12.50", keypadAmount)
	}
	// A double tap: two clicks in one task, before any answer.
	browserEval[bool](t, b, `(() => { const c = document.querySelector('[data-testid="charge-wechat"]'); c.click(); c.click(); return true })()`)
	b.do(t, 15*time.Second, chromedp.WaitVisible(testid("qr-screen")), chromedp.WaitVisible(chromedp.CSS(`#qr-img[src]`)))
	sale := counterStored(t, b)
	if n := app.countPayments(t); n != 1 {
		t.Fatalf("a double tap made %d payments, want 1", n)
	}
	if got := b.text(t, fmt.Sprintf(sel, "qr-amount")); got != keypadAmount {
		t.Errorf("the shopper's QR screen shows %q, the keypad %q: want the same text", got, keypadAmount)
	}
	// Latipay's yuan estimate beside it reads as every page writes yuan,
	// "CN¥ 56.25" in English, not the browser's "CN¥56.25".
	cny := browserEvalAwait[string](t, b, `fetch(document.getElementById('counter').dataset.saleUrl + '`+sale.ID+`?lang=en', {headers: {Accept: 'application/json'}}).then(r => r.json()).then(j => j.amount_cny)`)
	if v, err := strconv.ParseFloat(cny, 64); err != nil {
		t.Errorf("the sale's yuan estimate is %q", cny)
	} else if got, want := b.text(t, fmt.Sprintf(sel, "qr-cny")), "≈ CN¥ "+counterYuan(int64(math.Round(v*100))); got != want {
		t.Errorf("the QR screen's yuan reads %q, want %q", got, want)
	}

	// A reload mid-sale finds the same sale: the QR again, nothing new.
	b.do(t, 15*time.Second, chromedp.Reload(), chromedp.WaitVisible(testid("qr-screen")))
	if again := counterStored(t, b); again.ID != sale.ID || again.Key != sale.Key {
		t.Errorf("after a reload the sale is %+v, want %+v", again, sale)
	}
	if n := app.countPayments(t); n != 1 {
		t.Errorf("a reload made %d payments, want 1", n)
	}
	b.waitSocket(t)
	browserEval[string](t, b, noReload)

	// The connection drops; the sale is paid meanwhile; back online the
	// page resyncs to the server's answer.
	b.do(t, 5*time.Second, browserOffline(true))
	if n := browserEval[int](t, b, `window.__hppCutSockets()`); n < 1 {
		t.Fatalf("cut %d sockets, want the sale's socket cut", n)
	}
	ref := app.payment(t, sale.ID).LatipayReference
	app.simulate(t, ref, "paid")
	app.waitPayment(t, sale.ID, "paid", 10*time.Second)
	if browserEval[bool](t, b, `document.querySelector('[data-testid="qr-screen"]').hidden`) {
		t.Fatal("the offline page left the QR before the server could say paid")
	}
	b.do(t, 5*time.Second, browserOffline(false))
	b.do(t, 15*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"][data-result="paid"]`)))
	if got := b.text(t, fmt.Sprintf(sel, "result")); !strings.Contains(got, "Paid") || !strings.Contains(got, "12.50") || !strings.Contains(got, "WeChat Pay") {
		t.Errorf("the result reads %q, want Paid NZ$ 12.50 WeChat Pay", got)
	}
	if !browserEval[bool](t, b, hasMarker) {
		t.Error("the page reloaded; want the result in place")
	}
	// Back to the keypad after the owner's 2 seconds, for the next sale.
	b.do(t, 15*time.Second, chromedp.WaitVisible(testid("keypad")))
	if got := b.text(t, fmt.Sprintf(sel, "amount")); !strings.Contains(got, "0.00") {
		t.Errorf("the next sale starts at %q, want 0.00", got)
	}
	if got := browserEval[string](t, b, counterKept); got != "" {
		t.Errorf("the finished sale's key is still kept: %s", got)
	}
	// The keypad's estimate while typing 4 5 6 7 8 9 reads as the server
	// writes yuan in each language (the page's rate is Latipay's for the
	// sale just paid): "CN¥ 20,555.51" in English and Traditional Chinese,
	// "￥ 20,555.51" in Simplified Chinese, not Intl's "CN¥20,555.51".
	for lang, symbol := range map[string]string{"en": "CN¥ ", "zh-Hant": "CN¥ ", "zh-Hans": "￥ "} {
		b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter?lang="+lang), chromedp.WaitVisible(testid("keypad")))
		rate, err := strconv.ParseFloat(b.attr(t, "#counter", "data-rate"), 64)
		if err != nil || rate <= 0 {
			t.Fatalf("%s: the keypad's rate is %q (%v), want Latipay's rate of the paid sale", lang, b.attr(t, "#counter", "data-rate"), err)
		}
		for _, k := range []string{"4", "5", "6", "7", "8", "9"} {
			b.do(t, 5*time.Second, chromedp.Click(testid("key-"+k)))
		}
		b.do(t, 5*time.Second, chromedp.WaitVisible(testid("cny")))
		want := "≈ " + symbol + counterYuan(int64(math.Round(float64(456789)/100*rate*100)))
		if got := browserEval[string](t, b, `document.getElementById('cny-value').textContent`); got != want {
			t.Errorf("%s: the keypad's estimate for 4,567.89 reads %q, want %q", lang, got, want)
		}
	}
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter?lang=en"), chromedp.WaitVisible(testid("keypad")))

	// Scan: a keyboard-wedge scanner types the shopper's pay code and
	// Enter. A code of neither wallet is refused on the spot; the
	// sandbox's shopper with code ...11 must type a password, so the
	// counter stays amber until the server knows, then turns green.
	for _, k := range []string{"8", "0", "0"} {
		b.do(t, 5*time.Second, chromedp.Click(testid("key-"+k)))
	}
	b.do(t, 10*time.Second, chromedp.Click(testid("to-scan")), chromedp.WaitVisible(testid("paycode")))
	b.do(t, 10*time.Second, chromedp.SendKeys(testid("paycode"), "994588558514585011\r"), chromedp.WaitVisible(testid("scan-error")))
	if got := b.text(t, fmt.Sprintf(sel, "scan-error")); !strings.Contains(got, "18 digits starting 10 to 15") {
		t.Errorf("a code of neither wallet says %q, want the wallets' rules", got)
	}
	browserEval[bool](t, b, `(document.getElementById('paycode').value = '', true)`)
	b.do(t, 15*time.Second, chromedp.SendKeys(testid("paycode"), "134588558514585011\r"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"][data-result="pending"]`)))
	if got := b.text(t, fmt.Sprintf(sel, "result")); !strings.Contains(got, "do not charge again") {
		t.Errorf("the pending scan reads %q, want still checking", got)
	}
	scanned := counterStored(t, b)
	if p := app.payment(t, scanned.ID); p.Status != "pending" {
		t.Errorf("while amber the payment is %s, want pending", p.Status)
	}
	b.do(t, 60*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"][data-result="paid"]`)))
	if got := b.text(t, fmt.Sprintf(sel, "result")); !strings.Contains(got, "8.00") || !strings.Contains(got, "WeChat Pay") {
		t.Errorf("the scan's result reads %q, want Paid NZ$ 8.00 WeChat Pay", got)
	}
	if n := app.countPayments(t); n != 2 {
		t.Errorf("%d payments after two sales, want 2", n)
	}
	b.do(t, 15*time.Second, chromedp.WaitVisible(testid("keypad")))

	// Latipay refuses a pay code (the sandbox's ...13): the cashier reads
	// why and that nothing was charged, and goes on with the same sale:
	// a QR instead, which they then cancel. A second refused sale left
	// with Back is canceled, not left open.
	refusedSale := func(amount []string) counterSale {
		t.Helper()
		for _, k := range amount {
			b.do(t, 5*time.Second, chromedp.Click(testid("key-"+k)))
		}
		b.do(t, 10*time.Second, chromedp.Click(testid("to-scan")), chromedp.WaitVisible(testid("paycode")))
		b.do(t, 15*time.Second, chromedp.SendKeys(testid("paycode"), "134588558514585013\r"), chromedp.WaitVisible(testid("scan-refused")))
		if got := b.text(t, fmt.Sprintf(sel, "scan-error")); !strings.Contains(got, "Latipay refused the pay code") || !strings.Contains(got, "Nothing was charged") {
			t.Errorf("the refused code says %q, want Latipay's reason and nothing charged", got)
		}
		s := counterStored(t, b)
		if p := app.payment(t, s.ID); p.Status != "created" {
			t.Errorf("the refused sale is %s, want still open (created)", p.Status)
		}
		return s
	}
	refused := refusedSale([]string{"5", "0", "0"})
	for _, v := range a11yAxe(t, b, string(axe)) {
		t.Errorf("scan screen after a refused code: axe: %s", v)
	}
	b.do(t, 15*time.Second, chromedp.Click(testid("scan-charge-wechat")), chromedp.WaitVisible(testid("qr-screen")), chromedp.WaitVisible(chromedp.CSS(`#qr-img[src]`)))
	if again := counterStored(t, b); again.ID != refused.ID {
		t.Errorf("the QR after the refusal is sale %s, want the same sale %s", again.ID, refused.ID)
	}
	b.do(t, 15*time.Second, chromedp.Click(testid("qr-cancel")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"][data-result="failed"]`)))
	app.waitPayment(t, refused.ID, "canceled", 10*time.Second)
	b.do(t, 15*time.Second, chromedp.WaitVisible(testid("keypad")))
	left := refusedSale([]string{"3", "0", "0"})
	b.do(t, 10*time.Second, chromedp.Click(testid("scan-back")), chromedp.WaitVisible(testid("keypad")))
	app.waitPayment(t, left.ID, "canceled", 10*time.Second)

	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter/sales?lang=en"), chromedp.WaitVisible(testid("summary")))
	if got := b.text(t, fmt.Sprintf(sel, "summary")); !strings.Contains(got, "WeChat Pay") || !strings.Contains(got, "20.50") {
		t.Errorf("the shift summary reads %q", got)
	}
	axeAll("today's sales", "/counter/sales")
	phoneFitsInLanguages(t, b, "today's sales", app.URL+"/counter/sales")
	b.finish(t, browserChecks{offline: "net::ERR_INTERNET_DISCONNECTED", fetched: map[string]int64{"/counter/scan": http.StatusUnprocessableEntity}})
}

// counterDecodes has the keypad page read a WeChat Pay code off a QR image
// with the vendored barcode-detector polyfill, as its camera button does
// where the browser has no BarcodeDetector (Chromium on Linux has none):
// the polyfill and its zxing reader come from the app, and the page's
// CSP lets the browser compile the reader.
func counterDecodes(t *testing.T, b *browserSession) {
	t.Helper()
	const payCode = "134588558514585062"
	png, err := qrcode.Encode(payCode, qrcode.Medium, 256)
	if err != nil {
		t.Fatal(err)
	}
	expr := `(async () => {
	  const root = document.getElementById('counter');
	  await new Promise((ok, fail) => { const s = document.createElement('script'); s.src = root.dataset.polyfill; s.onload = ok; s.onerror = fail; document.head.appendChild(s); });
	  const api = window.BarcodeDetectionAPI;
	  api.setZXingModuleOverrides({ locateFile: (path, prefix) => path.endsWith('.wasm') ? root.dataset.wasm : prefix + path });
	  const img = new Image();
	  img.src = 'data:image/png;base64,` + base64.StdEncoding.EncodeToString(png) + `';
	  await img.decode();
	  const codes = await new api.BarcodeDetector({ formats: ['qr_code', 'code_128'] }).detect(img);
	  return codes.map(c => c.rawValue).join(',');
	})()`
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil || got != payCode {
		t.Errorf("the vendored decoder read %q (%v), want %s", got, err, payCode)
	}
}

// counterYuan writes fen yuan fen with a comma every three digits, as
// the server does (views.formatYuan) after the symbol: 2055551 reads
// "20,555.51".
func counterYuan(fen int64) string {
	whole := strconv.FormatInt(fen/100, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s.%02d", b.String(), fen%100)
}

// counterKept is the sale the counter's script keeps for the tab, as
// JSON, empty when none: each tab its own, under its id (a till of before
// kept one for all its tabs).
const counterKept = `localStorage.getItem('hpp-counter-sale:' + sessionStorage.getItem('hpp-counter-tab')) || localStorage.getItem('hpp-counter-sale') || ''`

// counterStored reads the sale the counter's script keeps.
func counterStored(t *testing.T, b *browserSession) counterSale {
	t.Helper()
	raw := browserEval[string](t, b, counterKept)
	var s counterSale
	if err := json.Unmarshal([]byte(raw), &s); err != nil || s.ID == "" || s.Key == "" {
		t.Fatalf("stored sale %q: %v", raw, err)
	}
	return s
}

// countPayments counts the payments the merchant API lists.
func (a *browserApp) countPayments(t *testing.T) int {
	t.Helper()
	var list struct {
		Data []json.RawMessage `json:"data"`
	}
	a.do(t, apiGet(a.URL, browserAPIKey, "/api/v1/payments?limit=100"), http.StatusOK, &list)
	return len(list.Data)
}

// TestCounterStaticQRBrowser: a payment through the shop's static QR
// reaches the paired counter live, in Chromium against the built binary
// in sandbox mode. The owner makes the static QR in the back office and
// pairs and unlocks a counter; a shopper in another tab types an amount
// on the QR's page and pays through the simulator over HTTP. Without a
// reload the keypad shows "Static QR: NZ$ 12.50 paid with WeChat Pay" in
// a polite live region, which the cashier dismisses; axe-core passes on
// the keypad with the notice shown in English, Simplified and
// Traditional Chinese (a payment each). The keypad's ~CNY line shows
// before the device's first sale. Today's sales list the static-QR
// payments on load, marked, and a new one joins the list as a row without
// a reload. One paid while the keypad's socket is down shows once it is
// back.
func TestCounterStaticQRBrowser(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t)
	ctr := browserNew(t, app)
	counterSetUp(t, app, ctr)
	ctr.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/links?lang=en"), chromedp.WaitVisible(testid("link-create")),
		chromedp.SetValue(chromedp.CSS("#kind"), "static_qr"),
		chromedp.SendKeys(chromedp.CSS("#min"), "1"), chromedp.SendKeys(chromedp.CSS("#max"), "500"),
		chromedp.Click(testid("link-create-button")), chromedp.WaitVisible(testid("link-url")))
	linkURL := ctr.text(t, fmt.Sprintf(sel, "link-url"))
	shopper := counterTab(t, ctr)
	// pay has the shopper pay amount at the static QR with WeChat Pay,
	// settled by the simulator; it returns the payment's id.
	pay := func(amount string) string {
		t.Helper()
		shopper.do(t, 20*time.Second, chromedp.Navigate(linkURL+"?lang=en"), chromedp.WaitVisible(testid("link-form")),
			chromedp.SetValue(chromedp.CSS("#amount"), amount), chromedp.Click(testid("link-pay")),
			chromedp.WaitVisible(testid("method-wechat")))
		checkout := browserEval[string](t, shopper, `location.href`)
		id := regexp.MustCompile(`pay_(?:[0-9a-z]{7})?[0-9a-z]{26}`).FindString(checkout)
		shopper.chooseWeChatQR(t, checkout)
		app.simulate(t, shopper.qrReference(t), "paid")
		app.waitPayment(t, id, "paid", 15*time.Second)
		return id
	}
	// open shows a counter page in lang with its socket open.
	open := func(path, lang string) {
		t.Helper()
		ctr.do(t, 20*time.Second, chromedp.Navigate(app.URL+path+"?lang="+lang),
			chromedp.WaitReady(chromedp.CSS(`#counter-live[data-live="on"]`)))
		browserEval[string](t, ctr, noReload)
	}
	stillHere := func(what string) {
		t.Helper()
		if browserEval[string](t, ctr, `window.__hppNoReload || ''`) != "still here" {
			t.Errorf("%s: the page reloaded", what)
		}
	}

	open("/counter", "en")
	pay("12.50")
	ctr.do(t, 20*time.Second, chromedp.WaitVisible(testid("static-notice")))
	stillHere("the notice")
	if got := ctr.text(t, fmt.Sprintf(sel, "static-notice")); !strings.Contains(got, "Static QR: NZ$") || !strings.Contains(got, "12.50 paid with WeChat Pay") {
		t.Errorf("the keypad's notice reads %q", got)
	}
	if got := ctr.attr(t, "#counter-live", "aria-live"); got != "polite" {
		t.Errorf("the notices' region is aria-live=%q, want polite", got)
	}
	for _, v := range a11yAxe(t, ctr, string(axe)) {
		t.Errorf("keypad with the notice in en: axe: %s", v)
	}
	ctr.do(t, 10*time.Second, chromedp.Click(testid("notice-dismiss")),
		chromedp.WaitNotPresent(testid("static-notice")))

	// The device has made no sale, yet the keypad's ~CNY line shows: the
	// rate Latipay gave the shop's static-QR payment (the handlers' and
	// the counter's tests cover the rate of an earlier day).
	open("/counter", "en")
	ctr.do(t, 10*time.Second, chromedp.Click(testid("key-5")), chromedp.WaitVisible(testid("cny")))
	if got := browserEval[string](t, ctr, `document.getElementById('cny-value').textContent`); !strings.Contains(got, "≈") {
		t.Errorf("the ~CNY line before the device's first sale reads %q", got)
	}
	ctr.do(t, 5*time.Second, chromedp.Click(testid("key-C")))

	for i, lang := range []string{"zh-Hans", "zh-Hant"} {
		open("/counter", lang)
		pay(fmt.Sprintf("%d.00", 3+i))
		ctr.do(t, 20*time.Second, chromedp.WaitVisible(testid("static-notice")))
		if got := ctr.text(t, fmt.Sprintf(sel, "static-notice")); !strings.Contains(got, map[string]string{"zh-Hans": "固定收款码", "zh-Hant": "固定收款碼"}[lang]) {
			t.Errorf("the notice in %s reads %q", lang, got)
		}
		for _, v := range a11yAxe(t, ctr, string(axe)) {
			t.Errorf("keypad with the notice in %s: axe: %s", lang, v)
		}
	}

	// Today's sales: the three on load, then a fourth joins live.
	open("/counter/sales", "en")
	if n := browserEval[int](t, ctr, `document.querySelectorAll('[data-testid="sale-row"] [data-testid="sale-static-qr"]').length`); n != 3 {
		t.Errorf("today's sales list %d static-QR payments on load, want 3", n)
	}
	id := pay("4.20")
	row := fmt.Sprintf(`[data-testid="sale-row"][data-id="%s"]`, id)
	ctr.do(t, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(row)))
	stillHere("the new row")
	if got := ctr.text(t, row); !strings.Contains(got, "4.20") || !strings.Contains(got, "Static QR") || strings.Contains(got, "Cancel") {
		t.Errorf("the new row reads %q", got)
	}
	if first := browserEval[string](t, ctr, `document.querySelector('[data-testid="sale-row"]').getAttribute('data-id')`); first != id {
		t.Errorf("the new row is not at the top (the top is %s)", first)
	}
	for _, v := range a11yAxe(t, ctr, string(axe)) {
		t.Errorf("today's sales with a live row and notice: axe: %s", v)
	}

	// The keypad's socket is down (offline, cut) while a shopper pays at
	// the static QR; back online, the reopened socket sends what was paid
	// meanwhile and the notice shows, without a reload.
	ctr.do(t, 5*time.Second, devtools(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: socketCutter}))
	open("/counter", "en")
	ctr.do(t, 5*time.Second, browserOffline(true))
	if n := browserEval[int](t, ctr, `window.__hppCutSockets()`); n < 1 {
		t.Fatalf("cut %d sockets, want the keypad's live socket cut", n)
	}
	ctr.do(t, 10*time.Second, chromedp.WaitReady(chromedp.CSS(`#counter-live[data-live="off"]`)))
	missed := pay("6.40")
	ctr.do(t, 5*time.Second, browserOffline(false))
	notice := fmt.Sprintf(`#counter-live [data-id="%s"]`, missed)
	ctr.do(t, 30*time.Second, chromedp.WaitVisible(chromedp.CSS(notice)))
	stillHere("the notice paid while the socket was down")
	if got := ctr.text(t, notice); !strings.Contains(got, "6.40") {
		t.Errorf("the notice paid while the socket was down reads %q", got)
	}
}

// clockShift, run in every document of a tab, moves the page's Date.now
// on by the milliseconds kept in sessionStorage (window.__hppShift adds
// to them): a countdown's last minute is reached without waiting for it,
// and a reload keeps the shifted clock.
const clockShift = `(() => {
  const now = Date.now, key = '__hppShift';
  const shift = () => Number(sessionStorage.getItem(key) || 0);
  Date.now = () => now() + shift();
  window.__hppShift = ms => { sessionStorage.setItem(key, String(shift() + ms)); return true; };
})()`

// TestCounterFocusAndAnnounceBrowser is the counter with a keyboard and a
// screen reader, in Chromium against the built binary in sandbox mode:
// each screen change moves the focus into the new screen (the QR's
// heading after WeChat Pay QR, the result's after Cancel sale, the
// keypad's after Next sale, the result's after a scan that is still
// checking), never leaving it on <body>; the QR screen's appearance is
// said in the polite live region ("Showing WeChat Pay QR, NZ$ 12.50"),
// and so is its last minute; the result's live region holds the message,
// not its buttons. A pay code the till refuses marks the field invalid
// and described by the error, cleared again by the next key.
func TestCounterFocusAndAnnounceBrowser(t *testing.T) {
	app := browserStartApp(t)
	b := browserNew(t, app)
	b.do(t, 5*time.Second, devtools(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: clockShift}))
	counterSetUp(t, app, b)
	focused := func(want, after string) {
		t.Helper()
		if got := browserEval[string](t, b, `document.activeElement.id || document.activeElement.tagName`); got != want {
			t.Errorf("after %s the focus is on %q, want #%s", after, got, want)
		}
	}
	said := func(want, what string) {
		t.Helper()
		adminWaitJS(t, b, what, `document.getElementById('counter-say').textContent === `+strconv.Quote(want), 15*time.Second)
	}

	for _, k := range []string{"1", "2", "5", "0"} {
		b.do(t, 5*time.Second, chromedp.Click(testid("key-"+k)))
	}
	b.do(t, 15*time.Second, chromedp.Click(testid("charge-wechat")), chromedp.WaitVisible(chromedp.CSS(`#qr-img[src]`)))
	focused("qr-title", "WeChat Pay QR")
	said("Showing WeChat Pay QR, NZ$ 12.50", "the QR screen said")
	// Four minutes and a half on, the QR's last minute is said once.
	browserEval[bool](t, b, `window.__hppShift(270000)`)
	said("Less than a minute left for the shopper to pay with this QR.", "the QR's last minute said")
	browserEval[bool](t, b, `window.__hppShift(-270000)`)

	b.do(t, 15*time.Second, chromedp.Click(testid("qr-cancel")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"][data-result="failed"]`)))
	focused("result-title", "Cancel sale")
	if n := browserEval[int](t, b, `document.querySelectorAll('#result [aria-live] button, #result[aria-live] button').length`); n != 0 {
		t.Errorf("the result's live region holds %d buttons, read in every announcement; want the message alone", n)
	}
	if got := browserEval[string](t, b, `(document.querySelector('#result [aria-live]') || {}).textContent || ''`); !strings.Contains(got, "12.50") {
		t.Errorf("the result's live region reads %q, want the result with its amount", got)
	}
	b.do(t, 15*time.Second, chromedp.Click(testid("result-done")), chromedp.WaitVisible(testid("keypad")))
	focused("keypad-title", "Next sale")

	// A code of neither wallet: the field is invalid, described by the
	// error, until the cashier types again.
	for _, k := range []string{"8", "0", "0"} {
		b.do(t, 5*time.Second, chromedp.Click(testid("key-"+k)))
	}
	b.do(t, 10*time.Second, chromedp.Click(testid("to-scan")), chromedp.WaitVisible(testid("paycode")))
	focused("paycode", "Scan code")
	b.do(t, 10*time.Second, chromedp.SendKeys(testid("paycode"), "994588558514585011\r"), chromedp.WaitVisible(testid("scan-error")))
	if got := b.attr(t, "#paycode", "aria-invalid"); got != "true" {
		t.Errorf("a refused code leaves the field aria-invalid=%q, want true", got)
	}
	if got := b.attr(t, "#paycode", "aria-describedby"); !strings.Contains(" "+got+" ", " scan-error ") || !strings.Contains(got, "scan-hint") {
		t.Errorf("a refused code leaves the field described by %q, want scan-hint and scan-error", got)
	}
	browserEval[bool](t, b, `(document.getElementById('paycode').value = '', true)`)
	b.do(t, 5*time.Second, chromedp.SendKeys(testid("paycode"), "1"))
	if got := browserEval[bool](t, b, `document.getElementById('paycode').hasAttribute('aria-invalid')`); got {
		t.Error("a new key leaves the field aria-invalid")
	}
	if got := b.attr(t, "#paycode", "aria-describedby"); strings.Contains(got, "scan-error") {
		t.Errorf("a new key leaves the field described by %q, want the hint alone", got)
	}
	// The sandbox's ...11 code: still checking, then paid.
	browserEval[bool](t, b, `(document.getElementById('paycode').value = '', true)`)
	b.do(t, 15*time.Second, chromedp.SendKeys(testid("paycode"), "134588558514585011\r"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"][data-result="pending"]`)))
	focused("result-title", "a scan still checking")
}
