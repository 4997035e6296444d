// Package displaystest is the contract every displays.Store must pass, so
// the SQLite and PostgreSQL stores behave alike:
//
//	func TestDisplayStore(t *testing.T) {
//		displaystest.Run(t, func(t *testing.T) displays.Store { return newTestDB(t) })
//	}
//
// It owns what pairing a shopper-facing display with a counter must do in
// any engine (a pairing code works once and expires; a display's life
// from paired to forgotten). It imports payments/displays only, never an
// engine. A new displays.Store method gets its subtest in Run first, then
// both stores implement it.
package displaystest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latipay-hpp/hpp/payments/displays"
)

// base is the suite's fixed instant, in a zone other than UTC (stores
// return UTC) and at millisecond precision.
func base() time.Time {
	return time.Date(2026, 12, 3, 9, 15, 0, 123_000_000, time.FixedZone("NZDT", 13*60*60))
}

// Run runs the contract against stores made by newStore, which must return
// a new, empty store for every call and clean it up through t.
func Run(t *testing.T, newStore func(t *testing.T) displays.Store) {
	t.Run("Pairing/Once", func(t *testing.T) {
		s, now := newStore(t), base()
		if err := s.PutDisplayPairing(t.Context(), displays.Pairing{CodeHash: "c1", DeviceID: "dev_1", ExpiresAt: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		// A new code for the device replaces the earlier one.
		if err := s.PutDisplayPairing(t.Context(), displays.Pairing{CodeHash: "c2", DeviceID: "dev_1", ExpiresAt: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TakeDisplayPairing(t.Context(), "c1", now); !errors.Is(err, displays.ErrNotFound) {
			t.Errorf("TakeDisplayPairing(replaced code) = %v, want ErrNotFound", err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 4 {
			wg.Go(func() {
				p, err := s.TakeDisplayPairing(t.Context(), "c2", now)
				if err == nil {
					mu.Lock()
					won++
					mu.Unlock()
					if p.DeviceID != "dev_1" || !p.ExpiresAt.Equal(now.Add(time.Minute)) {
						t.Errorf("TakeDisplayPairing = %+v", p)
					}
				} else if !errors.Is(err, displays.ErrNotFound) {
					t.Errorf("TakeDisplayPairing: %v", err)
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Errorf("%d concurrent takes of one code won, want 1", won)
		}
	})
	t.Run("Pairing/Expired", func(t *testing.T) {
		s, now := newStore(t), base()
		if err := s.PutDisplayPairing(t.Context(), displays.Pairing{CodeHash: "c1", DeviceID: "dev_1", ExpiresAt: now}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TakeDisplayPairing(t.Context(), "c1", now); !errors.Is(err, displays.ErrNotFound) {
			t.Errorf("TakeDisplayPairing(at expiry) = %v, want ErrNotFound", err)
		}
	})
	t.Run("Display/Lifecycle", func(t *testing.T) {
		s, now := newStore(t), base()
		d := displays.Display{ID: "dsp_1", DeviceID: "dev_1", TokenHash: "t1", CreatedAt: now.UTC()}
		for _, x := range []displays.Display{d, {ID: "dsp_2", DeviceID: "dev_2", TokenHash: "t2", CreatedAt: now.UTC()}} {
			if err := s.CreateDisplay(t.Context(), x); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.DisplayByToken(t.Context(), "t1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(d, got); diff != "" {
			t.Errorf("DisplayByToken (-want +got):\n%s", diff)
		}
		if _, err := s.DisplayByToken(t.Context(), "nope"); !errors.Is(err, displays.ErrNotFound) {
			t.Errorf("DisplayByToken(unknown) = %v, want ErrNotFound", err)
		}
		if ds, err := s.Displays(t.Context(), "dev_1"); err != nil || len(ds) != 1 || ds[0].ID != "dsp_1" {
			t.Errorf("Displays(dev_1) = %+v, %v; want dsp_1 alone", ds, err)
		}
		// Another device's display cannot be revoked through this one.
		if err := s.RevokeDisplay(t.Context(), "dev_1", "dsp_2", now); !errors.Is(err, displays.ErrNotFound) {
			t.Errorf("RevokeDisplay(other device's) = %v, want ErrNotFound", err)
		}
		if err := s.RevokeDisplay(t.Context(), "dev_1", "dsp_1", now); err != nil {
			t.Fatal(err)
		}
		if got, err := s.DisplayByToken(t.Context(), "t1"); err != nil || !got.RevokedAt.Equal(now) {
			t.Errorf("DisplayByToken(revoked) = %+v, %v; want RevokedAt %v", got, err, now)
		}
		if ds, err := s.Displays(t.Context(), "dev_1"); err != nil || len(ds) != 0 {
			t.Errorf("Displays(dev_1) after revoke = %+v, %v; want none", ds, err)
		}
		if got, err := s.DisplayByToken(t.Context(), "t2"); err != nil || !got.RevokedAt.IsZero() {
			t.Errorf("the other device's display = %+v, %v; want it working", got, err)
		}
	})
}
