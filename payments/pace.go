package payments

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrQueryPaced is a Latipay query not sent because this instance had
// already sent its share of queries for now (Options.QueryRate). The
// caller treats it as Latipay not answering: the stored state stands and
// the reconciler asks on its schedule.
var ErrQueryPaced = fmt.Errorf("%w: the instance's Latipay queries a second are spent for now", ErrGatewayUnavailable)

// shopperWait is how long a query asked for by a shopper's request (a
// return from Latipay, a wallet switched, a QR refreshed) may wait for
// its turn; past that it is not sent (ErrQueryPaced).
const shopperWait = time.Second

// recentAnswer is how long a return's query of an attempt is shared by
// the other returns for that attempt: those arriving while it runs wait
// for it, and those arriving up to this long after it ended read the
// payment it left instead of asking Latipay again.
const recentAnswer = 5 * time.Second

// shopperKey marks a context whose Latipay queries a shopper's request
// asked for (shopperAsks).
type shopperKey struct{}

// shopperAsks marks ctx as a shopper's request: its queries take at most
// the shopper's share of the pace and wait at most shopperWait.
func shopperAsks(ctx context.Context) context.Context {
	return context.WithValue(ctx, shopperKey{}, true)
}

// queryPace is the one place that owns how many Latipay queries this
// instance sends a second (Options.QueryRate, HPP_RECONCILE_RATE): every
// query the service makes goes through pacedGateway, which takes its
// turn here. Turns are spaced evenly, 1/rate apart, whoever asks (the
// reconciler, a return, a start asking about the attempt it replaces, a
// cancel, a refund, the back office). A shopper's request (shopperAsks)
// gets at most half the rate, so that requests from the internet cannot
// hold reconciliation up, and waits at most shopperWait for its turn;
// every other caller waits as long as its context allows, and takes no
// turn it could not wait for. Turns use the real clock, never the
// service's, which tests move.
type queryPace struct {
	every time.Duration // 1/rate

	mu       sync.Mutex
	next     time.Time // the earliest time of the next turn
	nextShop time.Time // the earliest time of the next shopper's turn
}

func newQueryPace(perSecond int) *queryPace {
	if perSecond <= 0 {
		perSecond = DefaultReconcileRate
	}
	return &queryPace{every: time.Second / time.Duration(perSecond)}
}

// wait takes a turn and sleeps until it comes. It returns ErrQueryPaced
// without taking one when the turn would come later than the caller can
// wait, and ctx's error when ctx ends while it sleeps.
func (q *queryPace) wait(ctx context.Context) error {
	now := time.Now()
	shopper, _ := ctx.Value(shopperKey{}).(bool)
	limit := time.Duration(-1) // no bound but ctx's
	if dl, ok := ctx.Deadline(); ok {
		limit = dl.Sub(now) / 2 // the other half for Latipay's answer
	}
	if shopper && (limit < 0 || limit > shopperWait) {
		limit = shopperWait
	}
	q.mu.Lock()
	at := later(q.next, now)
	if shopper {
		at = later(at, q.nextShop)
	}
	if limit >= 0 && at.Sub(now) > limit {
		q.mu.Unlock()
		return ErrQueryPaced
	}
	q.next = at.Add(q.every)
	if shopper {
		q.nextShop = at.Add(2 * q.every)
	}
	q.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return ctx.Err()
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// pacedGateway sends every Query through the service's queryPace.
type pacedGateway struct {
	Gateway
	pace *queryPace
}

func (g pacedGateway) Query(ctx context.Context, reference string) (GatewayResult, error) {
	if err := g.pace.wait(ctx); err != nil {
		if errors.Is(err, ErrQueryPaced) {
			return GatewayResult{}, err
		}
		return GatewayResult{}, fmt.Errorf("%w: %w", ErrGatewayUnavailable, err)
	}
	return g.Gateway.Query(ctx, reference)
}

// askGroup lets the returns for one attempt share one Latipay query
// (HandleReturn): the first to come asks, the others wait for it, and
// for recentAnswer after it ended they ask nothing.
type askGroup struct {
	mu   sync.Mutex
	asks map[string]*ask // by attempt reference
}

type ask struct {
	done  chan struct{} // closed once the query's answer is recorded
	ended time.Time     // the service's time then; guarded by askGroup.mu
}

// join returns the ask for reference and whether the caller leads it
// (asks Latipay, then calls finish). now is the service's time, so that
// an answer's age follows the service's clock.
func (g *askGroup) join(reference string, now time.Time) (*ask, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if a, ok := g.asks[reference]; ok && (a.ended.IsZero() || now.Sub(a.ended) < recentAnswer) {
		return a, false
	}
	if g.asks == nil {
		g.asks = map[string]*ask{}
	}
	a := &ask{done: make(chan struct{})}
	g.asks[reference] = a
	return a, true
}

// finish ends the lead's ask at now: its followers go on, and the entry
// is forgotten recentAnswer later.
func (g *askGroup) finish(reference string, a *ask, now time.Time) {
	g.mu.Lock()
	a.ended = now
	g.mu.Unlock()
	close(a.done)
	time.AfterFunc(recentAnswer, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.asks[reference] == a {
			delete(g.asks, reference)
		}
	})
}
