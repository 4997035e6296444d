package accounts_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newTOTPOwner is an owner with two-step sign-in on; it returns the
// account, its key and its recovery codes.
func newTOTPOwner(t *testing.T, s *accounts.Service, c *clock) (accounts.Account, string, []string) {
	t.Helper()
	ctx := t.Context()
	a, err := s.CreateAccount(ctx, "owner@shop.example", "", pw, accounts.Owner, accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	en, err := s.BeginTOTP(ctx, a.ID, "Kiwi Shop")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(en.URL, "otpauth://totp/Kiwi%20Shop:owner@shop.example?") || len(en.Secret) < 32 {
		t.Fatalf("enrolment = %+v", en)
	}
	again, _ := s.BeginTOTP(ctx, a.ID, "Kiwi Shop")
	if again.Secret != en.Secret {
		t.Fatal("showing the enrolment again changed the key the person may have scanned")
	}
	if _, err := s.ConfirmTOTP(ctx, a.ID, "000000", accounts.Actor{}); !errors.Is(err, accounts.ErrBadCode) && code(t, en.Secret, c.now()) != "000000" {
		t.Fatalf("confirm with a wrong code = %v, want ErrBadCode", err)
	}
	rec, err := s.ConfirmTOTP(ctx, a.ID, code(t, en.Secret, c.now()), accounts.Actor{})
	if err != nil || len(rec) != accounts.RecoveryCodes {
		t.Fatalf("ConfirmTOTP = %d codes, %v", len(rec), err)
	}
	c.add(30 * time.Second) // the confirming code's step is used
	return a, en.Secret, rec
}

// TestTOTPSignIn: with two-step sign-in on, the password alone opens no
// session; a code does, once (a replay in the same step is refused as
// used); a recovery code works once; the key is sealed at rest.
func TestTOTPSignIn(t *testing.T) {
	s, db, c := newService(t)
	if err := s.SetSealKey([]byte("0123456789abcdef0123456789abcdef")); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	a, secret, rec := newTOTPOwner(t, s, c)
	stored, _ := db.Account(ctx, a.ID)
	if !stored.TOTPOn() || strings.Contains(stored.TOTPSecret, secret) || stored.TOTPPending != "" || len(stored.Recovery) != 10 {
		t.Fatalf("stored account: secret sealed %v, pending %q, %d recovery hashes", !strings.Contains(stored.TOTPSecret, secret), stored.TOTPPending, len(stored.Recovery))
	}
	for _, r := range rec {
		if strings.Contains(strings.Join(stored.Recovery, " "), strings.ReplaceAll(r, "-", "")) {
			t.Fatal("a recovery code is stored in clear")
		}
	}
	who := accounts.Actor{Address: "203.0.113.5"}
	_, ch, err := s.SignIn(ctx, "owner@shop.example", pw, who)
	if !errors.Is(err, accounts.ErrCodeRequired) || ch == "" {
		t.Fatalf("password of a two-step account = %q, %v; want a challenge and ErrCodeRequired", ch, err)
	}
	if ss, _ := db.Sessions(ctx, a.ID); len(ss) != 0 {
		t.Fatalf("the password alone opened %d sessions", len(ss))
	}
	if _, _, err := s.SignInCode(ctx, ch, "12345", who); !errors.Is(err, accounts.ErrBadCode) {
		t.Fatalf("a 5-digit code = %v, want ErrBadCode", err)
	}
	now := code(t, secret, c.now())
	_, sid, err := s.SignInCode(ctx, ch, now, who)
	if err != nil || sid == "" {
		t.Fatalf("the right code = %q, %v", sid, err)
	}
	// The same code again, in the same 30 seconds, through a new password step.
	_, ch2, _ := s.SignIn(ctx, "owner@shop.example", pw, who)
	if _, _, err := s.SignInCode(ctx, ch2, now, who); !errors.Is(err, accounts.ErrCodeUsed) {
		t.Fatalf("a replayed code = %v, want ErrCodeUsed", err)
	}
	if _, _, err := s.SignInCode(ctx, ch, code(t, secret, c.now().Add(30*time.Second)), who); !errors.Is(err, accounts.ErrTokenExpired) {
		t.Fatalf("a spent challenge = %v, want ErrTokenExpired", err)
	}
	if _, _, err := s.SignInCode(ctx, ch2, strings.ToUpper(rec[3]), who); err != nil {
		t.Fatalf("a recovery code = %v", err)
	}
	_, ch3, _ := s.SignIn(ctx, "owner@shop.example", pw, who)
	if _, _, err := s.SignInCode(ctx, ch3, rec[3], who); !errors.Is(err, accounts.ErrBadCode) {
		t.Fatalf("a used recovery code = %v, want ErrBadCode", err)
	}
	c.add(accounts.SignInCodeTTL)
	if _, _, err := s.SignInCode(ctx, ch3, rec[4], who); !errors.Is(err, accounts.ErrTokenExpired) {
		t.Fatalf("a challenge after %v = %v, want ErrTokenExpired", accounts.SignInCodeTTL, err)
	}
	if got, _ := db.Account(ctx, a.ID); len(got.Recovery) != 9 {
		t.Fatalf("%d recovery codes left, want 9", len(got.Recovery))
	}
}

// TestTOTPWrongCodesLock: wrong codes count towards the lockout like
// wrong passwords, and a locked account's re-auth says it is locked.
func TestTOTPWrongCodesLock(t *testing.T) {
	s, _, c := newService(t)
	_ = s.SetSealKey([]byte("0123456789abcdef0123456789abcdef"))
	ctx := t.Context()
	_, secret, _ := newTOTPOwner(t, s, c)
	_, ch, _ := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{})
	// A right code signs in; keep its session for the re-auth below.
	_, sid, err := s.SignInCode(ctx, ch, code(t, secret, c.now()), accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reauthenticate(ctx, sid, pw, "", accounts.Actor{}); !errors.Is(err, accounts.ErrCodeRequired) {
		t.Fatalf("re-auth without a code = %v, want ErrCodeRequired", err)
	}
	var err2 error
	for range accounts.MaxFailures {
		_, ch, _ := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{})
		_, _, err2 = s.SignInCode(ctx, ch, "999999", accounts.Actor{})
	}
	if !errors.Is(err2, accounts.ErrLocked) {
		t.Fatalf("the %dth wrong code = %v, want ErrLocked", accounts.MaxFailures, err2)
	}
	c.add(30 * time.Second)
	if err := s.Reauthenticate(ctx, sid, pw, code(t, secret, c.now()), accounts.Actor{}); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("re-auth of a locked account = %v, want ErrLocked", err)
	}
	c.add(accounts.LockFor)
	if err := s.Reauthenticate(ctx, sid, pw, code(t, secret, c.now()), accounts.Actor{}); err != nil {
		t.Fatalf("re-auth after the lock = %v", err)
	}
	if err := s.DisableTOTP(ctx, sid, pw, code(t, secret, c.now()), accounts.Actor{}); !errors.Is(err, accounts.ErrCodeUsed) {
		t.Fatalf("turning off with the code just used = %v, want ErrCodeUsed", err)
	}
	c.add(30 * time.Second)
	if err := s.DisableTOTP(ctx, sid, pw, code(t, secret, c.now()), accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, sid, err := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{}); err != nil || sid == "" {
		t.Fatalf("sign-in with two-step off = %v", err)
	}
}

