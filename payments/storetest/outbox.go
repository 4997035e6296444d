package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// The merchant-facing reads and the webhook outbox (payments.Outbox).

// webhookTypes is what a worker would claim.
var webhookTypes = []string{"payment.pending", "payment.paid", "payment.failed"}

// mustClaim claims at now with a one-minute lease and returns
// "payment_id/seq" of each event claimed, in the order returned.
func mustClaimEvents(t testing.TB, s payments.Store, now time.Time, limit int) []string {
	t.Helper()
	evs, err := s.ClaimWebhookEvents(t.Context(), payments.OutboxQuery{Types: webhookTypes,
		Since: base().Add(-time.Hour), Now: now, Lease: time.Minute, Limit: limit})
	if err != nil {
		t.Fatalf("ClaimWebhookEvents: %v", err)
	}
	out := []string{}
	for _, e := range evs {
		checkUTC(t, "claimed event", e.CreatedAt)
		out = append(out, fmt.Sprintf("%s/%d/%d", e.PaymentID, e.Seq, e.Attempts))
	}
	return out
}

func claimed(id string, seq int64, attempts int) string {
	return fmt.Sprintf("%s/%d/%d", id, seq, attempts)
}

// addWebhookEvents gives payment id the events pending (seq 2), an
// attempt event that is never sent (3) and paid (4).
func addWebhookEvents(t testing.TB, s payments.Store, id string, at time.Time) {
	t.Helper()
	mustUpdate(t, s, id, func(tx *payments.Tx) {
		tx.AddEvent(payments.Event{Type: "payment.pending", From: payments.StatusCreated, To: payments.StatusPending, CreatedAt: at})
		tx.AddEvent(payments.Event{Type: "attempt.error", CreatedAt: at})
	})
	mustUpdate(t, s, id, func(tx *payments.Tx) {
		tx.AddEvent(payments.Event{Type: "payment.paid", From: payments.StatusPending, To: payments.StatusPaid,
			Data: `{"id":"rf_x","amount":5}`, CreatedAt: at.Add(time.Second)})
	})
}

// checkBacklog checks the store's count of undelivered webhook events
// (the metrics' outbox backlog): every store offers it.
func checkBacklog(t testing.TB, s payments.Store, what string, want int) {
	t.Helper()
	bc, ok := s.(interface {
		WebhookBacklog(ctx context.Context, q payments.OutboxQuery) (int, error)
	})
	if !ok {
		t.Fatalf("%T has no WebhookBacklog", s)
	}
	n, err := bc.WebhookBacklog(t.Context(), payments.OutboxQuery{Types: webhookTypes, Since: base().Add(-time.Hour)})
	if err != nil || n != want {
		t.Errorf("WebhookBacklog %s = %d, %v; want %d", what, n, err, want)
	}
}

func record(t testing.TB, s payments.Store, id string, seq int64, attempt int, st payments.DeliveryState, at, next time.Time) payments.Delivery {
	t.Helper()
	d := payments.Delivery{ID: fmt.Sprintf("whd_%019d_%s_%d", at.UnixNano(), id[4:], seq), PaymentID: id, Seq: seq,
		EventType: "payment.pending", Attempt: attempt, StatusCode: 503, Error: "HTTP 503",
		Duration: 1500 * time.Millisecond, At: at.UTC(), State: st, NextAt: next}
	if st == payments.DeliveryDelivered {
		d.StatusCode, d.Error = 200, ""
	}
	if err := s.RecordDelivery(t.Context(), d); err != nil {
		t.Fatalf("RecordDelivery(%s/%d): %v", id, seq, err)
	}
	if !d.NextAt.IsZero() {
		d.NextAt = d.NextAt.UTC()
	}
	for _, e := range mustEvents(t, s, id) { // the log reads back its event's time
		if e.Seq == seq {
			d.EventAt = e.CreatedAt.UTC()
		}
	}
	return d
}

