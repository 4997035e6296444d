package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
)

// listResponse is a page of a list endpoint.
type listResponse[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"` // "" on the last page
}

// queryLimit reads ?limit=; 0 when absent (the default page size), -1
// when not a whole number of at least 1: the API documents limit as 1..100,
// so an explicit 0 is refused rather than read as the default.
func queryLimit(c *gin.Context) int {
	v := c.Query("limit")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return -1
	}
	return n
}

// handlePaymentList serves GET /api/v1/payments.
func (s *Server) handlePaymentList(svc interface {
	List(ctx context.Context, in payments.ListInput) (payments.PaymentPage, error)
	CheckoutURL(id string) string
	RefundTotalsOf(ctx context.Context, ps []payments.Payment) (map[string]payments.RefundTotals, error)
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := checkQuery(c, "status", "currency", "reference", "cursor", "limit"); err != nil {
			s.respondError(c, err)
			return
		}
		page, err := svc.List(c.Request.Context(), payments.ListInput{Status: c.Query("status"), Currency: c.Query("currency"),
			Reference: c.Query("reference"), Cursor: c.Query("cursor"), Limit: queryLimit(c)})
		if err != nil {
			s.respondError(c, err)
			return
		}
		// The page's refunds in one read, not one per refunded payment.
		totals, err := svc.RefundTotalsOf(c.Request.Context(), page.Payments)
		if err != nil {
			s.respondError(c, err)
			return
		}
		out := listResponse[paymentResponse]{Data: []paymentResponse{}, NextCursor: page.Next}
		for _, p := range page.Payments {
			out.Data = append(out.Data, paymentBody(p, totals[p.ID], svc.CheckoutURL(p.ID)))
		}
		c.JSON(http.StatusOK, out)
	}
}

// handlePaymentCancel serves POST /api/v1/payments/:id/cancel.
func (s *Server) handlePaymentCancel(svc interface {
	Cancel(ctx context.Context, id string) (payments.Payment, error)
	CheckoutURL(id string) string
	refundTotaler
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		// The body may be left out, or be {}: a cancel takes no field, so
		// any is refused as unknown rather than quietly ignored.
		if err := decodeOptionalAPIBody(c, &struct{}{}); err != nil {
			s.respondError(c, err)
			return
		}
		p, cerr := svc.Cancel(c.Request.Context(), c.Param("id"))
		refused := errors.Is(cerr, payments.ErrAlreadyPaid)
		if cerr != nil && !refused {
			s.respondError(c, cerr)
			return
		}
		body, err := paymentJSON(c.Request.Context(), svc, p, svc.CheckoutURL(p.ID))
		if err != nil {
			s.respondError(c, err)
			return
		}
		if refused {
			// The shopper had paid (here before, or Latipay said so when
			// asked): the error, in words saying which, with the payment as
			// it now is, paid.
			f, _ := classify(cerr)
			c.AbortWithStatusJSON(f.status, gin.H{"error": gin.H{"code": f.code, "message": f.message}, "payment": body})
			return
		}
		c.JSON(http.StatusOK, body)
	}
}

// refundRequest is the body of POST /api/v1/payments/:id/refunds. Amount
// is a string, as on create; left out, everything not yet refunded; "" and
// null are refused (jsonAmount), never read as everything.
type refundRequest struct {
	Amount json.RawMessage `json:"amount"`
	Reason string          `json:"reason"`
}

