package handlers_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/payments"
)

// TestExportChannelNames: the exports keep the channel's code (api,
// static_qr) and add channel_name, the name the pages show in English:
// the payments export's channel_name is the list's channel cell, the
// report CSV's is the report's, and the report and the list name each
// channel alike (Online, Static QR), so an accountant reading the CSV
// beside the pages sees one name for one channel.
func TestExportChannelNames(t *testing.T) {
	a := newAdminApp(t)
	for n, src := range map[int]string{1: payments.SourceOnline, 2: payments.SourceStaticQR} {
		seedPayment(t, a, n, func(p *payments.Payment) { p.Source, p.PaidAt = src, p.CreatedAt.Add(payments.QRLifetime) })
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	readCSV := func(path string) []map[string]string {
		t.Helper()
		w := a.do(t, http.MethodGet, path, nil, withCookie(owner, nil))
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
		if w.Code != http.StatusOK || err != nil || len(recs) < 2 {
			t.Fatalf("%s = %d, %v: %v", path, w.Code, err, recs)
		}
		var out []map[string]string
		for _, r := range recs[1:] {
			m := map[string]string{}
			for i, k := range recs[0] {
				m[k] = r[i]
			}
			out = append(out, m)
		}
		return out
	}

	listed := map[string]string{} // channel code -> the list's name
	doc := mustDoc(t, a.do(t, http.MethodGet, "/admin/payments", nil, withCookie(owner, nil)))
	doc.Find(`[data-testid="payment-row"]`).Each(func(_ int, r *goquery.Selection) {
		id, _ := r.Attr("data-id")
		p := a.MustGet(t, id)
		listed[p.Source] = strings.TrimSpace(r.Find(`[data-col="channel"]`).Text())
	})
	if listed["api"] != "Online" || listed["static_qr"] != "Static QR" {
		t.Fatalf("the list names the channels %v", listed)
	}
	for _, r := range readCSV("/admin/payments/export.csv") {
		if r["channel_name"] != listed[r["channel"]] {
			t.Errorf("export row %s: channel %q named %q; the list says %q", r["id"], r["channel"], r["channel_name"], listed[r["channel"]])
		}
	}

	report := a.ownerDoc(t, owner, "/admin/reports?from=2026-03-01&to=2026-03-01", http.StatusOK)
	var shown []string
	report.Find(`[data-testid="report-row"]`).Each(func(_ int, r *goquery.Selection) {
		shown = append(shown, strings.TrimSpace(r.Find(`[data-col="channel"]`).Text()))
	})
	href, _ := report.Find(`[data-testid="report-csv"]`).Attr("href")
	rows := readCSV(href)
	if len(rows) != len(shown) {
		t.Fatalf("the report shows %v, its CSV %v", shown, rows)
	}
	for i, r := range rows {
		if r["channel_name"] != shown[i] || r["channel_name"] != listed[r["channel"]] {
			t.Errorf("report CSV row %d: channel %q named %q; the report says %q, the list %q", i, r["channel"], r["channel_name"], shown[i], listed[r["channel"]])
		}
	}
}
