package handlers

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
)

// handleLinkOpen serves GET /pay?amount=..&currency=..&reference=..&sig=..:
// a signed payment link for merchants with no backend. The first visit
// creates the payment; every later visit with the same reference finds it,
// even after the link's exp: a shopper who paid (or tried to) and opens
// the link again sees that payment, not "expired" and a call to pay
// again. Only a link never opened says it has expired. The signature is
// checked before anything is looked up.
func (s *Server) handleLinkOpen(svc interface {
	Create(ctx context.Context, in payments.CreateInput, idemKey string) (payments.Payment, bool, error)
	LinkPayment(ctx context.Context, in payments.CreateInput) (payments.Payment, error)
	Methods() []payments.Method
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		q := c.Request.URL.Query()
		q.Del(langParam) // the shopper's language rides along unsigned; chooseLang reads it
		in, err := payments.VerifyLink(s.opts.LinkSecret, q, s.opts.Now())
		if errors.Is(err, payments.ErrLinkExpired) {
			p, lerr := svc.LinkPayment(c.Request.Context(), in)
			switch {
			case lerr == nil:
				c.Redirect(http.StatusSeeOther, s.langPath(c, CheckoutPath(p.ID)))
				return
			case !errors.Is(lerr, payments.ErrNotFound) && !errors.Is(lerr, payments.ErrIdempotencyReuse):
				err = lerr // unreadable: the shopper is not told the link expired
			}
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		// A link signed for a method this shop does not offer can never be
		// paid: the shopper is told so, not shown a bare "not valid".
		if m, err := payments.ParseMethod(in.Method); in.Method != "" && err == nil && !slices.Contains(svc.Methods(), m) {
			s.respondError(c, errMethodOff)
			return
		}
		p, _, err := svc.Create(c.Request.Context(), in, payments.LinkKey(in.Reference))
		if err != nil {
			s.respondError(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, s.langPath(c, CheckoutPath(p.ID)))
	}
}
