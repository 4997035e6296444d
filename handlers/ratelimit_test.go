package handlers

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestMemoryLimiter(t *testing.T) {
	l := NewMemoryLimiter(Rate{Limit: 2, Per: time.Second, Burst: 3})
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 3 {
		if ok, _ := l.Allow("a", t0); !ok {
			t.Fatalf("request %d within the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("a", t0)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th request = %v, retry after %v; want refused, 500ms", ok, wait)
	}
	if ok, _ := l.Allow("b", t0); !ok {
		t.Fatal("another key shares the bucket")
	}
	if ok, _ := l.Allow("a", t0.Add(500*time.Millisecond)); !ok {
		t.Fatal("not refilled after 500ms at 2/s")
	}
	if ok, _ := l.Allow("a", t0.Add(500*time.Millisecond)); ok {
		t.Fatal("refilled more than one token")
	}
	// Long idle: never more than the burst.
	later := t0.Add(time.Hour)
	for i := range 3 {
		if ok, _ := l.Allow("a", later); !ok {
			t.Fatalf("after idling, request %d refused", i+1)
		}
	}
	if ok, _ := l.Allow("a", later); ok {
		t.Fatal("bucket grew beyond its burst")
	}
}

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

// TestMemoryLimiterBounded: 300,000 distinct addresses (42 MB to 186 MB of
// buckets, never given back, before the bound) leave at most maxBuckets
// keys, and the map is rebuilt small once they have refilled.
func TestMemoryLimiterBounded(t *testing.T) {
	l := NewMemoryLimiter(Rate{Limit: 60, Per: time.Minute, Burst: 120}).(*memoryLimiter)
	t0 := time.Unix(1_700_000_000, 0)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 300_000 {
		key := "ip:10." + strconv.Itoa(i>>16) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
		if ok, _ := l.Allow(key, t0); !ok {
			t.Fatalf("first request of %s refused", key)
		}
	}
	// The address that keeps calling keeps its bucket while others come.
	l.mu.Lock()
	n := len(l.buckets)
	l.mu.Unlock()
	if n > maxBuckets {
		t.Errorf("%d buckets after 300,000 addresses, want at most %d", n, maxBuckets)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("heap grew by %.1f MB for 300,000 addresses", float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20))
	// Two minutes on every bucket has refilled: the next call sweeps them
	// and the map is rebuilt.
	l.Allow("ip:192.0.2.1", t0.Add(2*time.Minute))
	l.mu.Lock()
	n, peak := len(l.buckets), l.peak
	l.mu.Unlock()
	if n != 1 || peak != 1 {
		t.Errorf("after refilling: %d buckets, peak %d; want 1 and 1", n, peak)
	}
}
