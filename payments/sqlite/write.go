package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/latipay-hpp/hpp/payments"
)

// Writes use the one-connection write pool. Every transaction begins
// IMMEDIATE, so it holds the write lock from its first statement and a
// read-then-write can never fail halfway with SQLITE_BUSY.

const (
	// insertPayment stores a payment with its first event's number,
	// last_seq = 1 (migration 004).
	insertPayment = `INSERT INTO payments (` + paymentCols + `, last_seq) VALUES
		(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, 1)`
	// The updates take paymentArgs and, as ?24, the number of the
	// payment's last event once this write's events are added, and as
	// ?25 when it was reviewed (migration 030).
	updatePayment = `UPDATE payments SET reference = ?2, amount = ?3, currency = ?4,
		description = ?5, method = ?6, status = ?7, source = ?8, return_url = ?9,
		cancel_url = ?10, latipay_reference = ?11, latipay_order_id = ?12, attempts = ?13,
		amount_cny = ?14, currency_rate = ?15, refunded = ?16, paid_late = ?17,
		needs_review = ?18, version = ?19, created_at = ?20, updated_at = ?21,
		expires_at = ?22, paid_at = ?23, last_seq = ?24, reviewed_at = ?25 WHERE id = ?1`
	// updatePaymentState is updatePayment for the usual case where the
	// merchant reference and creation time are unchanged: SQLite rewrites
	// the entries of every index holding a column in SET, so leaving them
	// out spares payments_reference and payments_created a delete and an
	// insert (and a dirty page each in the WAL) per write. It takes the same
	// arguments; ?2 and ?20 go unused.
	updatePaymentState = `UPDATE payments SET amount = ?3, currency = ?4,
		description = ?5, method = ?6, status = ?7, source = ?8, return_url = ?9,
		cancel_url = ?10, latipay_reference = ?11, latipay_order_id = ?12, attempts = ?13,
		amount_cny = ?14, currency_rate = ?15, refunded = ?16, paid_late = ?17,
		needs_review = ?18, version = ?19, updated_at = ?21,
		expires_at = ?22, paid_at = ?23, last_seq = ?24, reviewed_at = ?25 WHERE id = ?1`
	// updatePaymentStatus is updatePaymentState for the usual case of a
	// state change (a callback's paid transition, a failure, an expiry):
	// what the merchant asked for (amount, currency, description, method,
	// source, URLs) is unchanged too, so it is left out, and with it the
	// rewrites of payments_source_created and payments_method_created and
	// the full-text trigger (UPDATE OF reference, description). Fewer
	// index writes also mean fewer dirty pages for the commit to write.
	//
	// It and the two below take their own arguments (narrowArgs), in the
	// order their anonymous parameters appear, the row last: the driver
	// binds every parameter up to the highest number a statement names,
	// copying each string argument into C memory and, for a numbered
	// parameter, its name back into Go, used or not. They find the row by
	// the rowid Update's load read in the same transaction (one B-tree
	// search instead of the id index's and then the table's); the id is
	// checked as well, and a row count other than 1 is an error.
	updatePaymentStatus = `UPDATE payments SET status = ?, latipay_reference = ?,
		latipay_order_id = ?, attempts = ?, amount_cny = ?, currency_rate = ?,
		refunded = ?, paid_late = ?, needs_review = ?, version = ?, updated_at = ?,
		expires_at = ?, paid_at = ?, last_seq = ?, reviewed_at = ? WHERE rowid = ? AND id = ?`
	// updatePaymentStatusMethod is updatePaymentStatus for a state change
	// that also changes the method: a callback for an attempt with another
	// method than the one last started (the shopper switched wallets and
	// paid with the first). Only payments_method_created is added to the
	// indexes updatePaymentStatus rewrites; updatePaymentState would
	// rewrite those of the source and the amount too.
	updatePaymentStatusMethod = `UPDATE payments SET method = ?, status = ?, latipay_reference = ?,
		latipay_order_id = ?, attempts = ?, amount_cny = ?, currency_rate = ?,
		refunded = ?, paid_late = ?, needs_review = ?, version = ?, updated_at = ?,
		expires_at = ?, paid_at = ?, last_seq = ?, reviewed_at = ? WHERE rowid = ? AND id = ?`
	// updatePaymentAttempt is updatePaymentStatus for a write that leaves
	// the payment's state alone as well (status, Latipay's order id,
	// refunds, flags and review, the expiry and paid times): a checkout
	// start's first write (the new attempt's method, the current
	// reference, the count), an attempt's failure, a reconciliation check
	// that finds nothing new. With the status and expiry out of SET,
	// payments_status_expires and payments_status_created are not
	// rewritten either, and with reviewed_at out the partial indexes on
	// review are not checked. The method is set only when it changed
	// (updatePaymentBooks leaves it out).
	updatePaymentAttempt = `UPDATE payments SET method = ?, latipay_reference = ?, attempts = ?,
		amount_cny = ?, currency_rate = ?, version = ?, updated_at = ?, last_seq = ? WHERE rowid = ? AND id = ?`
	// updatePaymentBooks is updatePaymentAttempt with the method unchanged
	// too, which spares payments_method_created its rewrite.
	updatePaymentBooks = `UPDATE payments SET latipay_reference = ?, attempts = ?,
		amount_cny = ?, currency_rate = ?, version = ?, updated_at = ?, last_seq = ? WHERE rowid = ? AND id = ?`
	// upsertAttempt refuses to move an attempt to another payment: the
	// WHERE makes the conflicting row unchanged, which the caller detects.
	upsertAttempt = `INSERT INTO attempts (` + attemptCols + `) VALUES
		(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
		ON CONFLICT (reference) DO UPDATE SET method = excluded.method,
		hosted = excluded.hosted, status = excluded.status, order_id = excluded.order_id,
		qr_code_url = excluded.qr_code_url, amount_cny = excluded.amount_cny,
		rate = excluded.rate, created_at = excluded.created_at,
		next_check_at = excluded.next_check_at, checks = excluded.checks
		WHERE attempts.payment_id = excluded.payment_id`
	// updateAttemptState is upsertAttempt for an attempt already stored on
	// this payment with the same creation time (Update loaded it): a plain
	// UPDATE by key, without the upsert's attempted insert into the
	// reference index, its conflict handling and the foreign key check of
	// the payment, and with created_at left out (see updatePaymentState).
	// It takes attemptStateArgs (anonymous parameters, and the row by the
	// rowid Update's load read, as updatePaymentStatus). A row count other
	// than 1 is refused as upsertAttempt's conflict is.
	updateAttemptState = `UPDATE attempts SET method = ?, hosted = ?, status = ?,
		order_id = ?, qr_code_url = ?, amount_cny = ?, rate = ?,
		next_check_at = ?, checks = ? WHERE rowid = ? AND reference = ? AND payment_id = ?`
	// upsertRefund writes a refund; a refund never moves to another payment.
	upsertRefund = `INSERT INTO refunds (` + refundCols + `) VALUES
		(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status,
		key_hash = excluded.key_hash, request_hash = excluded.request_hash,
		gateway_code = excluded.gateway_code, gateway_message = excluded.gateway_message,
		updated_at = excluded.updated_at, next_check_at = excluded.next_check_at,
		checks = excluded.checks
		WHERE refunds.payment_id = excluded.payment_id`
	// updateRefundState is upsertRefund for a refund Update loaded: the
	// same columns, by key (see updateAttemptState). It takes refundArgs.
	updateRefundState = `UPDATE refunds SET status = ?5, key_hash = ?7, request_hash = ?8, gateway_code = ?9,
		gateway_message = ?10, updated_at = ?12, next_check_at = ?13, checks = ?14
		WHERE id = ?1 AND payment_id = ?2`
	insertEvent       = `INSERT INTO events (` + eventCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	insertIdempotency = `INSERT INTO idempotency (key, hash, payment_id, created_at) VALUES (?, ?, ?, ?)`
	// insertNotification ignores a digest already recorded: Latipay repeats
	// notifications, and a repeat is not an error.
	insertNotification = `INSERT INTO notifications (` + notificationCols + `, payment_id)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (reference, digest) DO NOTHING`
)

