package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
)

// The back office's home, live feed and reports end to end: in Chromium
// on the sandbox (the demo owner), and on two instances sharing one
// PostgreSQL database.

// adminWaitJS polls a JavaScript condition in the page until it holds or
// within passes.
func adminWaitJS(t *testing.T, b *browserSession, what, cond string, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, within)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		t.Fatalf("waited %v for %s: %v", within, what, err)
	}
}

// adminPayInOtherTab pays a new payment through the sandbox in a second
// tab, as a shopper elsewhere would, and returns its id.
func adminPayInOtherTab(t *testing.T, app *browserApp, b *browserSession, reference string) string {
	t.Helper()
	p := app.createPayment(t, map[string]any{"reference": reference})
	tab, cancel := chromedp.NewContext(b.ctx)
	defer cancel()
	// The first Do binds the tab to tab's own context (not to a deadline
	// of one action, whose end would close it).
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a second tab: %v", err)
	}
	shopper := &browserSession{ctx: tab, rec: b.rec, app: app}
	shopper.chooseWeChatQR(t, p.CheckoutURL)
	app.simulate(t, shopper.qrReference(t), "paid")
	return p.ID
}

// TestAdminLiveBrowser: signed in as the sandbox's demo owner, the
// payments list and the home page show a payment paid through the
// sandbox in another tab as it happens, without a reload (a marker set in
// the page survives): the list's new row at the top, paid; the home's
// feed entry and today's totals. axe-core passes on the home and the
// reports in English, Simplified and Traditional Chinese.
func TestAdminLiveBrowser(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t)
	b := browserNew(t, app)
	adminDemoSignIn(t, app, b)

	live := `document.documentElement.getAttribute('data-live') === 'on'`
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/payments?lang=en"), chromedp.WaitReady(testid("payments")))
	adminWaitJS(t, b, "the list's feed socket", live, 10*time.Second)
	browserEval[bool](t, b, `window.__noReload = true`)
	id := adminPayInOtherTab(t, app, b, "LIVE-LIST-1")
	row := fmt.Sprintf(`[data-testid="payment-row"][data-id=%q]`, id)
	adminWaitJS(t, b, "the paid payment at the top of the list",
		`(() => { const r = document.querySelector('[data-testid="payments"] tbody tr'); return !!r && r.matches('`+row+`') && r.textContent.includes('Payment successful'); })()`,
		10*time.Second)
	if !browserEval[bool](t, b, `window.__noReload === true`) {
		t.Error("the list was reloaded")
	}

	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/?lang=en"), chromedp.WaitReady(testid("live-feed")))
	adminWaitJS(t, b, "the home's feed socket", live, 10*time.Second)
	before := browserEval[string](t, b, `(document.querySelector('[data-testid="home-today"] [data-currency="NZD"] [data-testid="totals-count"]') || {}).textContent || '0'`)
	browserEval[bool](t, b, `window.__noReload = true`)
	id = adminPayInOtherTab(t, app, b, "LIVE-HOME-1")
	adminWaitJS(t, b, "the paid payment first in the home's feed",
		fmt.Sprintf(`(() => { const li = document.querySelector('#live-feed li'); return !!li && li.dataset.id === %q && li.dataset.status === 'paid'; })()`, id),
		10*time.Second)
	adminWaitJS(t, b, "today's count to move on", fmt.Sprintf(
		`(document.querySelector('[data-testid="home-today"] [data-currency="NZD"] [data-testid="totals-count"]') || {}).textContent === '%d'`,
		atoi(before)+1), 10*time.Second)
	if !browserEval[bool](t, b, `window.__noReload === true`) {
		t.Error("the home page was reloaded")
	}

	for _, page := range []string{"/admin/", "/admin/reports"} {
		for _, lang := range a11yLangs {
			b.do(t, 15*time.Second, chromedp.Navigate(app.URL+page+"?lang="+lang), chromedp.WaitReady(chromedp.CSS("main")))
			if got := browserEval[string](t, b, `document.documentElement.lang`); got != lang {
				t.Errorf("%s in %s: <html lang=%q>", page, lang, got)
			}
			for _, v := range a11yAxe(t, b, string(axe)) {
				t.Errorf("%s in %s: axe: %s", page, lang, v)
			}
		}
	}
	// The reports show today's two payments, and fit a phone's width.
	b.do(t, 15*time.Second, chromedp.EmulateViewport(390, 844), chromedp.Navigate(app.URL+"/admin/reports?lang=en"),
		chromedp.WaitReady(testid("report")))
	if n := browserEval[int](t, b, `document.querySelectorAll('[data-testid="report-row"]').length`); n < 1 {
		t.Errorf("the report lists %d rows, want today's payments", n)
	}
	if w := browserEval[int](t, b, `document.documentElement.scrollWidth`); w > 390 {
		wide := browserEval[[]string](t, b, `[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 390 && !e.closest('.table-scroll')).slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))`)
		t.Errorf("the reports page is %d px wide on a 390 px phone; too wide: %v", w, wide)
	}
	// Gross, refunds and net of every row are in view without scrolling
	// sideways: no report table scrolls in its region, and every money
	// cell ends inside the phone's width.
	if wide := browserEval[[]string](t, b, `[...document.querySelectorAll('.table-scroll')].filter(r => r.querySelector('table.report, [data-testid="range-totals"]') && r.scrollWidth > r.clientWidth).map(r => r.querySelector('table').dataset.testid + ' ' + r.scrollWidth + '>' + r.clientWidth)`); len(wide) > 0 {
		t.Errorf("report tables scroll sideways on a 390 px phone: %v", wide)
	}
	if off := browserEval[[]string](t, b, `[...document.querySelectorAll('[data-testid="report-row"] [data-col], [data-testid="range-totals"] td')].filter(c => { const r = c.getBoundingClientRect(); return r.width === 0 || r.right > 390 || r.left < 0; }).slice(0, 6).map(c => (c.dataset.col || c.dataset.testid) + ' ' + Math.round(c.getBoundingClientRect().right))`); len(off) > 0 {
		t.Errorf("report cells off a 390 px phone's screen: %v", off)
	}
	for _, col := range []string{"gross", "refunds", "net"} {
		if label := browserEval[string](t, b, `getComputedStyle(document.querySelector('[data-testid="report-row"] [data-col="`+col+`"]'), '::before').content`); !strings.Contains(label, "\"") || label == "none" {
			t.Errorf("the %s cell is not named on a phone: content %s", col, label)
		}
	}
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(strings.TrimSpace(s), &n)
	return n
}

