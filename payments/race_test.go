package payments_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/paymentstest/failpoint"
	"github.com/latipay-hpp/hpp/payments/sqlite"
)

// Tests 34 and 35: a notification, the return page's query and the
// reconciler's query reach the same attempt at the same instant. Each
// actor is stopped at a known point (the notification at a failpoint, a
// query as its answer comes back), then released together or in a chosen
// order, and the history is checked: one transition to paid, one
// payment.paid event (the webhook outbox row), versions that only grow,
// and nothing that leaves paid.

// Actors of a round.
const (
	actorNotify    = "notification"
	actorReturn    = "return"
	actorReconcile = "reconciler"
)

type actorKey struct{}

// round is one race: where each actor stops, and what each query answers.
type round struct {
	ref     string
	arrived chan string              // receives an actor's name when it stops
	release map[string]chan struct{} // closed to let that actor go on
	answer  map[string]string        // query status by actor
}

func newRound(ref string, answers map[string]string) *round {
	r := &round{ref: ref, arrived: make(chan string, 3), answer: answers,
		release: map[string]chan struct{}{actorNotify: make(chan struct{}), actorReturn: make(chan struct{}), actorReconcile: make(chan struct{})}}
	return r
}

// stop parks actor until the test releases it.
func (r *round) stop(actor string) {
	r.arrived <- actor
	<-r.release[actor]
}

// waitArrived waits until every named actor has stopped.
func (r *round) waitArrived(t testing.TB, actors ...string) {
	t.Helper()
	for range actors {
		select {
		case <-r.arrived:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %s: actors did not all arrive", r.ref)
		}
	}
}

// raceEnv is the service over the real SQLite store with a scripted
// gateway: Start answers at once, Query answers what the round says, and
// notifications are verified by the real Latipay code.
type raceEnv struct {
	clock *paymentstest.Clock
	store *sqlite.DB
	hub   *hub.Hub
	svc   *payments.Service

	mu    sync.Mutex
	cur   *round // guarded by mu
	pause string // failpoint where the notification stops; guarded by mu
}

type raceGateway struct {
	payments.Gateway // the real one, for verification
	env              *raceEnv
}

func (g raceGateway) Start(_ context.Context, req payments.StartRequest) (payments.StartResult, error) {
	return payments.StartResult{OrderID: "O" + req.Reference, QRCodeURL: "weixin://wxpay/bizpayurl?pr=" + req.Reference}, nil
}

func (g raceGateway) Cancel(context.Context, string) error { return nil }

func (g raceGateway) Query(ctx context.Context, ref string) (payments.GatewayResult, error) {
	r := g.env.round()
	actor, _ := ctx.Value(actorKey{}).(string)
	if r == nil || r.ref != ref || actor == "" {
		return payments.GatewayResult{}, errors.New("race test: query outside a round")
	}
	r.stop(actor)
	return payments.GatewayResult{Reference: ref, Method: "wechat", Status: r.answer[actor],
		Currency: "NZD", Amount: "12.50", OrderID: "O" + ref}, nil
}

