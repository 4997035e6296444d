package handlers

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// Compression. Static files are compressed once at start-up (package
// static: gzip and Brotli at their best levels) and served by content
// negotiation. Pages and JSON are gzipped on the fly when they are at
// least compressMinSize bytes; Brotli is not used there, as Go's encoder
// at a quality that beats gzip costs several times gzip's CPU for about
// 100 bytes on the checkout page.
//
// BREACH: a compressed response's length tells an observer whether a
// secret in it repeats text the observer made the page reflect (any query
// parameter comes back in the language links). The one secret a page
// carries, the socket token, is therefore masked afresh for every response
// (token.go), so no guess ever matches it; the CSP nonce is new per
// response already. Any other secret put on a compressed page must be
// masked the same way, or its route must go without compress.

// compressMinSize is the smallest body worth gzipping: below it, gzip's
// 18-byte frame and Huffman tables can make the body larger, and it all
// fits in one packet anyway.
const compressMinSize = 1024

// Content codings.
const (
	codingBrotli = "br"
	codingGzip   = "gzip"
)

// acceptedQ returns the quality Accept-Encoding h gives coding, -1 if h
// does not mention it (then "*" or the default decides).
func acceptedQ(h, coding string) (q float64, star float64) {
	q, star = -1, -1
	for part := range strings.SplitSeq(h, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "x-gzip" {
			name = codingGzip
		}
		if name != coding && name != "*" {
			continue
		}
		v := 1.0
		if k, val, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			if err != nil || f < 0 || f > 1 {
				f = 0 // a malformed weight is read as "not acceptable"
			}
			v = f
		}
		if name == "*" {
			star = v
		} else {
			q = v
		}
	}
	return q, star
}

// negotiate picks the content coding for a response from the request's
// Accept-Encoding header and what the server offers, in the server's
// order of preference (smallest first): the offer with the highest
// non-zero quality, "" for identity. No header means identity (RFC 9110
// allows any coding then, but a client that sends none may not decode
// any). An offer not named takes the quality of "*". Identity is sent
// when it is named with a higher quality than every offer; when it is
// refused ("identity;q=0") and nothing else is acceptable, it is sent
// anyway: a readable answer beats a 406.
func negotiate(h string, offers ...string) string {
	if strings.TrimSpace(h) == "" {
		return ""
	}
	best, bestQ := "", 0.0
	for _, o := range offers {
		q, star := acceptedQ(h, o)
		if q < 0 {
			q = star
		}
		if q > bestQ {
			best, bestQ = o, q
		}
	}
	if best != "" {
		if idQ, _ := acceptedQ(h, "identity"); idQ > bestQ {
			return ""
		}
	}
	return best
}

// addVary adds Accept-Encoding to the response's Vary without writing
// into a shared header value (headers.go).
func addVary(h http.Header) {
	v := h["Vary"]
	h["Vary"] = append(v[:len(v):len(v)], "Accept-Encoding")
}

// compressible reports whether a response of media type ct is text that
// gzip shrinks.
func compressible(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	switch strings.TrimSpace(strings.ToLower(mt)) {
	case "text/html", "application/json", "text/css", "text/javascript", "text/plain", "image/svg+xml":
		return true
	}
	return false
}

// gzipPool reuses gzip writers (a new one allocates about 800 KB of
// compression state) and the buffers they write into.
type gzipPool struct{ zs, bufs sync.Pool }

func (p *gzipPool) get() (*gzip.Writer, *bytes.Buffer) {
	b, _ := p.bufs.Get().(*bytes.Buffer)
	if b == nil {
		b = bytes.NewBuffer(make([]byte, 0, 4<<10))
	}
	if z, ok := p.zs.Get().(*gzip.Writer); ok {
		z.Reset(b)
		return z, b
	}
	z, _ := gzip.NewWriterLevel(b, gzip.DefaultCompression) // a valid level: no error
	return z, b
}

func (p *gzipPool) put(z *gzip.Writer, b *bytes.Buffer) {
	p.zs.Put(z)
	if b.Cap() <= 64<<10 {
		b.Reset()
		p.bufs.Put(b)
	}
}

// compress gzips the route's HTML, JSON and text responses of at least
// compressMinSize bytes when the request accepts gzip. It leaves alone
// a response that already has a Content-Encoding, a HEAD, a websocket
// handshake and bodiless statuses. Routes that must never be compressed
// (the websocket, Latipay's callback, whose answer is "sent") do not
// have it in routes.go.
func (s *Server) compress() gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		if r.Method == http.MethodHead || r.Header.Get("Upgrade") != "" {
			c.Next()
			return
		}
		w := &gzipWriter{ResponseWriter: c.Writer, pool: &s.gzips, status: http.StatusOK,
			accepts: negotiate(r.Header.Get("Accept-Encoding"), codingGzip) == codingGzip}
		c.Writer = w
		defer func() {
			w.finish()
			c.Writer = w.ResponseWriter
		}()
		c.Next()
	}
}

