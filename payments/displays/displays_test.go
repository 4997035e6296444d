package displays_test

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/displays"
)

// memStore is a displays.Store in maps.
type memStore struct {
	mu       sync.Mutex
	pairings map[string]displays.Pairing
	list     []displays.Display
}

func (m *memStore) PutDisplayPairing(_ context.Context, p displays.Pairing) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for h, q := range m.pairings {
		if q.DeviceID == p.DeviceID {
			delete(m.pairings, h)
		}
	}
	m.pairings[p.CodeHash] = p
	return nil
}

func (m *memStore) TakeDisplayPairing(_ context.Context, h string, now time.Time) (displays.Pairing, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pairings[h]
	delete(m.pairings, h)
	if !ok || !now.Before(p.ExpiresAt) {
		return displays.Pairing{}, displays.ErrNotFound
	}
	return p, nil
}

func (m *memStore) CreateDisplay(_ context.Context, d displays.Display) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.list = append(m.list, d)
	return nil
}

func (m *memStore) DisplayByToken(_ context.Context, h string) (displays.Display, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.list {
		if d.TokenHash == h {
			return d, nil
		}
	}
	return displays.Display{}, displays.ErrNotFound
}

func (m *memStore) Displays(_ context.Context, dev string) ([]displays.Display, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []displays.Display
	for _, d := range m.list {
		if d.DeviceID == dev && d.RevokedAt.IsZero() {
			out = append(out, d)
		}
	}
	return out, nil
}

func (m *memStore) RevokeDisplay(_ context.Context, dev, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, d := range m.list {
		if d.ID == id && d.DeviceID == dev {
			m.list[i].RevokedAt = at
			return nil
		}
	}
	return displays.ErrNotFound
}

// TestPairing: a code pairs one display with the device that asked for
// it, once, within its minute; the credential then authenticates until
// revoked.
func TestPairing(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	st := &memStore{pairings: map[string]displays.Pairing{}}
	s, err := displays.New(st, func() time.Time { return now }, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	code, exp, err := s.NewCode(t.Context(), "dev_1")
	if err != nil || len(code) != displays.CodeDigits || !exp.Equal(now.Add(displays.PairingTTL)) {
		t.Fatalf("NewCode = %q, %v, %v", code, exp, err)
	}
	for h := range st.pairings {
		if h == code {
			t.Error("the store holds the code itself")
		}
	}
	for _, bad := range []string{"", "1234", "abcdefgh", code + "0"} {
		if _, _, err := s.Pair(t.Context(), bad); !errors.Is(err, displays.ErrBadCode) {
			t.Errorf("Pair(%q) = %v, want ErrBadCode", bad, err)
		}
	}
	spaced := code[:4] + " " + code[4:]
	d, tok, err := s.Pair(t.Context(), spaced)
	if err != nil || d.DeviceID != "dev_1" || tok == "" {
		t.Fatalf("Pair(%q) = %+v, %q, %v", spaced, d, tok, err)
	}
	if _, _, err := s.Pair(t.Context(), code); !errors.Is(err, displays.ErrBadCode) {
		t.Errorf("Pair(used code) = %v, want ErrBadCode", err)
	}
	if got, err := s.Authenticate(t.Context(), tok); err != nil || got.ID != d.ID {
		t.Errorf("Authenticate = %+v, %v", got, err)
	}
	if err := s.Revoke(t.Context(), "dev_1", d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(t.Context(), tok); !errors.Is(err, displays.ErrNotFound) {
		t.Errorf("Authenticate(revoked) = %v, want ErrNotFound", err)
	}
	code, _, _ = s.NewCode(t.Context(), "dev_1")
	now = now.Add(displays.PairingTTL)
	if _, _, err := s.Pair(t.Context(), code); !errors.Is(err, displays.ErrBadCode) {
		t.Errorf("Pair(expired) = %v, want ErrBadCode", err)
	}
}
