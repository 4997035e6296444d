package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/netip"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/latipay-hpp/hpp/payments/ratelimit"
)

// Limits and Rate are the request limits of Options, defined in package
// ratelimit; the names stay here so a server's options read as one set.
type (
	Limits = ratelimit.Limits
	Rate   = ratelimit.Rate
)

// DefaultLimits are the limits shipped by default (ratelimit.Defaults).
func DefaultLimits() Limits { return ratelimit.Defaults() }

// limits holds the server's limiters, built once by newLimits from
// Options.Limits. The rest of this file keys requests and answers 429.
type limits struct {
	off                                                            bool
	now                                                            func() time.Time
	pages, status, statusIP, api, apiIP, socketOpens, badCallbacks ratelimit.Limiter
	cspReports, signIns                                            ratelimit.Limiter
	returns, returnsIP, actions                                    ratelimit.Limiter // their own budgets: polling and page loads never spend them
	socketsPerIP, socketsPerPayment                                int
	open                                                           *ratelimit.Counter
}

func newLimits(l Limits, now func() time.Time) *limits {
	l = l.WithDefaults()
	mk := l.NewLimiter
	return &limits{
		off: l.Off, now: now,
		pages:             mk(l.Pages),
		status:            mk(l.Status),
		statusIP:          mk(l.StatusPerIP),
		api:               mk(l.API),
		apiIP:             mk(l.APIPerIP),
		socketOpens:       mk(l.SocketOpens),
		badCallbacks:      mk(l.BadCallbacks),
		cspReports:        mk(l.CSPReports),
		signIns:           mk(l.SignIns),
		returns:           mk(l.Returns), // new limits go last: a shared store names each by its place (payments/storage)
		returnsIP:         mk(l.ReturnsPerIP),
		actions:           mk(l.CheckoutActions),
		socketsPerIP:      l.SocketsPerIP,
		socketsPerPayment: l.SocketsPerPayment,
		open:              ratelimit.NewCounter(),
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
func (s *Server) limit(l ratelimit.Limiter, key keyFunc) gin.HandlerFunc {
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
// seconds (at least 1): JSON where the caller is a script or Latipay, a
// page elsewhere.
func (s *Server) tooMany(c *gin.Context, wait time.Duration) {
	c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	switch c.FullPath() {
	case CallbackPath, "/checkout/:id/status", "/checkout/:id/ws", CSPReportPath:
		c.Set("api", true) // no page to show: the same JSON as the API's
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
// The slot is held for the socket's life: the socket, which outlives
// its handler, gives it back when it closes (reqState.release).
func (s *Server) socketCaps() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.limits.off {
			return
		}
		ip, pay := byIP(c), byPayment(c)
		if !s.limits.open.Acquire(ip, s.limits.socketsPerIP) {
			s.tooMany(c, 5*time.Second)
			return
		}
		if !s.limits.open.Acquire(pay, 10*s.limits.socketsPerPayment) {
			s.limits.open.Release(ip)
			s.tooMany(c, 5*time.Second)
			return
		}
		payClient := byPaymentClient(c)
		if !s.limits.open.Acquire(payClient, s.limits.socketsPerPayment) {
			s.limits.open.Release(pay)
			s.limits.open.Release(ip)
			s.tooMany(c, 5*time.Second)
			return
		}
		// The socket outlives the handler (ws.go): it takes release from
		// the request's state and calls it when it closes; otherwise it
		// is called here.
		st := state(c)
		st.release = func() {
			s.limits.open.Release(payClient)
			s.limits.open.Release(pay)
			s.limits.open.Release(ip)
		}
		defer func() {
			if st.release != nil {
				st.release()
				st.release = nil
			}
		}()
		c.Next()
	}
}
