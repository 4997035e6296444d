package sqlite

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
)

// TestPaymentCacheRules: versions only move forward, a read that began
// before a failed commit or an eviction does not fill, a read does not
// fill a payment whose write is being committed, and the size holds.
func TestPaymentCacheRules(t *testing.T) {
	c := newPaymentCache()
	v := func(n int64) payments.Payment { p := benchPayment(1); p.Version = n; return p }
	one := func(p payments.Payment) []payments.Payment { return []payments.Payment{p} }
	id := v(1).ID
	c.committed(one(v(6)))
	c.fill(v(5), c.now()) // a slow read of an older version
	if p, _ := c.get(id); p.Version != 6 {
		t.Fatalf("cached version %d, want 6", p.Version)
	}
	e := c.now()
	c.committing(one(v(7)))
	c.failed(one(v(7))) // a commit that failed
	c.fill(v(6), e)
	if _, ok := c.get(id); ok {
		t.Fatal("a read that began before a failed commit filled the cache")
	}
	e = c.now()
	c.committing(one(v(7)))
	c.fill(v(6), e) // read before the commit, fills while it runs
	if _, ok := c.get(id); ok {
		t.Fatal("a read filled a payment whose write was being committed")
	}
	c.committed(one(v(7)))
	c.fill(v(6), e)
	if p, ok := c.get(id); !ok || p.Version != 7 {
		t.Fatalf("after the commit: %v %d, want version 7", ok, p.Version)
	}
	c.failed(nil)
	c.fill(v(7), c.now())
	if p, ok := c.get(id); !ok || p.Version != 7 {
		t.Fatalf("after a clean read: %v %d, want version 7", ok, p.Version)
	}
	e = c.now()
	for n := range cacheSize + 10 {
		c.committed(one(benchPayment(1000 + n)))
	}
	if len(c.m) != cacheSize {
		t.Errorf("%d entries, want %d", len(c.m), cacheSize)
	}
	c.fill(v(8), e) // began before the evictions
	if p, ok := c.get(id); ok && p.Version == 8 {
		t.Error("a read that began before an eviction filled the cache")
	}
}

