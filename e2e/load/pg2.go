package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// pg2: two instances on one PostgreSQL database.
//
//   - "pg2 callback": distinct signed paid callbacks sent to A and B in
//     turn, closed loop, each answered "sent" (verified, durable). Then
//     every answered callback is sent again to the other instance, as
//     Latipay repeats a notification, and the harness counts in the
//     database the transitions to paid of those payments: exactly one
//     each (transitions == paid == answered, extra_transitions 0).
//   - "pg2 push": the cross-instance push, as the postgres row measures it
//     (callback on A, 500 sockets on B), on the same two instances.
//
// The database is a fresh one on the server at HPP_TEST_POSTGRES with the
// server's settings, synchronous_commit on (the default: a commit returns
// once its WAL is flushed, so "sent" is durable).
func (h *harness) pg2(ctx context.Context, stderr io.Writer) ([]row, error) {
	admin := os.Getenv("HPP_TEST_POSTGRES")
	if admin == "" {
		why := "no PostgreSQL (set HPP_TEST_POSTGRES, e.g. `source .ci/postgres`)"
		return []row{{Scenario: "pg2 callback", Skipped: why}, {Scenario: "pg2 push", Skipped: why}}, nil
	}
	dbURL, drop, err := createDatabase(ctx, admin, "")
	if err != nil {
		return nil, err
	}
	defer drop()
	appURL := dbURL
	if v := os.Getenv("HPP_LOAD_PG_POOL"); v != "" { // for comparing pool sizes: pgx's pool_max_conns
		sep := "?"
		if strings.Contains(appURL, "?") {
			sep = "&"
		}
		appURL += sep + "pool_max_conns=" + v
	}
	a, _, _, err := h.startApp(ctx, "pg2-a", appURL, nil)
	if err != nil {
		return nil, err
	}
	defer a.stop()
	b, _, _, err := h.startApp(ctx, "pg2-b", appURL, nil)
	if err != nil {
		return nil, err
	}
	defer b.stop()
	saved := h.app
	defer func() { h.app = saved }()
	h.app = a

	// Started payments, half through each instance (untimed).
	n := h.pg2Callbacks
	fmt.Fprintf(stderr, "load:   pg2: preparing %d started payments\n", n)
	idsA, err := h.prepare(ctx, a.url, n/2, true)
	if err != nil {
		return nil, err
	}
	idsB, err := h.prepare(ctx, b.url, n-n/2, true)
	if err != nil {
		return nil, err
	}
	led, err := h.ledger(ctx)
	if err != nil {
		return nil, err
	}
	var ids, forms []string
	for _, id := range append(idsA, idsB...) {
		if t, ok := led[id]; ok {
			ids, forms = append(ids, id), append(forms, h.paidForm(t))
		}
	}
	inst := [2]*proc{a, b}
	answered := make([]bool, len(forms))
	m := meterCPU(map[string]*proc{"app-a": a, "app-b": b, "simulator": h.sim})
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, err
	}
	pm, err := meterPG(ctx, admin, strings.TrimPrefix(u.Path, "/"))
	if err != nil {
		return nil, err
	}
	s := drive(ctx, h.conns, h.duration, func(ctx context.Context, i int) error {
		if i >= len(forms) {
			return errNoWork
		}
		if err := h.postCallback(ctx, inst[i%2].url, forms[i]); err != nil {
			return err
		}
		answered[i] = true
		return nil
	})
	cb := fromSample("pg2 callback", s)
	m.perOp(&cb, s.N)
	fmt.Fprintf(stderr, "load:   pg2: PostgreSQL server: %s\n", pm.finish(ctx, &cb, s.N))
	cb.RSSMB, cb.HWMMB = mb(a.mem().RSS), mb(a.mem().HWM)
	if len(forms) <= s.N+s.Errors {
		cb.FirstError = fmt.Sprintf("(ran out of the %d started payments: give more with -pg2-callbacks) %s", len(forms), cb.FirstError)
	}
	// Latipay's repeat, to the other instance: no second transition.
	var paidIDs []string
	for i, ok := range answered {
		if ok {
			paidIDs = append(paidIDs, ids[i])
		}
	}
	var repeats atomic.Int64
	rs := drive(ctx, h.conns, 5*time.Minute, func(ctx context.Context, i int) error {
		if i >= len(forms) {
			return errNoWork
		}
		if !answered[i] {
			return nil
		}
		if err := h.postCallback(ctx, inst[(i+1)%2].url, forms[i]); err != nil {
			return err
		}
		repeats.Add(1)
		return nil
	})
	cb.Errors += rs.Errors
	if cb.FirstError == "" && rs.FirstErr != "" {
		cb.FirstError = "repeat: " + rs.FirstErr
	}
	transitions, paid, err := paidTransitions(ctx, dbURL, paidIDs)
	if err != nil {
		return nil, err
	}
	cb.Extra["transitions"], cb.Extra["paid"] = float64(transitions), float64(paid)
	cb.Extra["extra_transitions"] = float64(transitions - paid)
	cb.Extra["repeats"] = float64(repeats.Load())

	// The cross-instance push on the same instances.
	pids, err := h.prepare(ctx, a.url, 500, true)
	if err != nil {
		return nil, err
	}
	l, err := h.measureLive(ctx, a, b, pids, 1)
	if err != nil {
		return nil, err
	}
	push := liveRow(l)
	push.Scenario = "pg2 push"
	return []row{cb, push}, nil
}

// paidTransitions counts, among the payments ids, the events that moved
// one to paid and the payments that have one.
func paidTransitions(ctx context.Context, dbURL string, ids []string) (transitions, paid int, err error) {
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, 0, fmt.Errorf("postgres: %w", err)
	}
	defer c.Close(ctx)
	err = c.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT payment_id) FROM events
		WHERE to_status = 'paid' AND payment_id = ANY($1)`, ids).Scan(&transitions, &paid)
	if err != nil {
		return 0, 0, fmt.Errorf("count transitions: %w", err)
	}
	return transitions, paid, nil
}
