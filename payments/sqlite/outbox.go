package sqlite

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latipay-hpp/hpp/payments"
)

// ListPayments returns payments matching f, newest first. It reads from
// the read pool.
func (db *DB) ListPayments(ctx context.Context, f payments.PaymentFilter) ([]payments.Payment, error) {
	words, err := db.rareWords(ctx, f.Text)
	if err != nil {
		return nil, err
	}
	rare := false
	if words == "" {
		if rare, err = db.rareText(ctx, f.Text); err != nil {
			return nil, err
		}
	}
	q, args := listQuery(f, words, rare)
	ps, err := queryAll(ctx, db.reader, scanPayment, q, args...)
	return ps, wrap("list payments", db.noteDamage(err))
}

// listQuery is ListPayments' statement for f, with the word index's query
// for its text (rareWords) or whether the trigram index serves it
// (rareText).
func listQuery(f payments.PaymentFilter, words string, rare bool) (string, []any) {
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.Reference != "" {
		where, args = append(where, "reference = ?"), append(args, f.Reference)
	}
	for _, eq := range []struct{ col, v string }{{"method", string(f.Method)}, {"source", f.Source},
		{"currency", string(f.Currency)}, {"latipay_order_id", f.OrderID}} {
		if eq.v != "" {
			where, args = append(where, eq.col+" = ?"), append(args, eq.v)
		}
	}
	if f.OrderID != "" { // lets the partial index on order ids serve it
		where = append(where, "latipay_order_id <> ''")
	}
	if f.ID != "" {
		where, args = append(where, "id = ?"), append(args, f.ID)
	}
	// A device's sales through counter_sales_device (migration 015), a
	// cashier's through counter_sales_account (migration 042).
	if f.Device != "" {
		where, args = append(where, "id IN (SELECT payment_id FROM counter_sales WHERE device_id = ?)"), append(args, f.Device)
	}
	if f.Cashier != "" {
		where, args = append(where, "id IN (SELECT payment_id FROM counter_sales WHERE account_id = ?)"), append(args, f.Cashier)
	}
	if f.Amount != 0 { // payments_amount_created (migration 030)
		where, args = append(where, "amount = ?"), append(args, f.Amount)
	}
	switch f.Attention { // the partial indexes of migration 030
	case payments.AttentionNeedsReview:
		where = append(where, flaggedNeedsReview)
	case payments.AttentionPaidLate:
		where = append(where, listPaidLate)
	case payments.AttentionReviewed:
		where = append(where, "reviewed_at IS NOT NULL")
	}
	switch {
	case words != "":
		// The word index (migration 018) gives the few payments holding
		// the text's whole words; LIKE checks the text on each.
		like := "%" + likeEscaper.Replace(f.Text) + "%"
		where, args = append(where, `rowid IN (SELECT rowid FROM payments_words WHERE payments_words MATCH ?)`,
			`(reference LIKE ? ESCAPE '\' OR description LIKE ? ESCAPE '\')`), append(args, words, like, like)
	case rare:
		// The trigram index (migration 007): a phrase of the text's
		// trigrams is the text as a substring of a column, ignoring case.
		where, args = append(where, `rowid IN (SELECT rowid FROM payments_text WHERE payments_text MATCH ?)`),
			append(args, ftsPhrase(f.Text))
	case f.Text != "": // short or common: LIKE (ignoring ASCII case) along the newest-first walk
		like := "%" + likeEscaper.Replace(f.Text) + "%"
		where, args = append(where, `(reference LIKE ? ESCAPE '\' OR description LIKE ? ESCAPE '\')`), append(args, like, like)
	}
	if !f.From.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, f.From.UnixNano())
	}
	if !f.To.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, f.To.UnixNano())
	}
	if !f.PaidFrom.IsZero() {
		where, args = append(where, "paid_at >= ?"), append(args, f.PaidFrom.UnixNano())
	}
	if !f.PaidTo.IsZero() {
		where, args = append(where, "paid_at < ?"), append(args, f.PaidTo.UnixNano())
	}
	if f.BeforeID != "" {
		at := f.BeforeTime.UnixNano()
		// The same rows as (created_at, id) < (at, BeforeID), written so
		// that created_at <= ? bounds the index range: with the OR alone
		// SQLite walks a filtered index from its newest row down to the
		// cursor (a page deep in "paid" at 1,000,000 payments took 0.4 s).
		where, args = append(where, "created_at <= ? AND (created_at < ? OR id < ?)"), append(args, at, at, f.BeforeID)
	}
	q := `SELECT ` + paymentReadCols + ` FROM payments`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	return q, append(args, max(f.Limit, 0))
}

// ftsPhrase is text as one FTS5 phrase: its characters taken literally.
func ftsPhrase(text string) string { return `"` + strings.ReplaceAll(text, `"`, `""`) + `"` }

// commonText is how many matches make a search text common.
const commonText = 2000

