package handlers

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/static"
)

// decode undoes the response's Content-Encoding.
func decode(t testing.TB, h http.Header, body []byte) []byte {
	t.Helper()
	var r io.Reader
	switch ce := h.Get("Content-Encoding"); ce {
	case "":
		return body
	case "gzip":
		z, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("gzip body: %v", err)
		}
		r = z
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	default:
		t.Fatalf("Content-Encoding %q", ce)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s body: %v", h.Get("Content-Encoding"), err)
	}
	return b
}

// hasVary reports whether h's Vary names Accept-Encoding.
func hasVary(h http.Header) bool {
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "Accept-Encoding") {
				return true
			}
		}
	}
	return false
}

// TestNegotiate reads Accept-Encoding as RFC 9110 section 12.5.3 has it:
// q-values, "*", identity, q=0, no header.
func TestNegotiate(t *testing.T) {
	both := []string{codingBrotli, codingGzip}
	for _, tc := range []struct {
		header string
		offers []string
		want   string
	}{
		{"", both, ""},
		{"   ", both, ""},
		{chromiumAcceptEncoding, both, "br"},
		{chromiumAcceptEncoding, []string{codingGzip}, "gzip"},
		{"gzip, deflate", both, "gzip"},
		{"gzip", []string{codingBrotli}, ""},
		{"x-gzip", both, "gzip"},
		{"GZIP", both, "gzip"},
		{"identity", both, ""},
		{"br;q=0, gzip", both, "gzip"},
		{"gzip;q=0", both, ""},
		{"br;q=0.5, gzip;q=0.8", both, "gzip"},
		{"br;q=1.0, gzip;q=1.0", both, "br"},
		{"*", both, "br"},
		{"*", []string{codingGzip}, "gzip"},
		{"*;q=0", both, ""},
		{"gzip;q=0, *", both, "br"},
		{"br;q=0, *;q=0.1", both, "gzip"},
		{"gzip;q=0.5, identity", both, ""},
		{"gzip, identity;q=0", both, "gzip"},
		{"identity;q=0", both, ""}, // nothing acceptable: plain beats a 406
		{"gzip;q=2", both, ""},     // malformed weight: not acceptable
		{"gzip;q=x", both, ""},
		{"deflate, zstd", both, ""},
	} {
		if got := negotiate(tc.header, tc.offers...); got != tc.want {
			t.Errorf("negotiate(%q, %v) = %q, want %q", tc.header, tc.offers, got, tc.want)
		}
	}
}

// TestCompressionNegotiated asks for a static file, embed.js and the
// checkout page with each Accept-Encoding through the real router: the
// body comes in the expected coding, decodes to the plain body, and the
// answer says Vary: Accept-Encoding whatever was asked; the immutable
// cache header stays on the static file.
func TestCompressionNegotiated(t *testing.T) {
	a := newSecApp(t, nil)
	p := a.newPayment(t)
	a.startWeChat(t, p.ID)
	js := staticPath(a, "js/checkout.js")
	assets, err := static.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		accept             string
		asset, page        string // want Content-Encoding
		noAcceptEncodingHd bool
	}{
		{accept: chromiumAcceptEncoding, asset: "br", page: "gzip"},
		{accept: "gzip, deflate", asset: "gzip", page: "gzip"},
		{accept: "br", asset: "br", page: ""},
		{accept: "identity", asset: "", page: ""},
		{accept: "gzip;q=0, br;q=0", asset: "", page: ""},
		{accept: "br;q=0.1, gzip", asset: "gzip", page: "gzip"},
		{accept: "*", asset: "br", page: "gzip"},
		{noAcceptEncodingHd: true, asset: "", page: ""},
	} {
		plain := map[string][]byte{}
		for _, path := range []string{js, EmbedScriptPath, CheckoutPath(p.ID)} {
			r := httptest.NewRequest(http.MethodGet, path, nil)
			if !tc.noAcceptEncodingHd {
				r.Header.Set("Accept-Encoding", tc.accept)
			}
			w := a.do(r)
			want := tc.asset
			if path == CheckoutPath(p.ID) {
				want = tc.page
			}
			name := tc.accept + " " + path
			if got := w.Header().Get("Content-Encoding"); w.Code != http.StatusOK || got != want {
				t.Errorf("%s: %d, Content-Encoding %q, want %q", name, w.Code, got, want)
			}
			if !hasVary(w.Header()) {
				t.Errorf("%s: Vary %q, want Accept-Encoding in it", name, w.Header().Values("Vary"))
			}
			if cl := w.Header().Get("Content-Length"); cl != strconv.Itoa(w.Body.Len()) {
				t.Errorf("%s: Content-Length %q for %d bytes", name, cl, w.Body.Len())
			}
			body := decode(t, w.Header(), w.Body.Bytes())
			plain[path] = body
			if path == js {
				if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
					t.Errorf("%s: Cache-Control %q", name, cc)
				}
			}
		}
		if f, ok := assets.Lookup("js/checkout.js"); !ok || !bytes.Equal(plain[js], f.Body()) {
			t.Errorf("%s: checkout.js decodes to %d bytes, not the file", tc.accept, len(plain[js]))
		}
		if !bytes.Contains(plain[CheckoutPath(p.ID)], []byte(`data-testid="qr-block"`)) {
			t.Errorf("%s: the checkout page does not decode to the page", tc.accept)
		}
	}
}

