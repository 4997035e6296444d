// Package pgtest gives tests their own PostgreSQL schema or database, and
// removes it afterwards.
//
// The server is the one HPP_TEST_POSTGRES names (.ci/postgres starts one
// and sets it). Without it, when PostgreSQL's server programs are
// installed (Debian: /usr/lib/postgresql/*/bin/initdb and pg_ctl, from the
// postgresql package), pgtest starts a throwaway cluster itself: initdb
// into a temporary folder, listening on a unix socket in that folder only,
// shared by the test binaries of one `go test` run, stopped and removed
// when that run ends. As root the cluster runs as the postgres user.
// Only when neither is there is a test skipped (failed under CI=true),
// through package needs.
//
// It owns finding or starting the server and the per-test schema or
// database; it imports package needs and the pgx driver only, never the
// PostgreSQL store (whose tests import it). Where to change what: the
// server's URL, Schema, Database and the small SQL helpers are pgtest.go;
// the throwaway cluster (initdb, pg_ctl, its socket folder and who stops
// it) is cluster.go.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/latipay-hpp/hpp/payments/paymentstest/needs"
)

// EnvVar names the variable holding the admin URL of the test server. Its
// role must be able to create schemas in its database and create databases.
const EnvVar = "HPP_TEST_POSTGRES"

// URL returns the admin URL of the test server: HPP_TEST_POSTGRES, else a
// throwaway cluster's. It skips t (fails it under CI=true) when there is
// neither, and fails it when the cluster cannot start.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvVar); u != "" {
		return u
	}
	u, err := throwaway()
	if errors.Is(err, errNotInstalled) {
		needs.Missing(t, "PostgreSQL", "apt-get install -y postgresql (its server programs; pgtest starts a throwaway cluster), or set "+EnvVar+" to a server's admin URL")
	}
	if err != nil {
		t.Fatalf("pgtest: a throwaway PostgreSQL cluster: %v", err)
	}
	return u
}

// Schema creates an empty schema and returns a URL whose search_path
// selects it. The schema is dropped when t ends.
func Schema(t testing.TB) string {
	t.Helper()
	base := URL(t)
	name := "t_" + randomHex(t)
	admin(t, base, "CREATE SCHEMA "+name)
	t.Cleanup(func() { admin(t, base, "DROP SCHEMA "+name+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvVar, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// Database creates an empty database and returns its URL; use it where a
// test needs LISTEN/NOTIFY to itself, as channels are per database. The
// database is dropped (its connections ended) when t ends.
func Database(t testing.TB) string {
	t.Helper()
	base := URL(t)
	name := "hpp_t_" + randomHex(t)
	admin(t, base, "CREATE DATABASE "+name)
	t.Cleanup(func() { dropDatabase(t, base, name) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvVar, err)
	}
	u.Path = "/" + name
	return u.String()
}

// dropDatabase drops the database and ends its connections. An
// autovacuum worker that happens to be in it cannot be ended by a role
// that is not a superuser (PostgreSQL before 18: SQLSTATE 42501), so
// that refusal is retried for a while: the worker is done in moments.
func dropDatabase(t testing.TB, base, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		err := adminErr(ctx, base, "DROP DATABASE "+name+" WITH (FORCE)")
		var pgErr *pgconn.PgError
		if err == nil {
			return
		}
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" || ctx.Err() != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Exec runs one statement on the database at u, for tests that reach
// behind the store (terminating a backend, moving time in the data).
func Exec(t testing.TB, u, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// QueryInt64 runs a query returning one integer on the database at u.
func QueryInt64(t testing.TB, u, sql string, args ...any) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer c.Close(ctx)
	var n int64
	if err := c.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
	return n
}

func admin(t testing.TB, u, sql string) {
	t.Helper()
	Exec(t, u, sql)
}

func randomHex(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// adminErr runs one statement on the database at u and returns its error.
func adminErr(ctx context.Context, u, sql string) error {
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql)
	return err
}
