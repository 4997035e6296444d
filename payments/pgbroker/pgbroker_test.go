package pgbroker

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/payments/postgres"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// deliveryBound is a generous limit for a push to arrive; the measured
// latency is logged.
const deliveryBound = 5 * time.Second

func testNow() time.Time { return time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC) }

// env is one database with two stores on it, as two instances have: A
// writes, B's broker feeds B's hub.
type env struct {
	url       string
	a, b      *postgres.DB
	hub       *hub.Hub
	listening chan struct{} // receives each time the broker is ready
	catchUps  atomic.Int32  // the broker's calls of the hub's CatchUp
}

// countingHub is the hub as the broker sees it, counting CatchUp calls.
type countingHub struct {
	*hub.Hub
	n *atomic.Int32
}

func (h countingHub) CatchUp() {
	h.n.Add(1)
	h.Hub.CatchUp()
}

type connectFunc = func(context.Context) (*pgx.Conn, error)

// newEnv starts a broker on a fresh database; gate, when set, wraps its
// connect function.
func newEnv(t *testing.T, gate func(connectFunc) connectFunc) *env {
	t.Helper()
	return newEnvResync(t, gate, 0)
}

// newEnvResync is newEnv with the broker's resync period set to resync
// (0: the default).
func newEnvResync(t *testing.T, gate func(connectFunc) connectFunc, resync time.Duration) *env {
	t.Helper()
	url := pgtest.Database(t)
	e := &env{url: url, hub: hub.New(), listening: make(chan struct{}, 8)}
	for _, s := range []**postgres.DB{&e.a, &e.b} {
		db, err := postgres.Open(t.Context(), url, testNow)
		if err != nil {
			t.Fatalf("postgres.Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		*s = db
	}
	connect, err := Connector(url)
	if err != nil {
		t.Fatal(err)
	}
	if gate != nil {
		connect = gate(connect)
	}
	br, err := New(connect, e.b, countingHub{e.hub, &e.catchUps}, slog.New(slog.NewTextHandler(io.Discard, nil)),
		func() { e.listening <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	if resync > 0 {
		br.resync = resync
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = br.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; e.hub.Close() })
	e.waitListening(t)
	return e
}

func (e *env) waitListening(t *testing.T) {
	t.Helper()
	select {
	case <-e.listening:
	case <-time.After(10 * time.Second):
		t.Fatal("broker did not start listening within 10s")
	}
}

func (e *env) create(t *testing.T, n int) payments.Payment {
	t.Helper()
	p := payments.Payment{ID: "pay_" + string(rune('A'+n)) + "0000000000000000000000000", Reference: "order",
		Amount: 1250, Currency: payments.NZD, Status: payments.StatusCreated, Version: 1, CreatedAt: testNow()}
	if _, _, err := e.a.CreatePayment(t.Context(), p, payments.Event{Type: "payment.created"}, payments.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	return p
}

// setStatus changes the payment through instance A's store.
func (e *env) setStatus(t *testing.T, id string, st payments.Status) payments.Payment {
	t.Helper()
	p, err := e.a.Update(t.Context(), id, func(tx *payments.Tx) error {
		tx.Payment.Status = st
		tx.Touch()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// receive returns the first update of version v or later. Earlier ones
// are doorbells rung before (a re-read can publish one version twice, and
// the socket ignores the repeat); they must not claim a status other than
// those in allowed, the statuses committed before.
func receive(t *testing.T, sub *hub.Subscription, v int64, allowed ...payments.Status) payments.Update {
	t.Helper()
	deadline := time.After(deliveryBound)
	for {
		select {
		case u, ok := <-sub.C:
			if !ok {
				t.Fatal("subscription closed")
			}
			if u.Version >= v {
				return u
			}
			if !slices.Contains(allowed, u.Status) {
				t.Errorf("early update %+v has a status that was never committed at that version", u)
			}
		case <-deadline:
			t.Fatalf("no update of version %d within %v", v, deliveryBound)
		}
	}
}

// TestFanOut is the store side of e2e TestMultiCallbackOnAPushOnB: a change committed through one store reaches
// the hub of another instance's broker. A transaction that rang the bell
// and rolled back pushes nothing.
func TestFanOut(t *testing.T) {
	e := newEnv(t, nil)
	p := e.create(t, 1)
	sub := e.hub.Subscribe(p.ID)
	defer sub.Cancel()

	// Rolled back: the row change and the NOTIFY vanish together.
	pgtest.Exec(t, e.url, `DO $$ BEGIN
		UPDATE payments SET status = 'paid', version = version + 1 WHERE id = '`+p.ID+`';
		PERFORM pg_notify('`+postgres.Channel+`', '`+p.ID+`:2');
		RAISE EXCEPTION 'roll back';
	EXCEPTION WHEN raise_exception THEN NULL; END $$`)

	start := time.Now()
	want := e.setStatus(t, p.ID, payments.StatusPending)
	got := receive(t, sub, want.Version, payments.StatusCreated)
	t.Logf("cross-instance push latency: %v", time.Since(start))
	if got != (payments.Update{PaymentID: p.ID, Status: payments.StatusPending, Version: want.Version}) {
		t.Errorf("first update = %+v, want pending v%d (the rolled-back paid must not be pushed)", got, want.Version)
	}
	want = e.setStatus(t, p.ID, payments.StatusPaid)
	if got := receive(t, sub, want.Version, payments.StatusCreated, payments.StatusPending); got.Status != payments.StatusPaid || got.Version != want.Version {
		t.Errorf("second update = %+v, want paid v%d", got, want.Version)
	}
}

// TestFanOutShopWide: with a shop-wide subscriber (the back office's live
// feed) on instance B, a payment nobody on B watches reaches it when
// created and when changed through A.
func TestFanOutShopWide(t *testing.T) {
	e := newEnv(t, nil)
	all := e.hub.SubscribeAll()
	defer all.Cancel()
	p := e.create(t, 2)
	if got := receive(t, all, 1); got.PaymentID != p.ID || got.Status != payments.StatusCreated {
		t.Errorf("after create: %+v, want %s created", got, p.ID)
	}
	want := e.setStatus(t, p.ID, payments.StatusPaid)
	if got := receive(t, all, want.Version, payments.StatusCreated); got.PaymentID != p.ID || got.Status != payments.StatusPaid {
		t.Errorf("after pay: %+v, want %s paid v%d", got, p.ID, want.Version)
	}
}

// TestReconnectResync is the broker side of e2e TestMultiListenerDropped: the listening connection is
// terminated, the payment is paid while the broker is away (so its
// notification is lost), and after reconnecting the broker re-reads the
// watched payment and pushes its state; later changes arrive as before.
func TestReconnectResync(t *testing.T) {
	release := make(chan struct{})
	redialing := make(chan struct{}, 1)
	var dials atomic.Int32
	e := newEnv(t, func(connect connectFunc) connectFunc {
		return func(ctx context.Context) (*pgx.Conn, error) {
			if dials.Add(1) > 1 {
				select {
				case redialing <- struct{}{}:
				default:
				}
				select {
				case <-release:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			return connect(ctx)
		}
	})
	p := e.create(t, 2)
	sub := e.hub.Subscribe(p.ID)
	defer sub.Cancel()
	pending := e.setStatus(t, p.ID, payments.StatusPending)
	if got := receive(t, sub, pending.Version, payments.StatusCreated); got.Version != pending.Version {
		t.Fatalf("update before the cut = %+v, want v%d", got, pending.Version)
	}

	if n := pgtest.QueryInt64(t, e.url, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, ApplicationName); n != 1 {
		t.Fatalf("terminated %d listener connections, want 1", n)
	}
	select {
	case <-redialing:
	case <-time.After(deliveryBound):
		t.Fatal("broker did not try to reconnect")
	}
	paid := e.setStatus(t, p.ID, payments.StatusPaid) // its notification is lost
	start := time.Now()
	close(release)
	e.waitListening(t)
	if got := receive(t, sub, paid.Version, payments.StatusCreated, payments.StatusPending); got.Status != payments.StatusPaid || got.Version != paid.Version {
		t.Fatalf("update after reconnect = %+v, want paid v%d from the resync", got, paid.Version)
	}
	t.Logf("state pushed %v after the listener came back", time.Since(start))
	later := e.setStatus(t, p.ID, payments.StatusPaid)
	if got := receive(t, sub, later.Version, payments.StatusCreated, payments.StatusPending, payments.StatusPaid); got.Version != later.Version {
		t.Errorf("update after the resync = %+v, want v%d through LISTEN again", got, later.Version)
	}
}

// TestResyncLostDoorbell: a change committed without its doorbell (the
// instance that made it died between its commit and its pg_notify) still
// reaches a socket on another instance, through the broker's periodic
// re-read of the watched payments; a payment nobody watches is not read,
// and a version already published is not published again.
func TestResyncLostDoorbell(t *testing.T) {
	e := newEnvResync(t, nil, 200*time.Millisecond)
	p := e.create(t, 3)
	sub := e.hub.Subscribe(p.ID)
	defer sub.Cancel()
	// Committed straight to the table: no doorbell rings.
	pgtest.Exec(t, e.url, `UPDATE payments SET status = 'paid', version = version + 1 WHERE id = $1`, p.ID)
	start := time.Now()
	got := receive(t, sub, 2, payments.StatusCreated)
	if got != (payments.Update{PaymentID: p.ID, Status: payments.StatusPaid, Version: 2}) {
		t.Fatalf("update = %+v, want paid v2 from the resync", got)
	}
	t.Logf("lost doorbell covered %v after the commit (resync every 200ms)", time.Since(start))
	// Several resyncs later, nothing new was published.
	time.Sleep(time.Second)
	select {
	case u := <-sub.C:
		t.Errorf("resync published %+v again", u)
	default:
	}
}

// TestOlderDoorbell: an entry without its status ("<id>:<version>", as an
// instance of an older version rings it) makes the broker re-read the
// payment and publish what the table holds, well before a resync.
func TestOlderDoorbell(t *testing.T) {
	e := newEnv(t, nil) // resync every 10 s: longer than deliveryBound
	p := e.create(t, 4)
	sub := e.hub.Subscribe(p.ID)
	defer sub.Cancel()
	pgtest.Exec(t, e.url, `UPDATE payments SET status = 'paid', version = version + 1 WHERE id = $1`, p.ID)
	pgtest.Exec(t, e.url, `SELECT pg_notify('`+postgres.Channel+`', $1)`, p.ID+":2")
	if got := receive(t, sub, 2, payments.StatusCreated); got != (payments.Update{PaymentID: p.ID, Status: payments.StatusPaid, Version: 2}) {
		t.Errorf("update = %+v, want paid v2 read from the table", got)
	}
}

// TestResyncCatchUp: the resync tells the hub's shop-wide subscribers to
// catch up from the store, since a lost doorbell of a payment nobody
// watches by id cannot be re-read for them. With no shop-wide subscriber
// the broker never calls CatchUp (neither at connect nor on later
// resyncs); with one, a change committed without its doorbell brings no
// update but a Stale signal, from the periodic resync and from the one
// after a reconnect.
func TestResyncCatchUp(t *testing.T) {
	e := newEnvResync(t, nil, 200*time.Millisecond)
	p := e.create(t, 5)
	sub := e.hub.Subscribe(p.ID)
	defer sub.Cancel()
	// Two lost doorbells, each brought by a resync: when the second
	// arrives, the resync that brought the first has returned.
	for v := int64(2); v <= 3; v++ {
		pgtest.Exec(t, e.url, `UPDATE payments SET version = version + 1 WHERE id = $1`, p.ID)
		receive(t, sub, v, payments.StatusCreated)
	}
	if n := e.catchUps.Load(); n != 0 {
		t.Fatalf("with no shop-wide subscriber the broker called CatchUp %d times, want 0", n)
	}

	all := e.hub.SubscribeAll()
	defer all.Cancel()
	other := e.create(t, 6) // rings its doorbell: drained below
	if got := receive(t, all, 1); got.PaymentID != other.ID {
		t.Fatalf("shop-wide got %+v, want %s created", got, other.ID)
	}
	drainStale(all)
	pgtest.Exec(t, e.url, `UPDATE payments SET status = 'paid', version = version + 1 WHERE id = $1`, other.ID)
	select {
	case <-all.Stale:
	case <-time.After(deliveryBound):
		t.Fatalf("no catch-up signal within %v of a lost doorbell (resync every 200ms)", deliveryBound)
	}
	select {
	case u := <-all.C:
		if u.PaymentID == other.ID {
			t.Errorf("shop-wide subscriber got %+v: the doorbell was not lost, the test proves nothing", u)
		}
	default:
	}
	if e.catchUps.Load() == 0 {
		t.Error("Stale fired but the broker never called CatchUp")
	}
}

// TestReconnectCatchUp: the resync after a reconnect tells the shop-wide
// subscribers to catch up before the broker reports it is listening again
// (the periodic resync, every 10 s, does not come into it).
func TestReconnectCatchUp(t *testing.T) {
	e := newEnv(t, nil)
	all := e.hub.SubscribeAll()
	defer all.Cancel()
	drainStale(all)
	if n := pgtest.QueryInt64(t, e.url, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, ApplicationName); n != 1 {
		t.Fatalf("terminated %d listener connections, want 1", n)
	}
	e.waitListening(t)
	select {
	case <-all.Stale:
	default:
		t.Fatal("the broker reconnected without telling the shop-wide subscriber to catch up")
	}
}

// drainStale takes a pending catch-up signal off s, if any.
func drainStale(s *hub.Subscription) {
	select {
	case <-s.Stale:
	default:
	}
}
