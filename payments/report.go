package payments

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// The back office's figures: totals by day of the shop's time zone, and
// what needs a person's attention.
//
// A payment counts on the day it was paid (PaidAt), in its own currency,
// method and channel (Source): Count and Gross. A refund counts on the
// day Latipay accepted it (RefundSucceeded, at its UpdatedAt),
// under the currency, method and channel of its payment. Net is Gross
// minus Refunds of the same day. Days are midnight to midnight in the
// shop's zone, so a day is 23 or 25 hours long when the clocks change;
// the stores only ever see instants (TotalsQuery.Bounds).

// TotalsQuery asks a ReportStore for totals over consecutive periods:
// period i is [Bounds[i], Bounds[i+1]).
type TotalsQuery struct {
	Bounds []time.Time // at least two, strictly increasing
}

// TotalsRow is one period x currency x method x channel of totals. Rows
// with nothing paid nor refunded are left out.
type TotalsRow struct {
	Period   int // index into the query's periods
	Currency Currency
	Method   Method
	Source   string
	Count    int64 // payments paid in the period
	Gross    int64 // their amounts, minor units
	Refunds  int64 // refunds that succeeded in the period, minor units
}

// Attention kinds: why a payment is on the home page's list.
const (
	AttentionPaidLate    = "paid_late"    // paid after it had expired, failed or been canceled
	AttentionNeedsReview = "needs_review" // an anomaly was recorded: amount, currency, or a status after paid
	AttentionPaidTwice   = "paid_twice"   // under review because two attempts were paid (PaidTwice)
	AttentionStuck       = "stuck"        // still pending long after its window ended
	AttentionWebhook     = "webhook"      // the merchant's endpoint refuses its event
	// AttentionReviewed selects, in the payments list (ListInput.Attention),
	// the flagged payments a person has marked reviewed.
	AttentionReviewed = "reviewed"
)

// AttentionQuery asks a ReportStore for what needs attention: payments
// flagged PaidLate or NeedsReview and not reviewed since (Payment.Flagged),
// however long ago, until a person marks them reviewed; events whose
// webhook is retrying or failed, created at or after Since; payments still
// pending whose window ended before StuckBefore. At most Limit of each
// kind, newest first.
type AttentionQuery struct {
	Since       time.Time
	StuckBefore time.Time
	Limit       int // > 0
}

// AttentionItem is one payment that needs a person's attention.
type AttentionItem struct {
	Kind      string // an Attention* constant
	PaymentID string
	Reference string
	Amount    int64 // minor units
	Currency  Currency
	Status    Status
	At        time.Time // when it last changed (the event, for a webhook)
	EventType string    // AttentionWebhook: the event the endpoint refuses
	// Anomaly is, for AttentionNeedsReview, the code (a Msg* constant)
	// of the payment's latest anomaly; "" when that was recorded without
	// one.
	Anomaly string
}

// ReportStore is what the back office's figures need from storage. Both
// stores implement it and pass storetest.RunReports, indexed so it stays
// fast over millions of payments.
type ReportStore interface {
	Totals(ctx context.Context, q TotalsQuery) ([]TotalsRow, error)
	Attention(ctx context.Context, q AttentionQuery) ([]AttentionItem, error)
	// AttentionCounts counts every item Attention would list without its
	// limit, by kind (AttentionPaidLate, AttentionNeedsReview,
	// AttentionStuck, AttentionWebhook), so that none is hidden unsaid.
	AttentionCounts(ctx context.Context, q AttentionQuery) (map[string]int, error)
	// CounterTotals is Totals of the till's sales alone (TillSources),
	// split further by the device and the cashier that made each sale.
	CounterTotals(ctx context.Context, q TotalsQuery) ([]CounterTotalsRow, error)
	// ListRefunds returns refunds matching q, oldest first by their
	// RefundRow.At, then id.
	ListRefunds(ctx context.Context, q RefundQuery) ([]RefundRow, error)
}

