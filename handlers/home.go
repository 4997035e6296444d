package handlers

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// handleHome serves GET /: what this server is, and in sandbox mode a
// button that makes a demo payment.
func (s *Server) handleHome() gin.HandlerFunc {
	return func(c *gin.Context) {
		l := s.localizer(c)
		h := views.Home{Page: s.page(l.T("home.title"), false)}
		h.Description = l.T("home.description", s.opts.MerchantName)
		if s.opts.Sandbox != nil {
			h.DemoURL = s.langPath(c, "/sandbox/demo")
		}
		s.render(c, http.StatusOK, views.HomePage(h))
	}
}

// handleDemoCreate serves POST /sandbox/demo: a demo payment for newcomers.
func (s *Server) handleDemoCreate(svc interface {
	Create(ctx context.Context, in payments.CreateInput, idemKey string) (payments.Payment, bool, error)
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, _, err := svc.Create(c.Request.Context(), payments.CreateInput{
			Amount: "12.50", Currency: "NZD", Reference: "DEMO-" + requestID(c)[:8],
			Description: "Demo order", ReturnURL: s.opts.PublicURL.String() + "/", Source: "api",
		}, "")
		if err != nil {
			s.respondError(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, s.langPath(c, CheckoutPath(p.ID)))
	}
}
