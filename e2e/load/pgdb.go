package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// The PostgreSQL rows (push across instances, pg2, growth) each run on a
// database of their own, hpp_load_ and a random suffix, dropped when the
// row ends. A run that is killed outright (SIGKILL, the machine stopping)
// cannot drop them, and a growth run's copies at 1,000,000 payments are
// some 600 MB each. So every database the harness makes carries a comment
// naming its process and host, and the first createDatabase of a run drops
// those whose process on this host is gone (sweepDatabases). A database
// another running harness owns, or one without that comment (made by hand,
// or by a harness before this), is left alone.

// dbOwnerPrefix begins the comment createDatabase puts on its databases.
const dbOwnerPrefix = "hpp-load"

// dbNamePrefix begins the name of every database createDatabase makes.
const dbNamePrefix = "hpp_load_"

// sweepOnce makes the sweep run once per harness run, before its first
// database.
var sweepOnce sync.Once

// createDatabase makes a fresh database on the server at admin, or a copy
// of the database named template when that is not empty, and returns its
// URL and a function that drops it.
func createDatabase(ctx context.Context, admin, template string) (string, func(), error) {
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("postgres: %w", err)
	}
	defer c.Close(ctx)
	sweepOnce.Do(func() {
		if err := sweepDatabases(ctx, c, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "load: dropping the databases of earlier runs:", err)
		}
	})
	name := dbNamePrefix + randomHex(6)
	create := "CREATE DATABASE " + name
	if template != "" {
		// A copy, file by file, of a database no session is connected
		// to; FILE_COPY checkpoints before and after, so the copy's
		// pages are on the disk, not waiting in the server's buffers.
		create += " TEMPLATE " + template + " STRATEGY FILE_COPY"
	}
	if _, err := c.Exec(ctx, create); err != nil {
		return "", nil, fmt.Errorf("postgres: create database: %w", err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, admin); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	}
	// COMMENT takes no parameters: the text goes in as a quoted literal.
	owner := "'" + strings.ReplaceAll(dbOwner(os.Getpid()), "'", "''") + "'"
	if _, err := c.Exec(ctx, "COMMENT ON DATABASE "+name+" IS "+owner); err != nil {
		drop()
		return "", nil, fmt.Errorf("postgres: comment on database: %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		drop()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// dbOwner is the comment on a database made by process pid on this host.
func dbOwner(pid int) string {
	host, _ := os.Hostname()
	return dbOwnerPrefix + " pid=" + strconv.Itoa(pid) + " host=" + host
}

// ownerGone reports whether comment names a process of this host that no
// longer runs. Any other comment, or a process that still runs (or one
// this user may not signal, which exists all the same), is not gone.
func ownerGone(comment string) bool {
	f := strings.Fields(comment)
	if len(f) != 3 || f[0] != dbOwnerPrefix || !strings.HasPrefix(f[1], "pid=") || !strings.HasPrefix(f[2], "host=") {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimPrefix(f[1], "pid="))
	if err != nil || pid <= 0 {
		return false
	}
	if host, _ := os.Hostname(); strings.TrimPrefix(f[2], "host=") != host {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// sweepDatabases drops the hpp_load_ databases whose comment names a
// process of this host that has ended, and says so on w.
func sweepDatabases(ctx context.Context, c *pgx.Conn, w io.Writer) error {
	rows, err := c.Query(ctx, `SELECT datname, COALESCE(shobj_description(oid, 'pg_database'), '')
		FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname`, dbNamePrefix)
	if err != nil {
		return err
	}
	var stale []string
	for rows.Next() {
		var name, comment string
		if err := rows.Scan(&name, &comment); err != nil {
			return err
		}
		if ownerGone(comment) {
			stale = append(stale, name)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range stale {
		if _, err := c.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop %s: %w", name, err)
		}
		fmt.Fprintf(w, "load: dropped database %s, left by an earlier run that was stopped\n", name)
	}
	return nil
}