// TillSources are the channels of the till's sales: each carries the
// device and the cashier that made it (a counter sale record). A static
// QR is paid by the shopper alone and carries neither.
var TillSources = []string{SourceCounterQR, SourceCounterScan}

// CounterTotalsRow is one period x currency x method x channel x device
// x cashier of the till's totals: the figures of the TotalsRow of the
// same period, currency, method and channel, shared out by who sold.
// DeviceID and CashierID are "" for a sale with no record of them; the
// names are as the device and the account are called now, or, for an
// account since removed, as it was called when removed (CashierRemoved).
type CounterTotalsRow struct {
	TotalsRow
	DeviceID, DeviceName   string
	CashierID, CashierName string
	CashierRemoved         bool
}

// RefundQuery selects refunds for the back office's refunds export. A
// refund is placed in time at RefundRow.At: the instant it succeeded or
// failed, or, while pending, the instant it was asked for; so the
// succeeded refunds of a day are exactly the report's Refunds of it.
// Zero fields do not filter.
type RefundQuery struct {
	From, To time.Time    // From <= At < To
	Status   RefundStatus // pending, succeeded or failed
	Currency Currency
	Method   Method // the payment's method
	Source   string // the payment's channel
	// AfterAt and AfterID are the cursor: only refunds strictly after
	// (AfterAt, AfterID) in (At, ID) order.
	AfterAt time.Time
	AfterID string
	Limit   int // > 0
}

// RefundRow is a refund with what the books need of its payment.
type RefundRow struct {
	Refund
	Reference        string // the payment's merchant reference
	Method           Method
	Source           string
	LatipayReference string
	LatipayOrderID   string
}

// At is when the refund counts: settled (succeeded or failed) at
// UpdatedAt, pending since CreatedAt.
func (r RefundRow) At() time.Time {
	if r.Status == RefundPending {
		return r.CreatedAt
	}
	return r.UpdatedAt
}

// maxRefundPage caps one read of ListRefunds.
const maxRefundPage = 1000

