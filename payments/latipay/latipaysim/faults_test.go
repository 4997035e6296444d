package latipaysim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestServerErrorFault(t *testing.T) {
	sim, srv := newTestSim(t, nil)
	sim.SetFaults(Faults{ServerError: true})
	b, _ := json.Marshal(createParams("f-500", "alipay", nil))
	resp, body := postRaw(t, srv, b)
	if resp.StatusCode != 500 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(body), "<html>") {
		t.Errorf("got HTTP %d %q %q, want 500 with HTML", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if _, ok := sim.Transaction("f-500"); ok {
		t.Error("ServerError create still recorded the transaction")
	}
	// Control endpoints are unaffected.
	if status, _ := getJSON(t, srv.Client(), srv.URL+"/faults"); status != 200 {
		t.Errorf("GET /faults under ServerError: HTTP %d", status)
	}
}

func TestMalformedJSONFault(t *testing.T) {
	sim, srv := newTestSim(t, nil)
	sim.SetFaults(Faults{MalformedJSON: true})
	b, _ := json.Marshal(createParams("f-trunc", "alipay", nil))
	resp, body := postRaw(t, srv, b)
	var v any
	if resp.StatusCode != 200 || json.Unmarshal(body, &v) == nil || !strings.HasPrefix(string(body), `{"code":0`) {
		t.Errorf("got HTTP %d %q, want 200 with truncated JSON", resp.StatusCode, body)
	}
	if _, ok := sim.Transaction("f-trunc"); !ok {
		t.Error("MalformedJSON create did not record the transaction")
	}
}

func TestDelayFault(t *testing.T) {
	sim, srv := newTestSim(t, nil)
	mustCreate(t, srv, "f-delay", "alipay", nil)
	sim.SetFaults(Faults{Delay: 3 * testTick})
	start := time.Now()
	if _, m := getJSON(t, srv.Client(), queryURL(srv.URL, "f-delay", testUser, testKey, false, false)); code(m) != "0" {
		t.Errorf("delayed query: %v", m)
	}
	if d := time.Since(start); d < 3*testTick {
		t.Errorf("answered after %v, want at least %v", d, 3*testTick)
	}
	sim.SetFaults(Faults{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), testTick)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", queryURL(srv.URL, "f-delay", testUser, testKey, false, false), nil)
	if _, err := srv.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
}

func TestWrongSignatureFault(t *testing.T) {
	rc := newReceiver(t, nil)
	sim, srv := newTestSim(t, nil)
	sim.SetFaults(Faults{WrongSignature: true})
	m := mustCreate(t, srv, "f-sig", "alipay", func(p map[string]string) {
		p["host_type"] = "1"
		p["callback_url"] = rc.srv.URL
	})
	if m["signature"] == hmacHex(testKey, m["nonce"].(string)+m["host_url"].(string)) {
		t.Error("create answer signed with the right key")
	}
	_, gw := getJSON(t, srv.Client(), m["host_url"].(string)+"/"+m["nonce"].(string))
	data := gw["data"].(map[string]any)
	params := map[string]string{}
	for k, v := range data {
		params[k] = toString(v)
	}
	if params["signature"] == signParams(testKey, params) {
		t.Error("gatewaydata signed with the right key")
	}
	resp := pressButton(t, srv, srv.URL+"/pay/"+m["nonce"].(string), "pay")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pay: HTTP %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	good := hmacHex(testKey, "f-sigalipaypaidNZD12.50")
	if loc.Query().Get("signature") == good {
		t.Error("redirect signed with the right key")
	}
	if f := rc.next(t); f.Get("signature") == good || f.Get("signature") == "" {
		t.Errorf("callback signature %q, want a wrong one", f.Get("signature"))
	}
	if _, q := getJSON(t, srv.Client(), queryURL(srv.URL, "f-sig", testUser, testKey, false, false)); q["signature"] == good {
		t.Error("query signed with the right key")
	}
}

func TestFaultsEndpoint(t *testing.T) {
	sim, srv := newTestSim(t, nil)
	want := Faults{Delay: 250 * time.Millisecond, DropCallbacks: true, RefundCode: 559}
	status, m := postJSON(t, srv.Client(), srv.URL+"/faults", json.RawMessage(`{"delay":"250ms","drop_callbacks":true,"refund_code":559}`))
	if status != 200 || m["delay"] != "250ms" {
		t.Errorf("POST /faults: HTTP %d %v", status, m)
	}
	if got := sim.Faults(); got != want {
		t.Errorf("Faults() = %+v, want %+v", got, want)
	}
	if _, m := getJSON(t, srv.Client(), srv.URL+"/faults"); m["drop_callbacks"] != true || toString(m["refund_code"]) != "559" {
		t.Errorf("GET /faults = %v", m)
	}
	for _, bad := range []string{`{"delay":"soon"}`, `{"delay":"-1s"}`, `[`} {
		if status, _ := postJSON(t, srv.Client(), srv.URL+"/faults", json.RawMessage(bad)); status != http.StatusBadRequest {
			t.Errorf("POST /faults %s: HTTP %d, want 400", bad, status)
		}
	}
}
