package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latipay-hpp/hpp/handlers/listen"
)

// errNoWork ends a worker early: the scenario's prepared items ran out.
var errNoWork = errors.New("no more work")

// sample is the outcome of one timed phase.
type sample struct {
	N        int           // successful operations
	Errors   int           // failed operations
	Elapsed  time.Duration // wall time of the phase
	Lat      []time.Duration
	FirstErr string
}

// rate is successful operations per second.
func (s sample) rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.N) / s.Elapsed.Seconds()
}

// pct returns the p-th percentile latency (0 < p <= 100), nearest rank.
func pct(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// drive runs conns workers in a closed loop for d (or until every worker
// gets errNoWork) and times each call of op. op's i counts calls across
// all workers, from 0.
func drive(ctx context.Context, conns int, d time.Duration, op func(ctx context.Context, i int) error) sample {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var next atomic.Int64
	var mu sync.Mutex
	var out sample
	var wg sync.WaitGroup
	begin := time.Now()
	for range conns {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			errs := 0
			first := ""
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				t0 := time.Now()
				err := op(ctx, i)
				if errors.Is(err, errNoWork) {
					break
				}
				if err != nil {
					if ctx.Err() != nil {
						break // cut off by the deadline: not a failure of the app
					}
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			out.Lat = append(out.Lat, lat...)
			out.Errors += errs
			if out.FirstErr == "" {
				out.FirstErr = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	out.Elapsed = time.Since(begin)
	out.N = len(out.Lat)
	return out
}

// clientIdle is how long the harness keeps an idle connection: half the
// app's listen.IdleTimeout. At a full minute, equal to the app's, a
// connection left idle about a minute (pg2's A instance while B's payments
// were prepared) was taken from the pool just as the app closed it, and
// its callback failed with EOF or a reset: the request was never read
// (the app logged no request for it), so nothing was applied, but the
// harness counted an error. Go's transport retries such a request on a
// new connection only when it is idempotent (GET, HEAD, or one with an
// Idempotency-Key), which a callback's POST is not; retiring the
// connection first avoids the race instead. Latipay's sender meets the
// same race if it keeps connections idle that long, and retries: a
// notification not answered "sent" is sent again.
const clientIdle = listen.IdleTimeout / 2

// newClient is the harness's HTTP client: rawTransport, one keep-alive
// connection per worker, no redirects followed, no compression. Each
// request is bounded by 15 s (and by its context's deadline) in the
// transport, not by http.Client.Timeout, which would add a context and a
// timer to every request.
func newClient(conns int) *http.Client {
	return &http.Client{Transport: &rawTransport{maxIdle: 4 * conns, idleFor: clientIdle, timeout: 15 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// statusErr reports an unexpected status.
func statusErr(what string, got int, want ...int) error {
	if slices.Contains(want, got) {
		return nil
	}
	return fmt.Errorf("%s: HTTP %d, want %v", what, got, want)
}

// driveRate offers rate operations a second for d over conns workers (an
// open loop, as wrk2 does), and times each one from the moment it was
// scheduled, not from when a worker got to it: a stall that makes later
// operations wait counts against their latency instead of hiding in a
// lower rate (no coordinated omission). The sample's rate is what was
// achieved; below rate, the app could not keep up with the offer.
func driveRate(ctx context.Context, conns int, rate float64, d time.Duration, op func(ctx context.Context, i int) error) sample {
	if rate <= 0 {
		return sample{FirstErr: "no rate to offer"}
	}
	ctx, cancel := context.WithTimeout(ctx, d+15*time.Second) // a late tail may finish
	defer cancel()
	total := int(rate * d.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	var next atomic.Int64
	var mu sync.Mutex
	var out sample
	var wg sync.WaitGroup
	begin := time.Now()
	for range conns {
		wg.Go(func() {
			lat := make([]time.Duration, 0, total/conns+16)
			errs := 0
			first := ""
			// One timer per worker, reset for each request: a new timer and
			// channel per request (time.After) cost the client CPU the app
			// under test then lacked.
			wake := time.NewTimer(time.Hour)
			defer wake.Stop()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= total {
					break
				}
				due := begin.Add(time.Duration(i) * interval)
				if wait := time.Until(due); wait > 0 {
					wake.Reset(wait)
					select {
					case <-wake.C:
					case <-ctx.Done():
					}
				}
				err := op(ctx, i)
				if errors.Is(err, errNoWork) {
					break
				}
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				lat = append(lat, time.Since(due))
			}
			mu.Lock()
			out.Lat = append(out.Lat, lat...)
			out.Errors += errs
			if out.FirstErr == "" {
				out.FirstErr = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	out.Elapsed = time.Since(begin)
	out.N = len(out.Lat)
	return out
}
