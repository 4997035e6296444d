package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/displays"
)

// displayApp is the real router with the counter and its displays over
// the real SQLite store, one paired device unlocked by a cashier.
type displayApp struct {
	*testApp
	counter  *counter.Service
	displays *displays.Service
	device   counter.Device
	// deviceCookie is the device's credential, as its browser sends it.
	deviceCookie *http.Cookie
}

func newDisplayApp(t *testing.T) *displayApp {
	t.Helper()
	a := newAdminApp(t)
	cashier, err := a.acc.CreateAccount(t.Context(), "mei@shop.example", "Mei", adminPW, accounts.Cashier, accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.ctr.SetPIN(t.Context(), cashier.ID, "2468"); err != nil {
		t.Fatal(err)
	}
	dev, devToken := pairUnlocked(t, a.ctr, "Front till", cashier.ID)
	return &displayApp{testApp: a.testApp, counter: a.ctr, displays: a.displays, device: dev,
		deviceCookie: &http.Cookie{Name: "hpp-counter", Value: devToken}}
}

// pairUnlocked pairs a new device called name and unlocks it for the
// cashier with that id (PIN 2468); it returns the device and its
// credential.
func pairUnlocked(t *testing.T, ctr *counter.Service, name, cashierID string) (counter.Device, string) {
	t.Helper()
	code, _, err := ctr.NewPairing(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	dev, token, err := ctr.Pair(t.Context(), code)
	if err != nil {
		t.Fatal(err)
	}
	if dev, _, err = ctr.Unlock(t.Context(), dev.ID, cashierID, "2468"); err != nil {
		t.Fatal(err)
	}
	return dev, token
}

// pair pairs a display through the form and returns its cookie.
func (a *displayApp) pair(t *testing.T) *http.Cookie {
	t.Helper()
	code, _, err := a.displays.NewCode(t.Context(), a.device.ID)
	if err != nil {
		t.Fatal(err)
	}
	body, h := form(url.Values{"code": {code[:4] + " " + code[4:]}})
	return pairedCookie(t, a.do(t, http.MethodPost, handlers.DisplayPath, body, h), "hpp-display")
}

// dial opens the display's socket with cookie and origin.
func (a *displayApp) dial(t *testing.T, cookie *http.Cookie, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := socketHeader(cookie, origin)
	h.Set("Accept-Language", "zh-CN")
	c, resp, err := a.dialWith(t, handlers.DisplaySocketPath, h)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, resp, err
}

type displayMsg struct {
	Screen, HTML, Say, Sale, Live string
	Hold                          int
}

func readDisplay(t *testing.T, c *websocket.Conn) displayMsg {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m displayMsg
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("display socket: %v", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("display message %s: %v", b, err)
	}
	return m
}

// TestDisplayFollowsSale: a paired display's socket starts idle, then
// shows the amount and the WeChat QR of the device's sale, then the tick
// with the spoken announcement in the display's language, each pushed as
// it happens; another device's sale is not shown. A wrong code pairs
// nothing; a socket without the credential or from another origin is
// refused; unpairing sends the display back to the pairing form.
func TestDisplayFollowsSale(t *testing.T) {
	a := newDisplayApp(t)
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if w := a.do(t, http.MethodPost, handlers.DisplayPath, strings.NewReader("code=12345678"), form); w.Code != http.StatusUnprocessableEntity ||
		mustDoc(t, w).Find(`[data-testid="form-error"]`).Length() != 1 {
		t.Errorf("a wrong code = %d, want 422 with the message", w.Code)
	}
	if doc := mustDoc(t, a.do(t, http.MethodGet, handlers.DisplayPath, nil, nil)); doc.Find(`[data-testid="display-pair-form"]`).Length() != 1 {
		t.Error("an unpaired browser does not get the pairing form")
	}
	cookie := a.pair(t)
	doc := mustDoc(t, a.do(t, http.MethodGet, handlers.DisplayPath, nil, withCookie(cookie, nil)))
	if doc.Find(`[data-testid="display-idle"]`).Length() != 1 || !strings.Contains(doc.Text(), "我們接受微信支付和支付寶") {
		t.Fatal("the paired display is not the idle screen in three languages")
	}
	if _, resp, err := a.dial(t, nil, a.AppURL); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("socket without the credential: %v, want 401", err)
	}
	if _, resp, err := a.dial(t, cookie, "https://evil.example"); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("socket from another origin: %v, want 403", err)
	}
	ws, _, err := a.dial(t, cookie, a.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	if m := readDisplay(t, ws); m.Screen != "idle" {
		t.Fatalf("first message %+v, want idle", m)
	}
	st, err := a.counter.ChargeQR(t.Context(), counter.ChargeInput{Device: a.device, Key: "sale-key-0000000001", Amount: "12.50",
		Method: payments.MethodWeChat, ClientIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	m := readDisplay(t, ws)
	for m.Screen == "sale" && !strings.Contains(m.HTML, `data-testid="display-qr"`) { // created, then started
		m = readDisplay(t, ws)
	}
	if m.Screen != "sale" || !strings.Contains(m.HTML, "12.50") || !strings.Contains(m.HTML, "data:image/png;base64,") ||
		!strings.Contains(m.HTML, "微信") || strings.Contains(m.HTML, st.Payment.ID) {
		t.Fatalf("during the sale the display shows %+v", m)
	}
	if err := a.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	m = readDisplay(t, ws)
	if m.Screen != "result" || !strings.Contains(m.HTML, `data-testid="display-paid"`) || m.Say != "微信收款 12.50 纽币" || m.Hold <= 0 || m.Sale == "" {
		t.Fatalf("after the payment the display shows %+v", m)
	}
	if strings.Contains(m.Sale, st.Payment.ID) {
		t.Error("the display learns the payment's id")
	}
	// Another device's sale is not this display's business.
	other, _ := pairUnlocked(t, a.counter, "Back till", a.device.CashierID)
	if _, err := a.counter.ChargeQR(t.Context(), counter.ChargeInput{Device: other, Key: "sale-key-0000000002", Amount: "3.00",
		Method: payments.MethodAlipay, ClientIP: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if _, b, err := ws.ReadMessage(); err == nil {
		t.Errorf("another device's sale reached the display: %s", b)
	}
	ds, _ := a.displays.List(t.Context(), a.device.ID)
	if len(ds) != 1 {
		t.Fatalf("device has %d displays, want 1", len(ds))
	}
	if err := a.displays.Revoke(t.Context(), a.device.ID, ds[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, resp, err := a.dial(t, cookie, a.AppURL); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("socket of an unpaired display: %v, want 401", err)
	}
	doc = mustDoc(t, a.do(t, http.MethodGet, handlers.DisplayPath+"?lang=en", nil, withCookie(cookie, nil)))
	if !strings.Contains(doc.Find(`[data-testid="form-error"]`).Text(), "unpaired") {
		t.Errorf("an unpaired display's page says %q", doc.Find("main").Text())
	}
	// The credential is bound to its device: revoking the device in the
	// back office ends its displays too.
	cookie = a.pair(t)
	if _, _, err := a.dial(t, cookie, a.AppURL); err != nil {
		t.Fatalf("a newly paired display's socket: %v", err)
	}
	if _, err := a.counter.Revoke(t.Context(), a.device.ID); err != nil {
		t.Fatal(err)
	}
	if _, resp, err := a.dial(t, cookie, a.AppURL); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("socket of a display whose device was revoked: %v, want 401", err)
	}
	// A code the device issued before it was revoked pairs nothing.
	code, _, err := a.displays.NewCode(t.Context(), a.device.ID)
	if err != nil {
		t.Fatal(err)
	}
	if w := a.do(t, http.MethodPost, handlers.DisplayPath, strings.NewReader("code="+code), form); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("pairing with a revoked device's code = %d, want 422", w.Code)
	}
}

// TestCounterReceiptAndDisplays: the device reprints its own paid sale's
// receipt with the cashier's name; another device's sale is an unknown
// page and an unpaid one has no receipt. The device's displays page shows
// a code that pairs a display, and unpairs only its own displays.
func TestCounterReceiptAndDisplays(t *testing.T) {
	a := newDisplayApp(t)
	dev := withCookie(a.deviceCookie, nil)
	st, err := a.counter.ChargeQR(t.Context(), counter.ChargeInput{Device: a.device, Key: "sale-key-0000000003", Amount: "12.50",
		Method: payments.MethodWeChat, ClientIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	receipt := handlers.CounterSalePath(st.Payment.ID) + "/receipt"
	if doc := mustDoc(t, a.do(t, http.MethodGet, receipt, nil, dev)); doc.Find(`[data-testid="receipt-unpaid"]`).Length() != 1 {
		t.Error("an unpaid sale's receipt does not say there is none")
	}
	if err := a.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	a.WaitStatus(t, st.Payment.ID, payments.StatusPaid)
	w := a.do(t, http.MethodGet, receipt+"?width=58", nil, dev)
	doc := mustDoc(t, w)
	if w.Code != http.StatusOK || doc.Find(`[data-testid="receipt-cashier"]`).Text() != "Mei" || doc.Find(`[data-testid="receipt-amount"]`).Length() != 1 {
		t.Fatalf("the device's receipt = %d, cashier %q", w.Code, doc.Find(`[data-testid="receipt-cashier"]`).Text())
	}
	if strings.Contains(w.Body.String(), "mei@shop.example") {
		t.Error("the receipt prints the cashier's email")
	}
	if back := doc.Find(`[data-testid="receipt-back"]`); back.Text() != "Back to today's sales" || back.AttrOr("href", "") != handlers.CounterSalesPath {
		t.Errorf("the device's receipt leads back with %q to %q, want today's sales", back.Text(), back.AttrOr("href", ""))
	}
	_, otherToken := pairUnlocked(t, a.counter, "Back till", a.device.CashierID)
	otherDev := withCookie(&http.Cookie{Name: "hpp-counter", Value: otherToken}, nil)
	if w := a.do(t, http.MethodGet, receipt, nil, otherDev); w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "12.50") {
		t.Errorf("another device's receipt of the sale = %d, want 404", w.Code)
	}

	form := withCookie(a.deviceCookie, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	doc = mustDoc(t, a.do(t, http.MethodPost, handlers.CounterDisplaysPath+"/code", nil, form))
	shown := strings.ReplaceAll(doc.Find(`[data-testid="display-code"]`).Text(), " ", "")
	if len(shown) != displays.CodeDigits {
		t.Fatalf("the displays page shows the code %q", shown)
	}
	if w := a.do(t, http.MethodPost, handlers.DisplayPath, strings.NewReader("code="+shown), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("pairing with the shown code = %d", w.Code)
	}
	ds, _ := a.displays.List(t.Context(), a.device.ID)
	if len(ds) != 1 {
		t.Fatalf("%d displays after pairing, want 1", len(ds))
	}
	otherForm := withCookie(&http.Cookie{Name: "hpp-counter", Value: otherToken}, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if w := a.do(t, http.MethodPost, handlers.CounterDisplaysPath+"/"+ds[0].ID+"/revoke", nil, otherForm); w.Code != http.StatusNotFound {
		t.Errorf("another device unpairing this display = %d, want 404", w.Code)
	}
	if w := a.do(t, http.MethodPost, handlers.CounterDisplaysPath+"/"+ds[0].ID+"/revoke", nil, form); w.Code != http.StatusSeeOther {
		t.Errorf("unpairing its own display = %d, want 303", w.Code)
	}
	if ds, _ := a.displays.List(t.Context(), a.device.ID); len(ds) != 0 {
		t.Errorf("%d displays after unpairing, want 0", len(ds))
	}
}

// TestDisplayMatchesTill: the display says what the till says of the
// device's sale. A pay code Latipay refused shows the amount and asks for
// a new code, never "confirm on your phone"; a pay code Latipay took and
// waits on shows the phone hint; a QR shows the QR; a canceled, expired
// or declined sale shows "not paid" and why, for the result time.
func TestDisplayMatchesTill(t *testing.T) {
	a := newDisplayApp(t)
	ws, _, err := a.dial(t, a.pair(t), a.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	if m := readDisplay(t, ws); m.Screen != "idle" {
		t.Fatalf("first message %+v, want idle", m)
	}
	// until reads the display's messages until one satisfies ok; every
	// message read on the way must satisfy each.
	until := func(what string, ok func(displayMsg) bool, each func(displayMsg)) displayMsg {
		t.Helper()
		for {
			m := readDisplay(t, ws)
			if each != nil {
				each(m)
			}
			if ok(m) {
				return m
			}
			if m.Screen != "sale" {
				t.Fatalf("waiting for %s the display shows %+v", what, m)
			}
		}
	}
	noPhone := func(m displayMsg) {
		t.Helper()
		if strings.Contains(m.HTML, `data-testid="display-wait"`) || strings.Contains(m.HTML, "请在手机上确认付款") {
			t.Errorf("the display asks to confirm on the phone while Latipay waits on nothing: %+v", m)
		}
	}
	scan := func(key, code string) *http.Response {
		t.Helper()
		body, h := form(url.Values{"key": {key}, "amount": {"88.00"}, "code": {code}})
		return a.do(t, http.MethodPost, handlers.CounterScanPath, body, withCookie(a.deviceCookie, h)).Result()
	}
	has := func(testid string) func(displayMsg) bool {
		return func(m displayMsg) bool { return strings.Contains(m.HTML, `data-testid="`+testid+`"`) }
	}

	// Refused: the amount, and a new code wanted.
	if r := scan("display-key-00000000001", refusedCode); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a refused code = %d", r.StatusCode)
	}
	m := until("the refusal", has("display-refused"), noPhone)
	if !strings.Contains(m.HTML, "88.00") || !strings.Contains(m.HTML, "付款码未被接受") || !strings.Contains(m.Live, "付款码未被接受") {
		t.Errorf("after the refusal the display shows %+v; want the amount and the code not accepted", m)
	}
	// Another code that Latipay takes and the shopper must confirm.
	if r := scan("display-key-00000000001", "134588558514585011"); r.StatusCode != http.StatusOK {
		t.Fatalf("a code needing a password = %d", r.StatusCode)
	}
	m = until("the phone hint", has("display-wait"), nil)
	if !strings.Contains(m.HTML, "88.00") || strings.Contains(m.HTML, "display-refused") {
		t.Errorf("while the shopper confirms the display shows %+v", m)
	}
	p := a.counterSale(t, "display-key-00000000001")
	// Canceled at the till.
	w := a.do(t, http.MethodPost, handlers.CounterSalePath(p.ID)+"/cancel", nil, withCookie(a.deviceCookie, http.Header{"Accept": {"application/json"}}))
	if w.Code != http.StatusOK {
		t.Fatalf("cancel = %d %s", w.Code, w.Body)
	}
	m = until("the cancel", func(m displayMsg) bool { return m.Screen == "result" }, nil)
	if !strings.Contains(m.HTML, `data-reason="display.canceled"`) || !strings.Contains(m.HTML, "88.00") || m.Hold <= 0 {
		t.Errorf("after the cancel the display shows %+v; want not paid, canceled", m)
	}

	// Declined: the shopper gives up typing the password. A second on, so
	// that this sale is the device's latest (the test clock stands still,
	// and two sales made in the same instant have no order).
	a.Clock.Advance(time.Second)
	if r := scan("display-key-00000000002", declinedCode); r.StatusCode != http.StatusOK {
		t.Fatalf("a code the shopper declines = %d", r.StatusCode)
	}
	until("the phone hint", has("display-wait"), nil)
	p = a.counterSale(t, "display-key-00000000002")
	if err := a.Sim.Fail(p.LatipayReference); err != nil {
		t.Fatal(err)
	}
	a.Clock.Advance(5 * time.Second)
	if _, err := a.Svc.ReconcileDue(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	m = until("the decline", func(m displayMsg) bool { return m.Screen == "result" }, nil)
	if !strings.Contains(m.HTML, `data-reason="display.failed"`) {
		t.Errorf("after the decline the display shows %+v; want not paid, failed", m)
	}

	// A QR nobody scans until its window ends.
	st, err := a.counter.ChargeQR(t.Context(), counter.ChargeInput{Device: a.device, Key: "display-key-00000000003", Amount: "88.00",
		Method: payments.MethodWeChat, ClientIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	until("the QR", has("display-qr"), noPhone)
	a.Clock.Advance(st.Payment.ExpiresAt.Sub(a.Clock.Now()) + time.Second)
	if _, err := a.Svc.ExpireDue(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	m = until("the expiry", func(m displayMsg) bool { return m.Screen == "result" }, nil)
	if !strings.Contains(m.HTML, `data-reason="display.expired"`) {
		t.Errorf("after the window the display shows %+v; want not paid, expired", m)
	}
}

// counterSale is the payment of the device's sale with that key.
func (a *displayApp) counterSale(t *testing.T, key string) payments.Payment {
	t.Helper()
	sale, err := a.counter.Store().SaleByKey(t.Context(), a.device.ID, key)
	if err != nil {
		t.Fatal(err)
	}
	return a.MustGet(t, sale.PaymentID)
}