// testOutboxOrder: one event per payment at a time, in sequence order;
// a lease hides an event until it ends; retrying waits for NextAt;
// delivered and failed events let the next one go.
func testOutboxOrder(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, newPayment(1))
	q := mustCreate(t, s, newPayment(2))
	addWebhookEvents(t, s, p.ID, base())
	addWebhookEvents(t, s, q.ID, base().Add(time.Millisecond))
	now := base().Add(time.Minute)
	checkBacklog(t, s, "before any claim", 4)

	diff(t, "first claim", mustClaimEvents(t, s, now, 10), []string{claimed(p.ID, 2, 0), claimed(q.ID, 2, 0)})
	diff(t, "claim within the lease", mustClaimEvents(t, s, now.Add(59*time.Second), 10), []string{})
	diff(t, "claim after the lease", mustClaimEvents(t, s, now.Add(time.Minute), 1), []string{claimed(p.ID, 2, 0)})

	now = now.Add(2 * time.Minute)
	record(t, s, p.ID, 2, 1, payments.DeliveryDelivered, now, time.Time{})
	record(t, s, q.ID, 2, 1, payments.DeliveryRetrying, now, now.Add(10*time.Second))
	checkBacklog(t, s, "after p's delivery and q's retry", 3)
	diff(t, "claim after p's delivery", mustClaimEvents(t, s, now, 10), []string{claimed(p.ID, 4, 0)})
	diff(t, "claim when q's retry is due", mustClaimEvents(t, s, now.Add(10*time.Second), 10), []string{claimed(q.ID, 2, 1)})

	now = now.Add(time.Hour)
	record(t, s, q.ID, 2, 2, payments.DeliveryFailed, now, time.Time{})
	record(t, s, p.ID, 4, 1, payments.DeliveryDelivered, now, time.Time{})
	checkBacklog(t, s, "after q's failure", 1)
	diff(t, "claim after q's failure", mustClaimEvents(t, s, now, 10), []string{claimed(q.ID, 4, 0)})
	record(t, s, q.ID, 4, 1, payments.DeliveryDelivered, now, time.Time{})
	checkBacklog(t, s, "when all are done", 0)
	diff(t, "claim when all are done", mustClaimEvents(t, s, now.Add(time.Hour), 10), []string{})

	// The event log is unchanged by the outbox, data included.
	es := mustEvents(t, s, p.ID)
	if len(es) != 4 || es[3].Data != `{"id":"rf_x","amount":5}` {
		t.Errorf("Events = %+v, want 4 with the paid event's data", es)
	}
}

// testOutboxSince: events older than Since are never claimed and do not
// hold back newer ones; the limit holds.
func testOutboxSince(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, newPayment(1))
	addWebhookEvents(t, s, p.ID, base().Add(-2*time.Hour))
	mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
		tx.AddEvent(payments.Event{Type: "payment.failed", CreatedAt: base()})
	})
	for i := 2; i < 5; i++ {
		addWebhookEvents(t, s, mustCreate(t, s, newPayment(i)).ID, base().Add(time.Duration(i)*time.Second))
	}
	diff(t, "claim", mustClaimEvents(t, s, base().Add(time.Minute), 3), []string{claimed(p.ID, 5, 0),
		claimed(paymentID(2), 2, 0), claimed(paymentID(3), 2, 0)})
}