// TestTOTPNeedsSealKey: without a seal key no key is enrolled (so none
// is ever stored in clear).
func TestTOTPNeedsSealKey(t *testing.T) {
	s, db, _ := newService(t)
	a, _ := s.CreateAccount(t.Context(), "owner@shop.example", "", pw, accounts.Owner, accounts.Actor{})
	if _, err := s.BeginTOTP(t.Context(), a.ID, "Shop"); err == nil {
		t.Fatal("enrolment without a seal key succeeded")
	}
	if got, _ := db.Account(t.Context(), a.ID); got.TOTPPending != "" {
		t.Fatalf("pending key stored: %q", got.TOTPPending)
	}
}

// TestPeople: an invitation lets the person choose a password once,
// within 24 hours; a reset ends their sessions and two-step sign-in; the
// last owner can be neither removed nor made a cashier; each change is in
// the audit log with before and after.
func TestPeople(t *testing.T) {
	s, db, c := newService(t)
	ctx := t.Context()
	owner, _ := s.CreateAccount(ctx, "owner@shop.example", "", pw, accounts.Owner, accounts.Actor{})
	by := accounts.Actor{AccountID: owner.ID, Email: owner.Email}
	cash, tok, err := s.Invite(ctx, "Till@Shop.example", "Till", accounts.Cashier, by)
	if err != nil || cash.Email != "till@shop.example" || !cash.Invited() {
		t.Fatalf("Invite = %+v, %v", cash, err)
	}
	if _, _, err := s.SignIn(ctx, "till@shop.example", "", accounts.Actor{}); !errors.Is(err, accounts.ErrBadCredential) {
		t.Fatalf("an invited account signs in with no password: %v", err)
	}
	if _, err := s.AcceptInvite(ctx, tok, "short", accounts.Actor{}); !errors.Is(err, accounts.ErrInvalid) {
		t.Fatalf("short password = %v", err)
	}
	if _, err := s.AcceptInvite(ctx, tok, pw, accounts.Actor{}); err != nil {
		t.Fatalf("AcceptInvite = %v", err)
	}
	if _, err := s.AcceptInvite(ctx, tok, pw, accounts.Actor{}); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("second use = %v, want ErrNotFound", err)
	}
	_, sid, err := s.SignIn(ctx, "till@shop.example", pw, accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	tok2, err := s.ResetAccess(ctx, cash.ID, by)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticate(ctx, sid); !errors.Is(err, accounts.ErrSessionEnded) {
		t.Fatalf("session after a reset = %v", err)
	}
	c.add(accounts.InviteTTL)
	if _, err := s.AcceptInvite(ctx, tok2, pw, accounts.Actor{}); !errors.Is(err, accounts.ErrTokenExpired) {
		t.Fatalf("a link after 24 hours = %v, want ErrTokenExpired", err)
	}
	if err := s.RemoveAccount(ctx, owner.ID, by); !errors.Is(err, accounts.ErrLastOwner) {
		t.Fatalf("removing the last owner = %v", err)
	}
	if err := s.SetRole(ctx, owner.ID, accounts.Cashier, by); !errors.Is(err, accounts.ErrLastOwner) {
		t.Fatalf("demoting the last owner = %v", err)
	}
	if err := s.SetRole(ctx, cash.ID, accounts.Owner, by); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveAccount(ctx, owner.ID, by); err != nil {
		t.Fatalf("removing one of two owners = %v", err)
	}
	log, _ := db.Audit(ctx, accounts.AuditFilter{Limit: 20})
	got := map[string]string{}
	for _, e := range log {
		got[e.Action] = e.Before + " -> " + e.After
	}
	for action, want := range map[string]string{
		"account.invite": " -> till@shop.example cashier", "account.accept": "invited -> password set",
		"account.reset_access": "password -> invited, sessions ended", "account.role": "cashier -> owner",
		"account.remove": "owner@shop.example owner -> ",
	} {
		if got[action] != want {
			t.Errorf("audit %s = %q, want %q", action, got[action], want)
		}
	}
}

