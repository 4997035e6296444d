package accounts_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// TestUnknownEmailLocksLikeAnAccount: six wrong passwords for an email
// with an account and for one without get the same answers in the same
// order (wrong ×4, then locked), the audit log records the same reasons,
// the lock ends after LockFor for both, and an email typed with other
// case or spaces counts as the same one.
func TestUnknownEmailLocksLikeAnAccount(t *testing.T) {
	s, db, c := newService(t)
	ctx := t.Context()
	if _, err := s.CreateAccount(ctx, "owner@shop.example", "", pw, accounts.Owner, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	answers := func(emails ...string) string {
		var out string
		for _, e := range emails {
			_, _, err := s.SignIn(ctx, e, "wrong password!", accounts.Actor{Address: "203.0.113.9"})
			switch {
			case errors.Is(err, accounts.ErrBadCredential):
				out += "wrong "
			case errors.Is(err, accounts.ErrLocked):
				out += "locked "
			default:
				out += fmt.Sprintf("%v ", err)
			}
		}
		return out
	}
	six := func(e string) []string { return []string{e, e, e, " " + e, e, e} }
	known := answers(six("owner@shop.example")...)
	unknown := answers(six("nobody@shop.example")...)
	odd := answers(six("Not An Email")...)
	want := "wrong wrong wrong wrong locked locked "
	if known != want || unknown != known || odd != known {
		t.Fatalf("six wrong passwords:\nknown   %s\nunknown %s\nnot an email %s\nwant    %s", known, unknown, odd, want)
	}
	log, err := db.Audit(ctx, accounts.AuditFilter{Action: "signin.failed", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	why := map[string]string{}
	for _, e := range log {
		if e.Email != "" {
			why[e.Email] = e.After + "," + why[e.Email]
		}
	}
	if why["owner@shop.example"] != why["nobody@shop.example"] {
		t.Errorf("audit reasons differ: known %q, unknown %q", why["owner@shop.example"], why["nobody@shop.example"])
	}
	c.add(accounts.LockFor - time.Second)
	if got := answers("NOBODY@shop.example"); got != "locked " {
		t.Errorf("unknown email a second before the lock ends = %s", got)
	}
	c.add(time.Second)
	if got := answers("owner@shop.example", "nobody@shop.example"); got != "wrong wrong " {
		t.Errorf("after the lock = %s, want wrong for both", got)
	}
}
