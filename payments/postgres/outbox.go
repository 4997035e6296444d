package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latipay-hpp/hpp/payments"
)

// ListPayments returns payments matching f, newest first (CreatedAt, then
// ID, descending).
func (db *DB) ListPayments(ctx context.Context, f payments.PaymentFilter) ([]payments.Payment, error) {
	if f.Limit <= 0 {
		return nil, nil
	}
	sql, args := listQuery(f)
	ps, err := queryAll(ctx, db.pool, scanPayment, sql, args...)
	return ps, wrap("list payments", err)
}

// listQuery is ListPayments' statement for f and its arguments.
func listQuery(f payments.PaymentFilter) (string, []any) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(string(f.Status)))
	}
	if f.Reference != "" {
		where = append(where, "reference = "+arg(f.Reference))
	}
	for _, eq := range []struct{ col, v string }{{"method", string(f.Method)}, {"source", f.Source},
		{"currency", string(f.Currency)}, {"latipay_order_id", f.OrderID}} {
		if eq.v != "" {
			where = append(where, eq.col+" = "+arg(eq.v))
		}
	}
	if f.OrderID != "" { // lets the partial index on order ids serve it
		where = append(where, "latipay_order_id <> ''")
	}
	if f.ID != "" {
		where = append(where, "id = "+arg(f.ID))
	}
	// A device's sales through counter_sales_device (migration 015), a
	// cashier's through counter_sales_account (migration 045).
	if f.Device != "" {
		where = append(where, "id IN (SELECT payment_id FROM counter_sales WHERE device_id = "+arg(f.Device)+")")
	}
	if f.Cashier != "" {
		where = append(where, "id IN (SELECT payment_id FROM counter_sales WHERE account_id = "+arg(f.Cashier)+")")
	}
	if f.Amount != 0 { // payments_amount_list (migration 032)
		where = append(where, "amount = "+arg(f.Amount))
	}
	switch f.Attention { // the partial indexes of migration 032
	case payments.AttentionNeedsReview:
		where = append(where, flaggedNeedsReview)
	case payments.AttentionPaidLate:
		where = append(where, listPaidLate)
	case payments.AttentionReviewed:
		where = append(where, "reviewed_at IS NOT NULL")
	}
	if f.Text != "" { // ILIKE: the same matches as SQLite's LIKE for ASCII
		// The text and its indexes are in payment_text (migration 021),
		// so that a payment's state changes add no entry to them.
		like := arg("%" + likeEscaper.Replace(f.Text) + "%")
		contains := "(t.reference ILIKE " + like + ` ESCAPE '\' OR t.description ILIKE ` + like + ` ESCAPE '\')`
		text := contains
		if words := payments.SearchWords(f.Text); len(words) > 0 {
			// The word index finds the candidates; IS TRUE keeps the
			// planner from also intersecting them with the trigram
			// index, whose common trigrams cost more than the few
			// candidates left to check.
			text = textWords + " @> " + arg(words) + "::text[] AND " + contains + " IS TRUE"
		}
		where = append(where, "id IN (SELECT t.payment_id FROM payment_text t WHERE "+text+")")
	}
	if !f.From.IsZero() {
		where = append(where, "created_at >= "+arg(ts(f.From)))
	}
	if !f.To.IsZero() {
		where = append(where, "created_at < "+arg(ts(f.To)))
	}
	if !f.PaidFrom.IsZero() {
		where = append(where, "paid_at >= "+arg(ts(f.PaidFrom)))
	}
	if !f.PaidTo.IsZero() {
		where = append(where, "paid_at < "+arg(ts(f.PaidTo)))
	}
	if f.BeforeID != "" {
		where = append(where, "(created_at, id) < ("+arg(ts(f.BeforeTime))+", "+arg(f.BeforeID)+")")
	}
	sql := `SELECT ` + paymentCols + ` FROM payments`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	sql += ` ORDER BY created_at DESC NULLS LAST, id DESC LIMIT ` + arg(f.Limit)
	return sql, args
}

// textWords is the expression migration 021 indexes (018 did on
// payments): a payment's words, lower-cased runs of ASCII letters and
// digits of its reference and description, in payment_text aliased t.
const textWords = `regexp_split_to_array(lower(t.reference || ' ' || t.description), '[^a-z0-9]+')`

// likeEscaper makes text match itself in a LIKE pattern with ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// undelivered is the outbox condition on an events row aliased e.
const undelivered = `(e.webhook_state IS NULL OR e.webhook_state = 'retrying')`

