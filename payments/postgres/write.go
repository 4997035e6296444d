package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/latipay-hpp/hpp/payments"
)

const (
	insertPayment = `INSERT INTO payments (` + paymentCols + `) VALUES
		($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`
	updatePayment = `UPDATE payments SET reference = $2, amount = $3, currency = $4,
		description = $5, method = $6, status = $7, source = $8, return_url = $9,
		cancel_url = $10, latipay_reference = $11, latipay_order_id = $12, attempts = $13,
		amount_cny = $14, currency_rate = $15, refunded = $16, paid_late = $17,
		needs_review = $18, version = $19, created_at = $20, updated_at = $21,
		expires_at = $22, paid_at = $23, reviewed_at = $24 WHERE id = $1`
	// upsertAttempt refuses to move an attempt to another payment: the
	// WHERE leaves the conflicting row unchanged, which the caller detects.
	upsertAttempt = `INSERT INTO attempts (` + attemptCols + `) VALUES
		($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (reference) DO UPDATE SET method = excluded.method,
		hosted = excluded.hosted, status = excluded.status, order_id = excluded.order_id,
		qr_code_url = excluded.qr_code_url, amount_cny = excluded.amount_cny,
		rate = excluded.rate, created_at = excluded.created_at,
		next_check_at = excluded.next_check_at, checks = excluded.checks
		WHERE attempts.payment_id = excluded.payment_id`
	insertEvent = `INSERT INTO events (` + eventCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	// insertNotification ignores a digest already recorded: Latipay repeats
	// notifications, and a repeat is not an error.
	insertNotification = `INSERT INTO notifications (` + notificationCols + `, payment_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (digest) DO NOTHING`
)

// errRace means a concurrent create took the idempotency key first; the
// caller rolls back and reads what it stored.
var errRace = errors.New("idempotency key taken concurrently")

// CreatePayment inserts p with ev as its first event. With a non-empty
// idem.Key a repeat with the same hash returns the stored payment and
// created == false; another hash returns payments.ErrIdempotencyReuse.
// Concurrent creates with one key are decided by the key's primary key:
// the loser waits for the winner's commit, rolls back and replays it.
func (db *DB) CreatePayment(ctx context.Context, p payments.Payment, ev payments.Event, idem payments.Idempotency) (payments.Payment, bool, error) {
	p = stored(p)
	for range 3 {
		var replay *payments.Payment
		err := db.inTx(ctx, func(tx pgx.Tx) error {
			if idem.Key != "" {
				var hash, id string
				err := tx.QueryRow(ctx, `SELECT hash, payment_id FROM idempotency WHERE key = $1`, idem.Key).Scan(&hash, &id)
				switch {
				case err == nil && hash != idem.Hash:
					return payments.ErrIdempotencyReuse
				case err == nil:
					got, err := scanPayment(tx.QueryRow(ctx, `SELECT `+paymentCols+` FROM payments WHERE id = $1`, id))
					if err != nil {
						return fmt.Errorf("idempotent replay: %w", err)
					}
					replay = &got
					return nil
				case !errors.Is(err, pgx.ErrNoRows):
					return fmt.Errorf("idempotency: %w", err)
				}
			}
			if _, err := tx.Exec(ctx, insertPayment, paymentArgs(p)...); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, insertEvent, p.ID, int64(1), ev.Type, string(ev.From),
				string(ev.To), ev.Detail, ts(ev.CreatedAt), ev.Data); err != nil {
				return fmt.Errorf("event: %w", err)
			}
			if idem.Key != "" {
				tag, err := tx.Exec(ctx, `INSERT INTO idempotency (key, hash, payment_id, created_at)
					VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING`, idem.Key, idem.Hash, p.ID, ts(db.now()))
				if err != nil {
					return fmt.Errorf("idempotency: %w", err)
				}
				if tag.RowsAffected() == 0 {
					return errRace
				}
			}
			if idem.Link.LinkID != "" {
				if _, err := tx.Exec(ctx, tieLinkUse, p.ID, idem.Link.LinkID, idem.Link.Key); err != nil {
					return fmt.Errorf("link use: %w", err)
				}
			}
			return nil
		})
		switch {
		case errors.Is(err, errRace):
			continue
		case errors.Is(err, payments.ErrIdempotencyReuse):
			return payments.Payment{}, false, err
		case err != nil:
			return payments.Payment{}, false, wrap("create payment", err)
		case replay != nil:
			return *replay, false, nil
		}
		db.ring(p)
		return p, true, nil
	}
	return payments.Payment{}, false, fmt.Errorf("postgres: create payment: %w", payments.ErrConflict)
}

