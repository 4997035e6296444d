package sqlite

import (
	"encoding/hex"
	"sync"

	"github.com/latipay-hpp/hpp/payments"
)

// A cache of recently read and written payments in front of Payment, the
// read behind every shopper-facing request: the checkout page, its QR
// image, the live panel, the status poll and the return from Latipay all
// read the same payment within a minute or so. One read through
// database/sql and modernc.org/sqlite costs some 25 µs of CPU, a fifth of
// the checkout page's (a perf profile of e2e/load's render scenario).
// Update's load on the writer takes the payment from it too, once the row
// read in its write transaction shows the cached version (write.go,
// loadCached), so that read skips the payment's columns.
//
// What a reader may see. Payment returns, for each payment, a version at
// least as new as (1) any version an earlier Payment call returned, in any
// goroutine, (2) the version any write that has returned to its caller
// left, and (3) the version any earlier read of the database saw: a
// callback's repeat that finds its notification recorded (NotificationSeen)
// and answers "sent" must then find the payment paid. So versions seen
// never go backwards, per reader or across readers, and the cache never
// shows less than the database has shown.
// It can be exact because every write to this file comes from this process
// (lock_unix.go holds the file for one process) and goes through the one
// writer goroutine (batch.go), and it holds because of these rules:
//
//   - Only the writer goroutine tells the cache about writes, in commit
//     order, after the commit and before any caller of the batch is
//     answered (committed). So the cache never learns an older committed
//     version after a newer one, and a caller that got version n back
//     finds n or newer. (Callers used to put their own results, and a slow
//     caller could put version n after n+1 had been read and its entry
//     dropped: the version went backwards.)
//   - Versions order the states: an entry is only ever replaced by a newer
//     version of itself (keep).
//   - While a write of a payment is being committed (writing), its entry
//     is not used: the commit becomes visible to readers of the database
//     before the writer goroutine can keep the new version. (A repeated
//     callback read its committed notification and answered "sent", then
//     a read of the payment got the cached pending version: a random CI
//     failure of handlers.TestNotificationIngestion.)
//   - A read that missed fills the cache only if nothing was dropped since
//     it began (epoch) and no write of that payment is being committed
//     (writing). A read that fetched version n from the database while n+1
//     was committing may be the only one of its kind left once another
//     reader has fetched n+1 and the cache has not learnt it yet, so it
//     must not fill; one that began before an entry was dropped could
//     otherwise put back a version older than the one dropped.
//   - Entries are dropped, and the epoch advanced, only when a commit failed
//     (it may or may not have written: the next read asks the database) and
//     when an entry makes way for another (cacheSize). A write its own
//     function refused changed nothing (the batch undid it), so it leaves
//     the cache as it is.

// cacheSize bounds the entries: some 4,000 payments open at once, about
// 2 MB. Past it an entry makes way, and the epoch advances: a read that
// began before could otherwise put back a version older than the one just
// dropped. The entry that makes way is the payment that became final
// (Status.Final: paid, expired, canceled, refunded) longest ago while
// cached, and an arbitrary one only when none is final. A final payment
// is read far less (its shopper is done; a callback for it is a repeat),
// while an open one is still read by its checkout page and paid by its
// callback, whose write takes the payment from here (loadCached). Made
// arbitrary, a callback whose payment had made way kept its paid payment
// in the place of an open one: when more payments are open than the cache
// holds, each paid one pushed out an open one about to be paid.
const cacheSize = 4096

type paymentCache struct {
	mu      sync.Mutex
	m       map[string]payments.Payment // guarded by mu
	writing map[string]struct{}         // guarded by mu; payments of the batch being committed
	epoch   uint64                      // guarded by mu; advanced by failed commits and evictions
	closed  bool                        // guarded by mu; set by clear
	// final lists, oldest first from final[head], the ids of entries kept
	// with a final status where the entry before was absent or open: the
	// order evict takes them in. An id no longer cached or no longer final
	// is skipped when reached (failed drops entries without looking here).
	final []string // guarded by mu
	head  int      // guarded by mu
}

func newPaymentCache() *paymentCache {
	// Both grow with use: nothing held when idle.
	return &paymentCache{m: map[string]payments.Payment{}, writing: map[string]struct{}{}}
}

// get returns the cached payment. A payment whose write is being
// committed is a miss: from the moment the commit is visible in the
// database until the writer goroutine has kept the new version, the
// entry is older than what any read of the database shows.
func (c *paymentCache) get(id string) (payments.Payment, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, w := c.writing[id]; w {
		return payments.Payment{}, false
	}
	p, ok := c.m[id]
	return p, ok
}

// now returns the epoch, read before a database read that may fill.
func (c *paymentCache) now() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// fill keeps a payment read from the database, unless an entry was
// dropped since the read began (epoch), a write of the payment is being
// committed, or the same or a newer version is cached.
func (c *paymentCache) fill(p payments.Payment, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, w := c.writing[p.ID]; c.epoch == epoch && !w {
		c.keep(p)
	}
}

