package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// Times are stored as INTEGER unix nanoseconds, so they sort and compare
// in SQL and round-trip exactly; the zero time is NULL.

// nanos encodes t for a time column.
func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// timeCol scans a time column into *t, in UTC.
type timeCol struct{ t *time.Time }

// Scan implements sql.Scanner.
func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.Unix(0, v).UTC()
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

// querier is what queryAll needs; *sql.DB, *sql.Tx and cached have it.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// scanner is a *sql.Row, *sql.Rows or a row of the write connection's
// driver connection (raw.go).
type scanner interface{ Scan(dest ...any) error }

// rowSet is a *sql.Rows or the rows of the write connection's driver
// connection (raw.go).
type rowSet interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// paymentCols lists the payments columns in the order of paymentArgs.
const paymentCols = `id, reference, amount, currency, description, method, status, source,
	return_url, cancel_url, latipay_reference, latipay_order_id, attempts, amount_cny,
	currency_rate, refunded, paid_late, needs_review, version,
	created_at, updated_at, expires_at, paid_at`

// paymentReadCols are paymentCols and reviewed_at (migration 030), in the
// order of paymentDests. A payment is created unreviewed, so inserts name
// paymentCols alone; the updates set reviewed_at from the argument after
// last_seq.
const paymentReadCols = paymentCols + `, reviewed_at`

// paymentArgs are the values of paymentCols in p, followed by extra for
// any parameters a statement takes after them (in one slice: appending
// to a full one would copy it).
func paymentArgs(p payments.Payment, extra ...any) []any {
	a := make([]any, 0, 23+len(extra))
	a = append(a, p.ID, p.Reference, p.Amount, string(p.Currency), p.Description,
		string(p.Method), string(p.Status), p.Source, p.ReturnURL, p.CancelURL,
		p.LatipayReference, p.LatipayOrderID, p.Attempts, p.AmountCNY,
		p.CurrencyRate, p.Refunded, p.PaidLate, p.NeedsReview, p.Version,
		nanos(p.CreatedAt), nanos(p.UpdatedAt), nanos(p.ExpiresAt), nanos(p.PaidAt))
	return append(a, extra...)
}

func scanPayment(s scanner) (payments.Payment, error) {
	var p payments.Payment
	err := s.Scan(paymentDests(&p)...)
	return p, err
}

// paymentDests are the scan destinations of paymentReadCols in p, followed by
// extra for any columns a query selects after them.
func paymentDests(p *payments.Payment, extra ...any) []any {
	d := make([]any, 0, 24+len(extra))
	d = append(d, &p.ID, &p.Reference, &p.Amount, &p.Currency, &p.Description,
		&p.Method, &p.Status, &p.Source, &p.ReturnURL, &p.CancelURL,
		&p.LatipayReference, &p.LatipayOrderID, &p.Attempts, &p.AmountCNY,
		&p.CurrencyRate, &p.Refunded, &p.PaidLate, &p.NeedsReview, &p.Version,
		timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}, timeCol{&p.ExpiresAt}, timeCol{&p.PaidAt},
		timeCol{&p.ReviewedAt})
	return append(d, extra...)
}

// utc returns p with its times as the store will return them.
func utc(p payments.Payment) payments.Payment {
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	p.ExpiresAt, p.PaidAt, p.ReviewedAt = p.ExpiresAt.UTC(), p.PaidAt.UTC(), p.ReviewedAt.UTC()
	return p
}

// attemptCols lists the attempts columns in the order of attemptArgs.
const attemptCols = `reference, payment_id, method, hosted, status, order_id,
	qr_code_url, amount_cny, rate, created_at, next_check_at, checks, client, kind, pay_code_hash`

func attemptArgs(a payments.Attempt) []any {
	return []any{a.Reference, a.PaymentID, string(a.Method), a.Hosted, string(a.Status),
		a.OrderID, a.QRCodeURL, a.AmountCNY, a.Rate,
		nanos(a.CreatedAt), nanos(a.NextCheckAt), a.Checks, a.Client, string(a.Kind), a.PayCodeHash}
}

func scanAttempt(s scanner) (payments.Attempt, error) {
	var a payments.Attempt
	err := s.Scan(attemptDests(&a)...)
	return a, err
}

// attemptDests are the scan destinations of attemptCols in a.
func attemptDests(a *payments.Attempt) []any {
	return []any{&a.Reference, &a.PaymentID, &a.Method, &a.Hosted, &a.Status,
		&a.OrderID, &a.QRCodeURL, &a.AmountCNY, &a.Rate,
		timeCol{&a.CreatedAt}, timeCol{&a.NextCheckAt}, &a.Checks, &a.Client, &a.Kind, &a.PayCodeHash}
}

// qualified returns the comma-separated columns of cols, each prefixed
// with table and a dot.
func qualified(table, cols string) string {
	fields := strings.Split(cols, ",")
	for i, f := range fields {
		fields[i] = table + "." + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}

const eventCols = `payment_id, seq, type, from_status, to_status, detail, created_at, data`

func scanEvent(s scanner) (payments.Event, error) {
	var e payments.Event
	err := s.Scan(&e.PaymentID, &e.Seq, &e.Type, &e.From, &e.To, &e.Detail, timeCol{&e.CreatedAt}, &e.Data)
	return e, err
}

const notificationCols = `reference, digest, status, body, result, at`

func scanNotification(s scanner) (payments.Notification, error) {
	var n payments.Notification
	err := s.Scan(&n.Reference, &n.Digest, &n.Status, &n.Body, &n.Result, timeCol{&n.At})
	return n, err
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	var rows rowSet
	var err error
	if c, ok := q.(cached); ok {
		rows, err = c.rows(ctx, query, args...)
	} else {
		rows, err = q.QueryContext(ctx, query, args...)
	}
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
		r.KeyHash, r.RequestHash, r.GatewayCode, r.GatewayMessage,
		nanos(r.CreatedAt), nanos(r.UpdatedAt), nanos(r.NextCheckAt), r.Checks}
}

func scanRefund(s scanner) (payments.Refund, error) {
	var r payments.Refund
	err := s.Scan(&r.ID, &r.PaymentID, &r.Amount, &r.Currency, &r.Status, &r.Reason,
		&r.KeyHash, &r.RequestHash, &r.GatewayCode, &r.GatewayMessage,
		timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt}, timeCol{&r.NextCheckAt}, &r.Checks)
	return r, err
}
