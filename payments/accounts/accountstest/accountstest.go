// Package accountstest is the contract every accounts.Store must pass, so
// the SQLite and PostgreSQL stores behave alike:
//
//	func TestAccountStore(t *testing.T) {
//		accountstest.Run(t, func(t *testing.T) accounts.Store { return newTestDB(t) })
//	}
//
// It owns what the back office's accounts (the last owner kept), one-time
// setup and account tokens, sessions and audit trail must do in any
// engine, and the trusted devices (device cookies) of the lock-out. It imports payments/accounts
// (and go-cmp) only, never an engine: the engines' tests import it. A new
// accounts.Store method gets its check in Run first, then both stores
// implement it; the service's own rules are tested in payments/accounts.
package accountstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// Run runs the contract against stores made by newStore, which must return
// a new, empty store for every call and clean it up through t.
func Run(t *testing.T, newStore func(t *testing.T) accounts.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s accounts.Store)
	}{
		{"Account/RoundTrip", testAccountRoundTrip},
		{"Account/EmailTaken", testEmailTaken},
		{"Account/NotFound", testNotFound},
		{"Account/Update", testUpdate},
		{"Account/UpdateConcurrent", testUpdateConcurrent},
		{"Account/Delete", testDelete},
		{"Account/KeepOwner", testKeepOwner},
		{"Account/KeepOwnerConcurrent", testKeepOwnerConcurrent},
		{"Account/Bookkeeper", testBookkeeper},
		{"SetupToken/Several", testSetupTokensSeveral},
		{"SetupToken/Refusals", testSetupTokenRefusals},
		{"SetupToken/Concurrent", testSetupTokenConcurrent},
		{"Session/Lifecycle", testSessions},
		{"Audit/AppendList", testAudit},
		{"Audit/Filter", testAuditFilter},
		{"AccountToken/Once", testAccountTokenOnce},
		{"AccountToken/Concurrent", testAccountTokenConcurrent},
		{"AccountToken/DeletePurpose", testAccountTokensDeletePurpose},
		{"TrustedDevice/Lifecycle", testTrustedDevices},
		{"TrustedDevice/Keep", testTrustedDevicesKeep},
		{"TrustedDevice/UpdateConcurrent", testTrustedDeviceConcurrent},
		{"TrustedDevice/GoWithAccount", testTrustedDevicesGoWithAccount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// base is the suite's fixed instant: millisecond precision in a zone other
// than UTC (stores return UTC).
func base() time.Time {
	return time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.FixedZone("NZDT", 13*60*60))
}

func account(n int, role accounts.Role) accounts.Account {
	t := base()
	return accounts.Account{
		ID: fmt.Sprintf("acc_%026d", n), Email: fmt.Sprintf("person%d@shop.example", n), Name: "王小明 'x' \"y\"",
		Role: role, PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$a2V5",
		TOTPSecret: "sealed-secret", TOTPLastStep: 58392011, Recovery: []string{"aa11", "bb22"}, TOTPPending: "sealed-pending",
		FailedSignIns: 3, LockedUntil: t.Add(5 * time.Minute),
		CreatedAt: t, UpdatedAt: t.Add(time.Second), AccessChangedAt: t.Add(2 * time.Second),
	}
}

func utc(a accounts.Account) accounts.Account {
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	if !a.AccessChangedAt.IsZero() {
		a.AccessChangedAt = a.AccessChangedAt.UTC()
	}
	if !a.LockedUntil.IsZero() {
		a.LockedUntil = a.LockedUntil.UTC()
	}
	return a
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testAccountRoundTrip(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	a, b := account(1, accounts.Owner), account(2, accounts.Cashier)
	b.TOTPSecret, b.TOTPLastStep, b.Recovery, b.FailedSignIns, b.LockedUntil, b.TOTPPending = "", 0, nil, 0, time.Time{}, ""
	b.CreatedAt, b.AccessChangedAt = a.CreatedAt.Add(time.Minute), time.Time{}
	must(t, s.CreateAccount(ctx, a))
	must(t, s.CreateAccount(ctx, b))
	for _, want := range []accounts.Account{a, b} {
		got, err := s.Account(ctx, want.ID)
		must(t, err)
		if d := cmp.Diff(utc(want), got); d != "" {
			t.Errorf("Account(%s) (-want +got):\n%s", want.ID, d)
		}
		got, err = s.AccountByEmail(ctx, want.Email)
		must(t, err)
		if d := cmp.Diff(utc(want), got); d != "" {
			t.Errorf("AccountByEmail(%s) (-want +got):\n%s", want.Email, d)
		}
	}
	all, err := s.Accounts(ctx)
	must(t, err)
	if d := cmp.Diff([]accounts.Account{utc(a), utc(b)}, all); d != "" {
		t.Errorf("Accounts (-want +got):\n%s", d)
	}
}

func testEmailTaken(t *testing.T, s accounts.Store) {
	a := account(1, accounts.Owner)
	must(t, s.CreateAccount(t.Context(), a))
	b := account(2, accounts.Cashier)
	b.Email = a.Email
	if err := s.CreateAccount(t.Context(), b); !errors.Is(err, accounts.ErrEmailTaken) {
		t.Fatalf("CreateAccount with a taken email = %v, want ErrEmailTaken", err)
	}
	if _, err := s.Account(t.Context(), b.ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("the refused account exists: %v", err)
	}
}

func testNotFound(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	checks := map[string]error{}
	_, checks["Account"] = s.Account(ctx, "acc_nobody")
	_, checks["AccountByEmail"] = s.AccountByEmail(ctx, "nobody@shop.example")
	_, checks["UpdateAccount"] = s.UpdateAccount(ctx, "acc_nobody", func(*accounts.Account) error { return nil })
	_, checks["Session"] = s.Session(ctx, "nohash")
	_, checks["SetupToken"] = s.SetupToken(ctx, "nohash")
	checks["CreateFirstOwner"] = s.CreateFirstOwner(ctx, "nohash", base(), account(1, accounts.Owner))
	_, checks["AccountToken"] = s.AccountToken(ctx, "nohash")
	_, checks["TakeAccountToken"] = s.TakeAccountToken(ctx, "nohash")
	for name, err := range checks {
		if !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("%s of nothing = %v, want ErrNotFound", name, err)
		}
	}
	as, err := s.Accounts(ctx)
	if err != nil || len(as) != 0 {
		t.Errorf("Accounts of an empty store = %v, %v", as, err)
	}
}

func testUpdate(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	a := account(1, accounts.Owner)
	must(t, s.CreateAccount(ctx, a))
	boom := errors.New("boom")
	if _, err := s.UpdateAccount(ctx, a.ID, func(a *accounts.Account) error {
		a.Name = "changed"
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("UpdateAccount with a failing fn = %v, want its error", err)
	}
	got, err := s.Account(ctx, a.ID)
	must(t, err)
	if got.Name != a.Name {
		t.Fatalf("a failed update wrote: name %q", got.Name)
	}
	out, err := s.UpdateAccount(ctx, a.ID, func(x *accounts.Account) error {
		x.Name, x.Role, x.PasswordHash = "新名字", accounts.Cashier, "$argon2id$other"
		x.FailedSignIns, x.LockedUntil, x.Recovery, x.TOTPSecret = 0, time.Time{}, nil, ""
		x.TOTPPending, x.TOTPLastStep = "", 58392099
		x.AccessChangedAt = x.AccessChangedAt.Add(time.Hour)
		return nil
	})
	must(t, err)
	got, err = s.Account(ctx, a.ID)
	must(t, err)
	if d := cmp.Diff(out, got); d != "" {
		t.Errorf("UpdateAccount returned what it did not write (-returned +stored):\n%s", d)
	}
	if got.Name != "新名字" || got.Role != accounts.Cashier || !got.LockedUntil.IsZero() || got.Recovery != nil || got.TOTPSecret != "" ||
		got.TOTPPending != "" || got.TOTPLastStep != 58392099 || !got.AccessChangedAt.Equal(a.AccessChangedAt.Add(time.Hour)) {
		t.Errorf("update not kept: %+v", got)
	}
}

// testUpdateConcurrent: UpdateAccount is a locked read-modify-write, so
// concurrent failure counts are never lost (the lockout depends on it).
func testUpdateConcurrent(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	a := account(1, accounts.Owner)
	a.FailedSignIns = 0
	must(t, s.CreateAccount(ctx, a))
	const n = 10
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := s.UpdateAccount(ctx, a.ID, func(a *accounts.Account) error { a.FailedSignIns++; return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := s.Account(ctx, a.ID)
	must(t, err)
	if got.FailedSignIns != n {
		t.Fatalf("after %d concurrent increments FailedSignIns = %d", n, got.FailedSignIns)
	}
}

func testDelete(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	a, b := account(1, accounts.Owner), account(2, accounts.Cashier)
	must(t, s.CreateAccount(ctx, a))
	must(t, s.CreateAccount(ctx, b))
	must(t, s.CreateSession(ctx, session("s1", b.ID, 0)))
	must(t, s.CreateSession(ctx, session("s2", a.ID, 0)))
	must(t, s.DeleteAccount(ctx, b.ID))
	if _, err := s.Account(ctx, b.ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("deleted account still there: %v", err)
	}
	if _, err := s.Session(ctx, "s1"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("deleted account's session still there: %v", err)
	}
	if _, err := s.Session(ctx, "s2"); err != nil {
		t.Fatalf("another account's session went too: %v", err)
	}
}

// testSetupTokensSeveral: tokens added one after another are all good
// (two instances, or two starts, each printed one); an expired one goes
// when the next is added; the owner made with one voids them all.
func testSetupTokensSeveral(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	now := base()
	must(t, s.AddSetupToken(ctx, accounts.SetupToken{Hash: "stale", ExpiresAt: now.Add(-time.Second)}, now.Add(-24*time.Hour)))
	for _, h := range []string{"first", "second", "third"} {
		must(t, s.AddSetupToken(ctx, accounts.SetupToken{Hash: h, ExpiresAt: now.Add(24 * time.Hour)}, now))
	}
	for _, h := range []string{"first", "second", "third"} {
		got, err := s.SetupToken(ctx, h)
		must(t, err)
		if d := cmp.Diff(accounts.SetupToken{Hash: h, ExpiresAt: now.Add(24 * time.Hour).UTC()}, got); d != "" {
			t.Errorf("SetupToken(%s) (-want +got):\n%s", h, d)
		}
	}
	if _, err := s.SetupToken(ctx, "stale"); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("an expired token is still kept after another was added: %v", err)
	}
	owner := account(1, accounts.Owner)
	must(t, s.CreateFirstOwner(ctx, "first", now, owner))
	if got, err := s.Account(ctx, owner.ID); err != nil || got.Email != owner.Email || got.Role != accounts.Owner {
		t.Fatalf("the first owner = %+v, %v", got, err)
	}
	for _, h := range []string{"first", "second", "third"} {
		if _, err := s.SetupToken(ctx, h); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("token %s after the owner was made = %v, want ErrNotFound", h, err)
		}
	}
	if err := s.CreateFirstOwner(ctx, "second", now, account(2, accounts.Owner)); !errors.Is(err, accounts.ErrOwnerExists) {
		t.Errorf("a second first owner = %v, want ErrOwnerExists", err)
	}
}

// testSetupTokenRefusals: an unknown or expired token, or an owner there
// already, changes nothing.
func testSetupTokenRefusals(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	now := base()
	must(t, s.AddSetupToken(ctx, accounts.SetupToken{Hash: "tok", ExpiresAt: now.Add(time.Hour)}, now))
	if err := s.CreateFirstOwner(ctx, "other", now, account(1, accounts.Owner)); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("an unknown token = %v, want ErrNotFound", err)
	}
	if err := s.CreateFirstOwner(ctx, "tok", now.Add(time.Hour), account(1, accounts.Owner)); !errors.Is(err, accounts.ErrTokenExpired) {
		t.Errorf("an expired token = %v, want ErrTokenExpired", err)
	}
	if as, err := s.Accounts(ctx); err != nil || len(as) != 0 {
		t.Fatalf("refused setups made accounts %v, %v", as, err)
	}
	if _, err := s.SetupToken(ctx, "tok"); err != nil {
		t.Fatalf("a refused setup spent the token: %v", err)
	}
	must(t, s.CreateAccount(ctx, account(2, accounts.Owner)))
	if err := s.CreateFirstOwner(ctx, "tok", now, account(1, accounts.Owner)); !errors.Is(err, accounts.ErrOwnerExists) {
		t.Errorf("with an owner there = %v, want ErrOwnerExists", err)
	}
	if _, err := s.Account(ctx, account(1, accounts.Owner).ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("a refused setup made its owner: %v", err)
	}
}

// testSetupTokenConcurrent: setups at once, each with its own token (the
// links two instances printed) or the same one, make one owner.
func testSetupTokenConcurrent(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	now := base()
	const n = 8
	for i := range n / 2 {
		must(t, s.AddSetupToken(ctx, accounts.SetupToken{Hash: fmt.Sprintf("tok%d", i), ExpiresAt: now.Add(time.Hour)}, now))
	}
	var wg sync.WaitGroup
	// Reads at once first, so that a store with a pool has a connection
	// ready for each setup and the setups overlap.
	for range n {
		wg.Go(func() { _, _ = s.Accounts(ctx) })
	}
	wg.Wait()
	var mu sync.Mutex
	won, start := 0, make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := s.CreateFirstOwner(ctx, fmt.Sprintf("tok%d", i%(n/2)), now, account(i+1, accounts.Owner))
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if !errors.Is(err, accounts.ErrOwnerExists) && !errors.Is(err, accounts.ErrNotFound) {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	as, err := s.Accounts(ctx)
	must(t, err)
	if won != 1 || len(as) != 1 {
		t.Fatalf("%d of %d concurrent setups succeeded, leaving %d accounts; want 1 and 1", won, n, len(as))
	}
}

func session(hash, accountID string, minutes int) accounts.Session {
	t := base().Add(time.Duration(minutes) * time.Minute)
	return accounts.Session{IDHash: hash, AccountID: accountID, Address: "203.0.113.9", Device: "Mozilla/5.0 (iPhone) 浏览器",
		CreatedAt: t, SeenAt: t, ReauthAt: t}
}

func sessUTC(s accounts.Session) accounts.Session {
	s.CreatedAt, s.SeenAt, s.ReauthAt = s.CreatedAt.UTC(), s.SeenAt.UTC(), s.ReauthAt.UTC()
	return s
}

func testSessions(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	a, b := account(1, accounts.Owner), account(2, accounts.Cashier)
	must(t, s.CreateAccount(ctx, a))
	must(t, s.CreateAccount(ctx, b))
	s1, s2, s3 := session("h1", a.ID, 0), session("h2", a.ID, 5), session("h3", b.ID, 1)
	for _, x := range []accounts.Session{s1, s2, s3} {
		must(t, s.CreateSession(ctx, x))
	}
	got, err := s.Session(ctx, "h1")
	must(t, err)
	if d := cmp.Diff(sessUTC(s1), got); d != "" {
		t.Errorf("Session (-want +got):\n%s", d)
	}
	list, err := s.Sessions(ctx, a.ID)
	must(t, err)
	if d := cmp.Diff([]accounts.Session{sessUTC(s2), sessUTC(s1)}, list); d != "" {
		t.Errorf("Sessions(a) newest first (-want +got):\n%s", d)
	}
	all, err := s.Sessions(ctx, "")
	must(t, err)
	if len(all) != 3 || all[0].IDHash != "h2" || all[1].IDHash != "h3" {
		t.Errorf("Sessions(all) = %v", all)
	}
	seen := base().Add(20 * time.Minute)
	must(t, s.TouchSession(ctx, "h1", seen, time.Time{}))
	got, _ = s.Session(ctx, "h1")
	if !got.SeenAt.Equal(seen) || !got.ReauthAt.Equal(s1.ReauthAt) {
		t.Errorf("touch without reauth: seen %v reauth %v", got.SeenAt, got.ReauthAt)
	}
	must(t, s.TouchSession(ctx, "h1", seen, seen))
	got, _ = s.Session(ctx, "h1")
	if !got.ReauthAt.Equal(seen) {
		t.Errorf("touch with reauth: reauth %v", got.ReauthAt)
	}
	must(t, s.DeleteSession(ctx, "h1"))
	must(t, s.DeleteSession(ctx, "h1")) // a missing one is no error
	if _, err := s.Session(ctx, "h1"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("deleted session: %v", err)
	}
	must(t, s.DeleteSessions(ctx, a.ID))
	all, _ = s.Sessions(ctx, "")
	if len(all) != 1 || all[0].IDHash != "h3" {
		t.Fatalf("after DeleteSessions(a) sessions = %v, want only b's", all)
	}
}

func testAudit(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	var want []accounts.AuditEntry
	for i := range 5 {
		target := "pay_1"
		if i%2 == 1 {
			target = "pay_2"
		}
		e := accounts.AuditEntry{At: base().Add(time.Duration(i) * time.Second), AccountID: "acc_1", Email: "o@shop.example",
			Address: "198.51.100.7", Device: "Firefox", Action: "refund", Target: target,
			Before: `{"refunded":0}`, After: fmt.Sprintf(`{"refunded":%d,"note":"退款 'x'"}`, i)}
		got, err := s.AppendAudit(ctx, e)
		must(t, err)
		if got.Seq <= 0 || (len(want) > 0 && got.Seq <= want[len(want)-1].Seq) {
			t.Fatalf("Seq %d does not increase", got.Seq)
		}
		e.Seq, e.At = got.Seq, e.At.UTC()
		want = append(want, e)
	}
	all, err := s.Audit(ctx, accounts.AuditFilter{Limit: 10})
	must(t, err)
	rev := func(es []accounts.AuditEntry) []accounts.AuditEntry {
		out := make([]accounts.AuditEntry, 0, len(es))
		for i := len(es) - 1; i >= 0; i-- {
			out = append(out, es[i])
		}
		return out
	}
	if d := cmp.Diff(rev(want), all); d != "" {
		t.Errorf("Audit newest first (-want +got):\n%s", d)
	}
	page, err := s.Audit(ctx, accounts.AuditFilter{Before: want[3].Seq, Limit: 2})
	must(t, err)
	if d := cmp.Diff([]accounts.AuditEntry{want[2], want[1]}, page); d != "" {
		t.Errorf("Audit page before %d (-want +got):\n%s", want[3].Seq, d)
	}
	p2, err := s.Audit(ctx, accounts.AuditFilter{Target: "pay_2", Limit: 10})
	must(t, err)
	if d := cmp.Diff([]accounts.AuditEntry{want[3], want[1]}, p2); d != "" {
		t.Errorf("Audit of pay_2 (-want +got):\n%s", d)
	}
	_ = context.Background
}

// testAuditFilter: the audit page filters by action and by who did it,
// together with keyset paging.
func testAuditFilter(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	var seqs []int64
	for i, x := range []struct{ who, action string }{
		{"acc_1", "signin"}, {"acc_2", "signin"}, {"acc_1", "refund"}, {"acc_1", "signin"}, {"acc_2", "account.invite"},
	} {
		e, err := s.AppendAudit(ctx, accounts.AuditEntry{At: base().Add(time.Duration(i) * time.Second), AccountID: x.who,
			Action: x.action, Target: "t"})
		must(t, err)
		seqs = append(seqs, e.Seq)
	}
	list := func(f accounts.AuditFilter) []int64 {
		t.Helper()
		f.Limit = 10
		es, err := s.Audit(ctx, f)
		must(t, err)
		var out []int64
		for _, e := range es {
			out = append(out, e.Seq)
		}
		return out
	}
	for name, c := range map[string]struct {
		f    accounts.AuditFilter
		want []int64
	}{
		"action":            {accounts.AuditFilter{Action: "signin"}, []int64{seqs[3], seqs[1], seqs[0]}},
		"account":           {accounts.AuditFilter{AccountID: "acc_1"}, []int64{seqs[3], seqs[2], seqs[0]}},
		"both":              {accounts.AuditFilter{Action: "signin", AccountID: "acc_1"}, []int64{seqs[3], seqs[0]}},
		"both, next page":   {accounts.AuditFilter{Action: "signin", AccountID: "acc_1", Before: seqs[3]}, []int64{seqs[0]}},
		"no match":          {accounts.AuditFilter{Action: "export.csv"}, nil},
		"target and action": {accounts.AuditFilter{Target: "t", Action: "account.invite"}, []int64{seqs[4]}},
	} {
		if d := cmp.Diff(c.want, list(c.f)); d != "" {
			t.Errorf("%s: Audit(%+v) seqs (-want +got):\n%s", name, c.f, d)
		}
	}
}

// testAccountTokenOnce: a token reads back as stored, can be taken once,
// replaces the account's earlier token of the same purpose (not another
// purpose's), and goes with its account.
func testAccountTokenOnce(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	a, b := account(1, accounts.Owner), account(2, accounts.Cashier)
	must(t, s.CreateAccount(ctx, a))
	must(t, s.CreateAccount(ctx, b))
	exp := base().Add(24 * time.Hour)
	inv := accounts.AccountToken{Hash: "inv1", AccountID: b.ID, Purpose: accounts.PurposeInvite, ExpiresAt: exp}
	must(t, s.PutAccountToken(ctx, inv))
	must(t, s.PutAccountToken(ctx, accounts.AccountToken{Hash: "sig1", AccountID: b.ID, Purpose: accounts.PurposeSignIn, ExpiresAt: exp}))
	got, err := s.AccountToken(ctx, "inv1")
	must(t, err)
	want := inv
	want.ExpiresAt = exp.UTC()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("AccountToken (-want +got):\n%s", d)
	}
	must(t, s.PutAccountToken(ctx, accounts.AccountToken{Hash: "inv2", AccountID: b.ID, Purpose: accounts.PurposeInvite, ExpiresAt: exp}))
	if _, err := s.AccountToken(ctx, "inv1"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("a replaced invitation is still there: %v", err)
	}
	if _, err := s.AccountToken(ctx, "sig1"); err != nil {
		t.Fatalf("a new invitation removed the sign-in token: %v", err)
	}
	got, err = s.TakeAccountToken(ctx, "inv2")
	must(t, err)
	if got.AccountID != b.ID || got.Purpose != accounts.PurposeInvite {
		t.Errorf("TakeAccountToken = %+v", got)
	}
	if _, err := s.TakeAccountToken(ctx, "inv2"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("a token was taken twice: %v", err)
	}
	must(t, s.DeleteAccount(ctx, b.ID))
	if _, err := s.AccountToken(ctx, "sig1"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("a removed account's token is still there: %v", err)
	}
}

// testAccountTokenDeletePurpose: DeleteAccountTokens removes the tokens
// of one purpose of one account, or of every account, expired ones too,
// says how many, and leaves the other purpose's.
func testAccountTokensDeletePurpose(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	a, b, c := account(1, accounts.Owner), account(2, accounts.Cashier), account(3, accounts.Cashier)
	must(t, s.CreateAccount(ctx, a))
	must(t, s.CreateAccount(ctx, b))
	must(t, s.CreateAccount(ctx, c))
	exp := base().Add(time.Hour)
	for _, tok := range []accounts.AccountToken{
		{Hash: "sigA", AccountID: a.ID, Purpose: accounts.PurposeSignIn, ExpiresAt: exp},
		{Hash: "sigB", AccountID: b.ID, Purpose: accounts.PurposeSignIn, ExpiresAt: base().Add(-time.Hour)},
		{Hash: "invB", AccountID: b.ID, Purpose: accounts.PurposeInvite, ExpiresAt: exp},
		{Hash: "sigC", AccountID: c.ID, Purpose: accounts.PurposeSignIn, ExpiresAt: exp},
		{Hash: "invC", AccountID: c.ID, Purpose: accounts.PurposeInvite, ExpiresAt: exp},
	} {
		must(t, s.PutAccountToken(ctx, tok))
	}
	// One account's: the others' stay.
	if n, err := s.DeleteAccountTokens(ctx, c.ID, accounts.PurposeSignIn); err != nil || n != 1 {
		t.Fatalf("DeleteAccountTokens(c, sign-in) = %d, %v; want 1", n, err)
	}
	if _, err := s.AccountToken(ctx, "sigC"); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("c's sign-in token after deleting it = %v, want ErrNotFound", err)
	}
	for _, h := range []string{"sigA", "sigB", "invC"} {
		if _, err := s.AccountToken(ctx, h); err != nil {
			t.Errorf("token %s after deleting c's sign-in token = %v, want it kept", h, err)
		}
	}
	if n, err := s.DeleteAccountTokens(ctx, "", accounts.PurposeSignIn); err != nil || n != 2 {
		t.Fatalf("DeleteAccountTokens(sign-in) = %d, %v; want 2", n, err)
	}
	for _, h := range []string{"sigA", "sigB"} {
		if _, err := s.AccountToken(ctx, h); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("sign-in token %s after DeleteAccountTokens = %v, want ErrNotFound", h, err)
		}
	}
	for _, h := range []string{"invB", "invC"} {
		if _, err := s.AccountToken(ctx, h); err != nil {
			t.Errorf("invitation %s after deleting the sign-in tokens = %v, want it kept", h, err)
		}
	}
	if n, err := s.DeleteAccountTokens(ctx, "", accounts.PurposeSignIn); err != nil || n != 0 {
		t.Errorf("DeleteAccountTokens of none = %d, %v; want 0", n, err)
	}
}

