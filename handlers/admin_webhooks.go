package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/webhook"
	"github.com/latipay-hpp/hpp/views"
)

// WebhooksPath is the back office's webhook delivery log.
const WebhooksPath = "/admin/webhooks"

// webhookPageSize is how many deliveries one page of the log shows.
const webhookPageSize = 50

// webhooksOn reports whether a webhook endpoint is configured, so that
// deliveries can be sent again.
func (s *Server) webhooksOn() bool { return s.opts.Webhooks != nil && s.opts.Webhooks.Enabled() }

// stateSuperseded is what the log says of a try that left its event
// retrying when a later try of the event followed it: the retry it
// announced was that later try (or was replaced by it, a redelivery by
// hand or a try to a changed endpoint), so "retrying", and its next
// try's time, would have a person wait for a try that never comes.
const stateSuperseded = "superseded"

// stateGivenUp is what the log and the API say of a try that left its
// event retrying, is its last, and whose retry never came: the event is
// past its retry window (payments.Delivery.GivenUp), so "retrying", and
// a next try in the past, would have a person wait for nothing.
const stateGivenUp = string(payments.DeliveryGivenUp)

// deliveryState is the state the back office says a try left its event
// in (its adminlist.state.* message): the try's own, except for a
// retrying try that a later try superseded, or whose retry will never
// come.
func deliveryState(d payments.Delivery) string {
	switch {
	case d.Superseded && d.State == payments.DeliveryRetrying:
		return stateSuperseded
	case d.GivenUp:
		return stateGivenUp
	}
	return string(d.State)
}

// deliveryRow is one delivery as the back office shows it.
func (s *Server) deliveryRow(c *gin.Context, d payments.Delivery) views.DeliveryRow {
	zone := s.shopZone()
	r := views.DeliveryRow{ID: d.ID, Time: d.At.In(zone).Format("2006-01-02 15:04:05 MST"), PaymentID: d.PaymentID,
		PaymentURL: s.langPath(c, PaymentsPath+"/"+d.PaymentID), EventType: webhook.PublicType(d.EventType), Attempt: d.Attempt,
		Redelivery: d.Redelivery, StatusCode: d.StatusCode, Error: deliveryError(s.localizer(c), d), Duration: d.Duration.Round(time.Millisecond).String(),
		State: deliveryState(d), URL: s.langPath(c, WebhooksPath+"/"+d.ID)}
	if !d.NextAt.IsZero() && r.State != stateSuperseded && r.State != stateGivenUp {
		r.NextAt = d.NextAt.In(zone).Format("2006-01-02 15:04:05 MST")
	}
	return r
}

// handleWebhookList serves GET /admin/webhooks: the delivery log, newest
// first, and paged by the last delivery's id (ids sort by time). The state
// filter is the event's state now: it lists each event in that state once,
// by its last try, so an event delivered on a later try is never listed
// as retrying or failed by its earlier ones; and it goes by the label the
// row shows, so a try given up is listed under given_up, not retrying.
func (s *Server) handleWebhookList() gin.HandlerFunc {
	return func(c *gin.Context) {
		v := views.WebhookList{Admin: s.adminPage(c, "adminlist.webhooks.title", WebhooksPath), Action: WebhooksPath,
			State: c.Query("state"), Enabled: s.webhooksOn()}
		for _, st := range payments.DeliveryFilterStates {
			v.States = append(v.States, string(st))
		}
		ds, err := s.svc.DeliveryLog(c.Request.Context(), payments.DeliveryFilter{State: payments.DeliveryState(v.State),
			Before: c.Query("cursor"), Limit: webhookPageSize})
		if errors.Is(err, payments.ErrInvalid) {
			v.ErrorID, v.ErrorField = "adminlist.bad.state", "state"
			v.Title = s.errorTitle(c, v.Title, v.ErrorID)
			s.render(c, http.StatusBadRequest, views.WebhookListPage(v))
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		for _, d := range ds {
			v.Rows = append(v.Rows, s.deliveryRow(c, d))
		}
		if len(ds) == webhookPageSize {
			q := url.Values{"cursor": {ds[len(ds)-1].ID}}
			if v.State != "" {
				q.Set("state", v.State)
			}
			if l := c.Query("lang"); l != "" {
				q.Set("lang", l)
			}
			v.NextURL = WebhooksPath + "?" + q.Encode()
		}
		s.render(c, http.StatusOK, views.WebhookListPage(v))
	}
}

// showWebhookDetail renders one delivery's event with every try at it.
func (s *Server) showWebhookDetail(c *gin.Context, status int, errorID, noticeID string) {
	ctx := c.Request.Context()
	ds, err := s.svc.DeliveryLog(ctx, payments.DeliveryFilter{ID: c.Param("id"), Limit: 1})
	if err == nil && len(ds) == 0 {
		err = errNoDelivery
	}
	if err != nil {
		s.respondError(c, err)
		return
	}
	d := ds[0]
	tries, err := s.svc.DeliveryLog(ctx, payments.DeliveryFilter{PaymentID: d.PaymentID, Seq: d.Seq, Limit: 100})
	if err != nil {
		s.respondError(c, err)
		return
	}
	v := views.WebhookDetail{Admin: s.adminPage(c, "adminlist.webhooks.title", WebhooksPath), Delivery: s.deliveryRow(c, d),
		ErrorID: errorID, NoticeID: noticeID}
	v.Title = s.errorTitle(c, v.Title, errorID)
	for _, t := range tries {
		v.Tries = append(v.Tries, s.deliveryRow(c, t))
	}
	if s.webhooksOn() {
		v.RedeliverURL = s.langPath(c, WebhooksPath+"/"+d.ID+"/redeliver")
	}
	s.render(c, status, views.WebhookDetailPage(v))
}

// handleWebhookDetail serves GET /admin/webhooks/:id.
func (s *Server) handleWebhookDetail() gin.HandlerFunc {
	return func(c *gin.Context) {
		s.showWebhookDetail(c, http.StatusOK, "", s.flash(c, "adminlist.webhook.redelivered"))
	}
}

// handleWebhookRedeliver serves POST /admin/webhooks/:id/redeliver: sends
// that delivery's event again now through the webhook worker, records
// who did it in the audit log, and shows the event's tries with the new
// one. With no endpoint configured it changes nothing and says so.
func (s *Server) handleWebhookRedeliver() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.webhooksOn() {
			s.showWebhookDetail(c, http.StatusConflict, "adminlist.webhooks.off", "")
			return
		}
		ctx := c.Request.Context()
		d, err := s.opts.Webhooks.Redeliver(ctx, c.Param("id"))
		if errors.Is(err, payments.ErrNotFound) {
			err = errNoDelivery
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		_ = s.opts.Accounts.Record(ctx, actor(c), "webhook.redeliver", d.PaymentID, c.Param("id"), d.ID+" "+string(d.State))
		s.redirectDone(c, WebhooksPath+"/"+d.ID, "adminlist.webhook.redelivered")
	}
}
