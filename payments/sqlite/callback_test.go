package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/sqlite"
)

// TestConcurrentCallbacksGroupCommitted sends n signed paid callbacks for
// n distinct payments at once, over HTTP to the service's callback
// endpoint, with the store group-committing them (batch.go).
//
// First every commit fails, with the first write held in its transaction
// until the other n-1 wait for the writer, so that they share the next
// batch: every callback of both batches is answered an error (503), never
// "sent", and nothing of them is kept. Then the same n callbacks again,
// committed: each is answered "sent" and each payment has exactly one
// paid transition, one notification recorded ("applied") and one
// payment.paid event in the webhook outbox. A third round of repeats
// changes nothing.
func TestConcurrentCallbacksGroupCommitted(t *testing.T) {
	const n = 24
	var (
		holdFirst atomic.Bool   // phase 1: hold the first write in its transaction
		held      chan struct{} // closed when the first write is held
		release   chan struct{} // closed to let it go on
	)
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	errCommit := errors.New("injected commit failure")
	var failCommits atomic.Bool
	var mu sync.Mutex
	var failedBatches []int // sizes of the batches whose commit failed
	// The first write is held in its transaction, just before its commit,
	// on the writer goroutine.
	sqlite.SetBeforeCommit(env.Store, func(size int) error {
		if holdFirst.CompareAndSwap(true, false) {
			close(held)
			<-release
		}
		if !failCommits.Load() {
			return nil
		}
		mu.Lock()
		failedBatches = append(failedBatches, size)
		mu.Unlock()
		return errCommit
	})

	ids, refs, forms := make([]string, n), make([]string, n), make([]url.Values, n)
	for i := range n {
		refs[i] = fmt.Sprintf("CBREF%019d", i)
		ids[i], forms[i] = env.MustPending(t, fmt.Sprintf("cb-%d", i), refs[i])
	}
	since := env.Clock.Now().Add(-time.Hour)

	// Phase 1: every commit fails.
	failCommits.Store(true)
	held, release = make(chan struct{}), make(chan struct{})
	holdFirst.Store(true)
	answers := make(chan string, n)
	var wg sync.WaitGroup
	post := func(i int) { wg.Go(func() { answers <- env.PostCallback(t, forms[i]) }) }
	post(0)
	<-held
	for i := 1; i < n; i++ {
		post(i)
	}
	for sqlite.Waiting(env.Store) < n-1 {
		time.Sleep(time.Millisecond) // polling, not timing: waits for the n-1 to queue
	}
	close(release)
	wg.Wait()
	close(answers)
	for a := range answers {
		if a != "503 retry later" {
			t.Errorf("callback in a batch whose commit failed answered %q, want 503 and never \"sent\"", a)
		}
	}
	mu.Lock()
	sizes := failedBatches
	mu.Unlock()
	if total := sum(sizes); total != n || len(sizes) != 2 || sizes[1] != n-1 {
		t.Errorf("failed batches of %v writes, want [1 %d]: the held write alone, then the other %d together", sizes, n-1, n-1)
	}
	for i := range n {
		checkCallbackEffect(t, env, ids[i], refs[i], 0)
	}
	if got := backlog(t, env, since); got != 0 {
		t.Errorf("after failed commits the webhook outbox holds %d payment.paid events, want 0", got)
	}

	// Phase 2: the same callbacks, committed; phase 3: repeats of them.
	failCommits.Store(false)
	for round := range 2 {
		answers := make(chan string, n)
		for i := range n {
			wg.Go(func() { answers <- env.PostCallback(t, forms[i]) })
		}
		wg.Wait()
		close(answers)
		for a := range answers {
			if a != "200 sent" {
				t.Errorf("round %d: callback answered %q, want 200 sent", round, a)
			}
		}
		for i := range n {
			checkCallbackEffect(t, env, ids[i], refs[i], 1)
		}
		if got := backlog(t, env, since); got != n {
			t.Errorf("round %d: the webhook outbox holds %d payment.paid events, want %d", round, got, n)
		}
	}
}

