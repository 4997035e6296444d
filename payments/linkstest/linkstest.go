// Package linkstest is the contract every payments.LinkStore must pass, so
// the SQLite and PostgreSQL stores keep payment links alike:
//
//	func TestLinkStore(t *testing.T) {
//		linkstest.Run(t, func(t *testing.T) linkstest.Store { return newTestDB(t) })
//	}
//
// Its heart is UseLink at the limit: many opens of one link at once count
// exactly MaxUses uses, never one more. A use then follows its payment:
// the Store's Update applies the Tx's LinkUse in the payment's own
// transaction (released, paid, paid late, taken again), so the suite
// needs a store that keeps payments too.
//
// It owns the stored links' behaviour in any engine; the rules of a link
// (amounts, expiry, signing) are tested in payments itself. It imports
// payments only, never an engine. A new LinkStore method gets its check in
// Run first, then both stores implement it.
package linkstest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latipay-hpp/hpp/payments"
)

// Store is what the suite runs against: the links and the payments made
// through them, in one database.
type Store interface {
	payments.LinkStore
	payments.Store
}

// Run runs the contract against stores made by newStore, which must return
// a new, empty store for every call and clean it up through t.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"NotFound", testNotFound},
		{"ListNewestFirst", testList},
		{"Deactivate", testDeactivate},
		{"UseLimits", testUseLimits},
		{"UseConcurrentAtLimit", testUseConcurrent},
		{"Release", testRelease},
		{"Replay", testReplay},
		{"PaymentEndsUnpaid", testPaymentEndsUnpaid},
		{"PaidLate", testPaidLate},
		{"Retake", testRetake},
		{"RetakeConcurrentAtLimit", testRetakeConcurrent},
		{"NoLinkUse", testNoLinkUse},
		{"SweepOrphan", testSweepOrphan},
		{"SweepYoung", testSweepYoung},
		{"SweepUntied", testSweepUntied},
		{"SweepConcurrent", testSweepConcurrent},
		{"PaymentLink", testPaymentLink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// base is the suite's fixed instant: microsecond precision in a zone other
// than UTC (stores return UTC).
func base() time.Time {
	return time.Date(2025, 3, 14, 9, 26, 53, 589_123_000, time.FixedZone("NZDT", 13*60*60))
}

func link(n int) payments.Link {
	t := base().Add(time.Duration(n) * time.Second)
	return payments.Link{
		ID: fmt.Sprintf("%026d", n), Source: payments.SourceLink, Amount: 0, MinAmount: 500, MaxAmount: 20000,
		Currency:     payments.NZD,
		Descriptions: map[string]string{"en": "Deposit 'x' \"y\"", "zh-Hans": "订金", "zh-Hant": "訂金"},
		ExpiresAt:    t.Add(24 * time.Hour), MaxUses: 3, Active: true, CreatedAt: t, UpdatedAt: t,
	}
}

func utc(l payments.Link) payments.Link {
	l.CreatedAt, l.UpdatedAt = l.CreatedAt.UTC(), l.UpdatedAt.UTC()
	if !l.ExpiresAt.IsZero() {
		l.ExpiresAt = l.ExpiresAt.UTC()
	}
	return l
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testRoundTrip(t *testing.T, s Store) {
	ctx := t.Context()
	a := link(1)
	b := link(2)
	b.Source, b.MinAmount, b.MaxAmount, b.Amount = payments.SourceStaticQR, 0, 0, 1250
	b.Descriptions, b.ExpiresAt, b.MaxUses = map[string]string{"zh-Hant": "只有繁體"}, time.Time{}, 0
	a.Uses, a.Paid = 3, 2
	for _, l := range []payments.Link{a, b} {
		must(t, s.CreateLink(ctx, l))
		got, err := s.Link(ctx, l.ID)
		must(t, err)
		if d := cmp.Diff(utc(l), got); d != "" {
			t.Errorf("link %s round trip (-put +got):\n%s", l.ID, d)
		}
	}
}

func testNotFound(t *testing.T, s Store) {
	ctx := t.Context()
	if _, err := s.Link(ctx, link(9).ID); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("Link(missing) = %v, want ErrNotFound", err)
	}
	if _, _, _, err := s.UseLink(ctx, link(9).ID, "k", base()); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("UseLink(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.SetLinkActive(ctx, link(9).ID, false, base()); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("SetLinkActive(missing) = %v, want ErrNotFound", err)
	}
}

func testList(t *testing.T, s Store) {
	ctx := t.Context()
	for i := 1; i <= 4; i++ {
		l := link(i)
		if i%2 == 0 {
			l.Source = payments.SourceStaticQR
		}
		must(t, s.CreateLink(ctx, l))
	}
	ids := func(ls []payments.Link) []string {
		var out []string
		for _, l := range ls {
			out = append(out, l.ID)
		}
		return out
	}
	all, err := s.Links(ctx, "", "", 3)
	must(t, err)
	if d := cmp.Diff([]string{link(4).ID, link(3).ID, link(2).ID}, ids(all)); d != "" {
		t.Errorf("Links(all, 3) newest first (-want +got):\n%s", d)
	}
	static, err := s.Links(ctx, payments.SourceStaticQR, "", 10)
	must(t, err)
	if d := cmp.Diff([]string{link(4).ID, link(2).ID}, ids(static)); d != "" {
		t.Errorf("Links(static_qr) (-want +got):\n%s", d)
	}
	// The next page starts after the last link of the one before.
	next, err := s.Links(ctx, "", link(2).ID, 3)
	must(t, err)
	if d := cmp.Diff([]string{link(1).ID}, ids(next)); d != "" {
		t.Errorf("Links(all, after link 2) (-want +got):\n%s", d)
	}
	next, err = s.Links(ctx, payments.SourceStaticQR, link(4).ID, 10)
	must(t, err)
	if d := cmp.Diff([]string{link(2).ID}, ids(next)); d != "" {
		t.Errorf("Links(static_qr, after link 4) (-want +got):\n%s", d)
	}
	none, err := s.Links(ctx, "", link(99).ID, 10)
	must(t, err)
	if len(none) != 0 {
		t.Errorf("Links after a link that does not exist = %v, want none", ids(none))
	}
}

func testDeactivate(t *testing.T, s Store) {
	ctx := t.Context()
	l := link(1)
	must(t, s.CreateLink(ctx, l))
	later := base().Add(time.Hour)
	got, err := s.SetLinkActive(ctx, l.ID, false, later)
	must(t, err)
	if got.Active || !got.UpdatedAt.Equal(later) {
		t.Errorf("after deactivating: active %v, updated %v; want false, %v", got.Active, got.UpdatedAt, later)
	}
	if _, used, _, err := s.UseLink(ctx, l.ID, "k1", later); err != nil || used {
		t.Errorf("UseLink(deactivated) = used %v, %v; want not used", used, err)
	}
	got, err = s.SetLinkActive(ctx, l.ID, true, later)
	must(t, err)
	if _, used, _, err := s.UseLink(ctx, l.ID, "k2", later); err != nil || !used || !got.Active {
		t.Errorf("UseLink(reactivated) = used %v, %v; want used", used, err)
	}
}

func testUseLimits(t *testing.T, s Store) {
	ctx := t.Context()
	l := link(1) // MaxUses 3
	must(t, s.CreateLink(ctx, l))
	now := base().Add(time.Minute)
	for i := 1; i <= 3; i++ {
		got, used, _, err := s.UseLink(ctx, l.ID, fmt.Sprint("use", i), now)
		if err != nil || !used || got.Uses != i {
			t.Fatalf("use %d: uses %d, used %v, %v", i, got.Uses, used, err)
		}
	}
	got, used, _, err := s.UseLink(ctx, l.ID, "use4", now)
	if err != nil || used || got.Uses != 3 {
		t.Errorf("use beyond the maximum: uses %d, used %v, %v; want 3, false", got.Uses, used, err)
	}

	e := link(2) // expires at CreatedAt+24h
	e.MaxUses = 0
	must(t, s.CreateLink(ctx, e))
	if _, used, _, err := s.UseLink(ctx, e.ID, "before", e.ExpiresAt.Add(-time.Microsecond)); err != nil || !used {
		t.Errorf("use just before expiry: used %v, %v; want used", used, err)
	}
	got, used, _, err = s.UseLink(ctx, e.ID, "at", e.ExpiresAt)
	if err != nil || used || got.Uses != 1 {
		t.Errorf("use at expiry: uses %d, used %v, %v; want 1, false", got.Uses, used, err)
	}

	u := link(3) // no limit, no expiry
	u.MaxUses, u.ExpiresAt = 0, time.Time{}
	must(t, s.CreateLink(ctx, u))
	for i := 0; i < 5; i++ {
		if _, used, _, err := s.UseLink(ctx, u.ID, fmt.Sprint("u", i), now.Add(1000*time.Hour)); err != nil || !used {
			t.Fatalf("unlimited link, use %d: used %v, %v", i+1, used, err)
		}
	}
}

// testUseConcurrent opens one link with MaxUses 5 from 24 goroutines at
// once: exactly 5 uses are counted and the stored count is 5.
func testUseConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	l := link(1)
	l.MaxUses = 5
	must(t, s.CreateLink(ctx, l))
	const n = 24
	var wg sync.WaitGroup
	var mu sync.Mutex
	counted := 0
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, used, _, err := s.UseLink(ctx, l.ID, fmt.Sprint("shopper", i), base())
			if err != nil {
				errs <- err
				return
			}
			if used {
				mu.Lock()
				counted++
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent UseLink: %v", err)
	}
	got, err := s.Link(ctx, l.ID)
	must(t, err)
	if counted != 5 || got.Uses != 5 {
		t.Errorf("%d concurrent opens of a 5-use link counted %d uses, stored %d; want 5 and 5", n, counted, got.Uses)
	}
}

