package storage_test

import (
	"crypto/rand"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/payments/postgres"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/ratelimit"
	"github.com/latipay-hpp/hpp/payments/sqlite"
	"github.com/latipay-hpp/hpp/payments/storage"
)

// TestOpenChoosesTheEngine: a file path opens SQLite with in-memory
// request limits; a postgres:// URL opens PostgreSQL with the limits kept
// in the database, shared by every instance.
func TestOpenChoosesTheEngine(t *testing.T) {
	h := hub.New()
	defer h.Close()
	log := slog.New(slog.DiscardHandler)

	lite, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "hpp.db"), h, log)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if _, ok := lite.Store.(*sqlite.DB); !ok || lite.Limiter != nil {
		t.Errorf("Open(file) = %T with a shared limiter %v; want *sqlite.DB with in-memory limits", lite.Store, lite.Limiter != nil)
	}
	lite.StartBroker(t.Context()) // nothing to start on SQLite

	pg, err := storage.Open(t.Context(), pgtest.Schema(t), h, log)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if _, ok := pg.Store.(*postgres.DB); !ok || pg.Limiter == nil {
		t.Fatalf("Open(postgres://) = %T with a shared limiter %v; want *postgres.DB with shared limits", pg.Store, pg.Limiter != nil)
	}
	l := pg.Limiter(ratelimit.Rate{Limit: 1, Per: time.Minute, Burst: 1})
	now := time.Now()
	if ok, _ := l.Allow("203.0.113.7", now); !ok {
		t.Error("the first request of a fresh shared bucket was refused")
	}
	if ok, _ := l.Allow("203.0.113.7", now); ok {
		t.Error("a second request within the burst of 1 was allowed")
	}
}

// TestOpenErrorsNameTheSetting: a SQLite path that cannot be opened is an
// error naming HPP_DATABASE and the path; a PostgreSQL one names
// HPP_DATABASE and never prints the URL's password.
func TestOpenErrorsNameTheSetting(t *testing.T) {
	h := hub.New()
	defer h.Close()
	log := slog.New(slog.DiscardHandler)
	missing := filepath.Join(t.TempDir(), "missing", "hpp.db")
	if _, err := storage.Open(t.Context(), missing, h, log); err == nil || !strings.Contains(err.Error(), "HPP_DATABASE") || !strings.Contains(err.Error(), missing) {
		t.Errorf("Open(%s) = %v, want an error naming HPP_DATABASE and the path", missing, err)
	}
	_, err := storage.Open(t.Context(), "postgres://hpp:CANARY-pw@127.0.0.1:1/hpp?connect_timeout=2", h, log)
	if err == nil || !strings.Contains(err.Error(), "HPP_DATABASE") || strings.Contains(err.Error(), "CANARY") {
		t.Errorf("Open(unreachable PostgreSQL) = %v, want an error naming HPP_DATABASE without the password", err)
	}
}

// TestBackupOnPostgreSQL: backup and restore are SQLite's; on PostgreSQL
// they point to pg_dump and touch nothing.
func TestBackupOnPostgreSQL(t *testing.T) {
	for _, url := range []string{"postgres://hpp@db/hpp", "postgresql://hpp@db/hpp"} {
		if !storage.IsPostgres(url) {
			t.Errorf("IsPostgres(%q) = false", url)
		}
		if err := storage.Backup(t.Context(), url, filepath.Join(t.TempDir(), "b.db")); err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("Backup(%s) = %v, want a pointer to pg_dump", url, err)
		}
		if _, err := storage.Restore(t.Context(), url, "b.db"); err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("Restore(%s) = %v, want a pointer to pg_dump", url, err)
		}
	}
	if storage.IsPostgres("hpp.db") || storage.IsPostgres("/data/postgres.db") {
		t.Error("a SQLite path taken for PostgreSQL")
	}
}

// TestCheckLive: on both engines an owner is a live shop's data
// (HasPaymentsOrAccounts); a database not created (or not migrated)
// yet and a migrated one the sandbox never used are fresh; one row of
// the sandbox's settings makes both the open store and the read-only
// check (hpp check-config) say sandbox data, and the check changes
// nothing.
func TestCheckLive(t *testing.T) {
	h := hub.New()
	defer h.Close()
	log := slog.New(slog.DiscardHandler)
	for name, database := range map[string]string{"sqlite": filepath.Join(t.TempDir(), "hpp.db"), "postgres": pgtest.Schema(t)} {
		if err := storage.CheckLive(t.Context(), database); err != nil {
			t.Errorf("%s: CheckLive before the database exists = %v, want nil", name, err)
		}
		st, err := storage.Open(t.Context(), database, h, log)
		if err != nil {
			t.Fatal(err)
		}
		if err := storage.CheckLive(t.Context(), database); err != nil {
			t.Errorf("%s: CheckLive of a migrated database = %v, want nil", name, err)
		}
		if found, err := st.HasPaymentsOrAccounts(t.Context()); found || err != nil {
			t.Errorf("%s: HasPaymentsOrAccounts of a migrated database = %v, %v; want false", name, found, err)
		}
		acc, _ := accounts.NewService(st, accounts.NewHasher(1), time.Now, rand.Reader)
		if _, err := acc.EnsureOwner(t.Context(), "owner@shop.example", "a long enough owner password", accounts.Actor{}); err != nil {
			t.Fatal(err)
		}
		if found, err := st.HasPaymentsOrAccounts(t.Context()); !found || err != nil {
			t.Errorf("%s: HasPaymentsOrAccounts with an owner = %v, %v; want true", name, found, err)
		}
		if _, err := st.SandboxSetting(t.Context(), "HPP_SANDBOX_SINCE", "now"); err != nil {
			t.Fatal(err)
		}
		if used, err := st.HasSandboxData(t.Context()); !used || err != nil {
			t.Errorf("%s: HasSandboxData after a sandbox setting = %v, %v; want true", name, used, err)
		}
		if err := storage.CheckLive(t.Context(), database); !errors.Is(err, storage.ErrSandboxData) {
			t.Errorf("%s: CheckLive of the sandbox's database = %v, want ErrSandboxData", name, err)
		}
		st.Close()
	}
}
