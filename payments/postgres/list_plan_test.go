package postgres

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/storetest"
)

// TestListFiltersUseIndexes: the list's filters by id, by exact amount
// (the search box's "88.80") and by what needs attention read their
// matches through an index (migration 032), never every payment: no
// sequential scan among 20,000 payments. (The planner may sort the few
// matches it found rather than walk an index in the list's order.)
func TestListFiltersUseIndexes(t *testing.T) {
	db := mustOpen(t, pgtest.Schema(t))
	now := testNow()
	var ps []payments.NewPayment
	for i := range 20000 {
		np := storetest.GrowthRow(i, now)
		np.Payment.PaidLate, np.Payment.NeedsReview = i%500 == 0, i%700 == 0
		ps = append(ps, np)
	}
	if err := db.CreatePayments(t.Context(), ps); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(t.Context(), "ANALYZE payments"); err != nil {
		t.Fatal(err)
	}
	amount := ps[7].Payment.Amount
	cursor := func(f payments.PaymentFilter) payments.PaymentFilter {
		f.BeforeTime, f.BeforeID = now, ps[100].Payment.ID
		return f
	}
	for _, f := range []payments.PaymentFilter{
		{ID: ps[7].Payment.ID, Limit: 51},
		{Amount: amount, Limit: 51},
		cursor(payments.PaymentFilter{Amount: amount, Limit: 51}),
		{Attention: payments.AttentionNeedsReview, Limit: 51},
		{Attention: payments.AttentionPaidLate, Limit: 51},
		cursor(payments.PaymentFilter{Attention: payments.AttentionPaidLate, Limit: 51}),
		{Attention: payments.AttentionReviewed, Limit: 51},
	} {
		sql, args := listQuery(f)
		var out []byte
		if err := db.pool.QueryRow(t.Context(), "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&out); err != nil {
			t.Fatal(err)
		}
		var plan any
		if err := json.Unmarshal(out, &plan); err != nil {
			t.Fatal(err)
		}
		if s := string(out); strings.Contains(s, `"Seq Scan"`) || !strings.Contains(s, `"Index Name"`) {
			t.Errorf("filter %+v: the plan reads every payment:\n%s", f, s)
		}
	}
}
