package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// flowUA is a desktop browser, which gets our own QR code.
const flowUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"

// send makes one request to the app and checks its status.
func (a *app) send(t testing.TB, method, path string, body io.Reader, header http.Header, want int) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, a.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("User-Agent", flowUA)
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return resp
}

// api calls the merchant API and decodes its JSON answer into out.
func (a *app) api(t testing.TB, method, path, body string, want int, out any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	resp := a.send(t, method, path, rd, http.Header{"Authorization": {"Bearer " + a.APIKey},
		"Content-Type": {"application/json"}}, want)
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s %s: decode: %v", method, path, err)
	}
}

// page loads an HTML page.
func (a *app) page(t testing.TB, path string) *goquery.Document {
	t.Helper()
	resp := a.send(t, "GET", path, nil, nil, http.StatusOK)
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// byTestID selects by data-testid.
func byTestID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

func TestFlowPaidOverSocket(t *testing.T) {
	a := startApp(t, nil)

	var p paymentstest.APIPayment
	a.api(t, "POST", "/api/v1/payments", `{"amount":"12.50","currency":"NZD","reference":"E2E-1",`+
		`"description":"Flat white","return_url":"`+a.URL+`/"}`, http.StatusCreated, &p)
	if p.Status != "created" || p.CheckoutURL != a.URL+"/checkout/"+p.ID {
		t.Fatalf("created = %+v", p)
	}
	path := strings.TrimPrefix(p.CheckoutURL, a.URL)

	doc := a.page(t, path)
	if got := strings.Join(strings.Fields(byTestID(doc, "amount").Text()), " "); got != "NZ$ 12.50" {
		t.Errorf("amount = %q, want NZD 12.50", got)
	}
	if byTestID(doc, "method-wechat").Length() != 1 || byTestID(doc, "method-alipay").Length() != 1 {
		t.Error("the page does not offer WeChat Pay and Alipay")
	}

	// Choose WeChat Pay as the page's form would, from our own origin.
	resp := a.send(t, "POST", path+"/start", strings.NewReader("method=wechat"),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.URL}}, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != path {
		t.Fatalf("start redirected to %q, want %q", loc, path)
	}
	doc = a.page(t, path)
	if byTestID(doc, "qr").Length() != 1 {
		t.Fatal("no QR code after choosing WeChat Pay")
	}
	ref, _ := byTestID(doc, "simulate-paid").Closest("form").Find(`input[name="merchant_reference"]`).Attr("value")
	if ref == "" {
		t.Fatal("no merchant_reference in the sandbox's simulate form")
	}
	socketURL, _ := doc.Find("#checkout").Attr("data-socket-url")

	// Open the live socket as the page's script would.
	dialer := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, _, err := dialer.Dial("ws"+strings.TrimPrefix(a.URL, "http")+socketURL, http.Header{"Origin": {a.URL}})
	if err != nil {
		t.Fatalf("dial socket: %v", err)
	}
	defer conn.Close()
	read := func() map[string]any {
		t.Helper()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a hang guard, not a wait
		var m map[string]any
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("socket read: %v", err)
		}
		return m
	}
	if m := read(); m["status"] != "pending" {
		t.Fatalf("snapshot = %v, want pending", m)
	}

	// The shopper "scans": the simulator completes the payment and sends
	// its signed callback to the app.
	a.send(t, "POST", "/sandbox/latipay/simulate", strings.NewReader(url.Values{
		"merchant_reference": {ref}, "status": {"paid"}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, http.StatusOK)
	if m := read(); m["status"] != "paid" {
		t.Fatalf("push = %v, want paid", m)
	}

	var got paymentstest.APIPayment
	a.api(t, "GET", "/api/v1/payments/"+p.ID, "", http.StatusOK, &got)
	if got.Status != "paid" || got.PaidAt == nil || got.LatipayReference != ref || got.PaymentMethod != "wechat" {
		t.Errorf("API after payment = %+v, want paid via wechat with paid_at", got)
	}
	if st, _ := byTestID(a.page(t, path), "status").Attr("data-status"); st != "paid" {
		t.Errorf("page data-status = %q, want paid", st)
	}
	if strings.Contains(a.Logs(), a.APIKey) {
		t.Error("the merchant API key appears in the logs")
	}
}

func TestFlowDemoLink(t *testing.T) {
	a := startApp(t, nil)
	u, err := url.Parse(a.DemoLink)
	if err != nil || !strings.HasPrefix(a.DemoLink, a.URL+"/pay?") {
		t.Fatalf("demo link %q is not on %s/pay", a.DemoLink, a.URL)
	}
	resp := a.send(t, "GET", u.RequestURI(), nil, nil, http.StatusSeeOther)
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/checkout/pay_") {
		t.Fatalf("demo link redirected to %q, want a checkout page", loc)
	}
	doc := a.page(t, loc)
	if got := strings.Join(strings.Fields(byTestID(doc, "amount").Text()), " "); got != "NZ$ 12.50" {
		t.Errorf("amount = %q, want NZD 12.50", got)
	}
	if byTestID(doc, "sandbox-banner").Length() != 1 {
		t.Error("no sandbox banner")
	}
}

func TestFlowGracefulStop(t *testing.T) {
	a := startApp(t, nil)
	a.Stop(t)
	if done, code := a.Exited(); !done || code != 0 {
		t.Errorf("after SIGTERM: exited %v code %d, want a clean exit", done, code)
	}
}
