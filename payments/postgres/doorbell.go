package postgres

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latipay-hpp/hpp/payments"
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
// So each write, once committed, adds "<id>:<version>:<status>" (the row
// it committed) to a batch and waits until the batch has been sent: one
// pg_notify, entries separated by commas, sent by the first writer to find
// no one else sending (writers arriving meanwhile join the next batch, as
// commits share a flush), in its own short transaction with
// synchronous_commit off (the doorbell carries no money state: the rows
// are the truth), on a connection of its own (through the pool it would
// queue behind the writes waiting for a connection). Sending from the
// writers rather than from a goroutine of the store's keeps the doorbell
// ahead of the write's return: a goroutine of its own waited to be
// scheduled on a busy instance. The entry carries the committed status so
// that a broker can publish it without reading the row again (one round
// trip and two wake-ups fewer before a socket elsewhere hears it);
// entries of older instances, "<id>:<version>", are re-read.
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
	token  chan struct{}
	conn   *pgx.Conn // nil until dialled, and after a failure
	mu     sync.Mutex
	cur    *bellBatch // the entries waiting for a sender, guarded by mu
	closed bool       // guarded by mu
}

// bellBatch is the entries one pg_notify (or a few, past maxPayload)
// carries; done is closed once they have been sent or dropped.
type bellBatch struct {
	entries []string // "<id>:<version>:<status>"
	done    chan struct{}
}

func newBatch() *bellBatch { return &bellBatch{done: make(chan struct{})} }

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
	return &doorbell{cfg: cfg, token: make(chan struct{}, 1), cur: newBatch()}
}

// ring sends the doorbell for the committed payment p, and returns once
// it has been sent.
func (db *DB) ring(p payments.Payment) {
	if db.bell != nil {
		db.bell.ring(bellEntry(p))
	}
}

// bellEntry is the doorbell's entry for the committed payment p.
func bellEntry(p payments.Payment) string {
	return p.ID + ":" + strconv.FormatInt(p.Version, 10) + ":" + string(p.Status)
}

// ring adds the entry to the waiting batch and returns once that batch
// has been sent, as group commit does: the first writer to find no one
// sending takes the batch and sends it (one round trip, its commit not
// waited for); writers arriving meanwhile join the next batch, which the
// first of them to get the token sends. So the doorbell has left before
// the write returns, as it had when it was part of the transaction, and
// no other goroutine needs to be scheduled on a busy process for it.
func (d *doorbell) ring(entry string) { d.ringAll([]string{entry}) }

// ringAll is ring for several entries, which join one batch.
func (d *doorbell) ringAll(entries []string) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	my := d.cur
	my.entries = append(my.entries, entries...)
	d.mu.Unlock()
	for {
		select {
		case <-my.done:
			return
		case d.token <- struct{}{}:
			d.sendWaiting()
			<-d.token
		}
	}
}

// sendWaiting sends the waiting batch. The caller holds the token.
func (d *doorbell) sendWaiting() {
	d.mu.Lock()
	b := d.cur
	d.cur = newBatch()
	d.mu.Unlock()
	d.sendEntries(b.entries)
	close(b.done)
}

// sendEntries sends entries in payloads of at most maxPayload bytes. A
// payload that fails is tried once more on a new connection, then
// dropped: the brokers' resync covers it.
func (d *doorbell) sendEntries(entries []string) {
	for _, payload := range payloads(entries, maxPayload) {
		for range 2 {
			if d.send(payload) == nil {
				break
			}
		}
	}
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

// close sends what is waiting, refuses later entries and closes the
// connection.
func (d *doorbell) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.token <- struct{}{}
	d.sendWaiting()
	if d.conn != nil {
		d.conn.Close(context.Background())
		d.conn = nil
	}
	<-d.token
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

// ParseDoorbell reads a notification's payload: each entry
// "<id>:<version>:<status>" as that update, and an entry of an older
// instance, "<id>:<version>", or one it cannot read, as the id alone
// (Version 0, Status ""), to be re-read.
func ParseDoorbell(payload string) []payments.Update {
	var out []payments.Update
	for e := range strings.SplitSeq(payload, ",") {
		id, rest, _ := strings.Cut(e, ":")
		if id == "" {
			continue
		}
		u := payments.Update{PaymentID: id}
		v, st, _ := strings.Cut(rest, ":")
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 && payments.Status(st).Valid() {
			u.Version, u.Status = n, payments.Status(st)
		}
		out = append(out, u)
	}
	return out
}
