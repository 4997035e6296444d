package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/views"
)

// shopperPost posts a same-origin checkout form, in lang.
func (a *adminApp) shopperPost(t *testing.T, path, lang string, vals url.Values) *http.Response {
	t.Helper()
	w := a.do(t, http.MethodPost, path+"?lang="+lang, strings.NewReader(vals.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}})
	return w.Result()
}

// errorText is the error page's message, or "" when w is not one.
func (a *adminApp) errorPage(t *testing.T, path, lang string, vals url.Values) (int, string) {
	t.Helper()
	w := a.do(t, http.MethodPost, path+"?lang="+lang, strings.NewReader(vals.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}})
	if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		return w.Code, ""
	}
	return w.Code, strings.TrimSpace(testid(mustDoc(t, w), "error").Find("p").First().Text())
}

// TestShopperCancelNeedsCancelURL: the merchant gave no cancel_url, so
// the checkout offers no cancel, and a hand-made POST to its cancel is
// refused: 403 and a page that says so in the shopper's language, the
// payment and its QR untouched (Latipay is not asked to cancel it).
func TestShopperCancelNeedsCancelURL(t *testing.T) {
	a := newCancelApp(t)
	p, ref := a.mustStartedQR(t)
	for _, lang := range views.Languages() {
		code, text := a.errorPage(t, "/checkout/"+p.ID+"/cancel", lang, nil)
		if want := a.localizer(t, lang).T("error.nocancel"); code != http.StatusForbidden || text != want {
			t.Errorf("%s: POST cancel without cancel_url = %d %q, want 403 %q", lang, code, text, want)
		}
	}
	got := a.MustGet(t, p.ID)
	if got.Status != payments.StatusPending || got.LatipayReference != ref {
		t.Errorf("payment after the refused cancels: %s, reference %s; want pending with %s", got.Status, got.LatipayReference, ref)
	}
	if types := eventTypes(a.webhooks(t, p.ID)); strings.Contains(types, "canceled") {
		t.Errorf("webhooks %q: the refused cancel was sent", types)
	}
	// The QR is still payable: Latipay was not told to cancel it.
	if err := a.Sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	a.WaitStatus(t, p.ID, payments.StatusPaid)
}