// testAccountTokenConcurrent: of many concurrent takes of one link, one
// wins (an invitation accepted twice at once makes one password).
func testAccountTokenConcurrent(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	a := account(1, accounts.Cashier)
	must(t, s.CreateAccount(ctx, a))
	must(t, s.PutAccountToken(ctx, accounts.AccountToken{Hash: "tok", AccountID: a.ID, Purpose: accounts.PurposeInvite, ExpiresAt: base().Add(time.Hour)}))
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range n {
		wg.Go(func() {
			_, err := s.TakeAccountToken(ctx, "tok")
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if !errors.Is(err, accounts.ErrNotFound) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d of %d concurrent takes of one link succeeded, want 1", won, n)
	}
}

// testKeepOwner: the last owner can be neither removed nor made a
// cashier; another account can, and an owner among two can.
func testKeepOwner(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	o, c := account(1, accounts.Owner), account(2, accounts.Cashier)
	must(t, s.CreateAccount(ctx, o))
	must(t, s.CreateAccount(ctx, c))
	if _, err := s.RemoveKeepingOwner(ctx, o.ID, base()); !errors.Is(err, accounts.ErrLastOwner) {
		t.Fatalf("removing the last owner = %v, want ErrLastOwner", err)
	}
	if _, err := s.RemovedAccount(ctx, o.ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("removing the last owner = %v, want ErrLastOwner", err)
	}
	if _, err := s.SetRoleKeepingOwner(ctx, o.ID, accounts.Cashier, base()); !errors.Is(err, accounts.ErrLastOwner) {
		t.Fatalf("demoting the last owner = %v, want ErrLastOwner", err)
	}
	if got, _ := s.Account(ctx, o.ID); got.Role != accounts.Owner {
		t.Fatalf("the refused demotion wrote role %q", got.Role)
	}
	at := base().Add(time.Hour)
	before, err := s.SetRoleKeepingOwner(ctx, c.ID, accounts.Owner, at)
	must(t, err)
	if before.Role != accounts.Cashier {
		t.Errorf("SetRoleKeepingOwner returned role %q before, want cashier", before.Role)
	}
	if got, _ := s.Account(ctx, c.ID); got.Role != accounts.Owner || !got.UpdatedAt.Equal(at) || !got.AccessChangedAt.Equal(at) {
		t.Errorf("after promotion: %q at %v, access changed at %v", got.Role, got.UpdatedAt, got.AccessChangedAt)
	}
	// The same role again changes no access.
	if _, err := s.SetRoleKeepingOwner(ctx, c.ID, accounts.Owner, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Account(ctx, c.ID); !got.AccessChangedAt.Equal(at) {
		t.Errorf("the same role again moved the access change to %v, want %v", got.AccessChangedAt, at)
	}
	gone := at.Add(time.Hour)
	removed, err := s.RemoveKeepingOwner(ctx, o.ID, gone)
	must(t, err)
	if removed.Email != o.Email {
		t.Errorf("RemoveKeepingOwner returned %q", removed.Email)
	}
	if _, err := s.RemoveKeepingOwner(ctx, o.ID, gone); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("removing a removed account = %v, want ErrNotFound", err)
	}
	// What it did still names it: the removal keeps who it was.
	kept, err := s.RemovedAccount(ctx, o.ID)
	must(t, err)
	if kept.ID != o.ID || kept.Email != o.Email || kept.Name != o.Name || kept.Role != accounts.Owner || !kept.RemovedAt.Equal(gone) {
		t.Errorf("RemovedAccount = %+v, want %s %s %q owner at %v", kept, o.ID, o.Email, o.Name, gone)
	}
	if _, err := s.Account(ctx, o.ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("a removed account still reads as an account: %v", err)
	}
	if _, err := s.RemovedAccount(ctx, c.ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("RemovedAccount of a live account = %v, want ErrNotFound", err)
	}
}

// testBookkeeper: the bookkeeper role is stored and read back, a cashier
// can become one and back, the last owner cannot, and a removed
// bookkeeper is remembered as one.
func testBookkeeper(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	o, b, c := account(1, accounts.Owner), account(2, accounts.Bookkeeper), account(3, accounts.Cashier)
	for _, a := range []accounts.Account{o, b, c} {
		must(t, s.CreateAccount(ctx, a))
	}
	if got, err := s.Account(ctx, b.ID); err != nil || got.Role != accounts.Bookkeeper {
		t.Fatalf("Account(bookkeeper) = %q, %v; want bookkeeper", got.Role, err)
	}
	at := base().Add(time.Hour)
	before, err := s.SetRoleKeepingOwner(ctx, c.ID, accounts.Bookkeeper, at)
	if err != nil || before.Role != accounts.Cashier {
		t.Fatalf("cashier to bookkeeper: before %q, %v", before.Role, err)
	}
	if got, _ := s.Account(ctx, c.ID); got.Role != accounts.Bookkeeper || !got.AccessChangedAt.Equal(at) {
		t.Errorf("after cashier to bookkeeper: %q, access changed at %v; want bookkeeper at %v", got.Role, got.AccessChangedAt, at)
	}
	if _, err := s.SetRoleKeepingOwner(ctx, o.ID, accounts.Bookkeeper, at); !errors.Is(err, accounts.ErrLastOwner) {
		t.Fatalf("the last owner to bookkeeper = %v, want ErrLastOwner", err)
	}
	gone := at.Add(time.Hour)
	if _, err := s.RemoveKeepingOwner(ctx, b.ID, gone); err != nil {
		t.Fatal(err)
	}
	if kept, err := s.RemovedAccount(ctx, b.ID); err != nil || kept.Role != accounts.Bookkeeper {
		t.Errorf("RemovedAccount(bookkeeper) = %q, %v; want bookkeeper", kept.Role, err)
	}
}

// testKeepOwnerConcurrent: two owners removing each other at the same
// moment leave exactly one owner, however the race goes.
func testKeepOwnerConcurrent(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	for round := range 20 {
		a, b := account(10*round+1, accounts.Owner), account(10*round+2, accounts.Owner)
		must(t, s.CreateAccount(ctx, a))
		must(t, s.CreateAccount(ctx, b))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, id := range []string{a.ID, b.ID} {
			wg.Go(func() {
				<-start
				if _, err := s.RemoveKeepingOwner(ctx, id, base()); err != nil && !errors.Is(err, accounts.ErrLastOwner) {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		as, err := s.Accounts(ctx)
		must(t, err)
		if len(as) != 1 || as[0].Role != accounts.Owner {
			t.Fatalf("round %d: after two owners removed each other at once, accounts = %d", round, len(as))
		}
		must(t, s.DeleteAccount(ctx, as[0].ID))
	}
}

func trustedDevice(hash, accountID string, minutes int) accounts.TrustedDevice {
	t := base().Add(time.Duration(minutes) * time.Minute)
	return accounts.TrustedDevice{Hash: hash, AccountID: accountID, CreatedAt: t, SeenAt: t}
}

func devUTC(d accounts.TrustedDevice) accounts.TrustedDevice {
	d.CreatedAt, d.SeenAt = d.CreatedAt.UTC(), d.SeenAt.UTC()
	if !d.LockedUntil.IsZero() {
		d.LockedUntil = d.LockedUntil.UTC()
	}
	return d
}

// testTrustedDevices: a device is kept by its hash, read back as written,
// changed under UpdateTrustedDevice (its failure count and lock), and
// DeleteTrustedDevices removes one account's only, or with "" every
// account's.
func testTrustedDevices(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	a, b := account(1, accounts.Owner), account(2, accounts.Cashier)
	must(t, s.CreateAccount(ctx, a))
	must(t, s.CreateAccount(ctx, b))
	d1, d2, d3 := trustedDevice("d1", a.ID, 0), trustedDevice("d2", a.ID, 1), trustedDevice("d3", b.ID, 2)
	d2.FailedSignIns, d2.LockedUntil = 2, base().Add(time.Hour)
	for _, d := range []accounts.TrustedDevice{d1, d2, d3} {
		must(t, s.CreateTrustedDevice(ctx, d, 20))
	}
	for _, want := range []accounts.TrustedDevice{d1, d2, d3} {
		got, err := s.TrustedDevice(ctx, want.Hash)
		must(t, err)
		if d := cmp.Diff(devUTC(want), got); d != "" {
			t.Errorf("TrustedDevice(%s) (-want +got):\n%s", want.Hash, d)
		}
	}
	if _, err := s.TrustedDevice(ctx, "nope"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("TrustedDevice(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.UpdateTrustedDevice(ctx, "nope", func(*accounts.TrustedDevice) error { return nil }); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("UpdateTrustedDevice(unknown) = %v, want ErrNotFound", err)
	}
	lock := base().Add(5 * time.Minute)
	got, err := s.UpdateTrustedDevice(ctx, "d1", func(d *accounts.TrustedDevice) error {
		d.FailedSignIns, d.LockedUntil, d.SeenAt = 4, lock, base().Add(3*time.Minute)
		return nil
	})
	must(t, err)
	want := d1
	want.FailedSignIns, want.LockedUntil, want.SeenAt = 4, lock, base().Add(3*time.Minute)
	if d := cmp.Diff(devUTC(want), got); d != "" {
		t.Errorf("UpdateTrustedDevice returned (-want +got):\n%s", d)
	}
	stored, err := s.TrustedDevice(ctx, "d1")
	must(t, err)
	if d := cmp.Diff(got, stored); d != "" {
		t.Errorf("UpdateTrustedDevice returned what it did not write (-returned +stored):\n%s", d)
	}
	boom := errors.New("no")
	if _, err := s.UpdateTrustedDevice(ctx, "d1", func(d *accounts.TrustedDevice) error { d.FailedSignIns = 0; return boom }); !errors.Is(err, boom) {
		t.Fatalf("UpdateTrustedDevice with fn failing = %v", err)
	}
	if again, _ := s.TrustedDevice(ctx, "d1"); again.FailedSignIns != 4 {
		t.Fatalf("a failed update was written: %+v", again)
	}
	got, err = s.UpdateTrustedDevice(ctx, "d1", func(d *accounts.TrustedDevice) error {
		d.FailedSignIns, d.LockedUntil = 0, time.Time{}
		return nil
	})
	must(t, err)
	if !got.LockedUntil.IsZero() || got.FailedSignIns != 0 {
		t.Errorf("a lock lifted is kept: %+v", got)
	}
	n, err := s.DeleteTrustedDevices(ctx, a.ID)
	must(t, err)
	if n != 2 {
		t.Errorf("DeleteTrustedDevices(a) = %d, want 2", n)
	}
	for _, h := range []string{"d1", "d2"} {
		if _, err := s.TrustedDevice(ctx, h); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("device %s of a after DeleteTrustedDevices: %v", h, err)
		}
	}
	if _, err := s.TrustedDevice(ctx, "d3"); err != nil {
		t.Errorf("another account's device went too: %v", err)
	}
	must(t, s.CreateTrustedDevice(ctx, d1, 20))
	if n, err := s.DeleteTrustedDevices(ctx, ""); err != nil || n != 2 {
		t.Errorf("DeleteTrustedDevices(every account) = %d, %v; want 2", n, err)
	}
	for _, h := range []string{"d1", "d3"} {
		if _, err := s.TrustedDevice(ctx, h); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("device %s after DeleteTrustedDevices(every account): %v", h, err)
		}
	}
}

// testTrustedDevicesKeep: CreateTrustedDevice keeps an account's keep
// most recently seen devices, another account's untouched.
func testTrustedDevicesKeep(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	a, b := account(1, accounts.Owner), account(2, accounts.Cashier)
	must(t, s.CreateAccount(ctx, a))
	must(t, s.CreateAccount(ctx, b))
	must(t, s.CreateTrustedDevice(ctx, trustedDevice("b1", b.ID, 0), 3))
	// Seen at minutes 10, 0, 20, 5: keeping 3 drops the one seen at 0.
	for i, m := range []int{10, 0, 20} {
		must(t, s.CreateTrustedDevice(ctx, trustedDevice(fmt.Sprintf("a%d", i), a.ID, m), 3))
	}
	must(t, s.CreateTrustedDevice(ctx, trustedDevice("a3", a.ID, 5), 3))
	for h, kept := range map[string]bool{"a0": true, "a1": false, "a2": true, "a3": true, "b1": true} {
		_, err := s.TrustedDevice(ctx, h)
		if kept && err != nil {
			t.Errorf("device %s dropped: %v", h, err)
		}
		if !kept && !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("device %s kept beyond the 3 most recently seen: %v", h, err)
		}
	}
}

// testTrustedDeviceConcurrent: UpdateTrustedDevice is a locked
// read-modify-write, so a device's failures counted at once (several
// instances) are never lost.
func testTrustedDeviceConcurrent(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	a := account(1, accounts.Owner)
	must(t, s.CreateAccount(ctx, a))
	must(t, s.CreateTrustedDevice(ctx, trustedDevice("d", a.ID, 0), 20))
	const n = 10
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := s.UpdateTrustedDevice(ctx, "d", func(d *accounts.TrustedDevice) error { d.FailedSignIns++; return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := s.TrustedDevice(ctx, "d")
	must(t, err)
	if got.FailedSignIns != n {
		t.Fatalf("after %d concurrent increments FailedSignIns = %d", n, got.FailedSignIns)
	}
}

// testTrustedDevicesGoWithAccount: removing an account (either way)
// removes its devices.
func testTrustedDevicesGoWithAccount(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	a, b, c := account(1, accounts.Owner), account(2, accounts.Owner), account(3, accounts.Cashier)
	for _, x := range []accounts.Account{a, b, c} {
		must(t, s.CreateAccount(ctx, x))
	}
	must(t, s.CreateTrustedDevice(ctx, trustedDevice("da", a.ID, 0), 20))
	must(t, s.CreateTrustedDevice(ctx, trustedDevice("db", b.ID, 0), 20))
	must(t, s.CreateTrustedDevice(ctx, trustedDevice("dc", c.ID, 0), 20))
	must(t, s.DeleteAccount(ctx, c.ID))
	if _, err := s.RemoveKeepingOwner(ctx, b.ID, base()); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"db", "dc"} {
		if _, err := s.TrustedDevice(ctx, h); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("device %s of a removed account: %v", h, err)
		}
	}
	if _, err := s.TrustedDevice(ctx, "da"); err != nil {
		t.Errorf("the remaining account's device went too: %v", err)
	}
}
