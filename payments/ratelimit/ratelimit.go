// Package ratelimit is the request limits' library: token-bucket rates,
// the server's table of limits with its defaults, an in-memory Limiter
// with a bounded number of keys, and a counter of open things (sockets)
// per key. It knows nothing about HTTP: handlers/limits.go keys requests
// (by client address or its IPv6 /64, payment or API key), answers 429
// and installs the limits on routes; a shared store (payments/postgres)
// implements Limiter so several instances share one budget, and
// payments/storage chooses it.
//
// It lives under payments, beside the storage it is shared through, so
// that imports point down: handlers and payments/storage both import it,
// and it imports only the standard library (never handlers, gin or a
// store). Change a default in Defaults, the bucket arithmetic and the
// bound on keys in memoryLimiter; how a request is keyed and answered is
// handlers/limits.go.
package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Rate is a token bucket: Limit requests per Per on average, with bursts
// of up to Burst.
type Rate struct {
	Limit int           // requests per Per on average; 0 means "use the default"
	Per   time.Duration // the period of Limit
	Burst int           // bucket size; 0 means Limit
}

// Limits are the request limits of the server (e2e/README.md, Security:
// the limits table). A zero field takes its default from Defaults (WithDefaults); Off turns
// every limit off (load tests of other parts only).
type Limits struct {
	Off               bool
	Pages             Rate // page loads and the signed link, per client address
	Status            Rate // status polling, per payment and client address
	StatusPerIP       Rate // status polling, per client address
	API               Rate // merchant API, per key
	APIPerIP          Rate // merchant API, per client address
	SocketOpens       Rate // socket handshakes, per client address
	BadCallbacks      Rate // callbacks with a bad signature, per client address
	CSPReports        Rate // CSP violation reports, per client address
	SignIns           Rate // back-office sign-in and setup attempts, per client address
	Returns           Rate // returns from Latipay (each may ask Latipay), per payment and client address
	ReturnsPerIP      Rate // returns from Latipay, per client address
	CheckoutActions   Rate // a shopper's starts and cancels (each may ask Latipay), per payment and client address
	SocketsPerIP      int  // open sockets per client address
	SocketsPerPayment int  // open sockets per payment and client address (ten times that per payment)
	// NewLimiter builds the limiter for one rate; nil means an in-memory
	// token bucket. A shared store (PostgreSQL) can stand in here so that
	// several instances share one budget.
	NewLimiter func(Rate) Limiter
}

// Defaults are the limits shipped by default.
func Defaults() Limits {
	return Limits{
		Pages:             Rate{Limit: 60, Per: time.Minute, Burst: 120},
		Status:            Rate{Limit: 2, Per: time.Second, Burst: 10},
		StatusPerIP:       Rate{Limit: 20, Per: time.Second, Burst: 60},
		API:               Rate{Limit: 50, Per: time.Second, Burst: 100},
		APIPerIP:          Rate{Limit: 100, Per: time.Second, Burst: 200},
		SocketOpens:       Rate{Limit: 30, Per: time.Minute, Burst: 30},
		BadCallbacks:      Rate{Limit: 10, Per: time.Minute, Burst: 10},
		CSPReports:        Rate{Limit: 30, Per: time.Minute, Burst: 60},
		SignIns:           Rate{Limit: 10, Per: time.Minute, Burst: 10},
		Returns:           Rate{Limit: 10, Per: time.Minute, Burst: 10},
		ReturnsPerIP:      Rate{Limit: 60, Per: time.Minute, Burst: 120},
		CheckoutActions:   Rate{Limit: 30, Per: time.Minute, Burst: 30},
		SocketsPerIP:      50,
		SocketsPerPayment: 5,
	}
}

// Limiter decides whether one more request under key may go ahead now,
// and if not, how long to wait. Implementations are safe for concurrent
// use.
type Limiter interface {
	Allow(key string, now time.Time) (ok bool, retryAfter time.Duration)
}

// maxBuckets bounds the keys one memoryLimiter remembers. Each costs about
// 100 bytes, so a limiter holds at most a few MB however many addresses
// call; 65,536 is over a thousand distinct clients a second for a minute.
const maxBuckets = 1 << 16

// memoryLimiter is a token bucket per key, kept in memory. Full buckets
// are forgotten from time to time so the map stays small, and at most
// max keys are kept: when a new key finds the map full, refilled buckets
// go first and then arbitrary ones (a forgotten key starts again with a
// full bucket, which is what a client with a fresh address gets anyway).
// Go maps do not shrink, so the map is rebuilt when it has emptied.
type memoryLimiter struct {
	rate  float64 // tokens per second
	burst float64
	max   int // most keys kept; > 0

	mu      sync.Mutex
	buckets map[string]bucket // guarded by mu; at most max entries
	peak    int               // guarded by mu; most entries since the map was made
	swept   time.Time         // guarded by mu
}

