// Package sqlite stores payments in a single SQLite file through the pure-Go
// modernc.org/sqlite driver, so the binary builds with CGO_ENABLED=0.
//
// Durability comes first (invariant 2: Latipay is told "sent" only after
// the effect is fsynced): every connection runs in WAL mode with
// synchronous=FULL, foreign keys on and a 5 s busy timeout. Writes go
// through a pool of one connection and begin with BEGIN IMMEDIATE, so
// writers queue in-process instead of failing on SQLite's single write
// lock, and a writer in another process waits up to the busy timeout;
// after that the error surfaces and the caller answers 503. Reads use a
// separate pool and never wait for a writer.
//
// It imports payments and the driver only. All SQL for SQLite lives here:
// reads in read.go, writes in write.go (group-committed by batch.go, run
// on the write connection's driver connection by raw.go; the caches in
// front of them in cache.go; WAL checkpoints off the writer in
// checkpoint.go), migrations in
// migrations/ applied by migrate.go, the outbox in outbox.go, online
// backup in backup.go. Any
// change in behaviour must pass the shared contract in payments/storetest.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// writerPragmas are the write connection's own. cache_spill(0): SQLite
// writes a transaction's dirty pages to the WAL before its commit (a
// "spill") once they fill the page cache (cache_size, 2,000 KiB by
// default), and a spilled page that is read again comes back with a pread
// and a decode. At 1,000,000 payments a group-committed batch of
// creations or checkout starts dirties a leaf at a random place in each
// of several indexes per write (payment ids are random), so a batch
// filled the cache, spilled, and then read its own pages and the indexes'
// interior pages back: some 45 reads per write against 2 to 7 at 10,000
// (BenchmarkGrowth, 5,000 operations over 1,123,042 payments, alternating:
// create 47.7 → 12.9 reads and 422 → 291 µs of CPU, start 53.3 → 9.0 and
// 438 → 281 µs). Without spilling, the cache holds a transaction's dirty
// pages beyond cache_size until it commits; a batch is at most maxBatch
// writes (batch.go), so that is bounded, some hundreds to a few thousand
// pages: the benchmark's RSS after the callbacks was 52 MB against 41 to
// 44 MB with spilling, the same after creations and starts. CreatePayments and the
// migrations, whose transactions may hold every row, turn spilling back on
// for their own (spilling, bulk.go). A bigger cache_size was not the
// answer: 64 MB cut the reads as much but cost 110 MB of RSS
// (e2e/load/README.md).
const writerPragmas = "&_pragma=cache_spill(0)"

// readerConns is the size of the read pool. WAL readers do not block each
// other or the writer.
const readerConns = 4

// pragmas are run by the driver on every new connection, so no pooled
// connection can miss one. modernc.org/sqlite runs busy_timeout first, so
// that the switch to WAL waits for the lock instead of failing, and the
// other _pragma values in lexicographic order, not in the order written
// here: none of them may depend on another having run (a pragma that
// must come first on a new file, such as page_size, cannot be set this
// way; it would run after journal_mode has created the file's first
// page). synchronousMode is FULL (durability_full.go); only a test binary
// built with the durabilitytest tag has NORMAL, as the negative control
// of e2e TestDurability.
const pragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(" + synchronousMode + ")&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)"

// DB is a payments.Store backed by one SQLite file. It is safe for
// concurrent use.
type DB struct {
	writer *sql.DB       // one connection; transactions BEGIN IMMEDIATE
	ckpt   *checkpointer // WAL checkpoints off the writer (checkpoint.go)
	reader *sql.DB       // readerConns connections; single statements only
	now    func() time.Time
	rs, ws *stmtCache // prepared statements of reader and writer
	batch  *batcher   // group commit of CreatePayment and Update (batch.go)
	raw    *rawConn   // the writer goroutine's statements on the driver connection (raw.go)
	cache  *paymentCache
	refs   *attemptCache
	hooks  hooks    // tests only (cache.go)
	lock   *os.File // held for one process (lock_unix.go); nil where unsupported
	// damaged is set once SQLite reported the file corrupt, damagedErr
	// with the background check's finding; checking while that check
	// runs (health.go).
	damaged    atomic.Bool
	damagedErr atomic.Pointer[error]
	checking   atomic.Bool
	// health remembers the last write the disk refused (writehealth.go).
	health writeHealth
	// closeLock releases lock once: Close may be called more than once.
	closeLock sync.Once
}