// testOutboxConcurrent: concurrent claimers never share an event.
func testOutboxConcurrent(t *testing.T, s payments.Store) {
	const n = 20
	for i := 1; i <= n; i++ {
		addWebhookEvents(t, s, mustCreate(t, s, newPayment(i)).ID, base())
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			evs, err := s.ClaimWebhookEvents(t.Context(), payments.OutboxQuery{Types: webhookTypes,
				Since: base().Add(-time.Hour), Now: base().Add(time.Minute), Lease: time.Minute, Limit: 5})
			if err != nil {
				t.Errorf("ClaimWebhookEvents: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, e := range evs {
				seen[fmt.Sprintf("%s/%d", e.PaymentID, e.Seq)]++
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("claimed %d distinct events, want %d", len(seen), n)
	}
	for k, c := range seen {
		if c != 1 {
			t.Errorf("event %s claimed %d times", k, c)
		}
	}
}

// testDeliveries: the log reads back exactly, newest first, filtered and
// paged, each try with its event's time and, when a later one of its
// event followed it, superseded;
// recording for an unknown event is ErrNotFound.
func testDeliveries(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, newPayment(1))
	q := mustCreate(t, s, newPayment(2))
	addWebhookEvents(t, s, p.ID, base())
	addWebhookEvents(t, s, q.ID, base())
	d1 := record(t, s, p.ID, 2, 1, payments.DeliveryRetrying, base().Add(time.Second), base().Add(11*time.Second))
	d2 := record(t, s, q.ID, 2, 1, payments.DeliveryDelivered, base().Add(2*time.Second), time.Time{})
	d3 := record(t, s, p.ID, 2, 2, payments.DeliveryDelivered, base().Add(12*time.Second), time.Time{})
	// d3 followed d1: d1's "retrying" and its next try are superseded.
	d1.Superseded = true
	list := func(f payments.DeliveryFilter) []payments.Delivery {
		t.Helper()
		f.Limit = max(f.Limit, 10)
		ds, err := s.Deliveries(t.Context(), f)
		if err != nil {
			t.Fatalf("Deliveries(%+v): %v", f, err)
		}
		for _, d := range ds {
			checkUTC(t, "delivery", d.At, d.NextAt)
		}
		return ds
	}
	diff(t, "all", list(payments.DeliveryFilter{}), []payments.Delivery{d3, d2, d1})
	diff(t, "by payment", list(payments.DeliveryFilter{PaymentID: p.ID}), []payments.Delivery{d3, d1})
	diff(t, "by id", list(payments.DeliveryFilter{ID: d2.ID}), []payments.Delivery{d2})
	diff(t, "before", list(payments.DeliveryFilter{Before: d3.ID}), []payments.Delivery{d2, d1})
	diff(t, "by state", list(payments.DeliveryFilter{State: payments.DeliveryDelivered}), []payments.Delivery{d3, d2})
	// d1 left its event retrying, but d3 delivered it: the state filter
	// is the event's state now, not the one an earlier try left.
	diff(t, "by state retrying", list(payments.DeliveryFilter{State: payments.DeliveryRetrying}), []payments.Delivery(nil))
	diff(t, "by state failed", list(payments.DeliveryFilter{State: payments.DeliveryFailed}), []payments.Delivery(nil))
	diff(t, "by event", list(payments.DeliveryFilter{PaymentID: p.ID, Seq: 2}), []payments.Delivery{d3, d1})
	if ds := list(payments.DeliveryFilter{PaymentID: p.ID, Seq: 1}); len(ds) != 0 {
		t.Errorf("by an event never tried: %+v, want none", ds)
	}
	if ds, err := s.Deliveries(t.Context(), payments.DeliveryFilter{Limit: 1}); err != nil || len(ds) != 1 {
		t.Errorf("Deliveries(limit 1) = %d, %v; want 1", len(ds), err)
	}
	// q's payment.paid given up on, then redelivered by hand: delivered.
	// p's payment.paid delivered, then redelivered and refused: failed.
	d4 := record(t, s, q.ID, 4, 1, payments.DeliveryFailed, base().Add(20*time.Second), time.Time{})
	d5 := record(t, s, q.ID, 4, 2, payments.DeliveryDelivered, base().Add(21*time.Second), time.Time{})
	d6 := record(t, s, p.ID, 4, 1, payments.DeliveryDelivered, base().Add(22*time.Second), time.Time{})
	d7 := record(t, s, p.ID, 4, 2, payments.DeliveryFailed, base().Add(23*time.Second), time.Time{})
	d4.Superseded, d6.Superseded = true, true
	diff(t, "by state delivered, now", list(payments.DeliveryFilter{State: payments.DeliveryDelivered}), []payments.Delivery{d5, d3, d2})
	diff(t, "by state failed, now", list(payments.DeliveryFilter{State: payments.DeliveryFailed}), []payments.Delivery{d7})
	diff(t, "by state and payment", list(payments.DeliveryFilter{State: payments.DeliveryDelivered, PaymentID: q.ID}), []payments.Delivery{d5, d2})
	diff(t, "by state, before", list(payments.DeliveryFilter{State: payments.DeliveryDelivered, Before: d5.ID}), []payments.Delivery{d3, d2})
	diff(t, "every try still listed", list(payments.DeliveryFilter{}), []payments.Delivery{d7, d6, d5, d4, d3, d2, d1})
	// By when the event was recorded (the service splits retrying events
	// at their retry window's start with it): q's attempt.error, recorded
	// at base(), left retrying; the payment.paid events, a second later.
	d8 := record(t, s, q.ID, 3, 1, payments.DeliveryRetrying, base().Add(24*time.Second), base().Add(34*time.Second))
	retrying := payments.DeliveryFilter{State: payments.DeliveryRetrying}
	after := func(f payments.DeliveryFilter, at time.Time) payments.DeliveryFilter { f.EventsAfter = at; return f }
	upTo := func(f payments.DeliveryFilter, at time.Time) payments.DeliveryFilter { f.EventsUpTo = at; return f }
	diff(t, "retrying, events after just before it", list(after(retrying, base().Add(-time.Microsecond))), []payments.Delivery{d8})
	diff(t, "retrying, events after its own time", list(after(retrying, base())), []payments.Delivery(nil))
	diff(t, "retrying, events up to its own time", list(upTo(retrying, base())), []payments.Delivery{d8})
	diff(t, "retrying, events up to just before it", list(upTo(retrying, base().Add(-time.Microsecond))), []payments.Delivery(nil))
	diff(t, "any state, events after base", list(after(payments.DeliveryFilter{}, base())), []payments.Delivery{d7, d6, d5, d4})
	diff(t, "any state, events up to base", list(upTo(payments.DeliveryFilter{}, base())), []payments.Delivery{d8, d3, d2, d1})
	err := s.RecordDelivery(t.Context(), payments.Delivery{ID: "whd_x", PaymentID: p.ID, Seq: 99,
		EventType: "payment.paid", Attempt: 1, At: base(), State: payments.DeliveryDelivered})
	if !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("RecordDelivery(unknown event) = %v, want ErrNotFound", err)
	}
	if ds := list(payments.DeliveryFilter{ID: "whd_x"}); len(ds) != 0 {
		t.Errorf("a delivery for an unknown event was kept: %+v", ds)
	}
}

