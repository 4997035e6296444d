package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// testid selects an element by its data-testid.
func testid(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

func TestCheckoutPage(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	w := app.do(t, "GET", "/checkout/"+p.ID, nil, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", w.Code)
	}
	csp := w.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self' 'nonce-") || !strings.Contains(csp, "frame-ancestors") {
		t.Errorf("Content-Security-Policy = %q, want a script nonce and frame-ancestors", csp)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	doc := mustDoc(t, w)
	if got := strings.Join(strings.Fields(testid(doc, "amount").Text()), " "); got != "NZ$ 12.50" {
		t.Errorf("amount = %q, want %q", got, "NZ$ 12.50")
	}
	for _, id := range []string{"method-wechat", "method-alipay", "sandbox-banner"} {
		if testid(doc, id).Length() != 1 {
			t.Errorf("no [data-testid=%s]", id)
		}
	}
	if st, _ := testid(doc, "status").Attr("data-status"); st != "created" {
		t.Errorf("status data-status = %q, want created", st)
	}
	if testid(doc, "qr").Length() != 0 {
		t.Error("a QR is shown before a method was chosen")
	}
	nonce, _ := doc.Find("script[src]").Attr("nonce")
	if nonce == "" || !strings.Contains(csp, "'nonce-"+nonce+"'") {
		t.Errorf("script nonce %q is not the CSP's", nonce)
	}
	if strings.Contains(w.Body.String(), testAPIKey) || strings.Contains(w.Body.String(), paymentstest.APIKey) {
		t.Error("the page contains a secret")
	}
}

func TestCheckoutStartQR(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	w := app.start(t, p.ID, "wechat", desktopUA)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/checkout/"+p.ID {
		t.Fatalf("POST start = %d Location %q, want 303 to the checkout page", w.Code, w.Header().Get("Location"))
	}
	doc := app.page(t, p.ID)
	if st, _ := testid(doc, "status").Attr("data-status"); st != "pending" {
		t.Errorf("data-status = %q, want pending", st)
	}
	src, ok := testid(doc, "qr").Attr("src")
	if !ok || !strings.HasPrefix(src, "/checkout/"+p.ID+"/qr.png") {
		t.Errorf("qr src = %q, want our own QR image", src)
	}
	for _, id := range []string{"simulate-paid", "simulate-failed"} {
		if testid(doc, id).Length() != 1 {
			t.Errorf("no [data-testid=%s] in sandbox mode", id)
		}
	}
	if testid(doc, "amount-cny").Length() != 1 {
		t.Error("no CNY amount shown with the QR")
	}
	img := app.do(t, "GET", src, nil, nil)
	if img.Code != http.StatusOK || img.Header().Get("Content-Type") != "image/png" || !strings.HasPrefix(img.Body.String(), "\x89PNG") {
		t.Errorf("GET %s = %d %q, want a PNG", src, img.Code, img.Header().Get("Content-Type"))
	}
}

func TestCheckoutStartCrossOrigin(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	w := app.do(t, "POST", "/checkout/"+p.ID+"/start", strings.NewReader("method=wechat"),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {"https://evil.example.net"}})
	if w.Code != http.StatusForbidden {
		t.Errorf("cross-origin POST start = %d, want 403", w.Code)
	}
	if got, _ := app.Store.Payment(context.Background(), p.ID); got.Attempts != 0 {
		t.Errorf("attempts = %d after a cross-origin post, want 0", got.Attempts)
	}
}

func TestCheckoutStartPhoneRedirects(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	w := app.start(t, p.ID, "alipay", phoneUA)
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, app.SimURL+"/pay/") {
		t.Errorf("POST start on a phone = %d Location %q, want 303 to Latipay's page", w.Code, loc)
	}
}

