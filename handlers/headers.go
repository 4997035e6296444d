package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// Security headers by route class (reliability-security.md, section c).
//
// Each class's constant headers are worked out once, in canonical form,
// and assigned straight to the response's map: Header.Set canonicalises
// its key and allocates a one-element slice per header per response,
// 14 of the checkout page's 304 allocations. The value slices are shared
// by every response; nothing writes into a header value in place, and
// with len == cap an Add elsewhere copies before it appends.

// header is one header with its value, ready for the map.
type header struct {
	key string   // canonical, as http.CanonicalHeaderKey gives it
	val []string // shared by every response: never written into
}

// headers is a fixed list of headers.
type headers []header

// with returns hs plus key: val, with key canonicalised.
func (hs headers) with(key, val string) headers {
	return append(hs[:len(hs):len(hs)], header{http.CanonicalHeaderKey(key), []string{val}})
}

// apply sets every header of hs on h, replacing any earlier value.
func (hs headers) apply(h http.Header) {
	for _, x := range hs {
		h[x.key] = x.val
	}
}

// lockedCSP forbids framing and loading anything: every response that is
// not a page carries it.
const lockedCSP = "default-src 'none'; frame-ancestors 'none'"

// baseHeaders is what every response carries besides a CSP.
func (s *Server) baseHeaders() headers {
	hs := headers{}.with("X-Content-Type-Options", "nosniff")
	if s.opts.PublicURL.Scheme == "https" {
		hs = hs.with("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	return hs
}

// commonHeaders is what every response that is not a page carries: the
// base headers with the locked-down CSP. NewServer keeps it in s.common.
func (s *Server) commonHeaders() headers {
	return s.baseHeaders().with("Content-Security-Policy", lockedCSP)
}

// pageHeaders is for HTML pages. Each response gets a fresh nonce that its
// own script tags carry; nothing else may run. Embeddable pages may be
// framed by the merchant's registered origins; others by no one.
func (s *Server) pageHeaders(embeddable bool) gin.HandlerFunc {
	ancestors := "'none'"
	if embeddable && len(s.opts.MerchantOrigins) > 0 {
		ancestors = strings.Join(s.opts.MerchantOrigins, " ")
	}
	ws := "ws://" + s.opts.PublicURL.Host
	if s.opts.PublicURL.Scheme == "https" {
		ws = "wss://" + s.opts.PublicURL.Host
	}
	// The shopper's cancel form ends, through our 303s, on the merchant's
	// cancel_url, which is on one of its origins; form-action covers
	// every hop of a redirect chain.
	formAction := strings.TrimSpace("'self' " + strings.Join(append(append([]string(nil), s.opts.FormActionHosts...), s.opts.MerchantOrigins...), " "))
	// Violations are reported with report-uri alone: with a report-to
	// beside it, Chromium drops report-uri and sends no report at all
	// for a refused frame-ancestors (checked in e2e/embed_test.go).
	// Only the nonce between cspHead and cspTail varies.
	const cspHead = "default-src 'none'; script-src 'self' 'nonce-"
	cspTail := "'; style-src 'self'; " +
		"img-src 'self' data:; connect-src 'self' " + ws + "; form-action " + formAction + "; " +
		"base-uri 'none'; object-src 'none'; frame-src 'none'; frame-ancestors " + ancestors +
		"; report-uri " + CSPReportPath
	if s.opts.PublicURL.Scheme == "https" {
		cspTail += "; upgrade-insecure-requests"
	}
	hs := s.baseHeaders().
		with("Referrer-Policy", "no-referrer").
		with("Cross-Origin-Resource-Policy", "same-origin").
		with("Permissions-Policy", "camera=(), microphone=(), geolocation=(), usb=(), payment=()").
		with("Cache-Control", "no-store")
	if embeddable {
		hs = hs.with("Cross-Origin-Opener-Policy", "same-origin-allow-popups")
	} else {
		hs = hs.with("Cross-Origin-Opener-Policy", "same-origin").with("X-Frame-Options", "DENY")
	}
	return func(c *gin.Context) {
		var b [18]byte
		_, _ = rand.Read(b[:])
		var n [24]byte // base64 of 18 bytes, unpadded
		base64.RawStdEncoding.Encode(n[:], b[:])
		// The policy in one allocation, the nonce a slice of it.
		const nonceLen = len(n)
		var csp strings.Builder
		csp.Grow(len(cspHead) + nonceLen + len(cspTail))
		csp.WriteString(cspHead)
		csp.Write(n[:])
		csp.WriteString(cspTail)
		policy := csp.String()
		// render puts the nonce in the page's context: a new request
		// context here copied the whole http.Request (1.6% of the
		// checkout page's CPU).
		state(c).nonce = policy[len(cspHead) : len(cspHead)+nonceLen]
		h := c.Writer.Header()
		hs.apply(h)
		h["Content-Security-Policy"] = []string{policy}
	}
}

// dataHeaders is for the status JSON, QR images and the socket handshake.
func (s *Server) dataHeaders() gin.HandlerFunc {
	hs := s.common.
		with("Cache-Control", "no-store").
		with("Cross-Origin-Resource-Policy", "same-origin").
		with("Referrer-Policy", "no-referrer")
	return func(c *gin.Context) {
		hs.apply(c.Writer.Header())
	}
}

// apiHeaders is for the merchant JSON API: server to server, no CORS.
func (s *Server) apiHeaders() gin.HandlerFunc {
	hs := s.common.
		with("Cache-Control", "no-store").
		with("Cross-Origin-Resource-Policy", "same-origin")
	return func(c *gin.Context) {
		c.Set("api", true)
		hs.apply(c.Writer.Header())
	}
}

// callbackHeaders is for Latipay's server-to-server notification.
func (s *Server) callbackHeaders() gin.HandlerFunc {
	hs := s.common.with("Cache-Control", "no-store")
	return func(c *gin.Context) {
		hs.apply(c.Writer.Header())
	}
}

// staticHeaders is for the hashed, immutable assets.
func (s *Server) staticHeaders() gin.HandlerFunc {
	hs := s.common.with("Cross-Origin-Resource-Policy", "same-origin")
	return func(c *gin.Context) {
		hs.apply(c.Writer.Header())
	}
}
