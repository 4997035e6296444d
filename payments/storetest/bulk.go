package storetest

import (
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// testCreatePayments: the bulk path stores each row exactly as
// CreatePayment and Update would (payment, creation event, attempt, refund),
// grows a database in steps, is all or nothing, and leaves nothing due
// for the reconciler, the expiry sweep or the start-up correction of
// refund statuses (every refunded status has its succeeded refunds).
func testCreatePayments(t *testing.T, s payments.Store) {
	bc, ok := s.(payments.BulkCreator)
	if !ok {
		t.Fatalf("%T does not implement payments.BulkCreator", s)
	}
	ctx := t.Context()
	end := base()
	if n, err := Grow(ctx, bc, 0, 60, 7, end); err != nil || n != 60 {
		t.Fatalf("Grow(0, 60) = %d, %v; want 60, nil", n, err)
	}
	if n, err := Grow(ctx, bc, 60, 100, 100, end); err != nil || n != 40 {
		t.Fatalf("Grow(60, 100) = %d, %v; want 40, nil", n, err)
	}
	statuses := map[payments.Status]bool{}
	for i := 1; i <= 100; i++ {
		want := GrowthRow(i, end)
		statuses[want.Payment.Status] = true
		diff(t, "Payment "+want.Payment.ID, mustPayment(t, s, want.Payment.ID), want.Payment)
		diff(t, "Events "+want.Payment.ID, mustEvents(t, s, want.Payment.ID), []payments.Event{want.Event})
		diff(t, "Attempts "+want.Payment.ID, mustAttempts(t, s, want.Payment.ID), want.Attempts)
		rs, err := s.Refunds(ctx, want.Payment.ID)
		if err != nil || len(rs) != len(want.Refunds) {
			t.Fatalf("Refunds(%s) = %d, %v; want %d", want.Payment.ID, len(rs), err, len(want.Refunds))
		}
		if len(rs) > 0 {
			diff(t, "Refunds "+want.Payment.ID, rs, want.Refunds)
		}
		if !want.Payment.CreatedAt.After(end.Add(-366*24*time.Hour)) || want.Payment.CreatedAt.After(end) {
			t.Errorf("row %d created at %v, want within the year before %v", i, want.Payment.CreatedAt, end)
		}
	}
	if len(statuses) != 5 {
		t.Errorf("100 rows have statuses %v, want paid, expired, canceled, partially refunded and refunded", statuses)
	}
	ps, err := s.ListPayments(ctx, payments.PaymentFilter{Limit: 200})
	if err != nil || len(ps) != 100 {
		t.Fatalf("ListPayments = %d payments, %v; want 100", len(ps), err)
	}
	// Nothing seeded is due, however late it is.
	later := end.Add(10 * 365 * 24 * time.Hour)
	if as, err := s.ClaimDueAttempts(ctx, later, time.Minute, 100); err != nil || len(as) != 0 {
		t.Errorf("ClaimDueAttempts = %d attempts, %v; want none", len(as), err)
	}
	if ids, err := s.ExpiredPayments(ctx, later, 100); err != nil || len(ids) != 0 {
		t.Errorf("ExpiredPayments = %v, %v; want none", ids, err)
	}
	if rs, err := s.ClaimDueRefunds(ctx, later, time.Minute, 100); err != nil || len(rs) != 0 {
		t.Errorf("ClaimDueRefunds = %d refunds, %v; want none", len(rs), err)
	}
	// Every refunded status is backed by its succeeded refunds: the
	// service's start-up correction has nothing to put back.
	if ids, err := s.MisstatedRefunds(ctx, 100); err != nil || len(ids) != 0 {
		t.Errorf("MisstatedRefunds = %v, %v; want none", ids, err)
	}

	// All or nothing: a chunk holding a taken id stores none of its rows.
	rows := []payments.NewPayment{GrowthRow(101, end), GrowthRow(102, end), GrowthRow(10, end)}
	if err := bc.CreatePayments(ctx, rows); err == nil {
		t.Fatal("CreatePayments with a taken id = nil, want an error")
	}
	for _, r := range rows[:2] {
		if _, err := s.Payment(ctx, r.Payment.ID); err == nil {
			t.Errorf("Payment(%s) stored by a failed CreatePayments", r.Payment.ID)
		}
	}
	// The store goes on working: the same rows without the taken one.
	if err := bc.CreatePayments(ctx, rows[:2]); err != nil {
		t.Fatalf("CreatePayments after a failed one: %v", err)
	}
	diff(t, "Payment after retry", mustPayment(t, s, rows[1].Payment.ID), rows[1].Payment)
}
