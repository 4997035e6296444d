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
	}, `SELECT id FROM payments
		WHERE status IN (?1, ?2, ?3) AND (expires_at IS NULL OR expires_at <= ?4)
			AND NOT (status = ?3 AND source IN (?6, ?7))
		ORDER BY expires_at, id LIMIT ?5`, string(payments.StatusCreated),
		string(payments.StatusPending), string(payments.StatusFailed), now.UnixNano(), limit,
		payments.SourceCounterQR, payments.SourceCounterScan)
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
