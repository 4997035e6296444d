package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// checkPageError asserts that a refusal about no field of the page puts
// its message (role=alert) first: focused, and first in the title.
func checkPageError(t *testing.T, b *browserSession, name, prefix string) {
	t.Helper()
	got := browserEval[formError](t, b, `(() => { const e = document.querySelector('[data-testid="form-error"]');
		return {focused: document.activeElement === e, invalid: '', error: e.getAttribute('role') === 'alert' ? e.textContent.trim() : '',
			title: document.title}; })()`)
	if !got.Focused {
		t.Errorf("%s: focus is on %s, want the error's message", name,
			browserEval[string](t, b, `document.activeElement.tagName + '#' + document.activeElement.id`))
	}
	if got.Error == "" || !strings.HasPrefix(got.Title, prefix+got.Error) {
		t.Errorf("%s: title %q, want it to start with %q and the error %q", name, got.Title, prefix, got.Error)
	}
}

// TestBrowserStaffFormErrorsFocus: the back office's refusals name the
// field to fix and are tied to it (aria-invalid, aria-describedby, focus),
// with the error first in the title, in each language: the payments list's
// filters (a status, a date, a search text too long for the service), the
// reports' range (the end before the start, a range too long), the
// webhook log's state, a refund's amount (in the dialog the script opens
// on it), the two-step enrolment's code and the invitation's email and
// name (as typed). A broken page link names no field: its message takes
// the focus. axe-core finds no moderate problem on the refused pages.
func TestBrowserStaffFormErrorsFocus(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t)
	b := browserNew(t, app)
	noAxe := func(name string) {
		t.Helper()
		for _, v := range a11yAxeImpacts(t, b, string(axe), true) {
			t.Errorf("%s: axe: %s", name, v)
		}
	}
	paid := app.createPayment(t, nil)
	b.chooseWeChatQR(t, paid.CheckoutURL)
	app.simulate(t, b.qrReference(t), "paid")
	b.waitStatus(t, "paid", 5*time.Second)
	adminDemoSignIn(t, app, b)

	open := func(path string) {
		t.Helper()
		b.do(t, 20*time.Second, chromedp.Navigate(app.URL+path), chromedp.WaitVisible(testid("form-error")))
	}
	for _, c := range []struct{ name, path, field, prefix string }{
		{"payments status", "/admin/payments?status=lost&lang=en", "#status", "Error: "},
		{"payments date", "/admin/payments?from=2026-01-01&to=2026-02-30&lang=zh-Hans", "#to", "错误："},
		{"payments search", "/admin/payments?lang=zh-Hant&q=" + strings.Repeat("x", 101), "#q", "錯誤："},
		{"reports range", "/admin/reports?from=2026-03-10&to=2026-03-01&lang=en", "#to", "Error: "},
		{"reports too long", "/admin/reports?from=2020-01-01&to=2026-01-01&lang=zh-Hans", "#from", "错误："},
		{"webhooks state", "/admin/webhooks?state=lost&lang=zh-Hant", "#state", "錯誤："},
	} {
		open(c.path)
		checkFormError(t, b, c.name, c.field, c.prefix)
		if c.prefix == "Error: " {
			noAxe(c.name + " refused")
		}
	}
	if got := browserEval[string](t, b, `String(document.querySelector('#state').getAttribute('aria-invalid')) + document.querySelectorAll('[aria-invalid]').length`); got != "true1" {
		t.Errorf("webhooks state: aria-invalid on #state and count = %q, want the state alone", got)
	}
	open("/admin/payments?lang=en&cursor=" + url.QueryEscape("not a cursor"))
	checkPageError(t, b, "payments page link", "Error: ")

	// A refund of "abc": the page comes back with the dialog open on the
	// amount, the message in the dialog.
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/payments/"+paid.ID+"?lang=en"), chromedp.WaitVisible(testid("refund-open")),
		chromedp.Click(testid("refund-open")), chromedp.WaitVisible(chromedp.CSS("#amount")))
	b.do(t, 10*time.Second, chromedp.Clear(chromedp.CSS("#amount")), chromedp.SendKeys(chromedp.CSS("#amount"), "abc"))
	b.do(t, 20*time.Second, chromedp.Click(testid("refund")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="refund-dialog"] [data-testid="form-error"]`)))
	checkFormError(t, b, "refund amount", "#amount", "Error: ")
	if !browserEval[bool](t, b, `document.querySelector('[data-testid="refund-dialog"]').open`) {
		t.Error("refund amount: the refused refund's dialog is not open")
	}

	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/totp?lang=zh-Hans"), chromedp.WaitVisible(testid("totp-form")),
		chromedp.SendKeys(chromedp.CSS("#code"), "000000"), chromedp.Click(testid("totp-confirm")), chromedp.WaitVisible(testid("form-error")))
	checkFormError(t, b, "two-step enrolment", "#code", "错误：")

	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/accounts?lang=en"), chromedp.WaitVisible(testid("invite-form")),
		chromedp.SendKeys(chromedp.CSS("#invite-email"), "owner@demo.test"), chromedp.SendKeys(chromedp.CSS("#invite-name"), "Second"),
		chromedp.Click(testid("invite")), chromedp.WaitVisible(testid("form-error")))
	checkFormError(t, b, "invitation taken", "#invite-email", "Error: ")
	if got := browserEval[string](t, b, `document.querySelector('#invite-email').value + '|' + document.querySelector('#invite-name').value`); got != "owner@demo.test|Second" {
		t.Errorf("invitation taken: the form came back as %q, want as typed", got)
	}
	noAxe("invitation refused")
	// A name longer than the form lets one type, as a browser that does
	// not check maxlength posts it.
	browserEval[bool](t, b, fmt.Sprintf(`(() => { const f = document.querySelector('[data-testid="invite-form"]');
		f.elements.email.value = 'new@demo.test'; f.elements.name.value = %q; f.submit(); return true; })()`, strings.Repeat("n", 101)))
	b.do(t, 20*time.Second, chromedp.WaitVisible(testid("form-error")))
	checkFormError(t, b, "invitation name", "#invite-name", "Error: ")
}
