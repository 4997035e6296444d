package sqlite

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
)

// TestTextIndexedAtCommit: payments created by concurrent, group-committed
// writes and by CreatePayments are in both full-text indexes once their
// write returns (migration 019's batched indexing, text.go), nothing is
// left noted in payments_unindexed, and FTS5's integrity check (which
// compares an external-content index with its table) passes; a change of
// a payment's text and a deletion, before and after it is indexed, keep
// the indexes true to the table.
func TestTextIndexedAtCommit(t *testing.T) {
	db := newTestDB(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			p := benchPayment(i)
			p.Reference, p.Description = fmt.Sprintf("order-%d", i), fmt.Sprintf("Gift card %d", 500000+i)
			if _, _, err := db.CreatePayment(ctx, p, payments.Event{Type: "payment.created", CreatedAt: p.CreatedAt},
				payments.Idempotency{Key: fmt.Sprintf("k%d", i), Hash: "h"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	searchEach(t, db, 0, 64)
	checkTextIndexes(t, db, 64)
	var bulk []payments.NewPayment
	for i := 64; i < 96; i++ {
		p := benchPayment(i)
		p.Reference, p.Description = fmt.Sprintf("order-%d", i), fmt.Sprintf("Gift card %d", 500000+i)
		bulk = append(bulk, payments.NewPayment{Payment: p, Event: payments.Event{Type: "payment.created", CreatedAt: p.CreatedAt}})
	}
	if err := db.CreatePayments(ctx, bulk); err != nil {
		t.Fatal(err)
	}
	searchEach(t, db, 64, 96)
	checkTextIndexes(t, db, 96)

	// The triggers, on an indexed payment and on one still noted (as in
	// the middle of a batch): a changed text, a deletion.
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.writer.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`UPDATE payments SET description = 'Renamed 777777' WHERE id = ?`, benchPayment(1).ID)
	exec(`DELETE FROM events WHERE payment_id = ?`, benchPayment(2).ID)
	exec(`DELETE FROM idempotency WHERE payment_id = ?`, benchPayment(2).ID)
	exec(`DELETE FROM payments WHERE id = ?`, benchPayment(2).ID)
	exec(`BEGIN`)
	p := benchPayment(200)
	exec(insertPayment, paymentArgs(utc(p))...)
	exec(`UPDATE payments SET description = 'Renamed 888888' WHERE id = ?`, p.ID)
	p3 := benchPayment(201)
	exec(insertPayment, paymentArgs(utc(p3))...)
	exec(`DELETE FROM payments WHERE id = ?`, p3.ID)
	exec(indexTextTrigrams)
	exec(indexTextWords)
	exec(clearUnindexed)
	exec(`COMMIT`)
	for text, want := range map[string]int{"777777": 1, "500001": 0, "500002": 0, "888888": 1, "Renamed": 2} {
		ps, err := db.ListPayments(ctx, payments.PaymentFilter{Text: text, Limit: 10})
		if err != nil || len(ps) != want {
			t.Errorf("after the changes, search %q: %d payments (%v), want %d", text, len(ps), err, want)
		}
	}
	checkTextIndexes(t, db, 96)
}

// searchEach finds each of the payments from to to (benchPayment(i), its
// description "Gift card 500000+i") by its text.
func searchEach(t *testing.T, db *DB, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		// A whole word, "card", and the text checked on its candidates
		// (the word index); a substring without a whole word (the trigrams).
		for _, text := range []string{fmt.Sprintf("ft card %d", 500000+i), fmt.Sprint(500000 + i)[1:]} {
			ps, err := db.ListPayments(t.Context(), payments.PaymentFilter{Text: text, Limit: 10})
			if err != nil || len(ps) != 1 || ps[0].ID != benchPayment(i).ID {
				t.Errorf("search %q: %d payments (%v), want %s", text, len(ps), err, benchPayment(i).ID)
			}
		}
	}
}

// checkTextIndexes: nothing waits in payments_unindexed, both indexes pass
// FTS5's integrity check against the payments table, and each holds
// payments rows.
func checkTextIndexes(t *testing.T, db *DB, payments int) {
	t.Helper()
	ctx := context.Background()
	var n int
	if err := db.writer.QueryRowContext(ctx, `SELECT count(*) FROM payments_unindexed`).Scan(&n); err != nil || n != 0 {
		t.Errorf("payments_unindexed holds %d rows (%v), want 0", n, err)
	}
	for _, fts := range []string{"payments_text", "payments_words"} {
		if _, err := db.writer.ExecContext(ctx, `INSERT INTO `+fts+` (`+fts+`, rank) VALUES ('integrity-check', 1)`); err != nil {
			t.Errorf("%s: integrity check: %v", fts, err)
		}
		if err := db.writer.QueryRowContext(ctx, `SELECT count(*) FROM `+fts).Scan(&n); err != nil || n != payments {
			t.Errorf("%s: %d rows (%v), want %d", fts, n, err, payments)
		}
	}
}