func testRelease(t *testing.T, s Store) {
	ctx := t.Context()
	l := link(1)
	l.MaxUses = 1
	must(t, s.CreateLink(ctx, l))
	if _, used, _, err := s.UseLink(ctx, l.ID, "a", base()); err != nil || !used {
		t.Fatalf("first use: %v %v", used, err)
	}
	must(t, s.ReleaseLink(ctx, l.ID, "a"))
	if _, used, replay, err := s.UseLink(ctx, l.ID, "a", base()); err != nil || !used || replay {
		t.Errorf("the released key again: used %v, replay %v, %v; want a new use", used, replay, err)
	}
	must(t, s.ReleaseLink(ctx, l.ID, "a"))
	must(t, s.ReleaseLink(ctx, l.ID, "a"))     // the key holds no use any more
	must(t, s.ReleaseLink(ctx, l.ID, "never")) // nor does a key never used
	got, err := s.Link(ctx, l.ID)
	must(t, err)
	if got.Uses != 0 {
		t.Errorf("uses after releasing more than used = %d, want 0", got.Uses)
	}
}

// testReplay: the same key again counts nothing and says replay, even
// when the link is used up meanwhile; concurrent submissions of one key
// count one use.
func testReplay(t *testing.T, s Store) {
	ctx := t.Context()
	l := link(1)
	l.MaxUses = 2
	must(t, s.CreateLink(ctx, l))
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	used, replays := 0, 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, u, r, err := s.UseLink(ctx, l.ID, "same-key", base())
			if err != nil {
				t.Errorf("UseLink: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if u {
				used++
			}
			if r {
				replays++
			}
		}()
	}
	wg.Wait()
	if used != 1 || replays != n-1 {
		t.Errorf("%d submissions of one key: %d used, %d replays; want 1 and %d", n, used, replays, n-1)
	}
	if _, u, _, err := s.UseLink(ctx, l.ID, "other", base()); err != nil || !u {
		t.Fatalf("second key: used %v, %v", u, err)
	}
	got, u, r, err := s.UseLink(ctx, l.ID, "same-key", base())
	if err != nil || u || !r || got.Uses != 2 {
		t.Errorf("the first key on a used-up link: uses %d, used %v, replay %v, %v; want 2, false, true", got.Uses, u, r, err)
	}
}

