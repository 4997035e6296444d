package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/latipay-hpp/hpp/payments"
)

var _ payments.ReportStore = (*DB)(nil)

// totalsQuery sums paid payments and accepted refunds over the periods
// given as a JSON array of [start, end) pairs in unix nanoseconds. Each
// period is a range scan of payments_paid or refunds_succeeded
// (migration 012).
const totalsQuery = `
WITH b (i, lo, hi) AS (
	SELECT CAST(key AS INTEGER), json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1)
)
SELECT i, currency, method, source, SUM(n), SUM(gross), SUM(refunds) FROM (
	SELECT b.i, p.currency, p.method, p.source, COUNT(*) AS n, SUM(p.amount) AS gross, 0 AS refunds
	FROM b JOIN payments p ON p.paid_at >= b.lo AND p.paid_at < b.hi AND p.paid_at IS NOT NULL
	GROUP BY b.i, p.currency, p.method, p.source
	UNION ALL
	SELECT b.i, p.currency, p.method, p.source, 0, 0, SUM(r.amount)
	FROM b JOIN refunds r ON r.status = 'succeeded' AND r.updated_at >= b.lo AND r.updated_at < b.hi
	JOIN payments p ON p.id = r.payment_id
	GROUP BY b.i, p.currency, p.method, p.source
)
GROUP BY i, currency, method, source
ORDER BY i, currency, method, source`

// Totals sums payments paid and refunds made in each period of q.
func (db *DB) Totals(ctx context.Context, q payments.TotalsQuery) ([]payments.TotalsRow, error) {
	if len(q.Bounds) < 2 {
		return nil, wrap("totals", errors.New("at least two bounds are needed"))
	}
	periods := make([][2]int64, len(q.Bounds)-1)
	for i := range periods {
		periods[i] = [2]int64{q.Bounds[i].UnixNano(), q.Bounds[i+1].UnixNano()}
	}
	arg, err := json.Marshal(periods)
	if err != nil {
		return nil, wrap("totals", err)
	}
	rows, err := queryAll(ctx, db.reader, func(s scanner) (payments.TotalsRow, error) {
		var r payments.TotalsRow
		err := s.Scan(&r.Period, &r.Currency, &r.Method, &r.Source, &r.Count, &r.Gross, &r.Refunds)
		return r, err
	}, totalsQuery, string(arg))
	return rows, wrap("totals", db.noteDamage(err))
}

// attentionQuery lists each kind of trouble, newest first, at most ?3 of
// each: flagged payments not yet reviewed, however old (payments_flagged,
// migration 030; one paid late and under review is listed once, under
// review, its anomaly the more specific reason), payments pending past
// their window (payments_status_expires) and events since ?1 whose
// webhook is refused (events_webhook_trouble).
const attentionQuery = `
SELECT * FROM (SELECT 'paid_late', id, reference, amount, currency, status, updated_at, ''
	FROM payments WHERE ` + flaggedPaidLate + `
	ORDER BY updated_at DESC LIMIT ?3)
UNION ALL
SELECT * FROM (SELECT 'needs_review', id, reference, amount, currency, status, updated_at, ''
	FROM payments WHERE ` + flaggedNeedsReview + `
	ORDER BY updated_at DESC LIMIT ?3)
UNION ALL
SELECT * FROM (SELECT 'stuck', id, reference, amount, currency, status, updated_at, ''
	FROM payments WHERE status = 'pending' AND expires_at < ?2
	ORDER BY expires_at DESC LIMIT ?3)
UNION ALL
SELECT * FROM (SELECT 'webhook', p.id, p.reference, p.amount, p.currency, p.status, e.created_at, e.type
	FROM events e JOIN payments p ON p.id = e.payment_id
	WHERE e.webhook_state IN ('retrying', 'failed') AND e.created_at >= ?1
	ORDER BY e.created_at DESC LIMIT ?3)`

// The flagged payments not yet reviewed, by kind, as the home page lists
// them and the list's filters select them: each condition names the
// partial indexes' own (migration 030) so that SQLite uses them.
const (
	flaggedOpen        = `(paid_late <> 0 OR needs_review <> 0) AND reviewed_at IS NULL`
	flaggedPaidLate    = flaggedOpen + ` AND paid_late <> 0 AND needs_review = 0`
	flaggedNeedsReview = flaggedOpen + ` AND needs_review <> 0`
	// listPaidLate is the list's "paid late" filter: every flagged payment
	// paid late and not yet reviewed, those also under review (which the
	// home page lists once, under review) included.
	listPaidLate = flaggedOpen + ` AND paid_late <> 0`
)

