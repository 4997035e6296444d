package sqlite

import (
	"sync"

	"github.com/latipay-hpp/hpp/payments"
)

// A cache of recently read and written payments in front of Payment, the
// read behind every shopper-facing request: the checkout page, its QR
// image, the live panel, the status poll and the return from Latipay all
// read the same payment within a minute or so. One read through
// database/sql and modernc.org/sqlite costs some 25 µs of CPU, a fifth of
// the checkout page's (a perf profile of e2e/load's render scenario).
//
// It is exact, not eventually right, because every write to this file
// comes from this process (lock.go holds the file for one process) and
// goes through CreatePayment or Update, which put the payment as
// committed. Versions order the states: a payment only ever replaces an
// older version of itself, so a read that fetched version 5 from the
// database cannot overwrite version 6 put by a write that committed
// meanwhile. A write that fails may or may not have committed (an error
// from the commit's fsync, say); it drops the entry and advances the
// epoch, and a read that began before it then does not fill the cache, so
// the next read goes to the database.

// cacheSize bounds the entries: some 4,000 payments open at once, about
// 2 MB. Past it an arbitrary entry makes way, and the epoch advances: a
// read that began before could otherwise put back a version older than
// the one just dropped.
const cacheSize = 4096

type paymentCache struct {
	mu     sync.Mutex
	m      map[string]payments.Payment // guarded by mu
	epoch  uint64                      // guarded by mu; advanced by failed writes and evictions
	closed bool                        // guarded by mu; set by clear
}

func newPaymentCache() *paymentCache {
	return &paymentCache{m: map[string]payments.Payment{}} // grows with use: nothing held when idle
}

// get returns the cached payment.
func (c *paymentCache) get(id string) (payments.Payment, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[id]
	return p, ok
}

// now returns the epoch, read before a database read that may fill.
func (c *paymentCache) now() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// fill keeps a payment read from the database, unless a write failed
// since the read began (epoch) or a newer version is cached.
func (c *paymentCache) fill(p payments.Payment, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch == epoch {
		c.keep(p)
	}
}

// put keeps a payment as a write committed it.
func (c *paymentCache) put(p payments.Payment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keep(p)
}

// clear empties the cache for good: after Close every read goes to the
// closed pool and fails, as without a cache.
func (c *paymentCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m, c.closed = nil, true
}

// forget drops a payment whose write failed, and advances the epoch.
func (c *paymentCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
	c.epoch++
}

// keep stores p unless the same or a newer version is there. mu is held.
func (c *paymentCache) keep(p payments.Payment) {
	if c.closed {
		return
	}
	if old, ok := c.m[p.ID]; ok {
		if old.Version >= p.Version {
			return
		}
	} else if len(c.m) >= cacheSize {
		for id := range c.m {
			delete(c.m, id)
			break
		}
		c.epoch++
	}
	c.m[p.ID] = p
}

// attemptCache maps Latipay references to their payment ids for the
// callback's first lookup (AttemptPayment). An attempt never moves to
// another payment (write.go refuses it) and is never deleted, so an entry
// is never wrong and needs no versions: it is kept when a write commits
// the attempt and when a read finds it.
type attemptCache struct {
	mu sync.Mutex
	m  map[string]string // guarded by mu; nil after clear
}

// attemptCacheSize bounds the entries: enough for every attempt that can
// still be paid at Latipay's own peak of 1,000 a second for a minute (some
// 8 MB when full; nothing when idle). Past it an arbitrary entry makes
// way, and a callback for it reads the database instead.
const attemptCacheSize = 65536

func newAttemptCache() *attemptCache {
	return &attemptCache{m: map[string]string{}} // grows with use
}

func (c *attemptCache) get(reference string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.m[reference]
	return id, ok
}

func (c *attemptCache) put(reference, paymentID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		return
	}
	if _, ok := c.m[reference]; !ok && len(c.m) >= attemptCacheSize {
		for r := range c.m {
			delete(c.m, r)
			break
		}
	}
	c.m[reference] = paymentID
}

// clear empties the cache for good (Close).
func (c *attemptCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// testHooks, when set, are called at the points where the order of a
// read, a write and the cache is decided, so that a test can hold one
// goroutine there and run another past it. Only tests set them, before the
// goroutines they affect start; they are nil otherwise.
var testHooks struct {
	beforeRead func(id string)          // Payment: after a miss, before the database read
	beforeFill func(p payments.Payment) // Payment: after the database read, before fill
	committed  func(p payments.Payment) // a write committed; the cache has not learnt it yet
	returned   func(p payments.Payment) // Update: the write succeeded; just before it returns
}