// payFor stores a payment made through link l for the use counted for
// key, as Links.Pay does: the use is tied to it in its creation.
func payFor(t *testing.T, s Store, l payments.Link, n int, key string) payments.Payment {
	t.Helper()
	at := base().Add(time.Duration(n) * time.Minute).UTC()
	p := payments.Payment{
		ID: fmt.Sprintf("pay_%026d", n), Reference: fmt.Sprintf("L-%s-%s", l.ID[:10], key), Amount: 1250,
		Currency: payments.NZD, Status: payments.StatusCreated, Source: l.Source, Version: 1,
		CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(15 * time.Minute),
	}
	ev := payments.Event{PaymentID: p.ID, Type: "payment.created", To: payments.StatusCreated, CreatedAt: at}
	got, created, err := s.CreatePayment(t.Context(), p, ev, payments.Idempotency{
		Key: "link:" + l.ID + ":" + key, Hash: "h", Link: payments.LinkUse{LinkID: l.ID, Key: key}})
	if err != nil || !created {
		t.Fatalf("CreatePayment for use %s: created %v, %v", key, created, err)
	}
	return got
}

// payUntied stores a payment made for the use counted for key as an
// earlier version did: under the idempotency key, not tied to the use.
func payUntied(t *testing.T, s Store, l payments.Link, n int, key string) payments.Payment {
	t.Helper()
	at := base().Add(time.Duration(n) * time.Minute).UTC()
	p := payments.Payment{
		ID: fmt.Sprintf("pay_%026d", n), Reference: fmt.Sprintf("L-%s-%s", l.ID[:10], key), Amount: 1250,
		Currency: payments.NZD, Status: payments.StatusCreated, Source: l.Source, Version: 1,
		CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(15 * time.Minute),
	}
	ev := payments.Event{PaymentID: p.ID, Type: "payment.created", To: payments.StatusCreated, CreatedAt: at}
	got, created, err := s.CreatePayment(t.Context(), p, ev, payments.Idempotency{Key: "link:" + l.ID + ":" + key, Hash: "h"})
	if err != nil || !created {
		t.Fatalf("CreatePayment for use %s: created %v, %v", key, created, err)
	}
	return got
}

