// Package webhook sends payment events to the merchant's endpoint: signed
// (Hpp-Signature, Stripe's t=,v1= scheme), in order per payment, retried
// with exponential backoff and jitter on network errors, 408, 429 and 5xx
// for MaxAge (three days by default), never on other answers, and logged
// delivery by delivery.
//
// The outbox is the payments event log: events are written in the same
// transaction as the change they describe, so a crash loses none; the
// worker claims them with a lease, so a crash mid-send only delays one.
// Delivery is at least once: receivers dedupe by event id.
//
// It imports payments only; run starts its worker. The signing scheme and
// the retry rule are in this package.
package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// Store is what the worker needs from payments storage.
type Store interface {
	Payment(ctx context.Context, id string) (payments.Payment, error)
	Events(ctx context.Context, paymentID string) ([]payments.Event, error)
	Refunds(ctx context.Context, paymentID string) ([]payments.Refund, error)
	ClaimWebhookEvents(ctx context.Context, q payments.OutboxQuery) ([]payments.OutboxEvent, error)
	RecordDelivery(ctx context.Context, d payments.Delivery) error
	Deliveries(ctx context.Context, f payments.DeliveryFilter) ([]payments.Delivery, error)
	WebhookEndpointSince(ctx context.Context, q payments.OutboxQuery) (time.Time, error)
}

// ErrDisabled is a redelivery asked for with no endpoint configured.
var ErrDisabled = errors.New("webhook: no endpoint is configured (HPP_WEBHOOK_URL)")

// Types returns the event types sent to merchants: a payment's status
// changes, each refund's outcome, and payment.reviewed, when the shop
// marks a payment flagged paid_late or needs_review reviewed (its status
// stays; reviewed_at says when). payment.created, refund.requested (its
// answer, 201 or 202, already told the merchant) and internal events
// (attempt.*, anomaly) are not sent. The outbox selects by type when it
// sends, so a type added here would also send the events of it already
// recorded: the stores' migrations mark those skipped (refund.* in
// sqlite's 022 and postgres's 024, payment.reviewed in sqlite's 038 and
// postgres's 041).
func Types() []string {
	return []string{"payment.pending", "payment.paid", "payment.failed", "payment.expired",
		"payment.canceled", "payment.refunded", "payment.partially_refunded",
		"refund.succeeded", "refund.failed", "payment.reviewed"}
}

// What Delivery.Error says, as the log keeps it; the back office words
// each in the reader's language. A try the endpoint answered has the
// status in Delivery.StatusCode, and its Error is "HTTP <status>",
// followed by NotRetried when it is not tried again.
const (
	ErrorReadPayment = "could not read the payment"
	ErrorReadRefunds = "could not read the payment's refunds"
	ErrorReadRefund  = "could not read the refund"
	ErrorEncode      = "could not encode the event"
	ErrorBadURL      = "bad endpoint URL"
	ErrorRequest     = "request failed: " // + one of the Reason* below
	NotRetried       = ": not retried"
	GaveUpAfter      = "; gave up after " // + MaxAge, appended to the last try's error
)

// Why a request got no answer, after ErrorRequest in Delivery.Error and
// as the log's reason: plain words, never the HTTP client's own message,
// which quotes the endpoint's URL (`Post "https://…?token=…": …`), and a
// URL may carry a secret.
const (
	ReasonRefused  = "connection refused"
	ReasonTimeout  = "timeout" // followed by TimeoutAfter and the per-request timeout ("timeout after 10s"), except in PlainError's
	TimeoutAfter   = " after " // between ReasonTimeout and the timeout
	ReasonDNS      = "DNS lookup failed"
	ReasonTLS      = "TLS certificate not valid"
	ReasonClosed   = "connection closed before an answer"
	ReasonCanceled = "canceled: the app is stopping"
	ReasonNetwork  = "network error" // any other
)