// gzipWriter holds a response back until it knows whether to gzip it:
// at the first write with a known Content-Length (render sets one), or
// once compressMinSize bytes have come. A gzipped response is sent whole
// with its Content-Length, in one write, unless the handler flushes;
// then it streams, each flush sending what was written so far.
type gzipWriter struct {
	gin.ResponseWriter
	pool    *gzipPool
	accepts bool // the request accepts gzip
	status  int  // held back until decided
	decided bool // plain or zipped is chosen; a zipped header may be unsent
	zipped  bool
	stream  bool          // zipped, and a flush sent the header without a length
	held    []byte        // body written before the decision
	zw      *gzip.Writer  // when zipped
	out     *bytes.Buffer // zw's output not yet sent
}

func (w *gzipWriter) WriteHeader(code int) {
	switch {
	case w.decided && !w.zipped:
		w.ResponseWriter.WriteHeader(code)
	case !w.stream:
		w.status = code
	}
}

func (w *gzipWriter) WriteHeaderNow() {
	if !w.decided {
		w.decide(len(w.held), true, nil)
	}
	if !w.zipped {
		w.ResponseWriter.WriteHeaderNow()
	}
}

func (w *gzipWriter) Status() int {
	if w.decided && !w.zipped {
		return w.ResponseWriter.Status()
	}
	return w.status
}

func (w *gzipWriter) Written() bool { return w.decided || w.ResponseWriter.Written() }

func (w *gzipWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

func (w *gzipWriter) Write(p []byte) (int, error) {
	if !w.decided {
		if !w.eligible() {
			w.decide(0, false, nil)
			return w.ResponseWriter.Write(p)
		}
		// With the length known (render sets it) or enough come, p
		// goes on after what is held without being copied: a page
		// written whole passes through as it is.
		if cl := w.Header().Get("Content-Length"); cl != "" || len(w.held)+len(p) >= compressMinSize {
			n, _ := strconv.Atoi(cl)
			w.decide(max(n, len(w.held)+len(p)), false, p)
			return len(p), nil
		}
		w.held = append(w.held, p...)
		return len(p), nil
	}
	if !w.zipped {
		return w.ResponseWriter.Write(p)
	}
	return w.zw.Write(p)
}

// eligible reports whether the response could be gzipped at all.
func (w *gzipWriter) eligible() bool {
	h := w.Header()
	return compressible(h.Get("Content-Type")) && h.Get("Content-Encoding") == "" &&
		w.status >= 200 && w.status != http.StatusNoContent && w.status != http.StatusNotModified
}

// decide chooses plain or gzip for a body of size bytes and passes on
// what was held back, then more (the write that decided). final means no
// more body is coming.
func (w *gzipWriter) decide(size int, final bool, more []byte) {
	w.decided = true
	h := w.Header()
	ok := w.eligible() && size >= compressMinSize
	if ok {
		addVary(h) // the same request with another Accept-Encoding gets another body
	}
	held := w.held
	w.held = nil
	if !ok || !w.accepts {
		if final && len(held) > 0 && h.Get("Content-Length") == "" {
			h["Content-Length"] = []string{strconv.Itoa(len(held))}
		}
		w.ResponseWriter.WriteHeader(w.status)
		if len(held) > 0 {
			_, _ = w.ResponseWriter.Write(held)
		}
		if len(more) > 0 {
			_, _ = w.ResponseWriter.Write(more)
		}
		if len(held) == 0 && len(more) == 0 && final {
			w.ResponseWriter.WriteHeaderNow()
		}
		return
	}
	w.zipped = true
	h["Content-Encoding"] = []string{codingGzip}
	delete(h, "Content-Length")
	w.zw, w.out = w.pool.get()
	_, _ = w.zw.Write(held)
	_, _ = w.zw.Write(more)
}

// Flush sends what is written so far: a streaming response keeps
// working through the compressor.
func (w *gzipWriter) Flush() {
	if !w.decided {
		w.decide(len(w.held), false, nil)
	}
	if w.zipped {
		_ = w.zw.Flush()
		if !w.stream {
			w.stream = true
			w.ResponseWriter.WriteHeader(w.status)
		}
		w.drain()
	}
	w.ResponseWriter.Flush()
}

func (w *gzipWriter) drain() {
	if w.out.Len() > 0 {
		_, _ = w.ResponseWriter.Write(w.out.Bytes())
		w.out.Reset()
	}
}

// finish ends the response when the handlers are done.
func (w *gzipWriter) finish() {
	if !w.decided {
		if len(w.held) == 0 && w.status == http.StatusOK {
			w.decided = true // nothing was written: gin ends the response
			return
		}
		w.decide(len(w.held), true, nil)
	}
	if !w.zipped {
		return
	}
	_ = w.zw.Close()
	if !w.stream {
		w.Header()["Content-Length"] = []string{strconv.Itoa(w.out.Len())}
		w.ResponseWriter.WriteHeader(w.status)
	}
	w.drain()
	w.pool.put(w.zw, w.out)
	w.zw, w.out = nil, nil
}
