package handlers

import (
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// EmbedScriptPath is the stable URL of the merchant embed script.
const EmbedScriptPath = "/embed.js"

// handleEmbedScript serves GET /embed.js, the merchant's one script tag.
// Unlike /static/<hash>/ its URL never changes, so it is cached briefly,
// and merchant pages on any origin may load it.
func (s *Server) handleEmbedScript() gin.HandlerFunc {
	return func(c *gin.Context) {
		a, ok := s.assets.Lookup("embed.js")
		if !ok {
			s.respondError(c, errors.New("handlers: embed.js is not embedded"))
			return
		}
		s.common.apply(c.Writer.Header())
		h := c.Writer.Header()
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		serveAsset(c, a)
	}
}

// embedOrigin returns the page's embed_origin query parameter when it is
// exactly one of the merchant's registered origins, else "". Only then
// does the checkout post its status to the parent window, and only to
// that origin (P0 83 in e2e/README.md; TestEmbedOrigin).
func (s *Server) embedOrigin(c *gin.Context) string {
	o := c.Query("embed_origin")
	if o != "" && slices.Contains(s.opts.MerchantOrigins, o) {
		return o
	}
	return ""
}

// withEmbed keeps a valid embed_origin on a checkout link, so the frame's
// own navigations (choosing a method, a new QR) stay embedded.
func (s *Server) withEmbed(c *gin.Context, rawURL string) string {
	o := s.embedOrigin(c)
	if o == "" {
		return rawURL
	}
	path, query, _ := strings.Cut(rawURL, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		q = url.Values{}
	}
	q.Set("embed_origin", o)
	return path + "?" + q.Encode()
}

// embedCheckout adds to the checkout what embedding needs: the origin
// the page may post its status to, links that keep it, and the back link
// through the signed redirect.
func (s *Server) embedCheckout(c *gin.Context, vm *views.Checkout, p payments.Payment) {
	vm.EmbedOrigin = s.embedOrigin(c)
	vm.StartURL = s.withEmbed(c, vm.StartURL)
	vm.ChooseURL = s.withEmbed(c, vm.ChooseURL)
	vm.PanelURL = s.withEmbed(c, vm.PanelURL)
	vm.BackURL = ""
	switch t := backTarget(p); {
	case t == "":
	case s.ownHome(t):
		// A payment link's or the shop's printed QR's payment has no
		// shop page to go back to: its return URL is this server's own
		// home page, which means nothing to a shopper in the shop.
		vm.CloseHint = true
	default:
		vm.BackURL = BackPath(p.ID)
	}
}

// ownHome reports whether target is this server's own home page (the
// public URL's root), where "back to the shop" would lead nowhere useful.
func (s *Server) ownHome(target string) bool {
	u, err := url.Parse(target)
	pu := s.opts.PublicURL
	if err != nil || pu == nil {
		return false
	}
	return strings.EqualFold(u.Scheme, pu.Scheme) && strings.EqualFold(u.Host, pu.Host) &&
		strings.TrimSuffix(u.Path, "/") == strings.TrimSuffix(pu.Path, "/")
}