// refundResponse is a refund as the API shows it.
type refundResponse struct {
	ID          string `json:"id"`
	PaymentID   string `json:"payment_id"`
	Amount      string `json:"amount"`
	Currency    string `json:"currency"`
	Status      string `json:"status"`
	Reason      string `json:"reason"`
	LatipayCode int    `json:"latipay_code,omitempty"`
	// FailureMessage says why a failed refund failed, in words.
	FailureMessage string `json:"failure_message,omitempty"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
}

// refundJSON is r as the API shows it.
func refundJSON(r payments.Refund) refundResponse {
	out := refundResponse{ID: r.ID, PaymentID: r.PaymentID,
		Amount: payments.FormatAmount(r.Amount, r.Currency), Currency: string(r.Currency),
		Status: string(r.Status), Reason: r.Reason,
		CreatedAt: payments.FormatTime(r.CreatedAt), UpdatedAt: payments.FormatTime(r.UpdatedAt)}
	if r.Status == payments.RefundFailed {
		out.LatipayCode, out.FailureMessage = r.GatewayCode, r.GatewayMessage
	}
	return out
}

// refundLister lists a payment's refunds (payments.Service).
type refundLister interface {
	Refunds(ctx context.Context, id string) ([]payments.Refund, error)
}

// handleRefundList serves GET /api/v1/payments/:id/refunds: every refund
// of the payment, oldest first, each with its status.
func (s *Server) handleRefundList(svc refundLister) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := checkQuery(c); err != nil {
			s.respondError(c, err)
			return
		}
		rs, err := svc.Refunds(c.Request.Context(), c.Param("id"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		out := listResponse[refundResponse]{Data: []refundResponse{}}
		for _, r := range rs {
			out.Data = append(out.Data, refundJSON(r))
		}
		c.JSON(http.StatusOK, out)
	}
}

// handleRefundShow serves GET /api/v1/payments/:id/refunds/:refund_id:
// what a merchant polls for the outcome of a refund answered 202.
func (s *Server) handleRefundShow(svc refundLister) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := checkQuery(c); err != nil {
			s.respondError(c, err)
			return
		}
		rs, err := svc.Refunds(c.Request.Context(), c.Param("id"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		for _, r := range rs {
			if r.ID == c.Param("refund_id") {
				c.JSON(http.StatusOK, refundJSON(r))
				return
			}
		}
		s.respondError(c, errNoRefund)
	}
}

// handleRefundCreate serves POST /api/v1/payments/:id/refunds: 201 with
// the refund when Latipay made it, 202 with it pending when Latipay's
// answer was lost (a refund.succeeded or refund.failed webhook tells the
// outcome, and GET .../refunds/:refund_id shows it), or an error; a refusal
// names the refused refund's id.
func (s *Server) handleRefundCreate(svc interface {
	Refund(ctx context.Context, in payments.RefundInput) (payments.Refund, bool, error)
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req refundRequest
		if err := decodeAPIBody(c, &req); err != nil {
			s.respondError(c, err)
			return
		}
		amount, err := jsonAmount(req.Amount, "5.00")
		if err == nil && len(req.Amount) > 0 && amount == "" {
			// Only leaving amount out refunds everything: "" may be a
			// field the client forgot to fill.
			err = &payments.ValidationError{Problems: []string{`amount must not be empty: give the amount, such as "5.00", or leave the field out to refund everything left`}}
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		key, err := idempotencyKey(c)
		if err != nil {
			s.respondError(c, err)
			return
		}
		// What the payment held before, for the audit log's entry
		// (recordRefund), read only when the back office keeps one.
		var before payments.Payment
		var totals payments.RefundTotals
		if s.opts.Accounts != nil {
			before, _ = s.svc.Get(c.Request.Context(), c.Param("id"))
			totals, _ = s.svc.RefundTotals(c.Request.Context(), before)
		}
		r, replayed, err := svc.Refund(c.Request.Context(), payments.RefundInput{PaymentID: c.Param("id"),
			Amount: amount, All: len(req.Amount) == 0, Reason: req.Reason, Key: key})
		s.recordRefund(c, accounts.Actor{Email: accounts.APIEmail, Address: c.ClientIP(), Device: c.Request.UserAgent()},
			totals, before.Currency, r, replayed, err)
		if replayed {
			// A replayed refusal is a replay too: the first answer again.
			c.Header("Idempotent-Replayed", "true")
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		status := http.StatusCreated
		if r.Status == payments.RefundPending {
			status = http.StatusAccepted // Latipay's answer was lost; the reconciler finishes it
		}
		c.JSON(status, refundJSON(r))
	}
}

// eventResponse is one entry of a payment's event log.
type eventResponse struct {
	Sequence   int64  `json:"sequence"`
	Type       string `json:"type"`
	FromStatus string `json:"from_status"`
	ToStatus   string `json:"to_status"`
	Detail     string `json:"detail"`
	CreatedAt  string `json:"created_at"`
}

// handleEventList serves GET /api/v1/payments/:id/events.
func (s *Server) handleEventList(svc interface {
	Get(ctx context.Context, id string) (payments.Payment, error)
	Events(ctx context.Context, id string) ([]payments.Event, error)
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := checkQuery(c); err != nil {
			s.respondError(c, err)
			return
		}
		p, err := svc.Get(c.Request.Context(), c.Param("id"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		evs, err := svc.Events(c.Request.Context(), p.ID)
		if err != nil {
			s.respondError(c, err)
			return
		}
		out := listResponse[eventResponse]{Data: []eventResponse{}}
		for _, e := range evs {
			out.Data = append(out.Data, eventResponse{Sequence: e.Seq, Type: e.Type, FromStatus: string(e.From),
				ToStatus: string(e.To), Detail: e.Detail, CreatedAt: payments.FormatTime(e.CreatedAt)})
		}
		c.JSON(http.StatusOK, out)
	}
}
