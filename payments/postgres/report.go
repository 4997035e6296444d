package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latipay-hpp/hpp/payments"
)

var _ payments.ReportStore = (*DB)(nil)

// totalsQuery sums paid payments and accepted refunds over the periods
// [$1[i], $2[i]). Each period is a range scan of payments_paid or
// refunds_succeeded (migration 012). It is planned for its bounds every
// time (QueryExecModeExec): after five runs of a prepared statement
// PostgreSQL may settle on a generic plan, which cannot see how narrow
// the bounds are and reads the whole table (600 ms over 1,000,000
// payments instead of 2 ms; BenchmarkReports).
const totalsQuery = `
WITH b (lo, hi, i) AS (
	SELECT * FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY
)
SELECT (i - 1)::bigint, currency, method, source, SUM(n)::bigint, SUM(gross)::bigint, SUM(refunds)::bigint FROM (
	SELECT b.i, p.currency, p.method, p.source, COUNT(*) AS n, SUM(p.amount) AS gross, 0::numeric AS refunds
	FROM b JOIN payments p ON p.paid_at >= b.lo AND p.paid_at < b.hi AND p.paid_at IS NOT NULL
	GROUP BY b.i, p.currency, p.method, p.source
	UNION ALL
	SELECT b.i, p.currency, p.method, p.source, 0, 0, SUM(r.amount)
	FROM b JOIN refunds r ON r.status = 'succeeded' AND r.updated_at >= b.lo AND r.updated_at < b.hi
	JOIN payments p ON p.id = r.payment_id
	GROUP BY b.i, p.currency, p.method, p.source
) t
GROUP BY i, currency, method, source
ORDER BY i, currency, method, source`

// Totals sums payments paid and refunds made in each period of q.
func (db *DB) Totals(ctx context.Context, q payments.TotalsQuery) ([]payments.TotalsRow, error) {
	if len(q.Bounds) < 2 {
		return nil, wrap("totals", errors.New("at least two bounds are needed"))
	}
	lo, hi := make([]time.Time, len(q.Bounds)-1), make([]time.Time, len(q.Bounds)-1)
	for i := range lo {
		lo[i], hi[i] = trunc(q.Bounds[i]), trunc(q.Bounds[i+1])
	}
	rows, err := queryAll(ctx, db.pool, func(s scanner) (payments.TotalsRow, error) {
		var r payments.TotalsRow
		var period int64
		err := s.Scan(&period, &r.Currency, &r.Method, &r.Source, &r.Count, &r.Gross, &r.Refunds)
		r.Period = int(period)
		return r, err
	}, totalsQuery, pgx.QueryExecModeExec, lo, hi) // a plan for these bounds, never a generic one
	return rows, wrap("totals", err)
}

// attentionQuery lists each kind of trouble, newest first, at most $3 of
// each: flagged payments not yet reviewed, however old (payments_flagged,
// migration 032; one paid late and under review is listed once, under
// review, its anomaly the more specific reason), payments pending past
// their window (payments_status_expires) and events since $1 whose
// webhook is refused (events_webhook_trouble).
const attentionQuery = `
(SELECT 'paid_late', id, reference, amount, currency, status, updated_at, ''
	FROM payments WHERE ` + flaggedPaidLate + `
	ORDER BY updated_at DESC LIMIT $3)
UNION ALL
(SELECT 'needs_review', id, reference, amount, currency, status, updated_at, ''
	FROM payments WHERE ` + flaggedNeedsReview + `
	ORDER BY updated_at DESC LIMIT $3)
UNION ALL
(SELECT 'stuck', id, reference, amount, currency, status, updated_at, ''
	FROM payments WHERE status = 'pending' AND expires_at < $2
	ORDER BY expires_at DESC LIMIT $3)
UNION ALL
(SELECT 'webhook', p.id, p.reference, p.amount, p.currency, p.status, e.created_at, e.type
	FROM events e JOIN payments p ON p.id = e.payment_id
	WHERE e.webhook_state IN ('retrying', 'failed') AND e.created_at >= $1
	ORDER BY e.created_at DESC LIMIT $3)`

