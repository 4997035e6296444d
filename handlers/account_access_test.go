package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/views"
)

// TestCounterLocksWhenAccessChanges: removing a cashier, resetting their
// access, changing their role, signing them out everywhere (by the owner
// or by themselves), their own new password and `hpp admin
// reset-password` each lock every counter device the cashier unlocked:
// no new sale, no cancel, nothing done at the till under their name, and
// the device shows the unlock screen. The change itself records one
// counter.lock per till it locked, in the name of whoever made the
// change, naming the till, the cashier and why, in the reader's language;
// the tills' requests after it record none. (The accounts service alone,
// as `hpp admin reset-password` calls it, records none: the command
// records them, TestAdminResetPasswordLocksTills.) Their PIN (when the
// account is still there) unlocks it again.
func TestCounterLocksWhenAccessChanges(t *testing.T) {
	for _, c := range []struct {
		name string
		// by is who records the locks: "owner", "cashier" or "" (none here).
		by, why string
		act     func(t *testing.T, a *adminApp, owner *http.Cookie, cashierID string)
	}{
		{"removal", "owner", counter.LockedRemoved, func(t *testing.T, a *adminApp, owner *http.Cookie, id string) {
			if w := a.post(t, "/admin/accounts/"+id+"/remove", nil, owner); w.Code != http.StatusSeeOther {
				t.Fatalf("remove = %d", w.Code)
			}
		}},
		{"reset of access", "owner", counter.LockedAccessReset, func(t *testing.T, a *adminApp, owner *http.Cookie, id string) {
			if w := a.post(t, "/admin/accounts/"+id+"/reset", nil, owner); w.Code != http.StatusOK {
				t.Fatalf("reset = %d", w.Code)
			}
		}},
		{"role change", "owner", counter.LockedRoleChanged, func(t *testing.T, a *adminApp, owner *http.Cookie, id string) {
			if w := a.post(t, "/admin/accounts/"+id+"/role", url.Values{"role": {"owner"}}, owner); w.Code != http.StatusSeeOther {
				t.Fatalf("role = %d", w.Code)
			}
		}},
		{"sign out everywhere by the owner", "owner", counter.LockedSignedOut, func(t *testing.T, a *adminApp, owner *http.Cookie, id string) {
			if w := a.post(t, "/admin/sessions/revoke-all", url.Values{"account": {id}}, owner); w.Code != http.StatusSeeOther {
				t.Fatalf("revoke-all = %d", w.Code)
			}
		}},
		{"sign out everywhere by the cashier", "cashier", counter.LockedSignedOut, func(t *testing.T, a *adminApp, _ *http.Cookie, id string) {
			_, cashier := a.signIn(t, "cashier@shop.example", adminPW)
			if w := a.post(t, "/admin/sessions/revoke-all", url.Values{"account": {id}}, cashier); w.Code != http.StatusSeeOther {
				t.Fatalf("revoke-all = %d", w.Code)
			}
		}},
		{"a new password", "cashier", counter.LockedPasswordChanged, func(t *testing.T, a *adminApp, _ *http.Cookie, _ string) {
			_, cashier := a.signIn(t, "cashier@shop.example", adminPW)
			const pw = "a new kettle for the shop"
			if w := a.post(t, "/admin/password", url.Values{"current": {adminPW}, "password": {pw}, "confirm": {pw}}, cashier); w.Code != http.StatusSeeOther {
				t.Fatalf("password = %d", w.Code)
			}
		}},
		{"hpp admin reset-password", "", "", func(t *testing.T, a *adminApp, _ *http.Cookie, _ string) {
			if _, err := a.acc.ResetPassword(t.Context(), "cashier@shop.example", accounts.Actor{Email: accounts.StartUpEmail}); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAdminApp(t)
			ctx := t.Context()
			_, owner := a.signIn(t, "owner@shop.example", adminPW)
			cashierID := a.account(t, "cashier@shop.example")
			dev := a.readyDevice(t)
			other := a.pair(t) // a second till the cashier unlocked
			if w := a.unlock(t, other, "cashier@shop.example", counterPIN); w.Code != http.StatusSeeOther {
				t.Fatalf("unlock = %d", w.Code)
			}
			w := a.charge(t, dev, "sale-key-0000000000000001", "12.50", "wechat")
			if w.Code != http.StatusOK {
				t.Fatalf("charge before = %d: %s", w.Code, w.Body)
			}
			sale := mustJSON[counterSaleJSON](t, w)

			var devIDs []string
			for _, ck := range []*http.Cookie{dev, other} {
				d, err := a.ctr.Authenticate(ctx, ck.Value)
				if err != nil {
					t.Fatal(err)
				}
				devIDs = append(devIDs, d.ID)
			}
			a.Clock.Advance(time.Second)
			before := lastAuditSeq(t, a)
			c.act(t, a, owner, cashierID)
			seq := lastAuditSeq(t, a)

			// The owner's counter page already says so, before either
			// device asks anything.
			rows := mustDoc(t, a.do(t, http.MethodGet, handlers.AdminCounterPath, nil, withCookie(owner, nil))).Find(`[data-testid="device-row"]`)
			if rows.Length() != 2 || strings.Contains(rows.Text(), "cashier@shop.example") {
				t.Errorf("the owner's counter page after: %d devices, %q; want both locked", rows.Length(), rows.Text())
			}

			for name, d := range map[string]*http.Cookie{"the till": dev, "the other till": other} {
				if w := a.charge(t, d, "sale-key-0000000000000002", "9.00", "alipay"); w.Code != http.StatusUnauthorized {
					t.Errorf("%s: charge after = %d, want 401 locked: %s", name, w.Code, w.Body)
				}
				h := http.Header{"Accept": {"application/json"}}
				if w := a.do(t, http.MethodPost, handlers.CounterSalePath(sale.ID)+"/cancel", nil, withCookie(d, h)); w.Code != http.StatusUnauthorized {
					t.Errorf("%s: cancel after = %d, want 401 locked: %s", name, w.Code, w.Body)
				}
				if doc := mustDoc(t, a.do(t, http.MethodGet, handlers.CounterPath, nil, withCookie(d, nil))); doc.Find(`[data-testid="unlock-form"], [data-testid="unlock-none"]`).Length() != 1 {
					t.Errorf("%s: GET /counter after is not the unlock screen", name)
				}
			}
			if p, err := a.Store.Payment(ctx, sale.ID); err != nil || p.Status != "pending" {
				t.Errorf("the sale after = %v %v, want still pending", p.Status, err)
			}
			log, err := a.acc.Store().Audit(ctx, accounts.AuditFilter{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range log {
				if e.Seq > seq && strings.HasPrefix(e.Action, "counter.") {
					t.Errorf("audit after the change: %+v", e)
				}
			}
			// The change's own rows: one counter.lock per till, by whoever
			// made it.
			byID := map[string]string{"owner": a.account(t, "owner@shop.example"), "cashier": cashierID}[c.by]
			locks := map[string]int{}
			for _, e := range log {
				if e.Seq <= before || e.Seq > seq || e.Action != "counter.lock" {
					continue
				}
				locks[e.Target]++
				if want := "Front till, unlocked by cashier@shop.example: " + c.why; e.AccountID != byID || e.After != want {
					t.Errorf("the change recorded %+v; want by %s (%s): %q", e, c.by, byID, want)
				}
			}
			wantLocks := map[string]int{}
			if c.by != "" {
				wantLocks = map[string]int{devIDs[0]: 1, devIDs[1]: 1}
				l := a.localizer(t, views.LangSimplifiedChinese)
				doc := a.ownerDoc(t, owner, "/admin/audit?action=counter.lock&lang="+views.LangSimplifiedChinese, http.StatusOK)
				got := strings.Join(strings.Fields(doc.Find(`[data-testid="audit-row"]`).First().Text()), " ")
				if !strings.Contains(got, l.T(shutOutIDs[c.why])) || !strings.Contains(got, "cashier@shop.example") || !strings.Contains(got, "Front till") {
					t.Errorf("the audit page in Chinese says %q of the lock; want the till, the cashier and %q", got, l.T(shutOutIDs[c.why]))
				}
			}
			if fmt.Sprint(locks) != fmt.Sprint(wantLocks) {
				t.Errorf("counter.lock rows of the change, by device: %v; want %v", locks, wantLocks)
			}
			if c.name == "removal" {
				return
			}
			// The PIN unlocks it again: the change ends what was open.
			if w := a.unlock(t, dev, "cashier@shop.example", counterPIN); w.Code != http.StatusSeeOther {
				t.Fatalf("unlock again = %d", w.Code)
			}
			if w := a.charge(t, dev, "sale-key-0000000000000003", "9.00", "alipay"); w.Code != http.StatusOK {
				t.Errorf("charge after unlocking again = %d: %s", w.Code, w.Body)
			}
		})
	}
}

// shutOutIDs are the catalogue's words of each counter.Locked* reason.
var shutOutIDs = map[string]string{counter.LockedRemoved: "audit.shut_out.removed",
	counter.LockedAccessReset: "audit.shut_out.access_reset", counter.LockedRoleChanged: "audit.shut_out.role_changed",
	counter.LockedSignedOut: "audit.shut_out.signed_out", counter.LockedPasswordChanged: "audit.shut_out.password_changed",
	counter.LockedPasswordReset: "audit.shut_out.password_reset"}

// lastAuditSeq is the sequence of the audit log's newest entry.
func lastAuditSeq(t *testing.T, a *adminApp) int64 {
	t.Helper()
	log, err := a.acc.Store().Audit(t.Context(), accounts.AuditFilter{Limit: 1})
	if err != nil || len(log) == 0 {
		t.Fatalf("audit = %v, %v", log, err)
	}
	return log[0].Seq
}

// TestSignInWaitingEndsWithAccess: a sign-in waiting for its two-step
// code does not outlive a new password, sign out everywhere, a reset of
// access, a role change, a removal, `hpp admin reset-password` or two-step
// turned off: the kept cookie and a right code answer the password form
// again with words a person understands (never a session, never a 500).
func TestSignInWaitingEndsWithAccess(t *testing.T) {
	for _, c := range []struct {
		name string
		// act changes the owner's access; other is a second owner's
		// session, here is the owner's own.
		act func(t *testing.T, a *adminApp, here, other *http.Cookie, secret string)
	}{
		{"a new password", func(t *testing.T, a *adminApp, here, _ *http.Cookie, _ string) {
			const pw = "a new kettle for the shop"
			if w := a.post(t, "/admin/password", url.Values{"current": {adminPW}, "password": {pw}, "confirm": {pw}}, here); w.Code != http.StatusSeeOther {
				t.Fatalf("password = %d", w.Code)
			}
		}},
		{"sign out everywhere", func(t *testing.T, a *adminApp, here, _ *http.Cookie, _ string) {
			if w := a.post(t, "/admin/sessions/revoke-all", url.Values{"account": {a.account(t, "owner@shop.example")}}, here); w.Code != http.StatusSeeOther {
				t.Fatalf("revoke-all = %d", w.Code)
			}
		}},
		{"reset of access", func(t *testing.T, a *adminApp, _, other *http.Cookie, _ string) {
			if w := a.post(t, "/admin/accounts/"+a.account(t, "owner@shop.example")+"/reset", nil, other); w.Code != http.StatusOK {
				t.Fatalf("reset = %d", w.Code)
			}
		}},
		{"role change", func(t *testing.T, a *adminApp, _, other *http.Cookie, _ string) {
			if w := a.post(t, "/admin/accounts/"+a.account(t, "owner@shop.example")+"/role", url.Values{"role": {"cashier"}}, other); w.Code != http.StatusSeeOther {
				t.Fatalf("role = %d", w.Code)
			}
		}},
		{"removal", func(t *testing.T, a *adminApp, _, other *http.Cookie, _ string) {
			if w := a.post(t, "/admin/accounts/"+a.account(t, "owner@shop.example")+"/remove", nil, other); w.Code != http.StatusSeeOther {
				t.Fatalf("remove = %d", w.Code)
			}
		}},
		{"hpp admin reset-password", func(t *testing.T, a *adminApp, _, _ *http.Cookie, _ string) {
			if _, err := a.acc.ResetPassword(t.Context(), "owner@shop.example", accounts.Actor{Email: accounts.StartUpEmail}); err != nil {
				t.Fatal(err)
			}
		}},
		{"two-step turned off", func(t *testing.T, a *adminApp, here, _ *http.Cookie, secret string) {
			a.Clock.Advance(30 * time.Second) // the next code: the last one was used
			if w := a.post(t, handlers.TOTPOffPath, url.Values{"password": {adminPW}, "code": {a.code(t, secret)}}, here); w.Code != http.StatusSeeOther {
				t.Fatalf("two-step off = %d", w.Code)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAdminApp(t)
			if err := a.acc.SetRole(t.Context(), a.account(t, "cashier@shop.example"), accounts.Owner, accounts.Actor{}); err != nil {
				t.Fatal(err)
			}
			_, other := a.signIn(t, "cashier@shop.example", adminPW)
			_, here := a.signIn(t, "owner@shop.example", adminPW)
			secret, _ := a.enrolTOTP(t, here)
			ch := a.passwordStep(t)

			a.Clock.Advance(time.Second)
			c.act(t, a, here, other, secret)

			a.Clock.Advance(30 * time.Second) // a code not used yet
			w := a.post(t, "/admin/signin/code", url.Values{"code": {a.code(t, secret)}, "next": {"/admin/payments"}}, ch)
			if w.Code != http.StatusUnauthorized || adminCookie(w) != nil && a.do(t, http.MethodGet, "/admin/", nil, withCookie(adminCookie(w), nil)).Code == http.StatusOK {
				t.Fatalf("the waiting sign-in after the change = %d to %q, want 401", w.Code, w.Header().Get("Location"))
			}
			l := a.localizer(t, views.LangEnglish)
			if got := strings.TrimSpace(mustDoc(t, w).Find(`[data-testid="form-error"]`).Text()); got != l.T("admin.code.expired") {
				t.Errorf("error = %q, want %q", got, l.T("admin.code.expired"))
			}
		})
	}
}
