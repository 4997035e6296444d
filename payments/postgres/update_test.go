package postgres

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// rtProxy sits between the store and PostgreSQL and counts the round
// trips of the store's pool connections: each ends with the server's
// ReadyForQuery ('Z') message, whatever was pipelined before it. The
// doorbell's own connection (application_name hpp-doorbell) is not
// counted.
type rtProxy struct {
	ln      net.Listener
	network string // "tcp", or "unix" for a server reached by its socket
	target  string
	z       atomic.Int64
}

// newRTProxy starts a proxy to the server of the URL u and returns it
// with u rewritten to go through it with one pool connection, so every
// statement of the store goes through the proxy on one connection whose
// statements are already prepared after their first use.
func newRTProxy(t *testing.T, u string) (*rtProxy, string) {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &rtProxy{ln: ln, network: "tcp", target: pu.Host}
	q := pu.Query()
	// A host in the query (pgtest's throwaway cluster gives its socket
	// directory so) overrides the URL's: the proxy dials it instead.
	if h := q.Get("host"); h != "" {
		port := cmp.Or(q.Get("port"), pu.Port(), "5432")
		if strings.HasPrefix(h, "/") {
			p.network, p.target = "unix", filepath.Join(h, ".s.PGSQL."+port)
		} else {
			p.target = net.JoinHostPort(h, port)
		}
		q.Del("host")
		q.Del("port")
	}
	pu.Host = ln.Addr().String()
	q.Set("pool_max_conns", "1")
	pu.RawQuery = q.Encode()
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.serve(c) })
		}
	})
	return p, pu.String()
}

func (p *rtProxy) serve(c net.Conn) {
	defer c.Close()
	s, err := net.Dial(p.network, p.target)
	if err != nil {
		return
	}
	defer s.Close()
	// The startup message (sslmode=disable: no SSL request first): a
	// length, then the protocol version and the parameters.
	var n [4]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return
	}
	startup := make([]byte, binary.BigEndian.Uint32(n[:])-4)
	if _, err := io.ReadFull(c, startup); err != nil {
		return
	}
	counted := !bytes.Contains(startup, []byte(DoorbellApplicationName))
	if _, err := s.Write(append(n[:], startup...)); err != nil {
		return
	}
	go func() { _, _ = io.Copy(s, c); s.Close() }()
	// The server's messages: a type byte and a length that counts itself.
	var h [5]byte
	for {
		if _, err := io.ReadFull(s, h[:]); err != nil {
			return
		}
		body := make([]byte, binary.BigEndian.Uint32(h[1:])-4)
		if _, err := io.ReadFull(s, body); err != nil {
			return
		}
		if h[0] == 'Z' && counted {
			p.z.Add(1)
		}
		if _, err := c.Write(append(h[:], body...)); err != nil {
			return
		}
	}
}

