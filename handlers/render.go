package handlers

import (
	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/views"
)

// render writes a templ component as an HTML response with the request's
// context (which carries the CSP nonce and the shopper's language).
func (s *Server) render(c *gin.Context, status int, comp templ.Component) {
	s.rememberLang(c)
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Content-Language", s.chooseLang(c))
	c.Header("Vary", "Accept-Language, User-Agent")
	c.Status(status)
	ctx := views.WithLocalizer(c.Request.Context(), s.localizer(c))
	ctx = views.WithLangLinks(ctx, s.langLinks(c))
	if err := comp.Render(ctx, c.Writer); err != nil {
		s.log.Error("render", "request_id", requestID(c), "err", err)
	}
}

// localizer is the shopper's language (see chooseLang).
func (s *Server) localizer(c *gin.Context) views.Localizer {
	return s.i18n.Localizer(s.chooseLang(c))
}

// page fills the layout's view model.
func (s *Server) page(title string, withScript bool) views.Page {
	p := views.Page{Title: title, MerchantName: s.opts.MerchantName, Sandbox: s.opts.Sandbox != nil,
		CSS: s.assets.Path("css/app.css")}
	if withScript {
		p.JS = s.assets.Path("js/checkout.js")
	}
	if len(s.opts.Logo) > 0 {
		p.LogoURL = LogoPath
	}
	if s.theme != "" {
		p.ThemeCSS = ThemePath + "?v=" + s.themeVersion
	}
	return p
}
