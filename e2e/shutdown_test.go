package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStopDuringSlowLatipayCall: SIGTERM while a checkout start waits on a
// slow Latipay (the simulator delays each API call 7 s) ends gracefully
// within the stop budget: the start is cut short and the shopper gets the
// checkout page's "try again" (not an empty reply), a WARN line says what
// happened, and the process exits 0 after logging "stopped", with no
// "context deadline exceeded" (the budget's own deadline was not hit).
func TestStopDuringSlowLatipayCall(t *testing.T) {
	app := browserStartApp(t, "HPP_LOG_LEVEL=info")
	p := app.createPayment(t, nil)
	app.faults(t, `{"delay":"7s"}`)
	type answer struct {
		status   int
		location string
		err      error
	}
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, p.CheckoutURL+"/start", strings.NewReader(url.Values{"method": {"wechat"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", app.URL)
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
		resp, err := noRedirects().Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		resp.Body.Close()
		answered <- answer{status: resp.StatusCode, location: resp.Header.Get("Location")}
	}()
	time.Sleep(time.Second) // the start is waiting on the simulator's delay (an ordering, not an assertion)
	app.kill(syscall.SIGTERM)
	a := <-answered
	if a.err != nil || a.status != http.StatusSeeOther || !strings.Contains(a.location, "error=error.unavailable") {
		t.Errorf("the shopper's start during the stop = %d %q, %v; want 303 to the checkout page saying to try again", a.status, a.location, a.err)
	}
	logs := app.Logs()
	if done, status := app.Exited(); !done || status != 0 {
		t.Errorf("exit status %d (ended %v), want 0:\n%s", status, done, logs)
	}
	for _, want := range []string{"checkout start cut short: the server is stopping", `"msg":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "context deadline exceeded") {
		t.Errorf("the stop ran out of its budget:\n%s", logs)
	}
}