func TestCheckoutSimulateThroughSandbox(t *testing.T) {
	app := newTestApp(t)
	p, ref := app.mustStartedQR(t)
	w := app.do(t, "POST", "/sandbox/latipay/simulate",
		strings.NewReader(url.Values{"merchant_reference": {ref}, "status": {"paid"}, "redirect": {"/checkout/" + p.ID}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {app.AppURL}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("simulate = %d %s, want 303", w.Code, w.Body)
	}
	app.WaitStatus(t, p.ID, payments.StatusPaid)
	doc := app.page(t, p.ID)
	if st, _ := testid(doc, "status").Attr("data-status"); st != "paid" {
		t.Errorf("data-status = %q, want paid", st)
	}
	href, _ := testid(doc, "back-to-shop").Attr("href")
	if strings.HasPrefix(href, "/") { // our own validated redirect
		href = app.do(t, "GET", href, nil, nil).Header().Get("Location")
	}
	if href != "https://shop.example.com/done" && !strings.HasPrefix(href, "https://shop.example.com/done?") {
		t.Errorf("back-to-shop leads to %q, want the return_url", href)
	}
	api := mustJSON[paymentstest.APIPayment](t, app.api(t, "GET", "/api/v1/payments/"+p.ID, "", nil))
	if api.Status != "paid" || api.PaidAt == nil || api.LatipayReference != ref || api.PaymentMethod != "wechat" || api.LatipayOrderID == "" {
		t.Errorf("API = %+v, want paid with paid_at, reference, method and order id", api)
	}
}

func TestStatusJSON(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	w := app.do(t, "GET", "/checkout/"+p.ID+"/status", nil, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", w.Code)
	}
	got := mustJSON[map[string]any](t, w)
	if got["status"] != "created" || got["version"] != float64(1) {
		t.Errorf("status JSON = %v, want created version 1", got)
	}
	if w := app.do(t, "GET", "/checkout/pay_00000000000000000000000000/status", nil, nil); w.Code != http.StatusNotFound {
		t.Errorf("unknown id = %d, want 404", w.Code)
	}
}

// signedLink returns /pay?... signed with the test link secret.
func signedLink(q url.Values) string {
	q.Set("sig", payments.SignLink(testLinkSecret, q))
	return "/pay?" + q.Encode()
}

func linkQuery(ref, amount string) url.Values {
	return url.Values{"amount": {amount}, "currency": {"NZD"}, "reference": {ref},
		"description": {"Link order"}, "return_url": {"https://shop.example.com/done"}}
}

func TestSignedLink(t *testing.T) {
	app := newTestApp(t)
	w := app.do(t, "GET", signedLink(linkQuery("LINK-1", "20.00")), nil, nil)
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/checkout/pay_") {
		t.Fatalf("valid link = %d Location %q, want 303 to a checkout page", w.Code, loc)
	}
	again := app.do(t, "GET", signedLink(linkQuery("LINK-1", "20.00")), nil, nil)
	if got := again.Header().Get("Location"); got != loc {
		t.Errorf("second visit went to %q, want the same payment %q", got, loc)
	}
	doc := app.page(t, strings.TrimPrefix(loc, "/checkout/"))
	if got := strings.Join(strings.Fields(testid(doc, "amount").Text()), " "); got != "NZ$ 20.00" {
		t.Errorf("amount = %q, want NZ$ 20.00", got)
	}

	tampered := linkQuery("LINK-2", "20.00")
	tampered.Set("sig", payments.SignLink(testLinkSecret, tampered))
	tampered.Set("amount", "0.01")
	expired := linkQuery("LINK-3", "20.00")
	expired.Set("exp", strconv.FormatInt(app.Clock.Now().Add(-time.Minute).Unix(), 10))
	tests := []struct {
		name, path string
		want       int
	}{
		{"tampered", "/pay?" + tampered.Encode(), http.StatusForbidden},
		{"no sig", "/pay?" + linkQuery("LINK-4", "1.00").Encode(), http.StatusForbidden},
		{"expired", signedLink(expired), http.StatusGone},
		{"reference reused with another amount", signedLink(linkQuery("LINK-1", "21.00")), http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := app.do(t, "GET", tt.path, nil, nil)
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d", w.Code, tt.want)
			}
			body := w.Body.String()
			doc := mustDoc(t, w)
			if code, _ := testid(doc, "error").Attr("data-status-code"); code != strconv.Itoa(tt.want) {
				t.Errorf("error page data-status-code = %q, want %d", code, tt.want)
			}
			for _, leak := range []string{"goroutine", ".go:", "panic", "payments:", testLinkSecret} {
				if strings.Contains(body, leak) {
					t.Errorf("error page contains %q", leak)
				}
			}
		})
	}
}

