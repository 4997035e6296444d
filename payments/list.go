package payments

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ListInput is a merchant's query over their payments.
type ListInput struct {
	Status    string // "" for all
	Reference string // "" for all
	Cursor    string // from a previous page's Next; "" for the first page
	Limit     int    // 1..100; 0 means 20
}

// PaymentPage is one page of payments, newest first.
type PaymentPage struct {
	Payments []Payment
	Next     string // cursor of the next page; "" on the last
}

// Limits of a page of payments.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// List returns one page of payments matching in, newest first.
func (s *Service) List(ctx context.Context, in ListInput) (PaymentPage, error) {
	f := PaymentFilter{Status: Status(in.Status), Reference: in.Reference, Limit: in.Limit}
	var problems []string
	if in.Status != "" && !f.Status.Valid() {
		problems = append(problems, "status must be one of created, pending, paid, failed, expired, canceled, refunded, partially_refunded")
	}
	if f.Limit == 0 {
		f.Limit = defaultPageSize
	}
	if f.Limit < 1 || f.Limit > maxPageSize {
		problems = append(problems, fmt.Sprintf("limit must be between 1 and %d", maxPageSize))
	}
	if in.Cursor != "" {
		var ok bool
		if f.BeforeTime, f.BeforeID, ok = decodeCursor(in.Cursor); !ok {
			problems = append(problems, "cursor is not one this API gave out")
		}
	}
	if len(problems) > 0 {
		return PaymentPage{}, &ValidationError{Problems: problems}
	}
	want := f.Limit
	f.Limit++ // one more tells whether there is a next page
	ps, err := s.store.ListPayments(ctx, f)
	if err != nil {
		return PaymentPage{}, err
	}
	page := PaymentPage{Payments: ps}
	if len(ps) > want {
		page.Payments = ps[:want]
		last := ps[want-1]
		page.Next = encodeCursor(last.CreatedAt, last.ID)
	}
	return page, nil
}

// A cursor is opaque to merchants: base64url("<unix nanos>.<payment id>").
func encodeCursor(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixNano(), 10) + "." + id))
}

func decodeCursor(c string) (time.Time, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", false
	}
	ns, id, ok := strings.Cut(string(b), ".")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || !ValidPaymentID(id) {
		return time.Time{}, "", false
	}
	return time.Unix(0, n).UTC(), id, true
}

// Deliveries lists the webhook delivery log, newest first. limit is
// 1..100 (0 means 20); before is the previous page's last id.
func (s *Service) Deliveries(ctx context.Context, paymentID, before string, limit int) ([]Delivery, error) {
	if limit == 0 {
		limit = defaultPageSize
	}
	if limit < 1 || limit > maxPageSize {
		return nil, &ValidationError{Problems: []string{fmt.Sprintf("limit must be between 1 and %d", maxPageSize)}}
	}
	return s.store.Deliveries(ctx, DeliveryFilter{PaymentID: paymentID, Before: before, Limit: limit})
}
