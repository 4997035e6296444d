package postgres

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// Reads are single statements on the pool: each sees one committed
// snapshot and takes no locks.

// Payment returns one payment or payments.ErrNotFound.
func (db *DB) Payment(ctx context.Context, id string) (payments.Payment, error) {
	p, err := scanPayment(db.pool.QueryRow(ctx, `SELECT `+paymentCols+` FROM payments WHERE id = $1`, id))
	return p, wrap("payment", err)
}

// Attempt returns the attempt with that Latipay reference or
// payments.ErrNotFound.
func (db *DB) Attempt(ctx context.Context, reference string) (payments.Attempt, error) {
	a, err := scanAttempt(db.pool.QueryRow(ctx, `SELECT `+attemptCols+` FROM attempts WHERE reference = $1`, reference))
	return a, wrap("attempt", err)
}

// Attempts lists a payment's attempts, oldest first; attempts created at
// the same instant keep the order they were first written in.
func (db *DB) Attempts(ctx context.Context, paymentID string) ([]payments.Attempt, error) {
	as, err := loadAttempts(ctx, db.pool, paymentID)
	return as, wrap("attempts", err)
}

func loadAttempts(ctx context.Context, q querier, paymentID string) ([]payments.Attempt, error) {
	return queryAll(ctx, q, scanAttempt, `SELECT `+attemptCols+` FROM attempts
		WHERE payment_id = $1 ORDER BY created_at, seq`, paymentID)
}

// Refunds lists a payment's refunds, oldest first.
func (db *DB) Refunds(ctx context.Context, paymentID string) ([]payments.Refund, error) {
	rs, err := queryAll(ctx, db.pool, scanRefund, `SELECT `+refundCols+` FROM refunds
		WHERE payment_id = $1 ORDER BY created_at, seq`, paymentID)
	return rs, wrap("refunds", err)
}

// Events lists a payment's events in sequence order.
func (db *DB) Events(ctx context.Context, paymentID string) ([]payments.Event, error) {
	es, err := queryAll(ctx, db.pool, scanEvent, `SELECT `+eventCols+` FROM events
		WHERE payment_id = $1 ORDER BY seq`, paymentID)
	return es, wrap("events", err)
}

// EventsOfType lists the events of type eventType of the payments ids,
// by payment and sequence, in one read.
func (db *DB) EventsOfType(ctx context.Context, ids []string, eventType string) ([]payments.Event, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > payments.MaxEventsOf {
		return nil, fmt.Errorf("postgres: events of %d payments, at most %d", len(ids), payments.MaxEventsOf)
	}
	es, err := queryAll(ctx, db.pool, scanEvent, `SELECT `+eventCols+` FROM events
		WHERE payment_id = ANY($1) AND type = $2 ORDER BY payment_id, seq`, ids, eventType)
	return es, wrap("events of type", err)
}

// Notifications lists the verified notifications recorded for a Latipay
// reference, orphans included, in the order they were recorded. It is not
// part of payments.Store; the contract suite and audit tooling use it.
func (db *DB) Notifications(ctx context.Context, reference string) ([]payments.Notification, error) {
	ns, err := queryAll(ctx, db.pool, scanNotification, `SELECT `+notificationCols+`
		FROM notifications WHERE reference = $1 ORDER BY id`, reference)
	return ns, wrap("notifications", err)
}

// NotificationSeen reports whether a notification with that digest is
// recorded for reference (the digest's unique index answers it).
func (db *DB) NotificationSeen(ctx context.Context, reference, digest string) (bool, error) {
	var seen bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM notifications
		WHERE digest = $1 AND reference = $2)`, digest, reference).Scan(&seen)
	return seen, wrap("notification seen", err)
}

// NotificationTarget answers NotificationSeen and AttemptPayment in one
// statement, one round trip (see payments.NotificationTargeter).
func (db *DB) NotificationTarget(ctx context.Context, reference, digest string) (bool, string, error) {
	var seen bool
	var id string
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM notifications
		WHERE digest = $1 AND reference = $2),
		COALESCE((SELECT payment_id FROM attempts WHERE reference = $2), '')`, digest, reference).Scan(&seen, &id)
	return seen, id, wrap("notification target", err)
}