// move runs the payment's transition to st with change c through Update.
func move(t *testing.T, s Store, id string, st payments.Status, c payments.LinkUseChange) (payments.Payment, error) {
	t.Helper()
	return s.Update(t.Context(), id, func(tx *payments.Tx) error {
		tx.Payment.Status = st
		tx.SetLinkUse(c)
		return nil
	})
}

func mustMove(t *testing.T, s Store, id string, st payments.Status, c payments.LinkUseChange) {
	t.Helper()
	if _, err := move(t, s, id, st, c); err != nil {
		t.Fatalf("Update(%s to %s, %s): %v", id, st, c, err)
	}
}

// counts checks the link's places taken and paid payments.
func counts(t *testing.T, s Store, id string, uses, paid int, when string) {
	t.Helper()
	got, err := s.Link(t.Context(), id)
	must(t, err)
	if got.Uses != uses || got.Paid != paid {
		t.Errorf("%s: uses %d, paid %d; want %d, %d", when, got.Uses, got.Paid, uses, paid)
	}
}

func mustUse(t *testing.T, s Store, id, key string, want bool) {
	t.Helper()
	if _, used, _, err := s.UseLink(t.Context(), id, key, base()); err != nil || used != want {
		t.Fatalf("UseLink(%s) = used %v, %v; want %v", key, used, err, want)
	}
}

// testPaymentEndsUnpaid: a 1-use link's checkout holds its place; when
// the payment expires (or fails, or is canceled) the place is given back
// and another shopper can use the link; the first shopper's key is still
// a replay, and the given-back use is not given back twice, nor by
// ReleaseLink, which is for a use whose payment was never made.
func testPaymentEndsUnpaid(t *testing.T, s Store) {
	ctx := t.Context()
	for i, end := range []payments.Status{payments.StatusExpired, payments.StatusFailed, payments.StatusCanceled} {
		l := link(i + 1)
		l.MaxUses = 1
		must(t, s.CreateLink(ctx, l))
		mustUse(t, s, l.ID, "a", true)
		a := payFor(t, s, l, 10*i+1, "a")
		mustUse(t, s, l.ID, "b", false)
		counts(t, s, l.ID, 1, 0, "a checkout open")
		mustMove(t, s, a.ID, end, payments.LinkUseRelease)
		counts(t, s, l.ID, 0, 0, "its payment "+string(end))
		mustMove(t, s, a.ID, end, payments.LinkUseRelease)
		must(t, s.ReleaseLink(ctx, l.ID, "a"))
		counts(t, s, l.ID, 0, 0, "released again")
		if _, used, replay, err := s.UseLink(ctx, l.ID, "a", base()); err != nil || used || !replay {
			t.Errorf("the first shopper's key again: used %v, replay %v, %v; want a replay", used, replay, err)
		}
		mustUse(t, s, l.ID, "b", true)
		b := payFor(t, s, l, 10*i+2, "b")
		mustMove(t, s, b.ID, payments.StatusPaid, payments.LinkUsePaid)
		counts(t, s, l.ID, 1, 1, "the second shopper paid")
		mustUse(t, s, l.ID, "c", false)
	}
}