var _ payments.Store = (*DB)(nil)

// errNoRows is database/sql's "no rows" error.
var errNoRows = sql.ErrNoRows

// Open opens (creating if needed) the database at path and applies any
// pending migrations. now stamps rows the service gives no time for.
func Open(ctx context.Context, path string, now func() time.Time) (*DB, error) {
	if path == "" || now == nil {
		return nil, errors.New("sqlite: open: path and clock are required")
	}
	lock, err := lockFile(path)
	if err != nil {
		return nil, err
	}
	if err := createOwnerOnly(path); err != nil {
		unlock(lock)
		return nil, err
	}
	writer, err := openPool(ctx, dsn(path, true), 1)
	if err != nil {
		unlock(lock)
		if damaged(err) {
			return nil, fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		return nil, fmt.Errorf("sqlite: open writer (does the directory exist, and may this user write to it?): %w", err)
	}
	// The writer has switched the file to WAL before any reader connects.
	reader, err := openPool(ctx, dsn(path, false), readerConns)
	if err != nil {
		writer.Close()
		unlock(lock)
		return nil, fmt.Errorf("sqlite: open reader: %w", err)
	}
	ckconn, err := openPool(ctx, dsn(path, true), 1)
	if err != nil {
		reader.Close()
		writer.Close()
		unlock(lock)
		return nil, fmt.Errorf("sqlite: open checkpointer: %w", err)
	}
	db := &DB{writer: writer, reader: reader, now: now, rs: newStmtCache(reader), ws: newStmtCache(writer),
		batch: newBatcher(), raw: newRawConn(txQueries()), cache: newPaymentCache(), refs: newAttemptCache(), lock: lock,
		ckpt: newCheckpointer(ckconn, path)}
	go db.writeLoop() // Close stops it
	go db.ckpt.run()  // Close stops it
	var size int64
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	if err := db.checkFile(ctx, size); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.ws.prepare(ctx, txQueries()...); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	return db, nil
}

// createOwnerOnly creates a new database file readable by its owner only:
// it holds the back office's accounts and sessions (and in the sandbox its
// keys), and SQLite would create it 0644 under the usual umask. SQLite's
// unix VFS gives -wal and -shm the main file's mode. An existing file
// keeps the mode its owner gave it.
func createOwnerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: create: %w", err)
	}
	return f.Close()
}

// dsn builds a file: URI for the driver. The path is escaped so that '?'
// or '#' in a directory name cannot be read as parameters.
func dsn(path string, write bool) string {
	mode := "&_query_only=1" // the read pool can never write by mistake
	if write {
		mode = "&_txlock=immediate&_pragma=wal_autocheckpoint(" + strconv.Itoa(walBackstopPages) + ")" + writerPragmas
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas + mode
}

// openPool opens a pool of at most n connections and checks that one can
// be made, so a bad path or pragma fails at startup.
func openPool(ctx context.Context, dsn string, n int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close stops the group-commit writer after its current batch and the
// checkpointer after its current checkpoint, and closes the pools.
func (db *DB) Close() error {
	db.batch.stop()
	db.ckpt.stop()
	db.cache.clear()
	db.refs.clear()
	err := errors.Join(db.raw.close(context.Background(), db.writer), db.rs.close(), db.ws.close(), db.reader.Close(), db.ckpt.conn.Close(), db.writer.Close())
	db.closeLock.Do(func() { unlock(db.lock) }) // after the pools: no connection is left
	return err
}

// unlock releases the process lock, if there is one.
func unlock(f *os.File) {
	if f != nil {
		f.Close()
	}
}

// wrap gives err the package prefix and the operation. sql.ErrNoRows
// becomes payments.ErrNotFound. SQLITE_BUSY (the write lock was held past
// the busy timeout) is named, so logs say why the request got a 503; a
// write the disk refused is payments.ErrStoreWrite (storeWrite).
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return payments.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY {
		return fmt.Errorf("sqlite: %s: database busy: %w: %w", op, payments.ErrStoreBusy, err)
	}
	if damaged(err) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, ErrDamaged, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, storeWrite(err))
}
