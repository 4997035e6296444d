package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/latipay-hpp/hpp/payments"
)

// Group commit of Update. With synchronous_commit on, each commit waits
// for its WAL flush, and each transaction costs the server its own BEGIN,
// locks, reads, commit record and wake-ups. Concurrent Updates instead
// join a queue, and whoever holds one of maxGroups turns takes what is
// waiting (at most one write per payment, at most maxGroup writes) and
// runs it as one transaction on one connection: the payments locked in id
// order by one statement, their attempts, refunds and last event numbers
// read by one statement each, every fn run on its payment, every write
// sent as one pipelined batch with COMMIT. Each caller is answered only
// after that COMMIT has returned and the doorbell for the batch has been
// sent, so a nil error still means durable, and the doorbell still leaves
// before the write returns.
//
// Locks: every batch locks its payments in id order, in one statement, so
// two batches (of this instance or another) never wait for each other in
// a cycle; a single Update locks one payment.
//
// Failures: fn's own error (or a link's use refused) fails its caller
// alone, with nothing of it written. A statement of one write that the
// server refuses (a constraint, an attempt or refund of another payment,
// a deadlock in a link's row locks) fails that write's caller: the batch
// is rolled back and run again without it, every other fn running again
// on what is then stored (fn must not act outside its Tx, so running it
// again is what a retried transaction does). Anything else (the locks,
// the reads, the COMMIT, the connection) fails every caller of the batch
// with that error, never success.
type grouper struct {
	turns chan struct{} // a batch runs only while its runner holds a turn
	mu    sync.Mutex
	queue []*groupJob // guarded by mu, in arrival order
	// started, when set (by tests), is called with the writes of each
	// batch as it begins, by its runner.
	started func(n int)
}

// maxGroups bounds the batches running at once, each on its own
// connection; maxGroup the writes one batch carries.
const (
	maxGroups = 4
	maxGroup  = 64
)

func newGrouper(turns int) *grouper { return &grouper{turns: make(chan struct{}, turns)} }

// queued is the number of writes waiting for a batch.
func (g *grouper) queued() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue)
}

// groupJob is one Update waiting in the queue or running in a batch.
type groupJob struct {
	ctx  context.Context
	id   string
	fn   func(tx *payments.Tx) error
	done chan struct{} // closed once res and err are final

	res payments.Payment
	err error

	// Set by the batch running the job, for that batch only.
	p       payments.Payment // as read under the lock
	w       payments.Payment // as written (p when nothing is)
	t       *payments.Tx     // nil when nothing is written
	fnErr   error
	lastSeq int64
}

func (j *groupJob) answer(p payments.Payment, err error) {
	j.res, j.err = p, err
	close(j.done)
}

// updateGrouped is Update through the queue: it returns once a batch
// holding this write has committed (or failed). The caller runs batches
// itself while its write is waiting and a turn is free, so no other
// goroutine needs to be scheduled for it. A caller whose ctx ends while
// its write is still queued takes it out of the queue and returns
// ctx.Err() at once: no batch will ever run it. Once a batch has taken
// the write, the caller waits for that batch's answer, whatever its ctx:
// the write may commit, and only the batch knows.
func (db *DB) updateGrouped(ctx context.Context, id string, fn func(tx *payments.Tx) error) (payments.Payment, error) {
	g := db.group
	j := &groupJob{ctx: ctx, id: id, fn: fn, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, j)
	g.mu.Unlock()
	for {
		if ctx.Err() != nil && g.withdraw(j) {
			return payments.Payment{}, ctx.Err()
		}
		select {
		case <-j.done:
			return j.res, j.err
		case <-ctx.Done():
			if g.withdraw(j) {
				return payments.Payment{}, ctx.Err()
			}
			<-j.done // a batch took it: its answer is the truth
			return j.res, j.err
		case g.turns <- struct{}{}:
			batch := g.take()
			if len(batch) > 0 {
				db.runGroup(batch)
			}
			<-g.turns
			if len(batch) == 0 { // another runner has this write
				<-j.done
				return j.res, j.err
			}
		}
	}
}

// withdraw removes j from the queue, under the lock that take holds, and
// reports whether it was still there: false means a batch has taken it.
func (g *grouper) withdraw(j *groupJob) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := slices.Index(g.queue, j)
	if i < 0 {
		return false
	}
	g.queue = slices.Delete(g.queue, i, i+1)
	return true
}