// Options configure a Worker.
type Options struct {
	URL     string   // the merchant's endpoint; "" disables sending
	Secrets []string // signing secrets, current first; required with URL
	Client  *http.Client
	Now     func() time.Time
	Rand    io.Reader // jitter and delivery ids
	Log     *slog.Logger
	Poll    time.Duration // how often Run looks for due events; default 1 s
	MaxAge  time.Duration // how long an event is retried; default 72 h
	Lease   time.Duration // how long a claimed event is hidden; default 1 min
	Timeout time.Duration // per request; default 10 s
}

// Backoff bounds: 10 s after the first failure, doubling to at most an
// hour, each wait jittered to between half and all of it.
const (
	firstRetry = 10 * time.Second
	maxRetry   = time.Hour
	batch      = 32
)

// Worker delivers the outbox. It is safe for concurrent use, and several
// workers (one per instance) may share a store.
type Worker struct {
	store  Store
	o      Options
	randMu sync.Mutex // guards o.Rand

	created time.Time // New's time: before the app serves any request
	sinceMu sync.Mutex
	since   time.Time // when an endpoint was first configured; zero: no limit
	sinceOK bool      // since is read from the store
}

// New returns a worker. With an empty URL it sends nothing, but the
// delivery log can still be read.
func New(store Store, o Options) (*Worker, error) {
	if store == nil || o.Now == nil || o.Rand == nil || o.Log == nil {
		return nil, errors.New("webhook: New: missing dependency")
	}
	if o.URL != "" && (len(o.Secrets) == 0 || o.Secrets[0] == "") {
		return nil, errors.New("webhook: New: a signing secret is required with an endpoint")
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.MaxAge <= 0 {
		o.MaxAge = payments.DeliveryRetryWindow
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Worker{store: store, o: o, created: o.Now().UTC()}, nil
}

// Enabled reports whether an endpoint is configured.
func (w *Worker) Enabled() bool { return w.o.URL != "" }

// Run delivers due events until ctx ends. run starts it.
//
// Each delivery goes on its own, at most batch at a time: Run claims
// events as soon as a slot is free (on each poll, and whenever a delivery
// ends), never waiting for the slowest of those in flight, so an endpoint
// that hangs on one payment's event until the timeout delays no other
// payment's, and retries fall due on time. The store claims at most one
// event per payment, the next only once the one before it is delivered
// or failed, so each payment's events still go in order.
func (w *Worker) Run(ctx context.Context) {
	if !w.Enabled() {
		return
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, batch) // one per delivery in flight
	ended := make(chan struct{}, 1)     // a delivery ended: claim again
	t := time.NewTicker(w.o.Poll)
	defer t.Stop()
	for {
		for {
			free := batch - len(slots)
			if free == 0 || ctx.Err() != nil {
				break
			}
			evs, err := w.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				w.o.Log.Error("webhook: flush", "err", err)
			}
			for _, e := range evs {
				slots <- struct{}{}
				wg.Go(func() {
					defer func() {
						<-slots
						select {
						case ended <- struct{}{}:
						default:
						}
					}()
					if err := w.deliver(ctx, e); err != nil && ctx.Err() == nil {
						w.o.Log.Error("webhook: flush", "err", err)
					}
				})
			}
			if len(evs) < free || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-ended:
		}
	}
}

// endpointSince is when a webhook endpoint was first configured for the
// store's database, recorded by the first worker with one (when none was,
// this one's creation, which comes before the app serves a request, so
// no event recorded while it runs is older). The endpoint receives the events recorded from then
// on, not the ones a shop recorded while it had none; the time is kept
// for good, so an endpoint unset for a while, or changed, misses nothing
// recorded meanwhile that is still within MaxAge. A database upgraded
// from a version that kept no such time, and had not delivered yet,
// starts at the oldest event that version would still have sent (those
// of Types within MaxAge, not yet delivered), so the upgrade loses none.
func (w *Worker) endpointSince(ctx context.Context) (time.Time, error) {
	w.sinceMu.Lock()
	defer w.sinceMu.Unlock()
	if !w.sinceOK {
		since, err := w.store.WebhookEndpointSince(ctx, payments.OutboxQuery{Types: Types(),
			Since: w.created.Add(-w.o.MaxAge), Now: w.created})
		if err != nil {
			return time.Time{}, err
		}
		w.since, w.sinceOK = since, true
	}
	return w.since, nil
}

// claim claims up to limit events due now, at most one per payment:
// events recorded within MaxAge and since the endpoint was configured.
func (w *Worker) claim(ctx context.Context, limit int) ([]payments.OutboxEvent, error) {
	now := w.o.Now().UTC()
	since, err := w.endpointSince(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhook: claim: %w", err)
	}
	evs, err := w.store.ClaimWebhookEvents(ctx, payments.OutboxQuery{Types: Types(),
		Since: later(now.Add(-w.o.MaxAge), since), Now: now, Lease: w.o.Lease, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("webhook: claim: %w", err)
	}
	return evs, nil
}

// deliver sends a claimed event and records the outcome.
func (w *Worker) deliver(ctx context.Context, e payments.OutboxEvent) error {
	d, why := w.send(ctx, e.Event, e.Attempts+1, false)
	w.logFailure(d, why)
	return w.store.RecordDelivery(ctx, d)
}

// Flush claims the events due now, at most one per payment, sends them
// concurrently and records each outcome, returning when all are done
// (Run does not wait so). It returns how many it sent.
func (w *Worker) Flush(ctx context.Context) (int, error) {
	if !w.Enabled() {
		return 0, nil
	}
	evs, err := w.claim(ctx, batch)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(evs))
	for i, e := range evs {
		wg.Go(func() { errs[i] = w.deliver(ctx, e) })
	}
	wg.Wait()
	return len(evs), errors.Join(errs...)
}

// Redeliver sends the event of delivery id again now, whatever its state,
// and records the try as a redelivery. A failed redelivery is not retried
// automatically, but an event still being retried keeps its schedule.
func (w *Worker) Redeliver(ctx context.Context, id string) (payments.Delivery, error) {
	if !w.Enabled() {
		return payments.Delivery{}, ErrDisabled
	}
	ds, err := w.store.Deliveries(ctx, payments.DeliveryFilter{ID: id, Limit: 1})
	if err != nil {
		return payments.Delivery{}, err
	}
	if len(ds) == 0 {
		return payments.Delivery{}, payments.ErrNotFound
	}
	orig := ds[0]
	latest, err := w.store.Deliveries(ctx, payments.DeliveryFilter{PaymentID: orig.PaymentID, Limit: 100})
	if err != nil {
		return payments.Delivery{}, err
	}
	attempt, prev := orig.Attempt, orig
	for _, d := range latest { // newest first
		if d.Seq == orig.Seq && d.Attempt >= attempt {
			attempt, prev = d.Attempt, d
		}
	}
	evs, err := w.store.Events(ctx, orig.PaymentID)
	if err != nil {
		return payments.Delivery{}, err
	}
	for _, e := range evs {
		if e.Seq != orig.Seq {
			continue
		}
		d, why := w.send(ctx, e, attempt+1, true)
		if d.State != payments.DeliveryDelivered {
			d.State, d.NextAt = payments.DeliveryFailed, time.Time{}
			// The event keeps its schedule while it is within MaxAge:
			// past it, no retry would come.
			if prev.State == payments.DeliveryRetrying && w.o.Now().Before(e.CreatedAt.Add(w.o.MaxAge)) {
				d.State, d.NextAt = prev.State, prev.NextAt
			}
		}
		w.logFailure(d, why)
		return d, w.store.RecordDelivery(ctx, d)
	}
	return payments.Delivery{}, payments.ErrNotFound
}

// send makes one try and returns its log entry with the event's next
// state and, when it failed, why in a few words for the error log: the
// HTTP status or the kind of network error, never the endpoint's URL
// (it may carry a token) nor the body.
func (w *Worker) send(ctx context.Context, e payments.Event, attempt int, redelivery bool) (payments.Delivery, string) {
	start := w.o.Now().UTC()
	d := payments.Delivery{ID: w.deliveryID(start), PaymentID: e.PaymentID, Seq: e.Seq, EventType: e.Type,
		Attempt: attempt, Redelivery: redelivery, At: start}
	p, err := w.store.Payment(ctx, e.PaymentID)
	if err != nil {
		// Without the payment there is no body; try again later.
		d.Error = ErrorReadPayment
		return w.retry(d, e, 0), d.Error
	}
	var evs []payments.Event
	if p.Refunded > 0 {
		if evs, err = w.store.Events(ctx, e.PaymentID); err != nil {
			d.Error = ErrorReadRefunds
			return w.retry(d, e, 0), d.Error
		}
	}
	var r *payments.Refund
	if strings.HasPrefix(e.Type, "refund.") {
		if r, err = w.eventRefund(ctx, e); err != nil {
			d.Error = ErrorReadRefund
			return w.retry(d, e, 0), d.Error
		}
	}
	body, err := Body(e, p, payments.SumRefunds(p, evs), r)
	if err != nil {
		d.Error, d.State = ErrorEncode, payments.DeliveryFailed
		return d, d.Error
	}
	rctx, cancel := context.WithTimeout(ctx, w.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, w.o.URL, bytes.NewReader(body))
	if err != nil {
		d.Error, d.State = ErrorBadURL, payments.DeliveryFailed
		return d, d.Error
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hpp-webhooks/1")
	req.Header.Set("Hpp-Event-Id", EventID(e))
	req.Header.Set("Hpp-Delivery-Id", d.ID)
	req.Header.Set(Header, Sign(w.o.Secrets, start, body))
	resp, err := w.o.Client.Do(req)
	d.Duration = w.o.Now().Sub(start)
	if err != nil {
		why := networkFailure(err, w.o.Timeout)
		d.Error = ErrorRequest + why
		return w.retry(d, e, 0), why
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	d.StatusCode = resp.StatusCode
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		d.State = payments.DeliveryDelivered
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		d.Error = "HTTP " + strconv.Itoa(c)
		ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return w.retry(d, e, time.Duration(ra)*time.Second), "HTTP " + strconv.Itoa(c)
	default:
		d.Error, d.State = "HTTP "+strconv.Itoa(c)+NotRetried, payments.DeliveryFailed
		return d, "HTTP " + strconv.Itoa(c) + ", which is not retried"
	}
	return d, ""
}

// logFailure logs a try that did not deliver, once: a warning while the
// event is retried, an error once it is given up on (not retried, or too
// old), so an endpoint that is down shows in the log and not only in the
// delivery log and the metrics.
func (w *Worker) logFailure(d payments.Delivery, why string) {
	if d.State == payments.DeliveryDelivered {
		return
	}
	attrs := []any{"delivery_id", d.ID, "event_type", PublicType(d.EventType), "payment_id", d.PaymentID,
		"attempt", d.Attempt, "redelivery", d.Redelivery, "reason", why}
	if d.StatusCode != 0 {
		attrs = append(attrs, "status", d.StatusCode)
	}
	if d.State == payments.DeliveryRetrying {
		w.o.Log.Warn("webhook: delivery failed; retrying", append(attrs, "next_attempt_at", d.NextAt.UTC().Format(time.RFC3339))...)
		return
	}
	w.o.Log.Error("webhook: delivery failed; given up", attrs...)
}

// networkFailure names the kind of a request's network error (a Reason*),
// a timeout with the per-request timeout.
func networkFailure(err error, timeout time.Duration) string {
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return ReasonTimeout + TimeoutAfter + timeout.String()
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused
	case errors.As(err, &dns):
		return ReasonDNS
	case errors.As(err, &cert):
		return ReasonTLS
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return ReasonClosed
	case errors.Is(err, context.Canceled):
		return ReasonCanceled
	}
	return ReasonNetwork
}

// PlainError is a delivery's stored Error as it may be shown. An earlier
// version stored the HTTP client's own words after ErrorRequest, which
// quote the endpoint's URL (perhaps with a token in its query): such an
// entry becomes the Reason* its words stand for (a timeout without its
// length), never the URL. Anything else is as stored.
func PlainError(stored string) string {
	rest, ok := strings.CutPrefix(stored, ErrorRequest)
	if !ok {
		return stored
	}
	msg, gaveUp := rest, ""
	if i := strings.LastIndex(rest, GaveUpAfter); i >= 0 {
		msg, gaveUp = rest[:i], rest[i:]
	}
	switch msg {
	case ReasonRefused, ReasonDNS, ReasonTLS, ReasonClosed, ReasonCanceled, ReasonNetwork, ReasonTimeout:
		return stored
	}
	if d, ok := strings.CutPrefix(msg, ReasonTimeout+TimeoutAfter); ok {
		if _, err := time.ParseDuration(d); err == nil {
			return stored
		}
	}
	why := ReasonNetwork
	switch low := strings.ToLower(msg); {
	case strings.Contains(low, "timeout") || strings.Contains(low, "deadline exceeded"):
		why = ReasonTimeout
	case strings.Contains(low, "connection refused"):
		why = ReasonRefused
	case strings.Contains(low, "no such host") || strings.Contains(low, "server misbehaving"):
		why = ReasonDNS
	case strings.Contains(low, "x509") || strings.Contains(low, "certificate"):
		why = ReasonTLS
	case strings.Contains(low, "eof") || strings.Contains(low, "connection reset"):
		why = ReasonClosed
	case strings.Contains(low, "context canceled"):
		why = ReasonCanceled
	}
	return ErrorRequest + why + gaveUp
}

// eventRefund is the refund refund event e reports, as it is now; nil
// when the store has no such refund.
func (w *Worker) eventRefund(ctx context.Context, e payments.Event) (*payments.Refund, error) {
	id := refundID(e)
	rs, err := w.store.Refunds(ctx, e.PaymentID)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.ID == id {
			return &r, nil
		}
	}
	return nil, nil
}

