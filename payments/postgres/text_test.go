package postgres

import (
	"slices"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/storetest"
)

// TestTextIndexPendingList: the search box's GIN indexes take new
// payments through a pending list of 64 kB (migration 019, kept on payment_text by 021): off, each
// creation cost the server about 360 µs more CPU (BenchmarkCreateParallel);
// at GIN's default of 4 MB a search could read hundreds of its pages.
func TestTextIndexPendingList(t *testing.T) {
	db := mustOpen(t, pgtest.Schema(t))
	rows, err := db.pool.Query(t.Context(), `SELECT c.relname, coalesce(c.reloptions, '{}') FROM pg_class c
		WHERE c.relname IN ('payment_text_words', 'payment_text_trgm') AND c.relnamespace = current_schema()::regnamespace`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var name string
		var opts []string
		if err := rows.Scan(&name, &opts); err != nil {
			t.Fatal(err)
		}
		seen++
		for _, want := range []string{"fastupdate=on", "gin_pending_list_limit=64"} {
			if !slices.Contains(opts, want) {
				t.Errorf("%s: options %v, want %s", name, opts, want)
			}
		}
	}
	if err := rows.Err(); err != nil || seen == 0 {
		t.Fatalf("no payment_text_words index found (%v)", err)
	}
}

// textPayment is payment i of the text tests, created in db with text as
// its description.
func textPayment(t *testing.T, db *DB, i int, text string) payments.Payment {
	t.Helper()
	p := storetest.GrowthRow(i, testNow()).Payment
	p.Status, p.PaidAt, p.LatipayOrderID, p.Refunded, p.Description = payments.StatusPending, time.Time{}, "", 0, text
	got, _, err := db.CreatePayment(t.Context(), p, payments.Event{Type: "payment.created", To: payments.StatusPending, CreatedAt: p.CreatedAt}, payments.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// searchIDs returns the ids ListPayments finds for text.
func searchIDs(t *testing.T, db *DB, text string) []string {
	t.Helper()
	ps, err := db.ListPayments(t.Context(), payments.PaymentFilter{Text: text, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return ids
}

// TestTextMigrationMovesPayments: migration 021 copies the text of the
// payments a database already holds into payment_text, so a search finds
// them after the upgrade as before it.
func TestTextMigrationMovesPayments(t *testing.T) {
	u := pgtest.Schema(t)
	db := mustOpen(t, u)
	// The schema as 020 left it: no payment_text, the indexes on payments.
	pgtest.Exec(t, u, `DROP TABLE payment_text; DROP FUNCTION payment_text_write() CASCADE;
		CREATE INDEX payments_words ON payments USING gin (regexp_split_to_array(lower(reference || ' ' || description), '[^a-z0-9]+'));
		DELETE FROM schema_migrations WHERE version = 21`)
	old := textPayment(t, db, 1, "Order 5501: flat white")
	db.Close()

	db = mustOpen(t, u)
	if got := searchIDs(t, db, "order 5501:"); !slices.Equal(got, []string{old.ID}) {
		t.Errorf("after migrating, search for a payment made before: %v, want [%s]", got, old.ID)
	}
	if n := pgtest.QueryInt64(t, u, `SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = 'payments'::regclass AND a.amname = 'gin'`); n != 0 {
		t.Errorf("payments still has %d GIN indexes after migration 021", n)
	}
}

// TestTextWrittenOnlyWhenChanged: a payment's state change does not
// rewrite its row of payment_text (so it adds no entry to the text
// indexes: the point of migration 021), and a change of its description
// does, so the search finds the new text and not the old.
func TestTextWrittenOnlyWhenChanged(t *testing.T) {
	u := pgtest.Schema(t)
	db := mustOpen(t, u)
	p := textPayment(t, db, 1, "Order 7701: long black")
	xmin := func() int64 {
		return pgtest.QueryInt64(t, u, `SELECT xmin::text::bigint FROM payment_text WHERE payment_id = $1`, p.ID)
	}
	before := xmin()
	if _, err := db.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
		tx.Payment.Status, tx.Payment.PaidAt = payments.StatusPaid, testNow()
		tx.AddEvent(payments.Event{Type: "payment.paid", From: payments.StatusPending, To: payments.StatusPaid, CreatedAt: testNow()})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if after := xmin(); after != before {
		t.Errorf("a status change rewrote the payment's text row (xmin %d → %d)", before, after)
	}
	if _, err := db.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
		tx.Payment.Description = "Order 7702: tea"
		tx.Touch()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, db, "order 7702:"); !slices.Equal(got, []string{p.ID}) {
		t.Errorf("search for the new description: %v, want [%s]", got, p.ID)
	}
	if got := searchIDs(t, db, "order 7701:"); len(got) != 0 {
		t.Errorf("search for the old description: %v, want none", got)
	}
}