// postCallback posts a callback form to the real server.
func (a *testApp) postCallback(t testing.TB, contentType, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(a.AppURL+"/latipay/callback", contentType, strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST callback: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const formType = "application/x-www-form-urlencoded"

func TestCallback(t *testing.T) {
	app := newTestApp(t)
	p, ref := app.mustStartedQR(t)
	good := paymentstest.Notification(ref, "wechat", "paid", "NZD", "12.50")
	bad := paymentstest.Notification(ref, "wechat", "paid", "NZD", "12.50")
	bad.Set("signature", strings.Repeat("0", 64))

	t.Run("bad signature", func(t *testing.T) {
		code, body := app.postCallback(t, formType, bad.Encode())
		if code < 400 || code > 499 || body == "sent" {
			t.Errorf("bad signature = %d %q, want 4xx and never sent", code, body)
		}
	})
	t.Run("wrong content type", func(t *testing.T) {
		code, body := app.postCallback(t, "application/json", `{"status":"paid"}`)
		if code != http.StatusUnsupportedMediaType || body == "sent" {
			t.Errorf("JSON body = %d %q, want 415", code, body)
		}
	})
	t.Run("too large", func(t *testing.T) {
		code, body := app.postCallback(t, formType, good.Encode()+"&pad="+strings.Repeat("x", 17<<10))
		if code < 400 || code > 499 || body == "sent" {
			t.Errorf("17 KiB body = %d %q, want 4xx", code, body)
		}
	})
	if got, _ := app.Store.Payment(context.Background(), p.ID); got.Status != payments.StatusPending {
		t.Fatalf("status %s after rejected callbacks, want pending", got.Status)
	}

	t.Run("valid, with duplicates", func(t *testing.T) {
		const n = 100
		codes, bodies := make([]int, n), make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { codes[i], bodies[i] = app.postCallback(t, formType, good.Encode()) })
		}
		wg.Wait()
		for i := range n {
			if codes[i] != http.StatusOK || bodies[i] != "sent" {
				t.Errorf("callback #%d = %d %q, want 200 sent", i, codes[i], bodies[i])
			}
		}
		got, _ := app.Store.Payment(context.Background(), p.ID)
		evs := app.MustEvents(t, p.ID)
		if got.Status != payments.StatusPaid || paymentstest.CountEvents(evs, "payment.paid") != 1 {
			t.Errorf("status %s with %d payment.paid events, want paid once", got.Status, paymentstest.CountEvents(evs, "payment.paid"))
		}
		code, body := app.postCallback(t, formType, good.Encode())
		if code != http.StatusOK || body != "sent" {
			t.Errorf("a later repeat = %d %q, want 200 sent", code, body)
		}
	})
}

func TestReturnShowsServerTruth(t *testing.T) {
	app := newTestApp(t)
	p, ref := app.mustStartedQR(t)
	q := url.Values{"merchant_reference": {ref}, "payment_method": {"wechat"}, "status": {"paid"},
		"currency": {"NZD"}, "amount": {"12.50"}, "signature": {strings.Repeat("a", 64)}}
	w := app.do(t, "GET", "/checkout/"+p.ID+"/return?"+q.Encode(), nil, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("return = %d, want 200", w.Code)
	}
	if st, _ := testid(mustDoc(t, w), "status").Attr("data-status"); st != "pending" {
		t.Errorf("forged return shows %q, want pending", st)
	}
}