// TestUpdateRoundTrips: a callback's write (the payment, a loaded
// attempt, an event and a notification) is two round trips, BEGIN with
// the reads and the writes with COMMIT; a write with an attempt that was
// not loaded is three (it is checked before COMMIT); one that changes
// nothing is two. Each is counted the second time, once its statements
// are prepared on the connection.
func TestUpdateRoundTrips(t *testing.T) {
	u := pgtest.Schema(t)
	p, pu := newRTProxy(t, u)
	db := mustOpen(t, pu)
	ctx := t.Context()
	now := testNow()
	count := func(name string, want int64, id string, fn func(tx *payments.Tx)) {
		t.Helper()
		for round := range 2 {
			before := p.z.Load()
			if _, err := db.Update(ctx, id, func(tx *payments.Tx) error { fn(tx); return nil }); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := p.z.Load() - before; round == 1 && got != want {
				t.Errorf("%s: %d round trips, want %d", name, got, want)
			}
		}
	}
	ids := []string{"pay_RT0000000000000000000001", "pay_RT0000000000000000000002"}
	for _, id := range ids {
		pay := payments.Payment{ID: id, Reference: "r", Amount: 100, Currency: payments.NZD,
			Status: payments.StatusCreated, Version: 1, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if _, _, err := db.CreatePayment(ctx, pay, payments.Event{Type: "payment.created", CreatedAt: now}, payments.Idempotency{}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	newRef := func() string {
		n++
		return fmt.Sprintf("RT%024d", n)
	}
	count("new attempt", 3, ids[0], func(tx *payments.Tx) {
		tx.PutAttempt(payments.Attempt{Reference: newRef(), Method: payments.MethodWeChat,
			Status: payments.AttemptPending, CreatedAt: now})
	})
	count("callback", 2, ids[0], func(tx *payments.Tx) {
		a := tx.Attempts[0]
		a.Checks++
		tx.PutAttempt(a)
		tx.AddEvent(payments.Event{Type: "attempt.paid", CreatedAt: now})
		tx.AddNotification(payments.Notification{Reference: a.Reference, Digest: newRef(), Status: "paid", At: now})
		tx.Touch()
	})
	count("no change", 2, ids[1], func(*payments.Tx) {})
}

// TestUpdateFailedBatchRollsBack: when a statement in the batch that
// ends with COMMIT fails, the server skips the COMMIT: Update returns the
// error, nothing of the write is stored, and the pool's one connection
// serves the next Update.
func TestUpdateFailedBatchRollsBack(t *testing.T) {
	u := pgtest.Schema(t)
	_, pu := newRTProxy(t, u)
	db := mustOpen(t, pu)
	ctx := t.Context()
	now := testNow()
	id := "pay_RB0000000000000000000001"
	ref := strings.Repeat("B", 26)
	pay := payments.Payment{ID: id, Reference: "r", Amount: 100, Currency: payments.NZD,
		Status: payments.StatusCreated, Version: 1, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if _, _, err := db.CreatePayment(ctx, pay, payments.Event{Type: "payment.created", CreatedAt: now}, payments.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	before, err := db.Update(ctx, id, func(tx *payments.Tx) error {
		tx.PutAttempt(payments.Attempt{Reference: ref, Method: payments.MethodWeChat, Status: payments.AttemptPending, CreatedAt: now})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Update(ctx, id, func(tx *payments.Tx) error {
		a := tx.Attempts[0]
		a.Checks = 7
		tx.PutAttempt(a) // loaded: COMMIT rides with the writes
		tx.Payment.Amount = 999
		// PostgreSQL refuses a NUL byte in text: the batch fails here.
		tx.AddNotification(payments.Notification{Reference: ref, Digest: "d", Status: "paid", Body: "a\x00b", At: now})
		return nil
	})
	if err == nil {
		t.Fatal("Update with a failing statement succeeded")
	}
	if errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("Update error = %v", err)
	}
	got, err := db.Update(ctx, id, func(tx *payments.Tx) error {
		if tx.Attempts[0].Checks != 0 {
			t.Errorf("attempt checks = %d after a failed write, want 0", tx.Attempts[0].Checks)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update after the failed one: %v", err)
	}
	if got.Version != before.Version || got.Amount != 100 {
		t.Errorf("after a failed write: version %d amount %d, want %d and 100", got.Version, got.Amount, before.Version)
	}
}

// TestNotificationTarget: one statement answers what NotificationSeen and
// AttemptPayment answer: a recorded digest is seen; an unrecorded one
// names the attempt's payment; an unknown reference names none.
func TestNotificationTarget(t *testing.T) {
	db := mustOpen(t, pgtest.Schema(t))
	ctx := t.Context()
	now := testNow()
	id, ref := "pay_NT0000000000000000000001", strings.Repeat("C", 26)
	pay := payments.Payment{ID: id, Reference: "r", Amount: 100, Currency: payments.NZD,
		Status: payments.StatusCreated, Version: 1, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if _, _, err := db.CreatePayment(ctx, pay, payments.Event{Type: "payment.created", CreatedAt: now}, payments.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Update(ctx, id, func(tx *payments.Tx) error {
		tx.PutAttempt(payments.Attempt{Reference: ref, Method: payments.MethodWeChat, Status: payments.AttemptPending, CreatedAt: now})
		tx.AddNotification(payments.Notification{Reference: ref, Digest: "seen-digest", Status: "pending", At: now})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ref, digest string
		seen        bool
		id          string
	}{
		{ref, "seen-digest", true, id},
		{ref, "new-digest", false, id},
		{strings.Repeat("D", 26), "seen-digest", false, ""},
	} {
		seen, got, err := db.NotificationTarget(ctx, c.ref, c.digest)
		if err != nil || seen != c.seen || (!seen && got != c.id) {
			t.Errorf("NotificationTarget(%s, %s) = %v, %q, %v; want %v, %q", c.ref, c.digest, seen, got, err, c.seen, c.id)
		}
	}
}