type bucket struct {
	tokens float64
	at     int64 // Unix nanoseconds of the last refill
}

// NewMemory returns an in-memory token-bucket Limiter for r.
func NewMemory(r Rate) Limiter {
	burst := r.Burst
	if burst <= 0 {
		burst = r.Limit
	}
	return &memoryLimiter{rate: float64(r.Limit) / r.Per.Seconds(), burst: float64(burst), max: maxBuckets,
		buckets: map[string]bucket{}}
}

// Allow takes one token from key's bucket.
func (l *memoryLimiter) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	t := now.UnixNano()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.shed(t)
		}
		b = bucket{tokens: l.burst, at: t}
	}
	if d := float64(t-b.at) / 1e9; d > 0 {
		b.tokens = math.Min(l.burst, b.tokens+d*l.rate)
		b.at = t
	}
	allowed := b.tokens >= 1
	if allowed {
		b.tokens--
	}
	l.buckets[key] = b
	l.peak = max(l.peak, len(l.buckets))
	if allowed {
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// sweep drops buckets that have refilled, at most once a minute. Expects
// l.mu held.
func (l *memoryLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	l.dropFull(now.UnixNano())
	l.compact()
}

// shed makes room for a new key in a full map: refilled buckets first,
// then arbitrary ones (map order), down to three quarters of max. Expects
// l.mu held.
func (l *memoryLimiter) shed(t int64) {
	l.dropFull(t)
	for k := range l.buckets {
		if len(l.buckets) <= l.max*3/4 {
			break
		}
		delete(l.buckets, k)
	}
	l.compact()
}

// dropFull forgets the buckets that have refilled. Expects l.mu held.
func (l *memoryLimiter) dropFull(t int64) {
	for k, b := range l.buckets {
		if b.tokens+float64(t-b.at)/1e9*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// compact rebuilds the map once it holds under half its peak, so the
// memory of a past flood is given back. Expects l.mu held.
func (l *memoryLimiter) compact() {
	if len(l.buckets) >= l.peak/2 {
		return
	}
	m := make(map[string]bucket, len(l.buckets))
	for k, b := range l.buckets {
		m[k] = b
	}
	l.buckets, l.peak = m, len(m)
}

// WithDefaults returns l with every zero or invalid field taken from
// Defaults, and NewLimiter set to NewMemory when nil.
func (l Limits) WithDefaults() Limits {
	d := Defaults()
	pick := func(r *Rate, def Rate) {
		if r.Limit <= 0 || r.Per <= 0 {
			*r = def
		}
	}
	pick(&l.Pages, d.Pages)
	pick(&l.Status, d.Status)
	pick(&l.StatusPerIP, d.StatusPerIP)
	pick(&l.API, d.API)
	pick(&l.APIPerIP, d.APIPerIP)
	pick(&l.SocketOpens, d.SocketOpens)
	pick(&l.BadCallbacks, d.BadCallbacks)
	pick(&l.CSPReports, d.CSPReports)
	pick(&l.SignIns, d.SignIns)
	pick(&l.Returns, d.Returns)
	pick(&l.ReturnsPerIP, d.ReturnsPerIP)
	pick(&l.CheckoutActions, d.CheckoutActions)
	if l.SocketsPerIP <= 0 {
		l.SocketsPerIP = d.SocketsPerIP
	}
	if l.SocketsPerPayment <= 0 {
		l.SocketsPerPayment = d.SocketsPerPayment
	}
	if l.NewLimiter == nil {
		l.NewLimiter = NewMemory
	}
	return l
}

// Counter counts open things (sockets) per key. The zero value is not
// ready: use NewCounter.
type Counter struct {
	mu sync.Mutex
	n  map[string]int // guarded by mu; no zero entries
}

// Acquire takes one of key's max slots, or reports false when all are
// taken.
func (k *Counter) Acquire(key string, max int) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.n[key] >= max {
		return false
	}
	k.n[key]++
	return true
}

// Release gives back a slot taken by Acquire.
func (k *Counter) Release(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.n[key]--; k.n[key] <= 0 {
		delete(k.n, key)
	}
}

// NewCounter returns an empty Counter.
func NewCounter() *Counter { return &Counter{n: map[string]int{}} }