// rareText reports whether the trigram index should answer a search for
// text: it has three characters at least (trigrams) and matches fewer
// than commonText payments. The index finds a rare text at once however
// many payments there are, but hands back every match to be sorted; a
// common one ("flat white") is found sooner by the list's own
// newest-first walk, which stops at the page's last row.
func (db *DB) rareText(ctx context.Context, text string) (bool, error) {
	if utf8.RuneCountInString(text) < 3 {
		return false, nil
	}
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM payments_text WHERE payments_text MATCH ? LIMIT ?)`,
		ftsPhrase(text), commonText).Scan(&n)
	return n < commonText, wrap("list payments: text", db.noteDamage(err))
}

// rareWords returns the word index's query for the whole words of text
// (payments.SearchWords) when they are held by fewer than commonText
// payments, else "": a common word ("white") is found sooner along the
// newest-first walk or through the trigram index.
func (db *DB) rareWords(ctx context.Context, text string) (string, error) {
	words := payments.SearchWords(text)
	if len(words) == 0 {
		return "", nil
	}
	phrases := make([]string, len(words))
	for i, w := range words {
		phrases[i] = ftsPhrase(w)
	}
	match := strings.Join(phrases, " AND ")
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM payments_words WHERE payments_words MATCH ? LIMIT ?)`,
		match, commonText).Scan(&n)
	if err != nil || n >= commonText {
		return "", wrap("list payments: words", db.noteDamage(err))
	}
	return match, nil
}

// likeEscaper makes text match itself in a LIKE pattern with ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// undelivered is the outbox condition on an events row aliased e.
const undelivered = `(%[1]s.webhook_state IS NULL OR %[1]s.webhook_state = 'retrying')`

// ClaimWebhookEvents leases the next event of each payment that has one
// due, in one statement, so two workers never take the same event.
func (db *DB) ClaimWebhookEvents(ctx context.Context, q payments.OutboxQuery) ([]payments.OutboxEvent, error) {
	if q.Limit <= 0 || len(q.Types) == 0 {
		return nil, nil
	}
	in := make([]string, len(q.Types))
	args := []any{q.Now.Add(q.Lease).UnixNano(), q.Now.UnixNano(), q.Since.UnixNano(), q.Limit}
	for i, t := range q.Types {
		in[i] = "?" + strconv.Itoa(i+5)
		args = append(args, t)
	}
	types := "(" + strings.Join(in, ", ") + ")"
	stmt := `UPDATE events SET webhook_next_at = ?1
		WHERE (payment_id, seq) IN (
			SELECT e.payment_id, e.seq FROM events e
			WHERE ` + strings.ReplaceAll(undelivered, "%[1]s", "e") + ` AND e.type IN ` + types + `
			AND e.created_at >= ?3 AND COALESCE(e.webhook_next_at, 0) <= ?2
			AND NOT EXISTS (SELECT 1 FROM events b WHERE b.payment_id = e.payment_id AND b.seq < e.seq
				AND ` + strings.ReplaceAll(undelivered, "%[1]s", "b") + ` AND b.type IN ` + types + `
				AND b.created_at >= ?3)
			ORDER BY e.created_at, e.payment_id, e.seq
			LIMIT ?4)
		RETURNING ` + eventCols + `, COALESCE(delivery_attempts, 0)`
	evs, err := queryAll(ctx, db.writer, func(s scanner) (payments.OutboxEvent, error) {
		var o payments.OutboxEvent
		e := &o.Event
		err := s.Scan(&e.PaymentID, &e.Seq, &e.Type, &e.From, &e.To, &e.Detail, timeCol{&e.CreatedAt}, &e.Data, &o.Attempts)
		return o, err
	}, stmt, args...)
	sort.Slice(evs, func(i, j int) bool {
		a, b := evs[i].Event, evs[j].Event
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		if a.PaymentID != b.PaymentID {
			return a.PaymentID < b.PaymentID
		}
		return a.Seq < b.Seq
	})
	return evs, wrap("claim webhook events", err)
}

const deliveryCols = `id, payment_id, seq, event_type, attempt, redelivery, status_code, error,
	duration_ns, at, state, next_at`