// TestCompressionLeftOut: no compression where there must be none, even
// when the request accepts it: the websocket handshake, Latipay's
// callback answer "sent", a small body (the status JSON), a HEAD (405,
// as before), and the QR image.
func TestCompressionLeftOut(t *testing.T) {
	a := newSecApp(t, nil)
	p := a.newPayment(t)
	ref := a.startWeChat(t, p.ID)
	gz := func(r *http.Request) *http.Request { r.Header.Set("Accept-Encoding", chromiumAcceptEncoding); return r }
	plain := func(name string, w *httptest.ResponseRecorder, wantCode int) {
		t.Helper()
		if w.Code != wantCode || w.Header().Get("Content-Encoding") != "" {
			t.Errorf("%s: %d, Content-Encoding %q; want %d, none", name, w.Code, w.Header().Get("Content-Encoding"), wantCode)
		}
	}
	plain("QR image", a.do(gz(httptest.NewRequest(http.MethodGet, CheckoutPath(p.ID)+"/qr.png?ref="+ref, nil))), http.StatusOK)
	w := a.do(gz(postCallback(signedNotification(secLatipayKey, ref, "wechat", "paid", "NZD", "12.50"))))
	plain("callback", w, http.StatusOK)
	if w.Body.String() != "sent" {
		t.Errorf("callback body %q, want sent", w.Body.String())
	}
	w = a.do(gz(httptest.NewRequest(http.MethodGet, CheckoutPath(p.ID)+"/status", nil)))
	plain("status JSON", w, http.StatusOK)
	if hasVary(w.Header()) {
		t.Errorf("status JSON (%d bytes, never compressed): Vary %q", w.Body.Len(), w.Header().Values("Vary"))
	}
	q := a.newPayment(t)
	// HEAD is answered as GET without a body (issue 13): the same status
	// and headers, Content-Encoding included.
	for _, path := range []string{staticPath(a, "css/app.css"), "/", EmbedScriptPath} {
		get := a.do(gz(httptest.NewRequest(http.MethodGet, path, nil)))
		head := a.do(gz(httptest.NewRequest(http.MethodHead, path, nil)))
		if head.Code != get.Code || head.Body.Len() != 0 || head.Header().Get("Content-Encoding") != get.Header().Get("Content-Encoding") {
			t.Errorf("HEAD %s: %d, %d body bytes, Content-Encoding %q; GET: %d, %q", path, head.Code, head.Body.Len(),
				head.Header().Get("Content-Encoding"), get.Code, get.Header().Get("Content-Encoding"))
		}
	}

	// The websocket handshake asks for gzip and still upgrades.
	tok := socketToken([]byte("sec-token-key-0123456789abcdef01"), q.ID, time.Now())
	h := http.Header{"Origin": {a.url}, "Accept-Encoding": {chromiumAcceptEncoding}}
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(a.url, "http")+CheckoutPath(q.ID)+"/ws?t="+tok, h)
	if err != nil {
		t.Fatalf("websocket asking for gzip: %v", err)
	}
	defer c.Close()
	if ce := resp.Header.Get("Content-Encoding"); resp.StatusCode != http.StatusSwitchingProtocols || ce != "" {
		t.Errorf("handshake %d, Content-Encoding %q", resp.StatusCode, ce)
	}
	var m statusMessage
	if err := c.ReadJSON(&m); err != nil || m.Status != "created" {
		t.Errorf("first message %+v, %v", m, err)
	}
}

