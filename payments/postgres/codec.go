package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latipay-hpp/hpp/payments"
)

// Times are timestamptz, which keeps microseconds: the store truncates
// every time it writes, so what Update returns equals what a later read
// returns. The zero time is NULL.

// ts encodes t for a timestamptz column.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

// trunc returns t as the store keeps it.
func trunc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// timeCol scans a nullable timestamptz into *t, in UTC.
type timeCol struct{ t *time.Time }

// Scan implements sql.Scanner, which pgx honours.
func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case time.Time:
		*c.t = v.UTC()
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

// querier is what reads need; the pool and a transaction both have it.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// paymentCols lists the payments columns in the order of paymentArgs.
const paymentCols = `id, reference, amount, currency, description, method, status, source,
	return_url, cancel_url, latipay_reference, latipay_order_id, attempts, amount_cny,
	currency_rate, refunded, paid_late, needs_review, version,
	created_at, updated_at, expires_at, paid_at, reviewed_at`

func paymentArgs(p payments.Payment) []any {
	return []any{p.ID, p.Reference, p.Amount, string(p.Currency), p.Description,
		string(p.Method), string(p.Status), p.Source, p.ReturnURL, p.CancelURL,
		p.LatipayReference, p.LatipayOrderID, int64(p.Attempts), p.AmountCNY,
		p.CurrencyRate, p.Refunded, p.PaidLate, p.NeedsReview, p.Version,
		ts(p.CreatedAt), ts(p.UpdatedAt), ts(p.ExpiresAt), ts(p.PaidAt), ts(p.ReviewedAt)}
}

func scanPayment(s scanner) (payments.Payment, error) {
	var p payments.Payment
	var cur, method, status string
	var attempts int64
	err := s.Scan(&p.ID, &p.Reference, &p.Amount, &cur, &p.Description,
		&method, &status, &p.Source, &p.ReturnURL, &p.CancelURL,
		&p.LatipayReference, &p.LatipayOrderID, &attempts, &p.AmountCNY,
		&p.CurrencyRate, &p.Refunded, &p.PaidLate, &p.NeedsReview, &p.Version,
		timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}, timeCol{&p.ExpiresAt}, timeCol{&p.PaidAt},
		timeCol{&p.ReviewedAt})
	p.Currency, p.Method, p.Status, p.Attempts = payments.Currency(cur), payments.Method(method),
		payments.Status(status), int(attempts)
	return p, err
}

// stored returns p as the store keeps it: times in UTC to the microsecond.
func stored(p payments.Payment) payments.Payment {
	p.CreatedAt, p.UpdatedAt = trunc(p.CreatedAt), trunc(p.UpdatedAt)
	p.ExpiresAt, p.PaidAt, p.ReviewedAt = trunc(p.ExpiresAt), trunc(p.PaidAt), trunc(p.ReviewedAt)
	return p
}

// attemptCols lists the attempts columns in the order of attemptArgs.
const attemptCols = `reference, payment_id, method, hosted, status, order_id,
	qr_code_url, amount_cny, rate, created_at, next_check_at, checks, client, kind, pay_code_hash`

func attemptArgs(a payments.Attempt) []any {
	return []any{a.Reference, a.PaymentID, string(a.Method), a.Hosted, string(a.Status),
		a.OrderID, a.QRCodeURL, a.AmountCNY, a.Rate,
		ts(a.CreatedAt), ts(a.NextCheckAt), int64(a.Checks), a.Client, string(a.Kind), a.PayCodeHash}
}

func scanAttempt(s scanner) (payments.Attempt, error) {
	var a payments.Attempt
	var method, status, kind string
	var checks int64
	err := s.Scan(&a.Reference, &a.PaymentID, &method, &a.Hosted, &status,
		&a.OrderID, &a.QRCodeURL, &a.AmountCNY, &a.Rate,
		timeCol{&a.CreatedAt}, timeCol{&a.NextCheckAt}, &checks, &a.Client, &kind, &a.PayCodeHash)
	a.Method, a.Status, a.Checks = payments.Method(method), payments.AttemptStatus(status), int(checks)
	a.Kind = payments.AttemptKind(kind)
	return a, err
}

const eventCols = `payment_id, seq, type, from_status, to_status, detail, created_at, data`

func scanEvent(s scanner) (payments.Event, error) {
	var e payments.Event
	var from, to string
	err := s.Scan(&e.PaymentID, &e.Seq, &e.Type, &from, &to, &e.Detail, timeCol{&e.CreatedAt}, &e.Data)
	e.From, e.To = payments.Status(from), payments.Status(to)
	return e, err
}

const notificationCols = `reference, digest, status, body, result, at`

func scanNotification(s scanner) (payments.Notification, error) {
	var n payments.Notification
	err := s.Scan(&n.Reference, &n.Digest, &n.Status, &n.Body, &n.Result, timeCol{&n.At})
	return n, err
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
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

// refundCols lists the refunds columns in the order of refundArgs.
const refundCols = `id, payment_id, amount, currency, status, reason, key_hash, request_hash,
	gateway_code, gateway_message, created_at, updated_at, next_check_at, checks`

func refundArgs(r payments.Refund) []any {
	return []any{r.ID, r.PaymentID, r.Amount, string(r.Currency), string(r.Status), r.Reason,
		r.KeyHash, r.RequestHash, int64(r.GatewayCode), r.GatewayMessage,
		ts(r.CreatedAt), ts(r.UpdatedAt), ts(r.NextCheckAt), int64(r.Checks)}
}

func scanRefund(s scanner) (payments.Refund, error) {
	var r payments.Refund
	var currency, status string
	var code, checks int64
	err := s.Scan(&r.ID, &r.PaymentID, &r.Amount, &currency, &status, &r.Reason,
		&r.KeyHash, &r.RequestHash, &code, &r.GatewayMessage,
		timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt}, timeCol{&r.NextCheckAt}, &checks)
	r.Currency, r.Status = payments.Currency(currency), payments.RefundStatus(status)
	r.GatewayCode, r.Checks = int(code), int(checks)
	return r, err
}
