package main

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// deadPID is the pid of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestOwnerGone(t *testing.T) {
	host, _ := os.Hostname()
	dead := deadPID(t)
	for _, c := range []struct {
		comment string
		gone    bool
	}{
		{dbOwner(dead), true},
		{dbOwner(os.Getpid()), false},
		{dbOwner(1), false}, // runs, though this user may not signal it
		{"hpp-load pid=" + strconv.Itoa(dead) + " host=" + host + "x", false},
		{"hpp-load pid=x host=" + host, false},
		{"hpp-load pid=0 host=" + host, false},
		{"kept by hand", false},
		{"", false},
	} {
		if got := ownerGone(c.comment); got != c.gone {
			t.Errorf("ownerGone(%q) = %v, want %v", c.comment, got, c.gone)
		}
	}
}

// TestSweepDatabases: of four hpp_load_ databases, only the one whose
// owner has ended is dropped; the live run's, another host's and an
// untagged one stay.
func TestSweepDatabases(t *testing.T) {
	admin := pgtest.URL(t)
	ctx := t.Context()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	host, _ := os.Hostname()
	comments := map[string]string{
		"dead":  dbOwner(deadPID(t)),
		"live":  dbOwner(os.Getpid()),
		"other": "hpp-load pid=" + strconv.Itoa(deadPID(t)) + " host=not-" + host,
		"bare":  "",
	}
	names := map[string]string{}
	for k, comment := range comments {
		name := dbNamePrefix + "t" + randomHex(5)
		names[k] = name
		if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx := context.Background() // t.Context() has ended by now
			if c, err := pgx.Connect(ctx, admin); err == nil {
				_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
				c.Close(ctx)
			}
		})
		if comment != "" {
			if _, err := c.Exec(ctx, "COMMENT ON DATABASE "+name+" IS '"+comment+"'"); err != nil {
				t.Fatal(err)
			}
		}
	}
	var said strings.Builder
	if err := sweepDatabases(ctx, c, &said); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, `SELECT datname FROM pg_database`)
	if err != nil {
		t.Fatal(err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for k, name := range names {
		if kept := slices.Contains(have, name); kept == (k == "dead") {
			t.Errorf("%s database %s: kept %v", k, name, kept)
		}
	}
	if !strings.Contains(said.String(), names["dead"]) {
		t.Errorf("the sweep said %q, want the dropped database named", said.String())
	}
}

// TestCreateDatabaseTagsItsOwner: a database the harness makes names this
// process in its comment, so that a later run can tell whether it was
// left behind.
func TestCreateDatabaseTagsItsOwner(t *testing.T) {
	admin := pgtest.URL(t)
	u, drop, err := createDatabase(t.Context(), admin, "")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	name := u[strings.LastIndex(u, "/")+1:]
	if i := strings.IndexByte(name, '?'); i >= 0 {
		name = name[:i]
	}
	c, err := pgx.Connect(t.Context(), admin)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(t.Context())
	var comment string
	if err := c.QueryRow(t.Context(), `SELECT COALESCE(shobj_description(oid, 'pg_database'), '')
		FROM pg_database WHERE datname = $1`, name).Scan(&comment); err != nil {
		t.Fatal(err)
	}
	if comment != dbOwner(os.Getpid()) {
		t.Errorf("comment on %s = %q, want %q", name, comment, dbOwner(os.Getpid()))
	}
	if ownerGone(comment) {
		t.Error("the running harness's database counts as left behind")
	}
}
