package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/handlers"
)

// TestAdminTimesInShopZone: with the shop in Honolulu (HPP_SHOP_TIMEZONE),
// every time the back office and the shopper's receipt show is the
// shop's: the audit log, the sessions, the counter's devices, a link's
// expiry and the checkout's paid time; and a link's expiry date is a day
// of the shop's calendar. The test clock's 2026-03-01 01:00 UTC is still
// 28 February there, so a link valid "through 2026-02-28" is good today
// in the shop and would be refused as past in UTC.
func TestAdminTimesInShopZone(t *testing.T) {
	a := newAdminApp(t, inHonolulu(t))
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	a.readyDevice(t) // a paired device, for the counter page

	for _, path := range []string{handlers.AuditPath, handlers.SessionsPath, handlers.AdminCounterPath} {
		body := a.ownerDoc(t, owner, path+"?lang=en", http.StatusOK).Find("main").Text()
		if !strings.Contains(body, "HST") || strings.Contains(body, " UTC") {
			t.Errorf("%s: times not in the shop's zone (HST):\n%s", path, body)
		}
	}

	form := url.Values{"kind": {"link"}, "currency": {"NZD"}, "amount": {"5"}, "expires": {"2026-02-28"}}
	w := a.do(t, http.MethodPost, "/admin/links", strings.NewReader(form.Encode()), withCookie(owner, formHeader.Clone()))
	ls, _ := a.links.List(t.Context(), "", "", 10)
	if w.Code != http.StatusSeeOther || len(ls) != 1 {
		t.Fatalf("a link through the shop's today = %d with %d links: %s", w.Code, len(ls), w.Body)
	}
	hst := time.FixedZone("HST", -10*3600)
	if want := time.Date(2026, 3, 1, 0, 0, 0, 0, hst); !ls[0].ExpiresAt.Equal(want) {
		t.Errorf("expires at %v, want the end of 28 February in Honolulu, %v", ls[0].ExpiresAt, want)
	}
	if got := a.ownerDoc(t, owner, "/admin/links/"+ls[0].ID+"?lang=en", http.StatusOK).Find("main").Text(); !strings.Contains(got, "2026-03-01 00:00 HST") {
		t.Errorf("the link's page does not show its expiry in the shop's zone:\n%s", got)
	}

	// The no-JavaScript deadline too, labelled as a deadline.
	open := a.mustCreate(t, createBody)
	doc := a.ownerDoc(t, nil, "/checkout/"+open.ID+"?lang=en", http.StatusOK)
	if got, label := doc.Find(`[data-testid="countdown"]`).Text(), doc.Find(`[data-testid="countdown-label"]`).Text(); !strings.HasSuffix(got, " HST") || label != "Pay by" {
		t.Errorf("the shopper's deadline = %q %q, want Pay by and a time in the shop's zone (HST)", label, got)
	}

	p := a.mustPaid(t)
	doc = a.ownerDoc(t, nil, "/checkout/"+p.ID+"?lang=en", http.StatusOK)
	if got := doc.Find(`[data-testid="receipt-time"]`).Text(); !strings.HasSuffix(got, "HST") {
		t.Errorf("the shopper's paid time = %q, want the shop's (HST), as on its receipt", got)
	}
}

// TestZoneName: a zone from HPP_SHOP_TIMEZONE is named by its IANA name;
// the machine's zone (Go's "Local") by its abbreviation and offset.
func TestZoneName(t *testing.T) {
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	nz, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	if got := handlers.ZoneName(nz, at); got != "Pacific/Auckland" {
		t.Errorf("Pacific/Auckland = %q", got)
	}
	saved := time.Local
	t.Cleanup(func() { time.Local = saved })
	for _, c := range []struct {
		loc  *time.Location
		want string
	}{
		{nz, "NZDT (UTC+13:00)"},
		{time.UTC, "UTC+00:00"},
		{time.FixedZone("", -(9*3600 + 30*60)), "UTC-09:30"},
	} {
		time.Local = c.loc
		if got := handlers.ZoneName(time.Local, at); got != c.want {
			t.Errorf("the machine's zone %v = %q, want %q", c.loc, got, c.want)
		}
	}
}
