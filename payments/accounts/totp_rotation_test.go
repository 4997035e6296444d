package accounts_test

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// TestTOTPSealKeyRotation: while HPP_SESSION_KEY is rotated the service
// gets the new seal key and the old one: a two-step key sealed under the
// old one still signs in, and is sealed again under the new one, so that
// once the old key is dropped the owner still signs in with a code (the
// key became unreadable, leaving only the recovery codes).
func TestTOTPSealKeyRotation(t *testing.T) {
	oldKey, newKey := []byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")
	s, db, c := newService(t)
	if err := s.SetSealKey(oldKey); err != nil {
		t.Fatal(err)
	}
	a, secret, _ := newTOTPOwner(t, s, c)
	signIn := func(s *accounts.Service) error {
		_, ch, _ := s.SignIn(t.Context(), "owner@shop.example", pw, accounts.Actor{})
		_, _, err := s.SignInCode(t.Context(), ch, code(t, secret, c.now()), accounts.Actor{})
		c.add(30 * time.Second)
		return err
	}
	service := func(keys ...[]byte) *accounts.Service {
		s, err := accounts.NewService(db, accounts.NewHasher(2), c.now, rand.Reader)
		if err == nil {
			err = s.SetSealKey(keys[0], keys[1:]...)
		}
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	before, _ := db.Account(t.Context(), a.ID)
	if err := signIn(service(newKey, oldKey)); err != nil {
		t.Fatalf("two-step sign-in while the key is rotated = %v", err)
	}
	if after, _ := db.Account(t.Context(), a.ID); after.TOTPSecret == before.TOTPSecret {
		t.Error("the two-step key was not sealed again under the new key")
	}
	if err := signIn(service(newKey)); err != nil {
		t.Fatalf("two-step sign-in after the old key is dropped = %v", err)
	}
}
