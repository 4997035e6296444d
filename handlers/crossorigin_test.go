package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/views"
)

// crossHeader is a form post from another site, in language lang asked
// by Accept-Language.
func crossHeader(lang string) http.Header {
	return http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {"https://evil.example"},
		"Sec-Fetch-Site": {"cross-site"}, "Accept-Language": {lang}, "User-Agent": {desktopUA}}
}

// TestCrossOriginPostIsAPage: a form posted to the checkout, the counter
// or the display from another site is refused 403 with the shopper's (or
// cashier's) error page, in the language asked for by Accept-Language or
// ?lang, with the way back (the shop's site; the counter); the counter's
// script gets its JSON error; the API keeps Go's own 403. Nothing changes.
func TestCrossOriginPostIsAPage(t *testing.T) {
	cat, err := views.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	const shop = "https://shop.example.com"
	app := handlers.NewTestApp(t, handlers.TestAppOptions{Edit: func(_ *paymentstest.Env, o *handlers.Options) {
		o.MerchantOrigins = []string{shop}
	}})
	a := &testApp{Env: app.Env, h: app.H}
	p := a.mustCreate(t, `{"amount":"41.00","currency":"NZD","reference":"ORDER-X","return_url":"`+shop+`/done","cancel_url":"`+shop+`/cart"}`)
	ctr := newAdminApp(t)
	for _, lang := range views.Languages() {
		for _, path := range []string{"/checkout/" + p.ID + "/start", "/checkout/" + p.ID + "/cancel"} {
			for _, viaQuery := range []bool{false, true} {
				target, hdr := path, crossHeader(lang)
				if viaQuery {
					target, hdr = path+"?lang="+lang, crossHeader("en")
					hdr.Del("Accept-Language")
				}
				w := a.do(t, http.MethodPost, target, strings.NewReader(url.Values{"method": {"wechat"}}.Encode()), hdr)
				if w.Code != http.StatusForbidden {
					t.Fatalf("%s %s: cross-site POST = %d, want 403", lang, target, w.Code)
				}
				doc := mustDoc(t, w)
				l := cat.Localizer(lang)
				msg := strings.TrimSpace(doc.Find(`[data-testid="error"] p`).First().Text())
				back, _ := doc.Find(`[data-testid="back-to-shop"]`).Attr("href")
				if h1 := strings.TrimSpace(doc.Find("h1").Text()); h1 != l.T("error.crossorigin.title") || msg != l.T("error.crossorigin") || back != shop+"/" {
					t.Errorf("%s %s: page %q / %q, back to %q; want %q / %q, back to %s/", lang, target, h1, msg, back,
						l.T("error.crossorigin.title"), l.T("error.crossorigin"), shop)
				}
				if doc.Find("html").AttrOr("lang", "") != lang {
					t.Errorf("%s %s: <html lang=%q>", lang, target, doc.Find("html").AttrOr("lang", ""))
				}
			}
		}
		for _, path := range []string{handlers.CounterPairPath, handlers.CounterUnlockPath, handlers.DisplayPath} {
			w := ctr.do(t, http.MethodPost, path, strings.NewReader("code=123456"), crossHeader(lang))
			if w.Code != http.StatusForbidden {
				t.Fatalf("%s %s: cross-site POST = %d, want 403", lang, path, w.Code)
			}
			doc := mustDoc(t, w)
			l := cat.Localizer(lang)
			msg := strings.TrimSpace(doc.Find(`[data-testid="error"] p`).First().Text())
			back, _ := doc.Find(`[data-testid="back-to-area"]`).Attr("href")
			if msg != l.T("error.crossorigin") || !strings.HasPrefix(back, handlers.CounterPath) {
				t.Errorf("%s %s: page says %q, back to %q; want %q, back to the counter", lang, path, msg, back, l.T("error.crossorigin"))
			}
		}
		hdr := crossHeader(lang)
		hdr.Set("Accept", "application/json")
		w := ctr.do(t, http.MethodPost, handlers.CounterChargePath, strings.NewReader("amount=1.00"), hdr)
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); w.Code != http.StatusForbidden || err != nil ||
			body.Error.Code != "cross_origin" || body.Error.Message != cat.Localizer(lang).T("error.crossorigin") {
			t.Errorf("%s: cross-site POST %s = %d %s, want 403 with the counter's JSON error", lang, handlers.CounterChargePath, w.Code, w.Body)
		}
	}
	if got := a.MustGet(t, p.ID); got.Attempts != 0 || got.Status != "created" {
		t.Errorf("payment %s with %d attempts after cross-site posts, want created, none", got.Status, got.Attempts)
	}
	w := a.do(t, http.MethodPost, "/api/v1/payments", strings.NewReader(createBody),
		http.Header{"Authorization": {"Bearer " + testAPIKey}, "Content-Type": {"application/json"}, "Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}})
	if w.Code != http.StatusForbidden || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("cross-site API POST = %d %s, want Go's own 403", w.Code, w.Header().Get("Content-Type"))
	}
}
