package postgres

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/accounts/accountstest"
	"github.com/latipay-hpp/hpp/payments/displays"
	"github.com/latipay-hpp/hpp/payments/displays/displaystest"
	"github.com/latipay-hpp/hpp/payments/linkstest"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/receipts"
	"github.com/latipay-hpp/hpp/payments/receipts/receiptstest"
	"github.com/latipay-hpp/hpp/payments/storetest"
)

// testNow is the clock the tests give Open.
func testNow() time.Time { return time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC) }

func mustOpen(t testing.TB, url string) *DB {
	t.Helper()
	db, err := Open(t.Context(), url, testNow)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestStore runs the store contract, each test in its own schema.
func TestStore(t *testing.T) {
	pgtest.URL(t)
	storetest.Run(t, func(t *testing.T) payments.Store { return mustOpen(t, pgtest.Schema(t)) })
}

// TestReports runs the back office's figures' contract, each test in its
// own schema.
func TestReports(t *testing.T) {
	pgtest.URL(t)
	storetest.RunReports(t, func(t *testing.T) storetest.ReportingStore { return mustOpen(t, pgtest.Schema(t)) })
}

// TestMigrateTogether is TestMigrateTwice's twin on PostgreSQL: five instances opening
// one empty schema at once all succeed and the migrations run once; opening
// again is a no-op; a schema newer than the program is refused.
func TestMigrateTogether(t *testing.T) {
	url := pgtest.Schema(t)
	const n = 5
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			db, err := Open(t.Context(), url, testNow)
			if err != nil {
				t.Errorf("concurrent Open: %v", err)
				return
			}
			db.Close()
		})
	}
	wg.Wait()
	files, _ := migrations.ReadDir("migrations")
	count := func() int64 { return pgtest.QueryInt64(t, url, `SELECT count(*) FROM schema_migrations`) }
	if got := count(); got != int64(len(files)) {
		t.Fatalf("schema_migrations has %d rows after %d concurrent opens, want %d", got, n, len(files))
	}
	mustOpen(t, url)
	if got := count(); got != int64(len(files)) {
		t.Errorf("after another Open schema_migrations has %d rows, want %d", got, len(files))
	}
	pgtest.Exec(t, url, `INSERT INTO schema_migrations VALUES (999, '999_future.sql', now())`)
	if db, err := Open(t.Context(), url, testNow); err == nil {
		db.Close()
		t.Error("Open of a database with a newer schema succeeded; want an error")
	}
}

// TestMigrateFillsGap: a migration numbered below the newest applied one
// but missing from schema_migrations (a database upgraded from a release
// that stopped at 010 before 006 landed) is applied at the next Open.
func TestMigrateFillsGap(t *testing.T) {
	url := pgtest.Schema(t)
	mustOpen(t, url)
	pgtest.Exec(t, url, `DROP INDEX payments_list, payments_status_list, payments_source_list, payments_method_list, payments_order_id;
		DROP INDEX IF EXISTS payments_text; DELETE FROM schema_migrations WHERE version = 6`)
	mustOpen(t, url)
	if got := pgtest.QueryInt64(t, url, `SELECT count(*) FROM schema_migrations WHERE version = 6`); got != 1 {
		t.Errorf("migration 006 recorded %d times after Open, want 1", got)
	}
	if got := pgtest.QueryInt64(t, url, `SELECT count(*) FROM pg_indexes WHERE indexname = 'payments_list' AND schemaname = current_schema()`); got != 1 {
		t.Errorf("index payments_list of migration 006 exists %d times, want 1", got)
	}
}

// TestMigrateDropsPaymentsCreated: migration 022 removes payments_created
// from a new schema and from one upgraded from before it, and leaves
// payments_list, which serves the list's created_at order.
func TestMigrateDropsPaymentsCreated(t *testing.T) {
	url := pgtest.Schema(t)
	index := func(name string) int64 {
		return pgtest.QueryInt64(t, url, `SELECT count(*) FROM pg_indexes WHERE indexname = $1 AND schemaname = current_schema()`, name)
	}
	check := func(when string) {
		t.Helper()
		if got := index("payments_created"); got != 0 {
			t.Errorf("%s: index payments_created exists %d times, want 0", when, got)
		}
		if got := index("payments_list"); got != 1 {
			t.Errorf("%s: index payments_list exists %d times, want 1", when, got)
		}
	}
	mustOpen(t, url)
	check("new schema")
	pgtest.Exec(t, url, `CREATE INDEX IF NOT EXISTS payments_created ON payments (created_at, id);
		DELETE FROM schema_migrations WHERE version = 22`)
	mustOpen(t, url)
	check("upgraded schema")
}

// TestOpenBadURL: a malformed URL is refused without echoing it (it may
// hold a password).
func TestOpenBadURL(t *testing.T) {
	_, err := Open(t.Context(), "postgres://user:s3cret@[bad", testNow)
	if err == nil {
		t.Fatal("Open(bad url) succeeded")
	}
	if got := err.Error(); strings.Contains(got, "s3cret") {
		t.Errorf("Open(bad url) error %q reveals the password", got)
	}
}

