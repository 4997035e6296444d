package handlers

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// tightLimits allow n requests per hour everywhere (no refill in a test).
func tightLimits(n int) Limits {
	r := Rate{Limit: n, Per: time.Hour}
	return Limits{Pages: r, Status: r, StatusPerIP: Rate{Limit: 1000, Per: time.Hour}, API: r,
		APIPerIP: Rate{Limit: 1000, Per: time.Hour}, SocketOpens: r, BadCallbacks: r}
}

// want429 fails unless w is 429 with a positive whole Retry-After.
func want429(t *testing.T, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("%s = %d, want 429", what, w.Code)
	}
	if n, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || n < 1 {
		t.Fatalf("%s: Retry-After %q, want whole seconds >= 1", what, w.Header().Get("Retry-After"))
	}
}

// TestRateLimits covers tests 68 and 69's limiting: page loads and the
// signed link per client address, status polling per payment, the
// merchant API per key, and socket opens per address answer 429 with
// Retry-After once their budget is spent; other clients are unaffected.
func TestRateLimits(t *testing.T) {
	a := newSecApp(t, func(o *Options) { o.Limits = tightLimits(3) })
	p := a.newPayment(t)
	from := func(method, path, ip string) *http.Request {
		r := httptest.NewRequest(method, path, nil)
		r.RemoteAddr = ip + ":1234"
		return r
	}
	t.Run("pages per address", func(t *testing.T) {
		for range 3 {
			if w := a.do(from(http.MethodGet, CheckoutPath(p.ID), "198.51.100.1")); w.Code != http.StatusOK {
				t.Fatalf("page = %d", w.Code)
			}
		}
		want429(t, "4th page load", a.do(from(http.MethodGet, CheckoutPath(p.ID), "198.51.100.1")))
		want429(t, "signed link from the same address", a.do(from(http.MethodGet, "/pay?"+signedLink().Encode(), "198.51.100.1")))
		if w := a.do(from(http.MethodGet, CheckoutPath(p.ID), "198.51.100.2")); w.Code != http.StatusOK {
			t.Fatalf("another address = %d, want 200", w.Code)
		}
	})
	t.Run("link per address", func(t *testing.T) {
		for range 3 {
			if w := a.do(from(http.MethodGet, "/pay?"+signedLink().Encode(), "198.51.100.3")); w.Code != http.StatusSeeOther {
				t.Fatalf("link = %d", w.Code)
			}
		}
		want429(t, "4th link", a.do(from(http.MethodGet, "/pay?"+signedLink().Encode(), "198.51.100.3")))
	})
	t.Run("status per payment and address", func(t *testing.T) {
		q := a.newPayment(t)
		for range 3 {
			if w := a.do(from(http.MethodGet, CheckoutPath(q.ID)+"/status", "198.51.100.10")); w.Code != http.StatusOK {
				t.Fatalf("status = %d", w.Code)
			}
		}
		want429(t, "4th poll of one payment from one address", a.do(from(http.MethodGet, CheckoutPath(q.ID)+"/status", "198.51.100.10")))
		// Whoever else holds the checkout URL spent their own budget,
		// not the shopper's.
		if w := a.do(from(http.MethodGet, CheckoutPath(q.ID)+"/status", "198.51.100.20")); w.Code != http.StatusOK {
			t.Fatalf("the shopper's poll after a third party's = %d, want 200", w.Code)
		}
		if w := a.do(from(http.MethodGet, CheckoutPath(p.ID)+"/status", "198.51.100.10")); w.Code != http.StatusOK {
			t.Fatalf("another payment = %d, want 200", w.Code)
		}
	})
	t.Run("IPv6 per /64", func(t *testing.T) {
		for i := range 3 {
			if w := a.do(from(http.MethodGet, CheckoutPath(p.ID), "[2001:db8:1:2::"+strconv.Itoa(i+1)+"]")); w.Code != http.StatusOK {
				t.Fatalf("page = %d", w.Code)
			}
		}
		want429(t, "4th page load from another address of the /64", a.do(from(http.MethodGet, CheckoutPath(p.ID), "[2001:db8:1:2:ffff::9]")))
		if w := a.do(from(http.MethodGet, CheckoutPath(p.ID), "[2001:db8:1:3::1]")); w.Code != http.StatusOK {
			t.Fatalf("another /64 = %d, want 200", w.Code)
		}
	})
	t.Run("api per key", func(t *testing.T) {
		for i := range 3 {
			r := apiRequest(http.MethodGet, "/api/v1/payments/"+p.ID, "")
			r.RemoteAddr = "203.0.113." + strconv.Itoa(i+1) + ":1"
			if w := a.do(r); w.Code != http.StatusOK {
				t.Fatalf("api = %d", w.Code)
			}
		}
		r := apiRequest(http.MethodPost, "/api/v1/payments", `{"amount":"1.00","currency":"NZD","reference":"RL-1"}`)
		r.RemoteAddr = "203.0.113.9:1"
		want429(t, "4th API call with one key, new address", a.do(r))
	})
	t.Run("socket opens per address", func(t *testing.T) {
		for range 3 {
			w := a.do(from(http.MethodGet, CheckoutPath(p.ID)+"/ws?t=x", "198.51.100.30"))
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("socket open = %d, want 401 (bad token, but counted)", w.Code)
			}
		}
		want429(t, "4th socket open", a.do(from(http.MethodGet, CheckoutPath(p.ID)+"/ws?t=x", "198.51.100.30")))
	})
}

