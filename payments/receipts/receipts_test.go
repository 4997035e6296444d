package receipts_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/receipts"
)

// memStore is a receipts.Store in a map.
type memStore map[string]string

func (m memStore) PutReceiptToken(_ context.Context, hash, id string, _ time.Time) error {
	m[hash] = id
	return nil
}

func (m memStore) ReceiptTokenPayment(_ context.Context, hash string) (string, error) {
	if id, ok := m[hash]; ok {
		return id, nil
	}
	return "", receipts.ErrNotFound
}

func newTestService(t *testing.T, st memStore, key string) *receipts.Service {
	t.Helper()
	s, err := receipts.New(st, []byte(key), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestToken: a token is 128 bits, the same on every reprint, different per
// payment and per key, resolved only to its own payment, and stored only
// as its hash.
func TestToken(t *testing.T) {
	st := memStore{}
	s := newTestService(t, st, "0123456789abcdef0123456789abcdef")
	a1, err := s.Token(t.Context(), "pay_A")
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := s.Token(t.Context(), "pay_A")
	b, _ := s.Token(t.Context(), "pay_B")
	if a1 != a2 || a1 == b || len(a1) != receipts.TokenLen {
		t.Fatalf("tokens %q %q %q: want the same per payment, 22 characters, different per payment", a1, a2, b)
	}
	if other, _ := newTestService(t, memStore{}, "another key, 32 bytes long......").Token(t.Context(), "pay_A"); other == a1 {
		t.Error("the token does not depend on the key")
	}
	for tok, want := range map[string]string{a1: "pay_A", b: "pay_B"} {
		if got, err := s.Payment(t.Context(), tok); err != nil || got != want {
			t.Errorf("Payment(%s) = %q, %v; want %q", tok, got, err, want)
		}
	}
	for h, id := range st {
		if h == a1 || h == b || strings.Contains(h, a1) {
			t.Errorf("the store holds the token itself (%s -> %s)", h, id)
		}
	}
	forged := []byte(a1)
	forged[3] ^= 1
	for _, tok := range []string{string(forged), a1[:21], a1 + "A", "", "pay_A", strings.Repeat("!", 22)} {
		if _, err := s.Payment(t.Context(), tok); !errors.Is(err, receipts.ErrNotFound) {
			t.Errorf("Payment(%q) = %v, want ErrNotFound", tok, err)
		}
	}
}
