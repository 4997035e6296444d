package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// Reads use the read pool: each is one statement, so it sees one committed
// snapshot and never waits for the writer.

// Payment returns one payment or payments.ErrNotFound, from the cache of
// recent payments when it is there (cache.go).
func (db *DB) Payment(ctx context.Context, id string) (payments.Payment, error) {
	if p, ok := db.cache.get(id); ok {
		return p, nil
	}
	epoch := db.cache.now()
	if h := db.hooks.beforeRead; h != nil {
		h(id)
	}
	p, err := db.readPayment(ctx, id)
	if err != nil {
		return p, err
	}
	if h := db.hooks.beforeFill; h != nil {
		h(p)
	}
	db.cache.fill(p, epoch)
	return p, nil
}

// readPayment reads one payment from the read pool.
func (db *DB) readPayment(ctx context.Context, id string) (payments.Payment, error) {
	p, err := scanPayment(cached{c: db.rs}.QueryRowContext(ctx, selectPayment, id))
	return p, wrap("payment", db.noteDamage(err))
}

// Attempt returns the attempt with that Latipay reference or
// payments.ErrNotFound.
func (db *DB) Attempt(ctx context.Context, reference string) (payments.Attempt, error) {
	a, err := scanAttempt(cached{c: db.rs}.QueryRowContext(ctx,
		`SELECT `+attemptCols+` FROM attempts WHERE reference = ?`, reference))
	return a, wrap("attempt", err)
}

var _ payments.RefundFinder = (*DB)(nil)

// RefundPayment returns the id of the payment the refund id belongs to,
// or payments.ErrNotFound: by the refunds' key.
func (db *DB) RefundPayment(ctx context.Context, refundID string) (string, error) {
	var id string
	err := (cached{c: db.rs}).QueryRowContext(ctx, `SELECT payment_id FROM refunds WHERE id = ?`, refundID).Scan(&id)
	return id, wrap("refund payment", err)
}

// AttemptPayment returns the id of the payment the attempt with that
// Latipay reference belongs to, or payments.ErrNotFound; from the cache
// of references when it is there (cache.go).
func (db *DB) AttemptPayment(ctx context.Context, reference string) (string, error) {
	if id, ok := db.refs.get(reference); ok {
		return id, nil
	}
	var id string
	if err := (cached{c: db.rs}).QueryRowContext(ctx, selectAttemptPayment, reference).Scan(&id); err != nil {
		return "", wrap("attempt payment", err)
	}
	db.refs.put(reference, id)
	return id, nil
}

// IdempotentPayment returns the payment a create with that idempotency
// key made and its request's hash, or payments.ErrNotFound.
func (db *DB) IdempotentPayment(ctx context.Context, key string) (string, string, error) {
	var id, hash string
	err := db.reader.QueryRowContext(ctx, `SELECT payment_id, hash FROM idempotency WHERE key = ?`, key).Scan(&id, &hash)
	return id, hash, wrap("idempotent payment", err)
}

// Attempts lists a payment's attempts, oldest first; attempts created at
// the same instant keep the order they were first written in.
func (db *DB) Attempts(ctx context.Context, paymentID string) ([]payments.Attempt, error) {
	as, err := loadAttempts(ctx, cached{c: db.rs}, paymentID)
	return as, wrap("attempts", err)
}

// Refunds lists a payment's refunds, oldest first.
func (db *DB) Refunds(ctx context.Context, paymentID string) ([]payments.Refund, error) {
	rs, err := queryAll(ctx, cached{c: db.rs}, scanRefund, selectRefunds, paymentID)
	return rs, wrap("refunds", db.noteDamage(err))
}

func loadAttempts(ctx context.Context, q querier, paymentID string) ([]payments.Attempt, error) {
	return queryAll(ctx, q, scanAttempt, selectAttempts, paymentID)
}

