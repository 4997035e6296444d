package accounts_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// TestCheckPassword: the rules every password set follows, and which
// one a refusal names. The limit is in bytes: 1024 ASCII characters
// pass, 342 Chinese characters (1026 bytes) do not.
func TestCheckPassword(t *testing.T) {
	for _, c := range []struct{ pw, why string }{
		{"correct horse battery staple", ""},
		{"Tea & Scones 42", ""},
		{strings.Repeat("ab", 512), ""},
		{strings.Repeat("茶", 12), accounts.PasswordRepeated},
		{strings.Repeat("茶叶", 170), ""},
		{"short one", accounts.PasswordShort},
		{strings.Repeat("x", 5000), accounts.PasswordLong},
		{strings.Repeat("ab", 512) + "c", accounts.PasswordLong},
		{strings.Repeat("茶叶", 171), accounts.PasswordLong},
		{strings.Repeat(" ", 12), accounts.PasswordBlank},
		{" \t\n \u3000        ", accounts.PasswordBlank},
		{"aaaaaaaaaaaa", accounts.PasswordRepeated},
		{"password1234", accounts.PasswordCommon},
		{"PassWord1234", accounts.PasswordCommon},
		{"123456789012", accounts.PasswordCommon},
		{"qwerty123456", accounts.PasswordCommon},
	} {
		err := accounts.CheckPassword(c.pw)
		var ie *accounts.InputError
		switch {
		case c.why == "" && err != nil:
			t.Errorf("CheckPassword(%.20q…) = %v, want it accepted", c.pw, err)
		case c.why != "" && (!errors.As(err, &ie) || ie.Field != "password" || ie.Why != c.why || !errors.Is(err, accounts.ErrInvalid)):
			t.Errorf("CheckPassword(%.20q…) = %#v, want a password InputError %q", c.pw, err, c.why)
		case c.why != "" && !strings.Contains(err.Error(), "it "):
			t.Errorf("CheckPassword(%.20q…) says %q, not which rule", c.pw, err)
		}
	}
}

// TestPasswordRulesEverywhere: setup, a new account and an invitation
// refuse a weak password, and the link is not spent by the refusal.
func TestPasswordRulesEverywhere(t *testing.T) {
	s, _, _ := newService(t)
	ctx := t.Context()
	for _, weak := range []string{strings.Repeat(" ", 12), "aaaaaaaaaaaa", "password1234", strings.Repeat("x", 5000)} {
		tok, err := s.NewSetupToken(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CompleteSetup(ctx, tok, "boss@shop.example", "", weak, accounts.Actor{}); !errors.Is(err, accounts.ErrInvalid) {
			t.Fatalf("setup with %.20q = %v, want ErrInvalid", weak, err)
		}
		if _, err := s.CreateAccount(ctx, "new@shop.example", "", weak, accounts.Cashier, accounts.Actor{}); !errors.Is(err, accounts.ErrInvalid) {
			t.Fatalf("new account with %.20q = %v, want ErrInvalid", weak, err)
		}
	}
	if _, err := s.CreateAccount(ctx, "owner@shop.example", "", pw, accounts.Owner, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	_, tok, err := s.Invite(ctx, "cashier@shop.example", "", accounts.Cashier, accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptInvite(ctx, tok, "password1234", accounts.Actor{}); !errors.Is(err, accounts.ErrInvalid) {
		t.Fatalf("invitation with a common password = %v, want ErrInvalid", err)
	}
	if _, err := s.AcceptInvite(ctx, tok, pw, accounts.Actor{}); err != nil {
		t.Fatalf("the invitation after a refused password = %v", err)
	}
}

// TestChangePassword: a wrong current password counts towards the lock
// like a failed sign-in, and a locked account cannot change its password
// even with the right one; a change ends every session of the person,
// this one too, and returns a new one for this browser.
func TestChangePassword(t *testing.T) {
	s, _, c := newService(t)
	ctx := t.Context()
	if _, err := s.CreateAccount(ctx, "owner@shop.example", "", pw, accounts.Owner, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	_, here, _ := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{})
	_, there, _ := s.SignIn(ctx, "owner@shop.example", pw, accounts.Actor{})
	const next = "a new kettle for the shop"
	for i := 1; i <= accounts.MaxFailures; i++ {
		want := accounts.ErrBadCredential
		if i == accounts.MaxFailures {
			want = accounts.ErrLocked
		}
		if _, err := s.ChangePassword(ctx, here, "wrong password!", next, accounts.Actor{}); !errors.Is(err, want) {
			t.Fatalf("wrong current password %d = %v, want %v", i, err, want)
		}
	}
	if _, err := s.ChangePassword(ctx, here, pw, next, accounts.Actor{}); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("change while locked = %v, want ErrLocked", err)
	}
	c.add(accounts.LockFor)
	renewed, err := s.ChangePassword(ctx, here, pw, next, accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if renewed == "" || renewed == here {
		t.Fatalf("the session after the change = %q, want a new id", renewed)
	}
	if sess, _, err := s.Authenticate(ctx, renewed); err != nil || !s.Fresh(sess) {
		t.Errorf("the new session after the change = %v (fresh %v), want it open and just confirmed", err, s.Fresh(sess))
	}
	if _, _, err := s.Authenticate(ctx, here); !errors.Is(err, accounts.ErrSessionEnded) {
		t.Errorf("this browser's old session after the change = %v, want ended", err)
	}
	if _, _, err := s.Authenticate(ctx, there); !errors.Is(err, accounts.ErrSessionEnded) {
		t.Errorf("the other session after the change = %v, want ended", err)
	}
}