// take removes from the queue the writes of the next batch: in arrival
// order, the first write of each payment (a later write of one payment
// must see the earlier one committed, so it waits for the next batch),
// at most maxGroup.
func (g *grouper) take() []*groupJob {
	g.mu.Lock()
	defer g.mu.Unlock()
	var batch []*groupJob
	var rest []*groupJob
	ids := make(map[string]bool, len(g.queue))
	for _, j := range g.queue {
		if len(batch) == maxGroup || ids[j.id] {
			rest = append(rest, j)
			continue
		}
		ids[j.id] = true
		batch = append(batch, j)
	}
	g.queue = rest
	return batch
}

// runGroup runs batch until every job of it is answered.
func (db *DB) runGroup(batch []*groupJob) {
	for len(batch) > 0 {
		batch = db.tryGroup(batch)
	}
}

// blamedError is a write refused by the server (or by the store's check
// of its rows), which fails its caller alone.
type blamedError struct {
	job *groupJob
	err error
}

func (e *blamedError) Error() string { return e.err.Error() }
func (e *blamedError) Unwrap() error { return e.err }

// tryGroup runs the jobs as one transaction. It answers every job, or,
// when one write was refused, answers that one and returns the others, to
// be run again without it.
func (db *DB) tryGroup(batch []*groupJob) []*groupJob {
	live := batch[:0:0]
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.answer(payments.Payment{}, err)
			continue
		}
		j.p, j.w, j.t, j.fnErr, j.lastSeq = payments.Payment{}, payments.Payment{}, nil, nil, 0
		live = append(live, j)
	}
	if len(live) == 0 {
		return nil
	}
	if h := db.group.started; h != nil {
		h(len(live))
	}
	// Not cancellable once started: interrupting a statement would roll
	// back the other callers' writes too.
	ctx := context.WithoutCancel(live[0].ctx)
	var rd groupRead
	err := db.inPipelinedTx(ctx, func(c *pgxpool.Conn) error {
		var err error
		if rd, err = readGroup(ctx, c, live); err != nil {
			return err
		}
		commitWith := true
		var writers []*groupJob
		for _, j := range live {
			p, ok := rd.payments[j.id]
			if !ok {
				continue
			}
			j.p, j.lastSeq = p, rd.seq[j.id]
			var cw bool
			j.t, j.w, cw, j.fnErr, err = applyJob(ctx, c, p, rd.attempts[j.id], rd.refunds[j.id], j.fn)
			if err != nil {
				return &blamedError{job: j, err: err}
			}
			if j.t != nil {
				writers = append(writers, j)
				commitWith = commitWith && cw
			}
		}
		if len(writers) == 0 {
			_, err := c.Exec(ctx, "COMMIT") // a transaction that wrote nothing
			return err
		}
		b := &pgx.Batch{}
		var (
			owner   []*groupJob // the job of each queued statement
			n       int         // statements answered so far
			refused *blamedError
		)
		for _, j := range writers {
			queueWrite(b, j.w, j.t, j.lastSeq, func(err error) error {
				if err != nil {
					refused = &blamedError{job: j, err: err}
					return err
				}
				n++
				return nil
			})
			for len(owner) < b.Len() {
				owner = append(owner, j)
			}
		}
		if commitWith {
			b.Queue("COMMIT")
		}
		if err := c.SendBatch(ctx, b).Close(); err != nil {
			var pe *pgconn.PgError
			switch {
			case refused != nil:
				return refused
			case errors.As(err, &pe) && n < len(owner):
				// The server refused statement n (the batch's statements
				// before it all answered): it belongs to one write.
				return &blamedError{job: owner[n], err: err}
			}
			return err
		}
		if !commitWith {
			_, err := c.Exec(ctx, "COMMIT")
			return err
		}
		return nil
	})
	var blamed *blamedError
	if errors.As(err, &blamed) {
		blamed.job.answer(blamed.job.p, wrap("update", fmt.Errorf("write: %w", blamed.err)))
		return slices.DeleteFunc(live, func(j *groupJob) bool { return j == blamed.job })
	}
	if err == nil {
		var entries []string
		for _, j := range live {
			if j.t != nil {
				entries = append(entries, bellEntry(j.w))
			}
		}
		if db.bell != nil && len(entries) > 0 {
			db.bell.ringAll(entries)
		}
	}
	for _, j := range live {
		_, ok := rd.payments[j.id]
		switch {
		case j.fnErr != nil:
			j.answer(j.p, j.fnErr)
		case err != nil:
			j.answer(j.p, wrap("update", err))
		case !ok:
			j.answer(payments.Payment{}, payments.ErrNotFound)
		default:
			j.answer(j.w, nil)
		}
	}
	return nil
}