func newRaceEnv(t testing.TB) *raceEnv {
	t.Helper()
	e := &raceEnv{clock: paymentstest.NewClock(time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC))}
	db, err := sqlite.Open(context.Background(), filepath.Join(raceDir(t), "hpp.db"), e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.store, e.hub = db, hub.New()
	t.Cleanup(e.hub.Close)
	client, err := latipay.New(latipay.Config{BaseURL: "http://latipay.invalid", UserID: paymentstest.UserID, APIKey: paymentstest.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := latipay.NewGateway(client, map[string]string{"NZD": paymentstest.WalletNZD})
	if err != nil {
		t.Fatal(err)
	}
	app := "http://127.0.0.1:1"
	// The failpoints as the app's failpoints build installs them
	// (failpoint.Wrap, as main.go's serviceStores does): the wrapper
	// keeps the store's one-read duplicate check, so the callbacks here
	// take the app's path, not the two-read one.
	e.svc, err = payments.NewService(failpoint.Wrap(db, e.failpoint), raceGateway{Gateway: gw, env: e}, e.hub, slog.New(slog.DiscardHandler), e.clock.Now, rand.Reader,
		payments.Options{CallbackURL: app + "/latipay/callback",
			ReturnURLFor:   func(id string) string { return app + "/checkout/" + id + "/return" },
			CheckoutURLFor: func(id string) string { return app + "/checkout/" + id }})
	if err != nil {
		t.Fatal(err)
	}
	checkServiceStore(t, e.svc)
	return e
}

// checkServiceStore fails t unless the store the service was given offers
// the optional interfaces the running app's store keeps (main.go's
// serviceStores, payments.Decorate): without NotificationTargeter each
// callback here would take the two-read path the app never takes, and
// the races would be checked on the wrong path.
func checkServiceStore(t testing.TB, svc *payments.Service) {
	t.Helper()
	st := payments.ServiceStore(svc)
	if _, ok := st.(payments.NotificationTargeter); !ok {
		t.Fatalf("the service's store (%T) hides NotificationTargeter: the callbacks would take the two-read path", st)
	}
	if _, ok := st.(payments.RefundFinder); !ok {
		t.Fatalf("the service's store (%T) hides RefundFinder", st)
	}
}

// raceDir is a temporary directory in memory (/dev/shm) when there is
// one: these tests are about interleavings, not the disk, and 1,000
// rounds of fsyncs would take most of a minute. Durability has its own
// tests (58, 65, the crash tests).
func raceDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "hpp-race-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (e *raceEnv) round() *round {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cur
}

func (e *raceEnv) setRound(r *round, pause string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cur, e.pause = r, pause
}

// failpoint stops the notification where the round says.
func (e *raceEnv) failpoint(name string) {
	e.mu.Lock()
	r, pause := e.cur, e.pause
	e.mu.Unlock()
	if r != nil && name == pause {
		r.stop(actorNotify)
	}
}

// newAttempt creates a payment with a pending WeChat attempt that is due
// for the reconciler.
func (e *raceEnv) newAttempt(t testing.TB, i int) (payments.Payment, string) {
	t.Helper()
	ctx := context.Background()
	p, _, err := e.svc.Create(ctx, paymentstest.Input(fmt.Sprintf("RACE-%04d", i)), "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.svc.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop, ClientIP: "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(31 * time.Second) // the attempt's first check is due
	return st.Payment, st.Attempt.Reference
}

// checkHistory is the H7 check for one payment: the updates published
// while the race ran (versions only grow, nothing leaves paid), and the
// stored result (paid, one payment.paid event, no event out of paid).
func (e *raceEnv) checkHistory(t testing.TB, label string, id string, updates []payments.Update) {
	t.Helper()
	// Updates are published after the commit, outside the lock, so two
	// may arrive out of order; the page keeps the highest version it has
	// seen (test 41), and that view must never leave paid.
	var last payments.Update
	for _, u := range updates {
		if u.Version <= last.Version {
			continue
		}
		if last.Status == payments.StatusPaid && u.Status != payments.StatusPaid {
			t.Errorf("%s: published %s v%d after %s v%d", label, u.Status, u.Version, last.Status, last.Version)
		}
		last = u
	}
	p, err := e.store.Payment(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != payments.StatusPaid {
		t.Errorf("%s: status %s, want paid", label, p.Status)
	}
	if last.Version != 0 && last.Version != p.Version {
		t.Errorf("%s: last published v%d, stored v%d", label, last.Version, p.Version)
	}
	evs, err := e.store.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if n := paymentstest.CountEvents(evs, "payment.paid"); n != 1 {
		t.Errorf("%s: %d payment.paid events (outbox rows), want exactly 1", label, n)
	}
	for _, ev := range evs {
		if ev.From == payments.StatusPaid && ev.To != payments.StatusPaid {
			t.Errorf("%s: event %s moved paid -> %s", label, ev.Type, ev.To)
		}
	}
}

// drain collects what sub received until the payment is quiet.
func drain(sub *hub.Subscription) []payments.Update {
	var out []payments.Update
	for {
		select {
		case u, ok := <-sub.C:
			if !ok {
				return out
			}
			out = append(out, u)
		default:
			return out
		}
	}
}

// TestNotificationReconcileRace is test 34: the notification's commit and
// the reconciler's query answer for the same attempt at the same instant,
// 1,000 times. The notification is stopped either just after verification
// or inside its transaction just before the commit; the reconciler holds
// Latipay's "paid" answer; both are released together.
func TestNotificationReconcileRace(t *testing.T) {
	iterations := 1000
	if testing.Short() {
		iterations = 100
	}
	e := newRaceEnv(t)
	ctx := context.Background()
	for i := range iterations {
		p, ref := e.newAttempt(t, i)
		sub := e.hub.Subscribe(p.ID)
		pause := failpoint.NotifyVerified
		if i%2 == 1 {
			pause = failpoint.NotifyBeforeCommit // holds the write transaction
		}
		r := newRound(ref, map[string]string{actorReconcile: "paid"})
		e.setRound(r, pause)
		var wg sync.WaitGroup
		var nerr, cerr error
		var claimed int
		// The reconciler claims first (a write), so the notification can
		// then stop inside its own write transaction without a deadlock.
		wg.Go(func() {
			claimed, cerr = e.svc.ReconcileDue(context.WithValue(ctx, actorKey{}, actorReconcile), 10)
		})
		r.waitArrived(t, actorReconcile)
		wg.Go(func() {
			nerr = e.svc.HandleNotification(ctx, paymentstest.Notification(ref, "wechat", "paid", "NZD", "12.50"))
		})
		r.waitArrived(t, actorNotify)
		close(r.release[actorReconcile]) // the same instant
		close(r.release[actorNotify])
		wg.Wait()
		e.setRound(nil, "")
		if nerr != nil || cerr != nil || claimed != 1 {
			t.Fatalf("iteration %d: HandleNotification = %v; ReconcileDue = %d, %v", i, nerr, claimed, cerr)
		}
		e.checkHistory(t, fmt.Sprintf("iteration %d (%s)", i, pause), p.ID, drain(sub))
		sub.Cancel()
		if t.Failed() {
			return
		}
	}
}

// TestThreeWayRace is test 35: the notification, the return page's query
// and the reconciler's query, in every order of release, sequential and
// concurrent, with each query answering "pending" (asked before the
// shopper paid) or "paid"; then random repeats. H7: one transition, no
// regression, one outbox event.
func TestThreeWayRace(t *testing.T) {
	e := newRaceEnv(t)
	ctx := context.Background()
	perms := [][]string{
		{actorNotify, actorReturn, actorReconcile}, {actorNotify, actorReconcile, actorReturn},
		{actorReturn, actorNotify, actorReconcile}, {actorReturn, actorReconcile, actorNotify},
		{actorReconcile, actorNotify, actorReturn}, {actorReconcile, actorReturn, actorNotify},
	}
	type plan struct {
		order          []string
		sequential     bool
		returnAnswer   string
		reconcileAnswr string
	}
	var plans []plan
	for _, order := range perms {
		for _, seq := range []bool{true, false} {
			for _, ra := range []string{"pending", "paid"} {
				for _, ca := range []string{"pending", "paid"} {
					plans = append(plans, plan{order, seq, ra, ca})
				}
			}
		}
	}
	seed := uint64(time.Now().UnixNano())
	rng := mrand.New(mrand.NewPCG(seed, 35))
	t.Logf("random repeats seeded with %d", seed)
	for range 2 * len(plans) {
		plans = append(plans, plans[rng.IntN(len(plans))])
	}
	anomalies := 0
	for i, pl := range plans {
		p, ref := e.newAttempt(t, i)
		sub := e.hub.Subscribe(p.ID)
		r := newRound(ref, map[string]string{actorReturn: pl.returnAnswer, actorReconcile: pl.reconcileAnswr})
		e.setRound(r, failpoint.NotifyVerified)
		done := map[string]chan error{actorNotify: make(chan error, 1), actorReturn: make(chan error, 1), actorReconcile: make(chan error, 1)}
		go func() {
			n, err := e.svc.ReconcileDue(context.WithValue(ctx, actorKey{}, actorReconcile), 10)
			if err == nil && n != 1 {
				err = fmt.Errorf("claimed %d attempts, want 1", n)
			}
			done[actorReconcile] <- err
		}()
		r.waitArrived(t, actorReconcile) // its claim is a write: take it before anyone stops
		go func() {
			done[actorNotify] <- e.svc.HandleNotification(ctx, paymentstest.Notification(ref, "wechat", "paid", "NZD", "12.50"))
		}()
		go func() {
			_, err := e.svc.HandleReturn(context.WithValue(ctx, actorKey{}, actorReturn), p.ID, nil)
			done[actorReturn] <- err
		}()
		r.waitArrived(t, actorNotify, actorReturn)
		for _, a := range pl.order {
			close(r.release[a])
			if pl.sequential {
				if err := <-done[a]; err != nil {
					t.Fatalf("plan %d %+v: %s: %v", i, pl, a, err)
				}
				done[a] <- nil
			} else {
				for range rng.IntN(3) {
					runtime.Gosched()
				}
			}
		}
		for a, ch := range done {
			if err := <-ch; err != nil {
				t.Fatalf("plan %d %+v: %s: %v", i, pl, a, err)
			}
		}
		e.setRound(nil, "")
		label := fmt.Sprintf("plan %d (order %v, sequential %v, return says %s, reconciler says %s)", i, pl.order, pl.sequential, pl.returnAnswer, pl.reconcileAnswr)
		e.checkHistory(t, label, p.ID, drain(sub))
		sub.Cancel()
		if evs, err := e.store.Events(ctx, p.ID); err == nil {
			anomalies += paymentstest.CountEvents(evs, "anomaly")
		}
		if t.Failed() {
			return
		}
	}
	t.Logf("%d plans; %d stale 'pending' answers applied after paid were flagged as anomalies", len(plans), anomalies)
}
