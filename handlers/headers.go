package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"strings"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"
)

// Security headers by route class (reliability-security.md, section c).

// common sets what every response carries.
func (s *Server) common(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	// Every response forbids framing and loading anything; page classes
	// replace this with their own policy.
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	if s.opts.PublicURL.Scheme == "https" {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
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
	formAction := strings.TrimSpace("'self' " + strings.Join(s.opts.FormActionHosts, " "))
	return func(c *gin.Context) {
		s.common(c)
		var b [18]byte
		_, _ = rand.Read(b[:])
		nonce := base64.RawStdEncoding.EncodeToString(b[:])
		c.Request = c.Request.WithContext(templ.WithNonce(c.Request.Context(), nonce))
		// Violations are reported with report-uri alone: with a report-to
		// beside it, Chromium drops report-uri and sends no report at all
		// for a refused frame-ancestors (checked in e2e/embed_test.go).
		csp := "default-src 'none'; script-src 'self' 'nonce-" + nonce + "'; style-src 'self'; " +
			"img-src 'self' data:; connect-src 'self' " + ws + "; form-action " + formAction + "; " +
			"base-uri 'none'; object-src 'none'; frame-src 'none'; frame-ancestors " + ancestors +
			"; report-uri " + CSPReportPath
		if s.opts.PublicURL.Scheme == "https" {
			csp += "; upgrade-insecure-requests"
		}
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), usb=(), payment=()")
		h.Set("Cache-Control", "no-store")
		if embeddable {
			h.Set("Cross-Origin-Opener-Policy", "same-origin-allow-popups")
		} else {
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("X-Frame-Options", "DENY")
		}
	}
}

// dataHeaders is for the status JSON, QR images and the socket handshake.
func (s *Server) dataHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		s.common(c)
		h := c.Writer.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	}
}

// apiHeaders is for the merchant JSON API: server to server, no CORS.
func (s *Server) apiHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		s.common(c)
		c.Set("api", true)
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-store")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
	}
}

// callbackHeaders is for Latipay's server-to-server notification.
func (s *Server) callbackHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		s.common(c)
		c.Header("Cache-Control", "no-store")
	}
}

// staticHeaders is for the hashed, immutable assets.
func (s *Server) staticHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		s.common(c)
		c.Header("Cross-Origin-Resource-Policy", "same-origin")
	}
}
