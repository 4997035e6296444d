package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"regexp"
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

// TestCertificateExpiry: with the app serving TLS, the served
// certificate's expiry is exported in Unix seconds, read at each scrape
// (a renewal or reload shows at the next).
func TestCertificateExpiry(t *testing.T) {
	m := New(time.Now, nil)
	notAfter := time.Unix(1900000000, 0)
	m.Certificate(func() time.Time { return notAfter })
	for _, want := range []int64{1900000000, 1910000000} {
		notAfter = time.Unix(want, 0)
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if line := fmt.Sprintf("hpp_tls_certificate_not_after_seconds %g", float64(want)); !strings.Contains(rec.Body.String(), line+"\n") {
			t.Errorf("exposition lacks %q", line)
		}
	}
}

// noWriteFailure is a store whose writes all commit.
type noWriteFailure struct{}

func (noWriteFailure) LastWriteFailure() (payments.WriteFailure, bool) {
	return payments.WriteFailure{}, false
}

func (noWriteFailure) WriteFailureSeen() (payments.WriteFailure, bool) {
	return payments.WriteFailure{}, false
}

// TestAlertRulesUseExportedMetrics: every hpp_ metric the README's alert
// rules and table name is one this package exports (a rule on a name that
// does not exist never fires).
func TestAlertRulesUseExportedMetrics(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := New(time.Now, func() int { return 0 })
	m.Certificate(time.Now)
	m.WriteHealth(noWriteFailure{})
	m.payments.WithLabelValues("paid", "wechat", "NZD")
	m.latipay.WithLabelValues("start", "ok")
	m.latipayTime.WithLabelValues("start")
	m.deliveries.WithLabelValues("delivered")
	m.commitTime.WithLabelValues("create")
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range families {
		exported[f.GetName()] = true
	}
	rules := string(readme[strings.Index(string(readme), "```yaml"):])
	named := regexp.MustCompile(`\bhpp_[a-z_]+`).FindAllString(rules, -1)
	for _, want := range []string{"hpp_tls_certificate_not_after_seconds", "hpp_checkout_paid_total", "hpp_store_write_failing"} {
		if !strings.Contains(rules, want) {
			t.Errorf("no alert rule on %s", want)
		}
	}
	for _, name := range named {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")
		if !exported[name] && !exported[base] {
			t.Errorf("alert rules name %s, which is not exported", name)
		}
	}
}