// testPaidLate: a payment paid after its place was given back, and taken
// by another shopper who paid too, counts as well: the link shows more
// paid payments than its maximum rather than losing one. Paid twice
// counts once.
func testPaidLate(t *testing.T, s Store) {
	ctx := t.Context()
	l := link(1)
	l.MaxUses = 1
	must(t, s.CreateLink(ctx, l))
	mustUse(t, s, l.ID, "a", true)
	a := payFor(t, s, l, 1, "a")
	mustMove(t, s, a.ID, payments.StatusExpired, payments.LinkUseRelease)
	mustUse(t, s, l.ID, "b", true)
	b := payFor(t, s, l, 2, "b")
	mustMove(t, s, b.ID, payments.StatusPaid, payments.LinkUsePaid)
	mustMove(t, s, a.ID, payments.StatusPaid, payments.LinkUsePaid)
	counts(t, s, l.ID, 2, 2, "the first shopper paid late")
	mustMove(t, s, a.ID, payments.StatusPaid, payments.LinkUsePaid)
	mustMove(t, s, b.ID, payments.StatusRefunded, payments.LinkUseRelease)
	counts(t, s, l.ID, 2, 2, "paid again, and a paid one released")
	mustUse(t, s, l.ID, "c", false)
}

// testRetake: a failed payment the shopper starts again takes a place
// again when one is free; when none is, Update fails and writes nothing:
// with ErrLinkTaken (matching ErrLinkUsedUp) while an open checkout holds
// the place, with ErrLinkUsedUp itself once paid payments reached the
// maximum. A use that holds its place keeps it.
func testRetake(t *testing.T, s Store) {
	ctx := t.Context()
	l := link(1)
	l.MaxUses = 1
	must(t, s.CreateLink(ctx, l))
	mustUse(t, s, l.ID, "a", true)
	a := payFor(t, s, l, 1, "a")
	mustMove(t, s, a.ID, payments.StatusPending, payments.LinkUseRetake)
	counts(t, s, l.ID, 1, 0, "a held use taken again")
	mustMove(t, s, a.ID, payments.StatusFailed, payments.LinkUseRelease)
	mustMove(t, s, a.ID, payments.StatusPending, payments.LinkUseRetake)
	counts(t, s, l.ID, 1, 0, "a failed payment started again")
	mustMove(t, s, a.ID, payments.StatusFailed, payments.LinkUseRelease)
	mustUse(t, s, l.ID, "b", true)
	before, err := s.Payment(ctx, a.ID)
	must(t, err)
	if _, err := move(t, s, a.ID, payments.StatusPending, payments.LinkUseRetake); !errors.Is(err, payments.ErrLinkTaken) || !errors.Is(err, payments.ErrLinkUsedUp) {
		t.Errorf("starting again with the place held by an open checkout = %v, want ErrLinkTaken", err)
	}
	after, err := s.Payment(ctx, a.ID)
	must(t, err)
	if after.Status != payments.StatusFailed || after.Version != before.Version {
		t.Errorf("the refused start wrote the payment: %s v%d, want %s v%d", after.Status, after.Version, before.Status, before.Version)
	}
	counts(t, s, l.ID, 1, 0, "a refused start")
	// The other shopper pays: the link is used up, and says so.
	b := payFor(t, s, l, 2, "b")
	mustMove(t, s, b.ID, payments.StatusPaid, payments.LinkUsePaid)
	counts(t, s, l.ID, 1, 1, "the other shopper paid")
	if _, err := move(t, s, a.ID, payments.StatusPending, payments.LinkUseRetake); !errors.Is(err, payments.ErrLinkUsedUp) || errors.Is(err, payments.ErrLinkTaken) {
		t.Errorf("starting again with the link used up = %v, want ErrLinkUsedUp itself", err)
	}
	counts(t, s, l.ID, 1, 1, "a refused start on a used-up link")
	// Paid anyway (a transaction of the failed attempt): it counts.
	mustMove(t, s, a.ID, payments.StatusPaid, payments.LinkUsePaid)
	counts(t, s, l.ID, 2, 2, "the failed payment paid")
}

