// Package receiptstest is the contract every receipts.Store must pass, so
// the SQLite and PostgreSQL stores behave alike:
//
//	func TestReceiptStore(t *testing.T) {
//		receiptstest.Run(t, func(t *testing.T) receipts.Store { return newTestDB(t) })
//	}
//
// It owns what the e-receipt tokens must do in any engine. It imports
// payments/receipts only, never an engine. A new receipts.Store method
// gets its subtest in Run first, then both stores implement it.
package receiptstest

import (
	"errors"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/receipts"
)

// Run runs the contract against stores made by newStore, which must return
// a new, empty store for every call and clean it up through t.
func Run(t *testing.T, newStore func(t *testing.T) receipts.Store) {
	t.Run("Token/RoundTrip", func(t *testing.T) {
		s := newStore(t)
		at := time.Date(2026, 12, 3, 9, 15, 0, 0, time.UTC)
		if _, err := s.ReceiptTokenPayment(t.Context(), "h1"); !errors.Is(err, receipts.ErrNotFound) {
			t.Fatalf("ReceiptTokenPayment(unknown) = %v, want ErrNotFound", err)
		}
		for range 2 { // recording it again is not an error
			if err := s.PutReceiptToken(t.Context(), "h1", "pay_1", at); err != nil {
				t.Fatalf("PutReceiptToken: %v", err)
			}
		}
		if err := s.PutReceiptToken(t.Context(), "h2", "pay_2", at); err != nil {
			t.Fatal(err)
		}
		for hash, want := range map[string]string{"h1": "pay_1", "h2": "pay_2"} {
			if got, err := s.ReceiptTokenPayment(t.Context(), hash); err != nil || got != want {
				t.Errorf("ReceiptTokenPayment(%s) = %q, %v; want %q", hash, got, err, want)
			}
		}
	})
}
