package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestServerEdges runs the built binary: HEAD /healthz is answered like
// GET (it was 405), request headers beyond 64 KiB get 431 (about 1 MB was
// accepted), and SIGTERM leaves a log line saying why the process stops
// (it ended silently).
func TestServerEdges(t *testing.T) {
	a := startApp(t, nil)
	req, _ := http.NewRequest(http.MethodHead, a.URL+"/healthz", nil)
	resp, err := a.client.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("HEAD /healthz = %v, %v, want 200", resp, err)
	}
	resp.Body.Close()

	req, _ = http.NewRequest(http.MethodGet, a.URL+"/healthz", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 100<<10))
	resp, err = a.client.Do(req)
	if err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("GET /healthz with 100 KiB of headers = %v, %v, want 431", resp, err)
	}
	resp.Body.Close()

	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(15 * time.Second):
		t.Fatal("app did not stop after SIGTERM")
	}
	if logs := a.Logs(); !strings.Contains(logs, `"msg":"stopping"`) || !strings.Contains(logs, "terminated") {
		t.Errorf("no stopping line naming the signal in the log:\n%s", logs)
	}
}

// TestSandboxLedgerSurvivesKill: the in-process simulator's ledger lives
// in the app's database, so after kill -9 and a restart on the same file
// a payment made before the crash can be refunded (Latipay's side still
// knows it), and the demo API key and signed links printed at the first
// start still work.
func TestSandboxLedgerSurvivesKill(t *testing.T) {
	a := startApp(t, nil)
	var p paymentstest.APIPayment
	a.api(t, "POST", "/api/v1/payments", `{"amount":"12.50","currency":"NZD","reference":"KILL-1",`+
		`"return_url":"`+a.URL+`/"}`, http.StatusCreated, &p)
	path := strings.TrimPrefix(p.CheckoutURL, a.URL)
	a.send(t, "POST", path+"/start", strings.NewReader("method=wechat"),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.URL}}, http.StatusSeeOther)
	ref, _ := byTestID(a.page(t, path), "simulate-paid").Closest("form").Find(`input[name="merchant_reference"]`).Attr("value")
	a.send(t, "POST", "/sandbox/latipay/simulate", strings.NewReader(url.Values{
		"merchant_reference": {ref}, "status": {"paid"}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, http.StatusOK)
	deadline := time.Now().Add(15 * time.Second)
	for {
		var got paymentstest.APIPayment
		a.api(t, "GET", "/api/v1/payments/"+p.ID, "", http.StatusOK, &got)
		if got.Status == "paid" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("payment not paid: %+v", got)
		}
		time.Sleep(50 * time.Millisecond) // polling the API for the callback, not synchronising
	}
	a.Kill()

	b := startApp(t, map[string]string{"HPP_DATABASE": a.DB})
	if b.APIKey != a.APIKey {
		t.Errorf("demo API key changed across a restart of the same database")
	}
	u, _ := url.Parse(a.DemoLink) // signed at the first start
	b.send(t, "GET", u.RequestURI(), nil, nil, http.StatusSeeOther)
	var r struct {
		Status string `json:"status"`
	}
	b.api(t, "POST", "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"5.00"}`, http.StatusCreated, &r)
	if r.Status != "succeeded" {
		t.Errorf("refund after restart = %+v, want succeeded", r)
	}
	var ledger []struct {
		MerchantReference string `json:"merchant_reference"`
		Status            string `json:"status"`
		Refunded          string `json:"refunded"`
	}
	resp := b.send(t, "GET", "/sandbox/latipay/ledger", nil, nil, http.StatusOK)
	if err := json.NewDecoder(resp.Body).Decode(&ledger); err != nil {
		t.Fatal(err)
	}
	if len(ledger) != 1 || ledger[0].MerchantReference != ref || ledger[0].Status != "paid" || ledger[0].Refunded != "5.00" {
		t.Errorf("ledger after restart and refund = %+v, want %s paid with 5.00 refunded", ledger, ref)
	}
}

// TestSIGHUPStopsGracefully: SIGHUP (a closed terminal, or an operator
// expecting a reload) stops the server as SIGTERM does, with a clean exit
// and the stopping line; it used to end the process at once (status 129),
// sockets and requests cut off. And `hpp healthcheck` asks the server at
// HPP_ADDR's host: on 127.0.0.2 it passes (it dialled 127.0.0.1 and
// failed while the server was healthy).
func TestSIGHUPStopsGracefully(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 on this machine: %v", err)
	}
	addr := probe.Addr().String()
	probe.Close()
	a := startAppAt(t, addr, "http://"+addr, nil, nil)
	code, out := tlsRunToExit(t, map[string]string{"HPP_ADDR": addr}, "healthcheck")
	if code != 0 {
		t.Errorf("hpp healthcheck with HPP_ADDR=%s: exit %d:\n%s", addr, code, out)
	}
	a.kill(syscall.SIGHUP)
	if done, code := a.Exited(); !done || code != 0 {
		t.Errorf("after SIGHUP: exited %v code %d, want a clean exit", done, code)
	}
	if logs := a.Logs(); !strings.Contains(logs, `"msg":"stopping"`) || !strings.Contains(logs, "hangup") {
		t.Errorf("no stopping line naming the hangup in the log:\n%s", tail(logs, 3000))
	}
}
