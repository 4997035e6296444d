package e2e

import (
	"context"
	"encoding/base64"
	"encoding/csv"
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
// list shows; on a payment's page a partial refund then a refund of the
// rest go through the simulator (the payment ends refunded), and a third
// refund from a tab opened before is refused with a clear message and
// refunds nothing. axe-core runs on the list, a payment's page and the
// webhook delivery pages in English, Simplified and Traditional Chinese.
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
	for i, ref := range []string{"LEAF-1", "LEAF-2", "ROOT-1"} {
		p := app.createPayment(t, map[string]any{"reference": ref, "amount": fmt.Sprintf("1%d.50", i+1)})
		b.chooseWeChatQR(t, p.CheckoutURL)
		app.simulate(t, b.qrReference(t), "paid")
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

	// Refunds of LEAF-1 (NZD 11.50): 5.00, then the rest; a tab opened
	// after the first still offers the form, and its refund is refused.
	detail := app.URL + "/admin/payments/" + paid[0]
	b.do(t, 20*time.Second, chromedp.Navigate(detail+"?lang=en"), chromedp.WaitVisible(testid("refund-form")),
		chromedp.SetValue(chromedp.CSS("#amount"), "5.00"), chromedp.SendKeys(chromedp.CSS("#reason"), "one box broken"),
		chromedp.Click(testid("refund")), chromedp.WaitVisible(testid("notice")))
	if st := b.attr(t, fmt.Sprintf(sel, "detail-status"), "data-status"); st != "partially_refunded" {
		t.Fatalf("after 5.00 of 11.50 the status is %q", st)
	}
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
	staleDo(chromedp.Navigate(detail+"?lang=en"), chromedp.WaitVisible(testid("refund-form")))
	if v := b.attr(t, "#amount", "value"); v != "6.50" {
		t.Errorf("the form offers %q after the partial refund, want the 6.50 left", v)
	}
	b.do(t, 20*time.Second, chromedp.Click(testid("refund")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="detail-status"][data-status="refunded"]`)))
	if st := b.attr(t, fmt.Sprintf(sel, "detail-status"), "data-status"); st != "refunded" {
		t.Fatalf("after refunding the rest the status is %q", st)
	}
	if got := app.payment(t, paid[0]).Status; got != "refunded" {
		t.Errorf("the API says %q after both refunds", got)
	}
	staleDo(chromedp.SetValue(chromedp.CSS("#amount"), "1.00"), chromedp.Click(testid("refund")), chromedp.WaitVisible(testid("form-error")))
	ctx, cancel := context.WithTimeout(stale, 10*time.Second)
	msg, err := chromedp.Run(ctx, chromedp.Text(testid("form-error")))
	cancel()
	if err != nil || !(strings.Contains(msg, "cannot be refunded") || strings.Contains(msg, "more than is left")) {
		t.Errorf("a third refund says %q (%v), want it refused clearly", msg, err)
	}
	if got := b.text(t, fmt.Sprintf(sel, "detail-refunded")); !strings.Contains(got, "11.50") {
		t.Errorf("refunded reads %q after the refused third refund", got)
	}
	b.do(t, 15*time.Second, chromedp.Navigate(detail+"?lang=en"), chromedp.WaitVisible(testid("timeline")))
	kinds := browserEval[[]string](t, b, `[...document.querySelectorAll('[data-testid="timeline-item"]')].map(e => e.dataset.kind)`)
	for _, k := range []string{"attempt", "callback", "refund", "admin"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("the timeline has no %s item: %v", k, kinds)
		}
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
}
