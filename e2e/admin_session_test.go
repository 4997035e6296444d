package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// sessionBuild is the binary whose back-office sessions last seconds (the
// shortsessions tag, payments/accounts/limits_short.go): idle 60 s,
// absolute 150 s, warned 30 s before the end. No setting shortens them.
func sessionBuild(t testing.TB) string { return mainBinary(t, "shortsessions") }

// sessionTab opens another tab of b's browser (its cookies) at path.
func sessionTab(t *testing.T, app *browserApp, b *browserSession, path string) *browserSession {
	t.Helper()
	tab, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	o := &browserSession{ctx: tab, rec: &browserRecorder{}, app: app}
	o.do(t, 20*time.Second, chromedp.Navigate(app.URL+path), chromedp.WaitReady(chromedp.CSS("main")))
	return o
}

// sessionState is the warning's state in b's page: hidden, idle,
// absolute or ended.
const sessionState = `(document.querySelector('[data-testid="session-warn"]') || {getAttribute() { return 'none'; }}).getAttribute('data-state') || 'hidden'`

// sessionWait polls cond in b's page until it holds or within passes,
// saying what the warning showed then.
func sessionWait(t *testing.T, b *browserSession, what, cond string, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, within+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(100*time.Millisecond),
		chromedp.WithPollingTimeout(within))); err != nil {
		t.Fatalf("waited %v for %s (the warning is %s: %q): %v", within, what, browserEval[string](t, b, sessionState),
			browserEval[string](t, b, `(document.querySelector('[data-testid="session-say"]') || {}).textContent || ''`), err)
	}
}

func waitSessionState(t *testing.T, b *browserSession, want string, within time.Duration) {
	t.Helper()
	sessionWait(t, b, "the session warning "+want, fmt.Sprintf(`(%s) === %q`, sessionState, want), within)
	if hidden := browserEval[bool](t, b, `document.querySelector('[data-testid="session-warn"]').hidden`); hidden != (want == "hidden") {
		t.Fatalf("the warning is %s but hidden=%v", want, hidden)
	}
}

