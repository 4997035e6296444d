package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAdminFirstRunBrowser is the back office's first run in Chromium:
// the setup link printed at start-up creates the owner, who lands signed
// in; a payment paid through the sandbox is in the payments list and the
// status filter keeps it or leaves it out; a wrong password is a clear
// message; a used setup link is refused. axe-core runs on every back-
// office page in English, Simplified and Traditional Chinese.
func TestAdminFirstRunBrowser(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t, "HPP_SANDBOX_DEMO_OWNER=off")
	link := app.printed(t, "first run: create the owner account at ", "")
	link, _, _ = strings.Cut(link, " ")
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("printed setup link %q has no token", link)
	}
	b := browserNew(t, app)
	axeAll := func(name, page string) { t.Helper(); axeInLanguages(t, b, axe, name, page) }
	axeAll("setup", link)

	const email, password = "owner@kiwitea.example", "green tea every morning"
	b.do(t, 20*time.Second, chromedp.Navigate(link),
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(testid("setup")), chromedp.WaitVisible(testid("admin-nav")))
	if who := b.text(t, fmt.Sprintf(sel, "admin-who")); !strings.Contains(who, email) {
		t.Fatalf("after setup the page shows %q, want the owner signed in", who)
	}
	axeAll("home", app.URL+"/admin/")

	paid := app.createPayment(t, map[string]any{"reference": "TEA-PAID-1"})
	open := app.createPayment(t, map[string]any{"reference": "TEA-OPEN-1"})
	b.chooseWeChatQR(t, paid.CheckoutURL)
	app.simulate(t, b.qrReference(t), "paid")
	app.waitPayment(t, paid.ID, "paid", 10*time.Second)

	row := func(id string) string { return fmt.Sprintf(`[data-testid="payment-row"][data-id="%s"]`, id) }
	has := func(page, id string) bool {
		t.Helper()
		sep := "?"
		if strings.Contains(page, "?") {
			sep = "&"
		}
		b.do(t, 15*time.Second, chromedp.Navigate(page+sep+"lang=en"), chromedp.WaitReady(testid("payments")))
		return browserEval[bool](t, b, fmt.Sprintf(`document.querySelector(%q) !== null`, row(id)))
	}
	list := app.URL + "/admin/payments"
	if !has(list, paid.ID) || !has(list, open.ID) {
		t.Fatal("the payments list lacks a payment")
	}
	if got := b.text(t, row(paid.ID)); !strings.Contains(got, "TEA-PAID-1") || !strings.Contains(got, "NZD 12.50") || !strings.Contains(got, "Payment successful") {
		t.Errorf("paid row reads %q", got)
	}
	if !has(list+"?status=paid", paid.ID) || has(list+"?status=paid", open.ID) {
		t.Error("status=paid does not keep exactly the paid payment")
	}
	if has(list+"?q=reference:TEA-PAID-1", open.ID) || !has(list+"?q=reference:TEA-PAID-1", paid.ID) {
		t.Error("the reference search does not find exactly its payment")
	}
	axeAll("payments", list+"?status=paid")
	axeAll("payment detail", app.URL+"/admin/payments/"+paid.ID)
	// The refund form opens in a dialog (admin.js; TestAdminListExportRefundBrowser tests it).
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/payments/"+paid.ID+"?lang=en"),
		chromedp.Click(testid("refund-open")), chromedp.WaitVisible(chromedp.CSS("#amount")),
		chromedp.SetValue(chromedp.CSS("#amount"), "5.00"), chromedp.Click(testid("refund")), chromedp.WaitVisible(testid("notice")))
	if got := b.text(t, fmt.Sprintf(sel, "detail-refunded")); !strings.Contains(got, "5.00") {
		t.Errorf("after a 5.00 refund the page says refunded %q", got)
	}
	if st := b.attr(t, fmt.Sprintf(sel, "detail-status"), "data-status"); st != "partially_refunded" {
		t.Errorf("after a partial refund the status is %q", st)
	}

	b.do(t, 15*time.Second, chromedp.Click(testid("signout")), chromedp.WaitVisible(testid("signin-form")))
	axeAll("signin", app.URL+"/admin/signin")
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/signin?lang=en"),
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), "not my password"),
		chromedp.Click(testid("signin")), chromedp.WaitVisible(testid("form-error")))
	if msg := b.text(t, fmt.Sprintf(sel, "form-error")); !strings.Contains(msg, "Wrong email or password") {
		t.Errorf("wrong password says %q", msg)
	}
	// The used link says so as soon as it opens (a POST with it is
	// refused too: handlers' TestAdminSetup).
	b.do(t, 20*time.Second, chromedp.Navigate(link+"&lang=en"), chromedp.WaitVisible(testid("form-error")))
	if msg := b.text(t, fmt.Sprintf(sel, "form-error")); !strings.Contains(msg, "already has an owner") && !strings.Contains(msg, "already used") {
		t.Errorf("the used setup link says %q", msg)
	}
	// Without a session the list is not served.
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(list)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET the list without a session = %d, want 303 to sign in", resp.StatusCode)
	}
}