// TestCounterSaleRefusesPublicCheckout: a counter sale's id is in its QR
// image's address, but the public checkout may not start another wallet
// on it, refresh its QR or cancel it: each is refused (403, the page or
// JSON saying the cashier alone may), and the sale stays as the cashier
// made it, still payable, its page offering no cancel.
func TestCounterSaleRefusesPublicCheckout(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	sale := mustJSON[counterSaleJSON](t, a.charge(t, dev, "sale-key-public-00000001", "12.50", "wechat"))
	before, err := a.Store.Payment(t.Context(), sale.ID)
	if err != nil || before.Source != payments.SourceCounterQR {
		t.Fatalf("sale %+v, %v: want a counter QR sale", before, err)
	}
	base := "/checkout/" + sale.ID
	for _, lang := range views.Languages() {
		want := a.localizer(t, lang).T("error.tillsale")
		for _, c := range []struct {
			path string
			form url.Values
		}{
			{base + "/start", url.Values{"method": {"alipay"}}},
			{base + "/start", url.Values{"method": {"wechat"}}},
			{base + "/cancel", nil},
		} {
			if code, text := a.errorPage(t, c.path, lang, c.form); code != http.StatusForbidden || text != want {
				t.Errorf("%s: POST %s %v = %d %q, want 403 %q", lang, c.path, c.form, code, text, want)
			}
		}
	}
	// The page's script refreshes a QR through JSON.
	w := a.do(t, http.MethodPost, base+"/refresh", strings.NewReader(url.Values{"reference": {before.LatipayReference}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}})
	if e := mustJSON[counterErrJSON](t, w); w.Code != http.StatusForbidden || e.Error.Code != "counter_sale" {
		t.Errorf("POST refresh = %d %+v, want 403 counter_sale", w.Code, e)
	}
	if n := testid(a.page(t, sale.ID), "cancel").Length(); n != 0 {
		t.Error("the sale's public page offers a cancel")
	}
	after, err := a.Store.Payment(t.Context(), sale.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != payments.StatusPending || after.Attempts != 1 || after.Method != payments.MethodWeChat || after.LatipayReference != before.LatipayReference {
		t.Errorf("sale after the refused posts: %s, %d attempts, %s, %s; want pending, 1, wechat, %s",
			after.Status, after.Attempts, after.Method, after.LatipayReference, before.LatipayReference)
	}
	a.simulatePaid(t, before.LatipayReference)
	a.WaitStatus(t, sale.ID, payments.StatusPaid)
}

// TestPaidAfterShopperCancelWording: the shopper canceled (Latipay did
// not answer the cancel), then the payment arrived, minutes inside its
// time limit. The paid page and the printed receipt say it arrived after
// the order was canceled, never "after the time limit", in each language.
func TestPaidAfterShopperCancelWording(t *testing.T) {
	a := newCancelApp(t)
	p := a.mustCreate(t, cancelBody)
	ref := a.mustStartQR(t, p.ID)
	a.Sim.SetFaults(latipaysim.Faults{ServerError: true})
	if r := a.shopperPost(t, "/checkout/"+p.ID+"/cancel", "en", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("shopper's cancel = %d, want 303", r.StatusCode)
	}
	a.WaitStatus(t, p.ID, payments.StatusCanceled)
	a.Sim.SetFaults(latipaysim.Faults{})
	if err := a.Sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	a.WaitStatus(t, p.ID, payments.StatusPaid)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for _, lang := range views.Languages() {
		loc := a.localizer(t, lang)
		want, timeLimit := loc.T("paid.late.canceled"), loc.T("paid.late")
		w := a.do(t, http.MethodGet, "/checkout/"+p.ID+"?lang="+lang, nil, nil)
		doc := mustDoc(t, w)
		if got := strings.TrimSpace(testid(doc, "paid-late").Text()); got != want {
			t.Errorf("%s: the paid page says %q, want %q", lang, got, want)
		}
		if strings.Contains(doc.Text(), timeLimit) {
			t.Errorf("%s: the paid page says %q", lang, timeLimit)
		}
		rc := a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"/receipt?lang="+lang, http.StatusOK)
		if got := strings.TrimSpace(testid(rc, "receipt-late").Text()); got != want {
			t.Errorf("%s: the receipt says %q, want %q", lang, got, want)
		}
	}
}

// TestPaidAfterFailedWording: Latipay said the payment failed, then that
// it was paid after all, well inside its time limit. Nothing expired and
// nothing was canceled: the paid page and the printed receipt say it
// arrived after the payment had been marked failed, never "after the
// time limit" nor "after the order was canceled", in each language.
func TestPaidAfterFailedWording(t *testing.T) {
	a := newCancelApp(t)
	p := a.mustCreate(t, cancelBody)
	ref := a.mustStartQR(t, p.ID)
	if got := a.PostCallback(t, paymentstest.Notification(ref, "wechat", "failed", "NZD", "12.50")); !strings.HasPrefix(got, "200") {
		t.Fatalf("failed callback = %q", got)
	}
	a.WaitStatus(t, p.ID, payments.StatusFailed)
	if err := a.Sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	if got := a.WaitStatus(t, p.ID, payments.StatusPaid); !got.PaidLate {
		t.Fatal("paid after it failed, the payment is not paid late")
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for _, lang := range views.Languages() {
		loc := a.localizer(t, lang)
		want := loc.T("paid.late.failed")
		if want == "" || want == "paid.late.failed" {
			t.Fatalf("%s: no words for a payment paid after it failed", lang)
		}
		doc := mustDoc(t, a.do(t, http.MethodGet, "/checkout/"+p.ID+"?lang="+lang, nil, nil))
		if got := strings.TrimSpace(testid(doc, "paid-late").Text()); got != want {
			t.Errorf("%s: the paid page says %q, want %q", lang, got, want)
		}
		rc := a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"/receipt?lang="+lang, http.StatusOK)
		if got := strings.TrimSpace(testid(rc, "receipt-late").Text()); got != want {
			t.Errorf("%s: the receipt says %q, want %q", lang, got, want)
		}
		for _, wrong := range []string{loc.T("paid.late"), loc.T("paid.late.canceled")} {
			if strings.Contains(doc.Text(), wrong) || strings.Contains(rc.Text(), wrong) {
				t.Errorf("%s: the paid page or receipt says %q", lang, wrong)
			}
		}
	}
}