// The flagged payments not yet reviewed, by kind, as the home page lists
// them and the list's filters select them, in the partial indexes' own
// terms (migration 032).
const (
	flaggedOpen        = `(paid_late OR needs_review) AND reviewed_at IS NULL`
	flaggedPaidLate    = flaggedOpen + ` AND paid_late AND NOT needs_review`
	flaggedNeedsReview = flaggedOpen + ` AND needs_review`
	// listPaidLate is the list's "paid late" filter: every flagged payment
	// paid late and not yet reviewed, those also under review (which the
	// home page lists once, under review) included.
	listPaidLate = flaggedOpen + ` AND paid_late`
)

// attentionCountsQuery counts what attentionQuery lists, without its
// limit, through the same indexes.
const attentionCountsQuery = `
SELECT 'paid_late', count(*) FROM payments WHERE ` + flaggedPaidLate + `
UNION ALL
SELECT 'needs_review', count(*) FROM payments WHERE ` + flaggedNeedsReview + `
UNION ALL
SELECT 'stuck', count(*) FROM payments WHERE status = 'pending' AND expires_at < $2
UNION ALL
SELECT 'webhook', count(*) FROM events e WHERE e.webhook_state IN ('retrying', 'failed') AND e.created_at >= $1`

// Attention lists what needs a person's attention (payments.AttentionQuery).
func (db *DB) Attention(ctx context.Context, q payments.AttentionQuery) ([]payments.AttentionItem, error) {
	items, err := queryAll(ctx, db.pool, func(s scanner) (payments.AttentionItem, error) {
		var a payments.AttentionItem
		err := s.Scan(&a.Kind, &a.PaymentID, &a.Reference, &a.Amount, &a.Currency, &a.Status, timeCol{&a.At}, &a.EventType)
		return a, err
	}, attentionQuery, trunc(q.Since), trunc(q.StuckBefore), max(q.Limit, 0))
	return items, wrap("attention", err)
}

