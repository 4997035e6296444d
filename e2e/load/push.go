package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// live is what one push measurement found.
type live struct {
	sockets, delivered int
	lat                []time.Duration // callback answered -> paid on the socket
	before, after      mem             // pushing instance, before and after opening the sockets
	half               mem             // ... and after opening the first half
	halfOpen           int             // sockets open at half
	errors             int
	firstErr           string
}

// measureLive opens perPay sockets per payment on the instance push, then
// sends each payment's signed paid callback to the instance pay, and times
// from each callback's answer to "paid" on each of its sockets.
func (h *harness) measureLive(ctx context.Context, pay, push *proc, ids []string, perPay int) (live, error) {
	var out live
	led, err := h.ledger(ctx)
	if err != nil {
		return out, err
	}
	urls := make([]string, len(ids))
	forms := make([]string, len(ids))
	s := drive(ctx, h.conns, 5*time.Minute, func(ctx context.Context, i int) error {
		if i >= len(ids) {
			return errNoWork
		}
		t, ok := led[ids[i]]
		if !ok {
			return fmt.Errorf("payment %s has no pending Latipay transaction", ids[i])
		}
		forms[i] = h.paidForm(t)
		u, err := h.socketURL(ctx, push.url, ids[i])
		urls[i] = u
		return err
	})
	if s.Errors > 0 {
		return out, fmt.Errorf("pages: %d errors, first: %s", s.Errors, s.FirstErr)
	}
	out.before = push.mem()
	// Socket i is on payment i/perPay; the helper processes open them
	// (sockets.go).
	sockURLs := make([]string, len(ids)*perPay)
	for i := range sockURLs {
		sockURLs[i] = urls[i/perPay]
	}
	// In two halves, with the memory read after each: the second half's
	// growth is the cost of a socket once the heap the instance freed
	// before (start-up work, page renders) is used up.
	half := len(sockURLs) / 2
	helpers, open, dialErrs, firstErr, err := h.openSockets(ctx, sockURLs[:half], 0, 0)
	defer func() { stopSockets(helpers) }()
	if err != nil {
		return out, err
	}
	out.half, out.halfOpen = push.mem(), open
	more, open2, dialErrs2, firstErr2, err := h.openSockets(ctx, sockURLs[half:], len(helpers), half)
	helpers = append(helpers, more...)
	if err != nil {
		return out, err
	}
	out.sockets = open + open2
	if dialErrs+dialErrs2 > 0 {
		out.errors, out.firstErr = dialErrs+dialErrs2, firstErr+firstErr2
	}
	out.after = push.mem()
	answered := make([]int64, len(ids))
	s = drive(ctx, h.conns, 5*time.Minute, func(ctx context.Context, i int) error {
		if i >= len(ids) {
			return errNoWork
		}
		if err := h.postCallback(ctx, pay.url, forms[i]); err != nil {
			return err
		}
		answered[i] = time.Now().UnixNano()
		return nil
	})
	out.errors += s.Errors
	if out.firstErr == "" {
		out.firstErr = s.FirstErr
	}
	// The harness waits at most 30 s for stragglers.
	paid := make([]int64, len(sockURLs))
	collectPaid(helpers, paid, out.sockets, time.Now().Add(30*time.Second))
	for i, at := range paid {
		if at == 0 || answered[i/perPay] == 0 {
			continue
		}
		out.delivered++
		out.lat = append(out.lat, time.Duration(max(0, at-answered[i/perPay])))
	}
	return out, nil
}

// push: sockets open on one instance, each gets its paid.
func (h *harness) push(ctx context.Context) (row, error) {
	n := (h.sockets + h.perPay - 1) / h.perPay
	ids, err := h.prepare(ctx, h.app.url, n, true)
	if err != nil {
		return row{}, err
	}
	// The sockets go to a fresh instance on the same database, so that
	// the memory per socket is not measured against a heap full of the
	// earlier scenarios' garbage. (One process per SQLite file: the
	// first instance stops first.)
	h.app.stop()
	fresh, _, _, err := h.startApp(ctx, "push", h.appDB, nil)
	if err != nil {
		return row{}, err
	}
	defer fresh.stop()
	h.app = fresh
	l, err := h.measureLive(ctx, fresh, fresh, ids, h.perPay)
	if err != nil {
		return row{}, err
	}
	return liveRow(l), nil
}

func liveRow(l live) row {
	r := row{P50ms: ms(pct(l.lat, 50)), P99ms: ms(pct(l.lat, 99)), N: l.delivered, Errors: l.errors, FirstError: l.firstErr,
		RSSMB: mb(l.after.RSS), HWMMB: mb(l.after.HWM), Extra: map[string]float64{
			"sockets": float64(l.sockets), "delivered": float64(l.delivered), "rss_before_mb": mb(l.before.RSS)}}
	if l.sockets > 0 {
		r.Extra["kb_per_socket"] = float64(l.after.RSS-l.before.RSS) / 1024 / float64(l.sockets)
	}
	if n := l.sockets - l.halfOpen; n > 0 {
		r.Extra["kb_per_socket_second_half"] = float64(l.after.RSS-l.half.RSS) / 1024 / float64(n)
	}
	return r
}

// postgres: two instances on one PostgreSQL database; the callback goes to
// A and the sockets are on B. Needs HPP_TEST_POSTGRES (source .ci/postgres).
func (h *harness) postgres(ctx context.Context) (row, error) {
	admin := os.Getenv("HPP_TEST_POSTGRES")
	if admin == "" {
		return row{Skipped: "no PostgreSQL (set HPP_TEST_POSTGRES, e.g. `source .ci/postgres`)"}, nil
	}
	dbURL, drop, err := createDatabase(ctx, admin, "")
	if err != nil {
		return row{}, err
	}
	defer drop()
	a, _, _, err := h.startApp(ctx, "pg-a", dbURL, nil)
	if err != nil {
		return row{}, err
	}
	defer a.stop()
	b, _, _, err := h.startApp(ctx, "pg-b", dbURL, nil)
	if err != nil {
		return row{}, err
	}
	defer b.stop()
	n := 500
	ids, err := h.prepare(ctx, a.url, n, true)
	if err != nil {
		return row{}, err
	}
	l, err := h.measureLive(ctx, a, b, ids, 1)
	if err != nil {
		return row{}, err
	}
	return liveRow(l), nil
}
