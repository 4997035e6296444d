// Package linkstest is the contract every payments.LinkStore must pass, so
// the SQLite and PostgreSQL stores keep payment links alike:
//
//	func TestLinkStore(t *testing.T) {
//		linkstest.Run(t, func(t *testing.T) payments.LinkStore { return newTestDB(t) })
//	}
//
// Its heart is UseLink at the limit: many opens of one link at once count
// exactly MaxUses uses, never one more.
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

// Run runs the contract against stores made by newStore, which must return
// a new, empty store for every call and clean it up through t.
func Run(t *testing.T, newStore func(t *testing.T) payments.LinkStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s payments.LinkStore)
	}{
		{"RoundTrip", testRoundTrip},
		{"NotFound", testNotFound},
		{"ListNewestFirst", testList},
		{"Deactivate", testDeactivate},
		{"UseLimits", testUseLimits},
		{"UseConcurrentAtLimit", testUseConcurrent},
		{"Release", testRelease},
		{"Replay", testReplay},
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

func testRoundTrip(t *testing.T, s payments.LinkStore) {
	ctx := t.Context()
	a := link(1)
	b := link(2)
	b.Source, b.MinAmount, b.MaxAmount, b.Amount = payments.SourceStaticQR, 0, 0, 1250
	b.Descriptions, b.ExpiresAt, b.MaxUses = map[string]string{"zh-Hant": "只有繁體"}, time.Time{}, 0
	for _, l := range []payments.Link{a, b} {
		must(t, s.CreateLink(ctx, l))
		got, err := s.Link(ctx, l.ID)
		must(t, err)
		if d := cmp.Diff(utc(l), got); d != "" {
			t.Errorf("link %s round trip (-put +got):\n%s", l.ID, d)
		}
	}
}

func testNotFound(t *testing.T, s payments.LinkStore) {
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

func testList(t *testing.T, s payments.LinkStore) {
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

func testDeactivate(t *testing.T, s payments.LinkStore) {
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

func testUseLimits(t *testing.T, s payments.LinkStore) {
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
func testUseConcurrent(t *testing.T, s payments.LinkStore) {
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

func testRelease(t *testing.T, s payments.LinkStore) {
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
func testReplay(t *testing.T, s payments.LinkStore) {
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