// TestCompressMiddleware drives compress with handlers written for the
// cases no route has yet: a body that is already encoded, a JSON body
// with no Content-Length, and a stream whose first part must reach the
// client before the second is written.
func TestCompressMiddleware(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{}
	e := gin.New()
	big := `{"x":"` + strings.Repeat("abcdefgh", 300) + `"}`
	e.GET("/encoded", s.compress(), func(c *gin.Context) {
		c.Header("Content-Encoding", "br")
		c.Data(http.StatusOK, "application/json", []byte(big)) // pretend it is Brotli
	})
	e.GET("/json", s.compress(), func(c *gin.Context) { c.String(http.StatusTeapot, big) })
	next := make(chan struct{})
	e.GET("/stream", s.compress(), func(c *gin.Context) {
		c.Header("Content-Type", "text/plain; charset=utf-8")
		c.Status(http.StatusOK)
		c.Writer.WriteString("first part " + strings.Repeat("-", 2000) + "\n")
		c.Writer.Flush()
		select {
		case <-next: // the client has read the first part
			c.Writer.WriteString("second part\n")
		case <-time.After(20 * time.Second): // the first part never came: end the test
			c.Writer.WriteString("gave up\n")
		}
	})
	ts := httptest.NewServer(e)
	defer ts.Close()
	get := func(path string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip") // set by hand: the client does not decode
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := get("/encoded")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ce := resp.Header.Get("Content-Encoding"); ce != "br" || string(b) != big {
		t.Errorf("already encoded: Content-Encoding %q and %d bytes; want br and the body untouched", ce, len(b))
	}
	resp = get("/json")
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot || resp.Header.Get("Content-Encoding") != "gzip" || resp.ContentLength != int64(len(b)) ||
		string(decode(t, resp.Header, b)) != big {
		t.Errorf("text without a length: %d, %q, length %d for %d bytes", resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.ContentLength, len(b))
	}
	resp = get("/stream")
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("stream: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	z, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, len("first part "))
	if _, err := io.ReadFull(z, first); err != nil || string(first) != "first part " {
		t.Fatalf("stream: first part %q, %v", first, err)
	}
	close(next)
	rest, err := io.ReadAll(z)
	if err != nil || !strings.HasSuffix(string(rest), "second part\n") {
		t.Errorf("stream: rest %q, %v", rest, err)
	}
}

var socketTokenRE = regexp.MustCompile(`/ws\?t=([0-9]+)\.([A-Za-z0-9_-]+)`)

// TestBREACHSocketToken: the checkout page is gzipped and reflects any
// query parameter, so the socket token next to it must not be guessable
// from response lengths. Each response carries the token's MAC masked
// with a fresh pad: two loads differ, both open the socket, the plain MAC
// never appears, and reflecting the right MAC makes the page no shorter
// than reflecting a wrong one (unmasked, it saves about 30 bytes).
func TestBREACHSocketToken(t *testing.T) {
	key := []byte("sec-token-key-0123456789abcdef01")
	now := time.Now()
	a := newSecApp(t, func(o *Options) { o.Now = func() time.Time { return now } })
	p := a.newPayment(t)
	load := func(query string) (wire int, page string) {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, CheckoutPath(p.ID)+query, nil)
		r.Header.Set("Accept-Encoding", "gzip")
		w := a.do(r)
		if w.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("checkout page not gzipped: %v", w.Header())
		}
		return w.Body.Len(), string(decode(t, w.Header(), w.Body.Bytes()))
	}
	plainTok := socketToken(key, p.ID, now)
	_, plainMAC, _ := strings.Cut(plainTok, ".")
	_, p1 := load("")
	_, p2 := load("")
	m1, m2 := socketTokenRE.FindStringSubmatch(p1), socketTokenRE.FindStringSubmatch(p2)
	if m1 == nil || m2 == nil {
		t.Fatal("no socket token on the page")
	}
	if m1[2] == m2[2] {
		t.Errorf("two responses carry the same token MAC %s", m1[2])
	}
	for _, m := range [][]string{m1, m2} {
		if !checkSocketToken(key, p.ID, m[1]+"."+m[2], now) {
			t.Errorf("served token %s.%s is refused", m[1], m[2])
		}
		if raw, _ := base64.RawURLEncoding.DecodeString(m[2]); len(raw) != 64 {
			t.Errorf("served MAC is %d bytes, want 64 (pad and masked MAC)", len(raw))
		}
	}
	for _, page := range []string{p1, p2} {
		if strings.Contains(page, plainMAC[:8]) {
			t.Errorf("the page carries the plain MAC %s", plainMAC)
		}
	}
	// The oracle: reflect the right MAC, then a wrong one of the same
	// alphabet and length, sixteen times each.
	const rounds = 16
	saved := 0
	for range rounds {
		var b [32]byte
		_, _ = rand.Read(b[:])
		wrong := base64.RawURLEncoding.EncodeToString(b[:])
		right, _ := load("?q=" + plainMAC)
		other, _ := load("?q=" + wrong)
		saved += other - right
	}
	t.Logf("reflecting the right MAC saved %.1f bytes a response on average", float64(saved)/rounds)
	if saved > 4*rounds {
		t.Errorf("reflecting the right MAC saves %.1f bytes a response: the token leaks through compression", float64(saved)/rounds)
	}
	// The masked token opens the socket.
	u := "ws" + strings.TrimPrefix(a.url, "http") + CheckoutPath(p.ID) + "/ws?t=" + m1[1] + "." + m1[2]
	c, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {a.url}})
	if err != nil {
		t.Fatalf("masked token: %v", err)
	}
	c.Close()
}

