package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/sqlite"
)

// Fixed secrets of the security harness. secLatipayKey is the
// simulator merchant's key (paymentstest's), so callbacks it signs verify.
const (
	secLatipayKey = paymentstest.APIKey
	secAPIKey     = "sec-api-key-0123456789abcdef0123456789"
	secLinkSecret = "sec-link-secret-0123456789abcdef0123"
	secUserID     = paymentstest.UserID
	secWallet     = paymentstest.WalletNZD
	secDesktopUA  = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)

// secApp is the app under test (NewTestApp), served over loopback so
// sockets and the simulator's callbacks travel over real HTTP, on the
// wall clock.
type secApp struct {
	*TestApp
	h      http.Handler
	url    string // public URL, e.g. http://127.0.0.1:PORT
	sim    *latipaysim.Simulator
	svc    *payments.Service
	db     *sqlite.DB
	logBuf *paymentstest.SyncBuffer
}

// newSecApp builds the real server with the security harness's secrets.
// mod may change the handler options; limits are off unless mod turns
// them on.
func newSecApp(t testing.TB, mod func(*Options)) *secApp {
	t.Helper()
	return newSecAppEnv(t, slog.LevelDebug, 200*time.Millisecond, nil, func(o *Options) {
		o.MerchantName = "Sec Shop"
		o.Limits = Limits{Off: true}
		if mod != nil {
			mod(o)
		}
	})
}

// newSecAppEnv is newSecApp's wiring: logs at level, Latipay's callbacks
// retried every interval, the service's store wrapped by wrap (if not
// nil) and the options changed by mod.
func newSecAppEnv(t testing.TB, level slog.Level, interval time.Duration, wrap func(payments.Store) payments.Store, mod func(*Options)) *secApp {
	t.Helper()
	log, logBuf := jsonLog(level)
	env := realTime(log, interval)
	env.WrapStore = wrap
	app := NewTestApp(t, TestAppOptions{Env: env, Log: log, GinMode: gin.ReleaseMode, // quiet route listing
		Edit: func(_ *paymentstest.Env, o *Options) {
			o.APIKey, o.LinkSecret, o.TokenKey = secAPIKey, secLinkSecret, []byte("sec-token-key-0123456789abcdef01")
			// A fixed form-action host keeps the header goldens free of
			// the simulator's port.
			o.FormActionHosts = latipay.FormActionOrigins("http://latipay.test")
			mod(o)
		}})
	return &secApp{TestApp: app, h: app.H, url: app.AppURL, sim: app.Sim, svc: app.Svc, db: app.Store, logBuf: logBuf}
}

// do sends r through the router and returns the recorded response.
func (a *secApp) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, r)
	return w
}

