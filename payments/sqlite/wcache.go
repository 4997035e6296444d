package sqlite

import (
	"sync"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// The writer's cache: what Update reads before it calls its function (the
// payment, the number of its last event and its attempts), kept from the
// writes and reads the writer goroutine itself made, so that the next
// write of the same payment (a start and then its callback, a callback and
// then the webhook's or the reconciler's change) skips the two reads. In
// handlers.BenchmarkCallback those reads were about a seventh of the
// process's CPU (the payment's row with 24 columns through database/sql,
// the attempts through their index).
//
// It can be exact, not merely recent, because every write to the file
// comes from this process (lock_unix.go) and nearly all of them from the
// writer goroutine (batch.go), which alone reads and fills this cache:
//
//   - A write's new state is staged when its function succeeded, and
//     seen by the later writes of the same batch (they run in the same
//     transaction, after it). A batch that rolls back to undo one failed
//     write replays the writes before it, so their staged states stay
//     true; the failed write staged nothing.
//   - Staged states become the cache when the commit returned. A commit
//     that failed (the file may or may not hold the batch) empties the
//     cache: the next write of each payment reads the file.
//   - The few writes to payments or attempts outside the writer goroutine
//     (ClaimDueAttempts moves attempts' next checks; CreatePayments
//     seeds) run between outsideWrite and its release: meanwhile nothing
//     is answered or kept, and the release forgets the payments they
//     changed (all of them if that is not known).
//   - Attempts are kept in the order the file gives them (created_at,
//     then rowid): an attempt inserted after the others with a creation
//     time not before theirs goes last; any other shape (an attempt whose
//     creation time changed, or one created earlier than the last) is not
//     kept, and the next write reads.
//
// Times are kept as the file returns them (UTC, nanoseconds); columns an
// update leaves alone (an attempt's client, kind and pay code hash) keep
// their stored values.
type writerCache struct {
	mu      sync.Mutex
	m       map[string]wentry // guarded by mu; committed states
	pending map[string]wentry // guarded by mu; the current batch's staged states
	outside int               // guarded by mu; writes outside the writer goroutine in progress
}

// wentry is one payment as Update loads it.
type wentry struct {
	p       payments.Payment
	lastSeq int64
	as      []payments.Attempt // shared: never changed in place
	gone    bool               // staged only: the batch wrote what is not kept; forget the payment
}

// writerCacheSize bounds the entries: some 640 bytes each with an
// attempt (measured with runtime.MemStats), so about 21 MB when full and
// nothing when idle. Enough for the payments started in the half minute
// or so before their callbacks at 1,000 starts a second. Past it an
// arbitrary entry makes way, and the next write of it reads the file.
// CreatePayment keeps nothing: a payment's next write, its start, reads
// it once, and a shop that only creates payments (the load harness's
// memory scenario) does not fill the cache.
const writerCacheSize = 32768

func newWriterCache() *writerCache {
	return &writerCache{m: map[string]wentry{}, pending: map[string]wentry{}}
}

// get returns the payment's state for a write of the current batch.
// Writer goroutine only.
func (c *writerCache) get(id string) (wentry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.outside > 0 {
		return wentry{}, false
	}
	if e, ok := c.pending[id]; ok {
		return e, !e.gone
	}
	e, ok := c.m[id]
	return e, ok
}

// stage records the state a successful write of the current batch left
// (or read). Writer goroutine only. During an outside write it keeps
// nothing and forgets the payment instead: the batch's outcome is not
// merged then.
func (c *writerCache) stage(id string, e wentry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.outside == 0 {
		c.pending[id] = e
	} else {
		delete(c.m, id)
	}
}

// forget stages the payment's removal: the batch wrote a state of it
// that is not kept. Writer goroutine only.
func (c *writerCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.outside == 0 {
		c.pending[id] = wentry{gone: true}
	} else {
		delete(c.m, id)
	}
}

// committed keeps the staged states once the batch's commit returned.
// Writer goroutine only.
func (c *writerCache) committed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.outside == 0 {
		for id, e := range c.pending {
			if e.gone {
				delete(c.m, id)
				continue
			}
			if _, ok := c.m[id]; !ok && len(c.m) >= writerCacheSize {
				for old := range c.m {
					delete(c.m, old)
					break
				}
			}
			c.m[id] = e
		}
	}
	clear(c.pending)
}

// failed forgets everything: the batch's commit failed, or it ended
// without one.
func (c *writerCache) failed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.pending)
	clear(c.m)
}

// dropPending forgets the current batch's staged states (a batch that
// committed nothing). Writer goroutine only.
func (c *writerCache) dropPending() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.pending)
}

// outsideWrite marks a write to payments or attempts that does not go
// through the writer goroutine; call the returned func once it has ended,
// with the payments it changed, or unknown when it cannot tell (it
// failed: a failed commit may or may not have written). Meanwhile nothing
// is answered, the states the current batch staged are dropped with the
// entries they would have replaced, and later writes forget their
// payments instead of staging them. Only the payments it changed are
// forgotten after it (the reconciler claims due attempts every few
// seconds; emptying the whole cache each time would keep it cold).
func (c *writerCache) outsideWrite() (done func(changed []string, unknown bool)) {
	c.mu.Lock()
	c.outside++
	for id := range c.pending {
		delete(c.m, id)
	}
	clear(c.pending)
	c.mu.Unlock()
	return func(changed []string, unknown bool) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.outside--
		if unknown {
			clear(c.m)
			return
		}
		for _, id := range changed {
			delete(c.m, id)
		}
	}
}

// stored returns t as the file returns a time column: UTC, nanoseconds,
// the zero time for NULL.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.Unix(0, t.UnixNano()).UTC()
}

// attemptsAfter returns the payment's attempts as the file holds them
// once write stored dirty over as (the attempts as loaded), or false when
// it cannot tell their order without reading. id is the payment's.
func attemptsAfter(id string, as, dirty []payments.Attempt) ([]payments.Attempt, bool) {
	if len(dirty) == 0 {
		return as, true // nil when there are none, as a read gives
	}
	out := make([]payments.Attempt, len(as), len(as)+len(dirty))
	copy(out, as)
	for _, a := range dirty {
		a.PaymentID = id
		a.CreatedAt, a.NextCheckAt = stored(a.CreatedAt), stored(a.NextCheckAt)
		i := -1
		for k := range out {
			if out[k].Reference == a.Reference {
				i = k
				break
			}
		}
		switch {
		case i >= 0 && out[i].CreatedAt.Equal(a.CreatedAt):
			// updateAttemptState leaves these columns as stored.
			a.Client, a.Kind, a.PayCodeHash = out[i].Client, out[i].Kind, out[i].PayCodeHash
			out[i] = a
		case i >= 0:
			return nil, false // the creation time changed: its place may have
		case len(out) == 0 || !a.CreatedAt.Before(out[len(out)-1].CreatedAt):
			out = append(out, a) // the newest rowid, not created before the others
		default:
			return nil, false
		}
	}
	return out, true
}
