package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Rate-limit tuning. A check that takes longer than limitTimeout is
// allowed: a slow database must not make the checkout slow as well.
const (
	limitTimeout = time.Second
	limitIdle    = time.Hour        // rows of buckets full for this long are deleted
	limitSweep   = 10 * time.Minute // at most one sweep per process this often
)

// RateLimits hands out request limiters that keep their buckets in the
// rate_limits table, so that every instance on the database draws from
// one budget per key. It is safe for concurrent use.
//
// Each check is one atomic statement. A database error allows the request
// (fail open: a limiter must never take the checkout down) and is logged
// once per outage.
type RateLimits struct {
	db      *DB
	log     *slog.Logger
	timeout time.Duration
	failing atomic.Bool  // a check failed and none has succeeded since
	swept   atomic.Int64 // unix µs of the last sweep (or its claim)
}

// NewRateLimits returns the shared limiters of db, logging to log.
func NewRateLimits(db *DB, log *slog.Logger) (*RateLimits, error) {
	if db == nil || log == nil {
		return nil, errors.New("postgres: rate limits: database and logger are required")
	}
	return &RateLimits{db: db, log: log, timeout: limitTimeout}, nil
}

// Limiter is one rate: limit requests per period on average, in bursts of
// at most burst, per key. Its Allow method has the shape of
// ratelimit.Limiter (payments/ratelimit).
//
// It runs the generic cell rate algorithm, which is a token bucket kept as
// one integer per key, the bucket's "theoretical arrival time" (tat): each
// admitted request moves tat one interval on from max(tat, now), and a
// request is admitted only while tat stays within burst intervals of now.
// All arithmetic is in integer microseconds.
type Limiter struct {
	rl        *RateLimits
	ns        string // key prefix that keeps this rate's buckets apart; never empty
	interval  int64  // µs per request on average, at least 1
	tolerance int64  // interval * burst: how far ahead of now tat may run
}

// Limiter returns the limiter for limit requests per per with bursts of
// burst (0 means limit). name keeps its buckets apart from those of other
// rates on the same keys; every instance must use the same name for the
// same rate.
func (rl *RateLimits) Limiter(name string, limit int, per time.Duration, burst int) (*Limiter, error) {
	if burst <= 0 {
		burst = limit
	}
	if name == "" || limit <= 0 || per < time.Microsecond {
		return nil, fmt.Errorf("postgres: rate limit %q: need a name, a positive limit and a period", name)
	}
	interval := max(1, per.Microseconds()/int64(limit))
	return &Limiter{rl: rl, ns: name + ":", interval: interval, tolerance: interval * int64(burst)}, nil
}

// limitCheck admits one request under key $1 at $2 (unix µs), with the
// interval $3 and tolerance $4, in one statement: the upsert moves tat
// only when the request fits, and returns it; when it does not fit, the
// second branch reads tat for Retry-After. A row that a concurrent
// transaction has just inserted may be invisible to that read; the caller
// then waits one interval.
const limitCheck = `
WITH admit AS (
	INSERT INTO rate_limits AS r (key, tat) VALUES ($1, $2::bigint + $3::bigint)
	ON CONFLICT (key) DO UPDATE SET tat = GREATEST(r.tat, $2) + $3
	WHERE GREATEST(r.tat, $2) + $3 <= $2::bigint + $4::bigint
	RETURNING tat
)
SELECT true, tat FROM admit
UNION ALL
SELECT false, tat FROM rate_limits WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM admit)`

// Allow takes one request from key's budget at now. It reports whether
// the request may go ahead and, if not, how long to wait. It allows
// whenever the database cannot answer.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), l.rl.timeout)
	defer cancel()
	at := now.UnixMicro()
	var ok bool
	var tat int64
	err := l.rl.db.pool.QueryRow(ctx, limitCheck, l.ns+key, at, l.interval, l.tolerance).Scan(&ok, &tat)
	switch {
	case errors.Is(err, pgx.ErrNoRows): // refused; its row is not visible yet
		ok, tat = false, at+l.tolerance
	case err != nil:
		l.rl.fail(err)
		return true, 0
	}
	l.rl.recovered()
	l.rl.maybeSweep(ctx, now)
	if ok {
		return true, 0
	}
	// The next request fits once tat+interval <= then+tolerance.
	wait := tat + l.interval - l.tolerance - at
	if wait <= 0 {
		wait = l.interval
	}
	return false, time.Duration(wait) * time.Microsecond
}

// Sweep deletes the buckets that have been full (idle) for an hour at now
// and returns how many. Allow calls it now and then; it is exported for
// tests and operators.
func (rl *RateLimits) Sweep(ctx context.Context, now time.Time) (int64, error) {
	tag, err := rl.db.pool.Exec(ctx, `DELETE FROM rate_limits WHERE tat < $1`, now.Add(-limitIdle).UnixMicro())
	if err != nil {
		return 0, wrap("sweep rate limits", err)
	}
	return tag.RowsAffected(), nil
}

// maybeSweep sweeps if no sweep of this process has started in the last
// limitSweep; of concurrent callers only one sweeps.
func (rl *RateLimits) maybeSweep(ctx context.Context, now time.Time) {
	last, at := rl.swept.Load(), now.UnixMicro()
	if at-last < limitSweep.Microseconds() || !rl.swept.CompareAndSwap(last, at) {
		return
	}
	if _, err := rl.Sweep(ctx, now); err != nil {
		rl.fail(err)
	}
}

// fail logs the first failure of an outage.
func (rl *RateLimits) fail(err error) {
	if rl.failing.CompareAndSwap(false, true) {
		rl.log.Error("rate limits: database check failed; allowing requests until it answers", "err", err)
	}
}

// recovered logs the end of an outage.
func (rl *RateLimits) recovered() {
	if rl.failing.Load() && rl.failing.CompareAndSwap(true, false) {
		rl.log.Info("rate limits: database answers again; limits apply")
	}
}
