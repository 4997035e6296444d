package latipaysim

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestMountedUnderPrefix runs the flow with the simulator mounted at
// /sandbox/latipay, both with and without http.StripPrefix.
func TestMountedUnderPrefix(t *testing.T) {
	for _, strip := range []bool{false, true} {
		t.Run(map[bool]string{false: "full path", true: "StripPrefix"}[strip], func(t *testing.T) {
			srv := httptest.NewUnstartedServer(nil)
			base := "http://" + srv.Listener.Addr().String() + "/sandbox/latipay"
			sim, err := New(Options{BaseURL: base + "/", Merchants: []Merchant{
				{UserID: testUser, APIKey: testKey, Wallets: map[string]string{testNZD: "NZD"}},
			}})
			if err != nil {
				t.Fatal(err)
			}
			var h http.Handler = sim
			if strip {
				h = http.StripPrefix("/sandbox/latipay", sim)
			}
			mux := http.NewServeMux()
			mux.Handle("/sandbox/latipay/", h)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "app", http.StatusTeapot) })
			srv.Config.Handler = mux
			srv.Start()
			t.Cleanup(func() { sim.Close(); srv.Close() })

			ref := "pre/1"
			_, m := postJSON(t, srv.Client(), base+"/v2/transaction", createParams(ref, "alipay", nil))
			if code(m) != "0" || m["host_url"] != base+"/pay" {
				t.Fatalf("create: %v", m)
			}
			nonce := m["nonce"].(string)
			status, _, body := getPage(t, srv.Client(), base+"/pay/"+nonce)
			if status != 200 || !strings.Contains(body, `action="/sandbox/latipay/pay/`+nonce+`"`) {
				t.Fatalf("page: HTTP %d, form action missing the prefix", status)
			}
			if _, q := getJSON(t, srv.Client(), queryURL(base, ref, testUser, testKey, false, false)); toString(q["status"]) != "pending" {
				t.Errorf("query of an escaped reference: %v", q)
			}
			c := noRedirect(srv)
			resp, err := c.PostForm(base+"/simulate", url.Values{"merchant_reference": {ref}, "status": {"paid"},
				"redirect": {"/checkout/1?x=y"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/checkout/1?x=y" {
				t.Errorf("simulate: HTTP %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if tx, _ := sim.Transaction(ref); tx.Status != "paid" {
				t.Errorf("status = %s, want paid", tx.Status)
			}
			// Paths outside the prefix never reach the simulator.
			if resp, _ := srv.Client().Get(base[:strings.LastIndex(base, "/sandbox")] + "/ledger"); resp.StatusCode != http.StatusTeapot {
				t.Errorf("GET /ledger outside the prefix: HTTP %d", resp.StatusCode)
			}
		})
	}
}
