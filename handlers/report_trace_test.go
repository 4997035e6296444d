package handlers_test

import (
	"encoding/csv"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/counter"
)

// auckland is the shop's zone of these tests.
func auckland(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	return loc
}

// seedAt stores payment n created at created and, unless paid is zero,
// paid at paid, changed by mut.
func seedAt(t *testing.T, a *adminApp, n int, created, paid time.Time, mut func(p *payments.Payment)) payments.Payment {
	t.Helper()
	p := seedPayment(t, a, n, func(p *payments.Payment) {
		p.CreatedAt, p.UpdatedAt, p.ExpiresAt = created.UTC(), created.UTC(), created.Add(15*time.Minute).UTC()
		p.Status, p.PaidAt = payments.StatusCreated, time.Time{}
		if mut != nil {
			mut(p)
		}
	})
	if paid.IsZero() {
		return p
	}
	p, err := a.Store.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
		tx.Payment.Status, tx.Payment.PaidAt, tx.Payment.UpdatedAt = payments.StatusPaid, paid.UTC(), paid.UTC()
		tx.Touch()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// seedRefund records refund n of p for amount, asked for at asked and in
// state st since settled.
func seedRefund(t *testing.T, a *adminApp, p payments.Payment, n int, amount int64, st payments.RefundStatus, asked, settled time.Time) {
	t.Helper()
	r := payments.Refund{ID: fmt.Sprintf("rf_%026d", n), PaymentID: p.ID, Amount: amount, Currency: p.Currency, Status: st,
		Reason: fmt.Sprintf("reason %d", n), CreatedAt: asked.UTC(), UpdatedAt: settled.UTC()}
	if st == payments.RefundPending {
		r.NextCheckAt = settled.UTC()
	}
	if _, err := a.Store.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
		tx.PutRefund(r)
		if st == payments.RefundSucceeded {
			tx.Payment.Refunded += amount
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// readCSVFile downloads a CSV export as maps by header, checking the BOM.
func readCSVFile(t *testing.T, a *adminApp, owner *http.Cookie, path string) ([]string, []map[string]string) {
	t.Helper()
	w := a.do(t, http.MethodGet, path, nil, withCookie(owner, nil))
	body, ok := strings.CutPrefix(w.Body.String(), "\ufeff")
	if w.Code != http.StatusOK || !ok {
		t.Fatalf("%s = %d (BOM %v): %s", path, w.Code, ok, w.Body.String())
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v %v", path, err, recs)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, k := range recs[0] {
			m[k] = r[i]
		}
		out = append(out, m)
	}
	return recs[0], out
}

// cents reads "12.50" as 1250.
func cents(t *testing.T, s string) int64 {
	t.Helper()
	whole, frac, _ := strings.Cut(strings.ReplaceAll(s, ",", ""), ".") // the pages group thousands
	var w, f int64
	if _, err := fmt.Sscan(whole, &w); err != nil || len(frac) != 2 {
		t.Fatalf("amount %q: %v", s, err)
	}
	if _, err := fmt.Sscan(frac, &f); err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return w*100 + f
}

// TestReportDayTracesToPaymentsAndRefunds: a report's day is traced to
// the payments and refunds behind it. A payment created at 23:59:31 on
// Dec 6 (Auckland) and paid at 00:00:01 on Dec 7 is in the payments
// export of Dec 6 by creation but, by paid day, of Dec 7 like the report;
// the refunds export of a day (one row per refund) adds up to the
// report's Refunds of that day for refunds asked for before midnight and
// settled after it; the links of a report row list exactly its payments
// and its refunds; the exports' times are ISO 8601 with the shop's
// offset and name the zone, and the report CSV's day column names it.
func TestReportDayTracesToPaymentsAndRefunds(t *testing.T) {
	loc := auckland(t)
	a := newAdminApp(t, adminAppOptions{location: loc})
	at := func(d, h, m, s int) time.Time { return time.Date(2026, 12, d, h, m, s, 0, loc) }
	late := seedAt(t, a, 1, at(6, 23, 59, 31), at(7, 0, 0, 1), func(p *payments.Payment) {
		p.Reference, p.Description, p.Amount, p.LatipayReference = "LATE-1", "Pinot, =1+1", 5000, "01KABCDEFGHJKMNPQRSTVWXYZ0"
	})
	day := seedAt(t, a, 2, at(6, 12, 0, 0), at(6, 12, 1, 0), func(p *payments.Payment) { p.Reference, p.Amount = "DAY-2", 10000 })
	seedAt(t, a, 3, at(6, 13, 0, 0), time.Time{}, func(p *payments.Payment) { p.Reference = "UNPAID-3" })
	seedRefund(t, a, day, 1, 1500, payments.RefundSucceeded, at(6, 20, 0, 0), at(6, 23, 59, 59)) // Dec 6
	seedRefund(t, a, day, 2, 700, payments.RefundSucceeded, at(6, 23, 59, 50), at(7, 0, 0, 5))   // asked Dec 6, counts Dec 7
	seedRefund(t, a, day, 3, 300, payments.RefundFailed, at(6, 21, 0, 0), at(6, 21, 5, 0))       // counts nowhere
	seedRefund(t, a, late, 4, 1000, payments.RefundSucceeded, at(7, 9, 0, 0), at(7, 9, 0, 30))   // Dec 7
	seedRefund(t, a, late, 5, 200, payments.RefundPending, at(7, 23, 59, 59), at(8, 0, 0, 30))   // pending
	_, owner := a.signIn(t, "owner@shop.example", adminPW)

	ids := func(rows []map[string]string, col string) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r[col])
		}
		slices.Sort(out)
		return out
	}
	// The list and its export by created day and by paid day.
	if _, rows := readCSVFile(t, a, owner, "/admin/payments/export.csv?from=2026-12-06&to=2026-12-06"); !slices.Equal(ids(rows, "reference"), []string{"DAY-2", "LATE-1", "UNPAID-3"}) {
		t.Errorf("created on Dec 6: %v", ids(rows, "reference"))
	}
	if _, rows := readCSVFile(t, a, owner, "/admin/payments/export.csv?by=paid&from=2026-12-06&to=2026-12-06"); !slices.Equal(ids(rows, "reference"), []string{"DAY-2"}) {
		t.Errorf("paid on Dec 6: %v", ids(rows, "reference"))
	}
	header, rows := readCSVFile(t, a, owner, "/admin/payments/export.csv?by=paid&from=2026-12-07&to=2026-12-07")
	if len(rows) != 1 || rows[0]["reference"] != "LATE-1" {
		t.Fatalf("paid on Dec 7: %v", rows)
	}
	want := map[string]string{"created_at": "2026-12-06T23:59:31+13:00", "paid_at": "2026-12-07T00:00:01+13:00",
		"description": "Pinot, =1+1", "latipay_reference": "01KABCDEFGHJKMNPQRSTVWXYZ0", "time_zone": "Pacific/Auckland"}
	for k, v := range want {
		if rows[0][k] != v {
			t.Errorf("export %s = %q, want %q (header %v)", k, rows[0][k], v, header)
		}
	}
	doc := a.ownerDoc(t, owner, "/admin/payments?by=paid&from=2026-12-07&to=2026-12-07", http.StatusOK)
	if got := listed(doc); !slices.Equal(got, []string{"LATE-1"}) {
		t.Errorf("the list paid on Dec 7 shows %v", got)
	}
	if got := strings.TrimSpace(doc.Find(`[data-col="paid"]`).First().Text()); got != "2026-12-07 00:00 NZDT" {
		t.Errorf("the list's paid time %q", got)
	}

	// The report, day by day, against its links and the refunds export.
	header, report := readCSVFile(t, a, owner, "/admin/reports/export.csv?from=2026-12-06&to=2026-12-07")
	if header[0] != "day (Pacific/Auckland)" {
		t.Errorf("report CSV header %v", header)
	}
	refundsOf := map[string]int64{}
	grossOf := map[string]int64{}
	for _, r := range report {
		refundsOf[r["day (Pacific/Auckland)"]] += cents(t, r["refunds"])
		grossOf[r["day (Pacific/Auckland)"]] += cents(t, r["gross"])
	}
	if refundsOf["2026-12-06"] != 1500 || refundsOf["2026-12-07"] != 1700 || grossOf["2026-12-06"] != 10000 || grossOf["2026-12-07"] != 5000 {
		t.Fatalf("the report says refunds %v, gross %v", refundsOf, grossOf)
	}
	for d, wantRefunds := range refundsOf {
		_, rs := readCSVFile(t, a, owner, "/admin/refunds/export.csv?status=succeeded&from="+d+"&to="+d)
		var sum int64
		for _, r := range rs {
			sum += cents(t, r["amount"])
		}
		if sum != wantRefunds {
			t.Errorf("%s: the refunds export adds up to %d, the report's Refunds to %d: %v", d, sum, wantRefunds, rs)
		}
	}
	_, all := readCSVFile(t, a, owner, "/admin/refunds/export.csv?from=2026-12-06&to=2026-12-07")
	if got := ids(all, "refund_id"); len(got) != 5 { // the failed one settled Dec 6, the pending one asked for on Dec 7
		t.Errorf("refunds of Dec 6-7: %v", got)
	}
	for _, r := range all {
		if r["refund_id"] == "rf_00000000000000000000000002" &&
			(r["requested_at"] != "2026-12-06T23:59:50+13:00" || r["settled_at"] != "2026-12-07T00:00:05+13:00" ||
				r["reference"] != "DAY-2" || r["payment_id"] != day.ID || r["status"] != "succeeded" || r["reason"] != "reason 2") {
			t.Errorf("refund row %v", r)
		}
		if r["status"] == "pending" && r["settled_at"] != "" {
			t.Errorf("a pending refund settled at %q", r["settled_at"])
		}
	}

	page := a.ownerDoc(t, owner, "/admin/reports?from=2026-12-06&to=2026-12-07", http.StatusOK)
	rowsSeen := 0
	page.Find(`[data-testid="report-row"]`).Each(func(_ int, r *goquery.Selection) {
		rowsSeen++
		pay, _ := r.Find(`[data-testid="report-payments"]`).Attr("href")
		ref, _ := r.Find(`[data-testid="report-refunds"]`).Attr("href")
		count := strings.TrimSpace(r.Find(`[data-col="count"]`).Text())
		listedRows := listed(a.ownerDoc(t, owner, pay, http.StatusOK))
		if fmt.Sprint(len(listedRows)) != count {
			t.Errorf("row %s: count %s, its payments link lists %v", r.Text(), count, listedRows)
		}
		_, rs := readCSVFile(t, a, owner, ref)
		var sum int64
		for _, x := range rs {
			sum += cents(t, x["amount"])
		}
		if got := cents(t, strings.TrimSpace(r.Find(`[data-col="refunds"]`).Text())); got != sum {
			t.Errorf("row %s: refunds %d, its refunds link adds up to %d", r.Text(), got, sum)
		}
	})
	if rowsSeen != 2 {
		t.Errorf("the report shows %d rows, want 2", rowsSeen)
	}

	// The audit log's export writes its times like the others.
	header, audit := readCSVFile(t, a, owner, "/admin/audit/export.csv")
	if len(audit) == 0 || header[len(header)-1] != "time_zone" {
		t.Fatalf("audit export %v: %v", header, audit)
	}
	for _, r := range audit {
		if at, err := time.Parse(time.RFC3339, r["time"]); err != nil || !strings.HasSuffix(r["time"], "+13:00") || r["time_zone"] != "Pacific/Auckland" || at.IsZero() {
			t.Errorf("audit time %q in %q: %v", r["time"], r["time_zone"], err)
		}
	}
}