// TestPaymentCacheCoherent: readers racing group-committed writers never
// see a version go backwards, and afterwards the cached payment is the
// stored one, also after writes that failed.
func TestPaymentCacheCoherent(t *testing.T) {
	db := newTestDB(t)
	ctx := t.Context()
	const payments_ = 8
	for i := range payments_ {
		if _, _, err := db.CreatePayment(ctx, benchPayment(i), payments.Event{Type: "payment.created", CreatedAt: testNow()}, payments.Idempotency{}); err != nil {
			t.Fatal(err)
		}
	}
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for n := range 40 {
				id := benchPayment((w + n) % payments_).ID
				_, err := db.Update(ctx, id, func(tx *payments.Tx) error {
					tx.Payment.Description = fmt.Sprintf("writer %d, write %d", w, n)
					tx.AddEvent(payments.Event{Type: "payment.note", CreatedAt: testNow()}) // marks it changed
					if n%5 == 0 {
						return errBoom
					}
					return nil
				})
				if err != nil && !errors.Is(err, errBoom) {
					t.Error(err)
				}
			}
		})
	}
	for r := range 8 {
		wg.Go(func() {
			last := map[string]int64{}
			for n := range 400 {
				id := benchPayment((r + n) % payments_).ID
				p, err := db.Payment(ctx, id)
				if err != nil {
					t.Error(err)
					return
				}
				if p.Version < last[id] {
					t.Errorf("reader %d: %s went from version %d back to %d", r, id, last[id], p.Version)
				}
				last[id] = p.Version
			}
		})
	}
	wg.Wait()
	for i := range payments_ {
		id := benchPayment(i).ID
		if _, err := db.Payment(ctx, id); err != nil { // cached now, if it was not
			t.Fatal(err)
		}
		if _, err := db.Update(ctx, id, func(tx *payments.Tx) error {
			tx.Payment.Description = "last"
			tx.AddEvent(payments.Event{Type: "payment.note", CreatedAt: testNow()})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		got, err := db.Payment(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := scanPayment(db.writer.QueryRowContext(ctx, selectPayment, id))
		if err != nil {
			t.Fatal(err)
		}
		if got != stored {
			t.Errorf("payment %d: cached %+v, stored %+v", i, got, stored)
		}
		if got.Description != "last" {
			t.Errorf("payment %d: description %q after the last write", i, got.Description)
		}
	}
}

// note is an Update function that changes the payment; with fail it then
// refuses, as a service refusing a change does.
func note(text string, fail error) func(tx *payments.Tx) error {
	return func(tx *payments.Tx) error {
		tx.Payment.Description = text
		tx.AddEvent(payments.Event{Type: "payment.note", CreatedAt: testNow()}) // marks it changed
		return fail
	}
}

// TestPaymentCacheLateWriterAfterFailedWrite is the interleaving behind
// the random failures of TestPaymentCacheCoherent: the caller of a write
// that committed version 2 is slow to reach the cache; meanwhile version 3
// commits and is read, and a failed write on the same payment drops its
// entry. Version 2 arriving late must not replace what readers have seen.
func TestPaymentCacheLateWriterAfterFailedWrite(t *testing.T) {
	db, p := newTestDBWithPayment(t)
	ctx := t.Context()
	held, release := holdVersion2(db)
	late := make(chan error, 1)
	go func() {
		_, err := db.Update(ctx, p.ID, note("version 2", nil))
		late <- err
	}()
	<-held // version 2 is committed; its caller has not returned
	if w, err := db.Update(ctx, p.ID, note("version 3", nil)); err != nil || w.Version != 3 {
		t.Fatalf("Update: version %d, %v; want version 3", w.Version, err)
	}
	if got, err := db.Payment(ctx, p.ID); err != nil || got.Version != 3 {
		t.Fatalf("Payment after version 3 committed: version %d, %v", got.Version, err)
	}
	errBoom := errors.New("boom")
	if _, err := db.Update(ctx, p.ID, note("refused", errBoom)); !errors.Is(err, errBoom) {
		t.Fatalf("failing Update: %v, want boom", err)
	}
	close(release)
	if err := <-late; err != nil {
		t.Fatal(err)
	}
	got, err := db.Payment(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 3 {
		t.Fatalf("Payment went from version 3 back to %d", got.Version)
	}
}

// TestPaymentCacheReadDuringCommit: a read that fetched version 1 before
// version 2 committed must not fill the cache once another reader has
// fetched version 2 from the database, even when that reader could not
// fill (a write failed while it read) and the write has not yet reached
// the cache.
func TestPaymentCacheReadDuringCommit(t *testing.T) {
	readDuringCommit(t, func(db *DB, y payments.Payment) {
		errBoom := errors.New("boom")
		if _, err := db.Update(t.Context(), y.ID, note("refused", errBoom)); !errors.Is(err, errBoom) {
			t.Fatalf("failing Update: %v, want boom", err)
		}
	})
}

// TestPaymentCacheReadDuringCommitEviction is the same interleaving with
// an eviction (a full cache making way) as what stops the second reader
// from filling.
func TestPaymentCacheReadDuringCommitEviction(t *testing.T) {
	readDuringCommit(t, func(db *DB, y payments.Payment) {
		full := make([]payments.Payment, cacheSize)
		for i := range full {
			full[i] = benchPayment(1000 + i)
		}
		db.cache.committed(full)
		e := db.cache.now()
		if _, err := db.Payment(t.Context(), y.ID); err != nil { // fills y: an entry makes way
			t.Fatal(err)
		}
		if db.cache.now() == e {
			t.Fatal("filling a full cache did not evict")
		}
	})
}

// TestPaymentCacheHitDuringCommit: once a read of the database has seen
// a committed write, a read of the payment must not return the older
// cached version, even before the writer goroutine has given the cache
// the new one. This is the repeated callback that finds its notification
// recorded, answers "sent", and must then find the payment paid.
func TestPaymentCacheHitDuringCommit(t *testing.T) {
	db, p := newTestDBWithPayment(t)
	ctx := t.Context()
	if got, err := db.Payment(ctx, p.ID); err != nil || got.Version != 1 {
		t.Fatalf("Payment: version %d, %v; want 1", got.Version, err)
	}
	if _, ok := db.cache.get(p.ID); !ok {
		t.Fatal("version 1 is not cached")
	}
	held, release := make(chan struct{}), make(chan struct{})
	db.hooks.committed = func(w payments.Payment) {
		if w.ID == p.ID && w.Version == 2 {
			close(held)
			<-release
		}
	}
	write := make(chan error, 1)
	go func() { _, err := db.Update(ctx, p.ID, note("version 2", nil)); write <- err }()
	<-held // version 2 is committed; the cache has not learnt it
	stored, err := db.readPayment(ctx, p.ID)
	if err != nil || stored.Version != 2 {
		t.Fatalf("database read during the commit: version %d, %v; want 2", stored.Version, err)
	}
	if got, err := db.Payment(ctx, p.ID); err != nil || got.Version != 2 {
		t.Errorf("the database showed version 2, then Payment returned version %d (%v)", got.Version, err)
	}
	close(release)
	if err := <-write; err != nil {
		t.Fatal(err)
	}
	if got, err := db.Payment(ctx, p.ID); err != nil || got.Version != 2 {
		t.Errorf("after the write returned: version %d, %v; want 2", got.Version, err)
	}
	if got, ok := db.cache.get(p.ID); !ok || got.Version != 2 {
		t.Errorf("after the write returned: cached %v version %d, want version 2", ok, got.Version)
	}
}

// readDuringCommit runs the interleaving with drop between the second
// reader's start and the first reader's.
func readDuringCommit(t *testing.T, drop func(db *DB, y payments.Payment)) {
	path := t.TempDir() + "/hpp.db"
	first := mustOpen(t, path)
	ctx := t.Context()
	x, y := benchPayment(1), benchPayment(2)
	for _, p := range []payments.Payment{x, y} {
		if _, _, err := first.CreatePayment(ctx, p, payments.Event{Type: "payment.created", CreatedAt: testNow()}, payments.Idempotency{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	db := mustOpen(t, path) // its cache starts empty
	r2Held, r2Go := make(chan struct{}), make(chan struct{})
	r1Held, r1Go := make(chan struct{}), make(chan struct{})
	writeHeld, writeGo := make(chan struct{}), make(chan struct{})
	var reads atomic.Int32
	db.hooks.beforeRead = func(id string) {
		if id == x.ID && reads.Add(1) == 1 {
			close(r2Held)
			<-r2Go
		}
	}
	db.hooks.beforeFill = func(p payments.Payment) {
		if p.ID == x.ID && p.Version == 1 {
			close(r1Held)
			<-r1Go
		}
	}
	db.hooks.committed = func(p payments.Payment) {
		if p.ID == x.ID && p.Version == 2 {
			close(writeHeld)
			<-writeGo
		}
	}
	type result struct {
		p   payments.Payment
		err error
	}
	read := func() chan result {
		c := make(chan result, 1)
		go func() { p, err := db.Payment(ctx, x.ID); c <- result{p, err} }()
		return c
	}
	r2 := read() // a reader that misses and is held before its database read
	<-r2Held
	drop(db, y)
	r1 := read() // reads version 1 and is held before it fills
	<-r1Held
	write := make(chan error, 1)
	go func() { _, err := db.Update(ctx, x.ID, note("version 2", nil)); write <- err }()
	<-writeHeld // version 2 is committed; the cache has not learnt it
	close(r2Go)
	if r := <-r2; r.err != nil || r.p.Version != 2 {
		t.Fatalf("reader after the commit: version %d, %v; want 2", r.p.Version, r.err)
	}
	close(r1Go)
	if r := <-r1; r.err != nil || r.p.Version != 1 {
		t.Fatalf("reader from before the commit: version %d, %v; want 1", r.p.Version, r.err)
	}
	got, err := db.Payment(ctx, x.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 {
		t.Errorf("a reader saw version 2, then a later read got version %d", got.Version)
	}
	close(writeGo)
	if err := <-write; err != nil {
		t.Fatal(err)
	}
	if got, err := db.Payment(ctx, x.ID); err != nil || got.Version != 2 {
		t.Errorf("after the write returned: version %d, %v; want 2", got.Version, err)
	}
}

// TestAttemptCacheLateWriterAfterFailedWrite runs the reference cache
// through the interleaving that broke the payment cache: the caller of the
// write that committed an attempt is slow to reach the cache, a read finds
// the attempt meanwhile, and a refused write of another attempt of the
// same payment is undone. The committed reference is found throughout;
// the refused one never is.
func TestAttemptCacheLateWriterAfterFailedWrite(t *testing.T) {
	db, p := newTestDBWithPayment(t)
	ctx := t.Context()
	attempt := func(ref string) payments.Attempt {
		return payments.Attempt{Reference: ref, PaymentID: p.ID, Method: payments.MethodWeChat,
			Status: payments.AttemptPending, CreatedAt: testNow()}
	}
	held, release := holdVersion2(db)
	late := make(chan error, 1)
	go func() {
		_, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error { tx.PutAttempt(attempt("REF-LATE-1")); return nil })
		late <- err
	}()
	<-held // committed; its caller has not put the reference
	if id, err := db.AttemptPayment(ctx, "REF-LATE-1"); err != nil || id != p.ID {
		t.Fatalf("AttemptPayment of a committed attempt: %q, %v", id, err)
	}
	errBoom := errors.New("boom")
	if _, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error { tx.PutAttempt(attempt("REF-LATE-2")); return errBoom }); !errors.Is(err, errBoom) {
		t.Fatalf("failing Update: %v, want boom", err)
	}
	close(release)
	if err := <-late; err != nil {
		t.Fatal(err)
	}
	for range 2 { // from the database, then from the cache
		if id, err := db.AttemptPayment(ctx, "REF-LATE-1"); err != nil || id != p.ID {
			t.Errorf("AttemptPayment of the committed attempt: %q, %v; want %q", id, err, p.ID)
		}
		if id, err := db.AttemptPayment(ctx, "REF-LATE-2"); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("AttemptPayment of the refused attempt: %q, %v; want ErrNotFound", id, err)
		}
	}
}

// TestOneProcessPerFile: a second Open of a file in use fails, naming the
// reason; after Close the file opens again.
func TestOneProcessPerFile(t *testing.T) {
	path := t.TempDir() + "/hpp.db"
	db := mustOpen(t, path)
	if err := openRefused(t, path, "a file in use"); !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("second Open: %v; want it to say the file is in use", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	again := mustOpen(t, path)
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestAttemptCache: a reference not found is not remembered, a committed
// attempt is (the callback then needs no read), and a write that failed
// leaves nothing behind.
func TestAttemptCache(t *testing.T) {
	db, p := newTestDBWithPayment(t)
	ctx := t.Context()
	a := payments.Attempt{Reference: "REF-CACHE-1", PaymentID: p.ID, Method: payments.MethodWeChat,
		Status: payments.AttemptPending, CreatedAt: testNow()}
	if _, err := db.AttemptPayment(ctx, a.Reference); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("AttemptPayment before the attempt exists: %v, want ErrNotFound", err)
	}
	failed := a
	failed.Reference = "REF-CACHE-2"
	if _, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error { tx.PutAttempt(failed); return errors.New("refused") }); err == nil {
		t.Fatal("Update: want the refusal")
	}
	if _, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error { tx.PutAttempt(a); return nil }); err != nil {
		t.Fatal(err)
	}
	if id, ok := db.refs.get(a.Reference); !ok || id != p.ID {
		t.Errorf("reference cache after the write: %q, %v; want %q", id, ok, p.ID)
	}
	if _, ok := db.refs.get(failed.Reference); ok {
		t.Error("the reference of a refused write is cached")
	}
	if id, err := db.AttemptPayment(ctx, a.Reference); err != nil || id != p.ID {
		t.Errorf("AttemptPayment: %q, %v; want %q", id, err, p.ID)
	}
}

// TestAttemptCacheKeys: what goes in comes out as it went in (lengths up
// to the key's capacity, a NUL byte included); a reference or payment id
// too long for a key is not cached, and AttemptPayment still finds it in
// the database; the size bound holds.
func TestAttemptCacheKeys(t *testing.T) {
	c := newAttemptCache()
	long := strings.Repeat("R", 41)
	for _, kv := range [][2]string{{"", "pay_x"}, {"A", "pay_y"}, {"0123456789ABCDEFGHJKMNPQRSTVWXYZ01234567", strings.Repeat("p", 40)}, {"A\x00", "pay_nul"}} {
		c.put(kv[0], kv[1])
		if id, ok := c.get(kv[0]); !ok || id != kv[1] {
			t.Errorf("get(%q) = %q, %v; want %q", kv[0], id, ok, kv[1])
		}
	}
	if id, _ := c.get("A"); id != "pay_y" {
		t.Errorf("get(A) = %q after A\\x00 was put, want pay_y", id)
	}
	c.put(long, "pay_z")
	c.put("SHORT", long)
	if _, ok := c.get(long); ok {
		t.Error("a 41-byte reference was cached")
	}
	if _, ok := c.get("SHORT"); ok {
		t.Error("a 41-byte payment id was cached")
	}
	for i := range attemptCacheSize + 10 {
		c.put(fmt.Sprintf("R%08d", i), "pay_bound")
	}
	if n := len(c.m); n != attemptCacheSize {
		t.Errorf("%d entries, want the bound %d", n, attemptCacheSize)
	}

	db, p := newTestDBWithPayment(t)
	ctx := t.Context()
	a := payments.Attempt{Reference: long, PaymentID: p.ID, Method: payments.MethodWeChat,
		Status: payments.AttemptPending, CreatedAt: testNow()}
	if _, err := db.Update(ctx, p.ID, func(tx *payments.Tx) error { tx.PutAttempt(a); return nil }); err != nil {
		t.Fatal(err)
	}
	if id, err := db.AttemptPayment(ctx, long); err != nil || id != p.ID {
		t.Errorf("AttemptPayment(41 bytes) = %q, %v; want %q from the database", id, err, p.ID)
	}
}

// TestAttemptCacheHoldsNoPointers: the reference cache's map holds no
// pointer, so the garbage collector does not scan its entries (see
// attemptCache); a string, a slice or a pointer in the key or the value
// fails this.
func TestAttemptCacheHoldsNoPointers(t *testing.T) {
	typ := reflect.TypeOf(newAttemptCache().m)
	for _, part := range []reflect.Type{typ.Key(), typ.Elem()} {
		if p := pointerIn(part); p != "" {
			t.Errorf("attemptCache's map %s holds a pointer: %s", typ, p)
		}
	}
}

// pointerIn names a part of t that is or holds a pointer, or returns "".
func pointerIn(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return ""
	case reflect.Array:
		return pointerIn(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if p := pointerIn(t.Field(i).Type); p != "" {
				return t.Field(i).Name + ": " + p
			}
		}
		return ""
	}
	return t.String()
}

// BenchmarkGCWithAttemptCache: one full collection of the heap with the
// reference cache full (65,536 entries), per op; the cost the cache adds
// to every collection of a busy instance.
//
//	go test -run '^$' -bench GCWithAttemptCache ./payments/sqlite/
func BenchmarkGCWithAttemptCache(b *testing.B) {
	c := newAttemptCache()
	for i := range attemptCacheSize {
		c.put(fmt.Sprintf("%07d%026d", i, i), fmt.Sprintf("pay_%07d%026d", i, i))
	}
	runtime.GC()
	b.ResetTimer()
	for range b.N {
		runtime.GC()
	}
	b.StopTimer()
	runtime.KeepAlive(c)
}

// holdVersion2 makes the write that returns version 2 wait, once it has
// written, until release is closed; held is closed when it gets there.
func holdVersion2(db *DB) (held, release chan struct{}) {
	held, release = make(chan struct{}), make(chan struct{})
	db.hooks.returned = func(w payments.Payment) {
		if w.Version == 2 {
			close(held)
			<-release
		}
	}
	return held, release
}

// newTestDBWithPayment is newTestDB holding one payment, benchPayment(1).
func newTestDBWithPayment(tb testing.TB) (*DB, payments.Payment) {
	tb.Helper()
	db := newTestDB(tb)
	p := benchPayment(1)
	if _, _, err := db.CreatePayment(tb.Context(), p, payments.Event{Type: "payment.created", CreatedAt: testNow()}, payments.Idempotency{}); err != nil {
		tb.Fatal(err)
	}
	return db, p
}

// TestPaymentCacheEvictsFinalFirst: when the payment cache is full, the
// entry that makes way is a final payment (paid, expired, ...), the one
// that became final longest ago, and an open payment only when none is
// final. More payments open than the cache holds, paid one by one as
// their callbacks come, must not push the open ones out.
func TestPaymentCacheEvictsFinalFirst(t *testing.T) {
	c := newPaymentCache()
	open := func(n int) payments.Payment { return benchPayment(n) }
	paid := func(n int) payments.Payment {
		p := benchPayment(n)
		p.Status, p.Version = payments.StatusPaid, 2
		return p
	}
	one := func(p payments.Payment) []payments.Payment { return []payments.Payment{p} }
	// The cache full of open payments 0 to cacheSize-1.
	for n := range cacheSize {
		c.committed(one(open(n)))
	}
	// The first 100 are paid (their entries replaced, nothing evicted).
	for n := range 100 {
		c.committed(one(paid(n)))
	}
	// 100 callbacks for payments the cache does not hold: each keeps its
	// paid payment, and a paid one makes way, the oldest first.
	for n := cacheSize; n < cacheSize+100; n++ {
		c.committed(one(paid(n)))
	}
	if len(c.m) != cacheSize {
		t.Fatalf("%d entries, want %d", len(c.m), cacheSize)
	}
	for n := 100; n < cacheSize; n++ {
		if p, ok := c.get(open(n).ID); !ok || p.Status != payments.StatusCreated {
			t.Fatalf("open payment %d pushed out by paid ones (%v)", n, ok)
		}
	}
	for n := range 100 {
		if _, ok := c.get(open(n).ID); ok {
			t.Errorf("payment %d, paid first, is still cached; a later paid one made way", n)
		}
	}
	for n := cacheSize; n < cacheSize+100; n++ {
		if _, ok := c.get(open(n).ID); !ok {
			t.Errorf("payment %d, just paid, made way before the older paid ones", n)
		}
	}
	// With nothing final left but the 100 just kept, those go first, then
	// open ones: a full cache of open payments still takes new ones.
	for n := cacheSize + 100; n < cacheSize+300; n++ {
		c.committed(one(open(n)))
	}
	if len(c.m) != cacheSize {
		t.Fatalf("%d entries, want %d", len(c.m), cacheSize)
	}
	for n := cacheSize; n < cacheSize+100; n++ {
		if _, ok := c.get(open(n).ID); ok {
			t.Errorf("paid payment %d still cached while open ones made way", n)
		}
	}
}

// TestPaymentCacheFinalOrderBounded: the order in which final payments
// make way stays bounded when entries come and go without evictions
// (failed commits drop them, the next commit keeps them final again).
func TestPaymentCacheFinalOrderBounded(t *testing.T) {
	c := newPaymentCache()
	p := benchPayment(1)
	p.Status = payments.StatusPaid
	for range 10 * cacheSize {
		c.committed([]payments.Payment{p})
		c.failed([]payments.Payment{p})
	}
	if n := len(c.final) - c.head; n > 2*cacheSize+1 {
		t.Errorf("the order of final payments holds %d ids for %d entries", n, len(c.m))
	}
}