// claimWebhooks takes, for each payment, its first undelivered event of the
// wanted types, when that event is due, and moves its next try to
// now+lease. The due test is on the locked row itself, so at READ
// COMMITTED a row another worker has just claimed is re-checked and
// dropped; SKIP LOCKED passes over rows being claimed.
const claimWebhooks = `WITH heads AS (
		SELECT DISTINCT ON (e.payment_id) e.payment_id, e.seq
		FROM events e
		WHERE ` + undelivered + ` AND e.type = ANY($1) AND ($2::timestamptz IS NULL OR e.created_at >= $2)
		ORDER BY e.payment_id, e.seq
	), due AS (
		SELECT e.payment_id, e.seq FROM events e JOIN heads h USING (payment_id, seq)
		WHERE ` + undelivered + ` AND COALESCE(e.webhook_next_at, '-infinity') <= $3
		ORDER BY e.created_at, e.payment_id, e.seq
		LIMIT $4
		FOR UPDATE OF e SKIP LOCKED
	)
	UPDATE events SET webhook_next_at = $5
	FROM due WHERE events.payment_id = due.payment_id AND events.seq = due.seq
	RETURNING events.payment_id, events.seq, events.type, events.from_status, events.to_status,
		events.detail, events.created_at, events.data, COALESCE(events.delivery_attempts, 0)`

// ClaimWebhookEvents returns up to q.Limit due outbox events, at most one
// per payment and in sequence order, oldest first, and moves their next
// try to q.Now+q.Lease. See payments.Outbox.
func (db *DB) ClaimWebhookEvents(ctx context.Context, q payments.OutboxQuery) ([]payments.OutboxEvent, error) {
	if q.Limit <= 0 || len(q.Types) == 0 {
		return nil, nil
	}
	es, err := queryAll(ctx, db.pool, func(s scanner) (payments.OutboxEvent, error) {
		var e payments.OutboxEvent
		var from, to string
		var n int64
		err := s.Scan(&e.PaymentID, &e.Seq, &e.Type, &from, &to, &e.Detail, timeCol{&e.CreatedAt}, &e.Data, &n)
		e.From, e.To, e.Attempts = payments.Status(from), payments.Status(to), int(n)
		return e, err
	}, claimWebhooks, q.Types, ts(q.Since), ts(q.Now), q.Limit, ts(q.Now.Add(q.Lease)))
	// UPDATE ... RETURNING has no order of its own.
	slices.SortFunc(es, func(a, b payments.OutboxEvent) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.PaymentID, b.PaymentID), cmp.Compare(a.Seq, b.Seq))
	})
	return es, wrap("claim webhook events", err)
}

// RecordDelivery appends d to the delivery log and sets the event's state,
// try count and next try from it, in one transaction.
func (db *DB) RecordDelivery(ctx context.Context, d payments.Delivery) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (id, payment_id, seq, event_type, attempt,
			redelivery, status_code, error, duration_ns, at, state, next_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			d.ID, d.PaymentID, d.Seq, d.EventType, int64(d.Attempt), d.Redelivery, int64(d.StatusCode),
			d.Error, int64(d.Duration), ts(d.At), string(d.State), ts(d.NextAt)); err != nil {
			return err
		}
		var delivered any
		if d.State == payments.DeliveryDelivered {
			delivered = ts(d.At)
		}
		tag, err := tx.Exec(ctx, `UPDATE events SET webhook_state = $3, delivery_attempts = $4,
			webhook_next_at = $5, delivered_at = COALESCE($6, delivered_at)
			WHERE payment_id = $1 AND seq = $2`,
			d.PaymentID, d.Seq, string(d.State), int64(d.Attempt), ts(d.NextAt), delivered)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("event %s/%d: %w", d.PaymentID, d.Seq, payments.ErrNotFound)
		}
		return nil
	})
	return wrap("record delivery", err)
}

// latestTry keeps a delivery (aliased d) only when it is the last try of
// its event, the one whose state is the event's state now: an event tried
// again after a 503 and then delivered is delivered, and its earlier try
// is no longer "retrying". Tries count up per event (a redelivery too);
// two tries of one count, a redelivery racing a retry, go by id. The
// index on (payment_id, id) serves it.
const latestTry = `NOT EXISTS (SELECT 1 FROM webhook_deliveries n
	WHERE n.payment_id = d.payment_id AND n.seq = d.seq
	AND (n.attempt > d.attempt OR n.attempt = d.attempt AND n.id > d.id))`

// eventAt is when the event of a delivery (aliased d) was recorded, by
// the events' primary key.
const eventAt = `(SELECT e.created_at FROM events e WHERE e.payment_id = d.payment_id AND e.seq = d.seq)`