// Update runs fn on the payment and its attempts inside one transaction
// that holds the payment row locked (FOR UPDATE), writes what fn
// recorded and, once committed, rings the doorbell. See payments.Store. When fn fails,
// its error is returned as is, with the payment as stored.
//
// Round trips are what a write costs here (each is a send and a receive
// in the app and in PostgreSQL's backend, and syscalls are dear on a
// virtual machine), so a write is two: BEGIN and the reads go to the
// server as one pipelined batch (the payment, locked first, then its
// attempts, refunds and last event number, read after the lock is held,
// so they are the latest committed), and the writes and COMMIT as
// another. COMMIT rides with the writes only when nothing in them needs
// a look before it: an attempt or refund that was not loaded with the
// payment may belong to another payment (its upsert then changes no row,
// which must refuse the write), so a write with one commits in a round
// trip of its own, after that check. A statement that fails makes the
// server skip the rest of its batch, COMMIT included; the transaction is
// then rolled back before the connection goes back to the pool.
//
// Concurrent Updates share that transaction, its round trips and its
// commit (group commit: see group.go), unless the URL says
// group_commit=off.
func (db *DB) Update(ctx context.Context, id string, fn func(tx *payments.Tx) error) (payments.Payment, error) {
	if db.group != nil {
		return db.updateGrouped(ctx, id, fn)
	}
	return db.updateOne(ctx, id, fn)
}

// updateOne is Update in a transaction of its own.
func (db *DB) updateOne(ctx context.Context, id string, fn func(tx *payments.Tx) error) (payments.Payment, error) {
	var (
		p     payments.Payment
		w     payments.Payment
		fnErr error
	)
	err := db.inPipelinedTx(ctx, func(c *pgxpool.Conn) error {
		var (
			as      []payments.Attempt
			rs      []payments.Refund
			lastSeq int64
			err     error
		)
		b := &pgx.Batch{}
		b.Queue(beginReadCommitted)
		b.Queue(`SELECT `+paymentCols+` FROM payments WHERE id = $1 FOR UPDATE`, id).QueryRow(func(r pgx.Row) error {
			p, err = scanPayment(r)
			if err != nil {
				return fmt.Errorf("load: %w", err)
			}
			return nil
		})
		b.Queue(`SELECT `+attemptCols+` FROM attempts WHERE payment_id = $1 ORDER BY created_at, seq`, id).Query(func(rows pgx.Rows) error {
			as, err = scanRows(rows, scanAttempt)
			if err != nil {
				return fmt.Errorf("load attempts: %w", err)
			}
			return nil
		})
		b.Queue(`SELECT `+refundCols+` FROM refunds WHERE payment_id = $1 ORDER BY created_at, seq`, id).Query(func(rows pgx.Rows) error {
			rs, err = scanRows(rows, scanRefund)
			if err != nil {
				return fmt.Errorf("load refunds: %w", err)
			}
			return nil
		})
		b.Queue(`SELECT COALESCE(MAX(seq), 0) FROM events WHERE payment_id = $1`, id).QueryRow(func(r pgx.Row) error {
			if err := r.Scan(&lastSeq); err != nil {
				return fmt.Errorf("event seq: %w", err)
			}
			return nil
		})
		if err := c.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		var (
			t          *payments.Tx
			commitWith bool
		)
		t, w, commitWith, fnErr, err = apply(ctx, c, p, as, rs, fn)
		if fnErr != nil || err != nil {
			if fnErr != nil {
				return fnErr
			}
			return err
		}
		if t == nil { // a transaction that wrote nothing
			_, err := c.Exec(ctx, "COMMIT")
			return err
		}
		if err := write(ctx, c, w, t, lastSeq, commitWith); err != nil {
			return err
		}
		if !commitWith {
			_, err := c.Exec(ctx, "COMMIT")
			return err
		}
		return nil
	})
	switch {
	case fnErr != nil:
		return p, fnErr
	case errors.Is(err, pgx.ErrNoRows):
		return payments.Payment{}, payments.ErrNotFound
	case err != nil:
		return p, wrap("update", err)
	}
	if w.Version != p.Version {
		db.ring(w)
	}
	return w, nil
}

// apply runs fn on the payment p (as read under its row lock) with its
// attempts and refunds, and works out what to write: the Tx (nil when fn
// changed nothing: w is then p), the payment as it will be stored, and
// whether COMMIT may ride with the writes (see Update). fnErr is fn's own
// refusal, or a link's use refused; err is the database's.
func apply(ctx context.Context, c *pgxpool.Conn, p payments.Payment, as []payments.Attempt, rs []payments.Refund,
	fn func(tx *payments.Tx) error) (t *payments.Tx, w payments.Payment, commitWith bool, fnErr, err error) {
	if !payments.NeedsRefunds(p.Status) {
		rs = nil
	}
	t = payments.NewTx(p, as, rs)
	if fnErr = fn(t); fnErr != nil {
		return nil, p, false, fnErr, nil
	}
	if !t.Changed() {
		return nil, p, false, nil, nil
	}
	if lc := t.LinkUse(); lc != payments.LinkUseKeep {
		// A round trip of its own, only for a link's payment changing
		// status: its step depends on what it reads.
		if err := linkUse(ctx, c, p.ID, lc); errors.Is(err, payments.ErrLinkUsedUp) {
			return nil, p, false, err, nil // as fn's own refusal: nothing is written
		} else if err != nil {
			return nil, p, false, nil, err
		}
	}
	w = stored(t.Payment)
	w.ID, w.Version = p.ID, p.Version+1
	loaded := make(map[string]bool, len(as)+len(rs))
	for _, a := range as {
		loaded["a:"+a.Reference] = true
	}
	for _, r := range rs {
		loaded["r:"+r.ID] = true
	}
	commitWith = true
	for _, a := range t.DirtyAttempts() {
		commitWith = commitWith && loaded["a:"+a.Reference]
	}
	for _, r := range t.DirtyRefunds() {
		commitWith = commitWith && loaded["r:"+r.ID]
	}
	return t, w, commitWith, nil, nil
}

