package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/latipay-hpp/hpp/payments"
)

// Group commit. Every commit with synchronous=FULL waits for an fsync, so
// one transaction per write caps writes at the disk's fsync rate (the
// "durability ceiling" of e2e/load). Instead, CreatePayment and Update
// hand their work to one writer goroutine, which runs the writes queued at
// that moment in one transaction and commits once. Each caller gets its
// result only after that commit has returned, so "nil" still means
// durable: Latipay is told "sent" only after the effect is fsynced.
// Writes in one batch run one after another, in arrival order, and each
// sees the ones before it, exactly as if they had committed in turn.
//
// A write that fails is undone alone. Most failures happen before the
// write has changed anything (the payment is unknown, the service refused
// the change), so writes run without a savepoint (two statements fewer
// per write: 4% of the writer's CPU in a profile of the callback
// scenario), and the batch takes none either: while a savepoint is open
// SQLite copies every page a statement first changes into an in-memory
// sub-journal and frees it at the commit, which was a quarter of the
// writer's CPU in a profile of the callback benchmark
// (handlers.BenchmarkCallback). The statements a write executes are
// recorded instead. When a write fails after changing something, the
// whole transaction is rolled back and begun again on the same pinned
// connection (no other writer can take the write lock in between), the
// recorded statements of the writes before it are executed again (they
// read the same state, so they write the same rows), and the batch goes
// on with the next write.
//
// The writer goroutine is also the one that tells the payment cache
// (cache.go) about writes: it marks the payments a batch wrote before the
// commit, keeps them after it (or drops them if it failed), and only then
// answers the callers. That orders the cache's versions as the commits.

// maxBatch bounds the writes that share one commit.
const maxBatch = 128

// errClosed is returned for writes submitted after Close.
var errClosed = errors.New("sqlite: database closed")

// job is one write waiting for the writer goroutine.
type job struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx cached) error
	out  *payments.Payment // if not nil, the payment as fn left it, for the cache
	done chan error        // buffered; receives exactly one result
}

// batcher feeds the writer goroutine.
type batcher struct {
	jobs    chan job      // unbuffered: a received job is always answered
	quit    chan struct{} // closed by stop
	stopped chan struct{} // closed when the writer goroutine has returned
	once    sync.Once
	waiting atomic.Int32       // writes handed to inTx and not yet taken by the writer goroutine
	written []payments.Payment // the writer goroutine's: the payments of the batch being committed
	created bool               // the writer goroutine's: a job of the batch inserted a payment (text.go)
}

func newBatcher() *batcher {
	return &batcher{jobs: make(chan job), quit: make(chan struct{}), stopped: make(chan struct{})}
}

// stop ends the writer goroutine after its current batch.
func (b *batcher) stop() {
	b.once.Do(func() { close(b.quit) })
	<-b.stopped
}

// inTx runs fn in a write transaction, possibly shared with other writes
// (group commit), and returns fn's error, or the commit's, once committed.
// If out is not nil, fn sets it to the payment as it left it; once the
// commit has returned, the payment cache keeps it (before inTx returns).
func (db *DB) inTx(ctx context.Context, out *payments.Payment, fn func(ctx context.Context, tx cached) error) error {
	j := job{ctx: ctx, fn: fn, out: out, done: make(chan error, 1)}
	db.batch.waiting.Add(1)
	select {
	case db.batch.jobs <- j:
		db.batch.waiting.Add(-1)
	case <-db.batch.quit:
		db.batch.waiting.Add(-1)
		return errClosed
	case <-ctx.Done():
		db.batch.waiting.Add(-1)
		return ctx.Err()
	}
	return <-j.done
}

// writeLoop is the writer goroutine, started by Open and ended by Close.
func (db *DB) writeLoop() {
	defer close(db.batch.stopped)
	for {
		var batch []job
		select {
		case j := <-db.batch.jobs:
			batch = append(batch, j)
		case <-db.batch.quit:
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case j := <-db.batch.jobs:
				batch = append(batch, j)
			default:
				break more
			}
		}
		errs := db.commitBatch(batch)
		for i, j := range batch {
			j.done <- errs[i]
		}
	}
}