// TestStatusDatabaseOutage: when the database cannot answer, the status
// endpoint says so (a 5xx through the error funnel, with a request id)
// instead of "no such payment", which would tell the page to give up.
func TestStatusDatabaseOutage(t *testing.T) {
	app := newTestApp(t)
	if err := app.Store.Close(); err != nil {
		t.Fatal(err)
	}
	w := app.do(t, "GET", "/checkout/pay_00000000000000000000000000/status", nil, nil)
	got := mustJSON[map[string]map[string]any](t, w)
	if w.Code < 500 || got["error"]["code"] == "not_found" || got["error"]["request_id"] == nil {
		t.Errorf("status with the database closed = %d %v, want a 5xx error with a request id, not not_found", w.Code, got)
	}
}

// TestSignedLinkAfterExp: a signed link opened again after its exp leads
// the shopper to the payment it made (paid, failed, …), never to "this link
// has expired, ask the shop for a new one", which would invite paying
// twice; a link never opened before its exp says it expired; a bad
// signature is refused whatever the reference has made.
func TestSignedLinkAfterExp(t *testing.T) {
	app := newTestApp(t)
	exp := strconv.FormatInt(app.Clock.Now().Add(10*time.Minute).Unix(), 10)
	paidQ, failedQ, unusedQ := linkQuery("EXP-PAID", "20.00"), linkQuery("EXP-FAILED", "20.00"), linkQuery("EXP-UNUSED", "20.00")
	for _, q := range []url.Values{paidQ, failedQ, unusedQ} {
		q.Set("exp", exp)
	}
	open := func(q url.Values) string {
		t.Helper()
		w := app.do(t, "GET", signedLink(q), nil, nil)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("link %s = %d, want 303", q.Get("reference"), w.Code)
		}
		return strings.TrimPrefix(w.Header().Get("Location"), "/checkout/")
	}
	paidID, failedID := open(paidQ), open(failedQ)
	if err := app.Sim.Pay(app.mustStartQR(t, paidID)); err != nil {
		t.Fatal(err)
	}
	app.WaitStatus(t, paidID, payments.StatusPaid)
	if err := app.Sim.Fail(app.mustStartQR(t, failedID)); err != nil {
		t.Fatal(err)
	}
	app.WaitStatus(t, failedID, payments.StatusFailed)

	app.Clock.Advance(11 * time.Minute)
	for _, tt := range []struct {
		q      url.Values
		id     string
		status string
	}{{paidQ, paidID, "paid"}, {failedQ, failedID, "failed"}} {
		w := app.do(t, "GET", signedLink(tt.q), nil, nil)
		if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/checkout/"+tt.id {
			t.Errorf("%s after exp = %d Location %q, want 303 to /checkout/%s", tt.q.Get("reference"), w.Code, loc, tt.id)
			continue
		}
		if got, _ := testid(app.page(t, tt.id), "status").Attr("data-status"); got != tt.status {
			t.Errorf("%s after exp shows %q, want %q", tt.q.Get("reference"), got, tt.status)
		}
	}
	unused := app.do(t, "GET", signedLink(unusedQ)+"&lang=en", nil, nil)
	if unused.Code != http.StatusGone {
		t.Errorf("a link never opened, after exp = %d, want 410", unused.Code)
	}
	if got := mustDoc(t, unused).Find("title").Text(); got != "Payment link expired" {
		t.Errorf("expired link's page is titled %q, want Payment link expired", got)
	}
	forged := linkQuery("EXP-PAID", "20.00")
	forged.Set("exp", exp)
	forged.Set("sig", strings.Repeat("0", 64))
	if w := app.do(t, "GET", "/pay?"+forged.Encode(), nil, nil); w.Code != http.StatusForbidden {
		t.Errorf("a bad signature on a paid reference, after exp = %d, want 403", w.Code)
	}
}
