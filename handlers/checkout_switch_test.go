package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/views"
)

// TestCheckoutSwitchAfterPayingShowsPaid: the shopper pays WeChat's QR,
// its callback is late, and on a phone they choose Alipay instead. The
// start asks Latipay about the WeChat order first: it is paid, so the
// shopper is sent back to the checkout, which says "Payment successful",
// and no Alipay order exists at Latipay to be paid as well.
func TestCheckoutSwitchAfterPayingShowsPaid(t *testing.T) {
	a := newTestApp(t)
	c, err := views.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range views.Languages() {
		before := len(a.Sim.Ledger())
		p, ref := a.mustStartedQR(t)
		a.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
		w := a.do(t, "POST", "/sandbox/latipay/simulate", strings.NewReader(url.Values{"merchant_reference": {ref}, "status": {"paid"}}.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}})
		if w.Code >= 400 {
			t.Fatalf("simulate = %d %s", w.Code, w.Body)
		}
		if got := a.MustGet(t, p.ID); got.Status != payments.StatusPending {
			t.Fatalf("%s: payment %s before the switch, want pending (its callback dropped)", lang, got.Status)
		}
		w = a.do(t, "POST", "/checkout/"+p.ID+"/start?lang="+lang, strings.NewReader(url.Values{"method": {"alipay"}}.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}, "User-Agent": {phoneUA}})
		a.Sim.SetFaults(latipaysim.Faults{})
		loc := w.Header().Get("Location")
		u, err := url.Parse(loc)
		if w.Code != http.StatusSeeOther || err != nil || u.Path != "/checkout/"+p.ID || u.Query().Get("error") != "" {
			t.Fatalf("%s: switching to Alipay after paying WeChat = %d Location %q, want 303 back to the checkout", lang, w.Code, loc)
		}
		if n := len(a.Sim.Ledger()) - before; n != 1 {
			t.Errorf("%s: %d orders at Latipay for the payment, want the WeChat one only", lang, n)
		}
		doc := mustDoc(t, a.do(t, "GET", loc, nil, http.Header{"User-Agent": {phoneUA}}))
		if st, _ := testid(doc, "status").Attr("data-status"); st != "paid" {
			t.Errorf("%s: data-status = %q, want paid", lang, st)
		}
		if want := c.Localizer(lang).T("state.paid"); !strings.Contains(doc.Text(), want) {
			t.Errorf("%s: the page does not say %q", lang, want)
		}
		api := mustJSON[struct {
			Status           string `json:"status"`
			LatipayReference string `json:"latipay_reference"`
			NeedsReview      bool   `json:"needs_review"`
		}](t, a.api(t, "GET", "/api/v1/payments/"+p.ID, "", nil))
		if api.Status != "paid" || api.LatipayReference != ref || api.NeedsReview {
			t.Errorf("%s: API = %+v, want paid by %s, not for review", lang, api, ref)
		}
	}
}

// TestCheckoutSwitchUnconfirmedAsksToWait: Latipay does not answer when
// the shopper switches wallet, so whether the WeChat QR was paid is
// unknown: no Alipay order is made, and the checkout says, in the page's
// language, to wait or try again.
func TestCheckoutSwitchUnconfirmedAsksToWait(t *testing.T) {
	a := newTestApp(t)
	c, err := views.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range views.Languages() {
		before := len(a.Sim.Ledger())
		p, _ := a.mustStartedQR(t)
		a.Sim.SetFaults(latipaysim.Faults{ServerError: true})
		w := a.do(t, "POST", "/checkout/"+p.ID+"/start?lang="+lang, strings.NewReader(url.Values{"method": {"alipay"}}.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}, "User-Agent": {phoneUA}})
		a.Sim.SetFaults(latipaysim.Faults{})
		loc := w.Header().Get("Location")
		u, err := url.Parse(loc)
		if w.Code != http.StatusSeeOther || err != nil || u.Path != "/checkout/"+p.ID || u.Query().Get("error") != "error.switchwait" {
			t.Fatalf("%s: switching while Latipay does not answer = %d Location %q, want 303 to the checkout with error.switchwait", lang, w.Code, loc)
		}
		if n := len(a.Sim.Ledger()) - before; n != 1 {
			t.Errorf("%s: %d orders at Latipay for the payment, want the WeChat one only", lang, n)
		}
		if got := a.MustGet(t, p.ID); got.Attempts != 1 || got.Status != payments.StatusPending {
			t.Errorf("%s: payment %s with %d attempts, want pending with the WeChat attempt only", lang, got.Status, got.Attempts)
		}
		doc := mustDoc(t, a.do(t, "GET", loc, nil, http.Header{"User-Agent": {phoneUA}}))
		l := c.Localizer(lang)
		if msg := strings.TrimSpace(doc.Find(`[data-testid="error-message"]`).Text()); msg != l.T("error.switchwait") {
			t.Errorf("%s: error message %q, want %q", lang, msg, l.T("error.switchwait"))
		}
	}
}
