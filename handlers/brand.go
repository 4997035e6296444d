package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// Branding routes. The logo and the accent colour come from configuration
// and are served by us, so the pages' CSP (img-src 'self', style-src
// 'self') holds: no inline styles, no third-party images.
const (
	LogoPath  = "/brand/logo"
	ThemePath = "/brand/theme.css"
)

// themeCSS is the stylesheet that sets the accent colour, with the text
// colour on it (white or black) chosen for the higher contrast, which
// for any colour is at least 4.5:1. The QR keeps its own dark-on-light
// colours whatever the accent.
func themeCSS(accent string) (string, error) {
	r, g, b, err := parseHexColor(accent)
	if err != nil {
		return "", err
	}
	ink := "#ffffff"
	if contrast(luminance(r, g, b), 1) < contrast(0, luminance(r, g, b)) {
		ink = "#000000"
	}
	return fmt.Sprintf(":root{--accent:%s;--accent-ink:%s}\n", accent, ink), nil
}

// parseHexColor reads #rrggbb.
func parseHexColor(s string) (r, g, b uint8, err error) {
	if len(s) != 7 || s[0] != '#' {
		return 0, 0, 0, fmt.Errorf("colour %q is not #rrggbb", s)
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("colour %q is not #rrggbb", s)
	}
	return uint8(v >> 16), uint8(v >> 8), uint8(v), nil
}

// luminance is WCAG 2.2 relative luminance of an sRGB colour.
func luminance(r, g, b uint8) float64 {
	ch := func(c uint8) float64 {
		v := float64(c) / 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(r) + 0.7152*ch(g) + 0.0722*ch(b)
}

// contrast is the WCAG contrast ratio of two relative luminances.
func contrast(l1, l2 float64) float64 {
	if l1 < l2 {
		l1, l2 = l2, l1
	}
	return (l1 + 0.05) / (l2 + 0.05)
}

// handleLogoShow serves GET /brand/logo (LogoPath), the configured logo
// image.
func (s *Server) handleLogoShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		if len(s.opts.Logo) == 0 {
			c.Status(http.StatusNotFound)
			return
		}
		// A direct visit to an SVG logo must not run script on our origin.
		c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
		c.Header("Cache-Control", "public, max-age=3600")
		c.Data(http.StatusOK, s.opts.LogoType, s.opts.Logo)
	}
}

// handleThemeShow serves GET /brand/theme.css (ThemePath), the
// accent-colour stylesheet.
func (s *Server) handleThemeShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.theme == "" {
			c.Status(http.StatusNotFound)
			return
		}
		c.Header("Cache-Control", "public, max-age=3600")
		c.Data(http.StatusOK, "text/css; charset=utf-8", []byte(s.theme))
	}
}

// themeVersionOf cache-busts the stylesheet URL when the colour changes.
func themeVersionOf(css string) string {
	h := sha256.Sum256([]byte(css))
	return hex.EncodeToString(h[:])[:8]
}