// retry schedules the next try, or gives up when the event is older than
// MaxAge. after is the receiver's Retry-After, if any. The wait counts
// from the failure, the end of the try (d.At plus d.Duration), not from
// its start: a try that timed out after Timeout is not retried at once.
func (w *Worker) retry(d payments.Delivery, e payments.Event, after time.Duration) payments.Delivery {
	wait := firstRetry << min(d.Attempt-1, 20)
	wait = min(wait, maxRetry)
	wait = wait/2 + time.Duration(w.fraction()*float64(wait/2))
	wait = min(max(wait, after), maxRetry)
	next := d.At.Add(max(d.Duration, 0) + wait)
	if !next.Before(e.CreatedAt.Add(w.o.MaxAge)) {
		d.State = payments.DeliveryFailed
		d.Error += GaveUpAfter + w.o.MaxAge.String()
		return d
	}
	d.State, d.NextAt = payments.DeliveryRetrying, next
	return d
}

// later is the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// fraction returns a uniform number in [0, 1).
func (w *Worker) fraction() float64 {
	var b [8]byte
	w.randMu.Lock()
	_, _ = io.ReadFull(w.o.Rand, b[:])
	w.randMu.Unlock()
	return float64(binary.BigEndian.Uint64(b[:])>>11) / (1 << 53)
}

// deliveryID is "whd_" + the time in fixed-width nanoseconds + 8 random
// hex digits, so ids sort by time.
func (w *Worker) deliveryID(t time.Time) string {
	var b [4]byte
	w.randMu.Lock()
	_, _ = io.ReadFull(w.o.Rand, b[:])
	w.randMu.Unlock()
	return fmt.Sprintf("whd_%019d%s", t.UnixNano(), hex.EncodeToString(b[:]))
}
