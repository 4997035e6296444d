package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
)

// multiCounterOwner is the back office's owner of the counter test.
const multiCounterOwner, multiCounterPassword = "owner@shop.example", "counter owner password 1"

// multiBrowser is one browser's cookies, good on both instances (cookies
// do not tell ports apart).
type multiBrowser struct {
	t      *testing.T
	client *http.Client
}

func newMultiBrowser(t *testing.T) *multiBrowser {
	jar, _ := cookiejar.New(nil)
	return &multiBrowser{t: t, client: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

// post sends a form and returns the page it ends on (redirects followed).
func (b *multiBrowser) post(u string, form url.Values, want int) *goquery.Document {
	b.t.Helper()
	resp, err := b.client.PostForm(u, form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		b.t.Fatalf("POST %s = %d, want %d: %.300s", u, resp.StatusCode, want, body)
	}
	doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(body))
	return doc
}

// cookie is the Cookie header this browser sends to base.
func (b *multiBrowser) cookie(base string) string {
	u, _ := url.Parse(base)
	var parts []string
	for _, c := range b.client.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// dial opens a socket on a with this browser's cookies.
func (b *multiBrowser) dial(a *multiApp, path string) *websocket.Conn {
	b.t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(a.URL, "http")+path,
		http.Header{"Origin": {a.URL}, "Cookie": {b.cookie(a.URL)}, "Accept-Language": {"zh-CN"}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		b.t.Fatalf("%s: dial %s: %v (%d)", a.name, path, err, status)
	}
	b.t.Cleanup(func() { c.Close() })
	return c
}

// multiDisplayWait reads a display socket until it shows screen with
// html containing want, within multiBound.
func multiDisplayWait(t *testing.T, name string, c *websocket.Conn, screen, want string) (say string) {
	t.Helper()
	say, err := multiDisplayRead(c, screen, want, time.Now().Add(multiBound))
	if err != nil {
		t.Fatalf("display on %s: %v", name, err)
	}
	return say
}

// multiDisplayRead is multiDisplayWait until deadline, returning the
// failure rather than ending the test (for waits run side by side).
func multiDisplayRead(c *websocket.Conn, screen, want string, deadline time.Time) (say string, err error) {
	_ = c.SetReadDeadline(deadline)
	for {
		var m struct{ Screen, HTML, Say string }
		if err := c.ReadJSON(&m); err != nil {
			return "", fmt.Errorf("waiting for %s %q: %w", screen, want, err)
		}
		if m.Screen == screen && strings.Contains(m.HTML, want) {
			return m.Say, nil
		}
	}
}

// multiCounterTill starts two instances sharing PostgreSQL with an owner
// configured, and a till on A: the owner signs in there, sets their PIN,
// pairs the counter and unlocks it.
func multiCounterTill(t *testing.T) (db string, sim *multiSim, a, b *multiApp, till *multiBrowser) {
	t.Helper()
	pwFile := filepath.Join(t.TempDir(), "owner-password")
	if err := os.WriteFile(pwFile, []byte(multiCounterPassword), 0o600); err != nil {
		t.Fatal(err)
	}
	db, sim, a, b = multiPair(t, "HPP_ADMIN_EMAIL="+multiCounterOwner, "HPP_ADMIN_PASSWORD_FILE="+pwFile)
	till = newMultiBrowser(t)
	doc := till.post(a.URL+"/admin/signin", url.Values{"email": {multiCounterOwner}, "password": {multiCounterPassword}, "next": {"/admin/counter"}}, 200)
	owner, ok := doc.Find(`[data-testid="pin-row"] input[name="account"]`).Attr("value")
	if !ok {
		t.Fatal("the counter's back-office page lists nobody to give a PIN")
	}
	till.post(a.URL+"/admin/counter/pins", url.Values{"account": {owner}, "pin": {"2468"}}, 200)
	code := till.post(a.URL+"/admin/counter/pair", url.Values{"name": {"Front till"}}, 200).Find(`[data-testid="pairing-code"]`).Text()
	till.post(a.URL+"/counter/pair", url.Values{"code": {code}}, 200)
	till.post(a.URL+"/counter/unlock", url.Values{"account": {owner}, "pin": {"2468"}}, 200)
	return db, sim, a, b, till
}

// TestMultiCounterDisplay is the counter's proof on two instances sharing
// PostgreSQL: a device paired and unlocked on A starts a WeChat QR sale
// on A; displays paired with it hold their sockets on A and on B, and the
// counter's own sale socket is open on both. Every one of them shows the
// sale (the displays its amount and QR), then Latipay's signed callback
// lands on B only, and every one of them shows it paid: the displays
// with the tick and "微信收款 12.50 纽币".
func TestMultiCounterDisplay(t *testing.T) {
	// The owner sets their PIN and pairs the counter on A.
	_, sim, a, b, till := multiCounterTill(t)

	// Two displays: one paired through A, one through B.
	var screens []*websocket.Conn
	for _, at := range []*multiApp{a, b} {
		code := till.post(a.URL+"/counter/displays/code", nil, 200).Find(`[data-testid="display-code"]`).Text()
		if code == "" {
			t.Fatal("the counter shows no display code")
		}
		screen := newMultiBrowser(t)
		screen.post(at.URL+"/counter/display", url.Values{"code": {code}}, 200)
		ws := screen.dial(at, "/counter/display/ws")
		multiDisplayWait(t, at.name, ws, "idle", "")
		screens = append(screens, ws)
	}

	// The sale starts on A.
	sale := till.charge(a, "multi-sale-000000001")
	var counters []*websocket.Conn
	for _, at := range []*multiApp{a, b} {
		ws := till.dial(at, "/checkout/"+sale.ID+"/ws?t="+url.QueryEscape(sale.Token))
		multiWaitStatus(t, ws, "pending")
		counters = append(counters, ws)
	}
	for i, ws := range screens {
		multiDisplayWait(t, []string{"A", "B"}[i], ws, "sale", `data-testid="display-qr"`)
	}

	// Latipay's callback lands on B alone.
	ref := a.payment(t, sale.ID).LatipayReference
	start := multiPaidOn(t, sim, b, ref, "20260301000009")
	for i, ws := range counters {
		multiWaitStatus(t, ws, "paid")
		t.Logf("callback on B -> counter socket on %s: paid after %v", []string{"A", "B"}[i], time.Since(start))
	}
	for i, ws := range screens {
		if say := multiDisplayWait(t, []string{"A", "B"}[i], ws, "result", `data-testid="display-paid"`); say != "微信收款 12.50 纽币" {
			t.Errorf("display on %s announces %q", []string{"A", "B"}[i], say)
		}
		t.Logf("callback on B -> display on %s: tick after %v", []string{"A", "B"}[i], time.Since(start))
	}
}

// multiPaidOn has the simulator take ref's money without calling back,
// then posts Latipay's signed paid callback (NZD 12.50 by WeChat Pay,
// Latipay order orderID) to instance at alone, which must answer "sent"
// (it has rung the doorbell by then). It returns when the callback was
// sent, for the latency the test logs.
func multiPaidOn(t *testing.T, sim *multiSim, at *multiApp, ref, orderID string) time.Time {
	t.Helper()
	sim.sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	if err := sim.sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	form := url.Values{
		"merchant_reference": {ref}, "payment_method": {"wechat"}, "status": {"paid"},
		"currency": {"NZD"}, "amount": {"12.50"}, "order_id": {orderID}, "pay_time": {"2026-03-01 09:00:00"},
		"signature": {latipay.SignResult(multiLatipayKey, ref, "wechat", "paid", "NZD", "12.50")},
	}
	start := time.Now()
	cb, err := http.PostForm(at.URL+"/latipay/callback", form)
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(cb.Body)
	cb.Body.Close()
	if string(reply) != "sent" {
		t.Fatalf("callback on %s answered %d %q", at.name, cb.StatusCode, reply)
	}
	return start
}

// TestMultiCounterStaticQR: on two instances sharing PostgreSQL, a
// counter paired and unlocked on A holds its counter socket (/counter/ws)
// on A and on B; a shopper pays at the shop's static QR on A and
// Latipay's signed callback lands on B alone; both sockets hear of the
// payment (the broker passes shop-wide changes on while a counter
// follows the whole shop).
func TestMultiCounterStaticQR(t *testing.T) {
	_, sim, a, b, till := multiCounterTill(t)
	linkURL := till.post(a.URL+"/admin/links", url.Values{"kind": {"static_qr"}, "currency": {"NZD"}, "min": {"1"}, "max": {"500"}}, 200).
		Find(`[data-testid="link-url"]`).Text()
	if linkURL == "" {
		t.Fatal("making the static QR showed no link")
	}
	var counters []*websocket.Conn
	for _, at := range []*multiApp{a, b} {
		counters = append(counters, till.dial(at, "/counter/ws"))
	}

	// The shopper types 12.50 at the static QR's page on A and chooses
	// WeChat Pay; the callback lands on B alone.
	id, ref := multiStaticQRStart(t, a, linkURL)
	start := multiPaidOn(t, sim, b, ref, "20260301000019")
	for i, ws := range counters {
		_ = ws.SetReadDeadline(time.Now().Add(multiBound))
		var m struct{ ID, Status, Amount, Notice string }
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatalf("counter socket on %s: %v", []string{"A", "B"}[i], err)
		}
		if m.ID != id || m.Status != "paid" || m.Amount != "12.50" || !strings.Contains(m.Notice, "固定收款码") {
			t.Errorf("counter socket on %s sent %+v", []string{"A", "B"}[i], m)
		}
		t.Logf("callback on B -> counter socket on %s: static-QR notice after %v", []string{"A", "B"}[i], time.Since(start))
	}
}

// charge starts a NZD 12.50 WeChat Pay sale on at from this (paired and
// unlocked) counter, with idempotency key key, and returns it pending.
func (b *multiBrowser) charge(at *multiApp, key string) (sale struct{ ID, Token, Status string }) {
	b.t.Helper()
	resp, err := b.client.PostForm(at.URL+"/counter/charge", url.Values{"key": {key}, "amount": {"12.50"}, "method": {"wechat"}})
	if err != nil {
		b.t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&sale)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || sale.Status != "pending" {
		b.t.Fatalf("charge on %s = %d %+v, %v", at.name, resp.StatusCode, sale, err)
	}
	return sale
}

// multiStaticQRStart is a shopper typing 12.50 at the static QR linkURL's
// page on at and choosing WeChat Pay. It returns the payment and its
// attempt's Latipay reference.
func multiStaticQRStart(t *testing.T, at *multiApp, linkURL string) (id, ref string) {
	t.Helper()
	shopper := newMultiBrowser(t)
	resp, err := shopper.client.PostForm(at.URL+strings.TrimPrefix(linkURL, at.URL), url.Values{"amount": {"12.50"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id = regexp.MustCompile(`pay_(?:[0-9a-z]{7})?[0-9a-z]{26}`).FindString(resp.Request.URL.Path)
	if id == "" {
		t.Fatalf("paying at the static QR ended at %s (%d)", resp.Request.URL, resp.StatusCode)
	}
	shopper.post(at.URL+"/checkout/"+id+"/start", url.Values{"method": {"wechat"}}, 200)
	return id, at.payment(t, id).LatipayReference
}
