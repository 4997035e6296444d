package handlers_test

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
)

// dialCounter opens the counter's socket with a device's cookie.
func (a *adminApp) dialCounter(t *testing.T, dev *http.Cookie, origin, lang string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	return a.dialWith(t, handlers.CounterSocketPath+"?lang="+lang, socketHeader(dev, origin))
}

// counterLiveMsg is what the counter's socket sends.
type counterLiveMsg struct {
	ID, Status, Amount, Currency, Method, Time, Reference, Notice, Row string
	AmountText                                                         string `json:"amount_text"`
	PaidAt                                                             int64  `json:"paid_at"`
}

// readCounterLive reads the socket's next message; a close comes back as
// its *websocket.CloseError.
func readCounterLive(t *testing.T, conn *websocket.Conn) (counterLiveMsg, error) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // stops a broken test from hanging
	var m counterLiveMsg
	err := conn.ReadJSON(&m)
	return m, err
}

// payStaticQR has a shopper pay amount through the shop's static QR with
// Alipay, through the simulator over HTTP, and returns the payment.
func (a *adminApp) payStaticQR(t *testing.T, linkID, amount string) payments.Payment {
	t.Helper()
	p, err := a.links.Pay(t.Context(), linkID, amount, "en", "")
	if err != nil {
		t.Fatal(err)
	}
	st := a.MustStart(t, p.ID, payments.MethodAlipay, payments.DeviceDesktop)
	if err := a.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCounterStaticQRSocket: every unlocked counter, whoever unlocked it,
// hears of a payment through the shop's static QR the moment it is paid
// (the notice and today's sales row, in the page's language), and of
// nothing else: not another device's sale, not an online payment. The
// socket refuses another origin, a missing Origin, no device, a locked
// device and a revoked one. Today's sales list the static-QR payment
// (marked, no cancel, a reprint) without counting it in the device's
// shift totals. A revoke, a lock, and a revoke this instance did not see
// each close the socket with 4001, and no message reaches a device after
// its revoke.
func TestCounterStaticQRSocket(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	dev1 := a.readyDevice(t)
	if _, err := a.acc.CreateAccount(ctx, "second@shop.example", "Second", adminPW, accounts.Cashier, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	if err := a.ctr.SetPIN(ctx, a.account(t, "second@shop.example"), "731946"); err != nil {
		t.Fatal(err)
	}
	dev2 := a.pair(t)
	if w := a.unlock(t, dev2, "second@shop.example", "731946"); w.Code != http.StatusSeeOther {
		t.Fatalf("unlock = %d", w.Code)
	}
	locked := a.pair(t)
	revoked := a.pair(t)
	deviceID := func(dev *http.Cookie) string {
		d, err := a.ctr.Authenticate(ctx, dev.Value)
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	id1, id2 := deviceID(dev1), deviceID(dev2)
	if _, err := a.ctr.Revoke(ctx, deviceID(revoked)); err != nil {
		t.Fatal(err)
	}
	wantSocketsRefused(t, "the counter socket", map[string]socketRefusal{
		"other origin": {dev1, "https://evil.example", http.StatusForbidden},
		"no origin":    {dev1, "", http.StatusForbidden},
		"no device":    {nil, a.AppURL, http.StatusUnauthorized},
		"locked":       {locked, a.AppURL, http.StatusUnauthorized},
		"revoked":      {revoked, a.AppURL, http.StatusForbidden},
	}, func(t *testing.T, c *http.Cookie, origin string) (*websocket.Conn, *http.Response, error) {
		return a.dialCounter(t, c, origin, "en")
	})

	conn1, _, err := a.dialCounter(t, dev1, a.AppURL, "en")
	if err != nil {
		t.Fatal(err)
	}
	defer conn1.Close()
	conn2, _, err := a.dialCounter(t, dev2, a.AppURL, "zh-Hant")
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()

	// Paid first, and never sent: dev1's own counter sale and an online
	// payment. The first message either socket reads is the static QR's.
	sale := mustJSON[counterSaleJSON](t, a.charge(t, dev1, "sale-key-live-0000000001", "3.00", "wechat"))
	sp, _ := a.Store.Payment(ctx, sale.ID)
	a.simulatePaid(t, sp.LatipayReference)
	online := a.mustCreate(t, createBody)
	st := a.MustStart(t, online.ID, payments.MethodWeChat, payments.DeviceDesktop)
	if err := a.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{sale.ID, online.ID} {
		if p := a.WaitStatus(t, id, payments.StatusPaid); p.Status != payments.StatusPaid {
			t.Fatalf("payment %s is %s", id, p.Status)
		}
	}
	l, err := a.links.Create(ctx, payments.LinkInput{Source: payments.SourceStaticQR, Currency: "NZD", MinAmount: "0.01", MaxAmount: "5000"})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := a.links.Pay(ctx, l.ID, "4.00", "en", "") // typed, never paid: not the counter's business
	if err != nil {
		t.Fatal(err)
	}
	a.MustStart(t, pending.ID, payments.MethodAlipay, payments.DeviceDesktop)
	paid := a.payStaticQR(t, l.ID, "12.50")

	m1, err := readCounterLive(t, conn1)
	if err != nil {
		t.Fatalf("device 1: %v", err)
	}
	if m1.ID != paid.ID || m1.Status != "paid" || m1.Amount != "12.50" || m1.Currency != "NZD" || m1.Method != "alipay" ||
		m1.Time == "" || len(m1.Reference) != 6 {
		t.Errorf("device 1 got %+v, want the static QR's paid 12.50 NZD Alipay with a time and a short reference", m1)
	}
	if m1.AmountText == "" || !strings.Contains(m1.Notice, "Static QR: "+m1.AmountText+" paid with Alipay") || !strings.Contains(m1.Notice, m1.Reference) {
		t.Errorf("notice = %s", m1.Notice)
	}
	if !strings.Contains(m1.Row, `data-static-qr`) || !strings.Contains(m1.Row, `data-testid="sale-receipt"`) || strings.Contains(m1.Row, "sale-cancel") {
		t.Errorf("row = %s, want a static-QR row with a reprint and no cancel", m1.Row)
	}
	m2, err := readCounterLive(t, conn2)
	if err != nil {
		t.Fatalf("device 2: %v", err)
	}
	if m2.ID != paid.ID || !strings.Contains(m2.Notice, "固定收款碼") || !strings.Contains(m2.Notice, "支付寶") {
		t.Errorf("device 2 (another cashier, Traditional Chinese) got %+v", m2)
	}
	for _, m := range []counterLiveMsg{m1, m2} {
		for _, leak := range []string{sale.ID, online.ID, "ORDER-1", paid.Reference, paid.Description} {
			if leak != "" && (strings.Contains(m.Notice, leak) || strings.Contains(m.Row, leak)) {
				t.Errorf("message carries %q: %+v", leak, m)
			}
		}
	}

	// Today's sales on load: the static-QR payment marked, no cancel,
	// its receipt reprints; the device's totals count only its own.
	doc := mustDoc(t, a.do(t, http.MethodGet, handlers.CounterSalesPath, nil, withCookie(dev2, nil)))
	row := doc.Find(`[data-testid="sale-row"][data-id="` + paid.ID + `"]`)
	if row.Length() != 1 || row.Find(`[data-testid="sale-static-qr"]`).Length() != 1 || row.Find(`[data-testid="sale-cancel"]`).Length() != 0 {
		t.Errorf("sales page row for the static QR: %d rows", row.Length())
	}
	if doc.Find(`[data-id="`+pending.ID+`"]`).Length() != 0 || doc.Find(`[data-id="`+sale.ID+`"]`).Length() != 0 {
		t.Error("device 2's sales list an unpaid static-QR payment or device 1's sale")
	}
	if doc.Find(`[data-testid="summary-none"]`).Length() != 1 {
		t.Error("device 2's shift totals count the shop's static-QR payment")
	}
	if doc.Find(`#counter-live[data-live-url^="`+handlers.CounterSocketPath+`?since="]`).Length() != 1 {
		t.Error("the sales page has no live region on the counter's socket")
	}
	rc := a.do(t, http.MethodGet, handlers.CounterSalePath(paid.ID)+"/receipt", nil, withCookie(dev2, nil))
	if rc.Code != http.StatusOK || !strings.Contains(rc.Body.String(), "12.50") {
		t.Errorf("reprint of the static QR's receipt = %d", rc.Code)
	}
	if w := a.do(t, http.MethodGet, handlers.CounterSalePath(sale.ID)+"/receipt", nil, withCookie(dev2, nil)); w.Code != http.StatusNotFound {
		t.Errorf("device 2 printing device 1's sale = %d, want 404", w.Code)
	}
	if w := a.do(t, http.MethodGet, handlers.CounterSalePath(online.ID)+"/receipt", nil, withCookie(dev2, nil)); w.Code != http.StatusNotFound {
		t.Errorf("a counter printing an online payment = %d, want 404", w.Code)
	}

	// The owner revokes device 2: its socket closes at once with 4001.
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	if w := a.do(t, http.MethodPost, handlers.AdminCounterPath+"/devices/"+id2+"/revoke", nil, withCookie(owner, nil)); w.Code != http.StatusSeeOther {
		t.Fatalf("revoke = %d", w.Code)
	}
	wantEnded(t, conn2, "revoked device")

	// Device 1's cashier locks it: its socket closes too.
	if w := a.do(t, http.MethodPost, handlers.CounterLockPath, nil, withCookie(dev1, nil)); w.Code != http.StatusSeeOther {
		t.Fatalf("lock = %d", w.Code)
	}
	wantEnded(t, conn1, "locked device")

	// A revoke this instance did not make (another instance's, straight
	// in the store): the next payment is not sent, and the socket closes.
	if w := a.unlock(t, dev1, "cashier@shop.example", counterPIN); w.Code != http.StatusSeeOther {
		t.Fatalf("unlock again = %d", w.Code)
	}
	conn3, _, err := a.dialCounter(t, dev1, a.AppURL, "en")
	if err != nil {
		t.Fatal(err)
	}
	defer conn3.Close()
	if _, err := a.ctr.Revoke(ctx, id1); err != nil {
		t.Fatal(err)
	}
	a.payStaticQR(t, l.ID, "7.00")
	wantEnded(t, conn3, "device revoked elsewhere")
}

// TestCounterSocketReplay: a counter page's socket URL carries the
// counter's clock when the page was rendered; a socket opened with that
// stamp first sends the static-QR payments paid after it, oldest first,
// each once and with its paid_at, then the live ones; opened again from
// the last paid_at it sends only what came after; without a stamp it
// replays nothing.
func TestCounterSocketReplay(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	dev := a.readyDevice(t)
	l, err := a.links.Create(ctx, payments.LinkInput{Source: payments.SourceStaticQR, Currency: "NZD", MinAmount: "0.01", MaxAmount: "5000"})
	if err != nil {
		t.Fatal(err)
	}
	pay := func(amount string) payments.Payment {
		t.Helper()
		a.Clock.Advance(time.Minute)
		p := a.payStaticQR(t, l.ID, amount)
		return a.WaitStatus(t, p.ID, payments.StatusPaid)
	}
	dial := func(query string) *websocket.Conn {
		t.Helper()
		conn, _, err := a.dialWith(t, handlers.CounterSocketPath+"?lang=en"+query, socketHeader(dev, a.AppURL))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	want := func(conn *websocket.Conn, what string, p payments.Payment) counterLiveMsg {
		t.Helper()
		m, err := readCounterLive(t, conn)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if m.ID != p.ID || m.PaidAt != p.PaidAt.UnixMicro() || !strings.Contains(m.Notice, "Static QR") {
			t.Errorf("%s: got %s (paid_at %d), want %s paid at %d", what, m.ID, m.PaidAt, p.ID, p.PaidAt.UnixMicro())
		}
		return m
	}

	pay("1.00") // paid before the page's stamp: never replayed
	a.Clock.Advance(time.Minute)
	doc := mustDoc(t, a.do(t, http.MethodGet, handlers.CounterPath, nil, withCookie(dev, nil)))
	live, _ := doc.Find("#counter-live").Attr("data-live-url")
	u, err := url.Parse(live)
	if err != nil || u.Path != handlers.CounterSocketPath || u.Query().Get("since") != strconv.FormatInt(a.Clock.Now().UnixMicro(), 10) {
		t.Fatalf("the keypad's socket URL is %q, want %s stamped with the counter's clock", live, handlers.CounterSocketPath)
	}
	missed1, missed2 := pay("2.00"), pay("3.00")

	conn := dial("&since=" + u.Query().Get("since"))
	want(conn, "first replayed", missed1)
	last := want(conn, "second replayed", missed2)
	now := pay("4.00")
	want(conn, "live after the replay", now)

	again := dial("&since=" + strconv.FormatInt(last.PaidAt, 10))
	want(again, "reopened from the last paid_at", now)

	bare := dial("")
	next := pay("5.00")
	want(bare, "without a stamp: the live one only", next)
}

// wantEnded reads from conn and wants the close that sends the page back
// to pairing or unlocking (4001), and no message before it.
func wantEnded(t *testing.T, conn *websocket.Conn, what string) {
	t.Helper()
	m, err := readCounterLive(t, conn)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4001 {
		t.Errorf("%s: read %+v, %v; want the socket closed with 4001 and nothing sent", what, m, err)
	}
}

// TestCounterRateBeforeFirstSale: the keypad's ~CNY estimate has a rate
// before the device's first sale of the day, from Latipay's latest rate
// on any of the shop's payments (here an online one of yesterday); a
// sale's answer carries its rate, which the keypad's script then uses.
func TestCounterRateBeforeFirstSale(t *testing.T) {
	a := newAdminApp(t)
	online := a.mustCreate(t, createBody)
	st := a.MustStart(t, online.ID, payments.MethodWeChat, payments.DeviceDesktop)
	if st.Payment.CurrencyRate == "" {
		t.Fatal("the simulator gave the online payment no rate")
	}
	a.Clock.Advance(30 * time.Hour)
	dev := a.readyDevice(t)
	doc := mustDoc(t, a.do(t, http.MethodGet, handlers.CounterPath, nil, withCookie(dev, nil)))
	if got := doc.Find("#counter").AttrOr("data-rate", ""); got != st.Payment.CurrencyRate {
		t.Errorf("the keypad's rate before the first sale = %q, want yesterday's %q", got, st.Payment.CurrencyRate)
	}
	sale := mustJSON[struct{ Rate string }](t, a.charge(t, dev, "sale-key-rate-0000000001", "10.00", "alipay"))
	if sale.Rate == "" {
		t.Error("the sale's answer carries no rate for the keypad")
	}
}