// TestBadCallbacksLimitedValidNever is test 68's rule: callbacks with a
// bad signature are limited per address (then 429 and no log line),
// while a correctly signed one from the same address is always served.
func TestBadCallbacksLimitedValidNever(t *testing.T) {
	a := newSecApp(t, func(o *Options) { o.Limits = tightLimits(3) })
	p := a.newPayment(t)
	ref := a.startWeChat(t, p.ID)
	bad := func() *httptest.ResponseRecorder {
		r := postCallback(signedNotification("wrong-key", ref, "wechat", "paid", "NZD", "12.50"))
		r.RemoteAddr = "192.0.2.77:1"
		return a.do(r)
	}
	for range 3 {
		if w := bad(); w.Code != http.StatusUnauthorized {
			t.Fatalf("bad callback = %d, want 401", w.Code)
		}
	}
	before := a.logBuf.String()
	for range 20 {
		want429(t, "bad callback over the limit", bad())
	}
	if after := a.logBuf.String(); strings.Count(after, "bad signature") != strings.Count(before, "bad signature") {
		t.Errorf("throttled rejections are still logged")
	}
	r := postCallback(signedNotification(secLatipayKey, ref, "wechat", "paid", "NZD", "12.50"))
	r.RemoteAddr = "192.0.2.77:1"
	if w := a.do(r); w.Code != http.StatusOK || w.Body.String() != "sent" {
		t.Fatalf("valid callback from a throttled address = %d %q, want 200 sent", w.Code, w.Body.String())
	}
}

// TestDefaultSocketCaps checks the shipped caps (5 per payment) with a
// real dialer, so the defaults cannot drift silently.
func TestDefaultSocketCaps(t *testing.T) {
	a := newSecApp(t, func(o *Options) { o.Limits = Limits{} })
	p := a.newPayment(t)
	key := []byte("sec-token-key-0123456789abcdef01")
	u := "ws" + a.url[len("http"):] + CheckoutPath(p.ID) + "/ws?t=" + socketToken(key, p.ID, time.Now())
	var open []*websocket.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := range DefaultLimits().SocketsPerPayment {
		c, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {a.url}})
		if err != nil {
			t.Fatalf("socket %d: %v", i+1, err)
		}
		var m statusMessage
		if err := c.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
	}
	_, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {a.url}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("6th socket on one payment: %v %v, want 429", resp, err)
	}
}
