package payments

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ListInput is a merchant's query over their payments. Every filter is
// text as typed (an API query or the back office's URL), checked here so
// that the API and the back office refuse the same things in the same
// words; "" does not filter.
type ListInput struct {
	Status    string
	Reference string // exact merchant reference
	Method    string // wechat, alipay, upi_upop
	Source    string // the channel: one of Sources
	Currency  string // NZD, AUD, CNY
	OrderID   string // exact Latipay order id
	// Device and Cashier are the counter sales made on one device or by
	// one person (ids, as the reports name them; PaymentFilter.Device).
	Device, Cashier string
	// Latipay is the back office's "latipay:" search: exactly Latipay's
	// order id, or an attempt's Latipay merchant reference, each looked
	// up by its index.
	Latipay string
	// Text is the back office's search box: a payment's id or one of its
	// refunds' ids, the Latipay
	// merchant reference of any of its attempts or Latipay's order id,
	// each as pasted, finds that payment; an amount with its decimal
	// point ("88.80") the payments of exactly that amount; anything else,
	// the payments whose reference or description contains it (ASCII case
	// ignored; see SearchWords).
	Text string
	// Attention is "", AttentionNeedsReview, AttentionPaidLate (the
	// flagged payments not yet reviewed under review, or paid late whether
	// under review or not; PaymentFilter.Attention) or AttentionReviewed
	// (those marked reviewed).
	Attention string
	// From and To bound the creation time, From <= created < To; the
	// caller turns the shop's calendar days into instants. Zero does not
	// bound.
	From, To time.Time
	// PaidFrom and PaidTo bound the instant it was paid alike, as the
	// reports count it (PaymentFilter.PaidFrom).
	PaidFrom, PaidTo time.Time
	Cursor           string // from a previous page's Next; "" for the first page
	Limit            int    // 1..100; 0 means 20
}

