package handlers_test

import (
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// The shop-wide sockets (the back office's feed, the counter's socket,
// the shopper-facing display) catching up from the store when the hub
// asks them to (hub.CatchUp, which the PostgreSQL broker calls after each
// resync): a change another instance committed without its doorbell
// reaching this one reaches them then, and not before.

// nopPublisher is a hub nobody listens to.
type nopPublisher struct{}

func (nopPublisher) Publish(payments.Update) {}

// otherInstance is another instance's service on the same store whose
// doorbells never arrive: what it commits is published to no hub this
// router hears.
func (a *testApp) otherInstance(t *testing.T) *payments.Service {
	t.Helper()
	svc, err := payments.NewService(a.Store, a.Gateway, nopPublisher{}, slog.New(slog.DiscardHandler), a.Clock.Now, rand.Reader,
		payments.Options{AllowLocalhost: true, CallbackURL: a.AppURL + paymentstest.CallbackPath,
			ReturnURLFor:   func(id string) string { return a.AppURL + "/checkout/" + id + "/return" },
			CheckoutURLFor: func(id string) string { return a.AppURL + "/checkout/" + id }})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// socketMessages reads conn's messages into a channel, closed when the
// connection fails, so that a test can wait a short while for nothing to
// arrive and go on reading (a read deadline that expires breaks a
// gorilla connection).
func socketMessages(conn *websocket.Conn) <-chan []byte {
	ch := make(chan []byte, 16)
	go func() {
		defer close(ch)
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				return
			}
			ch <- b
		}
	}()
	return ch
}

// quietWait is how long a test waits to be fairly sure that nothing was
// sent.
const quietWait = 500 * time.Millisecond

// wantNothing fails t if a message arrives on ch within quietWait.
func wantNothing(t *testing.T, ch <-chan []byte, when string) {
	t.Helper()
	select {
	case b, ok := <-ch:
		if !ok {
			t.Fatalf("%s: the socket closed", when)
		}
		t.Fatalf("%s: the socket sent %s, want nothing", when, b)
	case <-time.After(quietWait):
	}
}

// nextJSON decodes the next message on ch into v.
func nextJSON(t *testing.T, ch <-chan []byte, v any) {
	t.Helper()
	select {
	case b, ok := <-ch:
		if !ok {
			t.Fatal("the socket closed")
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("message %s: %v", b, err)
		}
	case <-time.After(10 * time.Second): // stops a broken test from hanging
		t.Fatal("no message within 10s")
	}
}

// waitShopWide waits until a socket has subscribed to the shop-wide feed.
func (a *testApp) waitShopWide(t *testing.T) {
	t.Helper()
	paymentstest.WaitFor(t, 5*time.Second, "a shop-wide subscriber", a.Hub.WatchingAll)
}

// TestAdminFeedCatchUp: a catch-up with nothing new sends nothing (the
// entries the page shows are not sent again); a payment canceled and one
// created on another instance whose doorbells were lost reach the feed
// at the next catch-up, oldest first, and not before; a second catch-up
// sends them no more.
func TestAdminFeedCatchUp(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	older := a.mustCreate(t, createBody) // on the page when the feed opens
	conn, resp, err := a.dialFeed(t, owner, a.AppURL)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	defer conn.Close()
	msgs := socketMessages(conn)
	a.waitShopWide(t)

	a.Hub.CatchUp()
	wantNothing(t, msgs, "a catch-up with nothing new")

	other := a.otherInstance(t)
	if _, err := other.Cancel(ctx, older.ID); err != nil {
		t.Fatal(err)
	}
	a.Clock.Advance(time.Minute) // the newer of the two
	created, _, err := other.Create(ctx, paymentstest.Input("QUIET-1"), "")
	if err != nil {
		t.Fatal(err)
	}
	wantNothing(t, msgs, "changes whose doorbells were lost, before a catch-up")

	a.Hub.CatchUp()
	var m feedMessage
	nextJSON(t, msgs, &m)
	if m.ID != older.ID || m.Status != "canceled" || !strings.Contains(m.HTML, `data-id="`+older.ID+`"`) {
		t.Errorf("first catch-up message = %+v, want %s canceled", m, older.ID)
	}
	nextJSON(t, msgs, &m)
	if m.ID != created.ID || m.Status != "created" || !strings.Contains(m.HTML, "QUIET-1") {
		t.Errorf("second catch-up message = %+v, want %s created", m, created.ID)
	}
	a.Hub.CatchUp()
	wantNothing(t, msgs, "a second catch-up")
}

