// Package postgres stores payments in PostgreSQL through pgx, for running
// several instances of the app on one database.
//
// Every Store method is one transaction at READ COMMITTED. Update locks the
// payment row (SELECT ... FOR UPDATE), so changes to one payment queue
// behind each other whichever instance makes them. After a change commits
// (never inside its transaction: see doorbell.go for why) the store
// queues '<id>:<version>:<status>', and what has queued is sent as
// pg_notify('hpp_payments', '<id>:<version>:<status>,...'), which is what
// payments/pgbroker listens for. ClaimDueAttempts
// takes its attempts with FOR UPDATE SKIP LOCKED, so two reconcilers never
// claim the same attempt. Migrations are embedded and applied under an
// advisory lock, so instances that start together migrate once.
//
// Update is two round trips: BEGIN and the reads as one pipelined batch
// (the payment locked first), the writes and COMMIT as another (a third
// when it writes an attempt or refund it did not load: see Update).
// Concurrent Updates share those round trips and one commit (group
// commit, group.go): a batch locks its payments in id order, and each
// caller is answered after the shared commit; group_commit=off in the
// URL gives each Update a transaction of its own. The pool holds 16
// connections (pgx's default would be 4 on a small machine; see
// defaultMaxConns); pool_max_conns=N in the postgres:// URL
// (HPP_DATABASE) sets another size.
//
// The search box's text and its GIN indexes are in payment_text, kept by
// triggers on payments (migration 021), so that a payment's state
// changes, never HOT updates, add no text index entries; ListPayments
// joins it.
//
// It imports payments and pgx only. All SQL for PostgreSQL lives here,
// file by file as in payments/sqlite, plus ratelimit.go, the rate-limit
// buckets shared by all instances, and unreachable.go, which tells the
// database being out of reach (a 503 to wait out) from a bug. Throwaway test databases come from
// pgtest; behaviour must pass the contract in payments/storetest.
package postgres

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/latipay-hpp/hpp/payments"
)

// Channel is the LISTEN/NOTIFY channel that carries
// "<payment id>:<version>:<status>" entries, separated by commas, after
// committed payment changes (ParseDoorbell reads them).
const Channel = "hpp_payments"

// DB is a payments.Store backed by a PostgreSQL database. It is safe for
// concurrent use.
type DB struct {
	pool *pgxpool.Pool
	now  func() time.Time
	bell *doorbell // rings pgbroker's doorbell after each committed change
	// group batches concurrent Updates into shared transactions (group.go);
	// nil when the URL says group_commit=off.
	group *grouper
	// health remembers the last write the disk refused (writehealth.go);
	// it traces the pool's statements.
	health *writeHealth
}

var _ payments.Store = (*DB)(nil)

// defaultMaxConns is the pool's size unless the URL sets pool_max_conns.
// pgx's own default, the larger of 4 and the number of CPUs, is 4 on a
// small machine, and a write holds its connection while PostgreSQL
// flushes its commit to the WAL: with 4 connections an instance has at
// most 4 commits in flight, however many callbacks are waiting, so no
// more than 4 share each WAL flush. With 16, commits arriving during a
// flush share the next one. Two instances then hold up to 32 of the
// server's max_connections (100 by default), plus one listening
// connection each (pgbroker).
const defaultMaxConns = 16

// Open connects to the database at url (postgres://...), checks that it
// answers and applies any pending migrations. now stamps rows the service
// gives no time for. A search_path parameter in url selects the schema;
// group_commit=off makes every Update a transaction of its own.
func Open(ctx context.Context, url string, now func() time.Time) (*DB, error) {
	if url == "" || now == nil {
		return nil, errors.New("postgres: open: url and clock are required")
	}
	url, group, err := groupCommitParam(url)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("postgres: open: not a valid postgres:// URL")
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "hpp"
	}
	health := &writeHealth{now: now}
	cfg.ConnConfig.Tracer = health
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	db := &DB{pool: pool, now: now, health: health}
	if group {
		db.group = newGrouper(maxGroups)
	}
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	bell := cfg.ConnConfig.Copy()
	bell.Tracer = nil // the doorbell's NOTIFYs write nothing
	db.bell = newDoorbell(bell)
	return db, nil
}

// groupCommitParam removes the store's own group_commit parameter from a
// postgres:// URL (PostgreSQL would refuse it as an unknown setting) and
// reports whether Update batches concurrent writes: yes unless it says
// group_commit=off. Key=value connection strings are left as they are.
func groupCommitParam(raw string) (string, bool, error) {
	if !strings.Contains(raw, "group_commit=") {
		return raw, true, nil
	}
	u, err := neturl.Parse(raw)
	if err != nil {
		return "", false, errors.New("postgres: open: not a valid postgres:// URL")
	}
	q := u.Query()
	v := q.Get("group_commit")
	if v != "on" && v != "off" {
		return "", false, errors.New("postgres: open: group_commit must be on or off")
	}
	q.Del("group_commit")
	u.RawQuery = q.Encode()
	return u.String(), v == "on", nil
}

// Close sends the doorbells still queued and closes the pool, waiting for
// connections in use to be returned.
func (db *DB) Close() error {
	if db.bell != nil {
		db.bell.close()
	}
	db.pool.Close()
	return nil
}

// Ping checks that the database answers, for /readyz.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// inTx runs fn in a READ COMMITTED transaction and commits when fn returns
// nil.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// wrap gives err the package prefix and the operation. pgx.ErrNoRows
// becomes payments.ErrNotFound. Domain errors pass through unchanged. A
// write the server's disk refused (diskFailure: SQLSTATE 53100
// disk_full, class 58) is payments.ErrStoreWrite.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return payments.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if diskFailure(err) != "" {
			// The disk refused the write (the failures /readyz reports):
			// the operator's to fix, and the request may succeed later.
			return fmt.Errorf("postgres: %s: %s (SQLSTATE %s): %w: %w", op, pe.Message, pe.Code, payments.ErrStoreWrite, err)
		}
		return fmt.Errorf("postgres: %s: %s (SQLSTATE %s): %w", op, pe.Message, pe.Code, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}
