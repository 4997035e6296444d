package accounts_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// trustBrowser signs in as email from a browser without a device cookie
// and returns the device token TrustDevice gives it.
func trustBrowser(t *testing.T, s *accounts.Service, email string) string {
	t.Helper()
	_, sid, err := s.SignIn(t.Context(), email, pw, accounts.Actor{Address: "198.51.100.7"})
	if err != nil {
		t.Fatalf("sign-in to earn a device: %v", err)
	}
	tok, err := s.TrustDevice(t.Context(), sid, nil)
	if err != nil || tok == "" {
		t.Fatalf("TrustDevice = %q, %v", tok, err)
	}
	return tok
}

// lockAccount sends MaxFailures wrong passwords for email from a browser
// with no device cookie: the last locks the account.
func lockAccount(t *testing.T, s *accounts.Service, email string) {
	t.Helper()
	stranger := accounts.Actor{Address: "203.0.113.66"}
	for i := 1; i <= accounts.MaxFailures; i++ {
		_, _, err := s.SignIn(t.Context(), email, "a wrong password!", stranger)
		if want := accounts.ErrBadCredential; i < accounts.MaxFailures && !errors.Is(err, want) {
			t.Fatalf("stranger's failure %d = %v, want %v", i, err, want)
		}
		if i == accounts.MaxFailures && !errors.Is(err, accounts.ErrLocked) {
			t.Fatalf("stranger's failure %d = %v, want ErrLocked", i, err)
		}
	}
	if _, _, err := s.SignIn(t.Context(), email, pw, accounts.Actor{Address: "192.0.2.10"}); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("right password from a browser with no device cookie while locked = %v, want ErrLocked", err)
	}
}

