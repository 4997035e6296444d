package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestEchoedFormValuesHaveNoControlCharacters: a page that shows typed
// text back (the sign-in form after a wrong password, the payments
// filter, the payment-link form after a refusal) drops control
// characters from it; the rest of the text stays.
func TestEchoedFormValuesHaveNoControlCharacters(t *testing.T) {
	a := newAdminApp(t)
	form := url.Values{"email": {"own\x00er@shop.exa\x1bmple"}, "password": {"wrong password!"}}
	w := a.do(t, http.MethodPost, "/admin/signin", strings.NewReader(form.Encode()), formHeader.Clone())
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("sign-in with a NUL in the email = %d", w.Code)
	}
	if strings.ContainsAny(w.Body.String(), "\x00\x1b") {
		t.Error("the sign-in page echoes a control character")
	}
	if v, _ := mustDoc(t, w).Find("#email").Attr("value"); v != "owner@shop.example" {
		t.Errorf("the email field holds %q, want the text without its control characters", v)
	}

	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	w = a.do(t, http.MethodGet, "/admin/payments?q="+url.QueryEscape("cof\x00fee\x07"), nil, withCookie(owner, nil))
	if strings.ContainsAny(w.Body.String(), "\x00\x07") {
		t.Errorf("the payments list (%d) echoes a control character", w.Code)
	}
	if v, _ := mustDoc(t, w).Find("#q").Attr("value"); v != "coffee" {
		t.Errorf("the search field holds %q, want coffee", v)
	}

	f := url.Values{"kind": {"link"}, "currency": {"NZD"}, "amount": {"0\x00"}, "desc_en": {"Depo\x00sit"}}
	w = a.do(t, http.MethodPost, "/admin/links", strings.NewReader(f.Encode()), withCookie(owner, formHeader.Clone()))
	if w.Code != http.StatusUnprocessableEntity || strings.Contains(w.Body.String(), "\x00") {
		t.Errorf("the refused link form = %d, echoing a NUL: %v", w.Code, strings.Contains(w.Body.String(), "\x00"))
	}
	if v, _ := mustDoc(t, w).Find("#desc-en").Attr("value"); v != "Deposit" {
		t.Errorf("the description field holds %q, want Deposit", v)
	}
}