// applyJob is apply, with a panic in fn turned into fn's error, so that
// one bad write cannot leave the others of its batch unanswered.
func applyJob(ctx context.Context, c *pgxpool.Conn, p payments.Payment, as []payments.Attempt, rs []payments.Refund,
	fn func(tx *payments.Tx) error) (t *payments.Tx, w payments.Payment, commitWith bool, fnErr, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, w, commitWith, fnErr, err = nil, p, false, fmt.Errorf("postgres: update panicked: %v", r), nil
		}
	}()
	return apply(ctx, c, p, as, rs, fn)
}

// groupRead is what a batch read under its locks, by payment id.
type groupRead struct {
	payments map[string]payments.Payment
	attempts map[string][]payments.Attempt
	refunds  map[string][]payments.Refund
	seq      map[string]int64
}

// genericPlans makes the batch's statements run the plans prepared once
// per connection. PostgreSQL plans a prepared statement afresh for each
// execution (a custom plan) until a generic one looks no dearer, and for
// the three reads below that take an array of ids (= ANY($1)) it never
// does: every batch planned each of them again, the planner opening
// payments and its ten indexes every time (7.5% of the server's CPU in
// BenchmarkCallbackParallel's backends, by perf). Their generic plans
// read through the same indexes (payments_pkey, attempts_payment,
// events_pkey: TestGroupReadsGenericPlans), whatever the number of ids;
// the refunds' read already ran its generic plan. SET LOCAL
// ends with the transaction, so the connection's other statements keep
// PostgreSQL's choice.
const genericPlans = "SET LOCAL plan_cache_mode = force_generic_plan"

// readGroup begins the batch's transaction and, in the same round trip,
// locks the batch's payments in id order and reads them, then their
// attempts, refunds and last event numbers (read after the locks are
// held, so they are the latest committed).
func readGroup(ctx context.Context, c *pgxpool.Conn, jobs []*groupJob) (groupRead, error) {
	ids := make([]string, 0, len(jobs))
	for _, j := range jobs {
		ids = append(ids, j.id)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	rd := groupRead{payments: make(map[string]payments.Payment, len(ids)), attempts: map[string][]payments.Attempt{},
		refunds: map[string][]payments.Refund{}, seq: map[string]int64{}}
	b := &pgx.Batch{}
	b.Queue(beginReadCommitted)
	b.Queue(genericPlans)
	b.Queue(`SELECT `+paymentCols+` FROM payments WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids).Query(func(rows pgx.Rows) error {
		ps, err := scanRows(rows, scanPayment)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		for _, p := range ps {
			rd.payments[p.ID] = p
		}
		return nil
	})
	b.Queue(`SELECT `+attemptCols+` FROM attempts WHERE payment_id = ANY($1) ORDER BY payment_id, created_at, seq`, ids).Query(func(rows pgx.Rows) error {
		as, err := scanRows(rows, scanAttempt)
		if err != nil {
			return fmt.Errorf("load attempts: %w", err)
		}
		for _, a := range as {
			rd.attempts[a.PaymentID] = append(rd.attempts[a.PaymentID], a)
		}
		return nil
	})
	b.Queue(`SELECT `+refundCols+` FROM refunds WHERE payment_id = ANY($1) ORDER BY payment_id, created_at, seq`, ids).Query(func(rows pgx.Rows) error {
		rs, err := scanRows(rows, scanRefund)
		if err != nil {
			return fmt.Errorf("load refunds: %w", err)
		}
		for _, r := range rs {
			rd.refunds[r.PaymentID] = append(rd.refunds[r.PaymentID], r)
		}
		return nil
	})
	b.Queue(`SELECT payment_id, MAX(seq) FROM events WHERE payment_id = ANY($1) GROUP BY payment_id`, ids).Query(func(rows pgx.Rows) error {
		defer rows.Close()
		for rows.Next() {
			var id string
			var seq int64
			if err := rows.Scan(&id, &seq); err != nil {
				return fmt.Errorf("event seq: %w", err)
			}
			rd.seq[id] = seq
		}
		return rows.Err()
	})
	return rd, c.SendBatch(ctx, b).Close()
}
