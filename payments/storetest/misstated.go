package storetest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// misstated seeds payments n = 1..7 (12.50 each) with a status and
// refunds as an earlier version could have left them, and returns the
// ids of those whose status disagrees with their succeeded refunds, with
// the status each should have.
func misstated(t *testing.T, s payments.Store) map[string]payments.Status {
	t.Helper()
	type refund struct {
		amount int64
		status payments.RefundStatus
	}
	seeds := []struct {
		status  payments.Status
		refunds []refund
		want    payments.Status // "" when the status is right
	}{
		// Refunded while only 5.00 succeeded: the rest failed later.
		{payments.StatusRefunded, []refund{{500, payments.RefundSucceeded}, {750, payments.RefundFailed}}, payments.StatusPartiallyRefunded},
		// Partially refunded with nothing succeeded.
		{payments.StatusPartiallyRefunded, []refund{{500, payments.RefundFailed}}, payments.StatusPaid},
		// Refunded while 7.50 is still pending.
		{payments.StatusRefunded, []refund{{500, payments.RefundSucceeded}, {750, payments.RefundPending}}, payments.StatusPartiallyRefunded},
		// Right: partly, and wholly, refunded by succeeded refunds.
		{payments.StatusPartiallyRefunded, []refund{{500, payments.RefundSucceeded}, {100, payments.RefundPending}}, ""},
		{payments.StatusRefunded, []refund{{500, payments.RefundSucceeded}, {750, payments.RefundSucceeded}}, ""},
		// Paid is not a refund status: never listed.
		{payments.StatusPaid, []refund{{500, payments.RefundFailed}}, ""},
		{payments.StatusPaid, nil, ""},
	}
	want := map[string]payments.Status{}
	for i, sd := range seeds {
		p := newPayment(i + 1)
		p.Amount, p.Refunded = 1250, 0
		p = mustCreate(t, s, p)
		mustUpdate(t, s, p.ID, func(tx *payments.Tx) {
			tx.Payment.Status = sd.status
			for j, r := range sd.refunds {
				rf := newRefund(p.ID, 10*i+j, base())
				rf.Amount, rf.Status = r.amount, r.status
				if r.status != payments.RefundFailed {
					tx.Payment.Refunded += r.amount
				}
				tx.PutRefund(rf)
			}
			tx.Touch()
		})
		if sd.want != "" {
			want[p.ID] = sd.want
		}
	}
	return want
}

// testMisstatedRefunds: the store lists exactly the payments whose
// refund status disagrees with what their succeeded refunds add up to,
// by id, at most limit.
func testMisstatedRefunds(t *testing.T, s payments.Store) {
	want := misstated(t, s)
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	got, err := s.MisstatedRefunds(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "MisstatedRefunds", got, ids)
	if got, err := s.MisstatedRefunds(t.Context(), 2); err != nil || !slices.Equal(got, ids[:2]) {
		t.Errorf("MisstatedRefunds(limit 2) = %v, %v; want %v", got, err, ids[:2])
	}
}

// testCorrectRefundStatuses: the payments service corrects each
// misstated status over this store, once, with the event the live rule
// writes when a refund it counted fails; a second run finds nothing.
func testCorrectRefundStatuses(t *testing.T, s payments.Store) {
	want := misstated(t, s)
	before := map[string]payments.Payment{}
	for id := range want {
		before[id] = mustPayment(t, s, id)
	}
	now := base().Add(time.Hour)
	svc, err := payments.NewService(s, struct{ payments.Gateway }{}, publisher{}, slog.New(slog.DiscardHandler),
		func() time.Time { return now }, rand.Reader, payments.Options{CallbackURL: "https://hpp.example/cb",
			ReturnURLFor: func(string) string { return "https://hpp.example/r" }, CheckoutURLFor: func(string) string { return "https://hpp.example/c" }})
	if err != nil {
		t.Fatal(err)
	}
	n, err := svc.CorrectRefundStatuses(t.Context())
	if err != nil || n != len(want) {
		t.Fatalf("CorrectRefundStatuses = %d, %v; want %d corrected", n, err, len(want))
	}
	for id, st := range want {
		p := mustPayment(t, s, id)
		if p.Status != st || p.Version <= before[id].Version || p.Refunded != before[id].Refunded {
			t.Errorf("%s: %s, version %d, refunded %d; want %s, a new version, refunded %d unchanged",
				id, p.Status, p.Version, p.Refunded, st, p.Refunded)
		}
		evs := mustEvents(t, s, id)
		last := evs[len(evs)-1]
		from := before[id].Status
		if last.Type != "payment."+string(st) || last.From != from || last.To != st ||
			!strings.HasPrefix(last.Detail, "corrected to the succeeded refunds: ") {
			t.Errorf("%s: last event %s %s->%s %q; want payment.%s %s->%s, corrected to the succeeded refunds",
				id, last.Type, last.From, last.To, last.Detail, st, from, st)
		}
	}
	if ids, err := s.MisstatedRefunds(t.Context(), 100); err != nil || len(ids) != 0 {
		t.Errorf("after correcting, MisstatedRefunds = %v, %v; want none", ids, err)
	}
	counts := func() string {
		var out []string
		for id := range want {
			out = append(out, fmt.Sprint(id, len(mustEvents(t, s, id))))
		}
		slices.Sort(out)
		return fmt.Sprint(out)
	}
	was := counts()
	if n, err := svc.CorrectRefundStatuses(t.Context()); err != nil || n != 0 || counts() != was {
		t.Errorf("a second run = %d, %v (events %s, were %s); want nothing done", n, err, counts(), was)
	}
}

// publisher drops the pushes to shoppers' pages.
type publisher struct{}

func (publisher) Publish(payments.Update) {}

// testRefundPayment: a store that finds a refund's payment by the
// refund's id (payments.RefundFinder) finds each, and says ErrNotFound of
// an id it does not have.
func testRefundPayment(t *testing.T, s payments.Store) {
	rf, ok := s.(payments.RefundFinder)
	if !ok {
		t.Fatal("the store does not find a refund's payment by its id")
	}
	misstated(t, s)
	ps, err := s.ListPayments(t.Context(), payments.PaymentFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range ps {
		rs, err := s.Refunds(t.Context(), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			n++
			if got, err := rf.RefundPayment(t.Context(), r.ID); err != nil || got != p.ID {
				t.Errorf("RefundPayment(%s) = %q, %v; want %s", r.ID, got, err, p.ID)
			}
		}
	}
	if n == 0 {
		t.Fatal("no refunds to find")
	}
	if _, err := rf.RefundPayment(t.Context(), "rf_missing"); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("RefundPayment(missing) error = %v, want ErrNotFound", err)
	}
}