// TestReportTillByDeviceAndCashier: the report shares out the till's
// sales by device and by cashier, on the page and in its CSV, and each
// breakdown adds up to the till channels' totals; a till sale with no
// record of who sold it is listed as not recorded, not dropped.
func TestReportTillByDeviceAndCashier(t *testing.T) {
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
	at := func(h int) time.Time { return time.Date(2026, 12, 6, h, 0, 0, 0, loc) }
	for i, d := range []counter.Device{{ID: "dev_front", Name: "Front till"}, {ID: "dev_back", Name: "Back bar"}} {
		d.TokenHash, d.CreatedAt, d.SeenAt, d.ResultSeconds = fmt.Sprintf("%064d", i), at(1), at(1), 5
		if err := a.Store.CreateDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	sale := func(n int, src string, amount int64, device, account string) payments.Payment {
		p := seedAt(t, a, n, at(n), at(n).Add(time.Minute), func(p *payments.Payment) { p.Source, p.Amount = src, amount })
		if device != "" {
			if _, err := a.Store.AddSale(ctx, counter.Sale{PaymentID: p.ID, DeviceID: device, AccountID: account,
				Key: fmt.Sprintf("k%d", n), CreatedAt: at(n)}); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	p1 := sale(8, payments.SourceCounterQR, 1000, "dev_front", cashier.ID)
	sale(9, payments.SourceCounterScan, 2000, "dev_front", owner0.ID)
	sale(10, payments.SourceCounterQR, 4000, "dev_back", cashier.ID)
	sale(11, payments.SourceCounterQR, 8000, "", "") // no record of who sold it
	sale(12, payments.SourceOnline, 16000, "", "")   // not the till
	seedRefund(t, a, p1, 1, 300, payments.RefundSucceeded, at(13), at(14))
	_, owner := a.signIn(t, "owner@shop.example", adminPW)

	for _, lang := range []string{"en", "zh-Hans", "zh-Hant"} {
		doc := a.ownerDoc(t, owner, "/admin/reports?from=2026-12-06&to=2026-12-06&lang="+lang, http.StatusOK)
		for _, table := range []string{"report-devices", "report-cashiers"} {
			tbl := doc.Find(`[data-testid="` + table + `"]`)
			var gross, refunds, count int64
			names := []string{}
			tbl.Find(`[data-testid="breakdown-row"]`).Each(func(_ int, r *goquery.Selection) {
				names = append(names, strings.TrimSpace(r.Find(`[data-col="name"]`).Text()))
				gross += cents(t, strings.TrimSpace(r.Find(`[data-col="gross"]`).Text()))
				refunds += cents(t, strings.TrimSpace(r.Find(`[data-col="refunds"]`).Text()))
				var c int64
				fmt.Sscan(strings.TrimSpace(r.Find(`[data-col="count"]`).Text()), &c)
				count += c
			})
			total := tbl.Find(`[data-testid="breakdown-total"]`)
			if total.Length() != 1 || gross != 15000 || refunds != 300 || count != 4 ||
				cents(t, strings.TrimSpace(total.Find(`[data-col="gross"]`).Text())) != gross ||
				cents(t, strings.TrimSpace(total.Find(`[data-col="refunds"]`).Text())) != refunds {
				t.Errorf("%s %s: rows %v add up to %d gross, %d refunds, %d sales; total row %q", lang, table, names, gross, refunds, count, total.Text())
			}
			if len(names) != 3 {
				t.Errorf("%s %s: rows %v", lang, table, names)
			}
			if lang == "en" && table == "report-devices" && !slices.Equal(names, []string{"Back bar", "Front till", "Not recorded"}) {
				t.Errorf("devices %v", names)
			}
		}
		// The till channels' totals on the report's own table.
		var till int64
		doc.Find(`[data-testid="report-row"]`).Each(func(_ int, r *goquery.Selection) {
			href, _ := r.Find(`[data-testid="report-payments"]`).Attr("href")
			if strings.Contains(href, "channel=counter_") {
				till += cents(t, strings.TrimSpace(r.Find(`[data-col="gross"]`).Text()))
			}
		})
		if till != 15000 {
			t.Errorf("%s: the report's till channels gross %d", lang, till)
		}
	}

	_, rows := readCSVFile(t, a, owner, "/admin/reports/export.csv?from=2026-12-06&to=2026-12-06")
	byCashier := map[string]int64{}
	var till int64
	for _, r := range rows {
		if strings.HasPrefix(r["channel"], "counter_") {
			till += cents(t, r["gross"])
			byCashier[r["cashier_id"]] += cents(t, r["gross"])
			if r["cashier_id"] == cashier.ID && r["cashier"] != "cashier@shop.example" {
				t.Errorf("cashier named %q", r["cashier"])
			}
		} else if r["device"] != "" || r["cashier"] != "" {
			t.Errorf("a row outside the till names a device or cashier: %v", r)
		}
	}
	if till != 15000 || byCashier[cashier.ID] != 5000 || byCashier[owner0.ID] != 2000 || byCashier[""] != 8000 {
		t.Errorf("report CSV: till %d, by cashier %v", till, byCashier)
	}
}

// TestCurrencyOrderEverywhere: the home's totals, its chart and the
// report list currencies in one order (NZD, AUD, CNY), whatever order
// their codes sort in.
func TestCurrencyOrderEverywhere(t *testing.T) {
	a := newAdminApp(t)
	now := a.Clock.Now()
	for n, c := range []payments.Currency{payments.AUD, payments.CNY, payments.NZD} {
		seedAt(t, a, n+1, now.Add(-time.Hour), now.Add(-time.Minute), func(p *payments.Payment) { p.Currency = c })
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	order := func(doc *goquery.Document, sel string) []string {
		var out []string
		doc.Find(sel).Each(func(_ int, s *goquery.Selection) {
			c, _ := s.Attr("data-currency")
			out = append(out, c)
		})
		return out
	}
	want := []string{"NZD", "AUD", "CNY"}
	home := a.ownerDoc(t, owner, "/admin/", http.StatusOK)
	day := now.Format(time.DateOnly)
	report := a.ownerDoc(t, owner, "/admin/reports?from="+day+"&to="+day, http.StatusOK)
	for what, got := range map[string][]string{
		"home today":    order(home, `[data-testid="today-totals"] [data-testid="totals-row"]`),
		"home chart":    order(home, `[data-testid="chart"]`),
		"report totals": order(report, `[data-testid="range-totals"] [data-testid="totals-row"]`),
	} {
		if !slices.Equal(got, want) {
			t.Errorf("%s lists %v, want %v", what, got, want)
		}
	}
	var rows []string
	report.Find(`[data-testid="report-row"] [data-col="currency"]`).Each(func(_ int, s *goquery.Selection) { rows = append(rows, s.Text()) })
	if !slices.Equal(rows, want) {
		t.Errorf("report rows list %v, want %v", rows, want)
	}
}

// TestReportTillRowsLinkToTheirSales: each row of the till's sales by
// device and by cashier links to the payments list of exactly its sales
// over the report's days (a sale paid the day before is not among them),
// as many as the row counts; the list says whose or which device's sales
// it shows, in each language, keeps that through its form and its export,
// and can drop it. The row of sales with no record has
// no link.
func TestReportTillRowsLinkToTheirSales(t *testing.T) {
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
	at := func(h int) time.Time { return time.Date(2026, 12, 6, h, 0, 0, 0, loc) }
	for i, d := range []counter.Device{{ID: "dev_front", Name: "Front till"}, {ID: "dev_back", Name: "Back bar"}} {
		d.TokenHash, d.CreatedAt, d.SeenAt, d.ResultSeconds = fmt.Sprintf("%064d", i), at(-30), at(-30), 5
		if err := a.Store.CreateDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	sale := func(n int, when time.Time, src string, device, account string) payments.Payment {
		p := seedAt(t, a, n, when, when.Add(time.Minute), func(p *payments.Payment) { p.Source, p.Amount = src, int64(100*n) })
		if device != "" {
			if _, err := a.Store.AddSale(ctx, counter.Sale{PaymentID: p.ID, DeviceID: device, AccountID: account,
				Key: fmt.Sprintf("k%d", n), CreatedAt: when}); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	want := map[string][]string{} // the list's URL parameter=id: its sales on the day, newest first
	for _, s := range []struct {
		n              int
		src            string
		device, person string
	}{{8, payments.SourceCounterQR, "dev_front", cashier.ID}, {9, payments.SourceCounterScan, "dev_front", owner0.ID},
		{10, payments.SourceCounterQR, "dev_back", cashier.ID}} {
		p := sale(s.n, at(s.n), s.src, s.device, s.person)
		want["device="+s.device] = append([]string{p.ID}, want["device="+s.device]...)
		want["cashier="+s.person] = append([]string{p.ID}, want["cashier="+s.person]...)
	}
	sale(11, at(11), payments.SourceCounterQR, "", "")                                   // no record of who sold it
	sale(5, at(5).Add(-24*time.Hour), payments.SourceCounterQR, "dev_front", cashier.ID) // the day before
	_, owner := a.signIn(t, "owner@shop.example", adminPW)

	names := map[string]string{"device=dev_front": "Front till", "device=dev_back": "Back bar",
		"cashier=" + cashier.ID: "cashier@shop.example", "cashier=" + owner0.ID: "owner@shop.example"}
	for _, lang := range []string{"en", "zh-Hans", "zh-Hant"} {
		l := a.localizer(t, lang)
		doc := a.ownerDoc(t, owner, "/admin/reports?from=2026-12-06&to=2026-12-06&lang="+lang, http.StatusOK)
		seen := map[string]bool{}
		doc.Find(`[data-testid="breakdown-row"]`).Each(func(_ int, r *goquery.Selection) {
			name := strings.TrimSpace(r.Find(`[data-col="name"]`).Text())
			link := r.Find(`[data-testid="breakdown-payments"]`)
			if name == l.T("report.by.unknown") {
				if link.Length() != 0 {
					t.Errorf("%s: the row of sales with no record links to %q", lang, link.AttrOr("href", ""))
				}
				return
			}
			href := link.AttrOr("href", "")
			var key string
			for k := range want {
				if strings.Contains(href, k) {
					key = k
				}
			}
			if key == "" || !strings.Contains(href, "by=paid") || !strings.Contains(href, "from=2026-12-06") || !strings.Contains(href, "to=2026-12-06") {
				t.Errorf("%s: row %q links to %q; want its device's or cashier's sales paid on the report's day", lang, name, href)
				return
			}
			seen[key] = true
			list := a.ownerDoc(t, owner, href+"&lang="+lang, http.StatusOK)
			var ids []string
			list.Find(`[data-testid="payment-row"]`).Each(func(_ int, s *goquery.Selection) { ids = append(ids, s.AttrOr("data-id", "")) })
			var count int
			fmt.Sscan(strings.TrimSpace(r.Find(`[data-col="count"]`).Text()), &count)
			if !slices.Equal(ids, want[key]) || count != len(ids) {
				t.Errorf("%s: row %q (%d sales) links to a list of %v, want %v", lang, name, count, ids, want[key])
			}
			scope := strings.TrimSpace(list.Find(`[data-testid="sale-scope"]`).Text())
			what := "adminlist.scope.device"
			if strings.HasPrefix(key, "cashier=") {
				what = "adminlist.scope.cashier"
			}
			if !strings.Contains(scope, l.T(what, names[key])) {
				t.Errorf("%s: the list of %s says %q, want %q", lang, key, scope, l.T(what, names[key]))
			}
			param, id, _ := strings.Cut(key, "=")
			if list.Find(`[data-testid="filters"] input[type="hidden"][name="`+param+`"][value="`+id+`"]`).Length() != 1 {
				t.Errorf("%s: the list of %s does not keep it through its form", lang, key)
			}
			if csvHref := list.Find(`[data-testid="export-csv"]`).AttrOr("href", ""); !strings.Contains(csvHref, key) {
				t.Errorf("%s: the export of the list of %s is %q", lang, key, csvHref)
			}
			clear := list.Find(`[data-testid="scope-clear"]`).AttrOr("href", "")
			if clear == "" || strings.Contains(clear, param+"=") || !strings.Contains(clear, "from=2026-12-06") {
				t.Errorf("%s: the list of %s clears to %q, want the same days without it", lang, key, clear)
			}
		})
		if len(seen) != len(want) {
			t.Errorf("%s: rows link to %v, want one for each of %v", lang, seen, slices.Collect(maps.Keys(want)))
		}
	}
	// Without the report's days: every sale of the device, and its export.
	doc := a.ownerDoc(t, owner, "/admin/payments?device=dev_front", http.StatusOK)
	if n := doc.Find(`[data-testid="payment-row"]`).Length(); n != 3 {
		t.Errorf("the front till's sales, any day: %d rows, want 3", n)
	}
	_, rows := readCSVFile(t, a, owner, "/admin/payments/export.csv?device=dev_back")
	if len(rows) != 1 || rows[0]["id"] != want["device=dev_back"][0] {
		t.Errorf("the back bar's export: %v", rows)
	}
}
