package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
)

// TestLatipayFailuresLogged: a Latipay answer the app cannot use (wrongly
// signed, not JSON) gives the shopper an error page and the process log
// one line at WARN or ERROR for the failed call, naming the endpoint, the
// payment and the kind of failure, and holding no key, signature or body:
// before, the log had only the request lines, even at debug.
func TestLatipayFailuresLogged(t *testing.T) {
	sim := secNewSim(t, 300*time.Millisecond)
	app := secStart(t, sim, t.TempDir()) // HPP_LOG_LEVEL=debug
	ctx := context.Background()
	hex := regexp.MustCompile(`[0-9a-fA-F]{32,}`)
	for name, tc := range map[string]struct {
		faults latipaysim.Faults
		kind   string
	}{
		"wrong signature": {latipaysim.Faults{WrongSignature: true}, "bad_signature"},
		"malformed json":  {latipaysim.Faults{MalformedJSON: true}, "answer_not_json"},
	} {
		t.Run(name, func(t *testing.T) {
			sp, err := app.create(ctx, "LOG-"+tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			sim.SetFaults(tc.faults)
			code, _, err := app.startQR(ctx, sp.ID)
			sim.SetFaults(latipaysim.Faults{})
			// The shopper is sent back to the checkout page with the error
			// (303), so a reload does not post the start again.
			if err != nil || code != http.StatusSeeOther {
				t.Fatalf("start under %s = %d %v, want 303 back to the checkout with the error", name, code, err)
			}
			var found string
			for line := range strings.SplitSeq(app.output(), "\n") {
				var l struct {
					Level, Msg, Endpoint, Kind string
					PaymentID                  string `json:"payment_id"`
				}
				if json.Unmarshal([]byte(line), &l) != nil || l.PaymentID != sp.ID || l.Endpoint != "create" {
					continue
				}
				if (l.Level != "WARN" && l.Level != "ERROR") || l.Kind != tc.kind || !strings.Contains(l.Msg, "latipay") {
					t.Errorf("the failed call's line = %s, want WARN or ERROR, kind %q", line, tc.kind)
				}
				found = line
			}
			if found == "" {
				t.Fatalf("no log line for the failed create of %s:\n%s", sp.ID, app.output())
			}
			for _, secret := range []string{secLatipayKey, secAPIKey, secSessionKey, "{"} {
				if strings.Contains(found[1:], secret) {
					t.Errorf("the log line holds %q: %s", secret, found)
				}
			}
			if hex.MatchString(found) {
				t.Errorf("the log line holds a signature-like hex string: %s", found)
			}
		})
	}
}
