package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
)

// recorder keeps every response (status line, headers, body) the tests
// receive from the app.
type recorder struct {
	mu  sync.Mutex
	buf bytes.Buffer // guarded by mu
	rt  http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf.WriteString(resp.Status + "\n")
	_ = resp.Header.Write(&r.buf)
	r.buf.Write(body)
	r.buf.WriteString("\n")
	return resp, nil
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// TestCanarySecrets is test 101 (and 102 end to end): the binary runs
// with canary secrets through success and error paths (bad signatures,
// wrong API key, bad link, Latipay 5xx, truncated and wrongly signed
// answers, a callback storm, a SIGKILL and a graceful stop). No canary,
// nor its hex or base64 form, appears in stdout/stderr, any response,
// or the SQLite files.
func TestCanarySecrets(t *testing.T) {
	dir := t.TempDir()
	sim := secNewSim(t, 200*time.Millisecond)
	app := secStart(t, sim, dir)
	rec := &recorder{rt: http.DefaultTransport}
	app.client.Transport = rec
	ctx := context.Background()

	// Success path.
	sp, err := app.create(ctx, "CANARY-ORDER-1")
	if err != nil {
		t.Fatal(err)
	}
	if code, body, err := app.startQR(ctx, sp.ID); err != nil || code != http.StatusSeeOther {
		t.Fatalf("start = %d %v %.200s", code, err, body)
	}
	app.page(t, "/checkout/"+sp.ID)
	ref := refOf(sim, sp.ID)
	if err := sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	secWait(t, 10*time.Second, "paid", func() bool { p, err := app.get(ctx, sp.ID); return err == nil && p.Status == "paid" })
	app.page(t, "/checkout/"+sp.ID+"/return")
	app.page(t, "/checkout/"+sp.ID+"/status")

	// Error paths.
	post := func(path, ct, body string, hdr map[string]string) {
		req, _ := http.NewRequest(http.MethodPost, app.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if resp, err := app.client.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	forged := url.Values{"merchant_reference": {ref}, "payment_method": {"wechat"}, "status": {"paid"}, "currency": {"NZD"},
		"amount": {"1.00"}, "signature": {latipay.SignResult("not-the-key", ref, "wechat", "paid", "NZD", "1.00")}}
	for range 15 { // past the bad-callback limit too
		post("/latipay/callback", "application/x-www-form-urlencoded", forged.Encode(), nil)
	}
	post("/latipay/callback", "application/json", "{}", nil)
	post("/api/v1/payments", "application/json", `{"amount":1}`, map[string]string{"Authorization": "Bearer wrong"})
	post("/api/v1/payments", "application/json", `{"amount":1}`, map[string]string{"Authorization": "Bearer " + secAPIKey})
	app.page(t, "/pay?amount=1.00&currency=NZD&reference=x&sig=00")
	app.page(t, "/no/such/page")
	for _, f := range []latipaysim.Faults{{ServerError: true}, {MalformedJSON: true}, {WrongSignature: true}} {
		sim.SetFaults(f)
		p2, err := app.create(ctx, "CANARY-FAULT-"+time.Now().Format("150405.000000"))
		if err != nil {
			t.Fatal(err)
		}
		_, _, _ = app.startQR(ctx, p2.ID)
		app.page(t, "/checkout/"+p2.ID+"/return")
	}
	sim.SetFaults(latipaysim.Faults{})

	// Crash output and a restart, then a graceful stop so the WAL is
	// checkpointed into the file we read.
	app.kill(syscall.SIGKILL)
	app.start()
	app.page(t, "/checkout/"+sp.ID)
	app.kill(syscall.SIGTERM)

	var sources []struct{ name, text string }
	sources = append(sources, struct{ name, text string }{"stdout/stderr", app.output()}, struct{ name, text string }{"responses", rec.String()})
	files, _ := filepath.Glob(filepath.Join(dir, "hpp.db*"))
	if len(files) == 0 {
		t.Fatal("no database files to sweep")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, struct{ name, text string }{filepath.Base(f), string(b)})
	}
	for _, secret := range []string{secLatipayKey, secAPIKey, secSessionKey, secLinkSecret} {
		forms := []string{secret, hex.EncodeToString([]byte(secret)), base64.StdEncoding.EncodeToString([]byte(secret)),
			base64.RawURLEncoding.EncodeToString([]byte(secret)), url.QueryEscape(secret)}
		for _, src := range sources {
			for _, f := range forms {
				if strings.Contains(src.text, f) {
					t.Errorf("a canary secret (%.14s…) appears in %s", secret, src.name)
				}
			}
		}
	}
	if !strings.Contains(app.output(), "bad signature") || len(rec.String()) < 1000 {
		t.Errorf("the sweep saw too little: logs or responses missing")
	}
}