// TestTrustedDeviceOutlastsStranger: a stranger's five wrong passwords
// lock the account for browsers without a device cookie, but the owner's
// browser that signed in before still signs in with the right password;
// that browser's own five wrong passwords lock it alone (the account's
// count and lock are untouched, another browser signs in), until LockFor
// has passed. The token is kept only as its SHA-256, and the audit log
// marks the trusted browser's failures.
func TestTrustedDeviceOutlastsStranger(t *testing.T) {
	s, db, c := newService(t)
	ctx := t.Context()
	if _, err := s.CreateAccount(ctx, "owner@shop.example", "", pw, accounts.Owner, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	tok := trustBrowser(t, s, "owner@shop.example")
	if _, err := db.TrustedDevice(ctx, tok); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("the device token is stored in clear: %v", err)
	}
	if _, err := db.TrustedDevice(ctx, digestHex(tok)); err != nil {
		t.Fatalf("the device is not stored under its token's SHA-256: %v", err)
	}
	owner := accounts.Actor{Address: "198.51.100.7", DeviceTokens: []string{tok}}

	lockAccount(t, s, "owner@shop.example")
	if _, sid, err := s.SignIn(ctx, "owner@shop.example", pw, owner); err != nil || sid == "" {
		t.Fatalf("the owner's trusted browser while a stranger keeps the account locked = %v", err)
	}

	c.add(accounts.LockFor) // the account's lock ends; the device's own failures now
	for i := 1; i <= accounts.MaxFailures; i++ {
		_, _, err := s.SignIn(ctx, "owner@shop.example", "a wrong password!", owner)
		if i < accounts.MaxFailures && !errors.Is(err, accounts.ErrBadCredential) || i == accounts.MaxFailures && !errors.Is(err, accounts.ErrLocked) {
			t.Fatalf("trusted browser's failure %d = %v", i, err)
		}
	}
	if _, _, err := s.SignIn(ctx, "owner@shop.example", pw, owner); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("right password from the locked device = %v, want ErrLocked", err)
	}
	a, err := db.AccountByEmail(ctx, "owner@shop.example")
	if err != nil || a.FailedSignIns != 0 || c.now().Before(a.LockedUntil) {
		t.Fatalf("the device's failures reached the account: %d failures, locked until %v (%v)", a.FailedSignIns, a.LockedUntil, err)
	}
	if _, _, err := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{Address: "192.0.2.10"}); err != nil {
		t.Fatalf("another browser while the owner's device is locked = %v", err)
	}
	c.add(accounts.LockFor)
	if _, _, err := s.SignIn(ctx, "owner@shop.example", pw, owner); err != nil {
		t.Fatalf("the device after its lock = %v", err)
	}

	log, err := db.Audit(ctx, accounts.AuditFilter{Action: "signin.failed", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var known, other []string
	for _, e := range log {
		if e.Address == "198.51.100.7" {
			known = append(known, e.After)
		} else {
			other = append(other, e.After)
		}
	}
	want := []string{"locked; known device", "locked now; known device", "known device", "known device", "known device", "known device"}
	if strings.Join(known, "|") != strings.Join(want, "|") {
		t.Errorf("the trusted browser's refusals, newest first = %q, want %q", known, want)
	}
	for _, w := range other {
		if strings.Contains(w, accounts.KnownDevice) {
			t.Errorf("a refusal without a device cookie is marked %q", w)
		}
	}
}

// TestTrustedDeviceCodes: wrong two-step codes from a trusted browser
// count against it as its wrong passwords do: five lock it alone, while
// a stranger's wrong codes (who has the password) lock the account for
// every browser without a trusted device cookie.
func TestTrustedDeviceCodes(t *testing.T) {
	s, db, c := newService(t)
	if err := s.SetSealKey([]byte("0123456789abcdef0123456789abcdef")); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	_, secret, _ := newTOTPOwner(t, s, c)
	_, ch, err := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{})
	if !errors.Is(err, accounts.ErrCodeRequired) {
		t.Fatal(err)
	}
	_, sid, err := s.SignInCode(ctx, ch, code(t, secret, c.now()), accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.TrustDevice(ctx, sid, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner := accounts.Actor{DeviceTokens: []string{tok}}
	c.add(30 * time.Second)

	// The stranger knows the password and guesses codes.
	var last error
	for range accounts.MaxFailures {
		_, ch, _ := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{Address: "203.0.113.66"})
		_, _, last = s.SignInCode(ctx, ch, "999999", accounts.Actor{Address: "203.0.113.66"})
	}
	if !errors.Is(last, accounts.ErrLocked) {
		t.Fatalf("the stranger's %dth wrong code = %v, want ErrLocked", accounts.MaxFailures, last)
	}
	if _, _, err := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{}); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("a browser without a device cookie = %v, want ErrLocked", err)
	}
	_, ch, err = s.SignIn(ctx, "owner@shop.example", pw, owner)
	if !errors.Is(err, accounts.ErrCodeRequired) {
		t.Fatalf("the trusted browser's password step while the account is locked = %v, want ErrCodeRequired", err)
	}
	for i := 1; i <= accounts.MaxFailures; i++ {
		_, _, err := s.SignInCode(ctx, ch, "999999", owner)
		if i < accounts.MaxFailures && !errors.Is(err, accounts.ErrBadCode) || i == accounts.MaxFailures && !errors.Is(err, accounts.ErrLocked) {
			t.Fatalf("the trusted browser's wrong code %d = %v", i, err)
		}
	}
	if _, _, err := s.SignInCode(ctx, ch, code(t, secret, c.now()), owner); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("a right code from the locked device = %v, want ErrLocked", err)
	}
	c.add(accounts.LockFor)
	// Both locks have ended: the account's count starts again at zero (the
	// device's codes never reached it), and the device signs in.
	a, _ := db.AccountByEmail(ctx, "owner@shop.example")
	if a.FailedSignIns != 0 {
		t.Fatalf("the device's wrong codes reached the account: %d", a.FailedSignIns)
	}
	_, ch, _ = s.SignIn(ctx, "owner@shop.example", pw, owner)
	if _, _, err := s.SignInCode(ctx, ch, code(t, secret, c.now()), owner); err != nil {
		t.Fatalf("the device after its lock = %v", err)
	}
}