// testListPayments: newest first, filtered by status and reference, and
// paged by (CreatedAt, ID) with no row lost or repeated, ties included.
func testListPayments(t *testing.T, s payments.Store) {
	var all []payments.Payment
	for i := 1; i <= 7; i++ {
		p := newPayment(i)
		p.CreatedAt = base().Add(time.Duration(i/2) * time.Second) // pairs share an instant
		p.Status = payments.StatusCreated
		if i%3 == 0 {
			p.Status = payments.StatusPaid
		}
		if i == 5 {
			p.Reference = "order-3" // a reference used twice
		}
		all = append(all, mustCreate(t, s, p))
	}
	list := func(f payments.PaymentFilter) []string {
		t.Helper()
		ps, err := s.ListPayments(t.Context(), f)
		if err != nil {
			t.Fatalf("ListPayments(%+v): %v", f, err)
		}
		ids := []string{}
		for _, p := range ps {
			checkUTC(t, "listed payment", p.CreatedAt, p.UpdatedAt, p.ExpiresAt, p.PaidAt)
			ids = append(ids, p.ID)
		}
		return ids
	}
	id := func(ns ...int) []string {
		out := []string{}
		for _, n := range ns {
			out = append(out, paymentID(n))
		}
		return out
	}
	diff(t, "all", list(payments.PaymentFilter{Limit: 100}), id(7, 6, 5, 4, 3, 2, 1))
	diff(t, "paid", list(payments.PaymentFilter{Status: payments.StatusPaid, Limit: 100}), id(6, 3))
	diff(t, "reference", list(payments.PaymentFilter{Reference: "order-3", Limit: 100}), id(5, 3))
	diff(t, "reference and status", list(payments.PaymentFilter{Reference: "order-3", Status: payments.StatusCreated, Limit: 100}), id(5))
	var got []string
	f := payments.PaymentFilter{Limit: 3}
	for range 5 {
		page := list(f)
		got = append(got, page...)
		if len(page) < f.Limit {
			break
		}
		last := all[len(all)-len(got)]
		f.BeforeTime, f.BeforeID = last.CreatedAt, last.ID
	}
	diff(t, "paged", got, id(7, 6, 5, 4, 3, 2, 1))
	diff(t, "whole payment", mustPayment(t, s, paymentID(1)), all[0])
}

