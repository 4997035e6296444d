package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// fakeGateway answers Start and fails Query; the rest is unused.
type fakeGateway struct{ payments.Gateway }

func (fakeGateway) Start(context.Context, payments.StartRequest) (payments.StartResult, error) {
	return payments.StartResult{OrderID: "ORDER-SECRET-1"}, nil
}

func (fakeGateway) Barcode(context.Context, payments.BarcodeRequest) (string, error) {
	return "ORDER-SECRET-3", nil
}

func (fakeGateway) Query(context.Context, string) (payments.GatewayResult, error) {
	return payments.GatewayResult{}, errors.New("down")
}

// TestLabelsStayBounded: values outside the known sets become "other",
// and no reference, order id or free text reaches the exposition.
func TestLabelsStayBounded(t *testing.T) {
	m := New(time.Now, func() int { return 3 })
	gw := m.Gateway(fakeGateway{})
	if _, err := gw.Start(t.Context(), payments.StartRequest{Reference: "REF-SECRET-1", Method: "bitcoin", Currency: "ZZZ<script>"}); err != nil {
		t.Fatal(err)
	}
	_, _ = gw.Query(t.Context(), "REF-SECRET-2")
	if _, err := gw.Barcode(t.Context(), payments.BarcodeRequest{Reference: "REF-SECRET-3", Method: payments.MethodAlipay,
		Currency: payments.NZD, PayCode: "2812345678901234567"}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`hpp_payments_total{currency="other",event="started",method="other"} 1`,
		`hpp_latipay_requests_total{endpoint="start",outcome="ok"} 1`,
		`hpp_latipay_requests_total{endpoint="query",outcome="error"} 1`,
		`hpp_latipay_requests_total{endpoint="barcode",outcome="ok"} 1`,
		`hpp_payments_total{currency="NZD",event="started",method="alipay"} 1`,
		`hpp_open_sockets 3`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
	for _, leak := range []string{"SECRET", "bitcoin", "ZZZ", "2812345678901234567"} {
		if strings.Contains(string(body), leak) {
			t.Errorf("exposition carries %q", leak)
		}
	}
}

// TestListenRefusesThePublicAddress: the metrics never share the public
// listener, whichever way the address is written.
func TestListenRefusesThePublicAddress(t *testing.T) {
	for _, tc := range [][2]string{{":8080", "127.0.0.1:8080"}, {"127.0.0.1:8080", ":8080"}, {"0.0.0.0:8080", "[::1]:8080"}, {"127.0.0.1:8080", "127.0.0.1:8080"}} {
		if _, err := Listen(tc[0], tc[1]); err == nil || !strings.Contains(err.Error(), "HPP_METRICS_ADDR") {
			t.Errorf("Listen(%s) with the public %s = %v, want a refusal naming HPP_METRICS_ADDR", tc[0], tc[1], err)
		}
	}
	ln, err := Listen("127.0.0.1:0", "127.0.0.1:8080")
	if err != nil {
		t.Fatalf("Listen on a port of its own: %v", err)
	}
	ln.Close()
}
