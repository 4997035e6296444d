package postgres

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// TestBackupTableList: the backup guide (payments/sqlite/README.md) names
// every table a freshly migrated schema has, and no other, in the
// sentence that says which to keep; a migration that adds a table fails
// here until the guide names it.
func TestBackupTableList(t *testing.T) {
	b, err := os.ReadFile("../sqlite/README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "Keep every table")
	list, _, ok2 := strings.Cut(rest, "may be left out")
	if !ok || !ok2 {
		t.Fatal(`the backup guide has no "Keep every table … may be left out" sentence`)
	}
	var named []string
	for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(list, -1) {
		named = append(named, m[1])
	}
	db := mustOpen(t, pgtest.Schema(t))
	rows, err := db.pool.Query(t.Context(), `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(named)
	slices.Sort(tables)
	for _, n := range tables {
		if _, found := slices.BinarySearch(named, n); !found {
			t.Errorf("table %s is missing from the backup guide's list", n)
		}
	}
	for _, n := range named {
		if _, found := slices.BinarySearch(tables, n); !found {
			t.Errorf("the backup guide lists %s, which is no table of a migrated schema", n)
		}
	}
}