// attentionCountsQuery counts what attentionQuery lists, without its
// limit, through the same indexes.
const attentionCountsQuery = `
SELECT 'paid_late', count(*) FROM payments WHERE ` + flaggedPaidLate + `
UNION ALL
SELECT 'needs_review', count(*) FROM payments WHERE ` + flaggedNeedsReview + `
UNION ALL
SELECT 'stuck', count(*) FROM payments WHERE status = 'pending' AND expires_at < ?2
UNION ALL
SELECT 'webhook', count(*) FROM events e WHERE e.webhook_state IN ('retrying', 'failed') AND e.created_at >= ?1`

// Attention lists what needs a person's attention (payments.AttentionQuery).
func (db *DB) Attention(ctx context.Context, q payments.AttentionQuery) ([]payments.AttentionItem, error) {
	items, err := queryAll(ctx, db.reader, func(s scanner) (payments.AttentionItem, error) {
		var a payments.AttentionItem
		err := s.Scan(&a.Kind, &a.PaymentID, &a.Reference, &a.Amount, &a.Currency, &a.Status, timeCol{&a.At}, &a.EventType)
		return a, err
	}, attentionQuery, q.Since.UnixNano(), q.StuckBefore.UnixNano(), max(q.Limit, 0))
	return items, wrap("attention", db.noteDamage(err))
}

// AttentionCounts counts what Attention lists, every item of each kind.
func (db *DB) AttentionCounts(ctx context.Context, q payments.AttentionQuery) (map[string]int, error) {
	type kn struct {
		kind string
		n    int
	}
	rows, err := queryAll(ctx, db.reader, func(s scanner) (kn, error) {
		var r kn
		err := s.Scan(&r.kind, &r.n)
		return r, err
	}, attentionCountsQuery, q.Since.UnixNano(), q.StuckBefore.UnixNano())
	if err != nil {
		return nil, wrap("attention counts", db.noteDamage(err))
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.kind] = r.n
	}
	return out, nil
}

// misstatedRefundsQuery lists payments partially refunded or refunded
// whose succeeded refunds say another status: none succeeded (paid),
// some (partially refunded) or all of the amount (refunded), as
// payments.refundedStatus decides. payments_status_expires finds the
// statuses, refunds_payment each payment's refunds.
const misstatedRefundsQuery = `
SELECT id FROM (
	SELECT p.id, p.status, p.amount, COALESCE((SELECT SUM(r.amount) FROM refunds r
		WHERE r.payment_id = p.id AND r.status = 'succeeded'), 0) AS done
	FROM payments p WHERE p.status IN ('partially_refunded', 'refunded')
) t
WHERE status <> CASE WHEN done <= 0 THEN 'paid' WHEN done < amount THEN 'partially_refunded' ELSE 'refunded' END
ORDER BY id LIMIT ?1`

// MisstatedRefunds returns up to limit ids of payments whose refund
// status disagrees with their succeeded refunds.
func (db *DB) MisstatedRefunds(ctx context.Context, limit int) ([]string, error) {
	ids, err := queryAll(ctx, db.reader, func(s scanner) (string, error) {
		var id string
		err := s.Scan(&id)
		return id, err
	}, misstatedRefundsQuery, limit)
	return ids, wrap("misstated refunds", db.noteDamage(err))
}