// maxSearchLen caps the search text: longer than any reference or order id
// and short enough that a contains-search stays cheap.
const maxSearchLen = 100

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
	f, problems := in.filter()
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
	if in.Latipay != "" {
		if err := s.searchLatipay(ctx, &f, strings.Trim(in.Latipay, pastedAround)); err != nil {
			return PaymentPage{}, err
		}
	}
	if f.Text != "" {
		if err := s.searchFor(ctx, &f); err != nil {
			return PaymentPage{}, err
		}
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

// filter checks in and turns it into a store filter (without paging).
func (in ListInput) filter() (PaymentFilter, []string) {
	f := PaymentFilter{Status: Status(in.Status), Reference: in.Reference, Source: in.Source, OrderID: in.OrderID,
		Device: in.Device, Cashier: in.Cashier,
		Text: in.Text, Attention: in.Attention, From: in.From, To: in.To, PaidFrom: in.PaidFrom, PaidTo: in.PaidTo, Limit: in.Limit}
	var problems []string
	switch in.Attention {
	case "", AttentionNeedsReview, AttentionPaidLate, AttentionReviewed:
	default:
		problems = append(problems, "attention must be needs_review, paid_late or reviewed")
	}
	if in.Status != "" && !f.Status.Valid() {
		problems = append(problems, "status must be one of created, pending, paid, failed, expired, canceled, refunded, partially_refunded")
	}
	if in.Method != "" {
		m, err := ParseMethod(in.Method)
		if err != nil || string(m) != in.Method {
			problems = append(problems, "method must be wechat, alipay or upi_upop")
		}
		f.Method = m
	}
	if in.Source != "" && !contains(Sources, in.Source) {
		problems = append(problems, "channel must be one of "+strings.Join(Sources, ", "))
	}
	if in.Currency != "" {
		c, err := ParseCurrency(in.Currency)
		if err != nil {
			problems = append(problems, "currency must be one of NZD, AUD or CNY")
		}
		f.Currency = c
	}
	// A reference filter has create's limit: a longer one matches nothing.
	for _, t := range []struct {
		name, v string
		max     int
	}{{"reference", in.Reference, maxReferenceLen}, {"Latipay order id", in.OrderID, maxSearchLen}, {"Latipay order id or reference", in.Latipay, maxSearchLen}, {"search text", in.Text, maxSearchLen},
		{"device", in.Device, maxSearchLen}, {"cashier", in.Cashier, maxSearchLen}} {
		if utf8.RuneCountInString(t.v) > t.max || !printable(t.v) {
			problems = append(problems, fmt.Sprintf("%s must be printable and at most %d characters", t.name, t.max))
		}
	}
	if !in.From.IsZero() && !in.To.IsZero() && !in.From.Before(in.To) ||
		!in.PaidFrom.IsZero() && !in.PaidTo.IsZero() && !in.PaidFrom.Before(in.PaidTo) {
		problems = append(problems, "the date range must end after it starts")
	}
	return f, problems
}

// searchFor reads a search text pasted as it is: what it is, each looked
// up by an index of its own (a payment's id and a refund's id are keys;
// an attempt's merchant reference, Latipay's order id and the amount
// have theirs), so
// the search never reads every payment. A payment id, an attempt's
// reference or an order id a payment has narrows f to that payment (or
// those with that order id); an amount with its decimal point to the
// payments of that amount; anything else stays a text search.
//
// Text is read as people paste it: the quotes and commas around a value
// copied from a CSV are dropped, a checkout link names its payment, and
// an amount may carry its currency as the list shows it ("NZD 88.80",
// "NZ$ 88.80"), which then narrows to that currency.
func (s *Service) searchFor(ctx context.Context, f *PaymentFilter) error {
	text := strings.Trim(f.Text, pastedAround)
	if _, after, ok := strings.Cut(text, "/checkout/"); ok {
		if i := strings.IndexAny(after, "/?#"); i >= 0 {
			after = after[:i]
		}
		if ValidPaymentID(after) {
			text = after
		}
	}
	if ValidPaymentID(text) {
		f.ID, f.Text = text, ""
		return nil
	}
	amount, currency := amountWithCurrency(text)
	if currency != "" && f.Currency != "" && currency != f.Currency {
		currency = "" // the filter's currency stands; the amount is read in it
	}
	if minor, ok := searchAmount(amount, cmp.Or(currency, f.Currency)); ok {
		f.Amount, f.Text = minor, ""
		if currency != "" {
			f.Currency = currency
		}
		return nil
	}
	if !searchToken(text) {
		return nil
	}
	if rf, ok := s.store.(RefundFinder); ok && strings.HasPrefix(strings.ToLower(text), "rf_") {
		id, err := rf.RefundPayment(ctx, strings.ToLower(text))
		if err == nil {
			f.ID, f.Text = id, ""
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	for _, ref := range []string{strings.ToUpper(text), text} {
		id, err := s.store.AttemptPayment(ctx, ref)
		if err == nil {
			f.ID, f.Text = id, ""
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	ps, err := s.store.ListPayments(ctx, PaymentFilter{OrderID: text, Limit: 1})
	if err != nil {
		return err
	}
	if len(ps) > 0 {
		f.OrderID, f.Text = text, ""
	}
	return nil
}

// pastedAround are what a value copied from a CSV, a sentence or a chat
// often carries around it.
const pastedAround = " \t\"'`,;"

// amountPrefixes are how an amount's currency is written before it: the
// code, as the list shows amounts ("NZD 88.80"), and the symbols.
var amountPrefixes = []struct {
	text string
	c    Currency
}{{"NZD", NZD}, {"AUD", AUD}, {"CNY", CNY}, {"NZ$", NZD}, {"A$", AUD}, {"AU$", AUD}, {"CN¥", CNY}, {"RMB", CNY}, {"¥", CNY}, {"$", ""}}

// amountWithCurrency splits "NZD 88.80", "NZ$88.80" or "88.80 NZD" into
// the amount and its currency ("" when none is written or only "$").
func amountWithCurrency(text string) (string, Currency) {
	for _, p := range amountPrefixes {
		if rest, ok := strings.CutPrefix(strings.ToUpper(text), p.text); ok {
			return strings.TrimSpace(rest), p.c
		}
		if rest, ok := strings.CutSuffix(strings.ToUpper(text), " "+p.text); ok && p.c != "" {
			return strings.TrimSpace(rest), p.c
		}
	}
	return text, ""
}

// searchLatipay narrows f to the payment whose attempt has Latipay
// merchant reference text, or else to Latipay's order id text.
func (s *Service) searchLatipay(ctx context.Context, f *PaymentFilter, text string) error {
	if searchToken(text) {
		for _, ref := range []string{strings.ToUpper(text), text} {
			id, err := s.store.AttemptPayment(ctx, ref)
			if err == nil {
				f.ID = id
				return nil
			}
			if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	f.OrderID = text
	return nil
}

// searchToken reports whether text may be an id or a reference: one run of
// ASCII letters, digits, '_' and '-', 6 to 64 long.
func searchToken(text string) bool {
	if len(text) < 6 || len(text) > 64 {
		return false
	}
	for _, r := range text {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// searchAmount reads text as an amount written with its decimal point
// and at most the currency's decimals ("88.80", "88.8"), in c's minor
// units (NZD's when the list is not filtered by currency: NZD, AUD and
// CNY all have cents).
func searchAmount(text string, c Currency) (int64, bool) {
	whole, frac, ok := strings.Cut(text, ".")
	if !ok || whole == "" || frac == "" || len(whole) > 9 || strings.Trim(whole+frac, "0123456789") != "" {
		return 0, false
	}
	if c == "" {
		c = NZD
	}
	minor, err := ParseAmount(text, c)
	return minor, err == nil
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
// 1..100 (0 means 20); before is the previous page's last id; state, when
// set, is one of DeliveryFilterStates, as DeliveryLog filters.
func (s *Service) Deliveries(ctx context.Context, paymentID, state, before string, limit int) ([]Delivery, error) {
	if limit == 0 {
		limit = defaultPageSize
	}
	var problems []string
	if limit < 1 || limit > maxPageSize {
		problems = append(problems, fmt.Sprintf("limit must be between 1 and %d", maxPageSize))
	}
	// The cursor is the last delivery's id; anything else would read as
	// "nothing before it", an empty page where a mistake should show.
	if before != "" && !deliveryCursor(before) {
		problems = append(problems, "cursor is not one this API gave out")
	}
	f := DeliveryFilter{PaymentID: paymentID, State: DeliveryState(state), Before: before, Limit: limit}
	problems = append(problems, s.deliveryStateFilter(&f)...)
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	ds, err := s.store.Deliveries(ctx, f)
	s.givenUp(ds)
	return ds, err
}

// givenUp marks the tries that left their event retrying, are its last,
// and whose event is past DeliveryRetryWindow: the worker claims only
// events within it, so their retry never comes.
func (s *Service) givenUp(ds []Delivery) {
	now := s.now()
	for i, d := range ds {
		ds[i].GivenUp = d.State == DeliveryRetrying && !d.Superseded && !d.EventAt.IsZero() &&
			!now.Before(d.EventAt.Add(DeliveryRetryWindow))
	}
}

// deliveryCursor reports whether c has the shape of a delivery id:
// "whd_", 19 digits of nanoseconds, then lower-case hex.
func deliveryCursor(c string) bool {
	rest, ok := strings.CutPrefix(c, "whd_")
	if !ok || len(rest) <= 19 || len(rest) > 19+32 {
		return false
	}
	for i, r := range rest {
		if !('0' <= r && r <= '9' || i >= 19 && 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

// DeliveryStates lists the states a delivery may leave its event in.
var DeliveryStates = []DeliveryState{DeliveryDelivered, DeliveryRetrying, DeliveryFailed}

// DeliveryFilterStates lists the states the log may be filtered by, as it
// labels its tries: retrying events within their retry window, and those
// past it, given up, apart.
var DeliveryFilterStates = []DeliveryState{DeliveryDelivered, DeliveryRetrying, DeliveryGivenUp, DeliveryFailed}

// deliveryStateFilter checks f.State, one of DeliveryFilterStates, and
// turns it into the store's filter: retrying is the retrying events still
// within DeliveryRetryWindow, given_up those past it (as givenUp says of
// their last try).
func (s *Service) deliveryStateFilter(f *DeliveryFilter) []string {
	if f.State == "" {
		return nil
	}
	if !slices.Contains(DeliveryFilterStates, f.State) {
		return []string{"state must be delivered, retrying, given_up or failed"}
	}
	start := s.now().Add(-DeliveryRetryWindow)
	switch f.State {
	case DeliveryRetrying:
		f.EventsAfter = start
	case DeliveryGivenUp:
		f.State, f.EventsUpTo = DeliveryRetrying, start
	}
	return nil
}

// DeliveryLog lists the delivery log matching f, newest first: the back
// office's view. f.Limit is 1..100 (0 means 20); f.State is one of
// DeliveryFilterStates (an unknown state is refused).
func (s *Service) DeliveryLog(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	if f.Limit == 0 {
		f.Limit = defaultPageSize
	}
	var problems []string
	if f.Limit < 1 || f.Limit > maxPageSize {
		problems = append(problems, fmt.Sprintf("limit must be between 1 and %d", maxPageSize))
	}
	problems = append(problems, s.deliveryStateFilter(&f)...)
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	ds, err := s.store.Deliveries(ctx, f)
	s.givenUp(ds)
	return ds, err
}

// SearchWords returns the words of a search text that every payment
// containing the text holds whole: the runs of ASCII letters and digits,
// lower-cased, with another character on both sides inside the text
// ("order 123457:" gives 123457; "order" may end a longer word, as in
// "reorder"). A store may narrow a search to the payments holding them
// through an index of words, which answers at once where a trigram index
// would intersect the long lists of common trigrams ("ord" is in every
// "Order …"), and then check the text itself on each. A text with a
// character outside ASCII gives none: case folding beyond ASCII is the
// store's, which the words need not follow.
func SearchWords(text string) []string {
	for i := 0; i < len(text); i++ {
		if text[i] >= 0x80 {
			return nil
		}
	}
	isWord := func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }
	lower := strings.ToLower(text)
	var words []string
	for i := 0; i < len(lower); {
		if !isWord(lower[i]) {
			i++
			continue
		}
		j := i
		for j < len(lower) && isWord(lower[j]) {
			j++
		}
		if i > 0 && j < len(lower) && !slices.Contains(words, lower[i:j]) {
			words = append(words, lower[i:j])
		}
		i = j
	}
	return words
}
