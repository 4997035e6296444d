package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/webhook"
)

// Webhooks is what the API needs from the webhook worker.
type Webhooks interface {
	Enabled() bool
	Redeliver(ctx context.Context, deliveryID string) (payments.Delivery, error)
}

// deliveryResponse is one entry of the webhook delivery log.
type deliveryResponse struct {
	ID            string  `json:"id"`
	EventID       string  `json:"event_id"`
	EventType     string  `json:"event_type"`
	PaymentID     string  `json:"payment_id"`
	Sequence      int64   `json:"sequence"`
	Attempt       int     `json:"attempt"`
	Redelivery    bool    `json:"redelivery"`
	StatusCode    int     `json:"status_code"`
	Error         string  `json:"error"`
	DurationMS    int64   `json:"duration_ms"`
	At            string  `json:"at"`
	State         string  `json:"state"`
	Superseded    bool    `json:"superseded"`
	NextAttemptAt *string `json:"next_attempt_at"`
}

func deliveryJSON(d payments.Delivery) deliveryResponse {
	r := deliveryResponse{ID: d.ID, EventID: webhook.EventID(payments.Event{PaymentID: d.PaymentID, Seq: d.Seq}),
		EventType: webhook.PublicType(d.EventType), PaymentID: d.PaymentID, Sequence: d.Seq, Attempt: d.Attempt,
		Redelivery: d.Redelivery, StatusCode: d.StatusCode, Error: webhook.PlainError(d.Error), DurationMS: d.Duration.Milliseconds(),
		At: payments.FormatTime(d.At), State: string(d.State), Superseded: d.Superseded}
	if d.GivenUp {
		r.State = stateGivenUp // retrying, but its retry window closed first
	}
	// A later try of the same event replaced this one, or its retry
	// window closed: it will not be tried again, so it names no next try.
	if !d.NextAt.IsZero() && !d.Superseded && !d.GivenUp {
		t := payments.FormatTime(d.NextAt)
		r.NextAttemptAt = &t
	}
	return r
}

// handleDeliveryList serves GET /api/v1/webhook-deliveries, filtered by
// payment and by state as each try is labelled (given_up apart from
// retrying), as the back office's log is.
func (s *Server) handleDeliveryList(svc interface {
	Deliveries(ctx context.Context, paymentID, state, before string, limit int) ([]payments.Delivery, error)
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := checkQuery(c, "payment_id", "state", "cursor", "limit"); err != nil {
			s.respondError(c, err)
			return
		}
		limit := queryLimit(c)
		if limit == 0 {
			limit = 20
		}
		ds, err := svc.Deliveries(c.Request.Context(), c.Query("payment_id"), c.Query("state"), c.Query("cursor"), limit)
		if err != nil {
			s.respondError(c, err)
			return
		}
		out := listResponse[deliveryResponse]{Data: []deliveryResponse{}}
		for _, d := range ds {
			out.Data = append(out.Data, deliveryJSON(d))
		}
		if len(ds) == limit {
			out.NextCursor = ds[len(ds)-1].ID
		}
		c.JSON(http.StatusOK, out)
	}
}

// handleDeliveryRedeliver serves POST /api/v1/webhook-deliveries/:id/redeliver:
// it sends that delivery's event again now and answers with the new try.
func (s *Server) handleDeliveryRedeliver(w Webhooks) gin.HandlerFunc {
	return func(c *gin.Context) {
		// No field is taken: a body other than none or {} is refused.
		if err := decodeOptionalAPIBody(c, &struct{}{}); err != nil {
			s.respondError(c, err)
			return
		}
		if w == nil || !w.Enabled() {
			s.respondError(c, errWebhooksOff)
			return
		}
		d, err := w.Redeliver(c.Request.Context(), c.Param("id"))
		if errors.Is(err, payments.ErrNotFound) {
			err = errNoDelivery
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		c.JSON(http.StatusOK, deliveryJSON(d))
	}
}