var _ payments.NotificationTargeter = (*DB)(nil)

// AttemptPayment returns the id of the payment an attempt belongs to.
func (db *DB) AttemptPayment(ctx context.Context, reference string) (string, error) {
	var id string
	err := db.pool.QueryRow(ctx, `SELECT payment_id FROM attempts WHERE reference = $1`, reference).Scan(&id)
	return id, wrap("attempt payment", err)
}

var _ payments.RefundFinder = (*DB)(nil)

// RefundPayment returns the id of the payment the refund id belongs to,
// or payments.ErrNotFound: by the refunds' key.
func (db *DB) RefundPayment(ctx context.Context, refundID string) (string, error) {
	var id string
	err := db.pool.QueryRow(ctx, `SELECT payment_id FROM refunds WHERE id = $1`, refundID).Scan(&id)
	return id, wrap("refund payment", err)
}

// IdempotentPayment returns the payment a create with that idempotency
// key made and its request's hash, or payments.ErrNotFound.
func (db *DB) IdempotentPayment(ctx context.Context, key string) (string, string, error) {
	var id, hash string
	err := db.pool.QueryRow(ctx, `SELECT payment_id, hash FROM idempotency WHERE key = $1`, key).Scan(&id, &hash)
	return id, hash, wrap("idempotent payment", err)
}

// Updates returns the status and version of each of the payments ids that
// exists, in no particular order: what payments/pgbroker's resync pushes.
func (db *DB) Updates(ctx context.Context, ids []string) ([]payments.Update, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, status, version FROM payments WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, wrap("updates", err)
	}
	defer rows.Close()
	var out []payments.Update
	for rows.Next() {
		var u payments.Update
		var st string
		if err := rows.Scan(&u.PaymentID, &st, &u.Version); err != nil {
			return nil, wrap("updates", err)
		}
		u.Status = payments.Status(st)
		out = append(out, u)
	}
	return out, wrap("updates", rows.Err())
}

// FindPaidOrphans lists the paid notifications that matched no attempt
// and name text as their reference or their form's order_id, newest
// first (payments.Store). Like PaidOrphans it reads the partial index
// notifications_orphans (migration 042) alone: the body is matched only
// on the orphans, never on the callbacks of every known payment.
func (db *DB) FindPaidOrphans(ctx context.Context, text string, limit int) ([]payments.Notification, error) {
	ns, err := queryAll(ctx, db.pool, scanNotification, `SELECT `+notificationCols+` FROM notifications
		WHERE result = 'orphan' AND status = 'paid' AND (reference IN ($1, $2) OR strpos('&' || body || '&', $3) > 0)
		ORDER BY id DESC LIMIT $4`, text, strings.ToUpper(text), orderIDField(text), limit)
	return ns, wrap("find paid orphans", err)
}

// orderIDField is how a form's order_id field holding text stands in a
// body written by url.Values.Encode, between the ampersands that the
// search adds around the body: "&order_id=<text escaped>&".
func orderIDField(text string) string {
	return "&" + url.Values{"order_id": {text}}.Encode() + "&"
}

// PaidOrphans lists the paid notifications that matched no attempt,
// received at or after since, newest first, at most limit, and counts
// them all (payments.Store). The partial index notifications_orphans
// (migration 042) holds only orphans, so neither read walks the callbacks
// of every known payment.
func (db *DB) PaidOrphans(ctx context.Context, since time.Time, limit int) ([]payments.Notification, int, error) {
	ns, err := queryAll(ctx, db.pool, scanNotification, `SELECT `+notificationCols+` FROM notifications
		WHERE result = 'orphan' AND status = 'paid' AND at >= $1 ORDER BY id DESC LIMIT $2`, since, limit)
	if err != nil {
		return nil, 0, wrap("paid orphans", err)
	}
	var n int
	err = db.pool.QueryRow(ctx, `SELECT count(*) FROM notifications
		WHERE result = 'orphan' AND status = 'paid' AND at >= $1`, since).Scan(&n)
	return ns, n, wrap("paid orphans", err)
}
