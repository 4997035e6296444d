package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/latipay-hpp/hpp/payments"
)

var _ payments.BulkCreator = (*DB)(nil)

// CreatePayments stores ps in one transaction, each row through the
// statements CreatePayment and Update execute (insertPayment,
// insertEvent, upsertAttempt), sent to the server as one pipelined batch
// instead of a round trip each. It is for seeding
// (payments.BulkCreator), so it rings no doorbell: no instance has
// these payments' pages open. A payment whose id is taken fails the
// whole call.
func (db *DB) CreatePayments(ctx context.Context, ps []payments.NewPayment) error {
	if len(ps) == 0 {
		return nil
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, np := range ps {
			p, ev := stored(np.Payment), np.Event
			b.Queue(insertPayment, paymentArgs(p)...)
			b.Queue(insertEvent, p.ID, int64(1), ev.Type, string(ev.From),
				string(ev.To), ev.Detail, ts(ev.CreatedAt), ev.Data)
			for _, a := range np.Attempts {
				a.PaymentID = p.ID
				b.Queue(upsertAttempt, attemptArgs(a)...).Exec(func(tag pgconn.CommandTag) error {
					if tag.RowsAffected() != 1 {
						return fmt.Errorf("attempt %s belongs to another payment: %w", a.Reference, payments.ErrConflict)
					}
					return nil
				})
			}
			for _, r := range np.Refunds {
				r.PaymentID = p.ID
				b.Queue(upsertRefund, refundArgs(r)...).Exec(func(tag pgconn.CommandTag) error {
					if tag.RowsAffected() != 1 {
						return fmt.Errorf("refund %s belongs to another payment: %w", r.ID, payments.ErrConflict)
					}
					return nil
				})
			}
		}
		return tx.SendBatch(ctx, b).Close()
	})
	return wrap("create payments", err)
}
