package handlers_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// The checkout page is rendered once per payment version and kept
// (handlers/pagecache.go). These tests hold the cache to what the page
// must show: a state change gives a new page, each language and device
// its own, no payment another's, and every response a fresh nonce and
// socket token.

// pageOf fetches the checkout page of id with the given query and
// headers and returns its body and the CSP nonce.
func pageOf(t *testing.T, app *testApp, id, query string, h http.Header) (string, string) {
	t.Helper()
	path := "/checkout/" + id
	if query != "" {
		path += "?" + query
	}
	w := app.do(t, "GET", path, nil, h)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s = %d", path, w.Code)
	}
	body := w.Body.String() // before mustDoc reads it
	if got := w.Header().Get("Content-Length"); got != strconv.Itoa(len(body)) {
		t.Fatalf("GET %s: Content-Length %q for %d bytes", path, got, len(body))
	}
	doc := mustDoc(t, w)
	nonce, _ := doc.Find("script[src]").Attr("nonce")
	if csp := w.Header().Get("Content-Security-Policy"); nonce == "" || !strings.Contains(csp, "'nonce-"+nonce+"'") {
		t.Fatalf("GET %s: script nonce %q is not the CSP's %q", path, nonce, csp)
	}
	return body, nonce
}

// TestPageCacheStateChange: a page served again from the cache is the
// same page with a fresh nonce and socket token, and once the payment
// changes (started, then paid) the next request shows the new state.
func TestPageCacheStateChange(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	first, n1 := pageOf(t, app, p.ID, "", nil)
	second, n2 := pageOf(t, app, p.ID, "", nil)
	if n1 == n2 {
		t.Errorf("two responses share the nonce %q", n1)
	}
	tok1, tok2 := socketToken(t, first), socketToken(t, second)
	if tok1 == tok2 {
		t.Errorf("two responses share the socket token %q", tok1)
	}
	// Apart from the nonce and the token, the bytes are the same.
	norm := func(s, nonce, tok string) string {
		return strings.ReplaceAll(strings.ReplaceAll(s, nonce, "NONCE"), tok, "TOKEN")
	}
	if norm(first, n1, tok1) != norm(second, n2, tok2) {
		t.Error("the cached page differs from the rendered one beyond the nonce and token")
	}
	// Both tokens open the payment's socket.
	for _, tok := range []string{tok1, tok2} {
		conn := app.mustDial(t, "/checkout/"+p.ID+"/ws?t="+tok)
		if m := mustRead(t, conn); m.Status != "created" {
			t.Errorf("socket snapshot = %+v, want created", m)
		}
		conn.Close()
	}
	if !strings.Contains(first, `data-status="created"`) {
		t.Fatal(`first page: no data-status="created"`)
	}

	ref := app.mustStartQR(t, p.ID)
	started, _ := pageOf(t, app, p.ID, "", nil)
	if !strings.Contains(started, `data-status="pending"`) || !strings.Contains(started, "qr.png?ref="+ref) {
		t.Errorf("after the start the page does not show the pending QR %s", ref)
	}
	if err := app.Svc.HandleNotification(context.Background(), paymentstest.Notification(ref, "wechat", "paid", "NZD", "12.50")); err != nil {
		t.Fatal(err)
	}
	paid, _ := pageOf(t, app, p.ID, "", nil)
	if !strings.Contains(paid, `data-status="paid"`) || strings.Contains(paid, "qr.png?ref=") {
		t.Error("after the paid callback the page does not show paid")
	}
}

// socketToken is the t parameter of the page's data-socket-url.
func socketToken(t *testing.T, page string) string {
	t.Helper()
	_, rest, ok := strings.Cut(page, `data-socket-url="`)
	if !ok {
		t.Fatal("no data-socket-url")
	}
	u, _, _ := strings.Cut(rest, `"`)
	_, tok, ok := strings.Cut(u, "?t=")
	if !ok || tok == "" {
		t.Fatalf("data-socket-url %q has no token", u)
	}
	return tok
}

