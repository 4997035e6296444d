package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// formErrorState describes, for the field sel of a page a refused form
// came back to: whether it has focus, its aria-invalid, the text of the
// role=alert element its aria-describedby names first, and the title.
const formErrorState = `(sel => {
	const f = document.querySelector(sel);
	const ids = (f.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
	const err = ids.map(id => document.getElementById(id)).find(e => e && e.getAttribute('role') === 'alert');
	return {focused: document.activeElement === f, invalid: f.getAttribute('aria-invalid') || '',
		error: err ? err.textContent.trim() : '', title: document.title};
})(%q)`

type formError struct {
	Focused bool   `json:"focused"`
	Invalid string `json:"invalid"`
	Error   string `json:"error"`
	Title   string `json:"title"`
}

// checkFormError asserts that after a refused submit the field sel has
// focus, is aria-invalid, is described by the error (role=alert) and
// that the title begins with prefix and the error.
func checkFormError(t *testing.T, b *browserSession, name, sel, prefix string) {
	t.Helper()
	// Autofocus runs at the page's next rendering, after it is shown:
	// wait for it (up to 5 s) rather than read focus too early.
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	_, _ = chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, sel),
		chromedp.WithPollingInterval(25*time.Millisecond)))
	cancel()
	got := browserEval[formError](t, b, fmt.Sprintf(formErrorState, sel))
	if !got.Focused {
		t.Errorf("%s: after the refused submit focus is on %s, want %s", name,
			browserEval[string](t, b, `document.activeElement.tagName + '#' + document.activeElement.id`), sel)
	}
	if got.Invalid != "true" {
		t.Errorf("%s: %s aria-invalid = %q, want true", name, sel, got.Invalid)
	}
	if got.Error == "" {
		t.Errorf("%s: %s's aria-describedby names no role=alert error", name, sel)
	}
	if !strings.HasPrefix(got.Title, prefix+got.Error) || got.Error == "" {
		t.Errorf("%s: title %q, want it to start with %q and the error", name, got.Title, prefix)
	}
}

// TestBrowserFormErrorsFocus: a form refused by the server comes back with
// the error tied to its field (aria-invalid, aria-describedby), focus on
// that field rather than on the page's start, and the error first in the
// title: the display's pairing code, the payment link's amount (above the
// maximum, in English and Simplified Chinese, and not a number), the
// back office's sign-in, new link form, password change (in Traditional
// Chinese) and counter PIN, and the till's pairing code. axe-core finds no
// serious problem on the refused pages.
func TestBrowserFormErrorsFocus(t *testing.T) {
	axe := axeScript(t)
	app := browserStartApp(t)
	b := browserNew(t, app)
	noAxe := func(name string) {
		t.Helper()
		for _, v := range a11yAxe(t, b, string(axe)) {
			t.Errorf("%s: axe: %s", name, v)
		}
	}

	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter/display?lang=en"),
		chromedp.SendKeys(chromedp.CSS("#code"), "12345678"), chromedp.Click(testid("display-pair-submit")),
		chromedp.WaitVisible(testid("form-error")))
	checkFormError(t, b, "display pairing", "#code", "Error: ")
	noAxe("display pairing refused")

	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/signin?lang=en"),
		chromedp.SendKeys(chromedp.CSS("#email"), "owner@demo.test"), chromedp.SendKeys(chromedp.CSS("#password"), "not the password"),
		chromedp.Click(testid("signin")), chromedp.WaitVisible(testid("form-error")))
	checkFormError(t, b, "sign-in", "#password", "Error: ")
	noAxe("sign-in refused")

	adminDemoSignIn(t, app, b)
	// A link with a minimum that is no number: the first field named is
	// focused, each named field is tied to its message.
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/links?lang=en"), chromedp.WaitVisible(testid("link-create")),
		chromedp.SendKeys(chromedp.CSS("#min"), "abc"), chromedp.SendKeys(chromedp.CSS("#max"), "200"),
		chromedp.SendKeys(chromedp.CSS("#max-uses"), "-1"),
		chromedp.Click(testid("link-create-button")), chromedp.WaitVisible(testid("form-error")))
	checkFormError(t, b, "new link", "#min", "Error: ")
	if got := browserEval[formError](t, b, fmt.Sprintf(formErrorState, "#max-uses")); got.Invalid != "true" || got.Error == "" || got.Focused {
		t.Errorf("new link: the maximum uses field = %+v, want invalid, tied to its message, not focused", got)
	}
	if got := browserEval[formError](t, b, fmt.Sprintf(formErrorState, "#max")); got.Invalid != "" {
		t.Errorf("new link: the maximum, which is fine, is aria-invalid=%q", got.Invalid)
	}
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/password?lang=zh-Hant"), chromedp.WaitVisible(testid("password-form")),
		chromedp.SendKeys(chromedp.CSS("#current-password"), "whatever it is"),
		chromedp.SendKeys(chromedp.CSS("#new-password"), "a long new passphrase 1"),
		chromedp.SendKeys(chromedp.CSS("#confirm-password"), "a long new passphrase 2"),
		chromedp.Submit(chromedp.CSS("#confirm-password")), chromedp.WaitVisible(testid("form-error")))
	checkFormError(t, b, "password change", "#confirm-password", "錯誤：")
	// A PIN too short for the server (a browser that does not check the
	// pattern posts it).
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/counter?lang=en"), chromedp.WaitVisible(testid("pin-input")))
	pin := browserEval[string](t, b, `(() => { const f = document.querySelector('[data-testid="pin-input"]');
		f.value = '12'; f.form.submit(); return f.id; })()`)
	b.do(t, 15*time.Second, chromedp.WaitVisible(testid("form-error")))
	checkFormError(t, b, "counter PIN", "#"+pin, "Error: ")
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/links?lang=en"), chromedp.WaitVisible(testid("link-create")),
		chromedp.SendKeys(chromedp.CSS("#min"), "5"), chromedp.SendKeys(chromedp.CSS("#max"), "200"),
		chromedp.Click(testid("link-create-button")), chromedp.WaitVisible(testid("link-url")))
	linkURL := b.text(t, fmt.Sprintf(sel, "link-url"))
	for _, c := range []struct{ lang, typed, prefix string }{{"en", "9999", "Error: "}, {"zh-Hans", "9999", "错误："}, {"en", "abc", "Error: "}} {
		b.do(t, 15*time.Second, chromedp.Navigate(linkURL+"?lang="+c.lang), chromedp.WaitVisible(testid("link-form")),
			chromedp.SendKeys(chromedp.CSS("#amount"), c.typed), chromedp.Click(testid("link-pay")),
			chromedp.WaitVisible(testid("form-error")))
		name := "payment link " + c.typed + " in " + c.lang
		checkFormError(t, b, name, "#amount", c.prefix)
		if c.typed == "9999" {
			noAxe(name)
		}
	}

	b.do(t, 15*time.Second, chromedp.Navigate(app.URL+"/counter?lang=en"), chromedp.WaitVisible(testid("pair-code")),
		chromedp.SendKeys(testid("pair-code"), "00000000"), chromedp.Click(testid("pair")), chromedp.WaitVisible(testid("form-error")))
	checkFormError(t, b, "till pairing", "#code", "Error: ")
	noAxe("till pairing refused")
}