// Refunds returns one page of refunds matching q (RefundQuery), oldest
// first; q.Limit is 1..1000.
func (r *Reports) Refunds(ctx context.Context, q RefundQuery) ([]RefundRow, error) {
	var problems []string
	if q.Limit < 1 || q.Limit > maxRefundPage {
		problems = append(problems, fmt.Sprintf("limit must be between 1 and %d", maxRefundPage))
	}
	if q.Status != "" && q.Status != RefundPending && q.Status != RefundSucceeded && q.Status != RefundFailed {
		problems = append(problems, "refund status must be pending, succeeded or failed")
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		problems = append(problems, "the date range must end after it starts")
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	rows, err := r.store.ListRefunds(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("payments: refunds: %w", err)
	}
	return rows, nil
}

// Reports computes the back office's figures in the shop's time zone.
type Reports struct {
	store ReportStore
	now   func() time.Time
	loc   *time.Location

	mu   sync.Mutex
	done map[[2]int64][]TotalsRow // finished periods' rows (Period 0), by [start, end) in unix ns; guarded by mu
}

// A period that ended more than settleMargin ago never changes again: a
// payment counts at the instant it was marked paid and a refund at the
// instant it succeeded, both stamped in the transaction that commits
// them. Reports keeps such periods' totals (at most maxDone of them), so
// the home page reads only today from the store after its first view,
// however many payments the shop has.
const (
	settleMargin = 10 * time.Minute
	maxDone      = 2048
)

// totals answers the periods of bounds as the store would, reading from
// the store only the periods not known to be finished and kept.
func (r *Reports) totals(ctx context.Context, bounds []time.Time) ([]TotalsRow, error) {
	settled := r.now().Add(-settleMargin)
	key := func(i int) [2]int64 { return [2]int64{bounds[i].UnixNano(), bounds[i+1].UnixNano()} }
	var out []TotalsRow
	r.mu.Lock()
	missing := make([]bool, len(bounds)-1)
	for i := range missing {
		rows, ok := r.done[key(i)]
		missing[i] = !ok
		for _, row := range rows {
			row.Period = i
			out = append(out, row)
		}
	}
	r.mu.Unlock()
	for i := 0; i < len(missing); {
		if !missing[i] {
			i++
			continue
		}
		j := i
		for j < len(missing) && missing[j] {
			j++
		}
		rows, err := r.store.Totals(ctx, TotalsQuery{Bounds: bounds[i : j+1]})
		if err != nil {
			return nil, err
		}
		found := make(map[int][]TotalsRow, j-i)
		for _, row := range rows {
			if row.Period < 0 || row.Period >= j-i {
				continue
			}
			p := row.Period
			row.Period = 0
			found[p] = append(found[p], row)
			row.Period = i + p
			out = append(out, row)
		}
		r.mu.Lock()
		for p := i; p < j; p++ {
			if bounds[p+1].After(settled) {
				continue
			}
			if len(r.done) >= maxDone {
				clear(r.done)
			}
			r.done[key(p)] = append([]TotalsRow{}, found[p-i]...)
		}
		r.mu.Unlock()
		i = j
	}
	return out, nil
}

// Figures of the home page and limits of a report.
const (
	ChartDays       = 30                  // days the home page's chart shows
	WeekDays        = 7                   // days of the home page's "last 7 days"
	MaxReportDays   = 366                 // longest range a report covers
	attentionLimit  = 10                  // items of each kind on the home page; AttentionCounts says how many more
	attentionWindow = 30 * 24 * time.Hour // how far back refused webhooks are listed (flagged payments: until reviewed)
	// StuckAfter is how long after its window ends a payment still
	// pending is listed as stuck: the reconciler settles an ordinary one
	// well within it.
	StuckAfter = 30 * time.Minute
)

// NewReports returns the figures over store, with days counted in loc.
func NewReports(store ReportStore, now func() time.Time, loc *time.Location) (*Reports, error) {
	if store == nil || now == nil || loc == nil {
		return nil, errors.New("payments: NewReports: store, clock and zone are required")
	}
	return &Reports{store: store, now: now, loc: loc, done: map[[2]int64][]TotalsRow{}}, nil
}

// Location is the shop's time zone.
func (r *Reports) Location() *time.Location { return r.loc }

// Today is the shop's current day, as midnight in its zone.
func (r *Reports) Today() time.Time { return r.dayOf(r.now()) }

func (r *Reports) dayOf(t time.Time) time.Time {
	t = t.In(r.loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, r.loc)
}

// dayBounds returns the starts of n consecutive days from first, and the
// start of the day after: n+1 instants. time.Date normalizes a midnight
// that a clock change skips.
func (r *Reports) dayBounds(first time.Time, n int) []time.Time {
	b := make([]time.Time, n+1)
	for i := range b {
		b[i] = time.Date(first.Year(), first.Month(), first.Day()+i, 0, 0, 0, 0, r.loc)
	}
	return b
}

// Totals is one currency's figures over some days. Money in minor units.
type Totals struct {
	Currency Currency
	Count    int64
	Gross    int64
	Refunds  int64
}

// Net is what stays with the shop: Gross minus Refunds.
func (t Totals) Net() int64 { return t.Gross - t.Refunds }

// DayTotals is one day of the chart, per currency.
type DayTotals struct {
	Day    time.Time // midnight in the shop's zone
	Totals map[Currency]Totals
}

// Home is the back office's first page's figures.
type Home struct {
	Today     []Totals    // by currency, in currency order
	Week      []Totals    // the last WeekDays days, today included
	Days      []DayTotals // the last ChartDays days, oldest first
	Attention []AttentionItem
	// AttentionCounts is how many items of each kind there are in all
	// (AttentionQuery without its limit): AttentionNeedsReview counts the
	// items shown as AttentionPaidTwice too.
	AttentionCounts map[string]int
}

// Home returns today's and the last week's totals per currency, the last
// ChartDays days per day, and what needs attention.
func (r *Reports) Home(ctx context.Context) (Home, error) {
	now := r.now()
	today := r.dayOf(now)
	first := today.AddDate(0, 0, -(ChartDays - 1))
	bounds := r.dayBounds(first, ChartDays)
	rows, err := r.totals(ctx, bounds)
	if err != nil {
		return Home{}, fmt.Errorf("payments: home totals: %w", err)
	}
	h := Home{Days: make([]DayTotals, ChartDays)}
	for i := range h.Days {
		h.Days[i] = DayTotals{Day: bounds[i], Totals: map[Currency]Totals{}}
	}
	todays, week := map[Currency]Totals{}, map[Currency]Totals{}
	for _, row := range rows {
		if row.Period < 0 || row.Period >= ChartDays {
			continue
		}
		add(h.Days[row.Period].Totals, row)
		if row.Period >= ChartDays-WeekDays {
			add(week, row)
		}
		if row.Period == ChartDays-1 {
			add(todays, row)
		}
	}
	h.Today, h.Week = sorted(todays), sorted(week)
	aq := AttentionQuery{Since: now.Add(-attentionWindow), StuckBefore: now.Add(-StuckAfter), Limit: attentionLimit}
	h.Attention, err = r.store.Attention(ctx, aq)
	if err != nil {
		return Home{}, fmt.Errorf("payments: attention: %w", err)
	}
	if h.AttentionCounts, err = r.store.AttentionCounts(ctx, aq); err != nil {
		return Home{}, fmt.Errorf("payments: attention: %w", err)
	}
	if err := r.nameAnomalies(ctx, h.Attention); err != nil {
		return Home{}, fmt.Errorf("payments: attention: %w", err)
	}
	return h, nil
}

// attemptLister is the part of a Store that tells a payment paid twice
// from other anomalies; both stores have it.
type attemptLister interface {
	Attempts(ctx context.Context, paymentID string) ([]Attempt, error)
}

// eventLister is the part of a Store that names the anomaly of a payment
// under review; both stores have it.
type eventLister interface {
	Events(ctx context.Context, paymentID string) ([]Event, error)
}

// nameAnomalies says what each needs-review item's anomaly is, so the
// list tells the shop what to do rather than one sentence for all: its
// latest anomaly's code (AttentionItem.Anomaly), and the items of
// payments with more than one paid attempt become AttentionPaidTwice
// (refund the second charge at Latipay). It reads the events and the
// attempts of at most attentionLimit payments.
func (r *Reports) nameAnomalies(ctx context.Context, items []AttentionItem) error {
	if el, ok := r.store.(eventLister); ok {
		for i := range items {
			if items[i].Kind != AttentionNeedsReview {
				continue
			}
			evs, err := el.Events(ctx, items[i].PaymentID)
			if err != nil {
				return err
			}
			for j := len(evs) - 1; j >= 0; j-- {
				if evs[j].Type == "anomaly" {
					m, _ := EventMessage(evs[j])
					items[i].Anomaly = m.Code
					break
				}
			}
		}
	}
	al, ok := r.store.(attemptLister)
	if !ok {
		return nil
	}
	for i := range items {
		if items[i].Kind != AttentionNeedsReview || !items[i].Status.Settled() {
			continue
		}
		as, err := al.Attempts(ctx, items[i].PaymentID)
		if err != nil {
			return err
		}
		paid := 0
		for _, a := range as {
			if a.Status == AttemptPaid {
				paid++
			}
		}
		if paid > 1 {
			items[i].Kind = AttentionPaidTwice
		}
	}
	return nil
}

func add(m map[Currency]Totals, row TotalsRow) {
	t := m[row.Currency]
	t.Currency = row.Currency
	t.Count += row.Count
	t.Gross += row.Gross
	t.Refunds += row.Refunds
	m[row.Currency] = t
}

func sorted(m map[Currency]Totals) []Totals {
	out := make([]Totals, 0, len(m))
	for _, t := range m {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return CurrencyLess(out[i].Currency, out[j].Currency) })
	return out
}

