// Package pgbroker carries payment changes between instances of the app
// that share one PostgreSQL database, over LISTEN/NOTIFY, into each
// instance's in-process hub.
//
// payments/postgres rings the doorbell after every committed payment
// change: pg_notify('hpp_payments', '<id>:<version>:<status>,...'), one
// notification per batch of commits, sent after they committed and
// outside their transactions (a NOTIFY inside them serialized the
// commits: see payments/postgres/doorbell.go). Each entry is the row its
// writer committed; the broker publishes the entries of watched payments
// as they are, and re-reads (one query) those of older instances, which
// carry no status, so what the sockets see always comes from the table.
//
// Doorbells can be lost: while the listening connection is down, or when
// the instance that committed dies (or fails to send) between its commit
// and its pg_notify. So after every (re)connect, and every resyncEvery
// (10 s) while connected, the broker reads the status and version of
// every payment the hub has subscribers for, in batches of 1,000 ids, and
// publishes those newer than it last published (TestReconnectResync,
// TestResyncLostDoorbell; e2e TestMultiListenerDropped). A change whose
// doorbell was lost reaches sockets on other instances within one resync
// period.
//
// Shop-wide subscribers (the back office's feed, the counter's socket, the
// shopper-facing display) follow payments the hub does not know by id, so
// the resync cannot re-read theirs. Instead, after every successful resync
// (the one after each (re)connect and the periodic one), while anyone
// follows the whole shop, the broker calls the hub's CatchUp: each of them
// reads what it shows back from the store (TestResyncCatchUp). A change
// whose doorbell was lost thus reaches them too within one resync period
// (10 s) while the listener is connected, or right after it reconnects.
//
// The instance's own service still publishes to its hub directly; the
// duplicate that arrives through the broker carries a version the socket
// has already sent, and the socket ignores it.
//
// It imports payments (the event), payments/postgres (the pool and the
// channel) and pgx; payments/storage starts one broker per instance on
// PostgreSQL. The whole of it is this file.
package pgbroker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres"
)

// Reconnect backoff, and how long the connection may sit silent before the
// broker checks that it is still alive.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
	readWait   = 5 * time.Second
	// resyncEvery is how often a connected broker re-reads the watched
	// payments, for doorbells lost between another instance's commit and
	// its pg_notify. It also checks that the quiet connection is alive.
	resyncEvery = 10 * time.Second
	// resyncBatch is how many ids one resync query asks for.
	resyncBatch = 1000
)

// ApplicationName marks the listening connection in pg_stat_activity.
const ApplicationName = "hpp-listener"

// PaymentReader is what the broker needs from the store.
type PaymentReader interface {
	// Updates returns the status and version of those of ids that exist.
	Updates(ctx context.Context, ids []string) ([]payments.Update, error)
}

// Hub is what the broker needs from the in-process hub.
type Hub interface {
	Publish(u payments.Update)
	// Watched returns the ids of payments that have local subscribers.
	// Watching reports whether one payment has.
	Watched() []string
	Watching(id string) bool
	// WatchingAll reports whether a local subscriber follows every
	// payment (the back office's live feed): then every doorbell is
	// passed on.
	WatchingAll() bool
	// CatchUp tells the shop-wide subscribers to re-read from the store
	// what doorbells may not have brought them.
	CatchUp()
}

// Broker listens on postgres.Channel and republishes into a Hub.
type Broker struct {
	connect func(ctx context.Context) (*pgx.Conn, error)
	store   PaymentReader
	hub     Hub
	log     *slog.Logger
	// listening, when set, is called after every successful LISTEN and
	// resync; tests use it to know the broker is connected.
	listening func()
	// resync is resyncEvery; tests shorten it.
	resync time.Duration
	// published is the version last published per watched payment, so a
	// resync publishes only what changed. Only the Run goroutine uses it.
	published map[string]int64
}

// Connector returns a connect function for New that dials url (the same
// postgres:// URL as the store) with application_name set to
// ApplicationName. The URL is checked now, so a bad one fails at start-up.
func Connector(url string) (func(ctx context.Context) (*pgx.Conn, error), error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, errors.New("pgbroker: not a valid postgres:// URL")
	}
	cfg.RuntimeParams["application_name"] = ApplicationName
	return func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) }, nil
}

