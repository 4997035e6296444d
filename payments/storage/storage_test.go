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

	lite, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "hpp.db"), "HPP_DATABASE", h, log)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if _, ok := lite.Store.(*sqlite.DB); !ok || lite.Limiter != nil {
		t.Errorf("Open(file) = %T with a shared limiter %v; want *sqlite.DB with in-memory limits", lite.Store, lite.Limiter != nil)
	}
	lite.StartBroker(t.Context()) // nothing to start on SQLite

	pg, err := storage.Open(t.Context(), pgtest.Schema(t), "HPP_DATABASE", h, log)
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
	if _, err := storage.Open(t.Context(), missing, "HPP_DATABASE", h, log); err == nil || !strings.Contains(err.Error(), "HPP_DATABASE") || !strings.Contains(err.Error(), missing) {
		t.Errorf("Open(%s) = %v, want an error naming HPP_DATABASE and the path", missing, err)
	}
	_, err := storage.Open(t.Context(), "postgres://hpp:CANARY-pw@127.0.0.1:1/hpp?connect_timeout=2", "HPP_DATABASE", h, log)
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
		if err := storage.Backup(t.Context(), url, "HPP_DATABASE", filepath.Join(t.TempDir(), "b.db")); err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("Backup(%s) = %v, want a pointer to pg_dump", url, err)
		}
		if _, err := storage.Restore(t.Context(), url, "HPP_DATABASE", "b.db"); err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("Restore(%s) = %v, want a pointer to pg_dump", url, err)
		}
	}
	if storage.IsPostgres("hpp.db") || storage.IsPostgres("/data/postgres.db") {
		t.Error("a SQLite path taken for PostgreSQL")
	}
}

// TestCheckMode: on both engines, a database not created (or not
// migrated) yet and a migrated one no mode has used are fresh to either
// mode. Live start-up's mark, or from before it an owner or a pending
// owner setup link, is a live shop's data: the sandbox refuses it (the
// open store's HasLiveData and the read-only check, hpp check-config's),
// live takes it. One row of the sandbox's settings is the sandbox's data,
// refused live, taken by the sandbox even with an owner. The check
// changes nothing.
func TestCheckMode(t *testing.T) {
	h := hub.New()
	defer h.Close()
	log := slog.New(slog.DiscardHandler)
	databases := map[string]func() string{
		"sqlite":   func() string { return filepath.Join(t.TempDir(), "hpp.db") },
		"postgres": func() string { return pgtest.Schema(t) },
	}
	owner := func(st storage.Store) error {
		acc, _ := accounts.NewService(st, accounts.NewHasher(1), time.Now, rand.Reader)
		_, err := acc.EnsureOwner(t.Context(), "owner@shop.example", "a long enough owner password", accounts.Actor{})
		return err
	}
	for _, tc := range []struct {
		name          string
		use           func(st storage.Store) error
		live, sandbox error // CheckMode's answer for each mode
	}{
		{"migrated", func(storage.Store) error { return nil }, nil, nil},
		{"live mark", func(st storage.Store) error { return st.MarkLive(t.Context(), "now") }, nil, storage.ErrLiveData},
		{"owner", owner, nil, storage.ErrLiveData},
		{"setup link", func(st storage.Store) error {
			acc, _ := accounts.NewService(st, accounts.NewHasher(1), time.Now, rand.Reader)
			_, err := acc.NewSetupToken(t.Context())
			return err
		}, nil, storage.ErrLiveData},
		{"sandbox mark and owner", func(st storage.Store) error {
			if _, err := st.SandboxSetting(t.Context(), "HPP_SANDBOX_SINCE", "now"); err != nil {
				return err
			}
			return owner(st)
		}, storage.ErrSandboxData, nil},
	} {
		for engine, database := range databases {
			database := database()
			for _, sandbox := range []bool{false, true} {
				if err := storage.CheckMode(t.Context(), database, "HPP_DATABASE", sandbox); err != nil {
					t.Errorf("%s: CheckMode(sandbox %v) before the database exists = %v, want nil", engine, sandbox, err)
				}
			}
			st, err := storage.Open(t.Context(), database, "HPP_DATABASE", h, log)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.use(st); err != nil {
				t.Fatal(err)
			}
			for sandbox, want := range map[bool]error{false: tc.live, true: tc.sandbox} {
				if err := storage.CheckMode(t.Context(), database, "HPP_DATABASE", sandbox); !errors.Is(err, want) || (want == nil && err != nil) {
					t.Errorf("%s, %s: CheckMode(sandbox %v) = %v, want %v", engine, tc.name, sandbox, err, want)
				}
			}
			used, err1 := st.HasSandboxData(t.Context())
			live, err2 := st.HasLiveData(t.Context())
			if err := errors.Join(err1, err2); err != nil || used != (tc.live != nil) || (!used && live != (tc.sandbox != nil)) {
				t.Errorf("%s, %s: HasSandboxData, HasLiveData = %v, %v, %v", engine, tc.name, used, live, err)
			}
			st.Close()
		}
	}
}
