package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCashierRefusedBrowser: a cashier invited by the owner signs in to the
// back office in their own Chromium and is refused every owner page and
// action with 403 (their own sessions page is theirs to see), and a refund or cancel they post changes nothing. The
// same requests from the owner's browser are answered, so the 403s are the
// role check's and not the cross-origin protection's.
func TestCashierRefusedBrowser(t *testing.T) {
	app := browserStartApp(t)
	pw := demoOwnerPassword(t, app)

	// A paid payment for the refund to aim at.
	owner := browserNew(t, app)
	p := app.createPayment(t, map[string]any{})
	owner.chooseWeChatQR(t, p.CheckoutURL)
	app.simulate(t, owner.qrReference(t), "paid")
	app.waitPayment(t, p.ID, "paid", 30*time.Second)

	// The owner invites a cashier.
	owner.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/signin?lang=en"),
		chromedp.SendKeys(chromedp.CSS("#email"), "owner@demo.test"), chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(testid("signin")), chromedp.WaitVisible(testid("admin-nav")))
	owner.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/accounts?lang=en"), chromedp.WaitVisible(testid("invite-form")),
		chromedp.SendKeys(chromedp.CSS("#invite-email"), "cashier@demo.test"),
		chromedp.SendKeys(chromedp.CSS("#invite-name"), "Cashier"),
		chromedp.SetValue(chromedp.CSS("#invite-role"), "cashier"),
		chromedp.Click(testid("invite")), chromedp.WaitVisible(testid("invite-link")))
	invite := strings.TrimSpace(owner.text(t, fmt.Sprintf(sel, "invite-link")+" code"))
	if !strings.Contains(invite, "/admin/invite") {
		t.Fatalf("invitation link = %q", invite)
	}

	// The cashier accepts in their own browser, which signs them in.
	const cashierPW = "cashier password 0123"
	cashier := browserNew(t, app)
	cashier.do(t, 20*time.Second, chromedp.Navigate(invite), chromedp.WaitVisible(testid("invite-accept-form")),
		chromedp.SendKeys(chromedp.CSS("#password"), cashierPW), chromedp.Click(testid("invite-accept")),
		chromedp.WaitVisible(testid("admin-who")))
	if who := cashier.text(t, fmt.Sprintf(sel, "admin-who")); !strings.Contains(who, "cashier@demo.test") {
		t.Fatalf("signed in as %q, want the cashier", who)
	}

	status := func(b *browserSession, method, path string) int {
		t.Helper()
		expr := fmt.Sprintf(`fetch(%q, {method: %q, redirect: 'manual', body: %s}).then(r => r.status)`, path, method,
			map[string]string{"GET": "undefined", "POST": "new URLSearchParams({amount: '1.00', reason: 'x', password: 'x', key: 'k1'})"}[method])
		return int(browserEvalAwait[float64](t, b, expr))
	}
	pages := []string{"/admin/payments", "/admin/payments/" + p.ID, "/admin/payments/export.csv", "/admin/links",
		"/admin/settings", "/admin/accounts", "/admin/audit", "/admin/reports", "/admin/webhooks", "/admin/counter"}
	for _, path := range pages {
		if got := status(cashier, "GET", path); got != 403 {
			t.Errorf("cashier GET %s = %d, want 403", path, got)
		}
		if got := status(owner, "GET", path); got != 200 {
			t.Errorf("owner GET %s = %d, want 200", path, got)
		}
	}
	for _, path := range []string{"/admin/payments/" + p.ID + "/refund", "/admin/payments/" + p.ID + "/cancel", "/admin/links"} {
		if got := status(cashier, "POST", path); got != 403 {
			t.Errorf("cashier POST %s = %d, want 403", path, got)
		}
	}
	if got := app.payment(t, p.ID); got.Status != "paid" {
		t.Errorf("after the cashier's refund and cancel the payment is %s, want paid", got.Status)
	}
	// The page a cashier sees says why, in words.
	cashier.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/payments/"+p.ID+"?lang=en"), chromedp.WaitReady(chromedp.CSS("main")))
	if txt := cashier.text(t, "main"); !strings.Contains(txt, "may not open this page") {
		t.Errorf("the cashier's refused page says %q", txt)
	}
}

// browserEvalAwait evaluates expr in b's page and waits for its promise.
func browserEvalAwait[T any](t testing.TB, b *browserSession, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}
