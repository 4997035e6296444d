package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/storetest"
)

// seedPending stores n pending payments with one pending attempt each and
// returns their ids and the attempts' references.
func seedPending(t *testing.T, db *DB, n int) (ids, refs []string) {
	t.Helper()
	end := testNow()
	var rows []payments.NewPayment
	for i := range n {
		row := storetest.GrowthRow(i+1, end)
		p, a := row.Payment, row.Attempts[0]
		p.Status, p.PaidAt, p.LatipayOrderID, p.Refunded = payments.StatusPending, time.Time{}, "", 0
		a.Status, a.OrderID = payments.AttemptPending, ""
		row.Payment, row.Attempts = p, []payments.Attempt{a}
		rows = append(rows, row)
		ids, refs = append(ids, p.ID), append(refs, a.Reference)
	}
	if err := db.CreatePayments(t.Context(), rows); err != nil {
		t.Fatal(err)
	}
	return ids, refs
}

// payIfPending is a paid callback's fn: pending moves to paid with its
// event, anything else is left alone (a repeated callback).
func payIfPending(tx *payments.Tx) error {
	if tx.Payment.Status != payments.StatusPending {
		return nil
	}
	a := tx.Attempts[0]
	tx.Payment.Status, tx.Payment.PaidAt, tx.Payment.UpdatedAt = payments.StatusPaid, testNow(), testNow()
	a.Status = payments.AttemptPaid
	tx.PutAttempt(a)
	tx.AddEvent(payments.Event{Type: "payment.paid", From: payments.StatusPending, To: payments.StatusPaid, CreatedAt: testNow()})
	return nil
}

// holdFirstBatch makes db run one batch at a time and holds its first
// batch until want further writes are queued, so that the next batch
// carries them all. It returns the sizes of the batches run.
func holdFirstBatch(t *testing.T, db *DB, want int) func() []int {
	t.Helper()
	g := newGrouper(1)
	var mu sync.Mutex
	var sizes []int
	g.started = func(n int) {
		mu.Lock()
		sizes = append(sizes, n)
		first := len(sizes) == 1
		mu.Unlock()
		for first && g.queued() < want {
			time.Sleep(time.Millisecond) // waits for a state, asserts no time
		}
	}
	db.group = g
	return func() []int {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(sizes)
	}
}

