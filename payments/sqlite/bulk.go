package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/latipay-hpp/hpp/payments"
)

var _ payments.BulkCreator = (*DB)(nil)

// CreatePayments stores ps in one write transaction on the write
// connection, each row through the statements CreatePayment and Update
// prepare and execute: insertPayment, insertEvent and upsertAttempt. It is
// for seeding (payments.BulkCreator). A payment whose id is taken fails
// the whole call.
//
// It takes the one write connection for a transaction of its own, which
// orders it with the group commit's batches, rather than being a job of
// one (batch.go): it needs no record of its thousands of statements for a
// replay, since a failure rolls the whole call back. (As a job it was
// also O(n²) while batches held a savepoint open: each statement's
// savepoint was released by truncating the in-memory sub-journal, which
// modernc.org/sqlite walks from its start; a profile of 20,000 rows in
// chunks of 5,000 had 55% of the CPU in memjrnlTruncate.) The payment
// cache needs nothing: these payments are new, so a read before the
// commit finds nothing to cache, and one after it reads them.
func (db *DB) CreatePayments(ctx context.Context, ps []payments.NewPayment) error {
	if len(ps) == 0 {
		return nil
	}
	// Its transaction holds thousands of rows' pages: let SQLite spill
	// them to the WAL as the page cache fills (spilling).
	conn, done, err := db.spilling(ctx)
	if err != nil {
		return wrap("create payments: connection", db.noteDamage(err))
	}
	defer done()
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return wrap("create payments: begin", db.noteDamage(err))
	}
	defer sqlTx.Rollback()
	tx := cached{c: db.ws, tx: sqlTx}
	err = func() error {
		for _, np := range ps {
			p, ev := utc(np.Payment), np.Event
			if _, err := tx.ExecContext(ctx, insertPayment, paymentArgs(p)...); err != nil {
				return wrap("create payments: payment "+p.ID, err)
			}
			if _, err := tx.ExecContext(ctx, insertEvent, p.ID, 1, ev.Type, string(ev.From),
				string(ev.To), ev.Detail, nanos(ev.CreatedAt), ev.Data); err != nil {
				return wrap("create payments: event", err)
			}
			for _, a := range np.Attempts {
				a.PaymentID = p.ID
				res, err := tx.ExecContext(ctx, upsertAttempt, attemptArgs(a)...)
				if err != nil {
					return wrap("create payments: attempt", err)
				}
				if n, err := res.RowsAffected(); err != nil || n != 1 {
					return fmt.Errorf("sqlite: create payments: attempt %s belongs to another payment: %w", a.Reference, payments.ErrConflict)
				}
			}
			for _, r := range np.Refunds {
				r.PaymentID = p.ID
				res, err := tx.ExecContext(ctx, upsertRefund, refundArgs(r)...)
				if err != nil {
					return wrap("create payments: refund", err)
				}
				if n, err := res.RowsAffected(); err != nil || n != 1 {
					return fmt.Errorf("sqlite: create payments: refund %s belongs to another payment: %w", r.ID, payments.ErrConflict)
				}
			}
		}
		return indexText(ctx, tx)
	}()
	if err != nil {
		return db.noteWrite(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return wrap("create payments: commit", db.noteWrite(db.noteDamage(err)))
	}
	db.wrote()
	return nil
}

// spilling pins the write connection with SQLite's cache spilling back
// on, as by default, for a transaction of unbounded size: the bulk insert
// and the migrations (one may rewrite or index every payment). The
// batches turn it off (writerPragmas), which holds a transaction's dirty
// pages in memory until its commit: fine for a batch of at most maxBatch
// writes, not for a million rows. done turns it off again and releases
// the connection.
func (db *DB) spilling(ctx context.Context) (conn *sql.Conn, done func(), err error) {
	conn, err = db.writer.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA cache_spill = ON"); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, func() {
		conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_spill = OFF")
		conn.Close()
	}, nil
}
