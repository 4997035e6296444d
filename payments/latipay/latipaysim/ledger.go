package latipaysim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// The ledger is where the transactions are: in memory (memLedger), or,
// with Options.Journal, in the journal (journalLedger, journal.go), which
// several simulators may share. Every operation reads a copy of the
// transaction it needs (load) and changes one only through change, an
// atomic read-modify-write of that one transaction; nothing is cached
// between calls, so a simulator sharing the journal sees at once what
// another did.
type ledger interface {
	// get returns a copy of the transaction whose merchant reference,
	// order id or nonce (by) is value, or nil when there is none.
	get(ctx context.Context, by lookup, value string) (*txn, error)
	// add stores t, a new transaction. errRefUsed means its merchant
	// reference is taken, errIDUsed its order id or nonce.
	add(ctx context.Context, t *txn) error
	// update runs fn on a copy of the transaction with merchant reference
	// ref and stores the copy when fn reports a change, all while no
	// other update of it can run. It returns the copy (nil when there is
	// no such transaction), and fn's error with nothing stored.
	update(ctx context.Context, ref string, fn func(t *txn) (bool, error)) (*txn, error)
	// all returns copies of every transaction.
	all(ctx context.Context) ([]*txn, error)
}

// lookup is a field a transaction is found by.
type lookup int

const (
	byRef lookup = iota
	byOrder
	byNonce
)

// String is the journal's name for the field (Journal.SandboxEntry).
func (l lookup) String() string {
	return [...]string{"key", "order_id", "nonce"}[l]
}

var (
	errRefUsed = errors.New("latipaysim: merchant_reference already used")
	errIDUsed  = errors.New("latipaysim: order id or nonce already used")
)

// memLedger is the ledger in memory.
type memLedger struct {
	mu      sync.Mutex
	list    []*txn // in the order they were added
	byRef   map[string]*txn
	byOrder map[string]*txn
	byNonce map[string]*txn
}

func newMemLedger() *memLedger {
	return &memLedger{byRef: map[string]*txn{}, byOrder: map[string]*txn{}, byNonce: map[string]*txn{}}
}

func (l *memLedger) index(by lookup) map[string]*txn {
	return [...]map[string]*txn{l.byRef, l.byOrder, l.byNonce}[by]
}

func (l *memLedger) get(_ context.Context, by lookup, value string) (*txn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t := l.index(by)[value]; t != nil {
		return t.clone(), nil
	}
	return nil, nil
}

func (l *memLedger) add(_ context.Context, t *txn) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.byRef[t.MerchantReference] != nil:
		return errRefUsed
	case l.byOrder[t.OrderID] != nil || l.byNonce[t.nonce] != nil:
		return errIDUsed
	}
	c := t.clone()
	l.byRef[c.MerchantReference], l.byOrder[c.OrderID], l.byNonce[c.nonce] = c, c, c
	l.list = append(l.list, c)
	return nil
}

func (l *memLedger) update(_ context.Context, ref string, fn func(t *txn) (bool, error)) (*txn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.byRef[ref]
	if t == nil {
		return nil, nil
	}
	c := t.clone()
	changed, err := fn(c)
	if err != nil {
		return nil, err
	}
	if changed {
		*t = *c.clone() // the indexes keep pointing at t
	}
	return c, nil
}

func (l *memLedger) all(context.Context) ([]*txn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*txn, len(l.list))
	for i, t := range l.list {
		out[i] = t.clone()
	}
	return out, nil
}

// load returns a copy of the transaction found by value, or nil; a
// barcode transaction whose outcome is due is settled first (settleDue).
func (s *Simulator) load(ctx context.Context, by lookup, value string) (*txn, error) {
	t, err := s.ledger.get(ctx, by, value)
	if err != nil || t == nil || !s.due(t) {
		return t, err
	}
	return s.change(ctx, t.MerchantReference, func(*txn) (bool, error) { return false, nil })
}

// change is ledger.update with the transaction's due barcode outcome
// settled first, and blocked queries of it woken when its status changed.
// fn runs while the transaction is locked: it must not call the ledger.
func (s *Simulator) change(ctx context.Context, ref string, fn func(t *txn) (bool, error)) (*txn, error) {
	var before string
	t, err := s.ledger.update(ctx, ref, func(t *txn) (bool, error) {
		before = t.Status
		settled := s.settleDue(t)
		changed, err := fn(t)
		return settled || changed, err
	})
	if t != nil && t.Status != before {
		s.wake(ref)
	}
	return t, err
}

// ledgerAll returns every transaction, due barcode outcomes settled.
func (s *Simulator) ledgerAll(ctx context.Context) ([]*txn, error) {
	ts, err := s.ledger.all(ctx)
	if err != nil {
		return nil, err
	}
	for i, t := range ts {
		if s.due(t) {
			if ts[i], err = s.load(ctx, byRef, t.MerchantReference); err != nil {
				return nil, err
			}
		}
	}
	return ts, nil
}

// add gives t its nonce, order id and creation time, lets prepare finish
// it, and stores it. It returns errRefUsed when the merchant reference is
// taken; an order id or nonce another simulator sharing the journal took
// first is replaced by a fresh one.
func (s *Simulator) add(ctx context.Context, t *txn, prepare func(t *txn, now time.Time) error) error {
	if old, err := s.ledger.get(ctx, byRef, t.MerchantReference); err != nil {
		return err
	} else if old != nil {
		return errRefUsed
	}
	for range 5 {
		s.mu.Lock()
		now := s.now()
		nonce, err := s.newNonce()
		if err == nil {
			t.nonce, t.CreatedAt, t.OrderID = nonce, now, s.newOrderID(now)
			err = prepare(t, now)
		}
		s.mu.Unlock()
		if err != nil {
			return err
		}
		if err = s.ledger.add(ctx, t); !errors.Is(err, errIDUsed) {
			return err
		}
	}
	return errIDUsed
}

// ledgerFailed answers a request the ledger could not serve (the journal
// could not be read or written) with HTTP 500, as a Latipay that cannot
// reach its own database would, and logs why.
func (s *Simulator) ledgerFailed(w http.ResponseWriter, err error) {
	s.log.Error("latipaysim: ledger", "err", err)
	http.Error(w, "The simulated Latipay could not read or write its ledger; try again.", http.StatusInternalServerError)
}

// Waiting for a change. A blocked query (is_block=1) waits on its
// transaction's channel, closed by wake when this simulator changes the
// transaction's status; with a journal it also reads the transaction
// again every pollInterval, as another simulator may have changed it.
const pollInterval = 500 * time.Millisecond

// waiter is the channel of the blocked queries of one transaction.
type waiter struct {
	ch chan struct{}
	n  int // queries watching ch
}

// watch returns a channel closed at the next status change of ref made
// here; unwatch it when done.
func (s *Simulator) watch(ref string) *waiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.waiters[ref]
	if w == nil {
		w = &waiter{ch: make(chan struct{})}
		s.waiters[ref] = w
	}
	w.n++
	return w
}

// unwatch forgets a watch; the last one forgets the channel.
func (s *Simulator) unwatch(ref string, w *waiter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.n--; w.n == 0 && s.waiters[ref] == w {
		delete(s.waiters, ref)
	}
}

// wake wakes the blocked queries of ref.
func (s *Simulator) wake(ref string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.waiters[ref]; w != nil {
		close(w.ch)
		delete(s.waiters, ref)
	}
}

// errLedger wraps a journal failure.
func errLedger(op string, err error) error {
	return fmt.Errorf("latipaysim: %s: %w", op, err)
}
