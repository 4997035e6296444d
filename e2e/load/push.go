package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"
)

// live is what one push measurement found.
type live struct {
	sockets, delivered int
	lat                []time.Duration // callback answered -> paid on the socket
	before, after      mem             // pushing instance, before and after opening the sockets
	errors             int
	firstErr           string
}

// socket is one open shopper socket and when it saw "paid".
type socket struct {
	conn *websocket.Conn
	pay  int // index of its payment
	paid atomic.Int64
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
	socks := make([]*socket, len(ids)*perPay)
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 512, WriteBufferSize: 512}
	s = drive(ctx, h.conns, 5*time.Minute, func(ctx context.Context, i int) error {
		if i >= len(socks) {
			return errNoWork
		}
		conn, resp, err := d.DialContext(ctx, urls[i/perPay], nil)
		if err != nil {
			if resp != nil {
				return fmt.Errorf("dial: HTTP %d: %w", resp.StatusCode, err)
			}
			return fmt.Errorf("dial: %w", err)
		}
		// The first message is the current state; it must not be paid yet.
		var m struct{ Status string }
		if err := conn.ReadJSON(&m); err != nil || m.Status == "paid" {
			conn.Close()
			return fmt.Errorf("first message %q: %v", m.Status, err)
		}
		socks[i] = &socket{conn: conn, pay: i / perPay}
		return nil
	})
	var wg sync.WaitGroup
	var got atomic.Int64
	for _, sk := range socks {
		if sk == nil {
			continue
		}
		out.sockets++
		wg.Go(func() {
			for {
				var m struct{ Status string }
				if err := sk.conn.ReadJSON(&m); err != nil {
					return
				}
				if m.Status == "paid" {
					sk.paid.Store(time.Now().UnixNano())
					got.Add(1)
					return
				}
			}
		})
	}
	defer func() {
		for _, sk := range socks {
			if sk != nil {
				sk.conn.Close()
			}
		}
		wg.Wait()
	}()
	if s.Errors > 0 {
		out.errors, out.firstErr = s.Errors, s.FirstErr
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
	deadline := time.Now().Add(30 * time.Second)
	for got.Load() < int64(out.sockets) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond) // polling with a deadline: the harness waits for stragglers
	}
	for _, sk := range socks {
		if sk == nil || answered[sk.pay] == 0 {
			continue
		}
		if at := sk.paid.Load(); at != 0 {
			out.delivered++
			out.lat = append(out.lat, time.Duration(max(0, at-answered[sk.pay])))
		}
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
	l, err := h.measureLive(ctx, h.app, h.app, ids, h.perPay)
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
	return r
}

// postgres: two instances on one PostgreSQL database; the callback goes to
// A and the sockets are on B. Needs HPP_TEST_POSTGRES (source .ci/postgres).
func (h *harness) postgres(ctx context.Context) (row, error) {
	admin := os.Getenv("HPP_TEST_POSTGRES")
	if admin == "" {
		return row{Skipped: "no PostgreSQL (set HPP_TEST_POSTGRES, e.g. `source .ci/postgres`)"}, nil
	}
	dbURL, drop, err := createDatabase(ctx, admin)
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

// createDatabase makes a fresh database on the server at admin and returns
// its URL and a function that drops it.
func createDatabase(ctx context.Context, admin string) (string, func(), error) {
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("postgres: %w", err)
	}
	defer c.Close(ctx)
	name := "hpp_load_" + randomHex(6)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("postgres: create database: %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, admin); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	}
	return u.String(), drop, nil
}