// CreatePayment inserts p with ev as its first event. With a non-empty
// idem.Key a repeat with the same hash returns the stored payment and
// created == false; another hash returns payments.ErrIdempotencyReuse.
// It returns once the write is committed (batch.go: group commit).
func (db *DB) CreatePayment(ctx context.Context, p payments.Payment, ev payments.Event, idem payments.Idempotency) (payments.Payment, bool, error) {
	var out payments.Payment
	created := false
	err := db.inTx(ctx, &out, func(ctx context.Context, tx cached) error {
		if idem.Key != "" {
			var hash, id string
			err := tx.QueryRowContext(ctx, `SELECT hash, payment_id FROM idempotency WHERE key = ?`,
				idem.Key).Scan(&hash, &id)
			switch {
			case err == nil && hash != idem.Hash:
				return payments.ErrIdempotencyReuse
			case err == nil:
				stored, err := scanPayment(tx.QueryRowContext(ctx, selectPayment, id))
				out = stored
				return wrap("create payment: idempotent replay", err)
			case !errors.Is(err, sql.ErrNoRows):
				return wrap("create payment: idempotency", err)
			}
		}
		p = utc(p)
		db.batch.created = true // fn runs on the writer goroutine
		if _, err := tx.ExecContext(ctx, insertPayment, paymentArgs(p)...); err != nil {
			return wrap("create payment", err)
		}
		if _, err := tx.ExecContext(ctx, insertEvent, p.ID, 1, ev.Type, string(ev.From),
			string(ev.To), ev.Detail, nanos(ev.CreatedAt), ev.Data); err != nil {
			return wrap("create payment: event", err)
		}
		if idem.Key != "" {
			if _, err := tx.ExecContext(ctx, insertIdempotency, idem.Key, idem.Hash, p.ID, db.now().UTC().UnixNano()); err != nil {
				return wrap("create payment: idempotency", err)
			}
		}
		if idem.Link.LinkID != "" {
			if _, err := tx.ExecContext(ctx, tieLinkUse, p.ID, idem.Link.LinkID, idem.Link.Key); err != nil {
				return wrap("create payment: link use", err)
			}
		}
		out, created = p, true
		return nil
	})
	if err != nil {
		return payments.Payment{}, false, err
	}
	return out, created, nil // the cache has it (batch.go)
}

