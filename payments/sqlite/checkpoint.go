package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"os"
	"sync"
	"sync/atomic"
)

// Checkpoints off the writer. In WAL mode a commit appends pages to the
// -wal file; a checkpoint copies them back into the database file and
// fsyncs it, after which SQLite may start the WAL again from its
// beginning. SQLite's own wal_autocheckpoint runs that checkpoint inside
// the commit that takes the WAL past the mark, on the one write
// connection: every write queued behind it (a checkout start's, a
// callback's) waited for the copy and the fsync. Measured in the load
// harness (e2e/load, checkout starts offered 1,000/s, 16 WAL pages a
// start): a checkpoint every half second, 19-28 ms each on a quiet
// machine and more on a loaded one, and every start slower than 50 ms was
// due in the 22 ms before one of them or during it (28 of 28 in one run;
// the client had sent each within 3 ms of its due time).
//
// So a checkpointer goroutine with its own connection does the copying:
// the writer nudges it after each commit, it reads how many WAL frames are
// not yet in the database file from the wal-index header (the -shm file:
// mxFrame at byte 16, nBackfill at byte 96, native byte order;
// https://www.sqlite.org/walformat.html), and once that reaches
// walCheckpointPages it runs PRAGMA wal_checkpoint(PASSIVE), which blocks
// neither the writer nor a reader. The writer keeps committing meanwhile,
// so the checkpoint ends a few frames short, and SQLite starts the WAL
// over from its beginning only when a write transaction begins with every
// frame copied back: otherwise the WAL grew by 8,000 frames a round (seen
// in the harness: 8,100, 16,186, 24,297 frames). So the checkpointer then
// asks the writer goroutine to finish: before its next transaction it runs
// the same PRAGMA on its own connection, which copies only the frames
// committed since (a few dozen at 1,000 starts a second) and lets that
// transaction start the WAL over. The writer's own wal_autocheckpoint
// stays as a backstop (walBackstopPages) in case the checkpointer cannot
// read the -shm file or falls behind.
//
// Durability does not change. A write is durable when its commit's frames
// are fsynced in the WAL (synchronous=FULL), which still happens inside
// the commit before any caller is answered (batch.go). A checkpoint only
// copies frames that are already durable there, and SQLite fsyncs the
// database file before it records them as copied; a WAL frame is
// overwritten only after that, so a crash during a checkpoint finds every
// committed page in the WAL or the fsynced database file (e2e
// TestDurability states the rule it checks with strace).

// walCheckpointPages is the checkpointer's mark: it checkpoints once the
// WAL holds this many frames not yet copied back (32 MB at 4 KB pages).
// SQLite's default 1,000 made every callback pay for its pages twice at
// short intervals: the pages callbacks dirty over and over (index
// interiors, the tails of the events and notifications tables) were
// copied back once per 1,000 frames. Three alternating pairs of
// handlers.BenchmarkCallback (8,000 callbacks): 298, 308 and 308 µs of CPU
// per callback against 336, 359 and 353 with 1,000.
const walCheckpointPages = 8000

// walBackstopPages is the writer's wal_autocheckpoint: reached only if
// the checkpointer cannot keep up (or cannot read the -shm file).
const walBackstopPages = 4 * walCheckpointPages

// checkpointer runs WAL checkpoints on its own connection.
type checkpointer struct {
	conn    *sql.DB      // one connection, the writer's pragmas
	shm     string       // the wal-index file
	mark    atomic.Int32 // frames not yet copied back that start a checkpoint
	nudge   chan struct{}
	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once
	rounds  atomic.Int64 // checkpoints run, for tests
	// finish is set after a checkpoint: the writer goroutine checkpoints
	// what was committed since before its next transaction (batch.go).
	finish atomic.Bool
	f      *os.File // the -shm file, opened on first use
}

func newCheckpointer(conn *sql.DB, path string) *checkpointer {
	c := &checkpointer{conn: conn, shm: path + "-shm",
		nudge: make(chan struct{}, 1), quit: make(chan struct{}), stopped: make(chan struct{})}
	c.mark.Store(walCheckpointPages)
	return c
}

// poke tells the checkpointer that a commit appended to the WAL. It never
// blocks.
func (c *checkpointer) poke() {
	select {
	case c.nudge <- struct{}{}:
	default:
	}
}

// stop ends the checkpointer after its current checkpoint.
func (c *checkpointer) stop() {
	c.once.Do(func() { close(c.quit) })
	<-c.stopped
}

// run is the checkpointer goroutine, started by Open and ended by Close.
func (c *checkpointer) run() {
	defer close(c.stopped)
	defer func() {
		if c.f != nil {
			c.f.Close()
		}
	}()
	for {
		select {
		case <-c.quit:
			return
		case <-c.nudge:
		}
		if c.pending() < int(c.mark.Load()) {
			continue
		}
		if err := checkpoint(context.Background(), c.conn); err != nil {
			continue // the writer's backstop still bounds the WAL
		}
		c.rounds.Add(1)
		c.finish.Store(true)
	}
}

// queryer is a pool or one of its connections.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// checkpoint runs a passive checkpoint on q.
func checkpoint(ctx context.Context, q queryer) error {
	var busy, log, done int
	return q.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
}

// pending returns the WAL frames not yet copied back into the database
// file, from the wal-index header; 0 if it cannot be read.
func (c *checkpointer) pending() int {
	if c.f == nil {
		f, err := os.Open(c.shm)
		if err != nil {
			return 0
		}
		c.f = f
	}
	mx, backfill, ok := c.header()
	if !ok || mx < backfill {
		return 0 // read while the header changed: the next nudge reads it again
	}
	return int(mx - backfill)
}

// header reads mxFrame and nBackfill from the wal-index header.
func (c *checkpointer) header() (mx, backfill uint32, ok bool) {
	var b [100]byte
	if _, err := c.f.ReadAt(b[:], 0); err != nil {
		return 0, 0, false
	}
	return binary.NativeEndian.Uint32(b[16:]), binary.NativeEndian.Uint32(b[96:]), true
}
