package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
)

// TestAdminRevokeCancelsOpenSales: revoking a device in the back office
// cancels its open sales through the normal cancel, Latipay told (a
// shopper scanning its QR afterwards pays nothing); a sale Latipay had
// paid meanwhile stays paid and is named; a paid sale and another
// device's sale are untouched. The page says how many were canceled, in
// the three languages' words, and warns before that revoking cancels
// unpaid sales; the audit log has the revoke and each cancel.
func TestAdminRevokeCancelsOpenSales(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	other := a.pair(t)
	if w := a.unlock(t, other, "cashier@shop.example", counterPIN); w.Code != http.StatusSeeOther {
		t.Fatalf("unlock = %d", w.Code)
	}
	d, err := a.ctr.Authenticate(t.Context(), dev.Value)
	if err != nil {
		t.Fatal(err)
	}
	qr := mustJSON[counterSaleJSON](t, a.charge(t, dev, "revoke-key-000000000001", "12.50", "wechat"))
	refused := mustJSON[refusedJSON](t, a.scan(t, dev, "revoke-key-000000000002", "8.00", refusedCode)).Error.Sale
	// Paid at Latipay at once; here it is pending until the reconciler
	// asks: the revoke's cancel finds it paid.
	paidThere := mustJSON[counterSaleJSON](t, a.scan(t, dev, "revoke-key-000000000003", "9.00", "134588558514585062"))
	paidHere := mustJSON[counterSaleJSON](t, a.charge(t, dev, "revoke-key-000000000004", "3.00", "alipay"))
	if err := a.Sim.Pay(a.MustGet(t, paidHere.ID).LatipayReference); err != nil {
		t.Fatal(err)
	}
	a.WaitStatus(t, paidHere.ID, payments.StatusPaid)
	elsewhere := mustJSON[counterSaleJSON](t, a.charge(t, other, "revoke-key-000000000005", "4.00", "wechat"))
	for _, s := range []counterSaleJSON{qr, paidThere, elsewhere} {
		if s.Status != "pending" {
			t.Fatalf("sale %s is %s before the revoke, want pending", s.ID, s.Status)
		}
	}

	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	page := a.ownerDoc(t, owner, handlers.AdminCounterPath+"?lang=en", http.StatusOK)
	if got := page.Find(`[data-testid="revoke-hint"]`).Text(); !strings.Contains(got, "cancels its unpaid sales") {
		t.Errorf("the counter page says %q before a revoke; want the warning that unpaid sales are canceled", got)
	}
	w := a.post(t, handlers.AdminCounterPath+"/devices/"+d.ID+"/revoke?lang=en", url.Values{}, owner)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("revoke = %d %s", w.Code, w.Body)
	}
	for id, want := range map[string]payments.Status{qr.ID: payments.StatusCanceled, refused.ID: payments.StatusCanceled,
		paidThere.ID: payments.StatusPaid, paidHere.ID: payments.StatusPaid, elsewhere.ID: payments.StatusPending} {
		if got := a.MustGet(t, id).Status; got != want {
			t.Errorf("sale %s after the revoke = %s, want %s", id, got, want)
		}
	}
	// Latipay was told: the shopper scanning the QR now pays nothing.
	if err := a.Sim.Pay(a.MustGet(t, qr.ID).LatipayReference); err == nil {
		t.Errorf("the revoked device's QR could still be paid at Latipay")
	}

	// The result rides in the one-time flash, not in the address.
	loc := w.Header().Get("Location")
	if strings.Contains(loc, "?notice") || strings.Contains(loc, paidThere.ID) {
		t.Errorf("the revoke redirects to %q; the address carries its result", loc)
	}
	flashed := func(lang string) *goquery.Document {
		t.Helper()
		u, _ := url.Parse(loc)
		q := u.Query()
		q.Set("lang", lang)
		r := a.do(t, http.MethodGet, u.Path+"?"+q.Encode(), nil, withFlash(owner, w))
		if r.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", u, r.Code)
		}
		return mustDoc(t, r)
	}
	res := flashed("en")
	if got := res.Find(`[data-testid="revoked-canceled"]`); got.AttrOr("data-count", "") != "2" || !strings.Contains(got.Text(), "canceled: 2") {
		t.Errorf("the revoke's result says %q (count %q); want 2 open sales canceled", got.Text(), got.AttrOr("data-count", ""))
	}
	paidRef := a.MustGet(t, paidThere.ID).Reference
	if got := res.Find(`[data-testid="revoked-sale"]`); got.Length() != 1 || got.Text() != paidRef || res.Find(`[data-testid="revoked-paid"]`).Length() != 1 {
		t.Errorf("the revoke's result names %q; want the sale paid meanwhile, %s", got.Text(), paidRef)
	}
	for _, lang := range []string{"zh-Hans", "zh-Hant"} {
		doc := flashed(lang)
		if got := doc.Find(`[data-testid="revoked-canceled"]`).Text(); !strings.Contains(got, "2") || englishWord.FindString(untranslated.Replace(got)) != "" {
			t.Errorf("%s: the revoke's result says %q", lang, got)
		}
	}

	// Each canceled sale's timeline says the till was revoked, not that
	// the merchant chose to cancel it.
	for _, id := range []string{qr.ID, refused.ID} {
		for _, lang := range []string{"en", "zh-Hans", "zh-Hant"} {
			l := a.localizer(t, lang)
			doc := a.ownerDoc(t, owner, "/admin/payments/"+id+"?lang="+lang, http.StatusOK)
			var details []string
			doc.Find(`[data-testid="timeline-item"] .detail`).Each(func(_ int, s *goquery.Selection) {
				details = append(details, strings.TrimSpace(s.Text()))
			})
			if !slices.Contains(details, l.T("event.payment.canceled.device_revoked")) || slices.Contains(details, l.T("event.payment.canceled.by_merchant")) {
				t.Errorf("%s: sale %s's timeline after the revoke says %q; want that the till was revoked", lang, id, details)
			}
		}
	}

	log, err := a.Store.Audit(t.Context(), accounts.AuditFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range log {
		seen[e.Action+" "+e.Target] = true
	}
	for _, k := range []string{"counter.revoke " + d.ID, "cancel " + qr.ID, "cancel " + refused.ID} {
		if !seen[k] {
			t.Errorf("the audit log lacks %q", k)
		}
	}
	if seen["cancel "+paidThere.ID] {
		t.Errorf("the audit log records a cancel of the sale that was paid")
	}
}
