package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// checkLangLinks checks that a page's language switch links to want in
// each language.
func checkLangLinks(t *testing.T, name string, w *httptest.ResponseRecorder, want string) {
	t.Helper()
	doc := mustDoc(t, w)
	for _, l := range []string{"en", "zh-Hans", "zh-Hant"} {
		if href, _ := testid(doc, "lang-"+l).Attr("href"); href != want+"?lang="+l {
			t.Errorf("%s (%d): the %s link goes to %q, want %q", name, w.Code, l, href, want+"?lang="+l)
		}
	}
}

// TestLangLinksAfterAPostStayOnThePage: a page that a form post shows
// again links its language switch to the GET page showing the same thing
// in the same area: never the shopper's checkout for a payment's or an
// account's id.
func TestLangLinksAfterAPostStayOnThePage(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	ownerID := a.account(t, "owner@shop.example")

	// The last owner cannot become a cashier: the accounts page again.
	w := a.post(t, "/admin/accounts/"+ownerID+"/role", url.Values{"role": {"cashier"}}, owner)
	if w.Code == http.StatusSeeOther {
		t.Fatalf("the last owner's role change was accepted")
	}
	checkLangLinks(t, "last owner's role", w, "/admin/accounts")

	// A refund with a wrong password: the payment's page again.
	a.Clock.Advance(accounts.ReauthWindow)
	w = a.post(t, "/admin/payments/"+p.ID+"/refund", url.Values{"key": {"k1"}, "amount": {"1.00"}, "password": {"wrong password!"}}, owner)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("refund with a wrong password = %d", w.Code)
	}
	checkLangLinks(t, "wrong-password refund", w, "/admin/payments/"+p.ID)

	// The shopper's failed start still links to the checkout.
	unpaid := a.mustCreate(t, createBody)
	w = a.do(t, http.MethodPost, "/checkout/"+unpaid.ID+"/start", nil, formHeader.Clone())
	checkLangLinks(t, "start without a method", w, "/checkout/"+unpaid.ID)
}