// TestCounterSocketCatchUp: a static-QR payment paid on another instance
// whose doorbell was lost reaches the counter's socket at the next
// catch-up, and not before; a second catch-up does not send it again.
func TestCounterSocketCatchUp(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	dev := a.readyDevice(t)
	l, err := a.links.Create(ctx, payments.LinkInput{Source: payments.SourceStaticQR, Currency: "NZD", MinAmount: "0.01", MaxAmount: "5000"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.links.Pay(ctx, l.ID, "12.50", "en", "")
	if err != nil {
		t.Fatal(err)
	}
	st := a.MustStart(t, p.ID, payments.MethodAlipay, payments.DeviceDesktop)
	// No since=: its replay runs after the socket has subscribed, and
	// could read the payment paid below before the catch-up does. The
	// catch-up then reads from the socket's opening.
	conn, _, err := a.dialWith(t, handlers.CounterSocketPath+"?lang=en", socketHeader(dev, a.AppURL))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msgs := socketMessages(conn)
	a.waitShopWide(t)

	a.Clock.Advance(time.Minute) // paid after the page's stamp
	if err := a.otherInstance(t).HandleNotification(ctx, paymentstest.Notification(st.Attempt.Reference, "alipay", "paid", "NZD", "12.50")); err != nil {
		t.Fatal(err)
	}
	if got := a.MustGet(t, p.ID); got.Status != payments.StatusPaid {
		t.Fatalf("the other instance left the payment %s", got.Status)
	}
	wantNothing(t, msgs, "a payment whose doorbell was lost, before a catch-up")

	a.Hub.CatchUp()
	var m counterLiveMsg
	nextJSON(t, msgs, &m)
	if m.ID != p.ID || m.Status != "paid" || m.Amount != "12.50" || !strings.Contains(m.Notice, "Static QR: ") {
		t.Errorf("catch-up message = %+v, want the static QR's paid 12.50", m)
	}
	a.Hub.CatchUp()
	wantNothing(t, msgs, "a second catch-up")
}

// TestDisplayCatchUp: the device's sale paid on another instance whose
// doorbell was lost turns the display from the QR to the tick at the
// next catch-up, and not before; a second catch-up sends the same screen
// no more.
func TestDisplayCatchUp(t *testing.T) {
	a := newDisplayApp(t)
	cookie := a.pair(t)
	st, err := a.counter.ChargeQR(t.Context(), counter.ChargeInput{Device: a.device, Key: "sale-key-catchup-0001", Amount: "12.50",
		Method: payments.MethodWeChat, ClientIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := a.dial(t, cookie, a.AppURL) // after the sale: its QR comes first
	if err != nil {
		t.Fatal(err)
	}
	msgs := socketMessages(ws)
	var m displayMsg
	nextJSON(t, msgs, &m) // sent after subscribing
	if m.Screen != "sale" || !strings.Contains(m.HTML, `data-testid="display-qr"`) {
		t.Fatalf("first message %+v, want the sale's QR", m)
	}
	a.Hub.CatchUp()
	wantNothing(t, msgs, "a catch-up with the screen unchanged")

	if err := a.otherInstance(t).HandleNotification(t.Context(), paymentstest.Notification(st.Attempt.Reference, "wechat", "paid", "NZD", "12.50")); err != nil {
		t.Fatal(err)
	}
	wantNothing(t, msgs, "a payment whose doorbell was lost, before a catch-up")

	a.Hub.CatchUp()
	nextJSON(t, msgs, &m)
	if m.Screen != "result" || !strings.Contains(m.HTML, `data-testid="display-paid"`) {
		t.Fatalf("after the catch-up the display shows %+v, want the tick", m)
	}
	a.Hub.CatchUp()
	wantNothing(t, msgs, "a second catch-up")
}

// TestCounterSocketCatchUpOverlap: a static-QR payment stamped paid on
// another instance a moment before one this socket already got live, but
// whose doorbell was lost, still reaches the counter at the next
// catch-up: the catch-up reads from a minute before the last payment it
// sent, and skips what it sent.
func TestCounterSocketCatchUpOverlap(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	dev := a.readyDevice(t)
	l, err := a.links.Create(ctx, payments.LinkInput{Source: payments.SourceStaticQR, Currency: "NZD", MinAmount: "0.01", MaxAmount: "5000"})
	if err != nil {
		t.Fatal(err)
	}
	start := func(amount string) (payments.Payment, payments.Started) {
		t.Helper()
		p, err := a.links.Pay(ctx, l.ID, amount, "en", "")
		if err != nil {
			t.Fatal(err)
		}
		return p, a.MustStart(t, p.ID, payments.MethodAlipay, payments.DeviceDesktop)
	}
	lost, lostStart := start("3.00")
	live, liveStart := start("4.00")
	conn, _, err := a.dialWith(t, handlers.CounterSocketPath+"?lang=en", socketHeader(dev, a.AppURL)) // no since=: as above
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msgs := socketMessages(conn)
	a.waitShopWide(t)

	a.Clock.Advance(time.Minute)
	if err := a.otherInstance(t).HandleNotification(ctx, paymentstest.Notification(lostStart.Attempt.Reference, "alipay", "paid", "NZD", "3.00")); err != nil {
		t.Fatal(err)
	}
	a.Clock.Advance(30 * time.Second) // paid after the lost one, and heard
	if err := a.Svc.HandleNotification(ctx, paymentstest.Notification(liveStart.Attempt.Reference, "alipay", "paid", "NZD", "4.00")); err != nil {
		t.Fatal(err)
	}
	var m counterLiveMsg
	nextJSON(t, msgs, &m)
	if m.ID != live.ID {
		t.Fatalf("live message = %+v, want %s", m, live.ID)
	}
	wantNothing(t, msgs, "the lost payment, before a catch-up")

	a.Hub.CatchUp()
	nextJSON(t, msgs, &m)
	if m.ID != lost.ID || m.Amount != "3.00" {
		t.Errorf("catch-up message = %+v, want the lost payment %s", m, lost.ID)
	}
	a.Hub.CatchUp()
	wantNothing(t, msgs, "a second catch-up (the live payment is not sent again)")
}
