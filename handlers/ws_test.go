package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// socketPath reads the socket URL (path and token) from the checkout page.
func (a *testApp) socketPath(t testing.TB, id string) string {
	t.Helper()
	path, ok := a.page(t, id).Find("#checkout").Attr("data-socket-url")
	if !ok || !strings.HasPrefix(path, "/checkout/"+id+"/ws?t=") {
		t.Fatalf("data-socket-url = %q, want /checkout/%s/ws?t=...", path, id)
	}
	return path
}

// dial opens a socket with the given Origin ("" for none).
func (a *testApp) dial(t testing.TB, path, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	return a.dialWith(t, path, socketHeader(nil, origin))
}

// dialWith opens the socket at path (and query) with the handshake's
// header h, giving up after 5 seconds. Every socket test dials through
// it: the checkout's, the back office's feed, the counter's and the
// display's.
func (a *testApp) dialWith(t testing.TB, path string, h http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return websocket.DefaultDialer.DialContext(ctx, "ws"+strings.TrimPrefix(a.AppURL, "http")+path, h)
}

// socketHeader is a handshake's header with cookie c (nil for none) and
// Origin origin ("" for none).
func socketHeader(c *http.Cookie, origin string) http.Header {
	h := withCookie(c, nil)
	if origin != "" {
		h.Set("Origin", origin)
	}
	return h
}

// mustDial opens a socket from our own origin.
func (a *testApp) mustDial(t testing.TB, path string) *websocket.Conn {
	t.Helper()
	conn, resp, err := a.dial(t, path, a.AppURL)
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP %d)", path, err, code)
	}
	return conn
}

// socketMessage is what the socket sends.
type socketMessage struct {
	Status  string `json:"status"`
	Version int64  `json:"version"`
}

// mustRead reads one JSON message. The deadline only stops a broken test
// from hanging; nothing waits on time to synchronise.
func mustRead(t testing.TB, conn *websocket.Conn) socketMessage {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m socketMessage
	if err := conn.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

func TestSocketPushesPaid(t *testing.T) {
	app := newTestApp(t)
	p, ref := app.mustStartedQR(t)
	conn := app.mustDial(t, app.socketPath(t, p.ID))
	defer conn.Close()

	first := mustRead(t, conn)
	if first.Status != "pending" || first.Version < 1 {
		t.Fatalf("snapshot = %+v, want pending", first)
	}
	// The simulator's signed callback goes through the router.
	if err := app.Sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	next := mustRead(t, conn)
	if next.Status != "paid" || next.Version <= first.Version {
		t.Errorf("push = %+v, want paid with a newer version than %d", next, first.Version)
	}
	// After a final state the server closes normally.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := conn.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("after paid: %v, want a normal close", err)
	}
}

func TestSocketSnapshotWhenAlreadyPaid(t *testing.T) {
	app := newTestApp(t)
	p, ref := app.mustStartedQR(t)
	path := app.socketPath(t, p.ID)
	if err := app.Svc.HandleNotification(context.Background(), paymentstest.Notification(ref, "wechat", "paid", "NZD", "12.50")); err != nil {
		t.Fatal(err)
	}
	conn := app.mustDial(t, path)
	defer conn.Close()
	if m := mustRead(t, conn); m.Status != "paid" {
		t.Errorf("snapshot = %+v, want paid", m)
	}
}

func TestSocketRefused(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	other := app.mustCreate(t, strings.Replace(createBody, "ORDER-1", "ORDER-2", 1))
	path := app.socketPath(t, p.ID)
	token := path[strings.Index(path, "?t=")+3:]
	tests := []struct {
		name, path, origin string
		want               int
	}{
		{"attacker origin", path, "https://evil.example.net", http.StatusForbidden},
		{"null origin", path, "null", http.StatusForbidden},
		{"no token", "/checkout/" + p.ID + "/ws", app.AppURL, http.StatusUnauthorized},
		{"forged token", "/checkout/" + p.ID + "/ws?t=9999999999.AAAA", app.AppURL, http.StatusUnauthorized},
		{"token of another payment", "/checkout/" + other.ID + "/ws?t=" + token, app.AppURL, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, resp, err := app.dial(t, tt.path, tt.origin)
			if err == nil {
				conn.Close()
				t.Fatal("dial succeeded, want refused")
			}
			if resp == nil || resp.StatusCode != tt.want {
				t.Errorf("dial: %v, response %v; want HTTP %d", err, resp, tt.want)
			}
		})
	}
	t.Run("expired token", func(t *testing.T) {
		app.Clock.Advance(31 * time.Minute)
		_, resp, err := app.dial(t, path, app.AppURL)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("dial with an expired token: %v, want HTTP 401", err)
		}
	})
}

func TestSocketNoGoroutineLeak(t *testing.T) {
	app := newTestApp(t)
	p, ref := app.mustStartedQR(t)
	path := app.socketPath(t, p.ID)
	http.DefaultClient.CloseIdleConnections()
	before := runtime.NumGoroutine()

	// One socket closed by the client, one closed by the server after paid.
	a := app.mustDial(t, path)
	b := app.mustDial(t, path)
	mustRead(t, a)
	mustRead(t, b)
	if err := a.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "bye")); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if err := app.Svc.HandleNotification(context.Background(), paymentstest.Notification(ref, "wechat", "paid", "NZD", "12.50")); err != nil {
		t.Fatal(err)
	}
	if m := mustRead(t, b); m.Status != string(payments.StatusPaid) {
		t.Errorf("push = %+v, want paid", m)
	}
	_ = b.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := b.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				t.Errorf("after paid: %v, want a close frame", err)
			}
			break
		}
	}
	b.Close()

	var now int
	paymentstest.WaitFor(t, 5*time.Second, "socket goroutines to end", func() bool {
		now = runtime.NumGoroutine()
		return now <= before
	})
	if n := app.Hub.Count(); n != 0 {
		t.Errorf("hub has %d subscriptions after both sockets closed, want 0", n)
	}
}
