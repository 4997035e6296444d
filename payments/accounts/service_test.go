package accounts_test

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/sqlite"
)

// clock is a settable time for the service under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newService(t *testing.T) (*accounts.Service, *sqlite.DB, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)}
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hpp.db"), c.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := accounts.NewService(db, accounts.NewHasher(2), c.now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s, db, c
}

const pw = "correct horse battery staple"

// TestLockout: five wrong passwords in a row lock the account for five
// minutes, during which even the right password is refused; after that it
// signs in, and every failure is in the audit log.
func TestLockout(t *testing.T) {
	s, db, c := newService(t)
	ctx := t.Context()
	if _, err := s.CreateAccount(ctx, "owner@shop.example", "", pw, accounts.Owner, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	who := accounts.Actor{Address: "203.0.113.5", Device: "test"}
	for i := 1; i <= accounts.MaxFailures; i++ {
		_, _, err := s.SignIn(ctx, "owner@shop.example", "wrong password!", who)
		want := accounts.ErrBadCredential
		if i == accounts.MaxFailures {
			want = accounts.ErrLocked
		}
		if !errors.Is(err, want) {
			t.Fatalf("failure %d = %v, want %v", i, err, want)
		}
	}
	if _, _, err := s.SignIn(ctx, "OWNER@shop.example ", pw, who); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("right password while locked = %v, want ErrLocked", err)
	}
	c.add(accounts.LockFor - time.Second)
	if _, _, err := s.SignIn(ctx, "owner@shop.example", pw, who); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("right password a second before the lock ends = %v, want ErrLocked", err)
	}
	c.add(time.Second)
	a, sid, err := s.SignIn(ctx, "owner@shop.example", pw, who)
	if err != nil || sid == "" || a.FailedSignIns != 0 {
		t.Fatalf("sign-in after the lock = %+v, %q, %v", a, sid, err)
	}
	log, err := db.Audit(ctx, accounts.AuditFilter{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, e := range log {
		if e.Action == "signin.failed" && e.Address == "203.0.113.5" {
			failed++
		}
	}
	if failed != accounts.MaxFailures+2 || log[0].Action != "signin" {
		t.Errorf("audit: %d failed sign-ins, newest %q; want %d and signin", failed, log[0].Action, accounts.MaxFailures+2)
	}
}

// TestUnknownEmail: an unknown email is the same answer as a wrong
// password, and is audited.
func TestUnknownEmail(t *testing.T) {
	s, db, _ := newService(t)
	if _, _, err := s.SignIn(t.Context(), "nobody@shop.example", pw, accounts.Actor{}); !errors.Is(err, accounts.ErrBadCredential) {
		t.Fatalf("unknown email = %v, want ErrBadCredential", err)
	}
	log, _ := db.Audit(t.Context(), accounts.AuditFilter{Limit: 5})
	if len(log) != 1 || log[0].Action != "signin.failed" || log[0].Email != "nobody@shop.example" {
		t.Fatalf("audit = %+v", log)
	}
}

// TestSessionTimeouts: a session ends after 30 idle minutes, or 12 hours
// after sign-in however busy; sign-out and password reset end it at once.
func TestSessionTimeouts(t *testing.T) {
	s, _, c := newService(t)
	ctx := t.Context()
	if _, err := s.CreateAccount(ctx, "owner@shop.example", "", pw, accounts.Owner, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	_, idle, _ := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{})
	_, busy, _ := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{})
	if idle == busy {
		t.Fatal("two sign-ins got one session id")
	}
	start := c.now()
	for c.now().Sub(start) < accounts.AbsoluteTimeout-30*time.Minute {
		if _, _, err := s.Authenticate(ctx, busy); err != nil {
			t.Fatalf("busy session after %v: %v", c.now().Sub(start), err)
		}
		c.add(20 * time.Minute)
	}
	if _, _, err := s.Authenticate(ctx, idle); !errors.Is(err, accounts.ErrSessionEnded) {
		t.Fatalf("idle session = %v, want ErrSessionEnded", err)
	}
	if _, _, err := s.Authenticate(ctx, busy); err != nil { // used just now: not idle
		t.Fatalf("busy session before 12 hours: %v", err)
	}
	c.add(start.Add(accounts.AbsoluteTimeout).Sub(c.now()))
	if _, _, err := s.Authenticate(ctx, busy); !errors.Is(err, accounts.ErrSessionEnded) {
		t.Fatalf("session at 12 hours = %v, want ErrSessionEnded", err)
	}
	_, a, _ := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{})
	_, b, _ := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{})
	if err := s.SignOut(ctx, a, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticate(ctx, a); !errors.Is(err, accounts.ErrSessionEnded) {
		t.Fatalf("signed-out session = %v", err)
	}
	if _, err := s.ResetPassword(ctx, "owner@shop.example", accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticate(ctx, b); !errors.Is(err, accounts.ErrSessionEnded) {
		t.Fatalf("session after a password reset = %v", err)
	}
}

// TestSetup: every setup token issued (one per instance and start) is
// good until one of them makes the owner, once, within 24 hours; bad
// input does not spend it; an expired token is refused, and CheckSetup
// says so before any form is filled.
func TestSetup(t *testing.T) {
	s, _, c := newService(t)
	ctx := t.Context()
	other, err := s.NewSetupToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.NewSetupToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{other, tok} {
		if err := s.CheckSetup(ctx, k); err != nil {
			t.Fatalf("CheckSetup of an issued token = %v", err)
		}
	}
	if err := s.CheckSetup(ctx, "x"+tok); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("CheckSetup of a token never issued = %v, want ErrNotFound", err)
	}
	if _, err := s.CompleteSetup(ctx, tok, "owner@shop.example", "", "short", accounts.Actor{}); !errors.Is(err, accounts.ErrInvalid) {
		t.Fatalf("short password = %v, want ErrInvalid", err)
	}
	a, err := s.CompleteSetup(ctx, tok, "owner@shop.example", "Owner", pw, accounts.Actor{})
	if err != nil || a.Role != accounts.Owner {
		t.Fatalf("setup = %+v, %v", a, err)
	}
	for _, k := range []string{tok, other} {
		if err := s.CheckSetup(ctx, k); !errors.Is(err, accounts.ErrOwnerExists) {
			t.Fatalf("CheckSetup once the owner exists = %v, want ErrOwnerExists", err)
		}
		if _, err := s.CompleteSetup(ctx, k, "second@shop.example", "", pw, accounts.Actor{}); !errors.Is(err, accounts.ErrOwnerExists) {
			t.Fatalf("a setup once the owner exists = %v, want ErrOwnerExists", err)
		}
	}
	if _, err := s.NewSetupToken(ctx); !errors.Is(err, accounts.ErrOwnerExists) {
		t.Fatalf("a setup token with an owner = %v, want ErrOwnerExists", err)
	}

	s2, _, c2 := newService(t)
	tok, _ = s2.NewSetupToken(ctx)
	c2.add(accounts.SetupTokenTTL)
	if err := s2.CheckSetup(ctx, tok); !errors.Is(err, accounts.ErrTokenExpired) {
		t.Fatalf("CheckSetup of an expired token = %v, want ErrTokenExpired", err)
	}
	if _, err := s2.CompleteSetup(ctx, tok, "owner@shop.example", "", pw, accounts.Actor{}); !errors.Is(err, accounts.ErrTokenExpired) {
		t.Fatalf("expired token = %v, want ErrTokenExpired", err)
	}
	_ = c
}

