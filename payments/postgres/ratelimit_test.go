package postgres

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// newTestLimiter opens its own pool on url, as another instance would, and
// returns a limiter of limit per second with bursts of burst.
func newTestLimiter(t testing.TB, url string, limit, burst int) *Limiter {
	t.Helper()
	rl, err := NewRateLimits(mustOpen(t, url), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	// These tests check the bucket rule, not the fail-open path: on a busy
	// machine a check can take longer than the production timeout, and a
	// timed-out check is admitted, which would count as a broken rule.
	rl.timeout = time.Minute
	l, err := rl.Limiter("test", limit, time.Second, burst)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestRateLimitsShared: two instances (two pools) on one database draw
// from one budget: alternating between them admits the burst once, not
// twice, and the refusal says when to come back.
func TestRateLimitsShared(t *testing.T) {
	url := pgtest.Schema(t)
	a, b := newTestLimiter(t, url, 1, 5), newTestLimiter(t, url, 1, 5)
	now := testNow()
	for i := range 5 {
		l := []*Limiter{a, b}[i%2]
		if ok, _ := l.Allow("ip:192.0.2.1", now); !ok {
			t.Fatalf("request %d refused, want the burst of 5 admitted", i+1)
		}
	}
	for i, l := range []*Limiter{a, b} {
		ok, wait := l.Allow("ip:192.0.2.1", now)
		if ok {
			t.Errorf("instance %d: request 6 admitted, want the shared burst spent", i)
		}
		if wait != time.Second {
			t.Errorf("instance %d: wait = %v, want 1s", i, wait)
		}
	}
	if ok, _ := b.Allow("ip:192.0.2.2", now); !ok {
		t.Error("another key refused; budgets must be per key")
	}
}

// TestRateLimitsRefill: the budget refills at the rate on the injected
// clock, never beyond the burst.
func TestRateLimitsRefill(t *testing.T) {
	l := newTestLimiter(t, pgtest.Schema(t), 2, 4) // one request per 500ms
	t0 := testNow()
	admitted := func(at time.Duration, n int) int {
		t.Helper()
		got := 0
		for range n {
			if ok, _ := l.Allow("k", t0.Add(at)); ok {
				got++
			}
		}
		return got
	}
	for _, step := range []struct {
		at        time.Duration
		try, want int
	}{
		{0, 6, 4},                      // the burst
		{499 * time.Millisecond, 1, 0}, // not yet one interval
		{500 * time.Millisecond, 2, 1}, // one interval: one request
		{1500 * time.Millisecond, 3, 2},
		{time.Hour, 10, 4}, // full again, never more than the burst
	} {
		if got := admitted(step.at, step.try); got != step.want {
			t.Errorf("at +%v: %d of %d admitted, want %d", step.at, got, step.try, step.want)
		}
	}
	ok, wait := l.Allow("k", t0.Add(time.Hour+100*time.Millisecond))
	if ok || wait != 400*time.Millisecond {
		t.Errorf("Allow after the burst = %v, %v; want false, 400ms", ok, wait)
	}
}

// TestRateLimitsConcurrent: 50 goroutines over two instances checking one
// key at one instant never admit more than the burst.
func TestRateLimitsConcurrent(t *testing.T) {
	url := pgtest.Schema(t)
	a, b := newTestLimiter(t, url, 1, 10), newTestLimiter(t, url, 1, 10)
	now := testNow()
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if ok, _ := []*Limiter{a, b}[i%2].Allow("payment:p1", now); ok {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	if got := admitted.Load(); got != 10 {
		t.Errorf("50 concurrent checks admitted %d, want exactly the burst of 10", got)
	}
}

// TestRateLimitsNames: rates with different names keep separate buckets
// for the same key.
func TestRateLimitsNames(t *testing.T) {
	rl, err := NewRateLimits(mustOpen(t, pgtest.Schema(t)), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := rl.Limiter("pages", 1, time.Minute, 1)
	api, _ := rl.Limiter("api", 1, time.Minute, 1)
	now := testNow()
	if ok, _ := pages.Allow("ip:x", now); !ok {
		t.Fatal("pages: first request refused")
	}
	if ok, _ := api.Allow("ip:x", now); !ok {
		t.Error("api: first request refused after pages spent its own budget")
	}
	if _, err := rl.Limiter("", 1, time.Minute, 1); err == nil {
		t.Error("Limiter with no name: no error")
	}
	if _, err := rl.Limiter("x", 0, time.Minute, 1); err == nil {
		t.Error("Limiter with limit 0: no error")
	}
}

// TestRateLimitsSweep: buckets idle (full) for an hour are deleted, busy
// ones are kept, and Allow sweeps at most once per interval.
func TestRateLimitsSweep(t *testing.T) {
	url := pgtest.Schema(t)
	rl, err := NewRateLimits(mustOpen(t, url), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	l, _ := rl.Limiter("s", 1, time.Second, 1)
	t0 := testNow()
	rows := func() int64 { return pgtest.QueryInt64(t, url, `SELECT count(*) FROM rate_limits`) }
	l.Allow("old", t0)                       // also this process's first sweep
	l.Allow("recent", t0.Add(5*time.Minute)) // too soon for another
	if got := rows(); got != 2 {
		t.Fatalf("rows = %d, want 2", got)
	}
	n, err := rl.Sweep(t.Context(), t0.Add(61*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("Sweep an hour after \"old\" = %d, %v; want 1 row deleted", n, err)
	}
	pgtest.Exec(t, url, `UPDATE rate_limits SET tat = 0`) // every bucket long idle
	l.Allow("y", t0.Add(9*time.Minute))
	if got := rows(); got != 2 {
		t.Errorf("rows = %d, want 2: Allow swept again within %v", got, limitSweep)
	}
	l.Allow("z", t0.Add(10*time.Minute))
	if got := rows(); got != 2 {
		t.Errorf("rows = %d, want 2 (y and z): Allow did not sweep after %v", got, limitSweep)
	}
}

// TestRateLimitsFailOpen: when the database cannot answer, requests are
// allowed and the outage is logged once.
func TestRateLimitsFailOpen(t *testing.T) {
	db := mustOpen(t, pgtest.Schema(t))
	var logs bytes.Buffer
	var mu sync.Mutex
	rl, err := NewRateLimits(db, slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	l, _ := rl.Limiter("f", 1, time.Minute, 1)
	now := testNow()
	l.Allow("k", now)
	db.Close()
	for i := range 3 {
		if ok, _ := l.Allow("k", now); !ok {
			t.Errorf("check %d with the database closed refused; want allowed (fail open)", i+1)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Count(logs.String(), "rate limits: database check failed"); got != 1 {
		t.Errorf("failure logged %d times, want once:\n%s", got, logs.String())
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
