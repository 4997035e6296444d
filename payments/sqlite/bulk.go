package sqlite

import (
	"context"
	"fmt"

	"github.com/latipay-hpp/hpp/payments"
)

var _ payments.BulkCreator = (*DB)(nil)

// CreatePayments stores ps in one write transaction (one job of the group
// commit, so one fsync for all of them), each row through the statements
// CreatePayment and Update prepare and execute: insertPayment,
// insertEvent and upsertAttempt. It is for seeding (payments.BulkCreator);
// the payment cache is not filled, as a read of a cold payment would not
// fill it either until it is read. A payment whose id is taken fails the
// whole call.
func (db *DB) CreatePayments(ctx context.Context, ps []payments.NewPayment) error {
	if len(ps) == 0 {
		return nil
	}
	err := db.inTx(ctx, nil, func(ctx context.Context, tx cached) error {
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
		}
		return nil
	})
	return err
}
