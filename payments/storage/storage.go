// Package storage chooses the storage engine from HPP_DATABASE and opens
// everything that goes with it: the store (payments/sqlite for a file
// path, payments/postgres for a postgres:// or postgresql:// URL), on
// PostgreSQL the broker that feeds the hub with other instances' changes
// (payments/pgbroker) and the request limits shared through the database,
// all behind one Close. It also takes and restores a SQLite backup (hpp
// backup and hpp restore), and points PostgreSQL users to pg_dump.
//
// It owns the choice only: SQL lives in the engines' packages, the limits'
// arithmetic in payments/ratelimit (standard library only, which this
// package imports for its Rate and Limiter). run (main.go) and the admin
// subcommand (config/cli) call Open. To add an engine: recognise its URL
// beside IsPostgres, open it in Open, say in Backup and Restore which
// tools it has, and make its store satisfy Store.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/displays"
	"github.com/latipay-hpp/hpp/payments/pgbroker"
	"github.com/latipay-hpp/hpp/payments/postgres"
	"github.com/latipay-hpp/hpp/payments/ratelimit"
	"github.com/latipay-hpp/hpp/payments/receipts"
	"github.com/latipay-hpp/hpp/payments/sqlite"
)

// Store is what the app needs of a storage engine: the payments and the
// back-office accounts, the sandbox simulator's ledger (latipaysim.Journal,
// spelled out here so that production storage does not import the
// simulator) and the sandbox's generated settings.
type Store interface {
	payments.Store
	// Both engines answer a callback's duplicate check and find its
	// payment in one read, and find a payment by a refund's id: named
	// here so that the service, which asks its store for them, sees them
	// through Storage (embedding promotes only what Store names).
	payments.NotificationTargeter
	payments.RefundFinder
	payments.LinkStore   // the back office's payment links
	payments.ReportStore // the back office's figures (home, reports)
	accounts.Store
	counter.Store  // the shop counter's devices and sales
	receipts.Store // e-receipt tokens
	displays.Store // displays facing the shopper, paired with a counter
	AddSandboxEntry(ctx context.Context, key, orderID, nonce string, body []byte) (bool, error)
	SandboxEntry(ctx context.Context, by, value string) ([]byte, error)
	UpdateSandboxEntry(ctx context.Context, key string, fn func(body []byte) ([]byte, error)) (bool, error)
	SandboxEntries(ctx context.Context) ([][]byte, error)
	SandboxSetting(ctx context.Context, name, value string) (string, error)
	HasSandboxData(ctx context.Context) (bool, error)
	MarkLive(ctx context.Context, since string) error
	HasLiveData(ctx context.Context) (bool, error)
	Ping(ctx context.Context) error
	payments.WriteHealth // the last write the disk refused, for /readyz and the metrics
	Close() error
}

// Storage is the open store with what goes with it on its engine.
type Storage struct {
	Store
	broker *pgbroker.Broker // nil on SQLite: one instance, the hub sees every change
	// Limiter makes the request limiter of one rate; nil means in-memory
	// buckets (SQLite, or PostgreSQL that could not hold the limits).
	Limiter func(ratelimit.Rate) ratelimit.Limiter
}

// Hub is where the broker publishes what other instances commit
// (payments/hub.Hub).
type Hub = pgbroker.Hub

// IsPostgres reports whether database names a PostgreSQL database rather
// than a SQLite file.
func IsPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// Open opens PostgreSQL for a postgres:// or postgresql:// URL (several
// instances may share it: the broker and the request limits go through
// the database) and a SQLite file for anything else. Errors name
// setting, the setting database came from (HPP_DATABASE or
// HPP_DATABASE_FILE), and the path for SQLite, never the URL's password.
func Open(ctx context.Context, database, setting string, h Hub, log *slog.Logger) (*Storage, error) {
	if !IsPostgres(database) {
		db, err := sqlite.Open(ctx, database, time.Now)
		if err != nil {
			return nil, fmt.Errorf("%s %q (SQLite file): %w", setting, database, oneLine{err})
		}
		return &Storage{Store: db}, nil
	}
	db, err := postgres.Open(ctx, database, time.Now)
	if err != nil {
		return nil, fmt.Errorf("%s (PostgreSQL): %w", setting, err)
	}
	st := &Storage{Store: db, Limiter: sharedLimits(db, log)}
	connect, err := pgbroker.Connector(database)
	if err == nil {
		st.broker, err = pgbroker.New(connect, db, h, log.With("component", "pgbroker"), nil)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%s (PostgreSQL): %w", setting, err)
	}
	return st, nil
}

