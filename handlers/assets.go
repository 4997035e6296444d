package handlers

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/static"
)

// handleAssetShow serves GET /static/<hash>/<name>: the embedded files,
// cached for a year (the hash changes with any file).
func (s *Server) handleAssetShow() gin.HandlerFunc {
	cache := []string{"public, max-age=31536000, immutable"}
	return func(c *gin.Context) {
		a, ok := s.assets.Open(c.Request.URL.Path)
		if !ok {
			http.NotFound(c.Writer, c.Request)
			return
		}
		c.Writer.Header()["Cache-Control"] = cache
		serveAsset(c, a)
	}
}

// serveAsset writes a in the content coding the request prefers among
// those a was compressed to: Brotli, then gzip, then none. Every answer
// says it varies with Accept-Encoding, so a shared cache keeps each form
// apart.
func serveAsset(c *gin.Context, a *static.Asset) {
	var offers []string
	br, gz := a.Brotli(), a.Gzip()
	if br != nil {
		offers = append(offers, codingBrotli)
	}
	if gz != nil {
		offers = append(offers, codingGzip)
	}
	h := c.Writer.Header()
	body := a.Body()
	if len(offers) > 0 {
		addVary(h)
		switch negotiate(c.Request.Header.Get("Accept-Encoding"), offers...) {
		case codingBrotli:
			body, h["Content-Encoding"] = br, []string{codingBrotli}
		case codingGzip:
			body, h["Content-Encoding"] = gz, []string{codingGzip}
		}
	}
	h["Content-Type"] = []string{a.Type}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(body)
}