// The columns of payments and attempts qualified by the aliases p and a.
var paymentReadColsP, attemptColsA = qualified("p", paymentReadCols), qualified("a", attemptCols)

// Hot queries, prepared once (stmt.go).
var (
	selectPayment  = `SELECT ` + paymentReadCols + ` FROM payments WHERE id = ?`
	selectAttempts = `SELECT ` + attemptCols + ` FROM attempts WHERE payment_id = ? ORDER BY created_at, rowid`
	selectRefunds  = `SELECT ` + refundCols + ` FROM refunds WHERE payment_id = ? ORDER BY created_at, rowid`
	// selectAttemptPayment is the callback's first lookup.
	selectAttemptPayment = `SELECT payment_id FROM attempts WHERE reference = ?`
	// selectPaymentAttemptsForUpdate is Update's load on the writer: the
	// payment, the number of its last event (migration 004) for the events
	// a write appends, and its attempts in selectAttempts' order, in one
	// statement, with the rows' rowids for the updates: one row per
	// attempt, or one row whose attempt columns are NULL.
	selectPaymentAttemptsForUpdate = `SELECT ` + paymentReadColsP + `, p.last_seq, p.rowid, a.rowid, ` + attemptColsA + `
		FROM payments p LEFT JOIN attempts a ON a.payment_id = p.id WHERE p.id = ? ORDER BY a.created_at, a.rowid`
	// selectVersionAttemptsForUpdate is selectPaymentAttemptsForUpdate
	// for a payment the payment cache holds: its version in place of its
	// columns (loadCached).
	selectVersionAttemptsForUpdate = `SELECT p.version, p.last_seq, p.rowid, a.rowid, ` + attemptColsA + `
		FROM payments p LEFT JOIN attempts a ON a.payment_id = p.id WHERE p.id = ? ORDER BY a.created_at, a.rowid`
	selectNotifications = `SELECT ` + notificationCols + ` FROM notifications WHERE reference = ? ORDER BY id`
	// selectNotificationSeen is the duplicate check of every callback: it
	// reads the (reference, digest) index alone (migration 003).
	selectNotificationSeen = `SELECT EXISTS (SELECT 1 FROM notifications WHERE reference = ? AND digest = ?)`
	// selectNotificationTarget is both, in one read: the duplicate check
	// and the attempt's payment (NULL when there is no such attempt).
	selectNotificationTarget = `SELECT EXISTS (SELECT 1 FROM notifications WHERE reference = ?1 AND digest = ?2),
		(SELECT payment_id FROM attempts WHERE reference = ?1)`
)

// txQueries are prepared on the write connection at Open, for use inside
// write transactions.
func txQueries() []string {
	return []string{selectPayment, selectPaymentAttemptsForUpdate, selectVersionAttemptsForUpdate, selectAttempts, selectRefunds, upsertRefund, insertPayment, updatePayment,
		updatePaymentState, updatePaymentStatus, updatePaymentStatusMethod, updatePaymentAttempt, updatePaymentBooks, upsertAttempt, updateAttemptState, updateRefundState, insertEvent, insertNotification, insertIdempotency,
		`SELECT hash, payment_id FROM idempotency WHERE key = ?`, indexTextTrigrams, indexTextWords, clearUnindexed}
}

// Events lists a payment's events in sequence order.
func (db *DB) Events(ctx context.Context, paymentID string) ([]payments.Event, error) {
	es, err := queryAll(ctx, db.reader, scanEvent, `SELECT `+eventCols+` FROM events
		WHERE payment_id = ? ORDER BY seq`, paymentID)
	return es, wrap("events", err)
}