// New returns a broker that dials with connect, re-reads payments from
// store and publishes them to hub. listening may be nil; when set it is
// called each time the broker has (re)connected, listened and resynced.
func New(connect func(ctx context.Context) (*pgx.Conn, error), store PaymentReader, hub Hub, log *slog.Logger, listening func()) (*Broker, error) {
	if connect == nil || store == nil || hub == nil || log == nil {
		return nil, errors.New("pgbroker: connect, store, hub and logger are required")
	}
	return &Broker{connect: connect, store: store, hub: hub, log: log, listening: listening,
		resync: resyncEvery, published: map[string]int64{}}, nil
}

// Run listens until ctx ends, reconnecting with capped, jittered backoff
// whenever the connection fails. It returns nil when ctx ends.
func (b *Broker) Run(ctx context.Context) error {
	backoff := minBackoff
	for {
		started := time.Now()
		err := b.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > maxBackoff {
			backoff = minBackoff // it was up for a while: retry quickly
		}
		b.log.Warn("pgbroker: listener lost; reconnecting", "err", err, "retry_in", backoff)
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// session runs one connection: LISTEN, resync, then wait for doorbells.
// It returns the error that ended the connection.
func (b *Broker) session(ctx context.Context) error {
	conn, err := b.connect(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+postgres.Channel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// Listening first, then re-reading: a change that commits after the
	// re-read rings the bell, so nothing falls between the two.
	if err := b.resyncWatched(ctx); err != nil {
		return err
	}
	b.log.Info("pgbroker: listening", "channel", postgres.Channel)
	if b.listening != nil {
		b.listening()
	}
	next := time.Now().Add(b.resync)
	for {
		wctx, cancel := context.WithDeadline(ctx, next)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			// Quiet until the resync: make sure the connection is alive.
			pctx, cancel := context.WithTimeout(ctx, readWait)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
		case err != nil:
			return fmt.Errorf("wait: %w", err)
		default:
			var ids []string // entries without their state: re-read
			for _, u := range postgres.ParseDoorbell(n.Payload) {
				switch {
				case !b.watched(u.PaymentID):
				case u.Status == "":
					ids = append(ids, u.PaymentID)
				default:
					b.publish(u)
				}
			}
			if err := b.refresh(ctx, ids); err != nil {
				b.log.Warn("pgbroker: re-read failed", "payments", len(ids), "err", err)
			}
		}
		if time.Now().Before(next) {
			continue
		}
		if err := b.resyncWatched(ctx); err != nil {
			b.log.Warn("pgbroker: resync failed", "err", err)
		}
		next = time.Now().Add(b.resync)
	}
}

// resyncWatched reads every watched payment's status and version and
// publishes those newer than the broker last published: what doorbells
// that never came would have pushed. It forgets payments no longer
// watched. Then, while anyone follows the whole shop, it asks them to
// catch up from the store (Hub.CatchUp), which is all it can do for
// payments nobody watches by id.
func (b *Broker) resyncWatched(ctx context.Context) error {
	ids := b.hub.Watched()
	keep := make(map[string]int64, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(resyncBatch, len(ids))]
		ids = ids[len(chunk):]
		rctx, cancel := context.WithTimeout(ctx, readWait)
		us, err := b.store.Updates(rctx, chunk)
		cancel()
		if err != nil {
			return fmt.Errorf("resync: %w", err)
		}
		for _, u := range us {
			if u.Version > b.published[u.PaymentID] {
				b.hub.Publish(u)
			}
			keep[u.PaymentID] = max(u.Version, b.published[u.PaymentID])
		}
	}
	b.published = keep
	if b.hub.WatchingAll() {
		b.hub.CatchUp()
	}
	return nil
}

// watched reports whether id has local subscribers, or someone follows
// every payment.
func (b *Broker) watched(id string) bool {
	return b.hub.WatchingAll() || b.hub.Watching(id)
}

// refresh reads the status and version of the payments ids (one query
// for a doorbell's batch) and publishes each. A payment that does not
// exist (a notification from another schema, say) is ignored.
func (b *Broker) refresh(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, readWait)
	defer cancel()
	us, err := b.store.Updates(rctx, ids)
	if err != nil {
		return fmt.Errorf("re-read: %w", err)
	}
	for _, u := range us {
		b.publish(u)
	}
	return nil
}

// publish passes u to the hub and remembers its version for the resync.
func (b *Broker) publish(u payments.Update) {
	b.hub.Publish(u)
	b.published[u.PaymentID] = max(b.published[u.PaymentID], u.Version)
}
