package postgres

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// The doorbell tells payments/pgbroker on every instance that payments
// changed. It rings after the commit, never inside the transaction that
// changes money: PostgreSQL serializes the commits of transactions that
// called NOTIFY (PreCommit_Notify takes a lock on the whole cluster's
// notification queue and holds it until the transaction ends, that is
// while its commit record is flushed to disk), so a NOTIFY in every
// payment transaction made each commit wait for the previous one's fsync
// instead of sharing a WAL flush with the commits beside it. Measured
// with the load harness's pg2 row (two instances, 64 connections):
// pg_stat_activity showed most of the store's busy connections waiting on
// "Lock: object" (2,744 of some 3,200 samples).
//
// So each write, once committed, adds "<id>:<version>" to a queue, and
// the queue is sent as one pg_notify per batch (by the writer itself when
// no one else is sending, else by whoever is), entries separated by commas, in its own short transaction with
// synchronous_commit off (the doorbell carries no money state: the rows
// are the truth, and the broker re-reads them), on a connection of its
// own: through the pool it would queue behind the writes waiting for a
// connection, and the push to other instances would wait with them (the
// harness's pg2 push p50 went from 2 to 77 ms that way). While one batch
// is being sent the next one gathers, as commits share a flush.
//
// What is lost if the process dies between a commit and its doorbell, or
// if sending fails: the other instances' brokers re-read every payment
// their sockets watch on a timer (pgbroker's resync), so a socket
// elsewhere sees the change at the latest one resync later. The
// instance's own sockets do not depend on the doorbell (the service
// publishes to its hub directly).
type doorbell struct {
	cfg *pgx.ConnConfig // the store's, for the doorbell's own connection
	// token is held by whoever sends: conn is used only by its holder.
	token   chan struct{}
	conn    *pgx.Conn // nil until dialled, and after a failure
	mu      sync.Mutex
	pending []string // "<id>:<version>", guarded by mu
	closed  bool     // guarded by mu
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// maxPayload keeps a batch under PostgreSQL's 8,000-byte payload limit.
const maxPayload = 7000

// ringDoorbell sends one batch. set_config(..., true) lasts until the end
// of this statement's own transaction, commit included.
const ringDoorbell = `SELECT set_config('synchronous_commit', 'off', true), pg_notify('` + Channel + `', $1)`

// DoorbellApplicationName marks the doorbell's connection in
// pg_stat_activity.
const DoorbellApplicationName = "hpp-doorbell"

func newDoorbell(cfg *pgx.ConnConfig) *doorbell {
	cfg = cfg.Copy()
	cfg.RuntimeParams["application_name"] = DoorbellApplicationName
	d := &doorbell{cfg: cfg, token: make(chan struct{}, 1), wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	go d.run()
	return d
}

// ring queues a committed change of payment id, now at version, for the
// doorbell.
func (db *DB) ring(id string, version int64) {
	if db.bell != nil {
		db.bell.ring(id, version)
	}
}

// ring queues the entry. If no one is sending, the caller sends what is
// queued itself, once (one round trip, the commit not waited for): the
// doorbell then leaves before the write returns, as it did from inside
// the transaction, without waiting for a busy process to schedule another
// goroutine. If someone is sending, the entry waits for the next batch
// and ring returns at once; what is queued when the caller has sent is
// handed to the store's goroutine.
func (d *doorbell) ring(id string, version int64) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.pending = append(d.pending, id+":"+strconv.FormatInt(version, 10))
	d.mu.Unlock()
	select {
	case d.token <- struct{}{}:
	default:
		return // the sender will see it
	}
	d.sendPending()
	<-d.token
	d.mu.Lock()
	more := len(d.pending) > 0
	d.mu.Unlock()
	if more {
		d.poke()
	}
}

func (d *doorbell) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// run sends what ring left queued, until close.
func (d *doorbell) run() {
	defer close(d.done)
	for {
		stopping := false
		select {
		case <-d.wake:
		case <-d.stop:
			stopping = true
		}
		d.token <- struct{}{}
		for d.sendPending() {
		}
		if stopping && d.conn != nil {
			d.conn.Close(context.Background())
			d.conn = nil
		}
		<-d.token
		if stopping {
			return
		}
	}
}

// sendPending sends everything queued, in payloads of at most maxPayload
// bytes, and reports whether there was anything. The caller holds the
// token. A payload that fails is tried once more on a new connection,
// then dropped: the brokers' resync covers it.
func (d *doorbell) sendPending() bool {
	d.mu.Lock()
	batch := d.pending
	d.pending = nil
	d.mu.Unlock()
	for _, payload := range payloads(batch, maxPayload) {
		for range 2 {
			if d.send(payload) == nil {
				break
			}
		}
	}
	return len(batch) > 0
}

// send sends one payload, dialling first if need be; after an error the
// connection is dropped.
func (d *doorbell) send(payload string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if d.conn == nil {
		c, err := pgx.ConnectConfig(ctx, d.cfg.Copy())
		if err != nil {
			return err
		}
		d.conn = c
	}
	if _, err := d.conn.Exec(ctx, ringDoorbell, payload); err != nil {
		d.conn.Close(context.WithoutCancel(ctx))
		d.conn = nil
		return err
	}
	return nil
}

// close sends what is queued, stops the goroutine and refuses later
// entries.
func (d *doorbell) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.once.Do(func() { close(d.stop) })
	<-d.done
}

// payloads joins entries with commas into strings of at most limit bytes
// (an entry longer than limit goes alone).
func payloads(entries []string, limit int) []string {
	var out []string
	var b strings.Builder
	for _, e := range entries {
		if b.Len() > 0 && b.Len()+1+len(e) > limit {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(e)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// ParseDoorbell splits a notification's payload into its "<id>:<version>"
// entries' payment ids, in order.
func ParseDoorbell(payload string) []string {
	var ids []string
	for e := range strings.SplitSeq(payload, ",") {
		if id, _, _ := strings.Cut(e, ":"); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}