// TestAccountStore runs the accounts contract, each test in its own schema.
func TestAccountStore(t *testing.T) {
	pgtest.URL(t)
	accountstest.Run(t, func(t *testing.T) accounts.Store { return mustOpen(t, pgtest.Schema(t)) })
}

// TestReceiptStore runs the e-receipt token contract.
func TestReceiptStore(t *testing.T) {
	pgtest.URL(t)
	receiptstest.Run(t, func(t *testing.T) receipts.Store { return mustOpen(t, pgtest.Schema(t)) })
}

// TestDisplayStore runs the displays contract.
func TestDisplayStore(t *testing.T) {
	pgtest.URL(t)
	displaystest.Run(t, func(t *testing.T) displays.Store { return mustOpen(t, pgtest.Schema(t)) })
}

// TestLinkStore runs the payment links contract, each test in its own schema.
func TestLinkStore(t *testing.T) {
	pgtest.URL(t)
	linkstest.Run(t, func(t *testing.T) linkstest.Store { return mustOpen(t, pgtest.Schema(t)) })
}

// TestAuditAppendOnly: the schema itself refuses to change or remove an
// audit entry, whatever code runs against the database.
func TestAuditAppendOnly(t *testing.T) {
	db := mustOpen(t, pgtest.Schema(t))
	if _, err := db.AppendAudit(t.Context(), accounts.AuditEntry{At: testNow(), Action: "refund", Target: "pay_1"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_log SET action = 'nothing'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := db.pool.Exec(t.Context(), q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s = %v, want refused as append-only", q, err)
		}
	}
}

// TestPoolSize: the pool holds defaultMaxConns connections unless the URL
// says otherwise (pool_max_conns, pgx's parameter).
func TestPoolSize(t *testing.T) {
	u := pgtest.Schema(t)
	if got := mustOpen(t, u).pool.Config().MaxConns; got != defaultMaxConns {
		t.Errorf("MaxConns = %d, want %d", got, defaultMaxConns)
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	if got := mustOpen(t, u+sep+"pool_max_conns=3").pool.Config().MaxConns; got != 3 {
		t.Errorf("MaxConns with pool_max_conns=3 = %d, want 3", got)
	}
}

// TestTextSearchWithoutTrigrams: where pg_trgm cannot be installed
// migrations 006 and 021 make no trigram index and the free-text search
// reads payment_text (or its word index); it answers exactly as with the
// index.
func TestTextSearchWithoutTrigrams(t *testing.T) {
	u := pgtest.Schema(t)
	db := mustOpen(t, u)
	pgtest.Exec(t, u, "DROP INDEX IF EXISTS payment_text_trgm")
	if n := pgtest.QueryInt64(t, u, "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexdef LIKE '%gin_trgm_ops%'"); n != 0 {
		t.Fatal("the trigram index is still there")
	}
	storetest.ListText(t, db)
}

// TestMigrateCompatible: an instance of an older release starts on a
// schema a newer release migrated when every newer migration is marked
// compatible (the rolling upgrade: an old instance restarted after the
// new release migrated), and refuses, naming the migration, when one is
// not. A schema_migrations from before the mark gains it; each migration
// is recorded with its mark. hpp check-config's Inspect says the same.
func TestMigrateCompatible(t *testing.T) {
	url := pgtest.Schema(t)
	mustOpen(t, url)
	if got := pgtest.QueryInt64(t, url, `SELECT count(*) FROM schema_migrations WHERE compatible`); got != int64(len(compatible)) {
		t.Errorf("%d migrations recorded compatible, want %d", got, len(compatible))
	}
	pgtest.Exec(t, url, `ALTER TABLE schema_migrations DROP COLUMN compatible`) // as releases before the mark left it
	mustOpen(t, url)
	pgtest.Exec(t, url, `INSERT INTO schema_migrations (version, name, applied_at, compatible) VALUES (998, '998_new_table.sql', now(), true), (999, '999_new_index.sql', now(), true)`)
	if db, err := Open(t.Context(), url, testNow); err != nil {
		t.Errorf("Open of a schema whose newer migrations are all compatible = %v, want it to start", err)
	} else {
		db.Close()
	}
	if err := Inspect(t.Context(), url); err != nil {
		t.Errorf("Inspect of a schema whose newer migrations are all compatible = %v", err)
	}
	pgtest.Exec(t, url, `INSERT INTO schema_migrations (version, name, applied_at, compatible) VALUES (1000, '1000_drop_column.sql', now(), false)`)
	for name, open := range map[string]func() error{
		"Open": func() error {
			db, err := Open(t.Context(), url, testNow)
			if err == nil {
				db.Close()
			}
			return err
		},
		"Inspect": func() error { return Inspect(t.Context(), url) },
	} {
		err := open()
		if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "1000_drop_column.sql") ||
			strings.Contains(err.Error(), "999_new_index.sql") || !strings.Contains(err.Error(), "stop every instance") {
			t.Errorf("%s of a schema with a newer migration not marked compatible = %v, want ErrNewerSchema naming it", name, err)
		}
	}
}
