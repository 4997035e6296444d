package sqlite

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
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