// newPayment creates a 12.50 NZD payment through the service.
func (a *secApp) newPayment(t testing.TB) payments.Payment {
	t.Helper()
	p, _, err := a.svc.Create(context.Background(), payments.CreateInput{Amount: "12.50", Currency: "NZD",
		Reference: "ORDER-" + randHex(t, 6), ReturnURL: a.url + "/", Source: "api"}, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startWeChat starts a WeChat QR attempt on p and returns its reference.
func (a *secApp) startWeChat(t testing.TB, id string) string {
	t.Helper()
	st, err := a.svc.Start(context.Background(), payments.StartInput{PaymentID: id, Method: "wechat", Device: payments.DeviceDesktop, ClientIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	return st.Attempt.Reference
}

func (a *secApp) status(t testing.TB, id string) payments.Status {
	t.Helper()
	p, err := a.svc.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Status
}

func randHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// signedNotification is a callback form signed with key, as Latipay
// builds it: HMAC-SHA256(key, ref+method+status+currency+amount).
func signedNotification(key, ref, method, status, currency, amount string) url.Values {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(ref + method + status + currency + amount))
	return url.Values{"merchant_reference": {ref}, "payment_method": {method}, "status": {status},
		"currency": {currency}, "amount": {amount}, "signature": {hex.EncodeToString(m.Sum(nil))}}
}

func postCallback(form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, CallbackPath, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// TestCSRF is test 93: cross-site POSTs to every state-changing browser
// route are refused before any handler runs; same-origin ones pass; the
// Latipay callback (no Origin, no Sec-Fetch-Site) passes the CSRF layer.
func TestCSRF(t *testing.T) {
	a := newSecApp(t, func(o *Options) { o.Sandbox = http.NotFoundHandler() })
	p := a.newPayment(t)
	routes := []string{CheckoutPath(p.ID) + "/start", "/sandbox/demo"}
	attacks := map[string]http.Header{
		"sec-fetch-site cross-site":  {"Sec-Fetch-Site": {"cross-site"}},
		"sec-fetch-site same-site":   {"Sec-Fetch-Site": {"same-site"}},
		"origin of another site":     {"Origin": {"https://evil.example"}},
		"origin null":                {"Origin": {"null"}},
		"merchant origin, no fetch":  {"Origin": {"https://shop.example"}},
		"cross-site beats same host": {"Sec-Fetch-Site": {"cross-site"}, "Origin": {a.url}},
	}
	for _, path := range routes {
		for name, hdr := range attacks {
			r := httptest.NewRequest(http.MethodPost, path, strings.NewReader("method=wechat"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range hdr {
				r.Header[k] = v
			}
			if got := a.do(r).Code; got != http.StatusForbidden {
				t.Errorf("POST %s with %s = %d, want 403", path, name, got)
			}
		}
	}
	if got := a.status(t, p.ID); got != payments.StatusCreated {
		t.Errorf("after cross-site POSTs status = %s, want created (nothing started)", got)
	}
	r := httptest.NewRequest(http.MethodPost, CheckoutPath(p.ID)+"/start", strings.NewReader("method=wechat"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Origin", a.url)
	r.Header.Set("User-Agent", secDesktopUA)
	if got := a.do(r).Code; got != http.StatusSeeOther {
		t.Errorf("same-origin POST start = %d, want 303", got)
	}
	ref := a.startWeChat(t, p.ID)
	cb := postCallback(signedNotification(secLatipayKey, ref, "wechat", "paid", "NZD", "12.50"))
	if w := a.do(cb); w.Code != http.StatusOK || w.Body.String() != "sent" {
		t.Errorf("Latipay callback with no Origin = %d %q, want 200 sent", w.Code, w.Body.String())
	}
}

// TestForgedCallbacks covers tests 16, 17 and 21 through the router: a
// callback that is not exactly what Latipay signed is never answered
// "sent" and changes nothing; a correctly signed paid with the wrong
// amount or currency is acknowledged (so Latipay stops) but never marks
// the payment paid.
func TestForgedCallbacks(t *testing.T) {
	a := newSecApp(t, nil)
	p := a.newPayment(t)
	ref := a.startWeChat(t, p.ID)
	good := signedNotification(secLatipayKey, ref, "wechat", "paid", "NZD", "12.50")
	mutate := func(k, v string) url.Values { return paymentstest.WithField(good, k, v) }
	forged := map[string]url.Values{
		"no signature":        mutate("signature", ""),
		"truncated signature": mutate("signature", good.Get("signature")[:40]),
		"non-hex signature":   mutate("signature", strings.Repeat("zz", 32)),
		"odd length":          mutate("signature", good.Get("signature")+"0"),
		"spaces":              mutate("signature", " "+good.Get("signature")),
		"other key":           signedNotification("another-merchant-key", ref, "wechat", "paid", "NZD", "12.50"),
		"amount changed":      mutate("amount", "12.51"),
		"currency changed":    mutate("currency", "AUD"),
		"status changed":      signedNotificationWithSig(good, "status", "paid", "failed"),
		"method changed":      mutate("payment_method", "alipay"),
		"reference changed":   mutate("merchant_reference", ref[:len(ref)-1]+map[bool]string{true: "1", false: "0"}[ref[len(ref)-1] == '0']),
	}
	for name, f := range forged {
		w := a.do(postCallback(f))
		if w.Code < 400 || w.Code >= 500 || w.Body.String() == "sent" {
			t.Errorf("%s: callback = %d %q, want 4xx and never sent", name, w.Code, w.Body.String())
		}
	}
	if got := a.status(t, p.ID); got == payments.StatusPaid {
		t.Fatalf("a forged callback marked the payment paid")
	}
	for name, f := range map[string]url.Values{
		"amount +0.01": signedNotification(secLatipayKey, ref, "wechat", "paid", "NZD", "12.51"),
		"amount x100":  signedNotification(secLatipayKey, ref, "wechat", "paid", "NZD", "1250.00"),
		"other cur":    signedNotification(secLatipayKey, ref, "wechat", "paid", "AUD", "12.50"),
	} {
		w := a.do(postCallback(f))
		if w.Code != http.StatusOK || w.Body.String() != "sent" {
			t.Errorf("%s: signed mismatch = %d %q, want 200 sent (recorded, acknowledged)", name, w.Code, w.Body.String())
		}
		if got := a.status(t, p.ID); got == payments.StatusPaid {
			t.Fatalf("%s: signed callback with the wrong money marked the payment paid", name)
		}
	}
	if w := a.do(postCallback(good)); w.Body.String() != "sent" {
		t.Fatalf("genuine callback = %d %q", w.Code, w.Body.String())
	}
	if got := a.status(t, p.ID); got != payments.StatusPaid {
		t.Fatalf("after the genuine callback status = %s, want paid", got)
	}
	// Test 31: Latipay's signature has no timestamp, so a captured
	// notification verifies forever; replaying it is acknowledged and
	// changes nothing.
	before, _ := a.svc.Get(context.Background(), p.ID)
	for range 3 {
		if w := a.do(postCallback(good)); w.Body.String() != "sent" {
			t.Fatalf("replayed callback = %d %q, want sent", w.Code, w.Body.String())
		}
	}
	if after, _ := a.svc.Get(context.Background(), p.ID); after.Version != before.Version || after.Status != payments.StatusPaid {
		t.Errorf("replays changed the payment: v%d %s -> v%d %s", before.Version, before.Status, after.Version, after.Status)
	}
}

// signedNotificationWithSig returns good with field k changed from old to
// v, keeping good's signature.
func signedNotificationWithSig(good url.Values, k, old, v string) url.Values {
	f := url.Values{}
	for kk, vv := range good {
		f[kk] = append([]string(nil), vv...)
	}
	if f.Get(k) == old {
		f.Set(k, v)
	}
	return f
}

// TestForgedReturn is test 23 through the router: the shopper lands on
// the return URL claiming paid, with a signature made by someone without
// the key; the page shows the server's truth, and nothing is marked paid.
func TestForgedReturn(t *testing.T) {
	a := newSecApp(t, nil)
	p := a.newPayment(t)
	ref := a.startWeChat(t, p.ID)
	q := signedNotification("not-the-key", ref, "wechat", "paid", "NZD", "12.50")
	w := a.do(httptest.NewRequest(http.MethodGet, ReturnPath(p.ID)+"?"+q.Encode(), nil))
	if w.Code != http.StatusOK {
		t.Fatalf("return = %d", w.Code)
	}
	if strings.Contains(w.Body.String(), `data-status="paid"`) {
		t.Errorf("return page shows paid")
	}
	if got := a.status(t, p.ID); got == payments.StatusPaid {
		t.Fatalf("forged return marked the payment paid")
	}
}

// TestCallbackBodyHygiene is test 5 through the router: wrong content
// types, oversize bodies, bad encodings and duplicate keys get a 4xx,
// never "sent"; query-string values are never read.
func TestCallbackBodyHygiene(t *testing.T) {
	a := newSecApp(t, nil)
	p := a.newPayment(t)
	ref := a.startWeChat(t, p.ID)
	good := signedNotification(secLatipayKey, ref, "wechat", "paid", "NZD", "12.50")
	send := func(ct, query, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, CallbackPath+query, strings.NewReader(body))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		return a.do(r)
	}
	dup := good.Encode() + "&amount=1.00"
	cases := map[string]*httptest.ResponseRecorder{
		"json":              send("application/json", "", `{"merchant_reference":"`+ref+`"}`),
		"multipart":         send("multipart/form-data; boundary=x", "", "--x--"),
		"no content type":   send("", "", good.Encode()),
		"oversize":          send("application/x-www-form-urlencoded", "", good.Encode()+"&pad="+strings.Repeat("a", 17<<10)),
		"bad percent":       send("application/x-www-form-urlencoded", "", "merchant_reference=%zz"),
		"nul byte":          send("application/x-www-form-urlencoded", "", strings.Replace(good.Encode(), "paid", "pa%00id", 1)),
		"invalid utf-8":     send("application/x-www-form-urlencoded", "", strings.Replace(good.Encode(), "paid", "pa%ffid", 1)),
		"missing fields":    send("application/x-www-form-urlencoded", "", "merchant_reference="+ref),
		"duplicate key":     send("application/x-www-form-urlencoded", "", dup),
		"fields only in qs": send("application/x-www-form-urlencoded", "?"+good.Encode(), ""),
		// Correctly signed, hostile where the signature does not reach.
		"nul in order_id":          send("application/x-www-form-urlencoded", "", good.Encode()+"&order_id=2026%0012"),
		"invalid utf-8 pay_time":   send("application/x-www-form-urlencoded", "", good.Encode()+"&pay_time=%ff%fe"),
		"5,000-char order_id":      send("application/x-www-form-urlencoded", "", good.Encode()+"&order_id="+strings.Repeat("9", 5000)),
		"empty key":                send("application/x-www-form-urlencoded", "", good.Encode()+"&=x"),
		"redirect-only status":     send("application/x-www-form-urlencoded", "", signedNotification(secLatipayKey, ref, "wechat", "cancel_or_fail", "NZD", "12.50").Encode()),
		"order_id outside grammar": send("application/x-www-form-urlencoded", "", good.Encode()+"&order_id=1%20OR%201"),
	}
	for name, w := range cases {
		if w.Code < 400 || w.Code >= 500 || w.Body.String() == "sent" {
			t.Errorf("%s: = %d %q, want 4xx, never sent", name, w.Code, w.Body.String())
		}
	}
	if got := a.status(t, p.ID); got == payments.StatusPaid || got == payments.StatusFailed {
		t.Fatalf("a malformed callback moved the payment to %s", got)
	}
}

// TestSocketOriginAndToken covers tests 74 and 75 and the read limit: a
// foreign Origin is refused before the upgrade; a token for another
// payment, an expired or forged one is refused; a frame over the read
// limit closes the socket with 1009.
func TestSocketOriginAndToken(t *testing.T) {
	a := newSecApp(t, nil)
	p, other := a.newPayment(t), a.newPayment(t)
	key := []byte("sec-token-key-0123456789abcdef01")
	wsURL := func(id, tok string) string {
		return "ws" + strings.TrimPrefix(a.url, "http") + CheckoutPath(id) + "/ws?t=" + url.QueryEscape(tok)
	}
	dial := func(u, origin string) (*websocket.Conn, int) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, resp, err := websocket.DefaultDialer.Dial(u, h)
		if err != nil {
			if resp == nil {
				t.Fatalf("dial %s: %v", u, err)
			}
			return nil, resp.StatusCode
		}
		return c, resp.StatusCode
	}
	good := socketToken(key, p.ID, time.Now())
	for name, tc := range map[string]struct {
		url, origin string
		want        int
	}{
		"attacker origin":       {wsURL(p.ID, good), "https://evil.example", http.StatusForbidden},
		"merchant origin":       {wsURL(p.ID, good), "https://shop.example", http.StatusForbidden},
		"null origin":           {wsURL(p.ID, good), "null", http.StatusForbidden},
		"token for another":     {wsURL(other.ID, good), a.url, http.StatusUnauthorized},
		"expired token":         {wsURL(p.ID, socketToken(key, p.ID, time.Now().Add(-tokenTTL-time.Second))), a.url, http.StatusUnauthorized},
		"forged token":          {wsURL(p.ID, socketToken([]byte("another-key-0123456789abcdef0123"), p.ID, time.Now())), a.url, http.StatusUnauthorized},
		"no token, no origin":   {wsURL(p.ID, ""), "", http.StatusUnauthorized},
		"token, our own origin": {wsURL(p.ID, good), a.url, http.StatusSwitchingProtocols},
	} {
		c, code := dial(tc.url, tc.origin)
		if c != nil {
			c.Close()
		}
		if code != tc.want {
			t.Errorf("%s: handshake = %d, want %d", name, code, tc.want)
		}
	}
	c, _ := dial(wsURL(p.ID, good), a.url)
	if c == nil {
		t.Fatal("no socket")
	}
	defer c.Close()
	var first statusMessage
	if err := c.ReadJSON(&first); err != nil || first.Status != string(payments.StatusCreated) {
		t.Fatalf("first message = %+v, %v; want the created snapshot", first, err)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("x", maxMessageSize+1))); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("after an oversize frame: %v, want close 1009", err)
	}
}

// TestSocketCaps is test 79's caps: at most SocketsPerPayment sockets per
// payment and SocketsPerIP per client address; the next handshake is
// refused with 429 and Retry-After before any upgrade, and a slot frees
// when a socket closes.
func TestSocketCaps(t *testing.T) {
	a := newSecApp(t, func(o *Options) {
		o.Limits = Limits{SocketsPerPayment: 2, SocketsPerIP: 3, SocketOpens: Rate{Limit: 1000, Per: time.Second}}
	})
	key := []byte("sec-token-key-0123456789abcdef01")
	open := func(id string) (*websocket.Conn, *http.Response) {
		u := "ws" + strings.TrimPrefix(a.url, "http") + CheckoutPath(id) + "/ws?t=" + socketToken(key, id, time.Now())
		c, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {a.url}})
		if err != nil && resp == nil {
			t.Fatal(err)
		}
		if c != nil {
			var m statusMessage
			if err := c.ReadJSON(&m); err != nil { // the server holds the slot once the snapshot is sent
				t.Fatal(err)
			}
		}
		return c, resp
	}
	p1, p2 := a.newPayment(t), a.newPayment(t)
	c1, _ := open(p1.ID)
	c2, _ := open(p1.ID)
	if c1 == nil || c2 == nil {
		t.Fatal("first two sockets refused")
	}
	c, resp := open(p1.ID)
	if c != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third socket on one payment: %d Retry-After=%q, want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	c3, _ := open(p2.ID)
	if c3 == nil {
		t.Fatal("third socket from the address (other payment) refused")
	}
	defer c3.Close()
	if c, resp := open(p2.ID); c != nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth socket from one address = %d, want 429", resp.StatusCode)
	}
	c1.Close()
	c2.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, _ := open(p1.ID)
		if c != nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("slots were not released after the sockets closed")
		}
		time.Sleep(20 * time.Millisecond) // polling for the server to notice the close, not synchronising
	}
}