// counterTotalsQuery is totalsQuery for the till's channels alone, each
// sale's figures under the device and the cashier of its counter_sales
// record (migration 015): none when it has none, so the rows still add
// up to the till channels' totals. Device and cashier names are read as
// they are now (a cashier without a name by their email); a removed
// cashier's as kept at the removal (migration 033), flagged removed.
const counterTotalsQuery = `
WITH b (i, lo, hi) AS (
	SELECT CAST(key AS INTEGER), json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1)
),
t (i, currency, method, source, payment_id, n, gross, refunds) AS (
	SELECT b.i, p.currency, p.method, p.source, p.id, 1, p.amount, 0
	FROM b JOIN payments p ON p.paid_at >= b.lo AND p.paid_at < b.hi AND p.paid_at IS NOT NULL
	WHERE p.source IN ('counter_qr', 'counter_scan')
	UNION ALL
	SELECT b.i, p.currency, p.method, p.source, p.id, 0, 0, r.amount
	FROM b JOIN refunds r ON r.status = 'succeeded' AND r.updated_at >= b.lo AND r.updated_at < b.hi
	JOIN payments p ON p.id = r.payment_id
	WHERE p.source IN ('counter_qr', 'counter_scan')
)
SELECT t.i, t.currency, t.method, t.source, COALESCE(s.device_id, ''), COALESCE(d.name, ''),
	COALESCE(s.account_id, ''), COALESCE(NULLIF(a.name, ''), a.email, NULLIF(ra.name, ''), ra.email, ''),
	a.id IS NULL AND ra.id IS NOT NULL, SUM(t.n), SUM(t.gross), SUM(t.refunds)
FROM t LEFT JOIN counter_sales s ON s.payment_id = t.payment_id
LEFT JOIN counter_devices d ON d.id = s.device_id
LEFT JOIN accounts a ON a.id = s.account_id
LEFT JOIN removed_accounts ra ON ra.id = s.account_id
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
ORDER BY 1, 2, 3, 4, 5, 7`

// CounterTotals sums the till's sales paid and refunds made in each
// period of q by device and cashier (payments.ReportStore).
func (db *DB) CounterTotals(ctx context.Context, q payments.TotalsQuery) ([]payments.CounterTotalsRow, error) {
	if len(q.Bounds) < 2 {
		return nil, wrap("counter totals", errors.New("at least two bounds are needed"))
	}
	periods := make([][2]int64, len(q.Bounds)-1)
	for i := range periods {
		periods[i] = [2]int64{q.Bounds[i].UnixNano(), q.Bounds[i+1].UnixNano()}
	}
	arg, err := json.Marshal(periods)
	if err != nil {
		return nil, wrap("counter totals", err)
	}
	rows, err := queryAll(ctx, db.reader, func(s scanner) (payments.CounterTotalsRow, error) {
		var r payments.CounterTotalsRow
		err := s.Scan(&r.Period, &r.Currency, &r.Method, &r.Source, &r.DeviceID, &r.DeviceName, &r.CashierID, &r.CashierName, &r.CashierRemoved,
			&r.Count, &r.Gross, &r.Refunds)
		return r, err
	}, counterTotalsQuery, string(arg))
	return rows, wrap("counter totals", db.noteDamage(err))
}

// ListRefunds returns refunds matching q, oldest first by the instant
// they count at (payments.RefundRow.At), with their payment's reference,
// method, channel and Latipay references.
func (db *DB) ListRefunds(ctx context.Context, q payments.RefundQuery) ([]payments.RefundRow, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	var where []string
	var args []any
	if !q.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, q.To.UnixNano())
	}
	for _, eq := range []struct{ col, v string }{{"status", string(q.Status)}, {"currency", string(q.Currency)},
		{"p_method", string(q.Method)}, {"p_source", q.Source}} {
		if eq.v != "" {
			where, args = append(where, eq.col+" = ?"), append(args, eq.v)
		}
	}
	if q.AfterID != "" {
		at := q.AfterAt.UnixNano()
		where, args = append(where, "(at > ? OR at = ? AND id > ?)"), append(args, at, at, q.AfterID)
	}
	sql := `SELECT ` + refundCols + `, p_reference, p_method, p_source, p_latipay_reference, p_latipay_order_id FROM (
		SELECT r.*, p.reference AS p_reference, p.method AS p_method, p.source AS p_source,
			p.latipay_reference AS p_latipay_reference, p.latipay_order_id AS p_latipay_order_id,
			CASE WHEN r.status = 'pending' THEN r.created_at ELSE r.updated_at END AS at
		FROM refunds r JOIN payments p ON p.id = r.payment_id) t`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	sql += ` ORDER BY at, id LIMIT ?`
	rows, err := queryAll(ctx, db.reader, func(s scanner) (payments.RefundRow, error) {
		var r payments.RefundRow
		err := s.Scan(&r.ID, &r.PaymentID, &r.Amount, &r.Currency, &r.Status, &r.Reason,
			&r.KeyHash, &r.RequestHash, &r.GatewayCode, &r.GatewayMessage,
			timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt}, timeCol{&r.NextCheckAt}, &r.Checks,
			&r.Reference, &r.Method, &r.Source, &r.LatipayReference, &r.LatipayOrderID)
		return r, err
	}, sql, append(args, q.Limit)...)
	return rows, wrap("list refunds", db.noteDamage(err))
}
