package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/views"
)

// The other wallet's QR opened inside a wallet's own browser: an Alipay
// QR inside WeChat, a WeChat Pay QR inside Alipay.
var otherWalletCases = []struct{ qr, here, ua string }{
	{"alipay", "wechat", flowWeChatUA},
	{"wechat", "alipay", flowAlipayUA},
}

// TestOtherWalletQRSwitchesHere: the shopper chose Alipay on a computer
// and opens the page inside WeChat, whose browser cannot pay an Alipay
// QR (and the mirror case inside Alipay). The page says so, in the
// page's language, and offers the wallet it is open in right here: the
// start replaces the QR as a switch of wallet does, Latipay canceling it
// first, so only the new order can be paid, once. It also says how to
// open the page where the QR's wallet can pay.
func TestOtherWalletQRSwitchesHere(t *testing.T) {
	a := newTestApp(t)
	c, err := views.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range otherWalletCases {
		for _, lang := range views.Languages() {
			p := a.mustCreate(t, createBody)
			if w := a.start(t, p.ID, tc.qr, desktopUA); w.Code != http.StatusSeeOther {
				t.Fatalf("start %s QR = %d", tc.qr, w.Code)
			}
			old := a.MustGet(t, p.ID).LatipayReference
			doc := mustDoc(t, a.do(t, "GET", "/checkout/"+p.ID+"?lang="+lang, nil, hdr("User-Agent", tc.ua)))
			l := c.Localizer(lang)
			if got, want := strings.TrimSpace(testid(doc, "qr-elsewhere").Text()), l.T("qr.elsewhere."+tc.qr); got != want {
				t.Errorf("%s in %s's browser, %s: says %q, want %q", tc.qr, tc.here, lang, got, want)
			}
			if got, want := strings.TrimSpace(testid(doc, "qr-open-elsewhere").Text()), l.T("qr.elsewhere.open."+tc.qr); got != want {
				t.Errorf("%s in %s's browser, %s: way out %q, want %q", tc.qr, tc.here, lang, got, want)
			}
			if testid(doc, "pay-here").Length() != 0 {
				t.Errorf("%s in %s's browser, %s: offers paying the %s QR here", tc.qr, tc.here, lang, tc.qr)
			}
			form, button := testid(doc, "switch-here"), testid(doc, "switch-here-button")
			if form.Length() != 1 || button.AttrOr("value", "") != tc.here {
				t.Fatalf("%s in %s's browser, %s: no way to pay with %s here", tc.qr, tc.here, lang, tc.here)
			}
			if got, want := strings.TrimSpace(button.Text()), l.T("qr.here.button", l.T("method."+tc.here)); got != want {
				t.Errorf("%s %s: button %q, want %q", tc.qr, lang, got, want)
			}
			action := form.AttrOr("action", "")
			if action != "/checkout/"+p.ID+"/start?lang="+lang {
				t.Errorf("%s %s: form action %q", tc.qr, lang, action)
			}
			w := a.do(t, "POST", action, strings.NewReader(url.Values{"method": {tc.here}}.Encode()),
				hdr("Content-Type", "application/x-www-form-urlencoded", "Origin", a.AppURL, "User-Agent", tc.ua))
			if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), a.SimURL) {
				t.Fatalf("%s %s: pay here = %d %q, want a redirect to Latipay's page", tc.qr, lang, w.Code, w.Header().Get("Location"))
			}
			if tx, _ := a.Sim.Transaction(old); tx.Status != "canceled" {
				t.Errorf("%s %s: the replaced QR is %q at Latipay, want canceled", tc.qr, lang, tx.Status)
			}
			if err := a.Sim.Pay(old); err == nil {
				t.Errorf("%s %s: the replaced QR could still be paid", tc.qr, lang)
			}
			now := a.MustGet(t, p.ID)
			if now.LatipayReference == old || now.Method != payments.Method(tc.here) {
				t.Fatalf("%s %s: attempt %s by %s, want a new %s one", tc.qr, lang, now.LatipayReference, now.Method, tc.here)
			}
			if err := a.Sim.Pay(now.LatipayReference); err != nil {
				t.Fatal(err)
			}
			got := a.WaitStatus(t, p.ID, payments.StatusPaid)
			if got.NeedsReview || got.LatipayReference != now.LatipayReference {
				t.Errorf("%s %s: review %v, by %s; want paid once by %s", tc.qr, lang, got.NeedsReview, got.LatipayReference, now.LatipayReference)
			}
		}
	}
}