// CurrencyLess orders currencies as Currencies lists them (NZD, AUD,
// CNY), the one order of every page and file, unknown ones last by code.
func CurrencyLess(a, b Currency) bool {
	i, j := slices.Index(Currencies, a), slices.Index(Currencies, b)
	if i < 0 {
		i = len(Currencies)
	}
	if j < 0 {
		j = len(Currencies)
	}
	if i != j {
		return i < j
	}
	return a < b
}

// ReportRow is one day x currency x method x channel of a report; a
// till channel's (TillSources) is further one device x cashier of it.
type ReportRow struct {
	Day      time.Time // midnight in the shop's zone
	Currency Currency
	Method   Method
	Source   string
	Count    int64
	Gross    int64
	Refunds  int64
	// Till channels only (CounterTotalsRow): "" for a sale with no record.
	DeviceID, DeviceName   string
	CashierID, CashierName string
	CashierRemoved         bool // the cashier's account was removed since
}

// Net is Gross minus Refunds.
func (r ReportRow) Net() int64 { return r.Gross - r.Refunds }

// ParseDay reads a day written YYYY-MM-DD, as midnight in the shop's zone.
func (r *Reports) ParseDay(s string) (time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, s, r.loc)
	if err != nil {
		return time.Time{}, &ValidationError{Problems: []string{"dates must be written YYYY-MM-DD"}}
	}
	return d, nil
}