// testRetakeConcurrent: five released payments start again while 24
// shoppers open a 5-use link, all at once: exactly 5 places are taken.
func testRetakeConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	l := link(1)
	l.MaxUses = 5
	must(t, s.CreateLink(ctx, l))
	var failed []string
	for i := range 5 {
		key := fmt.Sprint("first", i)
		mustUse(t, s, l.ID, key, true)
		p := payFor(t, s, l, i+1, key)
		mustMove(t, s, p.ID, payments.StatusFailed, payments.LinkUseRelease)
		failed = append(failed, p.ID)
	}
	counts(t, s, l.ID, 0, 0, "five failed payments")
	var wg sync.WaitGroup
	var mu sync.Mutex
	taken := 0
	start := make(chan struct{})
	took := func(ok bool, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil && !errors.Is(err, payments.ErrLinkUsedUp) {
			t.Errorf("concurrent use: %v", err)
		}
		if ok && err == nil {
			taken++
		}
	}
	for _, id := range failed {
		wg.Go(func() {
			<-start
			_, err := move(t, s, id, payments.StatusPending, payments.LinkUseRetake)
			took(true, err)
		})
	}
	for i := range 24 {
		wg.Go(func() {
			<-start
			_, used, _, err := s.UseLink(ctx, l.ID, fmt.Sprint("shopper", i), base())
			took(used, err)
		})
	}
	close(start)
	wg.Wait()
	got, err := s.Link(ctx, l.ID)
	must(t, err)
	if taken != 5 || got.Uses != 5 {
		t.Errorf("5 restarts and 24 opens of a 5-use link took %d places, stored %d; want 5 and 5", taken, got.Uses)
	}
}

// testNoLinkUse: a payment not made through a stored link moves with a
// link change and touches no link.
func testNoLinkUse(t *testing.T, s Store) {
	ctx := t.Context()
	l := link(1)
	must(t, s.CreateLink(ctx, l))
	mustUse(t, s, l.ID, "a", true)
	at := base().UTC()
	p := payments.Payment{ID: fmt.Sprintf("pay_%026d", 7), Reference: "order-7", Amount: 100, Currency: payments.NZD,
		Status: payments.StatusCreated, Source: payments.SourceLink, Version: 1, CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(time.Hour)}
	if _, _, err := s.CreatePayment(ctx, p, payments.Event{PaymentID: p.ID, Type: "payment.created", To: payments.StatusCreated, CreatedAt: at},
		payments.Idempotency{Key: "link:order-7", Hash: "h"}); err != nil {
		t.Fatal(err)
	}
	mustMove(t, s, p.ID, payments.StatusExpired, payments.LinkUseRelease)
	mustMove(t, s, p.ID, payments.StatusPaid, payments.LinkUsePaid)
	counts(t, s, l.ID, 1, 0, "another payment moved")
}

// useAt counts a use of link id for key at the given time.
func useAt(t *testing.T, s Store, id, key string, at time.Time) {
	t.Helper()
	if _, used, _, err := s.UseLink(t.Context(), id, key, at); err != nil || !used {
		t.Fatalf("UseLink(%s at %v) = used %v, %v; want used", key, at, used, err)
	}
}

func sweep(t *testing.T, s Store, cutoff time.Time, limit int, want payments.LinkSweep, when string) {
	t.Helper()
	got, err := s.SweepLinkUses(t.Context(), cutoff, limit)
	if err != nil || got != want {
		t.Errorf("%s: SweepLinkUses = %+v, %v; want %+v", when, got, err, want)
	}
}

// testSweepOrphan: a use counted before the cutoff that no payment was
// made for (the process stopped in between) is given back and its key
// forgotten; a use whose payment was made and tied stays, open or ended.
func testSweepOrphan(t *testing.T, s Store) {
	ctx := t.Context()
	l := link(1)
	l.MaxUses = 3
	must(t, s.CreateLink(ctx, l))
	useAt(t, s, l.ID, "orphan", base())
	useAt(t, s, l.ID, "open", base())
	payFor(t, s, l, 1, "open")
	useAt(t, s, l.ID, "paid", base())
	paid := payFor(t, s, l, 2, "paid")
	mustMove(t, s, paid.ID, payments.StatusPaid, payments.LinkUsePaid)
	counts(t, s, l.ID, 3, 1, "before the sweep")
	mustUse(t, s, l.ID, "another", false)

	cutoff := base().Add(time.Hour)
	sweep(t, s, cutoff, 10, payments.LinkSweep{Released: 1}, "one orphan")
	counts(t, s, l.ID, 2, 1, "after the sweep")
	sweep(t, s, cutoff, 10, payments.LinkSweep{}, "swept again")
	counts(t, s, l.ID, 2, 1, "after sweeping again")
	if _, used, replay, err := s.UseLink(ctx, l.ID, "orphan", cutoff); err != nil || !used || replay {
		t.Errorf("the orphan's key again: used %v, replay %v, %v; want a new use", used, replay, err)
	}
	counts(t, s, l.ID, 3, 1, "the orphan's key used again")
}

