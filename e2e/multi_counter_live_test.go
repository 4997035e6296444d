package e2e

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestMultiCounterStaticQR: on two instances sharing PostgreSQL, a
// counter paired and unlocked on A holds its counter socket (/counter/ws)
// on A and on B; a shopper pays at the shop's static QR on A and
// Latipay's signed callback lands on B alone; both sockets hear of the
// payment (the broker passes shop-wide changes on while a counter
// follows the whole shop).
func TestMultiCounterStaticQR(t *testing.T) {
	sim, a, b, till := multiCounterTill(t)
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
	start := multiPaidOnB(t, sim, b, ref, "20260301000019")
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
