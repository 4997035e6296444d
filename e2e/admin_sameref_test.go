package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAdminSameReferenceBrowser: two payments of one order (a create sent
// twice without an Idempotency-Key), both paid by the shopper, with the
// longest reference the API takes. In Chromium the page of either asks
// whether the order was paid twice, and its link leads to the list of
// exactly the two. The page passes axe-core in English, Simplified and
// Traditional Chinese, and on a 390 px phone it is no wider than the
// screen in each.
func TestAdminSameReferenceBrowser(t *testing.T) {
	axe := axeScript(t)
	const email, password = "boss@kiwitea.example", "oolong before noon, always"
	pwFile := filepath.Join(t.TempDir(), "owner-password")
	if err := os.WriteFile(pwFile, []byte(password), 0o600); err != nil {
		t.Fatal(err)
	}
	app := browserStartApp(t, "HPP_ADMIN_EMAIL="+email, "HPP_ADMIN_PASSWORD_FILE="+pwFile, "HPP_SANDBOX_DEMO_OWNER=off")
	b := browserNew(t, app)
	const ref = "KIWITEA-WEBSHOP-ORDER-20260301-GREENTEASAMPLERBOXGIFTWRAPPED-042" // 64 characters, no break
	var ids []string
	for range 2 {
		p := app.createPayment(t, map[string]any{"reference": ref})
		b.chooseWeChatQR(t, p.CheckoutURL)
		app.simulate(t, b.qrReference(t), "paid")
		app.waitPayment(t, p.ID, "paid", 10*time.Second)
		ids = append([]string{p.ID}, ids...) // the list's order: newest first
	}
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/signin?lang=en"),
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(testid("signin")), chromedp.WaitVisible(testid("admin-nav")))
	detail := app.URL + "/admin/payments/" + ids[1]
	b.do(t, 15*time.Second, chromedp.Navigate(detail+"?lang=en"), chromedp.WaitVisible(testid("same-reference")))
	if got := b.text(t, `[data-testid="same-reference-paid-twice"]`); got == "" {
		t.Error("the page of a payment paid with another of its reference does not ask whether it was paid twice")
	}
	b.do(t, 15*time.Second, chromedp.Click(testid("same-reference-list")), chromedp.WaitVisible(testid("payments")))
	shown := browserEval[[]string](t, b, `[...document.querySelectorAll('[data-testid="payment-row"]')].map(r => r.dataset.id)`)
	if !slices.Equal(shown, ids) {
		t.Errorf("the notice's list shows %v, want the two payments %v", shown, ids)
	}
	axeInLanguages(t, b, axe, "payment sharing its reference", detail)
	phoneFitsInLanguages(t, b, "payment sharing its reference", detail)
	b.finish(t, browserChecks{})
}