// TestPageCacheLanguagesAndDevices: each language, chosen or detected,
// and each device class gets its own page from the cache.
func TestPageCacheLanguagesAndDevices(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	for range 2 { // the second round is served from the cache
		en, _ := pageOf(t, app, p.ID, "", nil)
		hans, _ := pageOf(t, app, p.ID, "lang=zh-Hans", nil)
		hant, _ := pageOf(t, app, p.ID, "", http.Header{"Accept-Language": {"zh-TW"}})
		if !strings.Contains(en, `<html lang="en"`) || !strings.Contains(hans, `<html lang="zh-Hans"`) || !strings.Contains(hant, `<html lang="zh-Hant"`) {
			t.Fatal("a language's page came back in another language")
		}
		// The chosen language is carried in the page's links; the detected one is not.
		if !strings.Contains(hans, "start?lang=zh-Hans") || strings.Contains(hant, "start?lang=") {
			t.Error("the carried language is wrong on a cached page")
		}
		desk, _ := pageOf(t, app, p.ID, "", http.Header{"User-Agent": {desktopUA}})
		wechat, _ := pageOf(t, app, p.ID, "", http.Header{"User-Agent": {"Mozilla/5.0 (iPhone) MicroMessenger/8.0 Language/en"}})
		const guide = `data-testid="wechat-alipay-guide"`
		if strings.Contains(desk, guide) || !strings.Contains(wechat, guide) {
			t.Error("the desktop page and the page in WeChat were mixed up (the Alipay guide is WeChat's only)")
		}
	}
}

// TestPageCacheNoCrossPayment: two payments' pages never share bytes
// that belong to one of them, whatever order they are asked in.
func TestPageCacheNoCrossPayment(t *testing.T) {
	app := newTestApp(t)
	a := app.mustCreate(t, createBody)
	b := app.mustCreate(t, strings.Replace(createBody, "12.50", "99.00", 1))
	for range 2 {
		pa, _ := pageOf(t, app, a.ID, "", nil)
		pb, _ := pageOf(t, app, b.ID, "", nil)
		if strings.Contains(pa, b.ID) || !strings.Contains(pa, a.ID) || !strings.Contains(pa, "12.50") {
			t.Error("payment A's page shows payment B")
		}
		if strings.Contains(pb, a.ID) || !strings.Contains(pb, b.ID) || !strings.Contains(pb, "99.00") {
			t.Error("payment B's page shows payment A")
		}
	}
}

// TestPageCacheQueriesRenderAnew: a page with any other query (the method
// chooser here) is not answered from the plain page's entry.
func TestPageCacheQueriesRenderAnew(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	app.mustStartQR(t, p.ID)
	plain, _ := pageOf(t, app, p.ID, "", nil)
	choose, _ := pageOf(t, app, p.ID, "choose=1", nil)
	if !strings.Contains(plain, "qr.png") || strings.Contains(choose, `data-testid="qr"`) {
		t.Error("?choose=1 was answered with the QR page")
	}
}

// TestPageCacheExpiry: a page kept while the payment was open is not
// served once its time is up: the next load shows it expired, in the
// shopper's language, whether or not anything read the payment between.
func TestPageCacheExpiry(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	for range 2 { // the second load comes from the cache
		en, _ := pageOf(t, app, p.ID, "", nil)
		hans, _ := pageOf(t, app, p.ID, "lang=zh-Hans", nil)
		if !strings.Contains(en, `data-status="created"`) || !strings.Contains(hans, `data-status="created"`) {
			t.Fatal("the open payment's page does not say created")
		}
	}
	app.Clock.Advance(2 * time.Hour) // past any expiry a payment can have
	en, _ := pageOf(t, app, p.ID, "", nil)
	hans, _ := pageOf(t, app, p.ID, "lang=zh-Hans", nil)
	if !strings.Contains(en, `data-status="expired"`) || !strings.Contains(hans, `data-status="expired"`) {
		t.Error("after the payment's time ran out a cached page still shows it open")
	}
	if !strings.Contains(en, `<html lang="en"`) || !strings.Contains(hans, `<html lang="zh-Hans"`) {
		t.Error("the expired page came back in another language")
	}
}

// TestPageCacheNonceAndTokenPerResponse: many loads of one cached page
// (and of its other languages) never repeat a CSP nonce or a socket
// token, and each nonce is the one its own CSP header names.
func TestPageCacheNonceAndTokenPerResponse(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	nonces, tokens := map[string]bool{}, map[string]bool{}
	for i := range 40 {
		q := ""
		if i%2 == 1 {
			q = "lang=zh-Hant"
		}
		page, nonce := pageOf(t, app, p.ID, q, nil) // pageOf checks the nonce against the CSP
		tok := socketToken(t, page)
		if nonces[nonce] || tokens[tok] {
			t.Fatalf("load %d repeats a nonce (%q) or a socket token (%q)", i, nonce, tok)
		}
		nonces[nonce], tokens[tok] = true, true
		if strings.Count(page, nonce) < 1 {
			t.Fatalf("load %d: the nonce is not on the page", i)
		}
	}
}
