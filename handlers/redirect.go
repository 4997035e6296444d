package handlers

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
)

// BackPath is the "back to the shop" link of payment id's checkout.
func BackPath(id string) string { return "/checkout/" + id + "/back" }

// backTarget is the merchant URL the shopper goes back to: the cancel URL
// for an expired or canceled payment when there is one, else the return
// URL. Both were validated against the merchant's origins at creation.
func backTarget(p payments.Payment) string {
	if (p.Status == payments.StatusExpired || p.Status == payments.StatusCanceled) && p.CancelURL != "" {
		return p.CancelURL
	}
	return p.ReturnURL
}

// handleCheckoutBack serves GET /checkout/:id/back: a 303 to the
// merchant's stored URL with the signed outcome appended (payment_id,
// reference, status, amount, currency, ts, sig), signed now, so the
// status and time are those of the click. The link targets _top, so from
// inside a frame it is a user-activated top navigation, never a script
// redirect (P0 95 in e2e/README.md; TestSignedBackRedirect).
func (s *Server) handleCheckoutBack(svc interface {
	Get(ctx context.Context, id string) (payments.Payment, error)
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := svc.Get(c.Request.Context(), c.Param("id"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		target := backTarget(p)
		if target == "" {
			s.respondError(c, payments.ErrNotFound)
			return
		}
		c.Redirect(http.StatusSeeOther, payments.SignedRedirect(target, p, s.opts.RedirectSecret, s.opts.Now()))
	}
}
