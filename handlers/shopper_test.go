package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
)

// cancelBody is createBody with a cancel_url.
var cancelBody = strings.Replace(createBody, `"return_url"`, `"cancel_url":"https://shop.example.com/cart","return_url"`, 1)

// TestCheckoutCancelLink: with a cancel_url, the choosing, QR and failed
// screens offer "Cancel and return to <shop>"; posting it cancels the
// payment and its live Latipay attempt, and sends the shopper through the
// signed back redirect to the cancel_url with status=canceled. The page
// then says canceled, not expired.
func TestCheckoutCancelLink(t *testing.T) {
	app := newEmbedApp(t, nil, false)
	plain := app.mustCreate(t, createBody)
	if n := testid(app.page(t, plain.ID), "cancel").Length(); n != 0 {
		t.Error("a payment without cancel_url offers a cancel link")
	}
	p := app.mustCreate(t, cancelBody)
	doc := app.page(t, p.ID)
	if got := strings.TrimSpace(testid(doc, "cancel").Text()); got != "Cancel and return to Test Shop" {
		t.Errorf("choosing screen cancel link = %q", got)
	}
	ref := app.mustStartQR(t, p.ID)
	doc = app.page(t, p.ID)
	if testid(doc, "qr").Length() != 1 || testid(doc, "cancel").Length() != 1 {
		t.Fatal("the QR screen has no cancel link")
	}
	action, _ := doc.Find(`form:has([data-testid="cancel"])`).Attr("action")
	w := app.do(t, "POST", action, strings.NewReader(""),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {app.AppURL}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/checkout/"+p.ID+"/back" {
		t.Fatalf("POST %s = %d Location %q, want 303 to the back redirect", action, w.Code, w.Header().Get("Location"))
	}
	w = app.do(t, "GET", "/checkout/"+p.ID+"/back", nil, nil)
	if u, _ := url.Parse(w.Header().Get("Location")); u == nil || u.Host != "shop.example.com" || u.Path != "/cart" || u.Query().Get("status") != "canceled" {
		t.Errorf("back after cancel = %q, want the cancel_url with status=canceled", w.Header().Get("Location"))
	}
	app.WaitStatus(t, p.ID, payments.StatusCanceled)
	doc = app.page(t, p.ID)
	if sc, _ := testid(doc, "status").Attr("data-screen"); sc != "canceled" {
		t.Errorf("screen after cancel = %q", sc)
	}
	if got := testid(doc, "screen-text").Text(); !strings.Contains(got, "canceled") || strings.Contains(got, "run out") {
		t.Errorf("canceled page says %q, want that it was canceled", got)
	}
	// Canceled from the link is the shopper's cancel, in the event log and
	// on the page in the three languages; the API's cancel the merchant's.
	app.mustCancelSaid(t, p.ID, "canceled by the shopper", map[string]string{"en": "You canceled this payment.",
		"zh-Hans": "您已取消此订单", "zh-Hant": "您已取消此訂單"})
	if w := app.api(t, "POST", "/api/v1/payments/"+plain.ID+"/cancel", "", nil); w.Code != http.StatusOK {
		t.Fatalf("API cancel = %d %s", w.Code, w.Body)
	}
	app.mustCancelSaid(t, plain.ID, "canceled by the merchant", map[string]string{"en": "The shop canceled this payment.",
		"zh-Hans": "商家已取消此订单", "zh-Hant": "商家已取消此訂單"})
	if testid(doc, "cancel").Length() != 0 {
		t.Error("a canceled payment still offers to cancel")
	}
	a, err := app.Store.Attempts(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range a {
		if x.Reference == ref && x.Status.Live() && x.NextCheckAt.After(app.Clock.Now()) {
			t.Errorf("attempt %s stays live and is not due for canceling at Latipay", ref)
		}
	}

	f := app.mustCreate(t, strings.Replace(cancelBody, "ORDER-1", "ORDER-F", 1))
	fref := app.mustStartQR(t, f.ID)
	if err := app.Sim.Fail(fref); err != nil {
		t.Fatal(err)
	}
	app.WaitStatus(t, f.ID, payments.StatusFailed)
	if testid(app.page(t, f.ID), "cancel").Length() != 1 {
		t.Error("the failed screen has no cancel link")
	}
}

// mustCancelSaid checks who a canceled payment's event log says canceled
// it (detail) and what its page says in each language (want's values
// begin the screen text).
func (a *testApp) mustCancelSaid(t *testing.T, id, detail string, want map[string]string) {
	t.Helper()
	w := a.api(t, "GET", "/api/v1/payments/"+id+"/events", "", nil)
	var evs struct {
		Data []struct{ Type, Detail string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &evs); err != nil {
		t.Fatalf("events: %d %s", w.Code, w.Body)
	}
	said := ""
	for _, e := range evs.Data {
		if e.Type == "payment.canceled" {
			said = e.Detail
		}
	}
	if said != detail {
		t.Errorf("payment.canceled event says %q, want %q", said, detail)
	}
	for lang, text := range want {
		w := a.do(t, "GET", "/checkout/"+id+"?lang="+lang, nil, nil)
		if got := strings.TrimSpace(testid(mustDoc(t, w), "screen-text").Text()); !strings.HasPrefix(got, text) {
			t.Errorf("canceled page in %s says %q, want it to begin %q", lang, got, text)
		}
	}
}

// TestUnknownPathPage: a path that is no route says the page does not
// exist (not that a payment was not found), keeps the merchant's name and
// links back to the merchant's site.
func TestUnknownPathPage(t *testing.T) {
	app := newEmbedApp(t, nil, false)
	w := app.do(t, "GET", "/no/such/page", nil, nil)
	if w.Code != http.StatusNotFound {
		t.Fatalf("GET /no/such/page = %d, want 404", w.Code)
	}
	body := w.Body.String()
	if !strings.Contains(body, "This page does not exist") || strings.Contains(body, "payment") && strings.Contains(body, "could not find") {
		t.Errorf("unknown path page = %s", body)
	}
	doc := mustDoc(t, w)
	if !strings.Contains(doc.Find(".merchant").Text(), "Test Shop") {
		t.Error("the unknown path page lost the merchant's name")
	}
	if href, _ := testid(doc, "back-to-shop").Attr("href"); !strings.HasPrefix(href, "https://shop.example.com") {
		t.Errorf("way back = %q, want the merchant's site", href)
	}
	w = app.do(t, "GET", "/checkout/pay_00000000000000000000000000", nil, nil)
	if !strings.Contains(w.Body.String(), "could not find this payment") {
		t.Error("an unknown payment no longer says so")
	}
}

// TestReceipt: the paid page states the amount, method, time, Latipay's
// order id, the yuan charged and the rate, and drops the "charges at the
// rate of the moment you pay" note.
func TestReceipt(t *testing.T) {
	app := newTestApp(t)
	p := app.mustPaid(t)
	doc := app.page(t, p.ID)
	for _, id := range []string{"receipt-amount", "receipt-method", "receipt-time", "receipt-order", "receipt-cny", "receipt-rate"} {
		if strings.TrimSpace(testid(doc, id).Text()) == "" {
			t.Errorf("the receipt has no %s", id)
		}
	}
	if got := testid(doc, "receipt-method").Text(); got != "WeChat Pay" {
		t.Errorf("method = %q", got)
	}
	if testid(doc, "cny-note").Length() != 0 {
		t.Error("the paid page still says the wallet charges at the rate of the moment you pay")
	}
	if !strings.HasPrefix(testid(doc, "receipt-amount").Text(), "NZ$ 12.50") {
		t.Errorf("receipt amount = %q", testid(doc, "receipt-amount").Text())
	}
}

// TestQRImageGeometry: the QR image is exactly the size the page gives
// it, a whole number of pixels per module, with the 4-module quiet zone
// and no other padding (the first dark pixel is at 4 modules in).
func TestQRImageGeometry(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	app.mustStartQR(t, p.ID)
	doc := app.page(t, p.ID)
	img := testid(doc, "qr")
	src, _ := img.Attr("src")
	width, _ := img.Attr("width")
	mods, _ := img.Attr("data-modules")
	size, _ := strconv.Atoi(width)
	n, _ := strconv.Atoi(mods)
	w := app.do(t, "GET", src, nil, nil)
	im, err := png.Decode(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("qr.png: %v", err)
	}
	b := im.Bounds()
	if b.Dx() != size || b.Dy() != size || n == 0 || size%n != 0 {
		t.Fatalf("image %dx%d, page shows %s px for %s modules: want equal, a whole number of pixels per module", b.Dx(), b.Dy(), width, mods)
	}
	scale := size / n
	dark := func(x, y int) bool { r, _, _, _ := im.At(x, y).RGBA(); return r < 0x8000 }
	first := -1
	for d := 0; d < size && first < 0; d++ {
		if dark(d, d) {
			first = d
		}
	}
	if first != 4*scale {
		t.Errorf("first dark pixel on the diagonal at %d, want the quiet zone's end %d (4 modules of %d px)", first, 4*scale, scale)
	}
	// The page's script asks for k device pixels per module to fill the
	// QR's box on the screen it has; srcset offers 2x and 3x the same way.
	if ss, _ := img.Attr("srcset"); ss != fmt.Sprintf("%[1]s&scale=%[2]d 2x, %[1]s&scale=%[3]d 3x", src, 2*scale, 3*scale) {
		t.Errorf("srcset = %q, want the 2x and 3x drawings", ss)
	}
	for _, k := range []int{1, 3 * scale, 29} {
		w := app.do(t, "GET", fmt.Sprintf("%s&scale=%d", src, k), nil, nil)
		im, err := png.Decode(bytes.NewReader(w.Body.Bytes()))
		if err != nil {
			t.Fatalf("qr.png at scale %d: %d %v", k, w.Code, err)
		}
		if b := im.Bounds(); b.Dx() != n*k || b.Dy() != n*k {
			t.Errorf("scale=%d: image %dx%d, want %d modules of %d px = %d", k, b.Dx(), b.Dy(), n, k, n*k)
		}
	}
	for _, bad := range []string{"0", "-3", "2.5", "x", "100000"} {
		w := app.do(t, "GET", src+"&scale="+bad, nil, nil)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "whole number of pixels per module") {
			t.Errorf("scale=%s: %d %q, want 400 saying what scale takes", bad, w.Code, w.Body.String())
		}
	}
}

// TestAPIURLMessages: a refused return_url or cancel_url says what applies,
// with the field spelled as the API spells it: plain http is refused for
// being http (whether or not origins are configured), and an unlisted
// origin names the origins and the setting that lists them.
func TestAPIURLMessages(t *testing.T) {
	open := newTestApp(t) // no merchant origins configured
	w := open.api(t, "POST", "/api/v1/payments", strings.Replace(createBody, "https://shop.example.com/done", "http://shop.example.com/done", 1), nil)
	msg := w.Body.String()
	if w.Code != http.StatusBadRequest || !strings.Contains(msg, `"return_url must use https."`) || strings.Contains(msg, "origin") {
		t.Errorf("http return_url without origins = %d %s, want only that it must use https", w.Code, msg)
	}
	listed := newEmbedApp(t, nil, false)
	w = listed.api(t, "POST", "/api/v1/payments", strings.Replace(cancelBody, "https://shop.example.com/cart", "https://other.example/cart", 1), nil)
	msg = w.Body.String()
	if w.Code != http.StatusBadRequest || !strings.Contains(msg, `cancel_url is on https://other.example`) ||
		!strings.Contains(msg, "HPP_MERCHANT_ORIGINS") || strings.Contains(msg, "Cancel_url") {
		t.Errorf("unlisted cancel_url = %d %s, want the origin, the origins and HPP_MERCHANT_ORIGINS", w.Code, msg)
	}
}