// TestSessionWarningBrowser is the warning before a back-office session
// ends, in Chromium against the build whose sessions last seconds: on the
// password form, with half a password typed, the warning appears before
// the idle end, said by its role=alert line with the time of the end;
// focus goes to "Stay signed in" and comes back to the field, whose
// text is kept, once pressed; the warning goes and the session outlives
// its first end. Other tabs of the same browser (Simplified and
// Traditional Chinese) warn too, axe-core passes on the warning in all
// three languages, and a request in another tab takes the warning away
// (the page's own question does not extend the session). Near the
// absolute limit it says the session cannot be extended and offers no
// button; ended, it says so, a form's submit is held back instead of
// failing, the warning fits a 360 px phone at 200% text, and "Sign in
// again" comes back to the form.
func TestSessionWarningBrowser(t *testing.T) {
	axe := axeScript(t)
	app := browserStartBin(t, sessionBuild(t))
	b := browserNew(t, app)
	adminDemoSignIn(t, app, b)
	const form = "/admin/password"
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+form+"?lang=en"), chromedp.WaitReady(testid("password-form")),
		chromedp.SendKeys(chromedp.CSS("#current-password"), "half typed"))
	field := `document.querySelector('#current-password')`

	// The warning: said, with the time; focus on its button.
	waitSessionState(t, b, "idle", 60*time.Second)
	if role := b.attr(t, `[data-testid="session-say"]`, "role"); role != "alert" {
		t.Errorf("the warning's line has role %q, want alert", role)
	}
	say := b.text(t, `[data-testid="session-say"]`)
	if !strings.Contains(say, "you will be signed out at ") {
		t.Errorf("the warning says %q, want the time of the end", say)
	}
	sessionWait(t, b, "focus on Stay signed in", `document.activeElement && document.activeElement.getAttribute('data-testid') === 'session-stay'`, 10*time.Second)
	if v := browserEval[string](t, b, field+`.value`); v != "half typed" {
		t.Errorf("the field holds %q after the warning, want what was typed", v)
	}
	for _, v := range a11yAxe(t, b, string(axe)) {
		t.Errorf("the warning in en: axe: %s", v)
	}

	// Stay signed in: the warning goes, focus is back in the field.
	b.do(t, 10*time.Second, chromedp.Click(testid("session-stay")))
	waitSessionState(t, b, "hidden", 10*time.Second)
	if got := browserEval[string](t, b, `document.activeElement ? document.activeElement.id : ''`); got != "current-password" {
		t.Errorf("after Stay signed in focus is on %q, want the field it was in", got)
	}
	if v := browserEval[string](t, b, field+`.value`); v != "half typed" {
		t.Errorf("the field holds %q after Stay signed in", v)
	}

	// Two more tabs, in Chinese: the same session, warned in each.
	hans := sessionTab(t, app, b, "/admin/sessions?lang=zh-Hans")
	hant := sessionTab(t, app, b, "/admin/accounts?lang=zh-Hant")
	waitSessionState(t, b, "idle", 60*time.Second)
	for _, tab := range []struct {
		b          *browserSession
		lang, stay string
	}{{hans, "zh-Hans", "保持登录"}, {hant, "zh-Hant", "保持登入"}} {
		waitSessionState(t, tab.b, "idle", 15*time.Second)
		if got := tab.b.text(t, `[data-testid="session-stay"]`); got != tab.stay {
			t.Errorf("the warning in %s: button %q, want %q", tab.lang, got, tab.stay)
		}
		for _, v := range a11yAxe(t, tab.b, string(axe)) {
			t.Errorf("the warning in %s: axe: %s", tab.lang, v)
		}
	}
	// A request in another tab (the person at work there): the warning
	// here goes, asked quietly.
	hans.do(t, 20*time.Second, chromedp.Reload(), chromedp.WaitReady(chromedp.CSS("main")))
	waitSessionState(t, b, "hidden", 20*time.Second)

	// Kept alive (Stay signed in at each warning) until the absolute
	// limit comes first: no button, it cannot be extended.
	sessionWait(t, b, "the warning near the absolute limit", `(() => {
		const box = document.querySelector('[data-testid="session-warn"]'), state = box.getAttribute('data-state');
		if (state === 'idle') { box.querySelector('[data-testid="session-stay"]').click(); }
		return state === 'absolute';
	})()`, 150*time.Second)
	if say := b.text(t, `[data-testid="session-say"]`); !strings.Contains(say, "cannot be extended") {
		t.Errorf("near the absolute limit the warning says %q", say)
	}
	if !browserEval[bool](t, b, `document.querySelector('[data-testid="session-stay"]').hidden`) {
		t.Error("near the absolute limit the warning offers Stay signed in")
	}

	// Ended: said, the form is held back, sign in again comes back here.
	waitSessionState(t, b, "ended", 60*time.Second)
	if say := b.text(t, `[data-testid="session-say"]`); !strings.Contains(say, "You were signed out") {
		t.Errorf("the ended page says %q", say)
	}
	href := b.attr(t, `[data-testid="session-signin"]`, "href")
	u, err := url.Parse(href)
	if err != nil || u.Path != "/admin/signin" || u.Query().Get("next") != form+"?lang=en" {
		t.Errorf("sign in again goes to %q, want the sign-in page coming back to %s", href, form)
	}
	browserEval[bool](t, b, `window.__notSent = true`)
	b.do(t, 10*time.Second, chromedp.SendKeys(chromedp.CSS("#new-password"), "a new long passphrase"),
		chromedp.SendKeys(chromedp.CSS("#confirm-password"), "a new long passphrase"+kb.Enter))
	sessionWait(t, b, "focus on Sign in again", `document.activeElement && document.activeElement.getAttribute('data-testid') === 'session-signin'`, 10*time.Second)
	if !browserEval[bool](t, b, `window.__notSent === true`) {
		t.Error("the form was sent after the end")
	}
	for _, v := range a11yAxe(t, b, string(axe)) {
		t.Errorf("the ended warning: axe: %s", v)
	}
	b.do(t, 10*time.Second, chromedp.EmulateViewport(narrowPhone, 740, chromedp.EmulateMobile, chromedp.EmulateTouch))
	fitsLargeText(t, b, "the ended warning")
	// The warning scrolls within itself when taller than half the screen:
	// its link can be brought into view, whole.
	if !browserEval[bool](t, b, `(() => { const a = document.querySelector('[data-testid="session-signin"]'); a.scrollIntoView({block: 'nearest'});
		const r = a.getBoundingClientRect(); return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; })()`) {
		t.Error("at 200% text on a phone, Sign in again cannot be brought into view whole")
	}

	line := app.printed(t, "sign in as ", "")
	email, pw, _ := strings.Cut(line, " with password ")
	b.do(t, 20*time.Second, chromedp.Click(testid("session-signin")), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), strings.TrimSpace(pw)),
		chromedp.Click(testid("signin")), chromedp.WaitReady(testid("password-form")))
	if got := browserEval[string](t, b, `location.pathname`); got != form {
		t.Errorf("signed in again on %s, want back on %s", got, form)
	}
	waitSessionState(t, b, "hidden", 5*time.Second)
	b.finish(t, browserChecks{fetched: map[string]int64{"/admin/session": 401}})
}
