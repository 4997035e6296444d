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

// TestInWalletPaysItsQRThere: a WeChat QR started on a computer (or
// saved on a phone) is opened inside WeChat by the link the same-phone
// helper gives; likewise an Alipay QR inside Alipay. The page offers
// paying right there, in the page's language; doing so goes to Latipay's
// in-wallet page, as a fresh checkout does, after Latipay has canceled
// the QR, so only the new order can be paid.
func TestInWalletPaysItsQRThere(t *testing.T) {
	a := newTestApp(t)
	c, err := views.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, ua string }{{"wechat", flowWeChatUA}, {"alipay", flowAlipayUA}} {
		for _, lang := range views.Languages() {
			p := a.mustCreate(t, createBody)
			if w := a.start(t, p.ID, tc.method, desktopUA); w.Code != http.StatusSeeOther {
				t.Fatalf("start %s QR = %d", tc.method, w.Code)
			}
			old := a.MustGet(t, p.ID).LatipayReference
			doc := mustDoc(t, a.do(t, "GET", "/checkout/"+p.ID+"?lang="+lang, nil, hdr("User-Agent", tc.ua)))
			form := testid(doc, "pay-here")
			button := testid(doc, "pay-here-button")
			l := c.Localizer(lang)
			if form.Length() != 1 || button.AttrOr("value", "") != tc.method {
				t.Fatalf("%s %s: no way to pay here inside the wallet", tc.method, lang)
			}
			if got, want := strings.TrimSpace(button.Text()), l.T("qr.here.button", l.T("method."+tc.method)); got != want {
				t.Errorf("%s %s: button %q, want %q", tc.method, lang, got, want)
			}
			action := form.AttrOr("action", "")
			if action != "/checkout/"+p.ID+"/start?lang="+lang {
				t.Errorf("%s %s: form action %q", tc.method, lang, action)
			}
			w := a.do(t, "POST", action, strings.NewReader(url.Values{"method": {tc.method}}.Encode()),
				hdr("Content-Type", "application/x-www-form-urlencoded", "Origin", a.AppURL, "User-Agent", tc.ua))
			if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), a.SimURL) {
				t.Fatalf("%s %s: pay here = %d %q, want a redirect to Latipay's page", tc.method, lang, w.Code, w.Header().Get("Location"))
			}
			if tx, _ := a.Sim.Transaction(old); tx.Status != "canceled" {
				t.Errorf("%s %s: the replaced QR is %q at Latipay, want canceled", tc.method, lang, tx.Status)
			}
			if err := a.Sim.Pay(old); err == nil {
				t.Errorf("%s %s: the replaced QR could still be paid", tc.method, lang)
			}
			now := a.MustGet(t, p.ID)
			if now.LatipayReference == old {
				t.Fatalf("%s %s: no new attempt", tc.method, lang)
			}
			if err := a.Sim.Pay(now.LatipayReference); err != nil {
				t.Fatal(err)
			}
			got := a.WaitStatus(t, p.ID, payments.StatusPaid)
			if got.NeedsReview || got.LatipayReference != now.LatipayReference {
				t.Errorf("%s %s: review %v, by %s; want paid once by %s", tc.method, lang, got.NeedsReview, got.LatipayReference, now.LatipayReference)
			}
		}
	}
}

// TestInWalletQRAlreadyPaidShowsPaid: the QR was paid (its callback is
// late) before the shopper, inside WeChat, taps "pay here": no second
// order is made, and the page says the payment succeeded.
func TestInWalletQRAlreadyPaidShowsPaid(t *testing.T) {
	a := newTestApp(t)
	p, ref := a.mustStartedQR(t)
	a.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	if err := a.Sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	before := len(a.Sim.Ledger())
	doc := mustDoc(t, a.do(t, "GET", "/checkout/"+p.ID, nil, hdr("User-Agent", flowWeChatUA)))
	action := testid(doc, "pay-here").AttrOr("action", "")
	if action == "" {
		t.Fatal("no way to pay here inside WeChat")
	}
	w := a.do(t, "POST", action, strings.NewReader("method=wechat"),
		hdr("Content-Type", "application/x-www-form-urlencoded", "Origin", a.AppURL, "User-Agent", flowWeChatUA))
	a.Sim.SetFaults(latipaysim.Faults{})
	loc := w.Header().Get("Location")
	if u, err := url.Parse(loc); w.Code != http.StatusSeeOther || err != nil || u.Path != "/checkout/"+p.ID {
		t.Fatalf("pay here after paying the QR = %d %q, want back to the checkout", w.Code, loc)
	}
	if n := len(a.Sim.Ledger()) - before; n != 0 {
		t.Errorf("%d new orders at Latipay, want none", n)
	}
	doc = mustDoc(t, a.do(t, "GET", loc, nil, hdr("User-Agent", flowWeChatUA)))
	if st := testid(doc, "status").AttrOr("data-status", ""); st != "paid" || testid(doc, "pay-here").Length() != 0 {
		t.Errorf("page after pay here: status %q, pay-here shown %v; want paid without it", st, testid(doc, "pay-here").Length() != 0)
	}
}

// TestPayHereOnlyInItsWallet: a phone's own browser keeps the same-phone
// helper, and WeChat showing Alipay's QR cannot pay it there.
func TestPayHereOnlyInItsWallet(t *testing.T) {
	a := newTestApp(t)
	p, _ := a.mustStartedQR(t)
	for _, ua := range []string{phoneUA, desktopUA, flowAlipayUA} {
		if doc := mustDoc(t, a.do(t, "GET", "/checkout/"+p.ID, nil, hdr("User-Agent", ua))); testid(doc, "pay-here").Length() != 0 {
			t.Errorf("WeChat's QR offers paying here in %q", ua)
		}
	}
	q := a.mustCreate(t, createBody)
	if w := a.start(t, q.ID, "alipay", desktopUA); w.Code != http.StatusSeeOther {
		t.Fatalf("start = %d", w.Code)
	}
	if doc := mustDoc(t, a.do(t, "GET", "/checkout/"+q.ID, nil, hdr("User-Agent", flowWeChatUA))); testid(doc, "pay-here").Length() != 0 {
		t.Error("Alipay's QR offers paying here inside WeChat")
	}
}