// TestResetPasswordTurnsTOTPOff: `hpp admin reset-password` lets in an
// owner who lost their phone and recovery codes: the new password alone
// signs in.
func TestResetPasswordTurnsTOTPOff(t *testing.T) {
	s, _, c := newService(t)
	_ = s.SetSealKey([]byte("0123456789abcdef0123456789abcdef"))
	newTOTPOwner(t, s, c)
	npw, err := s.ResetPassword(t.Context(), "owner@shop.example", accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if _, sid, err := s.SignIn(t.Context(), "owner@shop.example", npw, accounts.Actor{}); err != nil || sid == "" {
		t.Fatalf("sign-in after reset-password = %v, want a session without a code", err)
	}
}

// TestSignInCodeAfterAccessChanged: a challenge issued before the
// account's access changed opens nothing even when it is still stored
// (a sign-in that raced the change), and counts no failure.
func TestSignInCodeAfterAccessChanged(t *testing.T) {
	s, db, c := newService(t)
	if err := s.SetSealKey([]byte("0123456789abcdef0123456789abcdef")); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	a, secret, _ := newTOTPOwner(t, s, c)
	c.add(time.Minute)
	_, ch, err := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{})
	if !errors.Is(err, accounts.ErrCodeRequired) {
		t.Fatal(err)
	}
	c.add(time.Second)
	if _, err := db.UpdateAccount(ctx, a.ID, func(x *accounts.Account) error {
		x.AccessChangedAt = c.now().UTC()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, sid, err := s.SignInCode(ctx, ch, code(t, secret, c.now()), accounts.Actor{}); !errors.Is(err, accounts.ErrTokenExpired) || sid != "" {
		t.Fatalf("a challenge from before the access changed = %q, %v; want ErrTokenExpired", sid, err)
	}
	if got, _ := db.Account(ctx, a.ID); got.FailedSignIns != 0 {
		t.Errorf("the refused challenge counted %d failures", got.FailedSignIns)
	}
	// A sign-in after the change goes through.
	c.add(30 * time.Second)
	_, ch, _ = s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{})
	if _, sid, err := s.SignInCode(ctx, ch, code(t, secret, c.now()), accounts.Actor{}); err != nil || sid == "" {
		t.Fatalf("a challenge after the change = %q, %v", sid, err)
	}
}
