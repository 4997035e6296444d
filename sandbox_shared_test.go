package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// TestRunSandboxSharedSimulator: two sandbox instances on one PostgreSQL
// schema, as behind a load balancer, share one simulated Latipay. A
// payment started on B is paid by "Simulate paid" on A, and the payment
// is paid.
func TestRunSandboxSharedSimulator(t *testing.T) {
	env := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999",
		"HPP_DATABASE": pgtest.Schema(t), "HPP_LOG_LEVEL": "error", "HPP_SANDBOX_DEMO_OWNER": "off",
		"HPP_API_KEY": strings.Repeat("a", 32), "HPP_LINK_SECRET": strings.Repeat("l", 32),
		"HPP_SESSION_KEY": strings.Repeat("s", 32)}
	start := func() string {
		first, stop, errc := startRun(t, env)
		t.Cleanup(func() { stop(); <-errc })
		_, rest, _ := strings.Cut(first, "listening on ")
		addr, _, ok := strings.Cut(rest, ",")
		if !ok {
			t.Fatalf("first line = %q, want the listening address", first)
		}
		return "http://" + addr
	}
	a := start()
	b := start()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(req *http.Request, want int) []byte {
		t.Helper()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s = %d, want %d: %s", req.Method, req.URL, resp.StatusCode, want, body)
		}
		return body
	}
	payment := func(base, id string) (p struct {
		ID               string `json:"id"`
		Status           string `json:"status"`
		LatipayReference string `json:"latipay_reference"`
	}) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/payments/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+env["HPP_API_KEY"])
		if err := json.Unmarshal(do(req, http.StatusOK), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}

	body, _ := json.Marshal(map[string]any{"amount": "12.50", "currency": "NZD", "reference": "shared-sim-1",
		"description": "Green tea", "return_url": "https://shop.example/thanks"})
	req, _ := http.NewRequest(http.MethodPost, a+"/api/v1/payments", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+env["HPP_API_KEY"])
	req.Header.Set("Content-Type", "application/json")
	var created struct{ ID string }
	if err := json.Unmarshal(do(req, http.StatusCreated), &created); err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodPost, b+"/checkout/"+created.ID+"/start", strings.NewReader("method=wechat"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36")
	do(req, http.StatusSeeOther)
	ref := payment(a, created.ID).LatipayReference
	if ref == "" {
		t.Fatal("no Latipay reference after the start on B")
	}

	form := url.Values{"merchant_reference": {ref}, "status": {"paid"}}
	req, _ = http.NewRequest(http.MethodPost, a+"/sandbox/latipay/simulate", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	do(req, http.StatusOK)
	for p := payment(b, created.ID); p.Status != "paid"; p = payment(b, created.ID) {
		time.Sleep(20 * time.Millisecond) // the callback is on its way; the test's deadline bounds this
	}
}