// testListFilters: every filter of the back office's list (method,
// channel, currency, Latipay order id, contained text, creation time
// range) selects exactly its payments, alone and together, newest first,
// and pages with them.
func testListFilters(t *testing.T, s payments.Store) {
	type row struct {
		method   payments.Method
		source   string
		currency payments.Currency
		order    string
		ref      string
		desc     string
	}
	rows := []row{
		1: {payments.MethodWeChat, payments.SourceOnline, payments.NZD, "2025000000000001", "INV-100", "Flat white"},
		2: {payments.MethodAlipay, payments.SourceLink, payments.AUD, "2025000000000002", "inv-101", "Long black 咖啡"},
		3: {payments.MethodAlipay, payments.SourceCounterQR, payments.NZD, "", "shop_1", "100% cotton"},
		4: {payments.MethodUnionPay, payments.SourceCounterScan, payments.CNY, "2025000000000004", "shopx1", "Tea"},
		5: {"", payments.SourceStaticQR, payments.NZD, "", "S-5", "Flat WHITE to go"},
	}
	for i := 1; i < len(rows); i++ {
		r := rows[i]
		p := newPayment(i)
		p.CreatedAt = base().Add(time.Duration(i) * time.Hour)
		p.Method, p.Source, p.Currency, p.LatipayOrderID, p.Reference, p.Description = r.method, r.source, r.currency, r.order, r.ref, r.desc
		mustCreate(t, s, p)
	}
	list := func(f payments.PaymentFilter) []string {
		t.Helper()
		if f.Limit == 0 {
			f.Limit = 100
		}
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
	id := func(ns ...int) []string {
		out := []string{}
		for _, n := range ns {
			out = append(out, paymentID(n))
		}
		return out
	}
	diff(t, "method", list(payments.PaymentFilter{Method: payments.MethodAlipay}), id(3, 2))
	diff(t, "channel", list(payments.PaymentFilter{Source: payments.SourceCounterScan}), id(4))
	diff(t, "currency", list(payments.PaymentFilter{Currency: payments.NZD}), id(5, 3, 1))
	diff(t, "order id", list(payments.PaymentFilter{OrderID: "2025000000000002"}), id(2))
	diff(t, "order id is exact", list(payments.PaymentFilter{OrderID: "202500000000000"}), id())
	diff(t, "text in reference, any ASCII case", list(payments.PaymentFilter{Text: "INV-1"}), id(2, 1))
	diff(t, "text in description", list(payments.PaymentFilter{Text: "flat white"}), id(5, 1))
	diff(t, "text in Chinese", list(payments.PaymentFilter{Text: "咖啡"}), id(2))
	diff(t, "% is a plain character", list(payments.PaymentFilter{Text: "100%"}), id(3))
	diff(t, "_ is a plain character", list(payments.PaymentFilter{Text: "p_1"}), id(3))
	diff(t, "from (inclusive)", list(payments.PaymentFilter{From: base().Add(4 * time.Hour)}), id(5, 4))
	diff(t, "to (exclusive)", list(payments.PaymentFilter{To: base().Add(2 * time.Hour)}), id(1))
	diff(t, "range", list(payments.PaymentFilter{From: base().Add(2 * time.Hour), To: base().Add(4 * time.Hour)}), id(3, 2))
	diff(t, "together", list(payments.PaymentFilter{Currency: payments.NZD, Text: "flat", From: base().Add(2 * time.Hour)}), id(5))
	diff(t, "none", list(payments.PaymentFilter{Method: payments.MethodWeChat, Currency: payments.AUD}), id())
	first := list(payments.PaymentFilter{Currency: payments.NZD, Limit: 2})
	diff(t, "filtered first page", first, id(5, 3))
	next := list(payments.PaymentFilter{Currency: payments.NZD, Limit: 2,
		BeforeTime: base().Add(3 * time.Hour), BeforeID: paymentID(3)})
	diff(t, "filtered next page", next, id(1))

	// The exact id, the exact amount, and the flagged payments not yet
	// reviewed by flag (paid late includes those also under review, which
	// the home page lists once, under review), or those reviewed.
	diff(t, "id", list(payments.PaymentFilter{ID: paymentID(4)}), id(4))
	diff(t, "id is exact", list(payments.PaymentFilter{ID: paymentID(4)[:20]}), id())
	p3, err := s.Payment(t.Context(), paymentID(3))
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "amount", list(payments.PaymentFilter{Amount: p3.Amount}), id(3))
	diff(t, "amount and currency", list(payments.PaymentFilter{Amount: p3.Amount, Currency: payments.AUD}), id())
	for n, flags := range map[int][2]bool{1: {true, false}, 2: {true, true}, 3: {false, false}, 4: {false, true}, 5: {true, false}} {
		mustUpdate(t, s, paymentID(n), func(tx *payments.Tx) {
			tx.Payment.PaidLate, tx.Payment.NeedsReview = flags[0], flags[1]
			if n == 5 {
				tx.Payment.ReviewedAt = base().Add(24 * time.Hour)
			}
			tx.Touch()
		})
	}
	diff(t, "needs review", list(payments.PaymentFilter{Attention: payments.AttentionNeedsReview}), id(4, 2))
	diff(t, "paid late, under review or not", list(payments.PaymentFilter{Attention: payments.AttentionPaidLate}), id(2, 1))
	diff(t, "reviewed", list(payments.PaymentFilter{Attention: payments.AttentionReviewed}), id(5))
	diff(t, "needs review, paged", list(payments.PaymentFilter{Attention: payments.AttentionNeedsReview, Limit: 1,
		BeforeTime: base().Add(4 * time.Hour), BeforeID: paymentID(4)}), id(2))
}

