package postgres

import (
	"context"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// claimDue moves the next check of up to $3 due live attempts to $1 and
// returns them as updated. FOR UPDATE SKIP LOCKED makes a concurrent
// claimer (in this process or another instance) pass over the rows this
// one is taking, and at READ COMMITTED a row another claimer has already
// moved is re-checked against the WHERE and dropped, so no attempt is
// claimed twice. A NULL next_check_at means no check is scheduled.
const claimDue = `UPDATE attempts SET next_check_at = $1
	WHERE reference IN (
		SELECT reference FROM attempts
		WHERE status IN ($4, $5, $6) AND next_check_at IS NOT NULL AND next_check_at <= $2
			AND (status <> $6 OR order_id = '')
		ORDER BY next_check_at, reference
		LIMIT $3
		FOR UPDATE SKIP LOCKED)
	RETURNING ` + attemptCols

// ClaimDueAttempts returns up to limit live attempts, and paid ones
// without Latipay's order id (their query for it, repeated on the
// reconciliation schedule until Latipay answers), whose NextCheckAt
// is at or before now, the earliest due first chosen, and moves their
// NextCheckAt to now+lease, which the returned attempts carry.
func (db *DB) ClaimDueAttempts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]payments.Attempt, error) {
	if limit <= 0 {
		return nil, nil
	}
	as, err := queryAll(ctx, db.pool, scanAttempt, claimDue, ts(now.Add(lease)), ts(now), limit,
		string(payments.AttemptInitiated), string(payments.AttemptPending),
		string(payments.AttemptPaid))
	return as, wrap("claim due attempts", err)
}

// expiredPayments is ExpiredPayments' query. The two branches are each
// one range of payments_status_expires (status, expires_at) per open
// status, so the sweep reads only the payments that are due. Written as
// one condition, "expires_at IS NULL OR expires_at <= $4", PostgreSQL can
// uses the index for the status alone once its statistics say open
// payments are few (a settled history), and filters every open payment
// and every dead index entry of one until vacuum: in a table of 1,000,000
// with 10,000 open, none due, 10,018 buffers and 70 ms a sweep against 18
// buffers and 0.1 ms; the load harness's growth run, with thousands open,
// saw 240 to 430 ms. The reconciler sweeps every 5 seconds on every
// instance (TestExpiredPaymentsReadsOnlyDue).
// SQLite plans the single condition as two ranges itself (MULTI-INDEX OR).
// A failed payment is read through payments_failed_expires, which holds
// only the failed payments that may expire: a failed counter sale never
// does (payments.Expirable) and would stay in the failed range of
// payments_status_expires for good, fetched by every sweep. The failed
// branches spell the index's predicate with literals, so that PostgreSQL
// proves it in any plan, generic ones included; failedExpirable is it.
const expiredPayments = `SELECT id FROM (
	(SELECT id, expires_at FROM payments
		WHERE status IN ($1, $2) AND expires_at IS NULL
		ORDER BY id LIMIT $4)
	UNION ALL
	(SELECT id, expires_at FROM payments
		WHERE status IN ($1, $2) AND expires_at <= $3
		ORDER BY expires_at, id LIMIT $4)
	UNION ALL
	(SELECT id, expires_at FROM payments
		WHERE ` + failedExpirable + ` AND expires_at IS NULL
		ORDER BY id LIMIT $4)
	UNION ALL
	(SELECT id, expires_at FROM payments
		WHERE ` + failedExpirable + ` AND expires_at <= $3
		ORDER BY expires_at, id LIMIT $4)
	) due ORDER BY expires_at NULLS FIRST, id LIMIT $4`

// failedExpirable is payments_failed_expires' predicate (migration 038):
// a failed payment that is not a counter sale.
const failedExpirable = `status = 'failed' AND source NOT IN ('counter_qr', 'counter_scan')`

// ExpiredPayments returns the ids of up to limit payments still open
// (created, pending or failed) whose ExpiresAt is at or before now, the
// earliest first, save failed counter sales, which stay failed
// (payments.Expirable). A payment with no expiry counts as expired, as in
// payments.Payment.Expired.
func (db *DB) ExpiredPayments(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	ids, err := queryAll(ctx, db.pool, func(s scanner) (string, error) {
		var id string
		return id, s.Scan(&id)
	}, expiredPayments, string(payments.StatusCreated), string(payments.StatusPending), ts(now), limit)
	return ids, wrap("expired payments", err)
}

// claimDueRefunds is claimDue for pending refunds.
const claimDueRefunds = `UPDATE refunds SET next_check_at = $1
	WHERE id IN (
		SELECT id FROM refunds
		WHERE status = $4 AND next_check_at IS NOT NULL AND next_check_at <= $2
		ORDER BY next_check_at, id
		LIMIT $3
		FOR UPDATE SKIP LOCKED)
	RETURNING ` + refundCols

// ClaimDueRefunds returns up to limit pending refunds whose NextCheckAt
// is at or before now and moves their NextCheckAt to now+lease, which the
// returned refunds carry.
func (db *DB) ClaimDueRefunds(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]payments.Refund, error) {
	if limit <= 0 {
		return nil, nil
	}
	rs, err := queryAll(ctx, db.pool, scanRefund, claimDueRefunds, ts(now.Add(lease)), ts(now), limit,
		string(payments.RefundPending))
	return rs, wrap("claim due refunds", err)
}
