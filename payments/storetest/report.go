package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
)

// ReportingStore is a Store that also answers the back office's figures.
type ReportingStore interface {
	payments.Store
	payments.ReportStore
}

// RunReports runs the contract of payments.ReportStore against stores
// made by newStore (new and empty for every call).
func RunReports(t *testing.T, newStore func(t *testing.T) ReportingStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s ReportingStore)
	}{
		{"Totals/Periods", testTotalsPeriods},
		{"Totals/Empty", testTotalsEmpty},
		{"Attention", testAttention},
		{"CounterTotals", testCounterTotals},
		{"ListPayments/DeviceCashier", testListBySale},
		{"ListRefunds", testListRefunds},
		{"ListPayments/Paid", testListPaid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// paidAt creates payment n (amount, currency, method, source as given),
// paid at at, with no refunds and no flags.
func paidAt(t *testing.T, s payments.Store, n int, amount int64, c payments.Currency, m payments.Method, src string, at time.Time) payments.Payment {
	t.Helper()
	p := newPayment(n)
	p.Amount, p.Currency, p.Method, p.Source = amount, c, m, src
	p.Refunded, p.PaidLate, p.NeedsReview, p.PaidAt = 0, false, false, time.Time{}
	p.CreatedAt, p.UpdatedAt, p.ExpiresAt = at.Add(-time.Minute), at.Add(-time.Minute), at.Add(time.Hour)
	p = mustCreate(t, s, p)
	return mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		tx.Payment.Status, tx.Payment.PaidAt, tx.Payment.UpdatedAt = payments.StatusPaid, at, at
		tx.Touch()
	})
}

// refundAt records refund n of p for amount, in state st since at (its
// UpdatedAt; made a minute before).
func refundAt(t *testing.T, s payments.Store, p payments.Payment, n int, amount int64, st payments.RefundStatus, at time.Time) {
	t.Helper()
	r := newRefund(p.ID, n, at.Add(-time.Minute))
	r.Amount, r.Currency, r.Status, r.NextCheckAt, r.UpdatedAt = amount, p.Currency, st, time.Time{}, at
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		tx.PutRefund(r)
		if st == payments.RefundSucceeded {
			tx.Payment.Refunded += amount
		}
	})
}