// testSweepYoung: a use counted at or after the cutoff may still be
// getting its payment: it keeps its place.
func testSweepYoung(t *testing.T, s Store) {
	ctx := t.Context()
	l := link(1)
	l.MaxUses = 2
	must(t, s.CreateLink(ctx, l))
	cutoff := base().Add(10 * time.Minute)
	useAt(t, s, l.ID, "at", cutoff)
	useAt(t, s, l.ID, "after", cutoff.Add(time.Microsecond))
	sweep(t, s, cutoff, 10, payments.LinkSweep{}, "uses not older than the cutoff")
	counts(t, s, l.ID, 2, 0, "after the sweep")
	sweep(t, s, cutoff.Add(time.Microsecond), 10, payments.LinkSweep{Released: 1}, "one older than a later cutoff")
	counts(t, s, l.ID, 1, 0, "after the later sweep")
}

// testSweepUntied: uses whose payment was made under the use's
// idempotency key but not tied to it (an earlier version) are tied and
// follow the payment: an unpaid end gives the place back, a paid one
// counts, an open one keeps its place and is left for a later sweep
// without taking room in the batch. Once tied, the payment's transitions
// move the use.
func testSweepUntied(t *testing.T, s Store) {
	ctx := t.Context()
	l := link(1)
	l.MaxUses = 3
	must(t, s.CreateLink(ctx, l))
	useAt(t, s, l.ID, "open", base()) // the oldest: first in the index
	open := payUntied(t, s, l, 1, "open")
	useAt(t, s, l.ID, "expired", base().Add(time.Second))
	expired := payUntied(t, s, l, 2, "expired")
	mustMove(t, s, expired.ID, payments.StatusExpired, payments.LinkUseRelease)
	useAt(t, s, l.ID, "paid", base().Add(2*time.Second))
	paid := payUntied(t, s, l, 3, "paid")
	mustMove(t, s, paid.ID, payments.StatusPaid, payments.LinkUsePaid)
	counts(t, s, l.ID, 3, 0, "the untied payments moved nothing")

	cutoff := base().Add(time.Hour)
	sweep(t, s, cutoff, 1, payments.LinkSweep{Released: 1, Tied: 1}, "the expired one (limit 1)")
	counts(t, s, l.ID, 2, 0, "the expired payment's place given back")
	sweep(t, s, cutoff, 1, payments.LinkSweep{Tied: 1}, "the paid one (limit 1)")
	counts(t, s, l.ID, 2, 1, "the paid payment counted")
	sweep(t, s, cutoff, 10, payments.LinkSweep{}, "only the open one is left")
	counts(t, s, l.ID, 2, 1, "the open payment holds its place")

	// Tied now: the expired payment paid late counts through Update.
	mustMove(t, s, expired.ID, payments.StatusPaid, payments.LinkUsePaid)
	counts(t, s, l.ID, 3, 2, "the expired payment paid late")
	// The open one ends unpaid while untied: the next sweep gives its
	// place back.
	mustMove(t, s, open.ID, payments.StatusCanceled, payments.LinkUseRelease)
	sweep(t, s, cutoff, 10, payments.LinkSweep{Released: 1, Tied: 1}, "the canceled one")
	counts(t, s, l.ID, 2, 2, "the canceled payment's place given back")
	sweep(t, s, cutoff, 10, payments.LinkSweep{}, "nothing left")
}

