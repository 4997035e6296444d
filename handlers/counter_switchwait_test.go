package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/views"
)

// TestCounterSwitchUnconfirmedSaysCashierWords: a cashier switches a
// sale's wallet while Latipay does not answer about the earlier QR, so no
// new one is made (previous_attempt_unconfirmed). The till says so in the
// cashier's words, in the three languages: not the shopper's checkout
// message ("your earlier payment", "this page will update").
func TestCounterSwitchUnconfirmedSaysCashierWords(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	for _, lang := range views.Languages() {
		l := a.localizer(t, lang)
		key := "switchwait-key-00000000-" + lang
		if w := a.charge(t, dev, key, "12.00", "wechat"); w.Code != http.StatusOK {
			t.Fatalf("%s: charge = %d %s", lang, w.Code, w.Body)
		}
		a.Sim.SetFaults(latipaysim.Faults{ServerError: true})
		body, h := form(map[string][]string{"key": {key}, "amount": {"12.00"}, "method": {"alipay"}, "note": {"2 flat whites"}})
		w := a.do(t, http.MethodPost, handlers.CounterChargePath+"?lang="+lang, body, withCookie(dev, h))
		a.Sim.SetFaults(latipaysim.Faults{})
		e := mustJSON[counterErrJSON](t, w)
		if w.Code != http.StatusServiceUnavailable || e.Error.Code != "previous_attempt_unconfirmed" {
			t.Fatalf("%s: switch while Latipay does not answer = %d %+v, want 503 previous_attempt_unconfirmed", lang, w.Code, e)
		}
		if want := l.T("counter.error.switchwait"); e.Error.Message != want {
			t.Errorf("%s: the till says %q, want the cashier's words %q", lang, e.Error.Message, want)
		}
		if shopper := l.T("error.switchwait"); e.Error.Message == shopper || strings.Contains(e.Error.Message, shopper) {
			t.Errorf("%s: the till says the shopper's words %q", lang, shopper)
		}
	}
}
