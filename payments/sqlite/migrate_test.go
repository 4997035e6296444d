package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
)

// TestMigrateNotificationsKey: a database made by migrations 001 and 002,
// with notifications in it, is rebuilt by 003 with every row, id and
// order kept; a repeat of a recorded notification is still ignored; the
// unique index on digest alone is gone; the file stays consistent.
func TestMigrateNotificationsKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	old, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,
		name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"001_init.sql", "002_webhooks.sql"} { // in order
		v := i + 1
		body, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := old.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := old.Exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, v, name); err != nil {
			t.Fatal(err)
		}
	}
	rows := []payments.Notification{
		{Reference: "REF1", Digest: "d2", Status: "paid", Body: "b1", Result: "orphan", At: testNow()},
		{Reference: "REF2", Digest: "d1", Status: "pending", Body: "b2", Result: "orphan", At: testNow()},
		{Reference: "REF1", Digest: "d1x", Status: "failed", Body: "b3", Result: "orphan", At: testNow()},
	}
	for i, n := range rows {
		if _, err := old.Exec(`INSERT INTO notifications (id, reference, digest, status, body, result, at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, 10+i, n.Reference, n.Digest, n.Status, n.Body, n.Result, nanos(n.At)); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	db := mustOpen(t, path) // applies 003
	got, err := db.Notifications(t.Context(), "REF1")
	if err != nil || len(got) != 2 || got[0].Digest != "d2" || got[1].Digest != "d1x" || got[1].Body != "b3" {
		t.Fatalf("REF1 after the migration: %+v, %v; want d2 then d1x, as recorded", got, err)
	}
	var ids string
	if err := db.writer.QueryRow(`SELECT group_concat(id) FROM (SELECT id FROM notifications ORDER BY id)`).Scan(&ids); err != nil || ids != "10,11,12" {
		t.Fatalf("ids after the migration: %q, %v; want 10,11,12", ids, err)
	}
	// A repeat is ignored, a new digest for the same reference is kept.
	for _, n := range []payments.Notification{rows[0], {Reference: "REF1", Digest: "d3", At: testNow()}} {
		if err := db.RecordOrphan(t.Context(), n); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := db.Notifications(t.Context(), "REF1"); len(got) != 3 || got[2].Digest != "d3" {
		t.Fatalf("REF1 after a repeat and a new one: %+v; want d2, d1x, d3", got)
	}
	var idx []string
	r, err := db.writer.Query(`SELECT name FROM pragma_index_list('notifications') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var name string
		r.Scan(&name)
		idx = append(idx, name)
	}
	r.Close()
	if len(idx) != 1 || idx[0] != "notifications_reference_digest" {
		t.Errorf("indexes on notifications: %v; want only notifications_reference_digest", idx)
	}
	var check string
	if err := db.writer.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check: %q, %v", check, err)
	}
	var fk int
	if err := db.writer.QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fk); err != nil || fk != 0 {
		t.Errorf("foreign_key_check: %d rows, %v", fk, err)
	}
}