// commitBatch runs the jobs in one transaction and commits it. A job
// whose fn succeeded gets the commit's error, if any.
func (db *DB) commitBatch(batch []job) []error {
	errs := make([]error, len(batch))
	fail := func(err error) []error { return db.failAll(errs, err) }
	bg := context.Background()
	// The one write connection stays pinned for the whole batch, so a
	// replay's transaction follows the undone one with no other write
	// between them.
	conn, err := db.writer.Conn(bg)
	if err != nil {
		return fail(wrap("begin", err))
	}
	defer conn.Close()
	if db.ckpt.finish.CompareAndSwap(true, false) {
		// The checkpointer copied the WAL back up to where it began; copy
		// the frames committed since, so that this transaction starts the
		// WAL over (checkpoint.go). A failure leaves it to the next round.
		_ = checkpoint(bg, conn)
	}
	if err := conn.Raw(func(dc any) error {
		raw, err := db.raw.attach(dc)
		if err != nil {
			return err
		}
		errs = db.runBatch(raw, batch, errs)
		return nil
	}); err != nil {
		return fail(wrap("begin", err))
	}
	return errs
}

// failAll gives err to every job of the batch that has no error yet.
func (db *DB) failAll(errs []error, err error) []error {
	db.noteDamage(err)
	err = db.noteWrite(err)
	for i := range errs {
		if errs[i] == nil {
			errs[i] = err
		}
	}
	return errs
}

// runBatch is commitBatch on the write connection's driver connection
// (raw.go), where every statement of the batch runs.
func (db *DB) runBatch(raw *rawConn, batch []job, errs []error) []error {
	fail := func(err error) []error { return db.failAll(errs, err) }
	bg := context.Background()
	tx, err := raw.begin()
	if err != nil {
		return fail(wrap("begin", err))
	}
	open := true // the last transaction begun is not yet ended
	defer func() {
		if open {
			tx.Rollback()
		}
	}()
	q := cached{c: db.ws, raw: raw}
	var kept []execRecord // the statements of the jobs that succeeded so far
	ok := 0               // jobs that succeeded and wrote something
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		// Not cancellable once started: interrupting a statement would
		// roll back the whole transaction, other callers' writes included.
		ctx := context.WithoutCancel(j.ctx)
		before := len(kept)
		jq := q
		jq.rec = &kept
		if errs[i] = db.noteWrite(runJob(ctx, jq, j.fn)); errs[i] == nil {
			if len(kept) > before {
				ok++
			}
			continue
		}
		if len(kept) == before {
			continue // failed before changing anything
		}
		kept = kept[:before]
		if err := tx.Rollback(); err != nil {
			return fail(wrap("rollback", err)) // the deferred rollback tries again
		}
		open = false
		if tx, err = raw.begin(); err != nil {
			return fail(wrap("begin", err))
		}
		open = true
		if err := replay(bg, q, kept); err != nil {
			return fail(err)
		}
	}
	if ok == 0 {
		// Nothing written (every job failed, or succeeded without a
		// write: fn changed nothing, a repeated notification, an
		// idempotent replay): nothing to commit. What the successful
		// ones read was committed already, as no job of this
		// transaction kept a write. The deferred rollback ends it.
		return errs
	}
	if db.batch.created {
		// After every job, as the last statements: see text.go. A failure
		// here fails the batch, as a failed commit would.
		db.batch.created = false
		if err := indexText(bg, q); err != nil {
			return fail(err)
		}
	}
	written := db.batch.written[:0]
	for i, j := range batch {
		if errs[i] == nil && j.out != nil && j.out.ID != "" {
			written = append(written, *j.out)
		}
	}
	db.batch.written = written
	db.cache.committing(written)
	if h := db.hooks.beforeCommit; h != nil {
		if err := h(ok); err != nil { // as if the commit failed: the deferred rollback undoes the batch
			db.cache.failed(written)
			return fail(wrap("commit", err))
		}
	}
	open = false // a failed commit rolls back (the driver's Tx.Commit)
	if err := tx.Commit(); err != nil {
		db.cache.failed(written)
		return fail(wrap("commit", err))
	}
	db.wrote()
	db.ckpt.poke()
	if h := db.hooks.committed; h != nil {
		for _, p := range written {
			h(p)
		}
	}
	db.cache.committed(written)
	return errs
}

// execRecord is one statement a job executed, kept so that it can be
// executed again after the batch rolls back and begins again.
type execRecord struct {
	query string
	args  []any
}

// replay executes the kept statements again, in order, in a transaction
// begun after the batch's first was rolled back.
func replay(ctx context.Context, q cached, kept []execRecord) error {
	for _, r := range kept {
		if _, err := q.ExecContext(ctx, r.query, r.args...); err != nil {
			return wrap("replay", err)
		}
	}
	return nil
}

// runJob runs fn, turning a panic into an error so that one bad write
// cannot take the writer goroutine (and every later write) down.
func runJob(ctx context.Context, q cached, fn func(context.Context, cached) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sqlite: write panicked: %v", r)
		}
	}()
	return fn(ctx, q)
}
