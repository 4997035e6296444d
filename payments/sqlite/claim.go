package sqlite

import (
	"context"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// claimDue moves the next check of up to ?3 due live attempts to ?1 and
// returns them as updated. It is one statement, so two claimers (in this
// process or another) can never take the same attempt: the second sees the
// new next_check_at. A NULL next_check_at means no check is scheduled.
const claimDue = `UPDATE attempts SET next_check_at = ?1
	WHERE reference IN (
		SELECT reference FROM attempts
		WHERE status IN (?4, ?5, ?6) AND next_check_at IS NOT NULL AND next_check_at <= ?2
			AND (status <> ?6 OR order_id = '')
		ORDER BY next_check_at, reference
		LIMIT ?3)
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
	as, err := queryAll(ctx, db.writer, scanAttempt, claimDue, now.Add(lease).UnixNano(),
		now.UnixNano(), limit, string(payments.AttemptInitiated), string(payments.AttemptPending),
		string(payments.AttemptPaid))
	return as, wrap("claim due attempts", db.noteDamage(err))
}

// failedExpirable is payments_failed_expires' predicate (migration 035),
// spelled as the index spells it so that SQLite uses the index: a failed
// payment that is not a counter sale. A failed counter sale never expires
// (payments.Expirable) and stays failed for good; in the failed range of
// payments_status_expires every sweep would read it.
const failedExpirable = `status = 'failed' AND source NOT IN ('counter_qr', 'counter_scan')`

// expiredPayments is ExpiredPayments' query: created and pending payments
// as before, failed ones through payments_failed_expires, named (INDEXED
// BY) because the planner's statistics of a table whose failed payments
// are mostly counter sales make it prefer the status index, which holds
// them all (TestExpiredPaymentsUseFailedIndex).
const expiredPayments = `SELECT id FROM (
		SELECT id, expires_at FROM payments
		WHERE status IN (?1, ?2) AND (expires_at IS NULL OR expires_at <= ?3)
		UNION ALL
		SELECT id, expires_at FROM payments INDEXED BY payments_failed_expires
		WHERE ` + failedExpirable + ` AND (expires_at IS NULL OR expires_at <= ?3)
	) ORDER BY expires_at, id LIMIT ?4`

// ExpiredPayments returns the ids of up to limit payments still open
// (created, pending or failed) whose ExpiresAt is at or before now, the
// earliest first, save failed counter sales, which stay failed
// (payments.Expirable). A payment with no expiry counts as expired, as in
// payments.Payment.Expired.
func (db *DB) ExpiredPayments(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	ids, err := queryAll(ctx, db.reader, func(s scanner) (string, error) {
		var id string
		return id, s.Scan(&id)
	}, expiredPayments, string(payments.StatusCreated),
		string(payments.StatusPending), now.UnixNano(), limit)
	return ids, wrap("expired payments", db.noteDamage(err))
}

// claimDueRefunds is claimDue for pending refunds.
const claimDueRefunds = `UPDATE refunds SET next_check_at = ?1
	WHERE id IN (
		SELECT id FROM refunds
		WHERE status = ?4 AND next_check_at IS NOT NULL AND next_check_at <= ?2
		ORDER BY next_check_at, id
		LIMIT ?3)
	RETURNING ` + refundCols

// ClaimDueRefunds returns up to limit pending refunds whose NextCheckAt
// is at or before now and moves their NextCheckAt to now+lease, which the
// returned refunds carry.
func (db *DB) ClaimDueRefunds(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]payments.Refund, error) {
	if limit <= 0 {
		return nil, nil
	}
	rs, err := queryAll(ctx, db.writer, scanRefund, claimDueRefunds, now.Add(lease).UnixNano(),
		now.UnixNano(), limit, string(payments.RefundPending))
	return rs, wrap("claim due refunds", err)
}
