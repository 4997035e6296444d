package postgres

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/counter"
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

// TestListSaleFiltersUseIndexes: the list's device and cashier filters
// (a report's row linking to its sales) read the sales of that device or
// person through an index, counter_sales_device (015) and
// counter_sales_account (045), never every sale of every till.
func TestListSaleFiltersUseIndexes(t *testing.T) {
	db := mustOpen(t, pgtest.Schema(t))
	now := testNow()
	for d := range 7 { // a shop's tills, and its cashiers
		if err := db.CreateDevice(t.Context(), counter.Device{ID: fmt.Sprintf("dev_%d", d), Name: fmt.Sprint("till ", d),
			TokenHash: fmt.Sprintf("%064d", d), CreatedAt: now, SeenAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	var ps []payments.NewPayment
	for i := range 20000 {
		ps = append(ps, storetest.GrowthRow(i, now))
	}
	if err := db.CreatePayments(t.Context(), ps); err != nil {
		t.Fatal(err)
	}
	// Two payments in three are the tills' sales; a till added lately
	// (dev_6) and a new cashier (acc_new) have 40 each: walking the
	// payments newest first to find theirs would read all 20,000.
	if _, err := db.pool.Exec(t.Context(), `INSERT INTO counter_sales (payment_id, device_id, account_id, key, created_at)
		SELECT id, CASE WHEN n % 500 = 1 THEN 'dev_6' ELSE 'dev_' || (n % 6) END,
			CASE WHEN n % 500 = 2 THEN 'acc_new' ELSE 'acc_' || (n % 7) END, 'k' || n, created_at
		FROM (SELECT id, created_at, row_number() OVER (ORDER BY id) AS n FROM payments) s WHERE n % 3 <> 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(t.Context(), "ANALYZE payments; ANALYZE counter_sales"); err != nil {
		t.Fatal(err)
	}
	cursor := func(f payments.PaymentFilter) payments.PaymentFilter {
		f.BeforeTime, f.BeforeID = now, ps[100].Payment.ID
		return f
	}
	for _, c := range []struct {
		f     payments.PaymentFilter
		index string
	}{
		{payments.PaymentFilter{Device: "dev_6", Limit: 51}, "counter_sales_device"},
		{cursor(payments.PaymentFilter{Device: "dev_6", Limit: 51}), "counter_sales_device"},
		{payments.PaymentFilter{Cashier: "acc_new", Limit: 51}, "counter_sales_account"},
		{cursor(payments.PaymentFilter{Cashier: "acc_new", Limit: 51}), "counter_sales_account"},
		{payments.PaymentFilter{Cashier: "acc_new", Status: payments.StatusPaid, Limit: 51}, "counter_sales_account"},
	} {
		sql, args := listQuery(c.f)
		var out []byte
		if err := db.pool.QueryRow(t.Context(), "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&out); err != nil {
			t.Fatal(err)
		}
		var plan any
		if err := json.Unmarshal(out, &plan); err != nil {
			t.Fatal(err)
		}
		// The indexes of counter_sales the plan reads, and whether it
		// reads the table whole.
		var indexes []string
		scan := false
		var walk func(v any)
		walk = func(v any) {
			switch n := v.(type) {
			case []any:
				for _, e := range n {
					walk(e)
				}
			case map[string]any:
				if name, _ := n["Index Name"].(string); strings.HasPrefix(name, "counter_sales") {
					indexes = append(indexes, name)
				}
				scan = scan || n["Relation Name"] == "counter_sales" && n["Node Type"] == "Seq Scan"
				for _, e := range n {
					walk(e)
				}
			}
		}
		walk(plan)
		if scan || !slices.Equal(indexes, []string{c.index}) {
			t.Errorf("filter %+v: the plan reads the sales through %v (every sale: %v), not through %s alone:\n%s",
				c.f, indexes, scan, c.index, out)
		}
	}
}
