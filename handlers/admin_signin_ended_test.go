package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/views"
)

// TestAdminSignInEndedMidway: a sign-in whose password step came before
// `hpp admin end-sessions` cannot finish with a right code; the password
// form comes back like the form's other errors: the title starts with the
// error and the email field, where the sign-in starts again, has focus.
func TestAdminSignInEndedMidway(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	secret, _ := a.enrolTOTP(t, owner)
	ch := a.passwordStep(t)
	if _, _, err := a.acc.EndAllSessions(t.Context()); err != nil {
		t.Fatal(err)
	}
	w := a.post(t, "/admin/signin/code", url.Values{"code": {a.code(t, secret)}, "next": {"/admin/payments"}}, ch)
	doc := mustDoc(t, w)
	l := a.localizer(t, views.LangEnglish)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("code after end-sessions = %d, want 401", w.Code)
	}
	msg := l.T("admin.code.expired")
	if got := strings.TrimSpace(doc.Find(`[data-testid="form-error"]`).Text()); got != msg {
		t.Errorf("error = %q, want %q", got, msg)
	}
	if title, want := doc.Find("title").Text(), l.T("form.error.title", msg, l.T("admin.signin.title")); title != want {
		t.Errorf("title = %q, want %q", title, want)
	}
	if _, ok := doc.Find(`input#email`).Attr("autofocus"); !ok {
		t.Error("the email field does not take focus")
	}
}
