package latipaysim

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSimulateEndpoint(t *testing.T) {
	sim, srv := newTestSim(t, nil)
	mustCreate(t, srv, "s-1", "alipay", nil)
	mustCreate(t, srv, "s-2", "alipay", nil)
	c := noRedirect(srv)
	post := func(v url.Values) *http.Response {
		t.Helper()
		resp, err := c.PostForm(srv.URL+"/simulate", v)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	tests := []struct {
		name     string
		form     url.Values
		status   int
		location string
	}{
		{"unknown", url.Values{"merchant_reference": {"nope"}, "status": {"paid"}}, 404, ""},
		{"bad status", url.Values{"merchant_reference": {"s-1"}, "status": {"refunded"}}, 400, ""},
		{"paid", url.Values{"merchant_reference": {"s-1"}, "status": {"paid"}}, 200, ""},
		{"again", url.Values{"merchant_reference": {"s-1"}, "status": {"failed"}}, 409, ""},
		{"again with redirect", url.Values{"merchant_reference": {"s-1"}, "status": {"failed"}, "redirect": {"/back"}}, 303, "/back"},
		{"protocol-relative redirect ignored", url.Values{"merchant_reference": {"s-2"}, "status": {"failed"}, "redirect": {"//evil.example"}}, 200, ""},
	}
	for _, tt := range tests {
		resp := post(tt.form)
		if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.location {
			t.Errorf("%s: HTTP %d Location %q, want %d %q", tt.name, resp.StatusCode, resp.Header.Get("Location"), tt.status, tt.location)
		}
	}
	if tx, _ := sim.Transaction("s-2"); tx.Status != "failed" {
		t.Errorf("s-2 status %s, want failed", tx.Status)
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]bool{
		"/": true, "/pay/1?x=y": true, "": false, "//evil.example": false, `/\evil.example`: false,
		"https://evil.example": false, "evil": false, "/\t/evil.example": false, "/a\nb": false,
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestControlsAndLedger(t *testing.T) {
	sim, srv := newTestSim(t, nil)
	for _, ref := range []string{"l-1", "l-2", "l-3"} {
		mustCreate(t, srv, ref, "alipay", nil)
	}
	if err := sim.Pay("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Pay(unknown) = %v, want ErrNotFound", err)
	}
	if err := sim.Simulate("l-1", "pending"); !errors.Is(err, ErrBadStatus) {
		t.Errorf("Simulate(pending) = %v, want ErrBadStatus", err)
	}
	if err := sim.Fail("l-2"); err != nil {
		t.Fatal(err)
	}
	if err := sim.Pay("l-2"); !errors.Is(err, ErrNotPending) {
		t.Errorf("Pay(failed) = %v, want ErrNotPending", err)
	}
	resp, err := srv.Client().Get(srv.URL + "/ledger")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got []Transaction
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := sim.Ledger()
	if len(got) != 3 || len(want) != 3 {
		t.Fatalf("ledger lengths %d and %d, want 3", len(got), len(want))
	}
	for i, ref := range []string{"l-1", "l-2", "l-3"} {
		if got[i].MerchantReference != ref || want[i].MerchantReference != ref {
			t.Errorf("ledger[%d] = %s / %s, want %s", i, got[i].MerchantReference, want[i].MerchantReference, ref)
		}
		if !got[i].CreatedAt.Equal(want[i].CreatedAt) || got[i].Status != want[i].Status {
			t.Errorf("GET /ledger[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got[1].Status != "failed" || !got[1].PaidAt.IsZero() {
		t.Errorf("failed entry = %+v", got[1])
	}
}

func TestNewValidates(t *testing.T) {
	ok := Merchant{UserID: "U1", APIKey: "k", Wallets: map[string]string{"W1": "NZD"}}
	tests := map[string]Options{
		"no base":         {Merchants: []Merchant{ok}},
		"relative base":   {BaseURL: "/sandbox", Merchants: []Merchant{ok}},
		"base with query": {BaseURL: "http://x/?a=b", Merchants: []Merchant{ok}},
		"no merchants":    {BaseURL: "http://x"},
		"no key":          {BaseURL: "http://x", Merchants: []Merchant{{UserID: "U1", Wallets: ok.Wallets}}},
		"no wallet":       {BaseURL: "http://x", Merchants: []Merchant{{UserID: "U1", APIKey: "k"}}},
		"bad currency":    {BaseURL: "http://x", Merchants: []Merchant{{UserID: "U1", APIKey: "k", Wallets: map[string]string{"W": "USD"}}}},
		"duplicate user":  {BaseURL: "http://x", Merchants: []Merchant{ok, ok}},
		"bad rate":        {BaseURL: "http://x", Merchants: []Merchant{ok}, CNYRate: "4,5"},
		"negative tick":   {BaseURL: "http://x", Merchants: []Merchant{ok}, CallbackInterval: -1},
	}
	for name, o := range tests {
		if s, err := New(o); err == nil {
			s.Close()
			t.Errorf("%s: New succeeded, want error", name)
		}
	}
	s, err := New(Options{BaseURL: "http://x", Merchants: []Merchant{ok}})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestSimulateEndpointJSON: /simulate reads its fields from a JSON object
// as from a form, refuses a body that is not one (400, saying the shape),
// and answers a body of another media type 415 naming the two it takes,
// rather than blaming a status it never read.
func TestSimulateEndpointJSON(t *testing.T) {
	sim, srv := newTestSim(t, nil)
	mustCreate(t, srv, "j-1", "alipay", nil)
	mustCreate(t, srv, "j-2", "alipay", nil)
	c := noRedirect(srv)
	post := func(ct, body string) (int, controlResult, string) {
		t.Helper()
		resp, err := c.Post(srv.URL+"/simulate", ct, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out controlResult
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out, resp.Header.Get("Location")
	}
	if code, out, _ := post("application/json", `{"merchant_reference":"j-1","status":"paid"}`); code != 200 || out.Message != "SUCCESS" {
		t.Errorf("JSON paid = %d %+v, want 200 SUCCESS", code, out)
	}
	if tx, _ := sim.Transaction("j-1"); tx.Status != "paid" {
		t.Errorf("j-1 status %s, want paid", tx.Status)
	}
	if code, _, loc := post("application/json; charset=utf-8", `{"merchant_reference":"j-2","status":"failed","redirect":"/back"}`); code != 303 || loc != "/back" {
		t.Errorf("JSON failed with redirect = %d %q, want 303 /back", code, loc)
	}
	if code, out, _ := post("application/json", `{"merchant_reference":"j-1","status":"paid"}`); code != 409 {
		t.Errorf("JSON again = %d %+v, want 409", code, out)
	}
	for _, body := range []string{`[]`, `{"merchant_reference":"j-1","status":1}`, `{"ref":"j-1"}`, `not json`} {
		if code, out, _ := post("application/json", body); code != 400 || !strings.Contains(out.Message, "JSON object") {
			t.Errorf("JSON %s = %d %+v, want 400 saying the shape", body, code, out)
		}
	}
	if code, out, _ := post("text/plain", "merchant_reference=j-1&status=paid"); code != 415 ||
		!strings.Contains(out.Message, "application/x-www-form-urlencoded") || !strings.Contains(out.Message, "application/json") {
		t.Errorf("text/plain = %d %+v, want 415 naming both encodings", code, out)
	}
}
