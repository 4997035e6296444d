package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// dirtyName hides a right-to-left override, zero-width characters, a
// bidirectional isolate and a byte order mark in a name; cleanName is
// what every page must show of it.
const (
	dirtyName = "Eve\u202eevil\u200b \u2066Ng\u2069\u200d\ufeff"
	cleanName = "Eveevil Ng"
)

// hidden are the characters dirtyName hides.
var hidden = []rune{'\u202e', '\u200b', '\u2066', '\u2069', '\u200d', '\ufeff'}

// wantClean fails unless page shows cleanName and none of the hidden
// characters.
func wantClean(t *testing.T, what string, w *httptest.ResponseRecorder, body string) {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Errorf("%s = %d, want 200", what, w.Code)
	}
	for _, r := range hidden {
		if strings.ContainsRune(body, r) {
			t.Errorf("%s shows U+%04X", what, r)
		}
	}
	if !strings.Contains(body, cleanName) {
		t.Errorf("%s does not show %q", what, cleanName)
	}
}

// TestEnteredNamesCleaned: every name or label a person enters that
// other pages show (an account's name, given by the owner's invitation
// or kept from before; a counter device's name, given at pairing or
// kept from before; the shop's name; a
// payment's description) is shown without bidirectional controls or
// zero-width characters, on each page that shows it, as payment
// descriptions and notes already were.
func TestEnteredNamesCleaned(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	ownerPage := func(t *testing.T, path string) (*httptest.ResponseRecorder, string) {
		t.Helper()
		w := a.do(t, http.MethodGet, path, nil, withCookie(owner, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, w.Code)
		}
		return w, w.Body.String()
	}
	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"account name, invited", func(t *testing.T) {
			w := a.post(t, handlers.AccountsPath, url.Values{"email": {"eve@shop.example"}, "name": {dirtyName}, "role": {"cashier"}}, owner)
			if w.Code != http.StatusCreated {
				t.Fatalf("invite = %d", w.Code)
			}
			acct, err := a.Store.AccountByEmail(t.Context(), "eve@shop.example")
			if err != nil || acct.Name != cleanName {
				t.Fatalf("kept name %q, %v; want %q", acct.Name, err, cleanName)
			}
			w2, body := ownerPage(t, handlers.AccountsPath)
			wantClean(t, "the accounts page", w2, body)
		}},
		{"account name kept before", func(t *testing.T) {
			if _, err := a.acc.CreateAccount(t.Context(), "old@shop.example", dirtyName, adminPW, accounts.Cashier, accounts.Actor{}); err != nil {
				t.Fatal(err)
			}
			w, body := ownerPage(t, handlers.AccountsPath)
			wantClean(t, "the accounts page", w, body)
			w, body = ownerPage(t, "/admin/counter")
			wantClean(t, "the counter settings' people", w, body)
		}},
		{"who is at the counter", func(t *testing.T) {
			if _, err := a.acc.CreateAccount(t.Context(), "till@shop.example", dirtyName, adminPW, accounts.Cashier, accounts.Actor{}); err != nil {
				t.Fatal(err)
			}
			if err := a.ctr.SetPIN(t.Context(), a.account(t, "till@shop.example"), counterPIN); err != nil {
				t.Fatal(err)
			}
			dev := a.pair(t)
			w := a.do(t, http.MethodGet, handlers.CounterPath, nil, withCookie(dev, nil))
			if w.Code != http.StatusOK {
				t.Fatalf("counter = %d", w.Code)
			}
			wantClean(t, "the counter's people", w, w.Body.String())
		}},
		{"counter device name", func(t *testing.T) {
			code, _, err := a.ctr.NewPairing(t.Context(), dirtyName)
			if err != nil {
				t.Fatal(err)
			}
			body, h := form(url.Values{"code": {code}})
			dev := pairedCookie(t, a.do(t, http.MethodPost, handlers.CounterPairPath, body, h), "hpp-counter")
			w, page := ownerPage(t, "/admin/counter")
			wantClean(t, "the counter settings' devices", w, page)
			w = a.do(t, http.MethodGet, handlers.CounterPath, nil, withCookie(dev, nil))
			wantClean(t, "the device's own page", w, w.Body.String())
		}},
		{"counter device name kept before", func(t *testing.T) {
			dev := a.pair(t)
			ds, err := a.Store.Devices(t.Context())
			if err != nil || len(ds) == 0 {
				t.Fatalf("devices: %v, %v", ds, err)
			}
			if _, err := a.Store.UpdateDevice(t.Context(), ds[len(ds)-1].ID, func(d *counter.Device) error { d.Name = dirtyName; return nil }); err != nil {
				t.Fatal(err)
			}
			w, page := ownerPage(t, "/admin/counter")
			wantClean(t, "the counter settings' devices", w, page)
			w = a.do(t, http.MethodGet, handlers.CounterPath, nil, withCookie(dev, nil))
			wantClean(t, "the device's own page", w, w.Body.String())
		}},
		{"payment description", func(t *testing.T) {
			p := a.mustCreate(t, `{"amount":"1.00","currency":"NZD","reference":"ORDER-NAMES","description":"`+dirtyName+`","return_url":"https://shop.example.com/done"}`)
			w := a.do(t, http.MethodGet, "/checkout/"+p.ID, nil, nil)
			wantClean(t, "the checkout", w, w.Body.String())
		}},
		{"shop name", func(t *testing.T) {
			app := handlers.NewTestApp(t, handlers.TestAppOptions{Edit: func(_ *paymentstest.Env, o *handlers.Options) {
				o.MerchantName = dirtyName
			}})
			p := app.MustCreate(t, paymentstest.Input("ORDER-SHOP"))
			w := httptest.NewRecorder()
			app.H.ServeHTTP(w, httptest.NewRequest(http.MethodGet, app.AppURL+"/checkout/"+p.ID, nil))
			wantClean(t, "the checkout", w, w.Body.String())
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, tc.run)
	}
}