// TestMultiAdminSessionAndFeed: on two instances sharing PostgreSQL, a
// back-office session made on A works on B, and B's live feed shows a
// payment created and paid through A.
func TestMultiAdminSessionAndFeed(t *testing.T) {
	const email, password = "owner@multi.example", "green tea every morning"
	pwFile := filepath.Join(t.TempDir(), "owner-password")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, sim, a, b := multiPair(t, "HPP_ADMIN_EMAIL="+email, "HPP_ADMIN_PASSWORD_FILE="+pwFile)

	form := url.Values{"email": {email}, "password": {password}, "next": {"/admin/"}}
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/admin/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "hpp-admin" && c.Value != "" {
			cookie = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || cookie == nil {
		t.Fatalf("sign-in on A = %d, cookie %v", resp.StatusCode, cookie)
	}

	req, _ = http.NewRequest(http.MethodGet, b.URL+"/admin/?lang=en", nil)
	req.AddCookie(cookie)
	resp, err = b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("A's session on B: GET /admin/ = %d, want 200", resp.StatusCode)
	}

	h := http.Header{"Origin": {b.URL}, "Cookie": {cookie.Name + "=" + cookie.Value}}
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(b.URL, "http")+"/admin/feed?lang=en", h)
	if err != nil {
		t.Fatalf("B's feed with A's session: %v (%v)", err, resp)
	}
	defer ws.Close()
	p := a.pay(t)
	start := time.Now()
	if err := sim.sim.Pay(p.LatipayReference); err != nil { // its callback goes to A
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(multiBound))
	for {
		var m struct{ ID, Status, HTML string }
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatalf("B's feed: waiting for %s paid: %v", p.ID, err)
		}
		if m.ID == p.ID && m.Status == "paid" {
			if !strings.Contains(m.HTML, "NZD 12.50") {
				t.Errorf("feed entry = %s", m.HTML)
			}
			break
		}
	}
	t.Logf("paid on A -> B's feed after %v", time.Since(start))
}

// TestA11yHomeWithPaymentsUnknownHere: the home page's list of payments
// Latipay reported paid that the database does not know (kept as orphan
// notifications, as after a restore) passes axe in each language. The
// orphan is written while the app is stopped, as the callback handler
// writes it; its body is not signed, so its amount reads "see Latipay's
// portal" (handlers TestHomeListsPaidPaymentsUnknownHere covers a signed
// one, through the simulator).
func TestA11yHomeWithPaymentsUnknownHere(t *testing.T) {
	axe := axeScript(t)
	first := browserStartApp(t)
	first.Stop(t)
	at := time.Now().UnixNano()
	execSQL(t, first.DB, fmt.Sprintf(`INSERT INTO notifications (reference, digest, status, body, result, at)
		VALUES ('PAY-AFTER-BACKUP-1', 'digest-a11y-1', 'paid', 'merchant_reference=PAY-AFTER-BACKUP-1&status=paid', 'orphan', %d)`, at))
	app := browserStartApp(t, "HPP_DATABASE="+first.DB)
	pw := demoOwnerPassword(t, app)
	b := browserNew(t, app)
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/signin?lang=en"),
		chromedp.SendKeys(chromedp.CSS("#email"), "owner@demo.test"), chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(testid("signin")), chromedp.WaitVisible(testid("admin-nav")))
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/?lang=en"), chromedp.WaitVisible(testid("home-unknown")))
	if got := b.text(t, fmt.Sprintf(sel, "unknown-reference")); got != "PAY-AFTER-BACKUP-1" {
		t.Errorf("the unknown payment's reference reads %q", got)
	}
	axeInLanguages(t, b, axe, "home with a payment unknown here", app.URL+"/admin/")
}
