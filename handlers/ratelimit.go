package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Rate is a token bucket: Limit requests per Per on average, with bursts
// of up to Burst.
type Rate struct {
	Limit int           // requests per Per on average; 0 means "use the default"
	Per   time.Duration // the period of Limit
	Burst int           // bucket size; 0 means Limit
}

// Limits are the request limits of the server (reliability-security.md,
// section c). A zero field takes its default from DefaultLimits; Off turns
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
	SocketsPerIP      int  // open sockets per client address
	SocketsPerPayment int  // open sockets per payment and client address (ten times that per payment)
	// NewLimiter builds the limiter for one rate; nil means an in-memory
	// token bucket. A shared store (PostgreSQL) can stand in here so that
	// several instances share one budget.
	NewLimiter func(Rate) Limiter
}

// DefaultLimits are the limits shipped by default.
func DefaultLimits() Limits {
	return Limits{
		Pages:             Rate{Limit: 60, Per: time.Minute, Burst: 120},
		Status:            Rate{Limit: 2, Per: time.Second, Burst: 10},
		StatusPerIP:       Rate{Limit: 20, Per: time.Second, Burst: 60},
		API:               Rate{Limit: 50, Per: time.Second, Burst: 100},
		APIPerIP:          Rate{Limit: 100, Per: time.Second, Burst: 200},
		SocketOpens:       Rate{Limit: 30, Per: time.Minute, Burst: 30},
		BadCallbacks:      Rate{Limit: 10, Per: time.Minute, Burst: 10},
		CSPReports:        Rate{Limit: 30, Per: time.Minute, Burst: 60},
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

// NewMemoryLimiter returns an in-memory token-bucket Limiter for r.
func NewMemoryLimiter(r Rate) Limiter {
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

// limits holds the server's limiters, built once by newLimits.
type limits struct {
	off                                                            bool
	now                                                            func() time.Time
	pages, status, statusIP, api, apiIP, socketOpens, badCallbacks Limiter
	cspReports                                                     Limiter
	socketsPerIP, socketsPerPayment                                int
	open                                                           *counter
}

func newLimits(l Limits, now func() time.Time) *limits {
	d := DefaultLimits()
	pick := func(r, def Rate) Rate {
		if r.Limit <= 0 || r.Per <= 0 {
			return def
		}
		return r
	}
	mk := l.NewLimiter
	if mk == nil {
		mk = NewMemoryLimiter
	}
	orInt := func(v, def int) int {
		if v <= 0 {
			return def
		}
		return v
	}
	return &limits{
		off: l.Off, now: now,
		pages:             mk(pick(l.Pages, d.Pages)),
		status:            mk(pick(l.Status, d.Status)),
		statusIP:          mk(pick(l.StatusPerIP, d.StatusPerIP)),
		api:               mk(pick(l.API, d.API)),
		apiIP:             mk(pick(l.APIPerIP, d.APIPerIP)),
		socketOpens:       mk(pick(l.SocketOpens, d.SocketOpens)),
		badCallbacks:      mk(pick(l.BadCallbacks, d.BadCallbacks)),
		cspReports:        mk(pick(l.CSPReports, d.CSPReports)),
		socketsPerIP:      orInt(l.SocketsPerIP, d.SocketsPerIP),
		socketsPerPayment: orInt(l.SocketsPerPayment, d.SocketsPerPayment),
		open:              &counter{n: map[string]int{}},
	}
}

// keyFunc names the budget a request draws from.
type keyFunc func(c *gin.Context) string

// byIP keys on the client's address; IPv6 clients on their /64, the
// smallest block a site is usually given, so one host cannot take a
// fresh budget from each of its 2^64 addresses.
func byIP(c *gin.Context) string { return "ip:" + clientBlock(c.ClientIP()) }

// clientBlock is ip itself for IPv4 and the /64 holding it for IPv6.
func clientBlock(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is6() || a.Is4In6() {
		return ip
	}
	p, _ := a.Prefix(64)
	return p.String()
}

func byPayment(c *gin.Context) string { return "payment:" + c.Param("id") }

// byPaymentClient keys on the payment and the client's address together,
// so whoever else holds a checkout URL cannot spend the shopper's budget.
func byPaymentClient(c *gin.Context) string {
	return "payment:" + c.Param("id") + "|" + clientBlock(c.ClientIP())
}

// byAPIKey keys on a hash of the bearer key, so the limiter never holds a
// secret.
func byAPIKey(c *gin.Context) string {
	h := sha256.Sum256([]byte(c.GetHeader("Authorization")))
	return "key:" + hex.EncodeToString(h[:8])
}

// limit answers 429 with Retry-After when key's budget in l is spent.
func (s *Server) limit(l Limiter, key keyFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.limits.off {
			return
		}
		if ok, wait := l.Allow(key(c), s.limits.now()); !ok {
			s.tooMany(c, wait)
		}
	}
}

// tooMany answers 429 through the error funnel with Retry-After in whole
// seconds (at least 1).
func (s *Server) tooMany(c *gin.Context, wait time.Duration) {
	c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	if c.FullPath() == CallbackPath || c.FullPath() == "/checkout/:id/status" || c.FullPath() == "/checkout/:id/ws" || c.FullPath() == CSPReportPath {
		c.AbortWithStatusJSON(http.StatusTooManyRequests, gin.H{"error": gin.H{"code": "rate_limited", "message": "Too many requests; retry after the time in Retry-After."}})
		return
	}
	s.respondError(c, errRateLimited)
}

// allowBadCallback reports whether a callback that failed verification
// may be answered normally (and logged); false means answer 429. Valid
// callbacks never reach it, so they are never throttled.
func (s *Server) allowBadCallback(c *gin.Context) bool {
	if s.limits.off {
		return true
	}
	ok, wait := s.limits.badCallbacks.Allow(byIP(c), s.limits.now())
	if !ok {
		s.tooMany(c, wait)
	}
	return ok
}

// socketCaps refuses a socket handshake, before the upgrade, when the
// client address, the payment from that address, or the payment as a whole
// already has its maximum of open sockets. Counting per payment and
// client means a third party holding the checkout URL cannot take the
// shopper's sockets; the payment's total (ten times the per-client cap)
// only bounds fan-out. A refused page falls back to polling, which is
// also budgeted per payment and client.
// The handler serves the socket inside c.Next, so the slot is held for
// the socket's life.
func (s *Server) socketCaps() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.limits.off {
			return
		}
		ip, pay := byIP(c), byPayment(c)
		if !s.limits.open.acquire(ip, s.limits.socketsPerIP) {
			s.tooMany(c, 5*time.Second)
			return
		}
		defer s.limits.open.release(ip)
		if !s.limits.open.acquire(pay, 10*s.limits.socketsPerPayment) {
			s.tooMany(c, 5*time.Second)
			return
		}
		defer s.limits.open.release(pay)
		payClient := byPaymentClient(c)
		if !s.limits.open.acquire(payClient, s.limits.socketsPerPayment) {
			s.tooMany(c, 5*time.Second)
			return
		}
		defer s.limits.open.release(payClient)
		c.Next()
	}
}

// counter counts open things per key.
type counter struct {
	mu sync.Mutex
	n  map[string]int // guarded by mu; no zero entries
}

func (k *counter) acquire(key string, max int) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.n[key] >= max {
		return false
	}
	k.n[key]++
	return true
}

func (k *counter) release(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.n[key]--; k.n[key] <= 0 {
		delete(k.n, key)
	}
}