// committing marks the payments a batch wrote, before its commit: until
// committed or failed, no read fills them. Writer goroutine only.
func (c *paymentCache) committing(ps []payments.Payment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range ps {
		c.writing[p.ID] = struct{}{}
	}
}

// committed keeps the payments a batch wrote, in the order it wrote them,
// once its commit has returned. Writer goroutine only.
func (c *paymentCache) committed(ps []payments.Payment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range ps {
		c.keep(p)
	}
	clear(c.writing)
}

// failed drops the payments of a batch whose commit failed (it may or may
// not have written them), and advances the epoch. Writer goroutine only.
func (c *paymentCache) failed(ps []payments.Payment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range ps {
		delete(c.m, p.ID)
	}
	c.epoch++
	clear(c.writing)
}

// clear empties the cache for good: after Close every read goes to the
// closed pool and fails, as without a cache.
func (c *paymentCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m, c.closed, c.final, c.head = nil, true, nil, 0
}

// keep stores p unless the same or a newer version is there. mu is held.
func (c *paymentCache) keep(p payments.Payment) {
	if c.closed {
		return
	}
	old, ok := c.m[p.ID]
	if ok {
		if old.Version >= p.Version {
			return
		}
	} else if len(c.m) >= cacheSize {
		c.evict()
		c.epoch++
	}
	c.m[p.ID] = p
	if p.Status.Final() && (!ok || !old.Status.Final()) {
		c.final = append(c.final, p.ID)
		if len(c.final)-c.head > 2*cacheSize {
			c.compact()
		}
	}
}

// evict drops the entry that became final longest ago, or an arbitrary
// one when none cached is final. mu is held.
func (c *paymentCache) evict() {
	for c.head < len(c.final) {
		id := c.final[c.head]
		c.final[c.head] = ""
		c.head++
		if p, ok := c.m[id]; ok && p.Status.Final() {
			delete(c.m, id)
			if c.head > cacheSize && 2*c.head > len(c.final) {
				c.final, c.head = append(c.final[:0], c.final[c.head:]...), 0
			}
			return
		}
	}
	c.final, c.head = c.final[:0], 0
	for id := range c.m {
		delete(c.m, id)
		return
	}
}

