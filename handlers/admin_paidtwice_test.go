package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
)

// noCancelGateway is Latipay not answering cancels while down is set;
// everything else goes to the simulator.
type noCancelGateway struct {
	payments.Gateway
	down atomic.Bool
}

func (g *noCancelGateway) Cancel(ctx context.Context, ref string) error {
	if g.down.Load() {
		return errDown
	}
	return g.Gateway.Cancel(ctx, ref)
}

// TestAdminPaidTwiceBanner: Latipay did not answer the cancel of the
// WeChat QR when the shopper switched to Alipay (its query said the QR
// was unpaid, so the Alipay order was made), and the shopper then paid
// both: charged twice. The payment's page says so in a banner naming
// Latipay's order of the second charge and its amount, in each language,
// and the home page lists the payment as paid twice, not as an amount
// mismatch nor as paid late.
func TestAdminPaidTwiceBanner(t *testing.T) {
	gw := &noCancelGateway{}
	a := newAdminApp(t, adminAppOptions{wrapGateway: func(g payments.Gateway) payments.Gateway {
		gw.Gateway = g
		return gw
	}})
	ctx := t.Context()
	a.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	p := a.mustCreate(t, createBody)
	wechat := a.MustStart(t, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
	gw.down.Store(true)
	alipay := a.MustStart(t, p.ID, payments.MethodAlipay, payments.DeviceDesktop)
	gw.down.Store(false)
	if err := a.Sim.Pay(wechat.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	if err := a.Sim.Pay(alipay.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the WeChat attempt, then the Alipay one once the payment is paid
		if _, err := a.Svc.ReconcileDue(ctx, 10); err != nil {
			t.Fatal(err)
		}
	}
	got := a.MustGet(t, p.ID)
	if got.Status != payments.StatusPaid || !got.NeedsReview || got.PaidLate {
		t.Fatalf("payment = %s review %v late %v, want paid, under review, on time", got.Status, got.NeedsReview, got.PaidLate)
	}
	as, err := a.Svc.Attempts(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var order string
	for _, at := range as {
		if at.Reference == alipay.Attempt.Reference {
			order = at.OrderID
		}
	}
	if order == "" {
		t.Fatal("Latipay gave the Alipay attempt no order id")
	}

	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for lang, words := range map[string]string{"en": "Paid twice", "zh-Hans": "重复付款", "zh-Hant": "重複付款"} {
		doc := a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"?lang="+lang, http.StatusOK)
		banner := doc.Find(`[data-testid="paid-twice"]`)
		text := strings.Join(strings.Fields(banner.Text()), " ")
		if banner.Length() != 1 || !strings.Contains(text, words) || !strings.Contains(text, order) || !strings.Contains(text, "12.50") {
			t.Errorf("%s: paid-twice banner %q (%d), want %q naming order %s and 12.50", lang, text, banner.Length(), words, order)
		}
	}
	doc := a.ownerDoc(t, owner, "/admin/", http.StatusOK)
	items := doc.Find(`[data-testid="attention-item"]`)
	var kinds []string
	items.Each(func(_ int, s *goquery.Selection) {
		k, _ := s.Attr("data-kind")
		kinds = append(kinds, k)
	})
	if strings.Join(kinds, " ") != "paid_twice" || !strings.Contains(items.Text(), "Paid twice") {
		t.Errorf("home attention kinds %v, text %q; want the payment once, as paid twice", kinds, items.Text())
	}
}
