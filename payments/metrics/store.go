package metrics

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// backlogEvery is how often, at most, the outbox backlog is counted: the
// count reads the events table, so it rides on the worker's claims
// instead of on each scrape.
const backlogEvery = 5 * time.Second

// BacklogCounter is what a store offers to count the webhook outbox:
// events of q.Types created at or after q.Since, neither delivered nor
// given up. payments/sqlite and payments/postgres implement it.
type BacklogCounter interface {
	WebhookBacklog(ctx context.Context, q payments.OutboxQuery) (int, error)
}

// Store wraps s so that commits, payment events, webhook deliveries, the
// outbox backlog and the reconciler's progress are counted. The optional
// interfaces of s that the service asks for (payments.Decorate) stay
// visible: the callback's one-read check, the refund id search.
func (m *Metrics) Store(s payments.Store) payments.Store {
	return payments.Decorate(&store{Store: s, m: m}, s)
}

type store struct {
	payments.Store
	m          *Metrics
	lastCount  atomic.Int64 // unix nanoseconds of the last backlog count
	countingMu atomic.Bool
}

func (s *store) CreatePayment(ctx context.Context, p payments.Payment, ev payments.Event, idem payments.Idempotency) (payments.Payment, bool, error) {
	began := time.Now()
	stored, created, err := s.Store.CreatePayment(ctx, p, ev, idem)
	if err == nil && created {
		s.m.commitTime.WithLabelValues("create").Observe(time.Since(began).Seconds())
		s.m.payments.WithLabelValues("created", method(string(stored.Method)), currency(string(stored.Currency))).Inc()
	}
	return stored, created, err
}

// RecordOrphan marks the callback being counted (Callbacks) as one for a
// reference no attempt has.
func (s *store) RecordOrphan(ctx context.Context, n payments.Notification) error {
	err := s.Store.RecordOrphan(ctx, n)
	if err == nil {
		markUnknown(ctx)
	}
	return err
}

// Update counts the payment's move to another status, by that status.
func (s *store) Update(ctx context.Context, paymentID string, fn func(tx *payments.Tx) error) (payments.Payment, error) {
	var before payments.Status
	var last *payments.Tx
	began := time.Now()
	p, err := s.Store.Update(ctx, paymentID, func(tx *payments.Tx) error {
		before, last = tx.Payment.Status, tx
		return fn(tx)
	})
	if err != nil {
		return p, err
	}
	s.m.commitTime.WithLabelValues("update").Observe(time.Since(began).Seconds())
	if p.Status != before && before != "" {
		if ev := statusEvent(p.Status); ev != "" {
			s.m.payments.WithLabelValues(ev, method(string(p.Method)), currency(string(p.Currency))).Inc()
		}
		if p.Status == payments.StatusPaid && p.Source != payments.SourceCounterScan {
			s.m.paidVia.WithLabelValues(paidVia(last)).Inc()
		}
	}
	return p, nil
}

// paidVia is what told us a payment was paid, from its payment.paid
// event's message: Latipay's "callback", a "query" of ours, or "other".
func paidVia(tx *payments.Tx) string {
	if tx == nil {
		return "other"
	}
	for _, e := range tx.NewEvents() {
		if e.Type != "payment."+string(payments.StatusPaid) {
			continue
		}
		if m, ok := payments.EventMessage(e); ok && (m.Source == "callback" || m.Source == "query") {
			return m.Source
		}
	}
	return "other"
}

// statusEvent names the event of reaching a status; "" for those not
// counted (pending: "started" is counted at Latipay's answer instead).
func statusEvent(st payments.Status) string {
	switch st {
	case payments.StatusPaid, payments.StatusFailed, payments.StatusExpired, payments.StatusCanceled,
		payments.StatusRefunded, payments.StatusPartiallyRefunded:
		return string(st)
	}
	return ""
}

func (s *store) RecordDelivery(ctx context.Context, d payments.Delivery) error {
	began := time.Now()
	err := s.Store.RecordDelivery(ctx, d)
	if err == nil {
		s.m.commitTime.WithLabelValues("delivery").Observe(time.Since(began).Seconds())
		switch d.State {
		case payments.DeliveryDelivered, payments.DeliveryRetrying, payments.DeliveryFailed:
			s.m.deliveries.WithLabelValues(string(d.State)).Inc()
		default:
			s.m.deliveries.WithLabelValues("other").Inc()
		}
	}
	return err
}

// ClaimDueAttempts marks the reconciler caught up whenever it finds no
// more due than it asked for.
func (s *store) ClaimDueAttempts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]payments.Attempt, error) {
	as, err := s.Store.ClaimDueAttempts(ctx, now, lease, limit)
	if err == nil && len(as) < limit {
		s.m.caughtUp.Store(s.m.now().UnixNano())
	}
	return as, err
}

// ClaimWebhookEvents counts the outbox backlog now and then, with the
// worker's own query (its event types and age limit).
func (s *store) ClaimWebhookEvents(ctx context.Context, q payments.OutboxQuery) ([]payments.OutboxEvent, error) {
	evs, err := s.Store.ClaimWebhookEvents(ctx, q)
	bc, ok := s.Store.(BacklogCounter)
	now := s.m.now().UnixNano()
	if ok && now-s.lastCount.Load() >= int64(backlogEvery) && s.countingMu.CompareAndSwap(false, true) {
		defer s.countingMu.Store(false)
		if n, err := bc.WebhookBacklog(ctx, q); err == nil {
			s.lastCount.Store(now)
			s.m.backlog.Set(float64(n))
		}
	}
	return evs, err
}