// compact rebuilds final from the entries still cached and final, in its
// order, each once: ids dropped by failed commits, or kept final again
// after one, would otherwise pile up. mu is held.
func (c *paymentCache) compact() {
	seen := make(map[string]bool, len(c.final)-c.head)
	out := c.final[:0]
	for _, id := range c.final[c.head:] {
		if p, ok := c.m[id]; ok && p.Status.Final() && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	clear(c.final[len(out):])
	c.final, c.head = out, 0
}

// attemptCache maps Latipay references to their payment ids for the
// callback's first lookup (AttemptPayment). An attempt never moves to
// another payment (write.go refuses it) and is never deleted, so an entry
// is never wrong and needs no versions: it is kept when a write commits
// the attempt and when a read finds it. The orders that broke the payment
// cache cannot break it: a late caller puts the one value a reference can
// ever have, and nothing is kept for a write that failed (not even a
// failed commit's, which the next read finds in the database or not), so
// a reference once found is found on every later lookup.
//
// It also answers the callback's duplicate check (NotificationTarget)
// without a read when it can. An entry holds the digest of the last
// notification recorded for its reference (kept only once the commit
// recording it has returned, so "seen" is always durable), and it is
// complete when every notification recorded for the reference since the
// attempt was written passed through this process's writer: the write
// that inserted the attempt made the entry, and at most one notification
// has been recorded since (a second makes the entry incomplete, keeping
// the newer digest). For a complete entry a digest it does not hold was
// never recorded; for an incomplete one the duplicate check reads the
// database, as it does for a reference not cached (after a restart, or
// an eviction). The writer stays the authority either way: a write that
// records a notification already recorded writes nothing (write.go), so
// an entry that is wrong or late costs a trip to the writer, never a
// second effect.
//
// Its entries hold no pointers (cacheKey: the text in a fixed array), so
// the garbage collector never scans them. Held as strings, a full cache
// was some 11 MB of the heap in 131,072 small objects, more than the rest
// of a busy instance's live heap (about 9 MB), and every collection marked
// them all: BenchmarkGCWithAttemptCache, a full collection with the cache
// full, took 5.0 ms with strings and 0.54 ms with these keys.
type attemptCache struct {
	mu sync.Mutex
	m  map[cacheKey]refEntry // reference -> payment id and digest; guarded by mu; nil after clear
}

// refEntry is what the cache holds for one reference.
type refEntry struct {
	id       cacheKey
	complete bool     // every notification recorded for the reference is known here (see attemptCache)
	recorded bool     // digest holds the last notification recorded
	digest   [32]byte // sha256, as payments' notification digest (hex there)
}

// cacheKey holds a reference or a payment id of up to len(b) bytes
// (references are 26 or 33 characters, payment ids 30 or 37); longer text
// is not cached, and its lookups go to the database.
type cacheKey struct {
	n uint8
	b [40]byte
}

// toKey makes the key of s; ok is false when s is too long to be one.
func toKey(s string) (k cacheKey, ok bool) {
	if len(s) > len(k.b) {
		return k, false
	}
	k.n = uint8(copy(k.b[:], s))
	return k, true
}

func (k cacheKey) String() string { return string(k.b[:k.n]) }

// toDigest decodes a notification digest (64 hex digits); ok is false for
// anything else, whose duplicate checks go to the database.
func toDigest(s string) (d [32]byte, ok bool) {
	if len(s) != 2*len(d) {
		return d, false
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return d, false
	}
	return d, true
}

// attemptCacheSize bounds the entries: enough for every attempt that can
// still be paid at Latipay's own peak of 1,000 a second for a minute (some
// 12 MB when full, none of it scanned by the collector; nothing when
// idle). Past it an arbitrary entry makes way, and a callback for it reads
// the database instead.
const attemptCacheSize = 65536

func newAttemptCache() *attemptCache {
	return &attemptCache{m: map[cacheKey]refEntry{}} // grows with use
}

func (c *attemptCache) get(reference string) (string, bool) {
	k, ok := toKey(reference)
	if !ok {
		return "", false
	}
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if !ok {
		return "", false
	}
	return e.id.String(), true
}

// target answers a callback's duplicate check from the cache: known is
// false when only the database can tell (no entry, or an incomplete one
// without the digest); otherwise seen says whether the notification is
// recorded, and paymentID is the attempt's payment.
func (c *attemptCache) target(reference, digest string) (paymentID string, seen, known bool) {
	k, ok := toKey(reference)
	d, dok := toDigest(digest)
	if !ok || !dok {
		return "", false, false
	}
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	switch {
	case !ok:
		return "", false, false
	case e.recorded && e.digest == d:
		return e.id.String(), true, true
	case e.complete:
		return e.id.String(), false, true
	}
	return e.id.String(), false, false
}

// put keeps a reference found in the database or written to it (an
// attempt already stored), leaving what the entry knows of its
// notifications.
func (c *attemptCache) put(reference, paymentID string) {
	c.update(reference, paymentID, func(e *refEntry, found bool) {})
}

// created keeps a reference whose attempt a committed write inserted:
// the entry is complete, unless one was there already (a later write's,
// whose caller got there first: it may know less, never more wrongly).
func (c *attemptCache) created(reference, paymentID string) {
	c.update(reference, paymentID, func(e *refEntry, found bool) {
		if !found {
			e.complete = true
		}
	})
}

// recorded keeps the digest of a notification a committed write recorded
// for reference, or that a read or the writer found recorded. A second
// digest makes the entry incomplete: it holds one.
func (c *attemptCache) recorded(reference, paymentID, digest string) {
	d, ok := toDigest(digest)
	if !ok {
		return
	}
	c.update(reference, paymentID, func(e *refEntry, found bool) {
		if e.recorded && e.digest != d {
			e.complete = false
		}
		e.recorded, e.digest = true, d
	})
}

// update applies f to the entry of reference (a new one, holding
// paymentID, when found is false) and keeps it.
func (c *attemptCache) update(reference, paymentID string, f func(e *refEntry, found bool)) {
	k, ok := toKey(reference)
	v, vok := toKey(paymentID)
	if !ok || !vok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		return
	}
	e, found := c.m[k]
	if !found {
		if len(c.m) >= attemptCacheSize {
			for r := range c.m {
				delete(c.m, r)
				break
			}
		}
		e = refEntry{id: v}
	}
	f(&e, found)
	c.m[k] = e
}

// clear empties the cache for good (Close).
func (c *attemptCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// hooks, when set, are called at the points where the order of a read, a
// write and the cache is decided, so that a test can hold one goroutine
// there and run another past it. Only tests set them, on their own DB and
// before the goroutines they affect start; they are nil otherwise.
type hooks struct {
	beforeRead func(id string)          // Payment: after a miss, before the database read
	beforeFill func(p payments.Payment) // Payment: after the database read, before fill
	committed  func(p payments.Payment) // writer goroutine: a write committed; the cache has not learnt it yet
	returned   func(p payments.Payment) // Update: the write succeeded; just before it returns
	// beforeCommit: writer goroutine, a batch of n successful writes
	// that wrote something is about to commit; an error makes the batch fail as a failed commit
	// does (batch.go).
	beforeCommit func(n int) error
}
