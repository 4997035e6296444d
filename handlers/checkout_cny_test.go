package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
)

// TestCheckoutCNYShowsNoConversion: a payment in yuan shows no "about ¥
// (rate 1 CNY = 1 CNY)" line, no "your wallet charges in yuan at the rate
// of the moment you pay" note, and its receipt no yuan figure or rate; a
// payment in dollars still shows them.
func TestCheckoutCNYShowsNoConversion(t *testing.T) {
	app := newTestApp(t)
	for _, c := range []struct {
		currency string
		shown    bool
	}{{"NZD", true}, {"CNY", false}} {
		p := app.mustCreate(t, strings.Replace(createBody, `"NZD"`, `"`+c.currency+`"`, 1))
		if w := app.start(t, p.ID, "wechat", desktopUA); w.Code != http.StatusSeeOther {
			t.Fatalf("%s: start = %d", c.currency, w.Code)
		}
		if got := app.MustGet(t, p.ID); got.AmountCNY == "" {
			t.Fatalf("%s: the simulator gave no yuan figure; the test shows nothing", c.currency)
		}
		doc := app.page(t, p.ID)
		for _, id := range []string{"amount-cny", "cny-note"} {
			if got := testid(doc, id).Length() == 1; got != c.shown {
				t.Errorf("%s while paying: %s shown %v, want %v (%q)", c.currency, id, got, c.shown, testid(doc, id).Text())
			}
		}
		st := app.MustGet(t, p.ID)
		if err := app.Sim.Pay(st.LatipayReference); err != nil {
			t.Fatal(err)
		}
		app.WaitStatus(t, p.ID, payments.StatusPaid)
		doc = app.page(t, p.ID)
		for _, id := range []string{"receipt-cny", "receipt-rate"} {
			if got := testid(doc, id).Length() == 1; got != c.shown {
				t.Errorf("%s paid: %s shown %v, want %v (%q)", c.currency, id, got, c.shown, testid(doc, id).Text())
			}
		}
	}
}