// Existing is nil when database is a PostgreSQL URL or a SQLite file
// that exists, and otherwise an error naming setting (HPP_DATABASE or
// HPP_DATABASE_FILE) and the path. Open creates a SQLite file that is
// not there, as the server's first start should; a command that works on
// the server's data (hpp admin) asks Existing first, so that a mistyped
// path is refused rather than answered from a new, empty database.
func Existing(database, setting string) error {
	if IsPostgres(database) {
		return nil
	}
	_, err := os.Stat(database)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		where := ""
		if abs, err := filepath.Abs(database); err == nil && abs != database {
			where = " " + abs
		}
		return fmt.Errorf("%s %q (SQLite file%s): no such database; point HPP_DATABASE (or HPP_DATABASE_FILE) at the server's database", setting, database, where)
	case err != nil:
		return fmt.Errorf("%s %q (SQLite file): %w", setting, database, err)
	}
	return nil
}

// ErrInUse is a SQLite file another process holds: the server runs on
// it (one process per file).
var ErrInUse = sqlite.ErrInUse

// ForeignError is a SQLite file holding another program's tables
// (sqlite.ForeignError), for a command to advise on in its own words.
type ForeignError = sqlite.ForeignError

// DropLock removes the SQLite database's lock file when no process
// holds it (sqlite.DropLock); on PostgreSQL it does nothing.
func DropLock(database string) {
	if !IsPostgres(database) {
		sqlite.DropLock(database)
	}
}

// StartBroker, on PostgreSQL, feeds the hub with the changes other
// instances commit (LISTEN/NOTIFY) until ctx ends; on SQLite it does
// nothing.
func (s *Storage) StartBroker(ctx context.Context) {
	if s.broker != nil {
		go s.broker.Run(ctx)
	}
}

// sharedLimits keeps the request limits in PostgreSQL so that all
// instances share one budget per client. The n-th rate is named by its
// place and its figures, the same on every instance of one build. Where
// the database cannot hold a limit, that limit falls back to in-memory
// buckets (one budget per instance), and says so in the log.
func sharedLimits(db *postgres.DB, log *slog.Logger) func(ratelimit.Rate) ratelimit.Limiter {
	rl, err := postgres.NewRateLimits(db, log.With("component", "ratelimit"))
	if err != nil {
		log.Warn("ratelimit: request limits fall back to per-instance memory", "err", err)
		return nil
	}
	n := 0
	return func(r ratelimit.Rate) ratelimit.Limiter {
		n++
		name := fmt.Sprintf("%d/%d/%s/%d", n, r.Limit, r.Per, r.Burst)
		l, err := rl.Limiter(name, r.Limit, r.Per, r.Burst)
		if err != nil {
			log.Warn("ratelimit: limit falls back to per-instance memory", "limit", name, "err", err)
			return ratelimit.NewMemory(r)
		}
		return l
	}
}

// Backup writes a consistent copy of the SQLite database to file while
// the server may run on it (sqlite.Backup). PostgreSQL has pg_dump.
// setting is where database came from (HPP_DATABASE or HPP_DATABASE_FILE).
func Backup(ctx context.Context, database, setting, file string) error {
	if IsPostgres(database) {
		return fmt.Errorf("backup: %s is PostgreSQL: use pg_dump and pg_restore (see payments/sqlite/README.md)", setting)
	}
	return sqlite.Backup(ctx, database, file)
}

// Restore puts the backup file in place of the SQLite database, with the
// server stopped, and returns where the replaced database is kept
// (sqlite.Restore). PostgreSQL has pg_restore. setting is where database
// came from (HPP_DATABASE or HPP_DATABASE_FILE).
func Restore(ctx context.Context, database, setting, file string) (kept string, err error) {
	if IsPostgres(database) {
		return "", fmt.Errorf("restore: %s is PostgreSQL: use pg_dump and pg_restore (see payments/sqlite/README.md)", setting)
	}
	return sqlite.Restore(ctx, database, file)
}

