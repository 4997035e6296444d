package e2e

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
)

// TestMultiCounterStaticQR: on two instances sharing PostgreSQL, a
// counter paired and unlocked on A holds its counter socket (/counter/ws)
// on A and on B; a shopper pays at the shop's static QR on A and
// Latipay's signed callback lands on B alone; both sockets hear of the
// payment (the broker passes shop-wide changes on while a counter
// follows the whole shop).
func TestMultiCounterStaticQR(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "owner-password")
	if err := os.WriteFile(pwFile, []byte(multiCounterPassword), 0o600); err != nil {
		t.Fatal(err)
	}
	_, sim, a, b := multiPair(t, "HPP_ADMIN_EMAIL="+multiCounterOwner, "HPP_ADMIN_PASSWORD_FILE="+pwFile)

	till := newMultiBrowser(t)
	doc := till.post(a.URL+"/admin/signin", url.Values{"email": {multiCounterOwner}, "password": {multiCounterPassword}, "next": {"/admin/counter"}}, 200)
	owner, ok := doc.Find(`[data-testid="pin-row"] input[name="account"]`).Attr("value")
	if !ok {
		t.Fatal("the counter's back-office page lists nobody to give a PIN")
	}
	till.post(a.URL+"/admin/counter/pins", url.Values{"account": {owner}, "pin": {"2468"}}, 200)
	code := till.post(a.URL+"/admin/counter/pair", url.Values{"name": {"Front till"}}, 200).Find(`[data-testid="pairing-code"]`).Text()
	till.post(a.URL+"/counter/pair", url.Values{"code": {code}}, 200)
	till.post(a.URL+"/counter/unlock", url.Values{"account": {owner}, "pin": {"2468"}}, 200)
	linkURL := till.post(a.URL+"/admin/links", url.Values{"kind": {"static_qr"}, "currency": {"NZD"}, "min": {"1"}, "max": {"500"}}, 200).
		Find(`[data-testid="link-url"]`).Text()
	if linkURL == "" {
		t.Fatal("making the static QR showed no link")
	}
	var counters []*websocket.Conn
	for _, at := range []*multiApp{a, b} {
		counters = append(counters, till.dial(at, "/counter/ws"))
	}

	// The shopper types 12.50 at the static QR's page on A and chooses
	// WeChat Pay; the callback lands on B alone.
	shopper := newMultiBrowser(t)
	resp, err := shopper.client.PostForm(a.URL+strings.TrimPrefix(linkURL, a.URL), url.Values{"amount": {"12.50"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := regexp.MustCompile(`pay_[0-9a-z]{26}`).FindString(resp.Request.URL.Path)
	if id == "" {
		t.Fatalf("paying at the static QR ended at %s (%d)", resp.Request.URL, resp.StatusCode)
	}
	shopper.post(a.URL+"/checkout/"+id+"/start", url.Values{"method": {"wechat"}}, 200)
	ref := a.payment(t, id).LatipayReference
	sim.sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	if err := sim.sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	form := url.Values{
		"merchant_reference": {ref}, "payment_method": {"wechat"}, "status": {"paid"},
		"currency": {"NZD"}, "amount": {"12.50"}, "order_id": {"20260301000019"}, "pay_time": {"2026-03-01 09:00:00"},
		"signature": {latipay.SignResult(multiLatipayKey, ref, "wechat", "paid", "NZD", "12.50")},
	}
	start := time.Now()
	cb, err := http.PostForm(b.URL+"/latipay/callback", form)
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(cb.Body)
	cb.Body.Close()
	if string(reply) != "sent" {
		t.Fatalf("callback on B answered %d %q", cb.StatusCode, reply)
	}
	for i, ws := range counters {
		_ = ws.SetReadDeadline(time.Now().Add(multiBound))
		var m struct{ ID, Status, Amount, Notice string }
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatalf("counter socket on %s: %v", []string{"A", "B"}[i], err)
		}
		if m.ID != id || m.Status != "paid" || m.Amount != "12.50" || !strings.Contains(m.Notice, "固定收款码") {
			t.Errorf("counter socket on %s sent %+v", []string{"A", "B"}[i], m)
		}
		t.Logf("callback on B -> counter socket on %s: static-QR notice after %v", []string{"A", "B"}[i], time.Since(start))
	}
}