// EventsOfType lists the events of type eventType of the payments ids,
// by payment and sequence, in one read (the ids go as one JSON array).
func (db *DB) EventsOfType(ctx context.Context, ids []string, eventType string) ([]payments.Event, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > payments.MaxEventsOf {
		return nil, fmt.Errorf("sqlite: events of %d payments, at most %d", len(ids), payments.MaxEventsOf)
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, wrap("events of type", err)
	}
	es, err := queryAll(ctx, db.reader, scanEvent, `SELECT `+eventCols+` FROM events
		WHERE payment_id IN (SELECT value FROM json_each(?1)) AND type = ?2 ORDER BY payment_id, seq`, string(list), eventType)
	return es, wrap("events of type", err)
}

// Notifications lists the verified notifications recorded for a Latipay
// reference, orphans included, in the order they were recorded. It is not
// part of payments.Store; the contract suite and audit tooling use it.
func (db *DB) Notifications(ctx context.Context, reference string) ([]payments.Notification, error) {
	ns, err := queryAll(ctx, cached{c: db.rs}, scanNotification, selectNotifications, reference)
	return ns, wrap("notifications", err)
}

var _ payments.NotificationTargeter = (*DB)(nil)

// NotificationTarget answers a callback's duplicate check and finds its
// payment (payments.NotificationTargeter): from the cache of references
// when it knows (cache.go, attemptCache: a first callback for an attempt
// this process wrote costs no read), else in one read of the database,
// whose answer the cache then keeps. The writer is the authority on
// repeats either way (write.go): "not seen" only sends the callback to
// Update, which writes nothing for a notification already recorded.
func (db *DB) NotificationTarget(ctx context.Context, reference, digest string) (bool, string, error) {
	if id, seen, known := db.refs.target(reference, digest); known {
		return seen, id, nil
	}
	var seen bool
	var id sql.NullString
	err := cached{c: db.rs}.QueryRowContext(ctx, selectNotificationTarget, reference, digest).Scan(&seen, &id)
	if err != nil {
		return false, "", wrap("notification target", err)
	}
	if id.Valid {
		if seen {
			db.refs.recorded(reference, id.String, digest)
		} else {
			db.refs.put(reference, id.String)
		}
	}
	return seen, id.String, nil
}

// NotificationSeen reports whether a notification with that digest is
// recorded for reference.
func (db *DB) NotificationSeen(ctx context.Context, reference, digest string) (bool, error) {
	var seen bool
	err := cached{c: db.rs}.QueryRowContext(ctx, selectNotificationSeen, reference, digest).Scan(&seen)
	return seen, wrap("notification seen", err)
}

// FindPaidOrphans lists the paid notifications that matched no attempt
// and name text as their reference or their form's order_id, newest
// first (payments.Store). Like PaidOrphans it reads the partial index
// notifications_orphans (migration 039) alone: the body is matched only
// on the orphans, never on the callbacks of every known payment.
func (db *DB) FindPaidOrphans(ctx context.Context, text string, limit int) ([]payments.Notification, error) {
	ns, err := queryAll(ctx, db.reader, scanNotification, `SELECT `+notificationCols+` FROM notifications
		WHERE result = 'orphan' AND status = 'paid' AND (reference IN (?, ?) OR instr('&' || body || '&', ?) > 0)
		ORDER BY id DESC LIMIT ?`, text, strings.ToUpper(text), orderIDField(text), limit)
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
// (migration 039) holds only orphans, so neither read walks the callbacks
// of every known payment.
func (db *DB) PaidOrphans(ctx context.Context, since time.Time, limit int) ([]payments.Notification, int, error) {
	ns, err := queryAll(ctx, db.reader, scanNotification, `SELECT `+notificationCols+` FROM notifications
		WHERE result = 'orphan' AND status = 'paid' AND at >= ? ORDER BY id DESC LIMIT ?`, since.UnixNano(), limit)
	if err != nil {
		return nil, 0, wrap("paid orphans", err)
	}
	var n int
	err = db.reader.QueryRowContext(ctx, `SELECT count(*) FROM notifications
		WHERE result = 'orphan' AND status = 'paid' AND at >= ?`, since.UnixNano()).Scan(&n)
	return ns, n, wrap("paid orphans", err)
}