// Report returns the totals of every day from first to last (both
// included, midnights in the shop's zone) by currency, method and
// channel, and for the till's channels by device and cashier too, oldest
// day first. At most MaxReportDays days.
func (r *Reports) Report(ctx context.Context, first, last time.Time) ([]ReportRow, error) {
	first, last = r.dayOf(first), r.dayOf(last)
	n := 0
	for d := first; !d.After(last); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, r.loc) {
		if n++; n > MaxReportDays {
			break
		}
	}
	switch {
	case last.Before(first):
		return nil, &ValidationError{Problems: []string{"the first day must not be after the last"}}
	case n > MaxReportDays:
		return nil, &ValidationError{Problems: []string{fmt.Sprintf("a report covers at most %d days", MaxReportDays)}}
	}
	bounds := r.dayBounds(first, n)
	rows, err := r.totals(ctx, bounds)
	if err != nil {
		return nil, fmt.Errorf("payments: report: %w", err)
	}
	till, err := r.store.CounterTotals(ctx, TotalsQuery{Bounds: bounds})
	if err != nil {
		return nil, fmt.Errorf("payments: report: %w", err)
	}
	out := make([]ReportRow, 0, len(rows)+len(till))
	for _, row := range rows {
		if row.Period < 0 || row.Period >= n || slices.Contains(TillSources, row.Source) {
			continue // the till's rows come split by device and cashier
		}
		out = append(out, ReportRow{Day: bounds[row.Period], Currency: row.Currency, Method: row.Method, Source: row.Source,
			Count: row.Count, Gross: row.Gross, Refunds: row.Refunds})
	}
	for _, row := range till {
		if row.Period < 0 || row.Period >= n || !slices.Contains(TillSources, row.Source) {
			continue
		}
		out = append(out, ReportRow{Day: bounds[row.Period], Currency: row.Currency, Method: row.Method, Source: row.Source,
			Count: row.Count, Gross: row.Gross, Refunds: row.Refunds, DeviceID: row.DeviceID, DeviceName: row.DeviceName,
			CashierID: row.CashierID, CashierName: row.CashierName, CashierRemoved: row.CashierRemoved})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Day.Equal(b.Day) {
			return a.Day.Before(b.Day)
		}
		if a.Currency != b.Currency {
			return CurrencyLess(a.Currency, b.Currency)
		}
		if a.Method != b.Method {
			return a.Method < b.Method
		}
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.DeviceID != b.DeviceID {
			return a.DeviceID < b.DeviceID
		}
		return a.CashierID < b.CashierID
	})
	return out, nil
}
