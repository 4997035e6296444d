package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/sessions"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments/accounts"
)

// TestAdminCookieOldKeyReissued: while HPP_SESSION_KEY is rotated, a
// back-office cookie made under the old key is read (200), and the
// response gives the same session's cookie again under the new key alone,
// ending when the old cookie would have (the session's absolute limit),
// so a session in use does not wait for its end to leave the old key. A
// cookie under the new key is not sent again.
func TestAdminCookieOldKeyReissued(t *testing.T) {
	oldHash, oldBlock := []byte("old-admin-hash-key-0123456789abc"), []byte("old-admin-block-key-0123456789ab")
	a := newAdminApp(t, adminAppOptions{oldAdminKeys: [][]byte{oldHash, oldBlock}})
	_, current := a.signIn(t, "owner@shop.example", adminPW)
	if current == nil {
		t.Fatal("sign-in gave no cookie")
	}
	newOnly := handlers.NewAdminSessionStore([]byte(adminHashKey), []byte(adminBlockKey), false)
	oldOnly := handlers.NewAdminSessionStore(oldHash, oldBlock, false)
	read := func(st sessions.Store, c *http.Cookie) string {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(c)
		s, err := st.Get(req, c.Name)
		if err != nil {
			return ""
		}
		v, _ := s.Values["sid"].(string)
		return v
	}
	id := read(newOnly, current)
	if id == "" {
		t.Fatal("the sign-in cookie does not read under the current key")
	}
	// The same session's cookie, as the old key made it.
	rec := httptest.NewRecorder()
	s, _ := oldOnly.New(httptest.NewRequest(http.MethodGet, "/", nil), current.Name)
	s.Values["sid"] = id
	if err := s.Save(httptest.NewRequest(http.MethodGet, "/", nil), rec); err != nil {
		t.Fatal(err)
	}
	old := rec.Result().Cookies()[0]

	a.Clock.Advance(20 * time.Minute) // within the idle limit
	w := a.do(t, http.MethodGet, "/admin/", nil, withCookie(old, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET /admin/ with the old key's cookie = %d, want 200", w.Code)
	}
	var again *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == current.Name {
			again = c
		}
	}
	if again == nil {
		t.Fatal("GET /admin/ with the old key's cookie set no cookie: the session stays under the old key")
	}
	if got := read(newOnly, again); got != id {
		t.Errorf("the cookie given again, read under the new key alone = %q, want the session %q", got, id)
	}
	if got := read(oldOnly, again); got != "" {
		t.Error("the cookie given again reads under the old key")
	}
	if want := int((accounts.AbsoluteTimeout - 20*time.Minute).Seconds()); again.MaxAge != want {
		t.Errorf("the cookie given again lives %d s, want %d (the old one's end)", again.MaxAge, want)
	}
	w = a.do(t, http.MethodGet, "/admin/", nil, withCookie(again, nil))
	if w.Code != http.StatusOK || len(w.Result().Cookies()) != 0 {
		t.Errorf("GET /admin/ with the new key's cookie = %d, cookies %v; want 200 and none", w.Code, w.Result().Cookies())
	}
}
