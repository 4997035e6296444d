package postgres

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/latipay-hpp/hpp/payments"
)

// Write health (payments.WriteHealth). Ping only asks the server to
// answer, so a full disk ("could not extend file") shows up only in real
// writes. Every statement of the store's pool passes a tracer that
// remembers the last one the server refused for the disk's sake (SQLSTATE
// 53100 disk_full, class 58 system errors such as 58030 io_error) and
// forgets it at the next write that commits: a COMMIT that committed, or
// a statement outside a transaction that changed rows. The last failure
// is also kept for good (WriteFailureSeen), which /readyz holds for a
// minute whatever committed since. The rate limits'
// table is UNLOGGED (no WAL, lost in a crash): its writes never count as
// committed, though its refusals do count as failed.

var _ payments.WriteHealth = (*DB)(nil)

// writeHealth is the remembered failure; nil when the last write
// committed. It is the pool's tracer (pgx.QueryTracer, pgx.BatchTracer).
type writeHealth struct {
	now    func() time.Time
	failed atomic.Pointer[payments.WriteFailure]
	seen   atomic.Pointer[payments.WriteFailure] // the last failure, kept for good
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

// diskFailure says in words why err is a write the server's disk refused
// (the SQLSTATE, never the server's message, which names data files), or
// "" when it is not one.
func diskFailure(err error) string {
	var pe *pgconn.PgError
	if err == nil || !errors.As(err, &pe) {
		return ""
	}
	switch {
	case pe.Code == "53100":
		return "PostgreSQL: the disk is full (SQLSTATE 53100, disk_full)"
	case strings.HasPrefix(pe.Code, "58"):
		return "PostgreSQL: disk I/O or file error (SQLSTATE " + pe.Code + ")"
	}
	return ""
}

// unlogged marks a statement on the rate limits' table (TraceQueryStart).
type unlogged struct{}

// note remembers err if it is a disk failure, or forgets the last one
// when tag says a write committed.
func (h *writeHealth) note(ctx context.Context, conn *pgx.Conn, tag pgconn.CommandTag, err error) {
	if why := diskFailure(err); why != "" {
		f := &payments.WriteFailure{At: h.now().UTC(), Reason: why}
		h.failed.Store(f)
		h.seen.Store(f)
		return
	}
	if err != nil || h.failed.Load() == nil || ctx.Value(unlogged{}) != nil {
		return
	}
	committed := tag.String() == "COMMIT" ||
		((tag.Insert() || tag.Update() || tag.Delete()) && tag.RowsAffected() > 0 && conn.PgConn().TxStatus() == 'I')
	if committed {
		h.failed.Store(nil)
	}
}

// TraceQueryStart implements pgx.QueryTracer.
func (h *writeHealth) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "rate_limits") {
		return context.WithValue(ctx, unlogged{}, true)
	}
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (h *writeHealth) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, d pgx.TraceQueryEndData) {
	h.note(ctx, conn, d.CommandTag, d.Err)
}

// TraceBatchStart implements pgx.BatchTracer.
func (h *writeHealth) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer: the group commit's batches
// end with their COMMIT.
func (h *writeHealth) TraceBatchQuery(ctx context.Context, conn *pgx.Conn, d pgx.TraceBatchQueryData) {
	h.note(ctx, conn, d.CommandTag, d.Err)
}

// TraceBatchEnd implements pgx.BatchTracer.
func (h *writeHealth) TraceBatchEnd(ctx context.Context, conn *pgx.Conn, d pgx.TraceBatchEndData) {
	h.note(ctx, conn, pgconn.CommandTag{}, d.Err)
}