// Update runs fn on the payment and its attempts inside one write
// transaction and writes what fn recorded. See payments.Store. When fn
// fails, its error is returned as is, with the payment as stored. It
// returns once the write is committed (batch.go: group commit).
//
// The reads and fn run on the writer goroutine, inside the batch's
// transaction (batch.go), so no other write, the reconciler's claims
// included (they wait for the one write connection), can come between
// the read and the write. An earlier version read and ran fn on the
// caller's goroutine and wrote with the version read as a precondition,
// retrying when it was stale: it moved work off the writer, but in the
// load harness it cost more CPU per callback than it saved (see
// e2e/load/README.md, "Callbacks: group commit and CPU"), so it was taken
// out.
//
// A write that records a notification already recorded (the same
// reference and digest: a callback's repeat that passed the duplicate
// check before its first copy committed, or that the check could not
// answer, NotificationTarget) is a repeat: it writes nothing, and Update
// returns the payment as stored and nil once the batch holding the first
// copy, if it is this one, has committed. The notifications' unique index
// decides it, as the first statement of the write, so a callback's first
// copy pays no read for it.
func (db *DB) Update(ctx context.Context, id string, fn func(tx *payments.Tx) error) (payments.Payment, error) {
	var stored, out payments.Payment
	var t *payments.Tx
	var fresh []string // references of the attempts the write inserted
	repeat := false
	err := db.inTx(ctx, &out, func(ctx context.Context, q cached) error {
		fresh, repeat = fresh[:0], false
		l, err := db.load(ctx, q, id)
		if err != nil {
			stored, t = payments.Payment{}, nil
			return err
		}
		stored, out = l.p, l.p
		// fn may change the attempts and refunds in place; write compares
		// with copies.
		t = payments.NewTx(l.p, slices.Clone(l.as), slices.Clone(l.rs))
		if err := fn(t); err != nil {
			return err
		}
		if !t.Changed() {
			return nil // nothing written
		}
		w := utc(t.Payment)
		w.ID, w.Version = id, l.p.Version+1
		if err := write(ctx, q, l, w, t); err != nil {
			if errors.Is(err, errRepeat) {
				repeat = true
				return nil // nothing written: a success that commits nothing (batch.go)
			}
			return err
		}
		for _, a := range t.DirtyAttempts() {
			if !slices.ContainsFunc(l.as, func(o payments.Attempt) bool { return o.Reference == a.Reference }) {
				fresh = append(fresh, a.Reference)
			}
		}
		out = w
		return nil
	})
	if err != nil {
		// fn's own refusal wrote nothing; a failed commit may have written
		// everything, and the writer goroutine dropped the cached payment.
		return stored, err
	}
	if repeat {
		for _, n := range t.NewNotifications() {
			db.refs.recorded(n.Reference, id, n.Digest)
		}
		return stored, nil
	}
	if t != nil && t.Changed() {
		db.written(out, t, fresh)
	}
	return out, nil
}