// RecordDelivery logs d and moves its event's outbox state, together.
func (db *DB) RecordDelivery(ctx context.Context, d payments.Delivery) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return wrap("record delivery", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (`+deliveryCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.PaymentID, d.Seq, d.EventType, d.Attempt,
		d.Redelivery, d.StatusCode, d.Error, int64(d.Duration), d.At.UnixNano(), string(d.State),
		nanos(d.NextAt)); err != nil {
		return wrap("record delivery", db.noteWrite(err))
	}
	res, err := tx.ExecContext(ctx, `UPDATE events SET webhook_state = ?1, delivery_attempts = ?2,
		webhook_next_at = ?3, delivered_at = CASE WHEN ?1 = 'delivered' THEN ?4 ELSE delivered_at END
		WHERE payment_id = ?5 AND seq = ?6`, string(d.State), d.Attempt, nanos(d.NextAt),
		d.At.UnixNano(), d.PaymentID, d.Seq)
	if err != nil {
		return wrap("record delivery: event", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return payments.ErrNotFound
	}
	if err := tx.Commit(); err != nil {
		return wrap("record delivery: commit", db.noteWrite(err))
	}
	db.wrote()
	return nil
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
// try is Superseded. Each has its event's time (EventAt).
func (db *DB) Deliveries(ctx context.Context, f payments.DeliveryFilter) ([]payments.Delivery, error) {
	var where []string
	var args []any
	if f.ID != "" {
		where, args = append(where, "id = ?"), append(args, f.ID)
	}
	if f.PaymentID != "" {
		where, args = append(where, "payment_id = ?"), append(args, f.PaymentID)
	}
	if f.Seq != 0 {
		where, args = append(where, "seq = ?"), append(args, f.Seq)
	}
	if f.State != "" {
		where, args = append(where, "d.state = ?", latestTry), append(args, string(f.State))
	}
	if !f.EventsAfter.IsZero() {
		where, args = append(where, eventAt+" > ?"), append(args, f.EventsAfter.UnixNano())
	}
	if !f.EventsUpTo.IsZero() {
		where, args = append(where, eventAt+" <= ?"), append(args, f.EventsUpTo.UnixNano())
	}
	if f.Before != "" {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	q := `SELECT ` + deliveryCols + `, NOT ` + latestTry + `, ` + eventAt + ` FROM webhook_deliveries d`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ?`
	ds, err := queryAll(ctx, db.reader, func(s scanner) (payments.Delivery, error) {
		var d payments.Delivery
		var ns int64
		err := s.Scan(&d.ID, &d.PaymentID, &d.Seq, &d.EventType, &d.Attempt, &d.Redelivery,
			&d.StatusCode, &d.Error, &ns, timeCol{&d.At}, &d.State, timeCol{&d.NextAt}, &d.Superseded, timeCol{&d.EventAt})
		d.Duration = time.Duration(ns)
		return d, err
	}, q, append(args, max(f.Limit, 0))...)
	return ds, wrap("deliveries", err)
}

// WebhookEndpointSince returns when a webhook endpoint was first
// configured (migration 040), recording q.Now when none was. A database
// upgraded from before 040 with events and no delivery (migration 042
// marks it -1) records the oldest event the earlier version would still
// have sent: of q.Types, at or after q.Since, not delivered nor given up.
func (db *DB) WebhookEndpointSince(ctx context.Context, q payments.OutboxQuery) (time.Time, error) {
	if _, err := db.execWrite(ctx, `INSERT INTO webhook_endpoint (id, since) VALUES (1, ?)
		ON CONFLICT (id) DO NOTHING`, q.Now.UnixNano()); err != nil {
		return time.Time{}, wrap("webhook endpoint", err)
	}
	in := make([]string, len(q.Types))
	args := []any{q.Now.UnixNano(), q.Since.UnixNano()}
	for i, t := range q.Types {
		in[i] = "?" + strconv.Itoa(i+3)
		args = append(args, t)
	}
	oldest := `NULL`
	if len(in) > 0 {
		oldest = `(SELECT MIN(e.created_at) FROM events e WHERE ` + strings.ReplaceAll(undelivered, "%[1]s", "e") +
			` AND e.type IN (` + strings.Join(in, ", ") + `) AND e.created_at >= ?2)`
	}
	if _, err := db.execWrite(ctx, `UPDATE webhook_endpoint SET since = COALESCE(`+oldest+`, ?1)
		WHERE id = 1 AND since < 0`, args...); err != nil {
		return time.Time{}, wrap("webhook endpoint: upgraded", err)
	}
	var ns int64
	if err := db.writer.QueryRowContext(ctx, `SELECT since FROM webhook_endpoint WHERE id = 1`).Scan(&ns); err != nil {
		return time.Time{}, wrap("webhook endpoint", err)
	}
	if ns == 0 {
		return time.Time{}, nil
	}
	return time.Unix(0, ns).UTC(), nil
}

// WebhookBacklog counts the events of q.Types created at or after q.Since
// that are neither delivered nor given up: the outbox backlog, for the
// metrics (payments/metrics).
func (db *DB) WebhookBacklog(ctx context.Context, q payments.OutboxQuery) (int, error) {
	if len(q.Types) == 0 {
		return 0, nil
	}
	in := make([]string, len(q.Types))
	args := []any{q.Since.UnixNano()}
	for i, t := range q.Types {
		in[i] = "?" + strconv.Itoa(i+2)
		args = append(args, t)
	}
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM events e WHERE `+strings.ReplaceAll(undelivered, "%[1]s", "e")+
		` AND e.type IN (`+strings.Join(in, ", ")+`) AND e.created_at >= ?1`, args...).Scan(&n)
	return n, wrap("webhook backlog", err)
}
