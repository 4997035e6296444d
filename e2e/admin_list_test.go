package e2e

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAdminListExportRefundBrowser is the owner's payments work in
// Chromium: the list's filter form (status and a search) keeps the
// filter in the URL and shows exactly the matching payments; the CSV
// export fetched through the page's own link holds exactly the rows the
// list shows; on a payment's page a partial refund through the refund
// dialog (focus into it and back, Escape closes it, the amount restated,
// a second submit dropped) then a refund of the rest through the plain
// form of a tab with JavaScript off go through the simulator (its ledger
// and the page agree; the payment ends refunded), and a third refund from
// the dialog of a tab opened before is refused with a clear message and
// refunds nothing. axe-core runs on the list, a payment's page with and
// without the dialog open and the webhook delivery pages in English,
// Simplified and Traditional Chinese. On a 390 px phone, in each language,
// the partly refunded payment's page (its timeline's codes apart from
// their details), with and without its refund dialog open, and the webhook
// delivery pages are no wider than the screen.
func TestAdminListExportRefundBrowser(t *testing.T) {
	axe := axeScript(t)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable) // every delivery fails: the log has rows
	}))
	t.Cleanup(hook.Close)
	const email, password = "boss@kiwitea.example", "oolong before noon, always"
	pwFile := filepath.Join(t.TempDir(), "owner-password")
	if err := os.WriteFile(pwFile, []byte(password), 0o600); err != nil {
		t.Fatal(err)
	}
	app := browserStartApp(t, "HPP_ADMIN_EMAIL="+email, "HPP_ADMIN_PASSWORD_FILE="+pwFile, "HPP_SANDBOX_DEMO_OWNER=off",
		"HPP_WEBHOOK_URL="+hook.URL+"/hook", "HPP_WEBHOOK_SECRET=9f2c7a41d0e8b36c5a1f4e92d7b08c63e5a17f2d")
	b := browserNew(t, app)

	// Two paid LEAF payments, an open LEAF one and a paid one of another
	// kind: the filter status=paid with the text "leaf-" keeps two.
	var paid []string
	var leaf1 string // LEAF-1's attempt: Latipay's merchant reference for it
	for i, ref := range []string{"LEAF-1", "LEAF-2", "ROOT-1"} {
		p := app.createPayment(t, map[string]any{"reference": ref, "amount": fmt.Sprintf("1%d.50", i+1)})
		b.chooseWeChatQR(t, p.CheckoutURL)
		attempt := b.qrReference(t)
		if ref == "LEAF-1" {
			leaf1 = attempt
		}
		app.simulate(t, attempt, "paid")
		app.waitPayment(t, p.ID, "paid", 10*time.Second)
		if strings.HasPrefix(ref, "LEAF") {
			paid = append(paid, p.ID)
		}
	}
	app.createPayment(t, map[string]any{"reference": "LEAF-OPEN"})

	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/signin?lang=en"),
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(testid("signin")), chromedp.WaitVisible(testid("admin-nav")))
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/payments?lang=en"), chromedp.WaitVisible(testid("filters")),
		chromedp.SetValue(chromedp.CSS("#status"), "paid"), chromedp.SendKeys(chromedp.CSS("#q"), "leaf-"),
		chromedp.Click(testid("filter")))
	for deadline := time.Now().Add(15 * time.Second); ; {
		loc := browserEval[string](t, b, `document.readyState === "complete" ? location.search : ""`)
		if strings.Contains(loc, "status=paid") && strings.Contains(loc, "q=leaf-") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the filter is not kept in the URL: %q", loc)
		}
		time.Sleep(50 * time.Millisecond) // the form's GET is on its way
	}
	shown := browserEval[[][]string](t, b, `[...document.querySelectorAll('[data-testid="payment-row"]')].map(r => [r.dataset.id,
		r.querySelector('[data-col="reference"]').textContent.trim(), r.querySelector('[data-col="status"]').dataset.status])`)
	var ids []string
	for _, r := range shown {
		ids = append(ids, r[0])
	}
	if want := []string{paid[1], paid[0]}; !slices.Equal(ids, want) {
		t.Fatalf("status=paid&q=leaf- shows %v, want the two paid LEAF payments %v", shown, want)
	}
	// The export, fetched as the page's link would download it.
	fctx, fcancel := context.WithTimeout(b.ctx, 20*time.Second)
	// The bytes as sent (text() would drop the byte-order mark).
	b64, err := chromedp.Run(fctx, chromedp.Evaluate[string](`fetch(document.querySelector('[data-testid="export-csv"]').href)
		.then(r => r.arrayBuffer()).then(b => btoa(String.fromCharCode(...new Uint8Array(b))))`, chromedp.EvalAwaitPromise))
	fcancel()
	if err != nil {
		t.Fatalf("fetch the export: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(text, "\ufeff"))).ReadAll()
	if err != nil || !strings.HasPrefix(text, "\ufeff") {
		t.Fatalf("the CSV export does not parse (BOM %v): %v\n%s", strings.HasPrefix(text, "\ufeff"), err, text)
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	var exported [][]string
	for _, r := range recs[1:] {
		exported = append(exported, []string{r[col["id"]], r[col["reference"]], r[col["status"]]})
	}
	if fmt.Sprint(exported) != fmt.Sprint(shown) {
		t.Errorf("the CSV export holds\n%v\nthe list shows\n%v", exported, shown)
	}
	axeAll := func(name, page string) { t.Helper(); axeInLanguages(t, b, axe, name, page) }
	axeAll("filtered payments", app.URL+"/admin/payments?status=paid&q=leaf-")
	axeAll("bad filter", app.URL+"/admin/payments?from=2026-13-40")

	// Refunds of LEAF-1 (NZD 11.50): 5.00 through the dialog, then the
	// rest through the form of a tab with JavaScript off; the dialog of a
	// tab opened before then refuses a third refund.
	detail := app.URL + "/admin/payments/" + paid[0]
	b.do(t, 20*time.Second, chromedp.Navigate(detail+"?lang=en"), chromedp.WaitVisible(testid("refund-open")))
	if !browserEval[bool](t, b, `document.querySelector('[data-testid="refund-dialog"] form[data-testid="refund-form"]') !== null
		&& !document.querySelector('[data-testid="refund-dialog"]').open`) {
		t.Fatal("with script the refund form is not in a closed dialog")
	}
	dialogOpen := func() bool {
		return browserEval[bool](t, b, `document.querySelector('[data-testid="refund-dialog"]').open`)
	}
	focused := func() string {
		return browserEval[string](t, b, `document.activeElement.id || document.activeElement.dataset.testid || ''`)
	}
	b.do(t, 10*time.Second, chromedp.Click(testid("refund-open")), chromedp.WaitVisible(chromedp.CSS("#amount")))
	if !dialogOpen() || focused() != "amount" {
		t.Fatalf("the dialog: open %v, focus on %q; want open with focus on the amount", dialogOpen(), focused())
	}
	b.do(t, 10*time.Second, chromedp.KeyEvent("\x1b"), chromedp.WaitNotVisible(chromedp.CSS("#amount")))
	if dialogOpen() || focused() != "refund-open" {
		t.Fatalf("after Escape: open %v, focus on %q; want closed with focus back on its button", dialogOpen(), focused())
	}
	// axe-core with the dialog open, in each language.
	for _, lang := range a11yLangs {
		b.do(t, 15*time.Second, chromedp.Navigate(detail+"?lang="+lang), chromedp.Click(testid("refund-open")),
			chromedp.WaitVisible(chromedp.CSS("#amount")))
		for _, v := range a11yAxe(t, b, string(axe)) {
			t.Errorf("refund dialog in %s: axe: %s", lang, v)
		}
	}
	b.do(t, 20*time.Second, chromedp.Navigate(detail+"?lang=en"), chromedp.Click(testid("refund-open")),
		chromedp.WaitVisible(chromedp.CSS("#amount")), chromedp.SetValue(chromedp.CSS("#amount"), "5"),
		chromedp.SendKeys(chromedp.CSS("#amount"), ".00"), chromedp.SendKeys(chromedp.CSS("#reason"), "one box broken"))
	if got := b.text(t, fmt.Sprintf(sel, "refund-restate")); got != "NZD 5.00" {
		t.Errorf("the dialog restates %q, want NZD 5.00", got)
	}
	if got := browserEval[string](t, b, `document.querySelector('[data-refund-restate-line]').textContent.replace(/\s+/g, ' ').trim()`); got != "You are about to refund NZD 5.00" {
		t.Errorf("the dialog's restating line reads %q, want the words and the amount apart", got)
	}
	// Sent twice in a row (a double click, then Enter): the button is
	// disabled at once and the second submit goes nowhere.
	sent := browserEval[[]bool](t, b, `(() => {
		const f = document.querySelector('[data-testid="refund-form"]'), s = f.querySelector('[data-testid="refund"]');
		const evs = [];
		f.addEventListener('submit', e => evs.push(e));
		s.click(); s.click(); f.requestSubmit();
		return [s.disabled, evs.length === 2, evs.length > 1 && evs[1].defaultPrevented];
	})()`)
	if !slices.Equal(sent, []bool{true, true, true}) {
		t.Errorf("refund sent twice: [button disabled, two submits seen, the second dropped] = %v, want all true", sent)
	}
	b.do(t, 20*time.Second, chromedp.WaitVisible(testid("notice")))
	if st := b.attr(t, fmt.Sprintf(sel, "detail-status"), "data-status"); st != "partially_refunded" {
		t.Fatalf("after 5.00 of 11.50 the status is %q", st)
	}
	ledgerRefunded := func() string {
		t.Helper()
		resp, err := http.Get(app.URL + "/sandbox/latipay/ledger")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ledger []struct {
			MerchantReference string `json:"merchant_reference"`
			Refunded          string `json:"refunded"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&ledger); err != nil {
			t.Fatalf("the simulator's ledger: %v", err)
		}
		for _, e := range ledger {
			if e.MerchantReference == leaf1 {
				return e.Refunded
			}
		}
		t.Fatalf("the simulator's ledger has no %s: %+v", leaf1, ledger)
		return ""
	}
	if got, page := ledgerRefunded(), b.text(t, fmt.Sprintf(sel, "detail-refunded")); got != "5.00" || page != "NZD 5.00" {
		t.Errorf("after one refund of 5.00 Latipay's ledger says %q refunded and the page %q", got, page)
	}
	// On a phone the refunded payment's page fits the screen, with and
	// without the refund dialog open (so its backdrop, the size of the
	// screen, covers the whole page's width); each timeline item's code
	// stands apart from its detail.
	b.do(t, 10*time.Second, phoneOn(true))
	for _, lang := range a11yLangs {
		b.do(t, 15*time.Second, chromedp.Navigate(detail+"?lang="+lang), chromedp.WaitVisible(testid("refund-open")))
		phoneFits(t, b, "the payment's page in "+lang)
		b.screenshot(t, "phone-payment-detail-"+lang, false)
		if run := browserEval[[]string](t, b, `[...document.querySelectorAll('[data-testid="timeline-item"] code')].filter(c => {
			const r = document.createRange();
			r.setStartAfter(c);
			r.setEnd(c.parentNode, c.parentNode.childNodes.length);
			const after = r.toString();
			return after.trim() !== '' && !/^\s/.test(after);
		}).map(c => c.closest('li').innerText)`); len(run) > 0 {
			t.Errorf("in %s the timeline runs code and detail together: %q", lang, run)
		}
		b.do(t, 10*time.Second, chromedp.Click(testid("refund-open")), chromedp.WaitVisible(chromedp.CSS("#amount")))
		phoneFits(t, b, "the refund dialog in "+lang)
		b.screenshot(t, "phone-refund-dialog-"+lang, false)
	}
	b.do(t, 10*time.Second, phoneOn(false))
	// The tab that will try a third refund, opened now.
	stale, closeStale := chromedp.NewContext(b.ctx)
	defer closeStale()
	if err := chromedp.Do(stale); err != nil { // opens the tab, bound to stale (no deadline)
		t.Fatalf("second tab: %v", err)
	}
	staleDo := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(stale, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("second tab: %v", err)
		}
	}
	staleDo(chromedp.Navigate(detail+"?lang=en"), chromedp.WaitVisible(testid("refund-open")))
	b.do(t, 20*time.Second, scriptsOff(true), chromedp.Navigate(detail+"?lang=en"), chromedp.WaitVisible(testid("refund-form")))
	if v := b.attr(t, "#amount", "value"); v != "6.50" {
		t.Errorf("without JavaScript the form offers %q, want the 6.50 left", v)
	}
	b.do(t, 20*time.Second, chromedp.Click(testid("refund")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="detail-status"][data-status="refunded"]`)), scriptsOff(false))
	if got := app.payment(t, paid[0]).Status; got != "refunded" {
		t.Errorf("the API says %q after both refunds", got)
	}
	staleDo(chromedp.Click(testid("refund-open")), chromedp.WaitVisible(chromedp.CSS("#amount")),
		chromedp.SetValue(chromedp.CSS("#amount"), "1.00"), chromedp.Click(testid("refund")), chromedp.WaitVisible(testid("form-error")))
	ctx, cancel := context.WithTimeout(stale, 10*time.Second)
	msg, err := chromedp.Run(ctx, chromedp.Text(testid("form-error")))
	cancel()
	if err != nil || !strings.Contains(msg, "already fully refunded") {
		t.Errorf("a third refund says %q (%v), want it refused clearly", msg, err)
	}
	ctx, cancel = context.WithTimeout(stale, 10*time.Second)
	page, err := chromedp.Run(ctx, chromedp.Text(testid("detail-refunded")))
	cancel()
	if got := ledgerRefunded(); err != nil || got != "11.50" || !strings.Contains(page, "11.50") || !strings.Contains(page, "11.50") {
		t.Errorf("after the refused third refund Latipay's ledger says %q refunded and the page %q (%v); want 11.50", got, page, err)
	}
	b.do(t, 15*time.Second, chromedp.Navigate(detail+"?lang=en"), chromedp.WaitVisible(testid("timeline")))
	kinds := browserEval[[]string](t, b, `[...document.querySelectorAll('[data-testid="timeline-item"]')].map(e => e.dataset.kind)`)
	for _, k := range []string{"attempt", "callback", "refund"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("the timeline has no %s item: %v", k, kinds)
		}
	}
	// The owner's refunds are said on their own rows, naming who asked.
	askers := browserEval[[]string](t, b, `[...document.querySelectorAll('[data-testid="timeline-item"][data-kind="refund"] .who')].map(e => e.textContent)`)
	if !slices.ContainsFunc(askers, func(w string) bool { return strings.Contains(w, email) }) {
		t.Errorf("no refund row names the owner who asked: %q", askers)
	}
	axeAll("payment detail", detail)

	// The webhook log: the failing endpoint gave every delivery a row.
	deadline := time.Now().Add(20 * time.Second)
	for {
		b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/webhooks?lang=en"), chromedp.WaitReady(testid("deliveries")))
		if browserEval[int](t, b, `document.querySelectorAll('[data-testid="delivery-row"]').length`) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no webhook delivery listed after 20 s")
		}
		time.Sleep(200 * time.Millisecond) // the worker polls every second
	}
	one := b.attr(t, `[data-testid="delivery-link"]`, "href")
	axeAll("webhook deliveries", app.URL+"/admin/webhooks")
	axeAll("webhook delivery", app.URL+one)
	phoneFitsInLanguages(t, b, "webhook deliveries", app.URL+"/admin/webhooks")
	phoneFitsInLanguages(t, b, "webhook delivery", app.URL+one)
}