// errRepeat is write's answer for a write whose notifications are all
// recorded already: it has written nothing (Update).
var errRepeat = errors.New("sqlite: notification already recorded")

// loaded is a payment as Update read it, with what write needs.
type loaded struct {
	p       payments.Payment
	lastSeq int64 // the number of the payment's last event
	rowid   int64 // the payment's row
	as      []payments.Attempt
	aRowids []int64 // the rows of as, in order
	rs      []payments.Refund
}

// load reads the payment, its attempts and, when fn may need them, its
// refunds through q, which is the write connection's driver connection
// (the writer goroutine's batch): the payment and its attempts are one
// statement (selectPaymentAttemptsForUpdate), or, when the payment cache
// holds the payment, the attempts and the payment's version alone
// (loadCached).
func (db *DB) load(ctx context.Context, q cached, id string) (loaded, error) {
	if q.raw == nil {
		return loaded{}, errors.New("sqlite: update: load outside the writer goroutine")
	}
	l, ok, err := loadCached(q.raw, db.cache, id)
	if err == nil && !ok {
		l, err = loadJoined(q.raw, id)
	}
	if err != nil {
		return loaded{}, wrap("update: load", err)
	}
	if payments.NeedsRefunds(l.p.Status) {
		if l.rs, err = queryAll(ctx, q, scanRefund, selectRefunds, id); err != nil {
			return loaded{}, wrap("update: load refunds", err)
		}
	}
	return l, nil
}

