package e2e

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// scrape reads the metrics listener and returns each sample line's value
// by its series name as printed (name{labels sorted}).
func scrape(t *testing.T, addr string) (map[string]float64, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape = %d: %s", resp.StatusCode, b)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape: bad sample %q", line)
		}
		out[line[:i]] = v
	}
	return out, string(b)
}

// TestMetricsMoveWithAPayment scrapes HPP_METRICS_ADDR before and after
// one payment goes created -> started -> paid through the checkout and the
// simulator's signed callback, and checks that the counters moved by
// exactly that payment, that the public port does not serve the metrics,
// and that no label carries the payment's id or Latipay reference.
func TestMetricsMoveWithAPayment(t *testing.T) {
	maddr := freeAddr(t)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer hook.Close()
	a := startApp(t, map[string]string{"HPP_METRICS_ADDR": maddr, "HPP_WEBHOOK_URL": hook.URL + "/hook",
		"HPP_WEBHOOK_SECRET": strings.Repeat("w", 32)})

	before, _ := scrape(t, maddr)
	var p paymentstest.APIPayment
	a.api(t, "POST", "/api/v1/payments", `{"amount":"12.50","currency":"NZD","reference":"METRICS-1",`+
		`"description":"Flat white","return_url":"`+a.URL+`/"}`, http.StatusCreated, &p)
	path := strings.TrimPrefix(p.CheckoutURL, a.URL)
	a.send(t, "POST", path+"/start", strings.NewReader("method=wechat"),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.URL}}, http.StatusSeeOther)
	doc := a.page(t, path)
	ref, _ := byTestID(doc, "simulate-paid").Closest("form").Find(`input[name="merchant_reference"]`).Attr("value")
	if ref == "" {
		t.Fatal("no merchant_reference in the sandbox's simulate form")
	}
	a.send(t, "POST", "/sandbox/latipay/simulate", strings.NewReader(url.Values{
		"merchant_reference": {ref}, "status": {"paid"}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, http.StatusOK)
	// The simulator's callback arrives on its own: wait for its effect (a
	// hang guard, not a timing assertion).
	var got paymentstest.APIPayment
	for end := time.Now().Add(15 * time.Second); got.Status != "paid"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("payment status = %q, want paid", got.Status)
		}
		a.api(t, "GET", "/api/v1/payments/"+p.ID, "", http.StatusOK, &got)
	}

	// The callback is counted once its answer is written, just after the
	// commit the API showed, and the webhook worker sends the paid event
	// on its own: scrape until both are counted (a hang guard).
	after, body := scrape(t, maddr)
	moved := func(series string) bool { return after[series] > before[series] }
	for end := time.Now().Add(15 * time.Second); !(moved(`hpp_callbacks_total{outcome="accepted"}`) && moved(`hpp_webhook_deliveries_total{state="delivered"}`)) && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond)
		after, body = scrape(t, maddr)
	}
	delta := func(series string) float64 { return after[series] - before[series] }
	for series, want := range map[string]float64{
		`hpp_payments_total{currency="NZD",event="created",method="none"}`:   1,
		`hpp_payments_total{currency="NZD",event="started",method="wechat"}`: 1,
		`hpp_payments_total{currency="NZD",event="paid",method="wechat"}`:    1,
		`hpp_latipay_requests_total{endpoint="start",outcome="ok"}`:          1,
		`hpp_callbacks_total{outcome="accepted"}`:                            1,
		`hpp_checkout_paid_total{via="callback"}`:                            1,
		`hpp_checkout_paid_total{via="query"}`:                               0,
		`hpp_callback_duration_seconds_count`:                                1,
	} {
		if d := delta(series); d != want {
			t.Errorf("%s moved by %v, want %v", series, d, want)
		}
	}
	if d := delta(`hpp_webhook_deliveries_total{state="delivered"}`); d < 1 {
		t.Errorf("webhook deliveries moved by %v, want at least 1 (the paid event)", d)
	}
	if d := delta(`hpp_store_commit_duration_seconds_count{op="update"}`); d < 2 {
		t.Errorf("store update commits moved by %v, want at least 2 (start, paid)", d)
	}
	for _, series := range []string{"go_goroutines", "hpp_open_sockets", "hpp_reconciler_lag_seconds", "hpp_webhook_backlog", "process_resident_memory_bytes"} {
		if _, ok := after[series]; !ok {
			t.Errorf("no %s in the scrape", series)
		}
	}
	for _, secret := range []string{p.ID, ref, a.APIKey, "METRICS-1"} {
		if strings.Contains(body, secret) {
			t.Errorf("the scrape carries %q", secret)
		}
	}
	a.send(t, "GET", "/metrics", nil, nil, http.StatusNotFound)
}
