package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// TestAdminTOTPBrowser is two-step sign-in in Chromium: the sandbox's
// demo owner enrols by reading the key the page shows (beside the QR it
// draws) and confirming a code, gets the recovery codes, signs out, and
// signs in with the password then a code; the same code a second time is
// refused with a clear message. axe-core runs on the two-step, code,
// accounts, invitation, sessions, change-password and audit pages in English, Simplified
// and Traditional Chinese, and none of them is wider than a phone.
func TestAdminTOTPBrowser(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t)
	pw := demoOwnerPassword(t, app)
	const email = "owner@demo.test"
	b := browserNew(t, app)
	axeAll := func(name, page string) { t.Helper(); axeInLanguages(t, b, axe, name, page) }
	signIn := func() {
		t.Helper()
		b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/signin?lang=en"),
			chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), pw),
			chromedp.Click(testid("signin")), chromedp.WaitVisible(testid("code-form")))
	}
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/signin?lang=en"),
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(testid("signin")), chromedp.WaitVisible(testid("admin-nav")))

	axeAll("two-step enrolment", app.URL+"/admin/totp")
	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/totp?lang=en"), chromedp.WaitVisible(testid("totp-qr")))
	secret := b.text(t, fmt.Sprintf(sel, "totp-key"))
	if w := browserEval[float64](t, b, `document.querySelector('[data-testid="totp-qr"]').naturalWidth`); w < 100 {
		t.Fatalf("the enrolment QR is %v pixels wide", w)
	}
	code := func(at time.Time) string {
		t.Helper()
		c, err := totp.GenerateCode(secret, at)
		if err != nil {
			t.Fatalf("key %q: %v", secret, err)
		}
		return c
	}
	b.do(t, 15*time.Second, chromedp.SendKeys(chromedp.CSS("#code"), code(time.Now())),
		chromedp.Click(testid("totp-confirm")), chromedp.WaitVisible(testid("recovery-codes")))
	if n := browserEval[float64](t, b, `document.querySelectorAll('[data-testid="recovery-codes"] code').length`); n != 10 {
		t.Errorf("%v recovery codes shown, want 10", n)
	}
	axeAll("two-step on", app.URL+"/admin/totp")
	axeAll("accounts", app.URL+"/admin/accounts")
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/accounts?lang=en"),
		chromedp.SendKeys(chromedp.CSS("#invite-email"), "till@demo.test"), chromedp.Click(testid("invite")),
		chromedp.WaitVisible(testid("invite-link")))
	invite := strings.TrimSpace(b.text(t, fmt.Sprintf(sel, "invite-link")+" code"))
	if !strings.HasPrefix(invite, app.URL+"/admin/invite?token=") {
		t.Fatalf("the invitation link reads %q", invite)
	}
	axeAll("invitation", invite)
	axeAll("sessions", app.URL+"/admin/sessions")
	axeAll("change password", app.URL+"/admin/password")
	axeAll("audit", app.URL+"/admin/audit")
	// On a phone no page is wider than the screen: the tables scroll
	// inside their own regions.
	b.do(t, 10*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	for _, page := range []string{"totp", "accounts", "sessions", "password", "audit", "payments"} {
		b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/admin/"+page+"?lang=zh-Hans"), chromedp.WaitReady(chromedp.CSS("main")))
		if w := browserEval[float64](t, b, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("/admin/%s is %v px wide, more than a 390 px phone: %s", page, w, browserEval[string](t, b,
				`[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 392).slice(0, 4).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width)).join('; ')`))
		}
		b.screenshot(t, "admin-"+page+"-phone", false)
	}
	b.do(t, 10*time.Second, chromedp.EmulateReset(), chromedp.EmulateViewport(1280, 900))

	b.do(t, 15*time.Second, chromedp.Click(testid("signout")), chromedp.WaitVisible(testid("signin-form")))
	signIn()
	axeAll("sign-in code", app.URL+"/admin/signin/code")
	// The next step's code: later than the enrolment's, and inside the
	// window of steps accepted around now.
	next := code(time.Now().Add(30 * time.Second))
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/signin/code?lang=en"),
		chromedp.SendKeys(chromedp.CSS("#code"), next), chromedp.Click(testid("code-submit")), chromedp.WaitVisible(testid("admin-nav")))
	if who := b.text(t, fmt.Sprintf(sel, "admin-who")); !strings.Contains(who, email) {
		t.Fatalf("after the code the page shows %q", who)
	}

	b.do(t, 15*time.Second, chromedp.Click(testid("signout")), chromedp.WaitVisible(testid("signin-form")))
	signIn()
	b.do(t, 20*time.Second, chromedp.SendKeys(chromedp.CSS("#code"), next), chromedp.Click(testid("code-submit")),
		chromedp.WaitVisible(testid("form-error")))
	if msg := b.text(t, fmt.Sprintf(sel, "form-error")); !strings.Contains(msg, "already used") {
		t.Errorf("the replayed code says %q", msg)
	}
	if n := browserEval[float64](t, b, `document.querySelectorAll('[data-testid="admin-nav"]').length`); n != 0 {
		t.Error("the replayed code opened the back office")
	}
}

// TestCashierRefusedBrowser: a cashier invited by the owner signs in to the
// back office in their own Chromium and is refused every owner page and
// action with 403 (their own sessions page is theirs to see), and a refund or cancel they post changes nothing. The
// same requests from the owner's browser are answered, so the 403s are the
// role check's and not the cross-origin protection's.
func TestCashierRefusedBrowser(t *testing.T) {
	app := browserStartApp(t)

	// A paid payment for the refund to aim at.
	owner := browserNew(t, app)
	p := app.createPayment(t, map[string]any{})
	owner.chooseWeChatQR(t, p.CheckoutURL)
	app.simulate(t, owner.qrReference(t), "paid")
	app.waitPayment(t, p.ID, "paid", 30*time.Second)

	// The owner invites a cashier.
	adminDemoSignIn(t, app, owner)
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
	if txt := cashier.text(t, "main"); !strings.Contains(txt, "This page is the owner's. As a cashier you take payments at the till") {
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