// loadCached is loadJoined for a payment the payment cache (cache.go)
// holds: it reads the row's version, the number of its last event, the
// rowids and the attempts (selectVersionAttemptsForUpdate, 19 columns
// where loadJoined reads 42), and takes the payment's columns from the
// cache when the row has the cached version. Every write of a payment
// gives it a new version (Update; a payment is inserted once), and the
// cache only ever holds what a commit wrote or a read of the database
// found, so the row with the cached version holds the cached payment;
// that is checked here, inside the write transaction, so a payment an
// earlier write of the same batch changed (not yet committed, so not yet
// cached) has a newer version than the cache's, and is read in full. ok
// is false when the cache does not hold the payment or the versions
// differ: then nothing was loaded and loadJoined reads it all.
//
// In the callback's profile (handlers.BenchmarkCallback) most of the
// load's cost was per column, in the driver: each query copies every
// result column's name and declared type out of C memory, and every text
// value.
func loadCached(raw *rawConn, cache *paymentCache, id string) (l loaded, ok bool, err error) {
	p, ok := cache.get(id)
	if !ok {
		return loaded{}, false, nil
	}
	rows, err := raw.query(selectVersionAttemptsForUpdate, []any{id})
	if err != nil {
		return loaded{}, false, err
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	var version int64
	for first := true; rows.Next(); first = false {
		if first {
			if err := scanValues(rows.vals[:3], []any{&version, &l.lastSeq, &l.rowid}); err != nil {
				return loaded{}, false, err
			}
			if version != p.Version {
				return loaded{}, false, nil
			}
		}
		if rows.vals[3] == nil { // no attempt: the LEFT JOIN's one row
			continue
		}
		var a payments.Attempt
		var rowid int64
		if err := assign(&rowid, rows.vals[3]); err != nil {
			return loaded{}, false, err
		}
		if err := scanValues(rows.vals[4:], attemptDests(&a)); err != nil {
			return loaded{}, false, err
		}
		l.as, l.aRowids = append(l.as, a), append(l.aRowids, rowid)
	}
	if err := rows.Err(); err != nil {
		return loaded{}, false, err
	}
	if version == 0 { // no row: loadJoined says so
		return loaded{}, false, nil
	}
	l.p = p
	return l, true, nil
}

// loadJoined reads the payment id and its attempts with
// selectPaymentAttemptsForUpdate on the driver connection. No row is
// sql.ErrNoRows.
func loadJoined(raw *rawConn, id string) (l loaded, err error) {
	rows, err := raw.query(selectPaymentAttemptsForUpdate, []any{id})
	if err != nil {
		return loaded{}, err
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	dests := paymentDests(&l.p, &l.lastSeq, &l.rowid)
	n := len(dests) // the payment's columns; the attempt's rowid and columns follow
	for first := true; rows.Next(); first = false {
		if first {
			if err := scanValues(rows.vals[:n], dests); err != nil {
				return loaded{}, err
			}
		}
		if rows.vals[n] == nil { // no attempt: the LEFT JOIN's one row
			continue
		}
		var a payments.Attempt
		var rowid int64
		if err := assign(&rowid, rows.vals[n]); err != nil {
			return loaded{}, err
		}
		if err := scanValues(rows.vals[n+1:], attemptDests(&a)); err != nil {
			return loaded{}, err
		}
		l.as, l.aRowids = append(l.as, a), append(l.aRowids, rowid)
	}
	if err := rows.Err(); err != nil {
		return loaded{}, err
	}
	if l.p.ID == "" {
		return loaded{}, sql.ErrNoRows
	}
	return l, nil
}

// written tells the test hook and the reference cache about a committed
// write (the writer goroutine has given out to the payment cache,
// batch.go): the attempts it wrote (fresh: those it inserted) and the
// notifications it recorded.
func (db *DB) written(out payments.Payment, t *payments.Tx, fresh []string) {
	if h := db.hooks.returned; h != nil {
		h(out)
	}
	for _, a := range t.DirtyAttempts() {
		if slices.Contains(fresh, a.Reference) {
			db.refs.created(a.Reference, out.ID)
		} else {
			db.refs.put(a.Reference, out.ID)
		}
	}
	for _, n := range t.NewNotifications() {
		db.refs.recorded(n.Reference, out.ID, n.Digest)
	}
}

// paymentUpdate returns the narrowest UPDATE that stores w over p, the
// payment as read: SQLite rewrites the entries of every index holding a
// column in SET (or in a partial index's WHERE), changed or not, so each
// statement leaves out the columns it may assume unchanged.
func paymentUpdate(p, w payments.Payment) string {
	if w.Reference != p.Reference || !w.CreatedAt.Equal(p.CreatedAt) {
		return updatePayment
	}
	if w.Amount != p.Amount || w.Currency != p.Currency || w.Description != p.Description ||
		w.Source != p.Source || w.ReturnURL != p.ReturnURL || w.CancelURL != p.CancelURL {
		return updatePaymentState
	}
	if w.Status != p.Status || w.LatipayOrderID != p.LatipayOrderID || w.Refunded != p.Refunded ||
		w.PaidLate != p.PaidLate || w.NeedsReview != p.NeedsReview || !w.ExpiresAt.Equal(p.ExpiresAt) ||
		!w.PaidAt.Equal(p.PaidAt) || !w.ReviewedAt.Equal(p.ReviewedAt) {
		if w.Method != p.Method {
			return updatePaymentStatusMethod
		}
		return updatePaymentStatus
	}
	if w.Method != p.Method {
		return updatePaymentAttempt
	}
	return updatePaymentBooks
}

// narrowArgs are the arguments of update (updatePaymentStatus,
// updatePaymentStatusMethod, updatePaymentAttempt or updatePaymentBooks) for w, whose last event
// will be number lastSeq, stored in the row rowid.
func narrowArgs(update string, w payments.Payment, lastSeq, rowid int64) []any {
	switch update {
	case updatePaymentStatusMethod:
		return []any{string(w.Method), string(w.Status), w.LatipayReference, w.LatipayOrderID, w.Attempts,
			w.AmountCNY, w.CurrencyRate, w.Refunded, w.PaidLate, w.NeedsReview, w.Version,
			nanos(w.UpdatedAt), nanos(w.ExpiresAt), nanos(w.PaidAt), lastSeq, nanos(w.ReviewedAt), rowid, w.ID}
	case updatePaymentStatus:
		return []any{string(w.Status), w.LatipayReference, w.LatipayOrderID, w.Attempts,
			w.AmountCNY, w.CurrencyRate, w.Refunded, w.PaidLate, w.NeedsReview, w.Version,
			nanos(w.UpdatedAt), nanos(w.ExpiresAt), nanos(w.PaidAt), lastSeq, nanos(w.ReviewedAt), rowid, w.ID}
	case updatePaymentAttempt:
		return []any{string(w.Method), w.LatipayReference, w.Attempts, w.AmountCNY, w.CurrencyRate,
			w.Version, nanos(w.UpdatedAt), lastSeq, rowid, w.ID}
	default: // updatePaymentBooks
		return []any{w.LatipayReference, w.Attempts, w.AmountCNY, w.CurrencyRate,
			w.Version, nanos(w.UpdatedAt), lastSeq, rowid, w.ID}
	}
}

// attemptStateArgs are updateAttemptState's arguments for a, stored in
// the row rowid.
func attemptStateArgs(a payments.Attempt, rowid int64) []any {
	return []any{string(a.Method), a.Hosted, string(a.Status), a.OrderID, a.QRCodeURL,
		a.AmountCNY, a.Rate, nanos(a.NextCheckAt), a.Checks, rowid, a.Reference, a.PaymentID}
}

// write stores the payment w and what t recorded, inside tx, where l was
// read. Columns l shows unchanged are left out of the updates where that
// spares index writes.
func write(ctx context.Context, tx cached, l loaded, w payments.Payment, t *payments.Tx) error {
	p := l.p
	// First the notifications (a callback's one): when each is recorded
	// already the write is a repeat and stops here, having changed
	// nothing (Update). The statements that changed nothing are not kept
	// for a replay (batch.go): a replay would find the same rows.
	if ns := t.NewNotifications(); len(ns) > 0 {
		inserted := 0
		for _, n := range ns {
			res, err := tx.ExecContext(ctx, insertNotification, n.Reference, n.Digest, n.Status,
				n.Body, n.Result, nanos(n.At), w.ID)
			if err != nil {
				return wrap("update: notification", err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return wrap("update: notification", err)
			}
			inserted += int(k)
		}
		if inserted == 0 {
			if tx.rec != nil {
				*tx.rec = (*tx.rec)[:len(*tx.rec)-len(ns)]
			}
			return errRepeat
		}
	}
	if c := t.LinkUse(); c != payments.LinkUseKeep {
		// Before the payment's: a retake the link refuses fails the
		// write before it has changed anything (a write that also
		// records a notification, which none does, would be undone
		// and the batch replayed).
		if err := linkUse(ctx, tx, w.ID, c); err != nil {
			return err
		}
	}
	events := t.NewEvents()
	update, lastSeq := paymentUpdate(p, w), l.lastSeq+int64(len(events))
	var args []any
	switch update {
	case updatePayment, updatePaymentState:
		args = paymentArgs(w, lastSeq, nanos(w.ReviewedAt))
	default:
		args = narrowArgs(update, w, lastSeq, l.rowid)
	}
	res, err := tx.ExecContext(ctx, update, args...)
	if err != nil {
		return wrap("update: payment", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap("update: payment", err)
	} else if n != 1 {
		return fmt.Errorf("sqlite: update: payment %s: %d rows written, want 1", w.ID, n)
	}
	for _, a := range t.DirtyAttempts() {
		a.PaymentID = w.ID
		upsert, args := upsertAttempt, []any(nil)
		for i, old := range l.as {
			if old.Reference == a.Reference && old.PaymentID == a.PaymentID && old.CreatedAt.Equal(a.CreatedAt) {
				upsert, args = updateAttemptState, attemptStateArgs(a, l.aRowids[i])
				break
			}
		}
		if args == nil {
			args = attemptArgs(a)
		}
		res, err := tx.ExecContext(ctx, upsert, args...)
		if err != nil {
			return wrap("update: attempt", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("sqlite: update: attempt %s belongs to another payment: %w", a.Reference, payments.ErrConflict)
		}
	}
	for _, r := range t.DirtyRefunds() {
		r.PaymentID = w.ID
		upsert := upsertRefund
		for _, old := range l.rs {
			if old.ID == r.ID && old.PaymentID == r.PaymentID {
				upsert = updateRefundState
				break
			}
		}
		res, err := tx.ExecContext(ctx, upsert, refundArgs(r)...)
		if err != nil {
			return wrap("update: refund", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("sqlite: update: refund %s belongs to another payment: %w", r.ID, payments.ErrConflict)
		}
	}
	seq := l.lastSeq
	for _, e := range events {
		seq++
		if _, err := tx.ExecContext(ctx, insertEvent, w.ID, seq, e.Type, string(e.From),
			string(e.To), e.Detail, nanos(e.CreatedAt), e.Data); err != nil {
			return wrap("update: event", err)
		}
	}
	return nil
}

// RecordOrphan keeps a verified notification that matches no attempt. A
// digest already recorded is ignored.
func (db *DB) RecordOrphan(ctx context.Context, n payments.Notification) error {
	_, err := db.execWrite(ctx, insertNotification, n.Reference, n.Digest, n.Status,
		n.Body, n.Result, nanos(n.At), nil)
	return wrap("record orphan", err)
}
