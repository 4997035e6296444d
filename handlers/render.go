package handlers

import (
	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/views"
)

// render writes a templ component as an HTML response with the request's
// context (which carries the CSP nonce and the shopper's language).
func (s *Server) render(c *gin.Context, status int, comp templ.Component) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	ctx := views.WithLocalizer(c.Request.Context(), s.localizer(c))
	if err := comp.Render(ctx, c.Writer); err != nil {
		s.log.Error("render", "request_id", requestID(c), "err", err)
	}
}

// localizer picks the shopper's language.
func (s *Server) localizer(c *gin.Context) views.Localizer { return views.English{} }

// page fills the layout's view model.
func (s *Server) page(title string, withScript bool) views.Page {
	p := views.Page{Title: title, MerchantName: s.opts.MerchantName, Sandbox: s.opts.Sandbox != nil,
		CSS: s.assets.Path("css/app.css")}
	if withScript {
		p.JS = s.assets.Path("js/checkout.js")
	}
	return p
}
