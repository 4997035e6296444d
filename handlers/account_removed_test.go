package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
)

// TestRemovedCashierKeepsTheirSales: removing a cashier's account keeps
// the name their sales were made under. The report's breakdown by
// cashier, the payments list, the payment's page and the till's sales
// name them as they were called, marked removed in each language; the
// report's CSV keeps the name; the shopper's receipt keeps the name; the
// device the sale was made on stays named too.
func TestRemovedCashierKeepsTheirSales(t *testing.T) {
	loc := auckland(t)
	a := newAdminApp(t, adminAppOptions{location: loc})
	ctx := t.Context()
	cashier, err := a.acc.Store().AccountByEmail(ctx, "cashier@shop.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.acc.Store().UpdateAccount(ctx, cashier.ID, func(x *accounts.Account) error {
		x.Name = "Cara Cashier"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	at := func(h int) time.Time { return time.Date(2026, 12, 6, h, 0, 0, 0, loc) }
	if err := a.Store.CreateDevice(ctx, counter.Device{ID: "dev_front", Name: "Front till", TokenHash: fmt.Sprintf("%064d", 1),
		CreatedAt: at(1), SeenAt: at(1), ResultSeconds: 5}); err != nil {
		t.Fatal(err)
	}
	p := seedAt(t, a, 8, at(8), at(8).Add(time.Minute), func(p *payments.Payment) { p.Source, p.Amount = payments.SourceCounterQR, 1000 })
	if _, err := a.Store.AddSale(ctx, counter.Sale{PaymentID: p.ID, DeviceID: "dev_front", AccountID: cashier.ID, Key: "k8", CreatedAt: at(8)}); err != nil {
		t.Fatal(err)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	if w := a.post(t, "/admin/accounts/"+cashier.ID+"/remove", nil, owner); w.Code != http.StatusSeeOther {
		t.Fatalf("remove = %d", w.Code)
	}
	if _, err := a.acc.Store().Account(ctx, cashier.ID); err == nil {
		t.Fatal("the account is still there")
	}

	want := map[string]string{"en": "Cara Cashier (removed)", "zh-Hans": "Cara Cashier（已移除）", "zh-Hant": "Cara Cashier（已移除）"}
	for lang, name := range want {
		doc := a.ownerDoc(t, owner, "/admin/reports?from=2026-12-06&to=2026-12-06&lang="+lang, http.StatusOK)
		var names []string
		doc.Find(`[data-testid="report-cashiers"] [data-testid="breakdown-row"] [data-col="name"]`).Each(func(_ int, s *goquery.Selection) {
			names = append(names, strings.TrimSpace(s.Text()))
		})
		if len(names) != 1 || names[0] != name {
			t.Errorf("%s report by cashier: %q, want [%q]", lang, names, name)
		}
		list := a.ownerDoc(t, owner, "/admin/payments?lang="+lang, http.StatusOK)
		if got := list.Find(`[data-testid="row-taken-by"]`).Text(); !strings.Contains(got, name) || !strings.Contains(got, "Front till") {
			t.Errorf("%s list: taken by %q, want the till and %q", lang, got, name)
		}
		detail := a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"?lang="+lang, http.StatusOK)
		if got := strings.TrimSpace(detail.Find(`[data-testid="detail-cashier"]`).Text()); got != name {
			t.Errorf("%s payment page: cashier %q, want %q", lang, got, name)
		}
	}

	_, rows := readCSVFile(t, a, owner, "/admin/reports/export.csv?from=2026-12-06&to=2026-12-06")
	found := false
	for _, r := range rows {
		if r["cashier_id"] == cashier.ID {
			found = true
			if r["cashier"] != "Cara Cashier" || r["device"] != "Front till" {
				t.Errorf("report CSV names cashier %q on %q, want Cara Cashier on Front till", r["cashier"], r["device"])
			}
		}
	}
	if !found {
		t.Errorf("report CSV has no row of the removed cashier: %v", rows)
	}

	receipt := a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"/receipt", http.StatusOK)
	if got := receipt.Text(); !strings.Contains(got, "Cara Cashier") || strings.Contains(got, "removed") {
		t.Errorf("receipt does not name the cashier as the shopper saw them: %q", got)
	}
}
