package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/counter"
)

// TestSaleFiltersKeptThroughEveryPage: the payments list of one device's
// or one cashier's sales (a report's row links to it) holds more than a
// page; following "next page" from the first page to the last lists
// exactly those sales, newest first, each once, and nothing else on any
// page: the next page keeps device= and cashier= (and the report's
// days and the language) with its cursor. Sales of other tills and
// cashiers, and online payments, are interleaved with them, some at the
// same instant (the cursor's ties).
func TestSaleFiltersKeptThroughEveryPage(t *testing.T) {
	loc := auckland(t)
	a := newAdminApp(t, adminAppOptions{location: loc})
	ctx := t.Context()
	cashier, err := a.acc.Store().AccountByEmail(ctx, "cashier@shop.example")
	if err != nil {
		t.Fatal(err)
	}
	owner0, err := a.acc.Store().AccountByEmail(ctx, "owner@shop.example")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 6, 8, 0, 0, 0, loc)
	for i, d := range []counter.Device{{ID: "dev_front", Name: "Front till"}, {ID: "dev_back", Name: "Back bar"}} {
		d.TokenHash, d.CreatedAt, d.SeenAt, d.ResultSeconds = fmt.Sprintf("%064d", i), day.Add(-24*time.Hour), day, 5
		if err := a.Store.CreateDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	// want: each filter's query → its payments, newest first.
	want := map[string][]string{}
	filters := map[string]func(device, person string) bool{
		"device=dev_front":                     func(d, _ string) bool { return d == "dev_front" },
		"cashier=" + cashier.ID:                func(_, p string) bool { return p == cashier.ID },
		"device=dev_back&cashier=" + owner0.ID: func(d, p string) bool { return d == "dev_back" && p == owner0.ID },
		"by=paid&from=2026-12-06&to=2026-12-06&lang=zh-Hans&cashier=" + owner0.ID: func(_, p string) bool { return p == owner0.ID },
	}
	for n := 1; n <= 480; n++ {
		at := day.Add(time.Duration(n/2) * time.Minute) // two payments an instant
		src, device, person := payments.SourceCounterQR, "", ""
		switch {
		case n%7 == 0: // an online payment
			src = payments.SourceOnline
		case n%3 == 0:
			device = "dev_back"
		default:
			device = "dev_front"
		}
		if device != "" {
			person = cashier.ID
			if n%4 < 2 {
				person = owner0.ID
			}
		}
		p := seedAt(t, a, n, at, at.Add(30*time.Second), func(p *payments.Payment) { p.Source = src })
		if device != "" {
			if _, err := a.Store.AddSale(ctx, counter.Sale{PaymentID: p.ID, DeviceID: device, AccountID: person,
				Key: fmt.Sprintf("k%d", n), CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		for q, match := range filters {
			if match(device, person) {
				want[q] = append(want[q], p.ID)
			}
		}
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for q, ids := range want {
		slices.Reverse(ids) // newest first
		if len(ids) <= 50 {
			t.Fatalf("%s: %d sales, want more than a page", q, len(ids))
		}
		filter, err := url.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		path, pages := "/admin/payments?"+q, 0
		for path != "" && pages < 20 {
			pages++
			doc := a.ownerDoc(t, owner, path, http.StatusOK)
			doc.Find(`[data-testid="payment-row"]`).Each(func(_ int, s *goquery.Selection) {
				id := s.AttrOr("data-id", "")
				if !slices.Contains(ids, id) {
					t.Errorf("%s: page %d (%s) lists %s, not one of its sales", q, pages, path, id)
				}
				got = append(got, id)
			})
			path = doc.Find(`[data-testid="next-page"]`).AttrOr("href", "")
			if path == "" {
				break
			}
			next, err := url.Parse(path)
			if err != nil {
				t.Fatal(err)
			}
			for k := range filter {
				if next.Query().Get(k) != filter.Get(k) {
					t.Errorf("%s: page %d's next page %s has %s=%q, want %q", q, pages, path, k, next.Query().Get(k), filter.Get(k))
				}
			}
		}
		if !slices.Equal(got, ids) {
			t.Errorf("%s: %d pages list %d payments %v; want its %d sales %v", q, pages, len(got), got, len(ids), ids)
		}
		if want := (len(ids) + 49) / 50; pages != want {
			t.Errorf("%s: %d pages, want %d", q, pages, want)
		}
	}
}