// AttentionCounts counts what Attention lists, every item of each kind.
func (db *DB) AttentionCounts(ctx context.Context, q payments.AttentionQuery) (map[string]int, error) {
	type kn struct {
		kind string
		n    int64
	}
	rows, err := queryAll(ctx, db.pool, func(s scanner) (kn, error) {
		var r kn
		err := s.Scan(&r.kind, &r.n)
		return r, err
	}, attentionCountsQuery, trunc(q.Since), trunc(q.StuckBefore))
	if err != nil {
		return nil, wrap("attention counts", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.kind] = int(r.n)
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
ORDER BY id LIMIT $1`

// MisstatedRefunds returns up to limit ids of payments whose refund
// status disagrees with their succeeded refunds.
func (db *DB) MisstatedRefunds(ctx context.Context, limit int) ([]string, error) {
	ids, err := queryAll(ctx, db.pool, func(s scanner) (string, error) {
		var id string
		err := s.Scan(&id)
		return id, err
	}, misstatedRefundsQuery, limit)
	return ids, wrap("misstated refunds", err)
}

// counterTotalsQuery is totalsQuery for the till's channels alone, each
// sale's figures under the device and the cashier of its counter_sales
// record (migration 015): none when it has none, so the rows still add
// up to the till channels' totals. Device and cashier names are read as
// they are now (a cashier without a name by their email). Planned for its bounds every time, like totalsQuery.
const counterTotalsQuery = `
WITH b (lo, hi, i) AS (
	SELECT * FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY
),
t AS (
	SELECT b.i, p.currency, p.method, p.source, p.id AS payment_id, 1 AS n, p.amount AS gross, 0::bigint AS refunds
	FROM b JOIN payments p ON p.paid_at >= b.lo AND p.paid_at < b.hi AND p.paid_at IS NOT NULL
	WHERE p.source IN ('counter_qr', 'counter_scan')
	UNION ALL
	SELECT b.i, p.currency, p.method, p.source, p.id, 0, 0, r.amount
	FROM b JOIN refunds r ON r.status = 'succeeded' AND r.updated_at >= b.lo AND r.updated_at < b.hi
	JOIN payments p ON p.id = r.payment_id
	WHERE p.source IN ('counter_qr', 'counter_scan')
)
SELECT (t.i - 1)::bigint, t.currency, t.method, t.source, COALESCE(s.device_id, ''), COALESCE(d.name, ''),
	COALESCE(s.account_id, ''), COALESCE(NULLIF(a.name, ''), a.email, NULLIF(ra.name, ''), ra.email, ''),
	a.id IS NULL AND ra.id IS NOT NULL, SUM(t.n)::bigint, SUM(t.gross)::bigint, SUM(t.refunds)::bigint
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
	lo, hi := make([]time.Time, len(q.Bounds)-1), make([]time.Time, len(q.Bounds)-1)
	for i := range lo {
		lo[i], hi[i] = trunc(q.Bounds[i]), trunc(q.Bounds[i+1])
	}
	rows, err := queryAll(ctx, db.pool, func(s scanner) (payments.CounterTotalsRow, error) {
		var r payments.CounterTotalsRow
		var period int64
		err := s.Scan(&period, &r.Currency, &r.Method, &r.Source, &r.DeviceID, &r.DeviceName, &r.CashierID, &r.CashierName, &r.CashierRemoved,
			&r.Count, &r.Gross, &r.Refunds)
		r.Period = int(period)
		return r, err
	}, counterTotalsQuery, pgx.QueryExecModeExec, lo, hi)
	return rows, wrap("counter totals", err)
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
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if !q.From.IsZero() {
		where = append(where, "at >= "+arg(ts(q.From)))
	}
	if !q.To.IsZero() {
		where = append(where, "at < "+arg(ts(q.To)))
	}
	for _, eq := range []struct{ col, v string }{{"status", string(q.Status)}, {"currency", string(q.Currency)},
		{"p_method", string(q.Method)}, {"p_source", q.Source}} {
		if eq.v != "" {
			where = append(where, eq.col+" = "+arg(eq.v))
		}
	}
	if q.AfterID != "" {
		where = append(where, "(at, id) > ("+arg(ts(q.AfterAt))+", "+arg(q.AfterID)+")")
	}
	sql := `SELECT ` + refundCols + `, p_reference, p_method, p_source, p_latipay_reference, p_latipay_order_id FROM (
		SELECT r.*, p.reference AS p_reference, p.method AS p_method, p.source AS p_source,
			p.latipay_reference AS p_latipay_reference, p.latipay_order_id AS p_latipay_order_id,
			CASE WHEN r.status = 'pending' THEN r.created_at ELSE r.updated_at END AS at
		FROM refunds r JOIN payments p ON p.id = r.payment_id) t`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	sql += ` ORDER BY at, id LIMIT ` + arg(q.Limit)
	rows, err := queryAll(ctx, db.pool, func(s scanner) (payments.RefundRow, error) {
		var r payments.RefundRow
		var currency, status, method string
		var code, checks int64
		err := s.Scan(&r.ID, &r.PaymentID, &r.Amount, &currency, &status, &r.Reason,
			&r.KeyHash, &r.RequestHash, &code, &r.GatewayMessage,
			timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt}, timeCol{&r.NextCheckAt}, &checks,
			&r.Reference, &method, &r.Source, &r.LatipayReference, &r.LatipayOrderID)
		r.Currency, r.Status, r.Method = payments.Currency(currency), payments.RefundStatus(status), payments.Method(method)
		r.GatewayCode, r.Checks = int(code), int(checks)
		return r, err
	}, sql, args...)
	return rows, wrap("list refunds", err)
}