// TestOtherWalletQRAlreadyPaidShowsPaid: the Alipay QR was paid on
// another phone (its callback is late) before the shopper, inside
// WeChat, taps to pay with WeChat Pay here: no second order is made, and
// the page says the payment succeeded. Likewise inside Alipay.
func TestOtherWalletQRAlreadyPaidShowsPaid(t *testing.T) {
	a := newTestApp(t)
	for _, tc := range otherWalletCases {
		p := a.mustCreate(t, createBody)
		if w := a.start(t, p.ID, tc.qr, desktopUA); w.Code != http.StatusSeeOther {
			t.Fatalf("start %s QR = %d", tc.qr, w.Code)
		}
		a.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
		if err := a.Sim.Pay(a.MustGet(t, p.ID).LatipayReference); err != nil {
			t.Fatal(err)
		}
		before := len(a.Sim.Ledger())
		doc := mustDoc(t, a.do(t, "GET", "/checkout/"+p.ID, nil, hdr("User-Agent", tc.ua)))
		action := testid(doc, "switch-here").AttrOr("action", "")
		if action == "" {
			t.Fatalf("%s QR in %s's browser: no way to pay here", tc.qr, tc.here)
		}
		w := a.do(t, "POST", action, strings.NewReader("method="+tc.here),
			hdr("Content-Type", "application/x-www-form-urlencoded", "Origin", a.AppURL, "User-Agent", tc.ua))
		a.Sim.SetFaults(latipaysim.Faults{})
		loc := w.Header().Get("Location")
		if u, err := url.Parse(loc); w.Code != http.StatusSeeOther || err != nil || u.Path != "/checkout/"+p.ID {
			t.Fatalf("%s: pay here after paying the QR = %d %q, want back to the checkout", tc.qr, w.Code, loc)
		}
		if n := len(a.Sim.Ledger()) - before; n != 0 {
			t.Errorf("%s: %d new orders at Latipay, want none", tc.qr, n)
		}
		doc = mustDoc(t, a.do(t, "GET", loc, nil, hdr("User-Agent", tc.ua)))
		if st := testid(doc, "status").AttrOr("data-status", ""); st != "paid" || testid(doc, "switch-here").Length() != 0 {
			t.Errorf("%s: page after pay here: status %q, switch shown %v; want paid without it", tc.qr, st, testid(doc, "switch-here").Length() != 0)
		}
	}
}

// TestOtherWalletQRWithoutItsWallet: a shop that takes Alipay only, its
// Alipay QR opened inside WeChat: nothing to pay with here, so the page
// says the QR cannot be paid inside WeChat and how to open it in the
// phone's browser, and offers no button.
func TestOtherWalletQRWithoutItsWallet(t *testing.T) {
	app := handlers.NewTestApp(t, handlers.TestAppOptions{Env: paymentstest.Options{Service: payments.Options{
		Methods: []payments.Method{payments.MethodAlipay}}}})
	a := &testApp{Env: app.Env, h: app.H}
	p := a.mustCreate(t, createBody)
	if w := a.start(t, p.ID, "alipay", desktopUA); w.Code != http.StatusSeeOther {
		t.Fatalf("start = %d", w.Code)
	}
	doc := mustDoc(t, a.do(t, "GET", "/checkout/"+p.ID, nil, hdr("User-Agent", flowWeChatUA)))
	if testid(doc, "qr-elsewhere").Length() != 1 || testid(doc, "qr-open-elsewhere").Length() != 1 {
		t.Error("an Alipay QR inside WeChat does not say it cannot be paid here, and how to open it elsewhere")
	}
	if testid(doc, "switch-here").Length()+testid(doc, "pay-here").Length() != 0 {
		t.Error("a shop without WeChat Pay offers paying here inside WeChat")
	}
	for _, ua := range []string{desktopUA, phoneUA} {
		if testid(mustDoc(t, a.do(t, "GET", "/checkout/"+p.ID, nil, hdr("User-Agent", ua))), "qr-elsewhere").Length() != 0 {
			t.Errorf("%q: the QR is said to be unpayable outside a wallet's browser", ua)
		}
	}
}

// TestScanLineOnlyWhereScanning: the line under a QR tells the shopper to
// open the wallet and scan the code only where that is possible; inside
// a wallet's own browser (under "pay here", or under the other wallet's
// QR) the phone cannot scan its own screen, and the line says to scan
// from another phone instead. In every language.
func TestScanLineOnlyWhereScanning(t *testing.T) {
	a := newTestApp(t)
	c, err := views.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	started := map[string]string{}
	for _, m := range []string{"wechat", "alipay"} {
		p := a.mustCreate(t, createBody)
		if w := a.start(t, p.ID, m, desktopUA); w.Code != http.StatusSeeOther {
			t.Fatalf("start %s QR = %d", m, w.Code)
		}
		started[m] = p.ID
	}
	for _, tc := range []struct {
		qr, where, ua string
		other         bool
	}{
		{"wechat", "a computer", desktopUA, false},
		{"alipay", "a computer", desktopUA, false},
		{"wechat", "WeChat", flowWeChatUA, true},
		{"alipay", "Alipay", flowAlipayUA, true},
		{"alipay", "WeChat", flowWeChatUA, true},
		{"wechat", "Alipay", flowAlipayUA, true},
	} {
		for _, lang := range views.Languages() {
			l := c.Localizer(lang)
			doc := mustDoc(t, a.do(t, "GET", "/checkout/"+started[tc.qr]+"?lang="+lang, nil, hdr("User-Agent", tc.ua)))
			want, not := l.T("qr.scan."+tc.qr), l.T("qr.scan.other."+tc.qr)
			if tc.other {
				want, not = not, want
			}
			if body := doc.Find("main").Text(); !strings.Contains(body, want) || strings.Contains(body, not) {
				t.Errorf("%s QR in %s, %s: the page says %q: want %q, never %q", tc.qr, tc.where, lang,
					strings.TrimSpace(testid(doc, "qr-scan").Text()), want, not)
			}
		}
	}
}