// paidEvents counts each payment's paid transitions.
func paidEvents(t *testing.T, db *DB, ids []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, id := range ids {
		evs, err := db.Events(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range evs {
			if e.Seq != int64(i+1) {
				t.Fatalf("%s: event %d has seq %d", id, i+1, e.Seq)
			}
			if e.To == payments.StatusPaid && e.From != payments.StatusPaid {
				out[id]++
			}
		}
	}
	return out
}

// Concurrent callbacks for distinct payments and for the same payment,
// batched together: one transition each, every caller answered with the
// payment as committed.
func TestGroupCommitOneTransitionEach(t *testing.T) {
	db := mustOpen(t, pgtest.Schema(t))
	ids, _ := seedPending(t, db, 16)
	const repeats = 8 // further callbacks for ids[0]
	before := map[string]int64{}
	for _, id := range ids {
		p, err := db.Payment(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		before[id] = p.Version
	}
	sizes := holdFirstBatch(t, db, len(ids)-1+repeats)
	var wg sync.WaitGroup
	errs := make(chan error, len(ids)+repeats)
	call := func(id string) {
		got, err := db.Update(context.Background(), id, payIfPending)
		if err == nil && (got.ID != id || got.Status != payments.StatusPaid) {
			err = fmt.Errorf("Update(%s) = %s %s", id, got.ID, got.Status)
		}
		errs <- err
	}
	wg.Go(func() { call(ids[0]) })
	for g := db.group; g.queued() > 0 || len(sizes()) == 0; {
		time.Sleep(time.Millisecond) // until the first batch has taken ids[0]
	}
	for _, id := range ids[1:] {
		wg.Go(func() { call(id) })
	}
	for range repeats {
		wg.Go(func() { call(ids[0]) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if s := sizes(); len(s) < 2 || s[1] != len(ids)-1+1 {
		// The second batch: every other payment plus one repeat of
		// ids[0]; the other repeats wait for later batches.
		t.Errorf("batch sizes %v: the second batch should carry %d writes", s, len(ids))
	}
	paid := paidEvents(t, db, ids)
	for _, id := range ids {
		if paid[id] != 1 {
			t.Errorf("%s: %d paid transitions, want 1", id, paid[id])
		}
		p, err := db.Payment(t.Context(), id)
		if err != nil || p.Status != payments.StatusPaid || p.Version != before[id]+1 {
			t.Errorf("%s: %s version %d, %v; want paid, version %d", id, p.Status, p.Version, err, before[id]+1)
		}
	}
}

// A write that fails in a batch fails alone: fn's own error, a statement
// the server refuses (a constraint) and an attempt of another payment
// (refused by the store) each fail their caller, and the other writes of
// the batch commit.
func TestGroupCommitFailingWriteAlone(t *testing.T) {
	u := pgtest.Schema(t)
	db := mustOpen(t, u)
	pgtest.Exec(t, u, `ALTER TABLE events ADD CONSTRAINT events_no_refused CHECK (detail <> 'refused')`)
	ids, refs := seedPending(t, db, 8)
	sizes := holdFirstBatch(t, db, 7)
	errFn := errors.New("refused by fn")
	fns := map[string]func(tx *payments.Tx) error{
		ids[1]: func(tx *payments.Tx) error {
			if err := payIfPending(tx); err != nil {
				return err
			}
			return errFn
		},
		ids[2]: func(tx *payments.Tx) error { // refused by the server
			tx.AddEvent(payments.Event{Type: "payment.noted", From: tx.Payment.Status, To: tx.Payment.Status,
				Detail: "refused", CreatedAt: testNow()})
			return payIfPending(tx)
		},
		ids[3]: func(tx *payments.Tx) error { // refused by the store
			if err := payIfPending(tx); err != nil {
				return err
			}
			tx.PutAttempt(payments.Attempt{Reference: refs[7], Method: tx.Payment.Method, Status: payments.AttemptPaid,
				CreatedAt: testNow(), Kind: payments.KindOnline})
			return nil
		},
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	wg.Go(func() { _, errs[0] = db.Update(context.Background(), ids[0], payIfPending) })
	for g := db.group; g.queued() > 0 || len(sizes()) == 0; {
		time.Sleep(time.Millisecond)
	}
	for i, id := range ids[1:] {
		fn := fns[id]
		if fn == nil {
			fn = payIfPending
		}
		wg.Go(func() { _, errs[i+1] = db.Update(context.Background(), id, fn) })
	}
	wg.Wait()
	if s := sizes(); len(s) < 2 || s[1] != 7 {
		t.Fatalf("batch sizes %v: the second batch should carry 7 writes", s)
	}
	if !errors.Is(errs[1], errFn) {
		t.Errorf("fn's error: got %v", errs[1])
	}
	if pe := (*pgconn.PgError)(nil); !errors.As(errs[2], &pe) || pe.Code != "23514" {
		t.Errorf("refused event: got %v, want a check violation", errs[2])
	}
	if !errors.Is(errs[3], payments.ErrConflict) {
		t.Errorf("attempt of another payment: got %v, want ErrConflict", errs[3])
	}
	paid := paidEvents(t, db, ids)
	for i, id := range ids {
		want := 1
		if i >= 1 && i <= 3 {
			want = 0
		}
		if i != 1 && i != 2 && i != 3 && errs[i] != nil {
			t.Errorf("%s: %v", id, errs[i])
		}
		if paid[id] != want {
			t.Errorf("%s: %d paid transitions, want %d", id, paid[id], want)
		}
	}
	a, err := db.Attempt(t.Context(), refs[7])
	if err != nil || a.PaymentID != ids[7] {
		t.Errorf("attempt %s: %+v, %v; want it still %s's", refs[7], a, err, ids[7])
	}
}

// A commit the server refuses answers every caller of the batch with an
// error, and nothing of the batch is stored.
func TestGroupCommitFailedCommit(t *testing.T) {
	u := pgtest.Schema(t)
	db := mustOpen(t, u)
	ids, _ := seedPending(t, db, 6)
	// A deferred constraint trigger runs at COMMIT: it refuses the commit
	// of any transaction that inserted a 'payment.paid' event of ids[3].
	pgtest.Exec(t, u, `CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'commit refused'; END $$`)
	pgtest.Exec(t, u, fmt.Sprintf(`CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON events
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.payment_id = '%s') EXECUTE FUNCTION refuse_commit()`, ids[3]))
	sizes := holdFirstBatch(t, db, 5)
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	got := make([]payments.Payment, len(ids))
	wg.Go(func() { got[0], errs[0] = db.Update(context.Background(), ids[0], payIfPending) })
	for g := db.group; g.queued() > 0 || len(sizes()) == 0; {
		time.Sleep(time.Millisecond)
	}
	for i, id := range ids[1:] {
		wg.Go(func() { got[i+1], errs[i+1] = db.Update(context.Background(), id, payIfPending) })
	}
	wg.Wait()
	if s := sizes(); len(s) < 2 || s[1] != 5 {
		t.Fatalf("batch sizes %v: the second batch should carry 5 writes", s)
	}
	if errs[0] != nil {
		t.Errorf("%s, in the first batch: %v", ids[0], errs[0])
	}
	paid := paidEvents(t, db, ids)
	for i, id := range ids[1:] {
		if errs[i+1] == nil {
			t.Errorf("%s: answered %s with no error after a failed commit", id, got[i+1].Status)
		}
		if paid[id] != 0 {
			t.Errorf("%s: %d paid transitions stored after a failed commit", id, paid[id])
		}
		if p, err := db.Payment(t.Context(), id); err != nil || p.Status != payments.StatusPending {
			t.Errorf("%s: %s, %v; want pending", id, p.Status, err)
		}
	}
}

// Two stores (two instances) on one schema, each batching writes to the
// same payments in random orders at once: no deadlock, no lost write.
func TestGroupCommitTwoStoresNoDeadlock(t *testing.T) {
	u := pgtest.Schema(t)
	a, b := mustOpen(t, u), mustOpen(t, u)
	ids, _ := seedPending(t, a, 12)
	before := map[string]int64{}
	for _, id := range ids {
		p, err := a.Payment(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		before[id] = p.Version
	}
	const rounds = 6 // writes per payment per goroutine
	touch := func(tx *payments.Tx) error {
		tx.AddEvent(payments.Event{Type: "payment.checked", From: tx.Payment.Status, To: tx.Payment.Status, CreatedAt: testNow()})
		tx.Touch()
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for _, db := range []*DB{a, b} {
		for w := range 8 {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(w), 7))
				for range rounds {
					order := slices.Clone(ids)
					r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
					for _, id := range order[:6] {
						if _, err := db.Update(context.Background(), id, touch); err != nil {
							errs <- err
						}
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var events int
	for _, id := range ids {
		evs, err := a.Events(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		p, err := a.Payment(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for i, e := range evs {
			if e.Seq != int64(i+1) {
				t.Errorf("%s: event %d has seq %d", id, i+1, e.Seq)
			}
			if e.Type == "payment.checked" {
				checked++
			}
		}
		if int64(checked) != p.Version-before[id] {
			t.Errorf("%s: %d writes stored, version %d from %d", id, checked, p.Version, before[id])
		}
		events += checked
	}
	if want := 2 * 8 * rounds * 6; events != want {
		t.Errorf("%d writes stored, want %d", events, want)
	}
}

// TestStoreWithoutGroupCommit runs the store contract with group_commit=off
// in the URL: one transaction per Update.
func TestStoreWithoutGroupCommit(t *testing.T) {
	pgtest.URL(t)
	storetest.Run(t, func(t *testing.T) payments.Store {
		db := mustOpen(t, pgtest.Schema(t)+"&group_commit=off")
		if db.group != nil {
			t.Fatal("group_commit=off: Update still batches")
		}
		return db
	})
}

// The URL's group_commit parameter is the store's: on or off, anything
// else refused, and never sent to the server (which would refuse the
// connection for an unknown setting).
func TestGroupCommitParam(t *testing.T) {
	base := pgtest.Schema(t)
	for _, c := range []struct {
		add   string
		group bool
	}{{"", true}, {"&group_commit=on", true}, {"&group_commit=off", false}} {
		db := mustOpen(t, base+c.add)
		if (db.group != nil) != c.group {
			t.Errorf("%q: batching %v, want %v", c.add, db.group != nil, c.group)
		}
		if _, err := db.Payment(t.Context(), "pay_none"); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("%q: %v", c.add, err)
		}
	}
	if _, err := Open(t.Context(), base+"&group_commit=maybe", testNow); err == nil {
		t.Error("group_commit=maybe accepted")
	}
}

// TestGroupReadsGenericPlans: the batch's reads by an array of ids run
// the plan prepared once per connection, never one planned afresh for
// each batch (pg_prepared_statements counts both kinds), and that plan
// reads through an index (payments_pkey, attempts_payment,
// refunds_payment, events_pkey), not every row, among 2,000 payments. One connection, so every batch
// runs on the one whose statements are counted.
func TestGroupReadsGenericPlans(t *testing.T) {
	db := mustOpen(t, pgtest.Schema(t)+"&pool_max_conns=1")
	ids, _ := seedPending(t, db, 2000)
	// Refunds of other payments, so that refunds has rows to plan for.
	if _, err := db.pool.Exec(t.Context(), `INSERT INTO refunds (id, payment_id, amount, currency, status, created_at, updated_at)
		SELECT 'rf_' || id, id, 100, currency, 'succeeded', created_at, created_at FROM payments WHERE id <> ALL($1)`, ids[:12]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(t.Context(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:12] {
		if _, err := db.Update(t.Context(), id, payIfPending); err != nil {
			t.Fatal(err)
		}
	}
	c, err := db.pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	rows, err := c.Query(t.Context(), `SELECT name, statement, generic_plans, custom_plans FROM pg_prepared_statements
		WHERE statement LIKE '%= ANY($1)%' AND statement NOT LIKE '%pg_prepared_statements%'`)
	if err != nil {
		t.Fatal(err)
	}
	type stmt struct {
		name, sql       string
		generic, custom int64
	}
	var got []stmt
	for rows.Next() {
		var s stmt
		if err := rows.Scan(&s.name, &s.sql, &s.generic, &s.custom); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 { // the payments, their attempts, refunds and last event numbers
		t.Fatalf("%d prepared reads by an array of ids, want 4: %+v", len(got), got)
	}
	// EXPLAIN EXECUTE shows the cached plan; with generic plans forced it
	// is the one the batches ran.
	if _, err := c.Exec(t.Context(), "SET plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	defer c.Exec(context.WithoutCancel(t.Context()), "RESET plan_cache_mode")
	for _, s := range got {
		if s.custom != 0 || s.generic < 12 {
			t.Errorf("%d generic and %d custom plans over 12 batches, want only generic: %s", s.generic, s.custom, s.sql)
		}
		res, err := c.Conn().PgConn().Exec(t.Context(), "EXPLAIN (COSTS OFF) EXECUTE "+s.name+"('{"+ids[0]+","+ids[1]+"}')").ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for _, r := range res {
			for _, row := range r.Rows {
				plan = append(plan, string(row[0]))
			}
		}
		if p := strings.Join(plan, "\n"); strings.Contains(p, "Seq Scan") || !strings.Contains(p, "Index") {
			t.Errorf("the generic plan reads every row:\n%s\n%s", s.sql, p)
		}
	}
}