// TestUnknownEmailCostsAHash: the hash an unknown email is checked
// against has the parameters of a real one (so the check costs the same
// time and memory) and a fresh salt per process, its check takes a
// hashing slot like a real one, and no password matches it.
func TestUnknownEmailCostsAHash(t *testing.T) {
	h, h2 := accounts.NewHasher(1), accounts.NewHasher(1)
	real, err := h.Hash(t.Context(), pw)
	if err != nil {
		t.Fatal(err)
	}
	d := strings.Split(h.DummyForTest(), "$")
	r := strings.Split(real, "$")
	if len(d) != 6 || d[1] != r[1] || d[2] != r[2] || d[3] != r[3] || len(d[4]) != len(r[4]) || len(d[5]) != len(r[5]) {
		t.Fatalf("dummy %q does not have the shape of a real hash %q", h.DummyForTest(), real)
	}
	if h.DummyForTest() == h2.DummyForTest() {
		t.Error("two hashers share one dummy hash")
	}
	for _, p := range []string{pw, "", "not a password: equalizes the time of unknown emails"} {
		if ok, err := h.Verify(t.Context(), "", p); ok || err != nil {
			t.Errorf("Verify(unknown, %q) = %v, %v; want false, nil", p, ok, err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	release := h.HoldForTest()
	defer release()
	if _, err := h.Verify(ctx, "", pw); !errors.Is(err, accounts.ErrBusy) {
		t.Fatalf("an unknown email's check with every slot taken = %v, want ErrBusy (it must hash)", err)
	}
}

// TestHasherBounded: with one slot taken, a hash whose context ends
// before a slot frees gets ErrBusy instead of allocating another 19 MiB.
func TestHasherBounded(t *testing.T) {
	h := accounts.NewHasher(1)
	enc, err := h.Hash(t.Context(), pw)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := h.Verify(t.Context(), enc, pw); !ok {
		t.Fatal("the right password does not verify")
	}
	if ok, _ := h.Verify(t.Context(), enc, pw+"x"); ok {
		t.Fatal("a wrong password verifies")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	// The slot is free, but a done context still must not start a hash
	// unless it gets the slot; with the slot held it must give up.
	release := h.HoldForTest()
	defer release()
	if _, err := h.Verify(ctx, enc, pw); !errors.Is(err, accounts.ErrBusy) {
		t.Fatalf("Verify with every slot taken = %v, want ErrBusy", err)
	}
}