// testTotalsPeriods: a payment counts in the period it was paid in
// (periods are half-open: paid exactly at a bound counts in the later
// one), grouped by currency, method and channel; a succeeded refund
// counts in the period it succeeded in (UpdatedAt), under its payment's
// group, even when requested in the period before; pending
// and failed refunds, unpaid payments and anything outside the periods
// count nowhere.
func testTotalsPeriods(t *testing.T, s ReportingStore) {
	b0 := time.Date(2025, 3, 13, 11, 0, 0, 0, time.UTC)                       // a day starting at midnight NZDT
	bounds := []time.Time{b0, b0.Add(24 * time.Hour), b0.Add(47 * time.Hour)} // the second day is 23 hours
	in0, in1 := b0.Add(3*time.Hour+123*time.Millisecond), b0.Add(30*time.Hour)

	a := paidAt(t, s, 1, 1000, payments.NZD, payments.MethodWeChat, payments.SourceOnline, in0)
	paidAt(t, s, 2, 250, payments.NZD, payments.MethodWeChat, payments.SourceOnline, in0.Add(time.Hour))
	paidAt(t, s, 3, 700, payments.NZD, payments.MethodAlipay, payments.SourceCounterQR, in0)
	paidAt(t, s, 4, 900, payments.AUD, payments.MethodWeChat, payments.SourceOnline, in0)
	paidAt(t, s, 5, 500, payments.NZD, payments.MethodWeChat, payments.SourceOnline, bounds[1]) // on the bound: day 1
	paidAt(t, s, 6, 400, payments.NZD, payments.MethodWeChat, payments.SourceLink, in1)
	paidAt(t, s, 7, 9999, payments.NZD, payments.MethodWeChat, payments.SourceOnline, b0.Add(-time.Nanosecond)) // before
	paidAt(t, s, 8, 9999, payments.NZD, payments.MethodWeChat, payments.SourceOnline, bounds[2])                // after
	open := newPayment(9)
	open.PaidAt, open.Status, open.PaidLate, open.NeedsReview = time.Time{}, payments.StatusPending, false, false
	open.CreatedAt = in0
	mustCreate(t, s, open) // never paid

	refundAt(t, s, a, 1, 300, payments.RefundSucceeded, bounds[1].Add(30*time.Second)) // requested on day 0, succeeded on day 1
	refundAt(t, s, a, 2, 100, payments.RefundSucceeded, in0.Add(time.Minute))          // and on day 0
	refundAt(t, s, a, 3, 50, payments.RefundPending, in1)
	refundAt(t, s, a, 4, 60, payments.RefundFailed, in1)

	got, err := s.Totals(t.Context(), payments.TotalsQuery{Bounds: bounds})
	if err != nil {
		t.Fatalf("Totals: %v", err)
	}
	want := []payments.TotalsRow{
		{Period: 0, Currency: payments.AUD, Method: payments.MethodWeChat, Source: payments.SourceOnline, Count: 1, Gross: 900},
		{Period: 0, Currency: payments.NZD, Method: payments.MethodAlipay, Source: payments.SourceCounterQR, Count: 1, Gross: 700},
		{Period: 0, Currency: payments.NZD, Method: payments.MethodWeChat, Source: payments.SourceOnline, Count: 2, Gross: 1250, Refunds: 100},
		{Period: 1, Currency: payments.NZD, Method: payments.MethodWeChat, Source: payments.SourceOnline, Count: 1, Gross: 500, Refunds: 300},
		{Period: 1, Currency: payments.NZD, Method: payments.MethodWeChat, Source: payments.SourceLink, Count: 1, Gross: 400},
	}
	diff(t, "Totals", sortTotals(got), sortTotals(want))

	// One period alone sees only its own.
	got, err = s.Totals(t.Context(), payments.TotalsQuery{Bounds: bounds[1:]})
	if err != nil {
		t.Fatalf("Totals(day 1): %v", err)
	}
	diff(t, "Totals(day 1)", sortTotals(got), sortTotals([]payments.TotalsRow{
		{Period: 0, Currency: payments.NZD, Method: payments.MethodWeChat, Source: payments.SourceOnline, Count: 1, Gross: 500, Refunds: 300},
		{Period: 0, Currency: payments.NZD, Method: payments.MethodWeChat, Source: payments.SourceLink, Count: 1, Gross: 400},
	}))
}