// Deliveries lists the delivery log matching f, newest first. f.State
// selects the events in that state now, by their last try; every other
// try is Superseded. Each has its event's time (EventAt, by the events'
// primary key).
func (db *DB) Deliveries(ctx context.Context, f payments.DeliveryFilter) ([]payments.Delivery, error) {
	if f.Limit <= 0 {
		return nil, nil
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.ID != "" {
		where = append(where, "id = "+arg(f.ID))
	}
	if f.PaymentID != "" {
		where = append(where, "payment_id = "+arg(f.PaymentID))
	}
	if f.Seq != 0 {
		where = append(where, "seq = "+arg(f.Seq))
	}
	if f.State != "" {
		where = append(where, "d.state = "+arg(string(f.State)), latestTry)
	}
	if !f.EventsAfter.IsZero() {
		where = append(where, eventAt+" > "+arg(ts(f.EventsAfter)))
	}
	if !f.EventsUpTo.IsZero() {
		where = append(where, eventAt+" <= "+arg(ts(f.EventsUpTo)))
	}
	if f.Before != "" {
		where = append(where, "id < "+arg(f.Before))
	}
	sql := `SELECT id, payment_id, seq, event_type, attempt, redelivery, status_code, error,
		duration_ns, at, state, next_at, NOT ` + latestTry + `, ` + eventAt + ` FROM webhook_deliveries d`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	sql += ` ORDER BY id DESC LIMIT ` + arg(f.Limit)
	ds, err := queryAll(ctx, db.pool, func(s scanner) (payments.Delivery, error) {
		var d payments.Delivery
		var attempt, code, dur int64
		var state string
		err := s.Scan(&d.ID, &d.PaymentID, &d.Seq, &d.EventType, &attempt, &d.Redelivery, &code,
			&d.Error, &dur, timeCol{&d.At}, &state, timeCol{&d.NextAt}, &d.Superseded, timeCol{&d.EventAt})
		d.Attempt, d.StatusCode, d.Duration, d.State = int(attempt), int(code), time.Duration(dur), payments.DeliveryState(state)
		return d, err
	}, sql, args...)
	return ds, wrap("deliveries", err)
}

// WebhookEndpointSince returns when a webhook endpoint was first
// configured (migration 043), recording q.Now when none was; the first
// instance to record it wins. A database upgraded from before 043 with
// events and no delivery (migration 045 marks it -infinity) records the
// oldest event the earlier version would still have sent: of q.Types, at
// or after q.Since, not delivered nor given up.
func (db *DB) WebhookEndpointSince(ctx context.Context, q payments.OutboxQuery) (time.Time, error) {
	// Separate statements: each sees the row another instance wrote
	// while it waited on it (the UPDATE finds it no longer marked).
	if _, err := db.pool.Exec(ctx, `INSERT INTO webhook_endpoint (id, since) VALUES (1, $1)
		ON CONFLICT (id) DO NOTHING`, ts(q.Now)); err != nil {
		return time.Time{}, wrap("webhook endpoint", err)
	}
	if _, err := db.pool.Exec(ctx, `UPDATE webhook_endpoint SET since = COALESCE((SELECT MIN(e.created_at)
		FROM events e WHERE `+undelivered+` AND e.type = ANY($2) AND e.created_at >= $3), $1)
		WHERE id = 1 AND since = '-infinity'`, ts(q.Now), q.Types, ts(q.Since)); err != nil {
		return time.Time{}, wrap("webhook endpoint: upgraded", err)
	}
	var since time.Time
	if err := db.pool.QueryRow(ctx, `SELECT since FROM webhook_endpoint WHERE id = 1`).Scan(&since); err != nil {
		return time.Time{}, wrap("webhook endpoint", err)
	}
	if since.Unix() == 0 {
		return time.Time{}, nil
	}
	return since.UTC(), nil
}

// WebhookBacklog counts the events of q.Types created at or after q.Since
// that are neither delivered nor given up: the outbox backlog, for the
// metrics (payments/metrics).
func (db *DB) WebhookBacklog(ctx context.Context, q payments.OutboxQuery) (int, error) {
	if len(q.Types) == 0 {
		return 0, nil
	}
	var n int64
	err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM events e WHERE `+undelivered+
		` AND e.type = ANY($1) AND ($2::timestamptz IS NULL OR e.created_at >= $2)`, q.Types, ts(q.Since)).Scan(&n)
	return int(n), wrap("webhook backlog", err)
}