// BenchmarkGzipCheckoutPage is the CPU that compress adds to one checkout
// page (a desktop QR page): gzip with a pooled writer into a pooled
// buffer, on the page's bytes as the router renders them.
func BenchmarkGzipCheckoutPage(b *testing.B) {
	a := newSecApp(b, nil)
	p := a.newPayment(b)
	a.startWeChat(b, p.ID)
	r := httptest.NewRequest(http.MethodGet, CheckoutPath(p.ID), nil)
	r.Header.Set("User-Agent", secDesktopUA)
	page := a.do(r).Body.Bytes()
	var pool gzipPool
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	var out int
	for b.Loop() {
		z, buf := pool.get()
		_, _ = z.Write(page)
		_ = z.Close()
		out = buf.Len()
		pool.put(z, buf)
	}
	b.ReportMetric(float64(out), "gzip-bytes")
}

// TestCompressPiecewise: a body written in pieces reaches the client
// whole and in order, gzipped or plain as asked, whether the handler
// set its length first (decided at the first write, which passes
// through uncopied) or not (held until compressMinSize bytes came).
func TestCompressPiecewise(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{}
	e := gin.New()
	var want strings.Builder
	pieces := make([]string, 12)
	for i := range pieces {
		pieces[i] = fmt.Sprintf("<p>piece %02d %s</p>\n", i, strings.Repeat(string(rune('a'+i)), 140))
		want.WriteString(pieces[i])
	}
	write := func(c *gin.Context) {
		for _, p := range pieces {
			_, _ = c.Writer.WriteString(p)
		}
	}
	e.GET("/unsized", s.compress(), func(c *gin.Context) {
		c.Header("Content-Type", "text/html; charset=utf-8")
		c.Status(http.StatusOK)
		write(c)
	})
	e.GET("/sized", s.compress(), func(c *gin.Context) {
		c.Header("Content-Type", "text/html; charset=utf-8")
		c.Header("Content-Length", strconv.Itoa(want.Len()))
		c.Status(http.StatusOK)
		write(c)
	})
	for _, path := range []string{"/unsized", "/sized"} {
		for _, accept := range []string{"", "gzip"} {
			r := httptest.NewRequest(http.MethodGet, path, nil)
			if accept != "" {
				r.Header.Set("Accept-Encoding", accept)
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			name := path + " " + accept
			if got := w.Header().Get("Content-Encoding"); w.Code != http.StatusOK || got != accept {
				t.Errorf("%s: %d, Content-Encoding %q", name, w.Code, got)
			}
			if !hasVary(w.Header()) {
				t.Errorf("%s: Vary %q, want Accept-Encoding in it", name, w.Header().Values("Vary"))
			}
			if got := string(decode(t, w.Header(), w.Body.Bytes())); got != want.String() {
				t.Errorf("%s: body of %d bytes is not the %d written", name, len(got), want.Len())
			}
			if cl := w.Header().Get("Content-Length"); cl != "" && cl != strconv.Itoa(w.Body.Len()) {
				t.Errorf("%s: Content-Length %s for %d bytes", name, cl, w.Body.Len())
			}
		}
	}
}
