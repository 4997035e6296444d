package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// LinkPath is the shopper's short URL of a stored payment link.
func LinkPath(id string) string { return "/l/" + id }

// linkStateID is the shopper's message for a link that cannot take a
// payment; "" for any other error.
func linkStateID(err error) string {
	switch {
	case errors.Is(err, payments.ErrLinkInactive):
		return "links.state.msg.inactive"
	case errors.Is(err, payments.ErrLinkExpired):
		return "links.state.msg.expired"
	case errors.Is(err, payments.ErrLinkBusy):
		return "links.state.msg.busy"
	case errors.Is(err, payments.ErrLinkUsedUp):
		return "links.state.msg.usedup"
	}
	return ""
}

// linkStateStatus is the status of a page saying why the link cannot
// take a payment: 409 while open checkouts hold its places (one may come
// back), else 410.
func linkStateStatus(err error) int {
	if errors.Is(err, payments.ErrLinkBusy) {
		return http.StatusConflict
	}
	return http.StatusGone
}

// linkPayVM shapes a link for the shopper's page.
func (s *Server) linkPayVM(c *gin.Context, l payments.Link) views.LinkPay {
	v := views.LinkPay{Page: s.page(s.localizer(c).T("links.pay.title", s.opts.MerchantName), false),
		Static: l.Source == payments.SourceStaticQR, Description: l.Description(s.chooseLang(c)),
		Currency: string(l.Currency), Action: s.langPath(c, LinkPath(l.ID)),
		Min: payments.FormatAmount(l.MinAmount, l.Currency), Max: payments.FormatAmount(l.MaxAmount, l.Currency),
		MinMoney: money(l.MinAmount, l.Currency), MaxMoney: money(l.MaxAmount, l.Currency)}
	if !l.OpenAmount() {
		v.Amount, v.AmountMoney = payments.FormatAmount(l.Amount, l.Currency), money(l.Amount, l.Currency)
	}
	// The form's one-time key: submitting it twice (a double tap, a
	// reload) makes one payment and counts one use.
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	v.Key = base64.RawURLEncoding.EncodeToString(b)
	return v
}

// linkRefusedVM shows on v the amount typed, refused with errorID.
func (s *Server) linkRefusedVM(c *gin.Context, v *views.LinkPay, errorID, typed string) {
	v.ErrorID, v.Typed = errorID, echo(typed)
	lang := s.chooseLang(c)
	v.Title = s.errorTitle(c, v.Title, v.ErrorID, views.MoneyIn(lang, v.MinMoney), views.MoneyIn(lang, v.MaxMoney))
}

// handleLinkShow serves GET /l/:link, a stored payment link: the amount
// to pay, or a field for it; a link that cannot take a payment says why
// (410, or 409 while open checkouts hold its places) and offers nothing
// to pay. Opening the page makes no payment, so
// a chat app's preview of the URL uses nothing up.
func (s *Server) handleLinkShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		l, err := s.opts.Links.Get(c.Request.Context(), c.Param("link"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		v := s.linkPayVM(c, l)
		status := http.StatusOK
		if err := l.State(s.opts.Links.Now()); err != nil {
			v.StateID, status = linkStateID(err), linkStateStatus(err)
		} else if errorID, typed, ok := s.linkError(c, l.ID); ok && l.OpenAmount() {
			// The amount the form refused (handleLinkPay), as typed,
			// with why; the field takes focus.
			s.linkRefusedVM(c, &v, errorID, typed)
		}
		s.render(c, status, views.LinkPayPage(v))
	}
}

// handleLinkPay serves POST /l/:link: makes the payment (counting one use
// of the link) and sends the shopper to its checkout.
func (s *Server) handleLinkPay() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, id := c.Request.Context(), c.Param("link")
		typed := c.PostForm("amount")
		p, err := s.opts.Links.Pay(ctx, id, typed, s.chooseLang(c), c.PostForm("key"))
		if err == nil {
			c.Redirect(http.StatusSeeOther, s.langPath(c, CheckoutPath(p.ID)))
			return
		}
		l, gerr := s.opts.Links.Get(ctx, id)
		if gerr != nil {
			s.respondError(c, gerr)
			return
		}
		v := s.linkPayVM(c, l)
		v.Typed = echo(typed)
		var le *payments.LinkError
		switch {
		case linkStateID(err) != "":
			// The link cannot take a payment (switched off, expired,
			// used up, its places held): its page says why, by GET, so
			// that a reload does not post again (handleLinkShow reads
			// the state afresh).
			c.Redirect(http.StatusSeeOther, s.langPath(c, LinkPath(l.ID)))
		case errors.As(err, &le) && len(le.Problems) > 0 && slices.Contains(linkErrors, "links.err."+string(le.Problems[0])):
			// Back to the link's page by GET, saying why (linkErrorPath).
			to := s.linkErrorPath(l.ID, "links.err."+string(le.Problems[0]), typed)
			c.Redirect(http.StatusSeeOther, s.langPath(c, to))
		case errors.As(err, &le) && len(le.Problems) > 0:
			s.linkRefusedVM(c, &v, "links.err."+string(le.Problems[0]), typed)
			s.render(c, http.StatusUnprocessableEntity, views.LinkPayPage(v))
		default:
			s.respondError(c, err)
		}
	}
}