// testSweepConcurrent: four sweeps run at once (several instances) while
// 24 shoppers open the link, full with five uses no payment will move:
// three never got a payment, two got one an earlier version did not tie,
// which expired. Each use is settled once, and every place the sweeps
// give back is taken at most once: the link ends with exactly the places
// the new shoppers were counted, never more than its maximum.
func testSweepConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	l := link(1)
	l.MaxUses = 5
	must(t, s.CreateLink(ctx, l))
	for i := range 5 {
		key := fmt.Sprint("stale", i)
		useAt(t, s, l.ID, key, base())
		if i >= 3 {
			p := payUntied(t, s, l, i+1, key)
			mustMove(t, s, p.ID, payments.StatusExpired, payments.LinkUseRelease)
		}
	}
	counts(t, s, l.ID, 5, 0, "full of stale uses")
	cutoff, now := base().Add(time.Hour), base().Add(2*time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total payments.LinkSweep
	counted := 0
	start := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			<-start
			n, err := s.SweepLinkUses(ctx, cutoff, 100)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("concurrent SweepLinkUses: %v", err)
			}
			total.Released += n.Released
			total.Tied += n.Tied
		})
	}
	for i := range 24 {
		wg.Go(func() {
			<-start
			_, used, _, err := s.UseLink(ctx, l.ID, fmt.Sprint("shopper", i), now)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("concurrent UseLink: %v", err)
			}
			if used {
				counted++
			}
		})
	}
	close(start)
	wg.Wait()
	if total != (payments.LinkSweep{Released: 5, Tied: 2}) {
		t.Errorf("4 concurrent sweeps settled %+v; want 5 released, 2 tied, each once", total)
	}
	got, err := s.Link(ctx, l.ID)
	must(t, err)
	if counted > 5 || got.Uses != counted || got.Paid != 0 {
		t.Errorf("24 opens during the sweeps counted %d uses, stored %d (paid %d); want the same, at most 5, paid 0", counted, got.Uses, got.Paid)
	}
	sweep(t, s, cutoff, 100, payments.LinkSweep{}, "after the concurrent sweeps")
}

// testPaymentLink: a payment made through a link (its use tied to it)
// names that link, a link and a printed QR alike; a payment tied to no
// use does not, until a sweep ties the use an earlier version left
// untied; nor does a payment made otherwise, or one that does not exist.
func testPaymentLink(t *testing.T, s Store) {
	ctx := t.Context()
	a, b := link(1), link(2)
	b.Source, b.Descriptions = payments.SourceStaticQR, map[string]string{"zh-Hans": "柜台二维码"}
	for _, l := range []payments.Link{a, b} {
		must(t, s.CreateLink(ctx, l))
	}
	mustUse(t, s, a.ID, "ka", true)
	mustUse(t, s, b.ID, "kb", true)
	pa, pb := payFor(t, s, a, 1, "ka"), payFor(t, s, b, 2, "kb")
	for _, c := range []struct {
		p payments.Payment
		l payments.Link
	}{{pa, a}, {pb, b}} {
		got, err := s.PaymentLink(ctx, c.p.ID)
		must(t, err)
		if got.ID != c.l.ID || got.Source != c.l.Source || got.Description("en") != c.l.Description("en") {
			t.Errorf("PaymentLink(%s) = %s %s %q, want %s %s %q", c.p.ID, got.ID, got.Source, got.Description("en"),
				c.l.ID, c.l.Source, c.l.Description("en"))
		}
	}
	useAt(t, s, a.ID, "old", base())
	untied := payUntied(t, s, a, 3, "old")
	mustMove(t, s, untied.ID, payments.StatusExpired, payments.LinkUseRelease)
	if _, err := s.PaymentLink(ctx, untied.ID); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("PaymentLink(untied) = %v, want ErrNotFound", err)
	}
	sweep(t, s, base().Add(time.Hour), 10, payments.LinkSweep{Released: 1, Tied: 1}, "the untied one")
	if got, err := s.PaymentLink(ctx, untied.ID); err != nil || got.ID != a.ID {
		t.Errorf("PaymentLink(swept) = %s, %v; want %s", got.ID, err, a.ID)
	}
	at := base().UTC()
	other := payments.Payment{ID: fmt.Sprintf("pay_%026d", 7), Reference: "order-7", Amount: 100, Currency: payments.NZD,
		Status: payments.StatusCreated, Source: payments.SourceLink, Version: 1, CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(time.Hour)}
	if _, _, err := s.CreatePayment(ctx, other, payments.Event{PaymentID: other.ID, Type: "payment.created", To: payments.StatusCreated, CreatedAt: at},
		payments.Idempotency{Key: "link:order-7", Hash: "h"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{other.ID, fmt.Sprintf("pay_%026d", 99)} {
		if _, err := s.PaymentLink(ctx, id); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("PaymentLink(%s) = %v, want ErrNotFound", id, err)
		}
	}
}
