// Package hub fans payment updates out to the subscribers of each payment
// inside one process. It knows nothing about websockets; the cross-instance
// broker feeds it too.
//
// A shop-wide subscription (SubscribeAll) also has a Stale channel: CatchUp
// signals it to say "you may have missed changes: read what you need from
// the store again". The broker on PostgreSQL calls CatchUp after each of
// its resyncs, for changes whose doorbell another instance never rang: it
// re-reads and publishes those of the payments watched by id, but cannot
// name the payments a shop-wide subscriber follows. A signal is a hint,
// not an update: it carries nothing, never blocks, and signals that
// arrive before the subscriber reads coalesce into one. A per-payment
// subscription's Stale is nil: the broker re-reads and publishes its
// payment itself.
//
// It imports payments only, for the event type. run creates one Hub; the
// service publishes to it after a commit, handlers/ws.go subscribes.
package hub

import (
	"context"
	"sync"

	"github.com/latipay-hpp/hpp/payments"
)

// buffer is each subscription's queue. A subscriber that falls this far
// behind is dropped rather than allowed to block the publisher.
const buffer = 16

// allBuffer is a shop-wide subscription's queue: it hears every payment,
// so a busy minute must not drop it.
const allBuffer = 256

// Hub is a mutex-guarded map from payment id to subscriptions.
type Hub struct {
	mu     sync.Mutex
	subs   map[string]map[*Subscription]struct{} // guarded by mu
	all    map[*Subscription]struct{}            // shop-wide subscriptions; guarded by mu
	closed bool                                  // guarded by mu
	once   sync.Once
	active sync.WaitGroup // one per subscription not yet canceled
}

// Subscription receives the updates of one payment on C. C is closed when
// the subscription ends: by Cancel, by Hub.Close, or because it was slow.
// Stale, for a shop-wide subscription only (nil otherwise, so a select on
// it never fires), receives when Hub.CatchUp asks the subscriber to catch
// up from the store; it is never closed.
type Subscription struct {
	C         <-chan payments.Update
	c         chan payments.Update
	Stale     <-chan struct{}
	stale     chan struct{} // buffer 1: signals coalesce
	paymentID string        // "" for a shop-wide subscription
	all       bool          // shop-wide: every payment's updates
	hub       *Hub
	once      sync.Once // closes c
	canceled  sync.Once // counts the subscription out of hub.active
	counted   bool      // it was counted in hub.active (not made after Close)
}

var _ payments.Publisher = (*Hub)(nil)

// New returns an empty hub.
func New() *Hub {
	return &Hub{subs: map[string]map[*Subscription]struct{}{}, all: map[*Subscription]struct{}{}}
}

// Subscribe registers interest in one payment. After Close it returns a
// subscription whose channel is already closed.
func (h *Hub) Subscribe(paymentID string) *Subscription {
	c := make(chan payments.Update, buffer)
	s := &Subscription{C: c, c: c, paymentID: paymentID, hub: h}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(c)
		s.once.Do(func() {})
		return s
	}
	h.active.Add(1)
	s.counted = true
	if h.subs[paymentID] == nil {
		h.subs[paymentID] = map[*Subscription]struct{}{}
	}
	h.subs[paymentID][s] = struct{}{}
	return s
}

// SubscribeAll registers interest in every payment of the shop: the back
// office's live feed, or any other page that follows the whole shop. It
// receives the same updates as the payments' own subscribers, under the
// same rules (a full buffer drops it), and its Stale channel hears
// CatchUp. After Close its channel is already closed.
func (h *Hub) SubscribeAll() *Subscription {
	c := make(chan payments.Update, allBuffer)
	stale := make(chan struct{}, 1)
	s := &Subscription{C: c, c: c, Stale: stale, stale: stale, all: true, hub: h}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(c)
		s.once.Do(func() {})
		return s
	}
	h.active.Add(1)
	s.counted = true
	h.all[s] = struct{}{}
	return s
}

// WatchingAll reports whether anyone follows every payment, so a broker
// passes on every change and not only those of watched payments.
func (h *Hub) WatchingAll() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.all) > 0
}

// Watching reports whether id has subscribers: one map lookup, for a
// broker that asks on every change another instance made (Watched copies
// every id, which at thousands of sockets and thousands of changes a
// second is most of the broker's work).
func (h *Hub) Watching(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[id]) > 0
}

// Cancel ends the subscription. It is safe to call more than once.
func (s *Subscription) Cancel() {
	s.hub.mu.Lock()
	s.hub.removeLocked(s)
	s.hub.mu.Unlock()
	s.canceled.Do(func() {
		if s.counted {
			s.hub.active.Done()
		}
	})
}

// removeLocked drops s and closes its channel once. Expects h.mu held.
func (h *Hub) removeLocked(s *Subscription) {
	if s.all {
		delete(h.all, s)
	} else if m := h.subs[s.paymentID]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(h.subs, s.paymentID)
		}
	}
	s.once.Do(func() { close(s.c) })
}

// Publish delivers u to every subscriber of its payment, and to every
// shop-wide subscriber, without blocking.
func (h *Hub) Publish(u payments.Update) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range []map[*Subscription]struct{}{h.subs[u.PaymentID], h.all} {
		for s := range set {
			select {
			case s.c <- u:
			default:
				h.removeLocked(s) // too slow: it will reconnect and get a snapshot
			}
		}
	}
}

// CatchUp tells every current shop-wide subscription that it may have
// missed changes (doorbells lost between instances) and should read what
// it shows from the store again. It never blocks: a subscription already
// signaled and not yet caught up keeps its one pending signal.
// Per-payment subscriptions are not told.
func (h *Hub) CatchUp() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.all {
		select {
		case s.stale <- struct{}{}:
		default: // one is pending already
		}
	}
}

// Watched returns the ids of payments that have subscribers, so a broker
// can re-read them after losing notifications.
func (h *Hub) Watched() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]string, 0, len(h.subs))
	for id := range h.subs {
		ids = append(ids, id)
	}
	return ids
}

// Count returns the number of live subscriptions.
func (h *Hub) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.all)
	for _, m := range h.subs {
		n += len(m)
	}
	return n
}

// Wait blocks until every subscription made before Close has been
// canceled by its holder (so each socket has said goodbye), or ctx ends.
// Call it after Close.
func (h *Hub) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		h.active.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close ends every subscription. Later Subscribe calls get closed channels.
func (h *Hub) Close() {
	h.once.Do(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.closed = true
		for _, m := range h.subs {
			for s := range m {
				h.removeLocked(s)
			}
		}
		for s := range h.all {
			h.removeLocked(s)
		}
	})
}