// testListText: the search box's free text is a substring of the
// reference or of the description (never of the two joined), ASCII case
// ignored, every character taken literally, newest first. A word of the
// text with something else on both sides ("100" in "order 100:") must be
// a whole word of the payment, but one at either end may be part of a
// longer word ("reorder"); the cases keep a store that narrows by words
// from narrowing wrongly.
func testListText(t *testing.T, s payments.Store) {
	rows := [][2]string{ // reference, description
		1: {"INV-100", "Order 100: flat white x2"},
		2: {"inv-1001", "Order 1001: long black x1"},
		3: {"R-3", "Reorder 100: tea"},
		4: {"R-4", "Order 100:tea"},
		5: {"ORDER 100: X", "café 100 été"},
		6: {"R-6", "order  100 : two spaces"},
		7: {"R-7", `a\b "quoted" 50% off_now`},
	}
	for i := 1; i < len(rows); i++ {
		p := newPayment(i)
		p.CreatedAt = base().Add(time.Duration(i) * time.Hour)
		p.Reference, p.Description = rows[i][0], rows[i][1]
		mustCreate(t, s, p)
	}
	id := func(ns ...int) []string {
		out := []string{}
		for _, n := range ns {
			out = append(out, paymentID(n))
		}
		return out
	}
	for _, c := range []struct {
		text string
		want []string
	}{
		{"order 100:", id(5, 4, 3, 1)}, // a whole word inside, any case, and "reorder"
		{"ORDER 100: ", id(5, 3, 1)},   // the space after the colon
		{"r 100: t", id(3)},            // both ends part of longer words
		{" 100 ", id(6, 5)},            // a whole word, spaces around it
		{"100:", id(5, 4, 3, 1)},       // a word at the start may end a longer one
		{": 100", id()},                // no payment has it
		{"x 100", id()},                // nor this
		{"order 1001:", id(2)},         // 100 inside 1001 is not the word 100
		{"inv-100", id(2, 1)},          // the end word may begin a longer one
		{"100: x café", id()},          // never across the reference and the description
		{"x2", id(1)},                  // a word at both ends
		{"order  100 :", id(6)},        // two spaces are two spaces
		{"café 100", id(5)},            // beyond ASCII, exactly as written
		{"1", id(6, 5, 4, 3, 2, 1)},    // one character
		{`a\b "quoted"`, id(7)},        // a backslash and quotes are literal
		{"50% off_", id(7)},            // and so are % and _
		{"0% off_n", id(7)},            //
		{"50%_off", id()},              // which match only themselves
	} {
		ps, err := s.ListPayments(t.Context(), payments.PaymentFilter{Text: c.text, Limit: 100})
		if err != nil {
			t.Fatalf("ListPayments(text %q): %v", c.text, err)
		}
		got := []string{}
		for _, p := range ps {
			got = append(got, p.ID)
		}
		diff(t, fmt.Sprintf("text %q", c.text), got, c.want)
	}
}

// ListText runs the free-text search contract on s alone, for a store
// tested in a variant the whole suite need not repeat (PostgreSQL without
// its trigram index).
func ListText(t *testing.T, s payments.Store) { testListText(t, s) }

// testEndpointSince: the first answer is the time given then, in UTC,
// and every later answer is the same, whatever time is given.
func testEndpointSince(t *testing.T, s payments.Store) {
	first, err := s.WebhookEndpointSince(t.Context(), payments.OutboxQuery{Now: base()})
	if err != nil || !first.Equal(base()) || first.Location() != time.UTC {
		t.Fatalf("WebhookEndpointSince(first) = %v, %v; want %v in UTC", first, err, base())
	}
	for _, later := range []time.Time{base().Add(time.Hour), base().Add(-time.Hour)} {
		if got, err := s.WebhookEndpointSince(t.Context(), payments.OutboxQuery{Now: later}); err != nil || !got.Equal(base()) {
			t.Errorf("WebhookEndpointSince(%v) = %v, %v; want the first, %v", later, got, err, base())
		}
	}
}
