package postgres

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/storetest"
)

// TestPayloads: entries are joined with commas into payloads under the
// limit, none lost or split, and ParseDoorbell reads them back: an entry
// "<id>:<version>:<status>" as that update, an older instance's
// "<id>:<version>" or an unreadable one as the id alone, to be re-read.
func TestPayloads(t *testing.T) {
	var entries []string
	for i := range 500 {
		entries = append(entries, "pay_"+strconv.Itoa(i)+":"+strconv.Itoa(i%7+1)+":paid")
	}
	ps := payloads(entries, 100)
	if len(ps) < 2 {
		t.Fatalf("%d payloads for 500 entries under 100 bytes", len(ps))
	}
	var got []string
	for _, p := range ps {
		if len(p) > 100 {
			t.Errorf("payload of %d bytes, limit 100", len(p))
		}
		got = append(got, strings.Split(p, ",")...)
	}
	if strings.Join(got, ",") != strings.Join(entries, ",") {
		t.Errorf("entries changed on the way: %d in, %d out", len(entries), len(got))
	}
	us := ParseDoorbell(strings.Join(entries[:2], ",") + ",pay_X:12,pay_Y:x:paid,pay_Z:3:bogus,,pay_W:4:pending")
	want := []payments.Update{{PaymentID: "pay_0", Version: 1, Status: payments.StatusPaid},
		{PaymentID: "pay_1", Version: 2, Status: payments.StatusPaid},
		{PaymentID: "pay_X"}, {PaymentID: "pay_Y"}, {PaymentID: "pay_Z"},
		{PaymentID: "pay_W", Version: 4, Status: payments.StatusPending}}
	if !slices.Equal(us, want) {
		t.Errorf("ParseDoorbell = %+v, want %+v", us, want)
	}
	if payloads(nil, 100) != nil {
		t.Error("payloads of nothing is not nothing")
	}
}

// TestDoorbellAfterCommit: every change committed through the store,
// creations and updates from many goroutines at once, rings the doorbell
// with its id and version, once it is committed (a listener that reads
// the row on hearing it finds that version or a later one), several to a
// notification when they queue up; and a write's doorbell has left when
// the store's Close returns.
func TestDoorbellAfterCommit(t *testing.T) {
	url := pgtest.Database(t)
	db := mustOpen(t, url)
	ctx := t.Context()
	lc, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close(context.WithoutCancel(ctx))
	if _, err := lc.Exec(ctx, "LISTEN "+Channel); err != nil {
		t.Fatal(err)
	}
	rc, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close(context.WithoutCancel(ctx))

	const n = 200
	end := time.Now()
	if _, err := storetest.Grow(ctx, db, 0, n, n, end); err != nil { // bulk: no doorbell
		t.Fatal(err)
	}
	want := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := storetest.GrowthRow(i+1, end).Payment.ID
			p, err := db.Update(ctx, id, func(tx *payments.Tx) error { tx.Touch(); return nil })
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			want[id+":"+strconv.FormatInt(p.Version, 10)+":"+string(p.Status)] = true
			mu.Unlock()
		})
	}
	created := payments.Payment{ID: "pay_DOORBELL000000000000000000", Reference: "r", Amount: 100,
		Currency: payments.NZD, Status: payments.StatusCreated, Version: 1, CreatedAt: testNow()}
	wg.Go(func() {
		if _, _, err := db.CreatePayment(ctx, created, payments.Event{Type: "payment.created"}, payments.Idempotency{}); err != nil {
			t.Error(err)
		}
		mu.Lock()
		want[created.ID+":1:created"] = true
		mu.Unlock()
	})
	// An update that changes nothing rings nothing.
	if _, err := db.Update(ctx, storetest.GrowthRow(1, end).Payment.ID, func(*payments.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	heard, notes := map[string]bool{}, 0
	for len(heard) < len(want) {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		note, err := lc.WaitForNotification(wctx)
		cancel()
		if err != nil {
			t.Fatalf("heard %d of %d changes in %d notifications: %v", len(heard), len(want), notes, err)
		}
		notes++
		for e := range strings.SplitSeq(note.Payload, ",") {
			id, rest, _ := strings.Cut(e, ":")
			v, _, _ := strings.Cut(rest, ":")
			if !want[e] {
				t.Errorf("doorbell %q: no such committed change", e)
				continue
			}
			heard[e] = true
			var stored int64
			if err := rc.QueryRow(ctx, `SELECT version FROM payments WHERE id = $1`, id).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if version, _ := strconv.ParseInt(v, 10, 64); stored < version {
				t.Errorf("doorbell %q heard before its commit: stored version %d", e, stored)
			}
		}
	}
	t.Logf("%d changes in %d notifications", len(heard), notes)

	// After Close, the doorbell of a write just before it has been sent.
	db2, err := Open(ctx, url, testNow)
	if err != nil {
		t.Fatal(err)
	}
	id := storetest.GrowthRow(2, end).Payment.ID
	p, err := db2.Update(ctx, id, func(tx *payments.Tx) error { tx.Touch(); return nil })
	if err != nil {
		t.Fatal(err)
	}
	db2.Close()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	note, err := lc.WaitForNotification(wctx)
	if err != nil {
		t.Fatalf("no doorbell after Close: %v", err)
	}
	if wantLast := id + ":" + strconv.FormatInt(p.Version, 10) + ":" + string(p.Status); note.Payload != wantLast {
		t.Errorf("after Close heard %q, want %q", note.Payload, wantLast)
	}
}

// TestDoorbellWaitsForSender: a write whose doorbell another writer is
// busy sending does not return before its own has been sent (it joins the
// next batch and the first waiting writer sends it), so the doorbell has
// left before the write returns.
func TestDoorbellWaitsForSender(t *testing.T) {
	url := pgtest.Database(t)
	db := mustOpen(t, url)
	ctx := t.Context()
	lc, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close(context.WithoutCancel(ctx))
	if _, err := lc.Exec(ctx, "LISTEN "+Channel); err != nil {
		t.Fatal(err)
	}
	db.bell.token <- struct{}{} // another writer is sending
	held := true
	t.Cleanup(func() { // before db.Close, which needs the token
		if held {
			<-db.bell.token
		}
	})
	returned := make(chan struct{})
	go func() {
		db.ring(payments.Payment{ID: "pay_WAITS", Version: 7, Status: payments.StatusPaid})
		close(returned)
	}()
	select {
	case <-returned:
		t.Fatal("ring returned while its doorbell was still waiting for the sender")
	case <-time.After(200 * time.Millisecond):
	}
	<-db.bell.token // that sender is done
	held = false
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("ring did not return after the sender finished")
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	note, err := lc.WaitForNotification(wctx)
	if err != nil || note.Payload != "pay_WAITS:7:paid" {
		t.Fatalf("heard %v, %v; want pay_WAITS:7:paid", note, err)
	}
}