// beginReadCommitted opens Update's transaction as the first statement of
// its reads' batch.
const beginReadCommitted = "BEGIN ISOLATION LEVEL READ COMMITTED"

// inPipelinedTx runs fn on a connection of the pool; fn opens and
// commits the transaction itself, inside its batches. Whatever fn
// leaves open (an error in a batch, fn's own error) is rolled back here:
// PostgreSQL reports the connection's transaction state with every
// batch's end, and a connection that cannot roll back is closed, which
// ends its transaction too.
func (db *DB) inPipelinedTx(ctx context.Context, fn func(c *pgxpool.Conn) error) error {
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if pc := c.Conn().PgConn(); !pc.IsClosed() && pc.TxStatus() != 'I' {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if _, err := c.Exec(rctx, "ROLLBACK"); err != nil {
				_ = pc.Close(rctx)
			}
			cancel()
		}
		c.Release()
	}()
	return fn(c)
}

// scanRows scans every row of rows with scan and closes rows.
func scanRows[T any](rows pgx.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// upsertRefund writes a refund; a refund never moves to another payment.
const upsertRefund = `INSERT INTO refunds (` + refundCols + `) VALUES
	($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
	ON CONFLICT (id) DO UPDATE SET status = excluded.status,
	key_hash = excluded.key_hash, request_hash = excluded.request_hash,
	gateway_code = excluded.gateway_code, gateway_message = excluded.gateway_message,
	updated_at = excluded.updated_at, next_check_at = excluded.next_check_at,
	checks = excluded.checks
	WHERE refunds.payment_id = excluded.payment_id`

// write stores the payment w and what t recorded, inside the open
// transaction on c, in one pipelined batch, ended by COMMIT when commit is
// true. lastSeq is the number of the payment's last event, read under the
// row lock.
func write(ctx context.Context, c *pgxpool.Conn, w payments.Payment, t *payments.Tx, lastSeq int64, commit bool) error {
	b := &pgx.Batch{}
	queueWrite(b, w, t, lastSeq, func(err error) error { return err })
	if commit {
		b.Queue("COMMIT")
	}
	if err := c.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// queueWrite queues on b the statements that store the payment w and
// what t recorded. Each statement that succeeds calls done with nil, or
// with the reason it must not count (an attempt or refund of another
// payment); done's answer is the statement's.
func queueWrite(b *pgx.Batch, w payments.Payment, t *payments.Tx, lastSeq int64, done func(error) error) {
	ok := func(pgconn.CommandTag) error { return done(nil) }
	b.Queue(updatePayment, paymentArgs(w)...).Exec(ok)
	for _, a := range t.DirtyAttempts() {
		a.PaymentID = w.ID
		b.Queue(upsertAttempt, attemptArgs(a)...).Exec(func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() != 1 {
				return done(fmt.Errorf("attempt %s belongs to another payment: %w", a.Reference, payments.ErrConflict))
			}
			return done(nil)
		})
	}
	for _, r := range t.DirtyRefunds() {
		r.PaymentID = w.ID
		b.Queue(upsertRefund, refundArgs(r)...).Exec(func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() != 1 {
				return done(fmt.Errorf("refund %s belongs to another payment: %w", r.ID, payments.ErrConflict))
			}
			return done(nil)
		})
	}
	seq := lastSeq
	for _, e := range t.NewEvents() {
		seq++
		b.Queue(insertEvent, w.ID, seq, e.Type, string(e.From), string(e.To), e.Detail, ts(e.CreatedAt), e.Data).Exec(ok)
	}
	for _, n := range t.NewNotifications() {
		b.Queue(insertNotification, n.Reference, n.Digest, n.Status, n.Body, n.Result, ts(n.At), w.ID).Exec(ok)
	}
}

// RecordOrphan keeps a verified notification that matches no attempt. A
// digest already recorded is ignored.
func (db *DB) RecordOrphan(ctx context.Context, n payments.Notification) error {
	_, err := db.pool.Exec(ctx, insertNotification, n.Reference, n.Digest, n.Status,
		n.Body, n.Result, ts(n.At), nil)
	return wrap("record orphan", err)
}
