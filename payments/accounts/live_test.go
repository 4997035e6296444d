package accounts_test

import (
	"errors"
	"testing"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// TestLiveDoesNotTouch: Live says a fresh session is live and, since it
// never counts as a use, a session only Live asks about still ends after
// IdleTimeout; a signed-out session is ended at once.
func TestLiveDoesNotTouch(t *testing.T) {
	s, _, c := newService(t)
	ctx := t.Context()
	if _, err := s.CreateAccount(ctx, "owner@shop.example", "", pw, accounts.Owner, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	_, sid, err := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	for range 4 { // asked every few minutes for most of the idle time
		if err := s.Live(ctx, sid); err != nil {
			t.Fatalf("Live after %v: %v", c.now(), err)
		}
		c.add(accounts.IdleTimeout / 4)
	}
	if err := s.Live(ctx, sid); !errors.Is(err, accounts.ErrSessionEnded) {
		t.Errorf("Live after %v idle but asked = %v, want ErrSessionEnded", accounts.IdleTimeout, err)
	}
	_, sid, err = s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SignOut(ctx, sid, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Live(ctx, sid); !errors.Is(err, accounts.ErrSessionEnded) {
		t.Errorf("Live after sign-out = %v, want ErrSessionEnded", err)
	}
	if err := s.Live(ctx, ""); !errors.Is(err, accounts.ErrSessionEnded) {
		t.Errorf("Live(\"\") = %v, want ErrSessionEnded", err)
	}
}
