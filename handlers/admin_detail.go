package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/views"
)

// paymentRow is one payment as the back office shows it.
func paymentRow(p payments.Payment) views.PaymentRow {
	return views.PaymentRow{ID: p.ID, Time: p.CreatedAt.UTC().Format("2006-01-02 15:04 MST"),
		Amount: payments.FormatAmount(p.Amount, p.Currency), Currency: string(p.Currency), Status: string(p.Status),
		Method: string(p.Method), Reference: p.Reference, OrderID: p.LatipayOrderID,
		Refunded: payments.FormatAmount(p.Refunded, p.Currency)}
}

// showPaymentDetail renders one payment with its timeline and the actions
// its state allows; errorID/arg and noticeID say how the last action went.
func (s *Server) showPaymentDetail(c *gin.Context, status int, errorID, arg, noticeID string) {
	ctx, id := c.Request.Context(), c.Param("id")
	p, err := s.svc.Get(ctx, id)
	if err != nil {
		s.respondError(c, err)
		return
	}
	evs, err := s.svc.Events(ctx, id)
	if err != nil {
		s.respondError(c, err)
		return
	}
	v := views.PaymentDetail{Admin: s.adminPage(c, "admin.payments.title", PaymentsPath), Row: paymentRow(p),
		ErrorID: errorID, ErrorArg: arg, NoticeID: noticeID}
	for _, e := range evs {
		v.Timeline = append(v.Timeline, views.TimelineItem{Time: e.CreatedAt.UTC().Format("2006-01-02 15:04:05 MST"), Type: e.Type, Detail: e.Detail})
	}
	if hasReceipt(p) {
		v.ReceiptURL = s.langPath(c, PaymentsPath+"/"+p.ID+"/receipt")
	}
	switch p.Status {
	case payments.StatusPaid, payments.StatusPartiallyRefunded:
		v.RefundURL = PaymentsPath + "/" + p.ID + "/refund"
		v.Refundable = payments.FormatAmount(p.Amount-p.Refunded, p.Currency)
		v.NeedPW = !s.opts.Accounts.Fresh(who(c).session)
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		v.IdemKey = base64.RawURLEncoding.EncodeToString(b)
	case payments.StatusCreated, payments.StatusPending, payments.StatusFailed:
		v.CancelURL = PaymentsPath + "/" + p.ID + "/cancel"
	}
	s.render(c, status, views.PaymentDetailPage(v))
}

// handlePaymentDetail serves GET /admin/payments/:id.
func (s *Server) handlePaymentDetail() gin.HandlerFunc {
	return func(c *gin.Context) {
		notice := ""
		switch c.Query("done") {
		case "refund":
			notice = "admin.refund.done"
		case "cancel":
			notice = "admin.cancel.done"
		}
		s.showPaymentDetail(c, http.StatusOK, "", "", notice)
	}
}

// handleAdminRefund serves POST /admin/payments/:id/refund through the
// payments service's own refund path. The password must have been
// confirmed within accounts.ReauthWindow (or with this form). The form's
// one-time key is the service's idempotency key, so a double click
// refunds once.
func (s *Server) handleAdminRefund() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, si := c.Request.Context(), who(c)
		if !s.opts.Accounts.Fresh(si.session) {
			if err := s.opts.Accounts.Reauthenticate(ctx, si.sid, c.PostForm("password"), actor(c)); err != nil {
				if errors.Is(err, accounts.ErrBadCredential) || errors.Is(err, accounts.ErrLocked) {
					s.showPaymentDetail(c, http.StatusUnauthorized, "admin.refund.pw", "", "")
					return
				}
				s.respondError(c, err)
				return
			}
		}
		key := c.PostForm("key")
		if key == "" || len(key) > 64 {
			s.showPaymentDetail(c, http.StatusBadRequest, "admin.refund.bad", "", "")
			return
		}
		before, _ := s.svc.Get(ctx, c.Param("id"))
		r, replayed, err := s.svc.Refund(ctx, payments.RefundInput{PaymentID: c.Param("id"), Amount: c.PostForm("amount"),
			Reason: c.PostForm("reason"), Key: "admin:" + si.account.ID + ":" + key})
		var re *payments.RefundError
		switch {
		case err == nil:
			if !replayed {
				_ = s.opts.Accounts.Record(ctx, actor(c), "refund", c.Param("id"),
					"refunded "+payments.FormatAmount(before.Refunded, before.Currency), "refund "+r.ID)
			}
			c.Redirect(http.StatusSeeOther, s.langPath(c, PaymentsPath+"/"+c.Param("id")+"?done=refund"))
		case errors.As(err, &re):
			s.showPaymentDetail(c, http.StatusUnprocessableEntity, "admin.refund.rejected", re.Message, "")
		case errors.Is(err, payments.ErrRefundTooLarge):
			s.showPaymentDetail(c, http.StatusUnprocessableEntity, "admin.refund.toolarge", "", "")
		case errors.Is(err, payments.ErrNotRefundable):
			s.showPaymentDetail(c, http.StatusConflict, "admin.refund.notrefundable", "", "")
		case errors.Is(err, payments.ErrInvalid):
			s.showPaymentDetail(c, http.StatusBadRequest, "admin.refund.bad", "", "")
		case errors.Is(err, payments.ErrGatewayUnavailable):
			s.showPaymentDetail(c, http.StatusServiceUnavailable, "admin.refund.unavailable", "", "")
		default:
			s.respondError(c, err)
		}
	}
}

// handleAdminCancel serves POST /admin/payments/:id/cancel.
func (s *Server) handleAdminCancel() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		p, err := s.svc.Cancel(ctx, c.Param("id"))
		if errors.Is(err, payments.ErrNotCancelable) {
			s.showPaymentDetail(c, http.StatusConflict, "admin.cancel.not", "", "")
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		_ = s.opts.Accounts.Record(ctx, actor(c), "cancel", p.ID, "", string(p.Status))
		c.Redirect(http.StatusSeeOther, s.langPath(c, PaymentsPath+"/"+p.ID+"?done=cancel"))
	}
}
