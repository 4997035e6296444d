package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

func TestEmbedScript(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	w := a.do(t, "GET", "/embed.js", nil, http.Header{"Origin": {shopOrigin}})
	h := w.Header()
	if w.Code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/javascript") {
		t.Fatalf("GET /embed.js = %d %s", w.Code, h.Get("Content-Type"))
	}
	if h.Get("Cross-Origin-Resource-Policy") != "cross-origin" || h.Get("Cache-Control") != "public, max-age=300" ||
		h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers = %v, want cross-origin CORP, a short cache and nosniff", h)
	}
	body := w.Body.String()
	for _, want := range []string{"HPPCheckout", "embed_origin", "ev.origin !== origin", "hpp:status"} {
		if !strings.Contains(body, want) {
			t.Errorf("embed.js lacks %q", want)
		}
	}
	if strings.Contains(body, "'*'") || len(body) > 8<<10 {
		t.Errorf("embed.js is %d bytes or posts to '*'", len(body))
	}
}

// TestEmbedOrigin is P0 83 (e2e/README.md) on the server side: the page names the
// parent origin only when it is registered, and its links keep it.
func TestEmbedOrigin(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	p := a.mustCreate(t, createBody)
	for _, tt := range []struct{ origin, want string }{
		{shopOrigin, shopOrigin},
		{"https://evil.example", ""},
		{"*", ""},
		{"https://shop.example.com/", ""},
		{"https://shop.example.com.evil.example", ""},
		{"", ""},
	} {
		w := a.do(t, "GET", "/checkout/"+p.ID+"?embed_origin="+url.QueryEscape(tt.origin), nil, nil)
		doc := mustDoc(t, w)
		got, has := doc.Find("#checkout").Attr("data-embed-origin")
		if got != tt.want || has != (tt.want != "") {
			t.Errorf("embed_origin %q: data-embed-origin = %q (%v), want %q", tt.origin, got, has, tt.want)
		}
		action, _ := doc.Find("form.methods").Attr("action")
		if keeps := strings.Contains(action, "embed_origin="); keeps != (tt.want != "") {
			t.Errorf("embed_origin %q: form action %q", tt.origin, action)
		}
		if id, _ := doc.Find("#checkout").Attr("data-payment-id"); id != p.ID {
			t.Errorf("data-payment-id = %q, want %s", id, p.ID)
		}
		csp := w.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors "+shopOrigin) || w.Header().Get("X-Frame-Options") != "" {
			t.Errorf("checkout framing headers: CSP %q, XFO %q", csp, w.Header().Get("X-Frame-Options"))
		}
	}
	// Choosing a method inside the frame comes back to the embedded page.
	w := a.do(t, "POST", "/checkout/"+p.ID+"/start?embed_origin="+url.QueryEscape(shopOrigin),
		strings.NewReader("method=wechat"), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}})
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || !strings.Contains(loc, "embed_origin="+url.QueryEscape(shopOrigin)) {
		t.Errorf("start = %d to %q, want 303 keeping embed_origin", w.Code, loc)
	}
	// The back link is a top navigation; the redirect page denies framing.
	if w := a.do(t, "GET", "/checkout/"+p.ID+"/back", nil, nil); w.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("back: X-Frame-Options = %q, want DENY", w.Header().Get("X-Frame-Options"))
	}
}

// TestHostedMethodsBreakOut: on a phone the hosted methods leave the
// frame for the top window (the wallet app launch needs it), on a tap.
func TestHostedMethodsBreakOut(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	p := a.mustCreate(t, createBody)
	doc := mustDoc(t, a.do(t, "GET", "/checkout/"+p.ID+"?embed_origin="+url.QueryEscape(shopOrigin), nil, http.Header{"User-Agent": {phoneUA}}))
	buttons := doc.Find("form.methods button")
	if buttons.Length() == 0 {
		t.Fatal("no method buttons")
	}
	if doc.Find("form.methods button[formtarget='_top']").Length() == 0 {
		t.Errorf("no hosted method button targets _top on a phone")
	}
}

// TestSignedBackRedirect: the back-to-shop link goes through
// /checkout/:id/back, which sends the shopper to the stored URL with the
// outcome signed; the cancel URL for a canceled payment.
func TestSignedBackRedirect(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	p := a.mustPaid(t)
	doc := a.page(t, p.ID)
	link := doc.Find(`[data-testid="back-to-shop"]`)
	if href, _ := link.Attr("href"); href != "/checkout/"+p.ID+"/back" || link.AttrOr("target", "") != "_top" {
		t.Fatalf("back link = %q target %q, want /checkout/%s/back target _top", href, link.AttrOr("target", ""), p.ID)
	}
	a.Clock.Advance(time.Minute)
	w := a.do(t, "GET", "/checkout/"+p.ID+"/back", nil, nil)
	u, err := url.Parse(w.Header().Get("Location"))
	if w.Code != http.StatusSeeOther || err != nil || u.Scheme+"://"+u.Host != shopOrigin || u.Path != "/done" {
		t.Fatalf("back = %d to %q, want 303 to %s/done", w.Code, w.Header().Get("Location"), shopOrigin)
	}
	q := u.Query()
	id, st, err := payments.VerifyRedirect(q, []string{webhookSecret}, a.Clock.Now(), time.Minute)
	if err != nil || id != p.ID || st != payments.StatusPaid || q.Get("amount") != "12.50" || q.Get("currency") != "NZD" ||
		q.Get("reference") != "ORDER-1" || q.Get("ts") != strconv.FormatInt(a.Clock.Now().Unix(), 10) {
		t.Errorf("redirect query %v: %q %q %v", q, id, st, err)
	}

	withCancel := strings.Replace(createBody, `"return_url"`, `"cancel_url":"https://shop.example.com/cart","return_url"`, 1)
	c := a.mustCreate(t, withCancel)
	a.api(t, "POST", "/api/v1/payments/"+c.ID+"/cancel", "", nil)
	w = a.do(t, "GET", "/checkout/"+c.ID+"/back", nil, nil)
	if u, _ := url.Parse(w.Header().Get("Location")); u == nil || u.Path != "/cart" || u.Query().Get("status") != "canceled" {
		t.Errorf("back from canceled = %q, want the cancel URL with status=canceled", w.Header().Get("Location"))
	}
	if w := a.do(t, "GET", "/checkout/pay_nope/back", nil, nil); w.Code != http.StatusNotFound {
		t.Errorf("back of unknown = %d, want 404", w.Code)
	}
}
