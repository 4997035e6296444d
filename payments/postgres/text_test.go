package postgres

import (
	"slices"
	"testing"

	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// TestTextIndexPendingList: the search box's GIN indexes take new
// payments through a pending list of 64 kB (migration 019): off, each
// creation cost the server about 360 µs more CPU (BenchmarkCreateParallel);
// at GIN's default of 4 MB a search could read hundreds of its pages.
func TestTextIndexPendingList(t *testing.T) {
	db := mustOpen(t, pgtest.Schema(t))
	rows, err := db.pool.Query(t.Context(), `SELECT c.relname, coalesce(c.reloptions, '{}') FROM pg_class c
		WHERE c.relname IN ('payments_words', 'payments_text') AND c.relnamespace = current_schema()::regnamespace`)
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
		t.Fatalf("no payments_words index found (%v)", err)
	}
}