// checkCallbackEffect checks that the payment id has paid transitions
// paid events, notifications recorded for ref, and the status to match
// (paid once, or still pending when 0), read from the database.
func checkCallbackEffect(t *testing.T, env *paymentstest.Env, id, ref string, paid int) {
	t.Helper()
	ctx := context.Background()
	evs, err := env.Store.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, e := range evs {
		if e.Type == "payment.paid" {
			got++
		}
	}
	ns, err := env.Store.Notifications(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.Store.Payment(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := payments.StatusPending
	if paid > 0 {
		want = payments.StatusPaid
	}
	if got != paid || len(ns) != paid || p.Status != want {
		t.Errorf("payment %s: %d paid transitions, %d notifications, status %s; want %d, %d, %s", id, got, len(ns), p.Status, paid, paid, want)
	}
	for _, nt := range ns {
		if nt.Result != "applied" {
			t.Errorf("payment %s: notification recorded as %q, want applied", id, nt.Result)
		}
	}
}

// backlog counts the payment.paid events waiting in the webhook outbox.
func backlog(t *testing.T, env *paymentstest.Env, since time.Time) int {
	t.Helper()
	got, err := env.Store.WebhookBacklog(context.Background(), payments.OutboxQuery{Types: []string{"payment.paid"}, Since: since})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

// TestRacingRepeatWritesNothing posts a callback and, while its write is
// held just before its commit, the same callback again, over HTTP to the
// service's callback endpoint. The repeat passes the duplicate check (the
// first copy is not committed yet) and reaches the writer, which must
// find it recorded: both are answered "sent", the first copy's batch is
// the only commit, and the payment has exactly one effect. For a paid
// notification the state machine already made the repeat change nothing
// (it then committed an empty transaction); for one whose amount does not
// match, each copy recorded its own anomaly.
func TestRacingRepeatWritesNothing(t *testing.T) {
	for _, tc := range []struct {
		name, amount, event string
	}{
		{"paid", "12.50", "payment.paid"},
		{"amount mismatch", "99.00", "anomaly"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := paymentstest.NewEnv(t, paymentstest.Options{})
			ref := "RACEREF0000000000000000001"
			id, _ := env.MustPending(t, "race-"+tc.name, ref)
			form := paymentstest.Notification(ref, "wechat", "paid", "NZD", tc.amount)
			held, release := make(chan struct{}), make(chan struct{})
			var commits atomic.Int32
			sqlite.SetBeforeCommit(env.Store, func(int) error {
				if commits.Add(1) == 1 {
					close(held)
					<-release
				}
				return nil
			})
			answers := make(chan string, 2)
			var wg sync.WaitGroup
			wg.Go(func() { answers <- env.PostCallback(t, form) })
			<-held
			wg.Go(func() { answers <- env.PostCallback(t, form) })
			for sqlite.Waiting(env.Store) < 1 {
				time.Sleep(time.Millisecond) // polling, not timing: waits for the repeat to queue
			}
			close(release)
			wg.Wait()
			close(answers)
			for a := range answers {
				if a != "200 sent" {
					t.Errorf("callback answered %q, want 200 sent", a)
				}
			}
			if c := commits.Load(); c != 1 {
				t.Errorf("%d commits, want 1: the repeat commits nothing", c)
			}
			ns, err := env.Store.Notifications(t.Context(), ref)
			if err != nil {
				t.Fatal(err)
			}
			evs := env.MustEvents(t, id)
			if k := paymentstest.CountEvents(evs, tc.event); len(ns) != 1 || k != 1 {
				t.Errorf("%d notifications and %d %s events, want 1 and 1", len(ns), k, tc.event)
			}
			// Later repeats are answered from memory: no write at all.
			for range 3 {
				if a := env.PostCallback(t, form); a != "200 sent" {
					t.Errorf("later repeat answered %q, want 200 sent", a)
				}
			}
			if c := commits.Load(); c != 1 {
				t.Errorf("%d commits after later repeats, want 1", c)
			}
		})
	}
}
