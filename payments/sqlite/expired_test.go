package sqlite

import (
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// TestExpiredPaymentsUseFailedIndex: the expiry sweep reads failed
// payments through payments_failed_expires (migration 035), which holds
// only those that may expire. Failed counter sales never expire and
// accumulate; in the failed range of payments_status_expires every sweep
// would read them all.
func TestExpiredPaymentsUseFailedIndex(t *testing.T) {
	db := newTestDB(t)
	now := testNow()
	for i := 1; i <= 2300; i++ {
		p := benchPayment(i)
		if i > 300 { // a settled history, and payments open whose window has not ended
			p.Status = payments.StatusPaid
			if i%20 == 0 {
				p.Status, p.ExpiresAt = payments.StatusCreated, now.Add(time.Hour)
			}
			ev := payments.Event{Type: "payment.created", To: p.Status, CreatedAt: p.CreatedAt}
			if _, _, err := db.CreatePayment(t.Context(), p, ev, payments.Idempotency{}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		p.Status, p.PaidAt, p.ExpiresAt = payments.StatusFailed, time.Time{}, now.Add(-time.Duration(i)*time.Minute)
		if i%100 != 0 {
			p.Source = payments.SourceCounterScan
		}
		ev := payments.Event{Type: "payment.created", To: p.Status, CreatedAt: p.CreatedAt}
		if _, _, err := db.CreatePayment(t.Context(), p, ev, payments.Idempotency{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.writer.ExecContext(t.Context(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	got, err := db.ExpiredPayments(t.Context(), now, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("ExpiredPayments = %v, %v; want the 3 failed payments that are not counter sales", got, err)
	}
	rows, err := db.reader.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+expiredPayments,
		string(payments.StatusCreated), string(payments.StatusPending), now.UnixNano(), 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	all := strings.Join(plan, "; ")
	if !strings.Contains(all, "payments_failed_expires") || strings.Contains(all, "SCAN payments;") {
		t.Errorf("the sweep's plan %q does not read failed payments through payments_failed_expires", all)
	}
}