// TestTrustedDeviceVoided: a device cookie counts for nothing after the
// account's access changes (sign out everywhere, a new password, a reset
// of access or of the password), after DeviceTTL without a sign-in, for
// another account, or once its account is removed: its browser is then
// refused while the account is locked, like any other. (A new role keeps
// it: TestRoleChangeKeepsDevice.)
func TestTrustedDeviceVoided(t *testing.T) {
	changes := map[string]func(t *testing.T, s *accounts.Service, c *clock, a accounts.Account, sid string){
		"sign out everywhere": func(t *testing.T, s *accounts.Service, _ *clock, a accounts.Account, _ string) {
			if err := s.RevokeSessions(t.Context(), a, a.ID, accounts.Actor{}); err != nil {
				t.Fatal(err)
			}
		},
		"password change": func(t *testing.T, s *accounts.Service, _ *clock, _ accounts.Account, sid string) {
			if _, err := s.ChangePassword(t.Context(), sid, pw, "another good passphrase", accounts.Actor{}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ChangePassword(t.Context(), mustSignIn(t, s, "another good passphrase"), "another good passphrase", pw, accounts.Actor{}); err != nil {
				t.Fatal(err)
			}
		},
		"reset of access": func(t *testing.T, s *accounts.Service, _ *clock, a accounts.Account, _ string) {
			tok, err := s.ResetAccess(t.Context(), a.ID, accounts.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.AcceptInvite(t.Context(), tok, pw, accounts.Actor{}); err != nil {
				t.Fatal(err)
			}
		},
		"reset of the password": func(t *testing.T, s *accounts.Service, _ *clock, a accounts.Account, _ string) {
			if _, err := s.ResetPassword(t.Context(), a.Email, accounts.Actor{}); err != nil {
				t.Fatal(err)
			}
		},
		"DeviceTTL without a sign-in": func(t *testing.T, _ *accounts.Service, c *clock, _ accounts.Account, _ string) {
			c.add(accounts.DeviceTTL)
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			s, db, c := newService(t)
			ctx := t.Context()
			a, err := s.CreateAccount(ctx, "owner@shop.example", "", pw, accounts.Owner, accounts.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			tok := trustBrowser(t, s, a.Email)
			owner := accounts.Actor{DeviceTokens: []string{tok}}
			c.add(time.Second)
			change(t, s, c, a, mustSignIn(t, s, pw))
			c.add(time.Second)
			lockAccount(t, s, a.Email)
			if _, _, err := s.SignIn(ctx, a.Email, pw, owner); !errors.Is(err, accounts.ErrLocked) {
				t.Fatalf("the device cookie after the change, account locked = %v, want ErrLocked", err)
			}
			if name != "DeviceTTL without a sign-in" {
				if _, err := db.TrustedDevice(ctx, digestHex(tok)); !errors.Is(err, accounts.ErrNotFound) {
					t.Errorf("the voided device is still stored: %v", err)
				}
			}
		})
	}
	t.Run("another account's", func(t *testing.T) {
		s, _, _ := newService(t)
		ctx := t.Context()
		for _, e := range []string{"owner@shop.example", "cashier@shop.example"} {
			if _, err := s.CreateAccount(ctx, e, "", pw, accounts.Owner, accounts.Actor{}); err != nil {
				t.Fatal(err)
			}
		}
		tok := trustBrowser(t, s, "cashier@shop.example")
		lockAccount(t, s, "owner@shop.example")
		if _, _, err := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{DeviceTokens: []string{tok}}); !errors.Is(err, accounts.ErrLocked) {
			t.Fatalf("the cashier's device cookie for the locked owner = %v, want ErrLocked", err)
		}
	})
	t.Run("removed", func(t *testing.T) {
		s, db, _ := newService(t)
		ctx := t.Context()
		boss, err := s.CreateAccount(ctx, "boss@shop.example", "", pw, accounts.Owner, accounts.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.CreateAccount(ctx, "owner@shop.example", "", pw, accounts.Owner, accounts.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		tok := trustBrowser(t, s, a.Email)
		if err := s.RemoveAccount(ctx, a.ID, accounts.Actor{AccountID: boss.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.TrustedDevice(ctx, digestHex(tok)); !errors.Is(err, accounts.ErrNotFound) {
			t.Fatalf("a removed account's device is still stored: %v", err)
		}
	})
}

// TestTrustDeviceNeedsFreshSignIn: only a session opened within the last
// minute gets a device; a browser that already holds the account's
// device keeps its token; tokens of no device are ignored.
func TestTrustDeviceNeedsFreshSignIn(t *testing.T) {
	s, _, c := newService(t)
	ctx := t.Context()
	if _, err := s.CreateAccount(ctx, "owner@shop.example", "", pw, accounts.Owner, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	sid := mustSignIn(t, s, pw)
	c.add(time.Minute)
	if tok, err := s.TrustDevice(ctx, sid, nil); !errors.Is(err, accounts.ErrSessionEnded) {
		t.Fatalf("TrustDevice for a session a minute old = %q, %v; want ErrSessionEnded", tok, err)
	}
	tok := trustBrowser(t, s, "owner@shop.example")
	again, err := s.TrustDevice(ctx, mustSignIn(t, s, pw), []string{"junk", strings.Repeat("A", 43), tok})
	if err != nil || again != tok {
		t.Fatalf("TrustDevice for a browser holding the account's device = %q, %v; want its token", again, err)
	}
}

func mustSignIn(t *testing.T, s *accounts.Service, password string) string {
	t.Helper()
	_, sid, err := s.SignIn(t.Context(), "owner@shop.example", password, accounts.Actor{})
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	return sid
}

// digestHex is the hex SHA-256 under which the store keeps a token.
func digestHex(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}