// TestNoInternalsInErrors is test 100 in part: a 500 says nothing about
// the cause, the server's software or its version.
func TestNoInternalsInErrors(t *testing.T) {
	a := newSecApp(t, nil)
	p := a.newPayment(t)
	a.db.Close()
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, CheckoutPath(p.ID), nil),
		apiRequest(http.MethodGet, "/api/v1/payments/"+p.ID, ""),
	} {
		w := a.do(r)
		if w.Code != http.StatusInternalServerError {
			t.Fatalf("%s with the database closed = %d, want 500", r.URL, w.Code)
		}
		body := strings.ToLower(w.Body.String())
		for _, leak := range []string{"sql", "database", "closed", "goroutine", ".go:", "gin", "go1."} {
			if strings.Contains(body, leak) {
				t.Errorf("%s: 500 body contains %q", r.URL, leak)
			}
		}
		if s := w.Header().Get("Server"); s != "" {
			t.Errorf("Server header %q, want none", s)
		}
	}
}

func apiRequest(method, path, body string) *http.Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+secAPIKey)
	r.Header.Set("Content-Type", "application/json")
	return r
}

// mustJSON decodes a JSON body or fails.
func mustJSON(t testing.TB, body io.Reader, v any) {
	t.Helper()
	if err := json.NewDecoder(body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
