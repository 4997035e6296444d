package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// TestBookkeeperReadsBooks: the owner invites a bookkeeper from the
// accounts page (offered, named in the person's language). Signed in,
// the bookkeeper is led to the payments, reports and audit log, never to
// the settings, webhooks, links, people or counter; a paid payment's
// page shows no refund, cancel, re-query or review button, which the
// owner's does. A cashier made bookkeeper loses the counter: their old
// PIN unlocks nothing and the owner cannot give them a new one.
func TestBookkeeperReadsBooks(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	doc := a.ownerDoc(t, owner, "/admin/accounts", http.StatusOK)
	if doc.Find(`#invite-role option[value="bookkeeper"]`).Length() != 1 {
		t.Fatal("the invitation offers no bookkeeper role")
	}
	row := doc.Find(`[data-testid="account-row"][data-email="cashier@shop.example"]`)
	if row.Find(`[data-testid="role-bookkeeper"]`).Length() != 1 || row.Find(`[data-testid="role-owner"]`).Length() != 1 ||
		row.Find(`[data-testid="role-cashier"]`).Length() != 0 {
		t.Errorf("the cashier's row offers %q; want make owner and make bookkeeper", row.Find(".actions").Text())
	}
	if w := a.post(t, "/admin/accounts", url.Values{"email": {"invited@shop.example"}, "name": {"Books"}, "role": {"bookkeeper"}}, owner); w.Code != http.StatusCreated {
		t.Fatalf("inviting a bookkeeper = %d: %s", w.Code, w.Body)
	}
	if got, err := a.Store.AccountByEmail(t.Context(), "invited@shop.example"); err != nil || got.Role != accounts.Bookkeeper {
		t.Fatalf("the invited account: %q, %v; want bookkeeper", got.Role, err)
	}

	// A cashier with a PIN, made bookkeeper.
	books, err := a.acc.CreateAccount(t.Context(), "books@shop.example", "", adminPW, accounts.Cashier, accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.ctr.SetPIN(t.Context(), books.ID, counterPIN); err != nil {
		t.Fatal(err)
	}
	if w := a.post(t, "/admin/accounts/"+books.ID+"/role", url.Values{"role": {"bookkeeper"}}, owner); w.Code != http.StatusSeeOther {
		t.Fatalf("cashier to bookkeeper = %d: %s", w.Code, w.Body)
	}
	if w := a.unlock(t, a.pair(t), "books@shop.example", counterPIN); w.Code == http.StatusSeeOther {
		t.Error("a bookkeeper's old PIN unlocked the counter")
	}
	if w := a.post(t, "/admin/counter/pins", url.Values{"account": {books.ID}, "pin": {"9876"}}, owner); w.Code != http.StatusBadRequest {
		t.Errorf("a PIN for a bookkeeper = %d, want 400", w.Code)
	}
	if a.ownerDoc(t, owner, "/admin/counter", http.StatusOK).Find(`#pin-`+books.ID).Length() != 0 {
		t.Error("the counter page offers the bookkeeper a PIN")
	}

	_, bk := a.signIn(t, "books@shop.example", adminPW)
	home := a.ownerDoc(t, bk, "/admin/", http.StatusOK)
	if home.Find(`[data-testid="to-payments"]`).Length() != 1 || home.Find(`[data-testid="to-counter"]`).Length() != 0 {
		t.Error("the bookkeeper's home does not lead to the payments alone")
	}
	if who := home.Find(`[data-testid="admin-who"]`).Text(); !strings.Contains(who, "(bookkeeper)") {
		t.Errorf("the header names %q, want the bookkeeper role", who)
	}
	nav := home.Find(`[data-testid="admin-nav"]`)
	for _, want := range []string{"/admin/payments", "/admin/reports", "/admin/audit", "/admin/password"} {
		if nav.Find(`a[href^="`+want+`"]`).Length() == 0 {
			t.Errorf("the bookkeeper's navigation lacks %s", want)
		}
	}
	for _, not := range []string{"/admin/settings", "/admin/webhooks", "/admin/links", "/admin/accounts", "/admin/counter"} {
		if nav.Find(`a[href^="`+not+`"]`).Length() != 0 {
			t.Errorf("the bookkeeper's navigation offers %s, which refuses the role", not)
		}
	}
	zh := a.ownerDoc(t, bk, "/admin/?lang=zh-Hans", http.StatusOK)
	if who := zh.Find(`[data-testid="admin-who"]`).Text(); !strings.Contains(who, "记账员") {
		t.Errorf("the header in Simplified Chinese names %q, want 记账员", who)
	}

	p := a.mustPaid(t)
	acts := []string{"refund-form", "cancel-form", "requery-form", "review-form"}
	detail := a.ownerDoc(t, bk, "/admin/payments/"+p.ID, http.StatusOK)
	for _, id := range acts {
		if detail.Find(`[data-testid="`+id+`"]`).Length() != 0 {
			t.Errorf("the bookkeeper's payment page shows %s, which the role is refused", id)
		}
	}
	if a.ownerDoc(t, owner, "/admin/payments/"+p.ID, http.StatusOK).Find(`[data-testid="refund-form"]`).Length() != 1 {
		t.Error("the owner's payment page shows no refund form")
	}
	if w := a.post(t, "/admin/payments/"+p.ID+"/refund", url.Values{"key": {"k"}, "amount": {"1.00"}, "password": {adminPW}}, bk); w.Code != http.StatusForbidden || a.MustGet(t, p.ID).Refunded != 0 {
		t.Errorf("a bookkeeper's refund = %d, refunded %d; want 403 and nothing", w.Code, a.MustGet(t, p.ID).Refunded)
	}
}
