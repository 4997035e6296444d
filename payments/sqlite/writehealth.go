package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/latipay-hpp/hpp/payments"
)

// Write health (payments.WriteHealth). Ping's probe takes the write lock
// and rolls back, so it never needs a page of disk: a full disk shows up
// only in real writes. The store remembers the last write that failed
// for the disk's sake (full, an I/O error, the file no longer writable)
// and forgets it at the next write that commits; the metrics say so
// meanwhile. It also keeps the last such failure for good
// (WriteFailureSeen), which /readyz holds for a minute whatever
// committed since: a write that fits may commit while others fail.

var _ payments.WriteHealth = (*DB)(nil)

// writeHealth is the remembered failure: failed is nil when the last
// write committed, seen keeps the last failure for good.
type writeHealth struct {
	failed atomic.Pointer[payments.WriteFailure]
	seen   atomic.Pointer[payments.WriteFailure]
}

// WriteFailureSeen implements payments.WriteHealth.
func (db *DB) WriteFailureSeen() (payments.WriteFailure, bool) {
	if f := db.health.seen.Load(); f != nil {
		return *f, true
	}
	return payments.WriteFailure{}, false
}

// LastWriteFailure implements payments.WriteHealth.
func (db *DB) LastWriteFailure() (payments.WriteFailure, bool) {
	if f := db.health.failed.Load(); f != nil {
		return *f, true
	}
	return payments.WriteFailure{}, false
}

// noteWrite remembers err when it is a failure of the disk's (diskFailure)
// and returns it marked as payments.ErrStoreWrite (storeWrite).
func (db *DB) noteWrite(err error) error {
	if why := diskFailure(err); why != "" {
		f := &payments.WriteFailure{At: db.now().UTC(), Reason: why}
		db.health.failed.Store(f)
		db.health.seen.Store(f)
	}
	return storeWrite(err)
}

// storeWrite marks err as payments.ErrStoreWrite when it is a failure of
// the disk's (diskFailure: the classification /readyz reports), so the
// request that made the write is answered 503, not 500; other errors are
// returned unchanged.
func storeWrite(err error) error {
	if diskFailure(err) == "" || errors.Is(err, payments.ErrStoreWrite) {
		return err
	}
	return fmt.Errorf("%w: %w", payments.ErrStoreWrite, err)
}

// wrote forgets the remembered failure: a write has committed since.
func (db *DB) wrote() {
	if db.health.failed.Load() != nil {
		db.health.failed.Store(nil)
	}
}

// diskFailure says in words why err is a write the disk refused (SQLite's
// result code, never the path), or "" when it is not one: a constraint,
// a busy lock or a domain error is the write's own business.
func diskFailure(err error) string {
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return ""
	}
	code := se.Code()
	// The driver's text for a code ends with its name: "... (SQLITE_FULL)".
	name := sqlite.ErrorCodeString[code]
	if i := strings.LastIndex(name, "("); i >= 0 && strings.HasSuffix(name, ")") {
		name = name[i+1 : len(name)-1]
	}
	if name == "" {
		name = fmt.Sprintf("code %d", code)
	}
	switch code & 0xff {
	case sqlite3.SQLITE_FULL:
		return "SQLite: the disk is full (" + name + ")"
	case sqlite3.SQLITE_IOERR:
		return "SQLite: disk I/O error (" + name + ")"
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN:
		return "SQLite: the database file cannot be written (" + name + ")"
	}
	return ""
}

// execWrite is one statement on the write connection, outside a
// transaction: SQLite commits it on its own, so one that changed a row
// is a write that committed.
func (db *DB) execWrite(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.writer.ExecContext(ctx, query, args...)
	if err != nil {
		return nil, db.noteWrite(err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		db.wrote()
	}
	return res, nil
}