// sortTotals orders rows by period, currency, method, source, so that the
// comparison does not depend on the store's order.
func sortTotals(rows []payments.TotalsRow) []payments.TotalsRow {
	out := append([]payments.TotalsRow(nil), rows...)
	key := func(r payments.TotalsRow) string {
		return fmt.Sprintf("%06d|%s|%s|%s", r.Period, r.Currency, r.Method, r.Source)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && key(out[j]) < key(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// testTotalsEmpty: no payments, no rows; fewer than two bounds is an
// error, not a panic.
func testTotalsEmpty(t *testing.T, s ReportingStore) {
	got, err := s.Totals(t.Context(), payments.TotalsQuery{Bounds: []time.Time{base(), base().Add(time.Hour)}})
	if err != nil || len(got) != 0 {
		t.Errorf("Totals(empty store) = %v, %v; want none, nil", got, err)
	}
	if _, err := s.Totals(t.Context(), payments.TotalsQuery{Bounds: []time.Time{base()}}); err == nil {
		t.Error("Totals(one bound) = nil error, want one")
	}
}

// testAttention: payments paid late or under review and not marked
// reviewed, however old, pending payments whose window ended before
// StuckBefore, and events whose webhook is retrying or failed since Since
// are listed, newest first and at most Limit of each kind; healthy,
// reviewed, older webhooks and merely pending ones are not, and
// AttentionCounts counts them all. A payment both paid late and under
// review is listed once, under review, the more specific (its anomaly
// names why, as paid after a cancel): two rows gave the shop two pieces
// of advice for one payment.
func testAttention(t *testing.T, s ReportingStore) {
	since := base()
	mk := func(n int, st payments.Status, late, review bool, updated, expires time.Time) payments.Payment {
		p := newPayment(n)
		p.Status, p.PaidLate, p.NeedsReview, p.Refunded = payments.StatusCreated, false, false, 0
		p.CreatedAt, p.UpdatedAt, p.ExpiresAt = updated.Add(-time.Hour), updated.Add(-time.Hour), expires
		p = mustCreate(t, s, p)
		return mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
			tx.Payment.Status, tx.Payment.PaidLate, tx.Payment.NeedsReview, tx.Payment.UpdatedAt = st, late, review, updated
			tx.Touch()
		})
	}
	far := since.Add(48 * time.Hour)
	late1 := mk(1, payments.StatusPaid, true, false, since.Add(time.Minute), far)
	late2 := mk(2, payments.StatusPaid, true, true, since.Add(2*time.Minute), far)
	late3 := mk(3, payments.StatusPaid, true, false, since.Add(3*time.Minute), far)
	old := mk(4, payments.StatusPaid, true, true, since.Add(-30*24*time.Hour), far) // long before Since: still unreviewed
	mk(5, payments.StatusPaid, false, false, since.Add(time.Minute), far)
	reviewed := mk(11, payments.StatusPaid, true, true, since.Add(4*time.Minute), far)
	reviewed = mustUpdate(t, s, reviewed.ID, func(tx *payments.Tx) { tx.Payment.ReviewedAt = since.Add(5 * time.Minute); tx.Touch() })
	if reviewed.ReviewedAt.IsZero() {
		t.Fatal("Update kept no ReviewedAt")
	}
	if got, err := s.Payment(t.Context(), reviewed.ID); err != nil || !got.ReviewedAt.Equal(reviewed.ReviewedAt) {
		t.Fatalf("Payment(reviewed).ReviewedAt = %v, %v; want %v", got.ReviewedAt, err, reviewed.ReviewedAt)
	}
	mk(12, payments.StatusPaid, true, false, since.Add(-time.Minute), far) // a third paid late: counted, beyond the limit
	stuckBefore := since.Add(time.Hour)
	stuck := mk(6, payments.StatusPending, false, false, since, stuckBefore.Add(-time.Second))
	mk(7, payments.StatusPending, false, false, since, stuckBefore)               // window ends on the line: not yet
	mk(8, payments.StatusPaid, false, false, since, stuckBefore.Add(-time.Hour))  // paid: fine
	hook := mk(9, payments.StatusPaid, false, false, since.Add(2*time.Hour), far) // its events from since+1h
	ok := mk(10, payments.StatusPaid, false, false, since.Add(time.Minute), far)
	for _, x := range []struct {
		p  payments.Payment
		st payments.DeliveryState
	}{{hook, payments.DeliveryRetrying}, {ok, payments.DeliveryDelivered}} {
		d := payments.Delivery{ID: fmt.Sprintf("whd_%019d_%s_1", since.UnixNano(), x.p.ID[4:]), PaymentID: x.p.ID, Seq: 1,
			EventType: "payment.created", Attempt: 1, StatusCode: 503, At: since.UTC(), State: x.st}
		if x.st == payments.DeliveryRetrying {
			d.NextAt = since.Add(time.Minute).UTC()
		}
		if err := s.RecordDelivery(t.Context(), d); err != nil {
			t.Fatalf("RecordDelivery: %v", err)
		}
	}

	got, err := s.Attention(t.Context(), payments.AttentionQuery{Since: since, StuckBefore: stuckBefore, Limit: 2})
	if err != nil {
		t.Fatalf("Attention: %v", err)
	}
	item := func(kind string, p payments.Payment, at time.Time, ev string) payments.AttentionItem {
		return payments.AttentionItem{Kind: kind, PaymentID: p.ID, Reference: p.Reference, Amount: p.Amount,
			Currency: p.Currency, Status: p.Status, At: at.UTC(), EventType: ev}
	}
	want := []payments.AttentionItem{
		item(payments.AttentionPaidLate, late3, late3.UpdatedAt, ""),
		item(payments.AttentionPaidLate, late1, late1.UpdatedAt, ""), // not late2: under review
		item(payments.AttentionNeedsReview, late2, late2.UpdatedAt, ""),
		item(payments.AttentionNeedsReview, old, old.UpdatedAt, ""), // not reviewed: 30 days do not hide it
		item(payments.AttentionStuck, stuck, stuck.UpdatedAt, ""),
		item(payments.AttentionWebhook, hook, hook.CreatedAt, "payment.created"),
	}
	diff(t, "Attention", sortAttention(got), want)

	counts, err := s.AttentionCounts(t.Context(), payments.AttentionQuery{Since: since, StuckBefore: stuckBefore, Limit: 2})
	if err != nil {
		t.Fatalf("AttentionCounts: %v", err)
	}
	diff(t, "AttentionCounts", counts, map[string]int{payments.AttentionPaidLate: 3, payments.AttentionNeedsReview: 2,
		payments.AttentionStuck: 1, payments.AttentionWebhook: 1})
}

// sortAttention orders items by kind (as listed in want) then newest
// first, so that the comparison does not depend on the store's order.
func sortAttention(items []payments.AttentionItem) []payments.AttentionItem {
	rank := map[string]int{payments.AttentionPaidLate: 0, payments.AttentionNeedsReview: 1, payments.AttentionStuck: 2, payments.AttentionWebhook: 3}
	out := append([]payments.AttentionItem(nil), items...)
	less := func(a, b payments.AttentionItem) bool {
		if rank[a.Kind] != rank[b.Kind] {
			return rank[a.Kind] < rank[b.Kind]
		}
		return a.At.After(b.At)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && less(out[j], out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// saleRecorder is what records which device and which cashier made a
// sale: payments/counter's and payments/accounts' stores, which both
// stores are too.
type saleRecorder interface {
	CreateAccount(ctx context.Context, a accounts.Account) error
	CreateDevice(ctx context.Context, d counter.Device) error
	AddSale(ctx context.Context, s counter.Sale) (counter.Sale, error)
}

// addSale records p as sold on device dev (named devName, created on
// first use) by account acc (named accName, created on first use).
func addSale(t *testing.T, s saleRecorder, p payments.Payment, dev, devName, acc, accName string) {
	t.Helper()
	ctx := t.Context()
	at := p.CreatedAt
	_ = s.CreateAccount(ctx, accounts.Account{ID: acc, Email: acc + "@shop.example", Name: accName, Role: accounts.Cashier,
		PasswordHash: "x", CreatedAt: at, UpdatedAt: at})
	_ = s.CreateDevice(ctx, counter.Device{ID: dev, Name: devName, TokenHash: fmt.Sprintf("%064x", dev), CreatedAt: at,
		SeenAt: at, ResultSeconds: 5})
	if _, err := s.AddSale(ctx, counter.Sale{PaymentID: p.ID, DeviceID: dev, AccountID: acc, Key: "k-" + p.ID, CreatedAt: at}); err != nil {
		t.Fatalf("AddSale: %v", err)
	}
}

// testCounterTotals: the till's channels alone (counter QR and counter
// scan, not a static QR nor online), by period as Totals counts them,
// split by the device and the cashier of each sale's record, with the
// device's name and the cashier's (their email when nameless); a sale
// with no record is counted under none, so the rows add up to Totals'.
func testCounterTotals(t *testing.T, s ReportingStore) {
	b0 := time.Date(2025, 3, 13, 11, 0, 0, 0, time.UTC)
	bounds := []time.Time{b0, b0.Add(24 * time.Hour), b0.Add(47 * time.Hour)}
	in0, in1 := b0.Add(3*time.Hour), b0.Add(30*time.Hour)
	a := paidAt(t, s, 1, 1000, payments.NZD, payments.MethodWeChat, payments.SourceCounterQR, in0)
	b := paidAt(t, s, 2, 250, payments.NZD, payments.MethodWeChat, payments.SourceCounterQR, in0)
	paidAt(t, s, 3, 700, payments.NZD, payments.MethodAlipay, payments.SourceCounterScan, in1)
	paidAt(t, s, 4, 900, payments.NZD, payments.MethodWeChat, payments.SourceStaticQR, in0)
	paidAt(t, s, 5, 400, payments.NZD, payments.MethodWeChat, payments.SourceOnline, in0)
	refundAt(t, s, a, 1, 300, payments.RefundSucceeded, bounds[1].Add(time.Second))
	refundAt(t, s, b, 2, 50, payments.RefundFailed, in0.Add(time.Minute))
	rec, ok := s.(saleRecorder)
	if !ok {
		t.Skip("the store cannot record sales for this test")
	}
	addSale(t, rec, a, "dev_1", "Front till", "acc_1", "")
	addSale(t, rec, b, "dev_2", "Back bar", "acc_2", "Mei")

	got, err := s.CounterTotals(t.Context(), payments.TotalsQuery{Bounds: bounds})
	if err != nil {
		t.Fatalf("CounterTotals: %v", err)
	}
	row := func(p int, m payments.Method, src, dev, devName, acc, accName string, n, gross, refunds int64) payments.CounterTotalsRow {
		return payments.CounterTotalsRow{TotalsRow: payments.TotalsRow{Period: p, Currency: payments.NZD, Method: m, Source: src,
			Count: n, Gross: gross, Refunds: refunds}, DeviceID: dev, DeviceName: devName, CashierID: acc, CashierName: accName}
	}
	want := []payments.CounterTotalsRow{
		row(0, payments.MethodWeChat, payments.SourceCounterQR, "dev_1", "Front till", "acc_1", "acc_1@shop.example", 1, 1000, 0),
		row(0, payments.MethodWeChat, payments.SourceCounterQR, "dev_2", "Back bar", "acc_2", "Mei", 1, 250, 0),
		row(1, payments.MethodAlipay, payments.SourceCounterScan, "", "", "", "", 1, 700, 0),
		row(1, payments.MethodWeChat, payments.SourceCounterQR, "dev_1", "Front till", "acc_1", "acc_1@shop.example", 0, 0, 300),
	}
	key := func(r payments.CounterTotalsRow) string {
		return fmt.Sprintf("%06d|%s|%s|%s|%s", r.Period, r.Method, r.Source, r.DeviceID, r.CashierID)
	}
	sortRows := func(rows []payments.CounterTotalsRow) []payments.CounterTotalsRow {
		out := append([]payments.CounterTotalsRow(nil), rows...)
		slices.SortFunc(out, func(x, y payments.CounterTotalsRow) int { return strings.Compare(key(x), key(y)) })
		return out
	}
	diff(t, "CounterTotals", sortRows(got), sortRows(want))
}

// testListRefunds: refunds in order of the instant they count at (settled
// when succeeded or failed, asked for while pending), half-open bounds,
// each filter alone, the cursor, and the payment's fields beside each.
func testListRefunds(t *testing.T, s ReportingStore) {
	b0 := time.Date(2025, 3, 13, 11, 0, 0, 0, time.UTC)
	a := paidAt(t, s, 1, 1000, payments.NZD, payments.MethodWeChat, payments.SourceOnline, b0.Add(-time.Hour))
	c := paidAt(t, s, 2, 1000, payments.NZD, payments.MethodAlipay, payments.SourceCounterQR, b0.Add(-time.Hour))
	refundAt(t, s, a, 1, 100, payments.RefundSucceeded, b0)                   // asked before b0, counts at b0
	refundAt(t, s, a, 2, 200, payments.RefundFailed, b0.Add(time.Hour))       // counts at b0+1h
	refundAt(t, s, c, 3, 300, payments.RefundPending, b0.Add(30*time.Second)) // asked at b0-30s: before
	refundAt(t, s, c, 4, 400, payments.RefundSucceeded, b0.Add(24*time.Hour)) // on the end bound: after
	refundAt(t, s, c, 5, 500, payments.RefundSucceeded, b0.Add(2*time.Hour))
	list := func(q payments.RefundQuery) []string {
		t.Helper()
		if q.Limit == 0 {
			q.Limit = 10
		}
		rows, err := s.ListRefunds(t.Context(), q)
		if err != nil {
			t.Fatalf("ListRefunds(%+v): %v", q, err)
		}
		ids := []string{}
		for _, r := range rows {
			ids = append(ids, r.ID[len(r.ID)-1:])
		}
		return ids
	}
	day := payments.RefundQuery{From: b0, To: b0.Add(24 * time.Hour)}
	diff(t, "day", list(day), []string{"1", "2", "5"})
	diff(t, "all", list(payments.RefundQuery{}), []string{"3", "1", "2", "5", "4"})
	q := day
	q.Status = payments.RefundSucceeded
	diff(t, "succeeded", list(q), []string{"1", "5"})
	q = day
	q.Method, q.Source, q.Currency = payments.MethodAlipay, payments.SourceCounterQR, payments.NZD
	diff(t, "method and channel", list(q), []string{"5"})
	q = day
	q.Limit = 2
	rows, err := s.ListRefunds(t.Context(), q)
	if err != nil || len(rows) != 2 {
		t.Fatalf("first page: %v, %v", rows, err)
	}
	q.AfterAt, q.AfterID = rows[1].At(), rows[1].ID
	diff(t, "next page", list(q), []string{"5"})
	r := rows[0]
	if r.Reference != a.Reference || r.Method != a.Method || r.Source != a.Source || r.LatipayReference != a.LatipayReference ||
		r.LatipayOrderID != a.LatipayOrderID || r.Amount != 100 || r.Status != payments.RefundSucceeded || r.Reason != "cold ☕ 'x'" ||
		!r.At().Equal(b0) || !r.CreatedAt.Equal(b0.Add(-time.Minute)) {
		t.Errorf("refund row %+v", r)
	}
}

// testListPaid: ListPayments bounds the paid instant, half-open, and
// leaves out what was never paid, whatever the creation time.
func testListPaid(t *testing.T, s ReportingStore) {
	b0 := time.Date(2025, 3, 13, 11, 0, 0, 0, time.UTC)
	paidAt(t, s, 1, 1000, payments.NZD, payments.MethodWeChat, payments.SourceOnline, b0.Add(-time.Second)) // created the day before too
	paidAt(t, s, 2, 1000, payments.NZD, payments.MethodWeChat, payments.SourceOnline, b0)                   // paid a minute after created
	paidAt(t, s, 3, 1000, payments.NZD, payments.MethodWeChat, payments.SourceOnline, b0.Add(24*time.Hour))
	open := newPayment(4)
	open.PaidAt, open.Status, open.CreatedAt = time.Time{}, payments.StatusPending, b0.Add(time.Hour)
	mustCreate(t, s, open)
	got, err := s.ListPayments(t.Context(), payments.PaymentFilter{PaidFrom: b0, PaidTo: b0.Add(24 * time.Hour), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, p := range got {
		ids = append(ids, p.ID)
	}
	diff(t, "paid on the day", ids, []string{paymentID(2)})
	got, err = s.ListPayments(t.Context(), payments.PaymentFilter{PaidFrom: b0, Limit: 10})
	if err != nil || len(got) != 2 {
		t.Errorf("paid since b0: %d, %v", len(got), err)
	}
}

// testListBySale: the payments list filtered to a device or a cashier
// holds exactly the sales their records name, newest first, with the
// other filters and after a page's cursor; a sale with no record, a
// static QR's payment and an online one are in neither, and an unknown
// id matches nothing.
func testListBySale(t *testing.T, s ReportingStore) {
	at := time.Date(2025, 3, 13, 11, 0, 0, 0, time.UTC)
	a := paidAt(t, s, 1, 1000, payments.NZD, payments.MethodWeChat, payments.SourceCounterQR, at)
	b := paidAt(t, s, 2, 250, payments.NZD, payments.MethodAlipay, payments.SourceCounterScan, at.Add(time.Hour))
	c := paidAt(t, s, 3, 700, payments.NZD, payments.MethodWeChat, payments.SourceCounterQR, at.Add(2*time.Hour))
	paidAt(t, s, 4, 900, payments.NZD, payments.MethodWeChat, payments.SourceCounterQR, at.Add(3*time.Hour)) // no record
	paidAt(t, s, 5, 900, payments.NZD, payments.MethodWeChat, payments.SourceStaticQR, at.Add(4*time.Hour))
	paidAt(t, s, 6, 400, payments.NZD, payments.MethodWeChat, payments.SourceOnline, at.Add(5*time.Hour))
	rec, ok := s.(saleRecorder)
	if !ok {
		t.Skip("the store cannot record sales for this test")
	}
	addSale(t, rec, a, "dev_1", "Front till", "acc_1", "")
	addSale(t, rec, b, "dev_1", "Front till", "acc_2", "Mei")
	addSale(t, rec, c, "dev_2", "Back bar", "acc_2", "Mei")
	list := func(f payments.PaymentFilter) []string {
		t.Helper()
		f.Limit = 100
		ps, err := s.ListPayments(t.Context(), f)
		if err != nil {
			t.Fatalf("ListPayments(%+v): %v", f, err)
		}
		ids := []string{}
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		return ids
	}
	diff(t, "device", list(payments.PaymentFilter{Device: "dev_1"}), []string{b.ID, a.ID})
	diff(t, "other device", list(payments.PaymentFilter{Device: "dev_2"}), []string{c.ID})
	diff(t, "cashier", list(payments.PaymentFilter{Cashier: "acc_2"}), []string{c.ID, b.ID})
	diff(t, "device and cashier", list(payments.PaymentFilter{Device: "dev_1", Cashier: "acc_2"}), []string{b.ID})
	diff(t, "device and method", list(payments.PaymentFilter{Device: "dev_1", Method: payments.MethodWeChat}), []string{a.ID})
	diff(t, "device and paid range", list(payments.PaymentFilter{Device: "dev_1", PaidFrom: at.Add(time.Minute)}), []string{b.ID})
	diff(t, "unknown device", list(payments.PaymentFilter{Device: "dev_9"}), []string{})
	diff(t, "unknown cashier", list(payments.PaymentFilter{Cashier: "acc_9"}), []string{})
	// The next page: after its cursor, still only the sales filtered.
	diff(t, "device, after b", list(payments.PaymentFilter{Device: "dev_1", BeforeTime: b.CreatedAt, BeforeID: b.ID}), []string{a.ID})
	diff(t, "cashier, after c", list(payments.PaymentFilter{Cashier: "acc_2", BeforeTime: c.CreatedAt, BeforeID: c.ID}), []string{b.ID})
	diff(t, "cashier, after b", list(payments.PaymentFilter{Cashier: "acc_2", BeforeTime: b.CreatedAt, BeforeID: b.ID}), []string{})
}
