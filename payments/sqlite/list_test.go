package sqlite

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/counter"
)

// TestTextSearchRareAndCommon: a search text found in few payments is
// answered through the trigram index and one found in many along the
// newest-first walk; both give exactly the matching payments, newest
// first, case ignored, and so does one too short for trigrams.
func TestTextSearchRareAndCommon(t *testing.T) {
	db := newTestDB(t)
	const n = commonText + 200
	for i := 1; i <= n; i++ {
		p := benchPayment(i)
		p.CreatedAt = p.CreatedAt.Add(time.Duration(i) * time.Second)
		p.Description = "Flat white"
		if i%20 == 0 {
			p.Description = "Green TEA x2"
		}
		ev := payments.Event{Type: "payment.created", To: p.Status, CreatedAt: p.CreatedAt}
		if _, _, err := db.CreatePayment(t.Context(), p, ev, payments.Idempotency{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		text, want string // want: the description every row has
		rare       bool
	}{{"flat white", "Flat white", false}, {"green tea", "Green TEA x2", true}, {"EA", "Green TEA x2", false}} {
		rare, err := db.rareText(t.Context(), tc.text)
		if err != nil || rare != tc.rare {
			t.Errorf("rareText(%q) = %v, %v; want %v", tc.text, rare, err, tc.rare)
		}
		ps, err := db.ListPayments(t.Context(), payments.PaymentFilter{Text: tc.text, Limit: 51})
		if err != nil || len(ps) != 51 {
			t.Fatalf("search %q: %d rows, %v", tc.text, len(ps), err)
		}
		for i, p := range ps {
			if p.Description != tc.want {
				t.Fatalf("search %q row %d: %q", tc.text, i, p.Description)
			}
			if i > 0 && !p.CreatedAt.Before(ps[i-1].CreatedAt) {
				t.Fatalf("search %q: not newest first at row %d", tc.text, i)
			}
		}
		if strings.Contains(tc.want, "TEA") && ps[0].ID != fmt.Sprintf("pay_%026d", n-n%20) {
			t.Errorf("search %q starts at %s, want the newest tea", tc.text, ps[0].ID)
		}
	}
}

// TestListFiltersUseIndexes: the list's filters by id, by exact amount
// (the search box's "88.80") and by what needs attention read an index
// range in the list's order (migration 030): no scan of the payments
// table and no sort of every match, however many payments there are.
func TestListFiltersUseIndexes(t *testing.T) {
	db := newTestDB(t)
	for i := 1; i <= 300; i++ {
		p := benchPayment(i)
		p.CreatedAt = p.CreatedAt.Add(time.Duration(i) * time.Second)
		p.PaidLate, p.NeedsReview = i%50 == 0, i%70 == 0
		ev := payments.Event{Type: "payment.created", To: p.Status, CreatedAt: p.CreatedAt}
		if _, _, err := db.CreatePayment(t.Context(), p, ev, payments.Idempotency{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.writer.ExecContext(t.Context(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	cursor := func(f payments.PaymentFilter) payments.PaymentFilter {
		f.BeforeTime, f.BeforeID = testNow(), "pay_00000000000000000000000100"
		return f
	}
	for _, f := range []payments.PaymentFilter{
		{ID: "pay_00000000000000000000000007", Limit: 51},
		{Amount: 1250, Limit: 51},
		cursor(payments.PaymentFilter{Amount: 1250, Limit: 51}),
		{Amount: 1250, Status: payments.StatusPaid, Limit: 51},
		{Attention: payments.AttentionNeedsReview, Limit: 51},
		{Attention: payments.AttentionPaidLate, Limit: 51},
		cursor(payments.PaymentFilter{Attention: payments.AttentionPaidLate, Limit: 51}),
		{Attention: payments.AttentionReviewed, Limit: 51},
	} {
		q, args := listQuery(f, "", false)
		rows, err := db.reader.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		all := strings.Join(plan, "; ")
		if strings.Contains(all, "SCAN payments") && !strings.Contains(all, "USING") || strings.Contains(all, "TEMP B-TREE") {
			t.Errorf("filter %+v: plan %q scans the payments or sorts every match", f, all)
		}
	}
}

// TestListSaleFiltersUseIndexes: the list's device and cashier filters
// (a report's row linking to its sales) read the sales of that device or
// person through an index, counter_sales_device (015) and
// counter_sales_account (042), never every sale of every till.
func TestListSaleFiltersUseIndexes(t *testing.T) {
	db := newTestDB(t)
	for d := range 6 { // a shop's tills, and its cashiers
		if err := db.CreateDevice(t.Context(), counter.Device{ID: fmt.Sprintf("dev_%d", d), Name: fmt.Sprint("till ", d),
			TokenHash: fmt.Sprintf("%064d", d), CreatedAt: testNow(), SeenAt: testNow()}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 300; i++ {
		p := benchPayment(i)
		p.CreatedAt = p.CreatedAt.Add(time.Duration(i) * time.Second)
		ev := payments.Event{Type: "payment.created", To: p.Status, CreatedAt: p.CreatedAt}
		if _, _, err := db.CreatePayment(t.Context(), p, ev, payments.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			continue
		}
		if _, err := db.AddSale(t.Context(), counter.Sale{PaymentID: p.ID, DeviceID: fmt.Sprintf("dev_%d", i%6),
			AccountID: fmt.Sprintf("acc_%d", i%7), Key: fmt.Sprintf("k%d", i), CreatedAt: p.CreatedAt}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.writer.ExecContext(t.Context(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	cursor := func(f payments.PaymentFilter) payments.PaymentFilter {
		f.BeforeTime, f.BeforeID = testNow().Add(100*time.Second), "pay_00000000000000000000000100"
		return f
	}
	for _, c := range []struct {
		f     payments.PaymentFilter
		index string
	}{
		{payments.PaymentFilter{Device: "dev_2", Limit: 51}, "counter_sales_device"},
		{cursor(payments.PaymentFilter{Device: "dev_2", Limit: 51}), "counter_sales_device"},
		{payments.PaymentFilter{Cashier: "acc_2", Limit: 51}, "counter_sales_account"},
		{cursor(payments.PaymentFilter{Cashier: "acc_2", Limit: 51}), "counter_sales_account"},
		{payments.PaymentFilter{Cashier: "acc_2", Status: payments.StatusCreated, Limit: 51}, "counter_sales_account"},
	} {
		q, args := listQuery(c.f, "", false)
		rows, err := db.reader.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		all := strings.Join(plan, "; ")
		if strings.Contains(all, "SCAN counter_sales") || !strings.Contains(all, "INDEX "+c.index) {
			t.Errorf("filter %+v: plan %q reads every sale, not the %s index", c.f, all, c.index)
		}
	}
}
