package e2e

import (
	"math"
	"net/http"
	"testing"
	"time"
)

// TestMultiSharedRateLimit is issue 5's "rate limits work across
// instances": the status polls of one payment, alternating between A and
// B, draw from one budget in PostgreSQL. With per-instance buckets each
// instance would admit its own burst, twice the shared one.
func TestMultiSharedRateLimit(t *testing.T) {
	_, _, a, b := multiPair(t)
	p := a.pay(t)
	// ratelimit.Defaults: status polls 2 per second per payment, bursts of 10.
	const burst, perSecond, requests = 10, 2, 30
	admitted, first := 0, 0
	refusedBy := map[string]int{}
	start := time.Now()
	for i := range requests {
		app := []*multiApp{a, b}[i%2]
		resp, err := app.client.Get(app.URL + "/checkout/" + p.ID + "/status")
		if err != nil {
			t.Fatalf("%s: status: %v", app.name, err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			admitted++
		case http.StatusTooManyRequests:
			if first == 0 {
				first = i + 1
			}
			refusedBy[app.name]++
			if resp.Header.Get("Retry-After") == "" {
				t.Errorf("%s: 429 without Retry-After", app.name)
			}
		default:
			t.Fatalf("%s: status poll %d = %d, want 200 or 429", app.name, i+1, resp.StatusCode)
		}
	}
	elapsed := time.Since(start)
	// At most the burst plus what refilled while the requests ran.
	most := burst + int(math.Ceil(elapsed.Seconds()*perSecond))
	t.Logf("%d status polls alternating A/B in %v: %d admitted, first 429 at poll %d, 429s by instance %v",
		requests, elapsed, admitted, first, refusedBy)
	if admitted < burst || admitted > most {
		t.Errorf("admitted %d of %d polls over two instances, want between %d (the burst) and %d (the shared budget; "+
			"per-instance buckets would admit about %d)", admitted, requests, burst, most, 2*burst)
	}
	if first == 0 || first > most+1 {
		t.Errorf("first 429 at poll %d, want by poll %d", first, most+1)
	}
}