// ErrSandboxData is live start-up refusing a database the sandbox has
// used: its demo owner would sign in to the live back office with the
// printed password, its simulated takings would count in the reports, and
// the reconciler would ask Latipay about its orders. Its words follow the
// name of the setting the database came from (Refusal).
var ErrSandboxData = errors.New("holds sandbox data (the demo owner, the generated keys, simulated payments) and live mode (LATIPAY_API_KEY or LATIPAY_API_KEY_FILE is set) refuses it: start live on a fresh database (another SQLite file, or an empty PostgreSQL database); keep the sandbox's for the sandbox")

// ErrLiveData is the sandbox refusing a live shop's database (live
// start-up's mark, payments, accounts or a pending owner setup, and no
// sandbox data): it would add its demo owner, who could sign in to the
// shop's back office, and its mark, after which live start-up refuses the
// database. Its words follow the name of the setting the database came
// from (Refusal).
var ErrLiveData = errors.New("is a live shop's (live start-up has used it: its mark, payments, accounts or pending owner setup), and LATIPAY_API_KEY is unset (sandbox mode): set LATIPAY_API_KEY to run live on it, or give the sandbox a database of its own")

// Unreachable reports whether err says the database cannot be reached
// now (PostgreSQL down, restarting or refusing connections): not a bug,
// but an outage to wait out. SQLite, a file of this process, has no such
// state; its busy database is payments.ErrStoreBusy.
func Unreachable(err error) bool { return postgres.Unreachable(err) }

// Refusal is ErrSandboxData or ErrLiveData (err) said of the setting the
// database came from: "HPP_DATABASE_FILE holds sandbox data …". It
// matches err.
func Refusal(setting string, err error) error { return fmt.Errorf("%s %w", setting, err) }

// CheckMode is start-up's check of the database for the mode it would
// run in (sandbox or live), reading it without changing it (so that hpp
// check-config can ask while the server runs). A SQLite file first gets
// the checks start-up makes of it (sqlite.Inspect: another program's
// tables, damage, a newer schema, a directory that is not there); on
// PostgreSQL, a newer schema this release cannot run on
// (postgres.Inspect). Then, live, ErrSandboxData when
// the sandbox has used it; in the sandbox, ErrLiveData when a live start
// has and the sandbox has not. A database not created yet is fresh; one
// that cannot be reached or read is an error, on one line (the driver's
// may span several). Errors name setting, where database came from
// (HPP_DATABASE or HPP_DATABASE_FILE), once; their words suit both
// start-up and hpp check-config, which both ask.
func CheckMode(ctx context.Context, database, setting string, sandbox bool) error {
	used := sqlite.Used
	if IsPostgres(database) {
		used = postgres.Used
		if err := postgres.Inspect(ctx, database); errors.Is(err, postgres.ErrNewerSchema) {
			return fmt.Errorf("%s: %w", setting, err)
		} else if err != nil {
			return fmt.Errorf("%s: cannot read the database: %w", setting, oneLine{err})
		}
	} else if err := sqlite.Inspect(ctx, database, setting); err != nil {
		return fmt.Errorf("%s %q (SQLite file): %w", setting, database, oneLine{err})
	}
	bySandbox, byLive, err := used(ctx, database)
	switch {
	case err != nil:
		return fmt.Errorf("%s: cannot read the database: %w", setting, oneLine{err})
	case !sandbox && bySandbox:
		return Refusal(setting, ErrSandboxData)
	case sandbox && !bySandbox && byLive:
		return Refusal(setting, ErrLiveData)
	}
	return nil
}

// oneLine is an error whose text is folded onto one line: a driver's
// error may continue on indented lines (pgx lists each address it
// tried, the same one twice when it retried), which a log would show as
// records of their own. Repeated lines are said once.
type oneLine struct{ err error }

func (e oneLine) Unwrap() error { return e.err }

func (e oneLine) Error() string { return FoldLines(e.err.Error()) }

// FoldLines puts text's lines on one line: each after the one before
// (after a space when that one ends with a colon, else after "; "),
// trimmed, with empty and repeated lines dropped.
func FoldLines(text string) string {
	var b strings.Builder
	seen := map[string]bool{}
	prev := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || seen[line] {
			continue
		}
		seen[line] = true
		switch {
		case b.Len() == 0:
		case strings.HasSuffix(prev, ":"):
			b.WriteString(" ")
		default:
			b.WriteString("; ")
		}
		b.WriteString(line)
		prev = line
	}
	return b.String()
}
