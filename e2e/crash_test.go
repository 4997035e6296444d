package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// Secrets of the live-mode (non-sandbox) harness. Each is a unique canary
// so TestCanarySecrets can look for it everywhere.
const (
	secLatipayKey = "CANARY-LATIPAY-7f3a9c1e5b2d4f60a8e7c3b1d9f2e4a6"
	secAPIKey     = "CANARY-APIKEY-3c9e1a7f5d2b4e6081f3a5c7e9b1d3f5"
	secSessionKey = "CANARY-SESSION-a1b2c3d4e5f60718293a4b5c6d7e8f90"
	secLinkSecret = "CANARY-LINK-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	secUserID     = "U000000042"
	secWallet     = "W000000042"
	secDesktopUA  = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)

// secSim is the Latipay simulator on its own loopback server, as a real
// Latipay would be: the app reaches it over HTTP and it posts callbacks
// to the app's public URL.
type secSim struct {
	*latipaysim.Simulator
	URL string
}

func secNewSim(t testing.TB, interval time.Duration) *secSim {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	u := "http://" + ts.Listener.Addr().String()
	sim, err := latipaysim.New(latipaysim.Options{BaseURL: u, CallbackInterval: interval,
		Merchants:      []latipaysim.Merchant{{UserID: secUserID, APIKey: secLatipayKey, Wallets: map[string]string{secWallet: "NZD"}}},
		CallbackClient: &http.Client{Timeout: 3 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = sim
	ts.Start()
	t.Cleanup(func() { sim.Close(); ts.Close() })
	return &secSim{Simulator: sim, URL: u}
}

// paymentOf maps a ledger entry to our payment id through the return URL
// we gave Latipay (/checkout/<id>/return).
func paymentOf(tx latipaysim.Transaction) string {
	u, err := url.Parse(tx.ReturnURL)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) == 3 && parts[0] == "checkout" {
		return parts[1]
	}
	return ""
}

// secProc runs the real binary in live mode against a simulator, on a
// fixed port and database so it can be killed and restarted (start).
type secProc struct {
	*proc
	URL    string
	client *http.Client
}

// secStart starts the binary against sim with its own database in dir.
func secStart(t testing.TB, sim *secSim, dir string, env ...string) *secProc {
	t.Helper()
	return secStartBin(t, mainBinary(t, ""), sim, dir, env...)
}

// secStartBin is secStart with another binary.
func secStartBin(t testing.TB, bin string, sim *secSim, dir string, env ...string) *secProc {
	t.Helper()
	addr := freeAddr(t)
	p := &secProc{URL: "http://" + addr, client: noRedirects()}
	p.proc = runMain(t, &proc{name: "hpp", bin: bin, ready: p.URL + "/healthz",
		env: append([]string{"PATH=/usr/bin:/bin", "HOME=" + dir, "HPP_ADDR=" + addr, "HPP_PUBLIC_URL=" + p.URL,
			"HPP_DATABASE=" + filepath.Join(dir, "hpp.db"), "HPP_API_KEY=" + secAPIKey, "HPP_SESSION_KEY=" + secSessionKey,
			"HPP_LINK_SECRET=" + secLinkSecret, "HPP_RECONCILE_INTERVAL=500ms", "HPP_LOG_LEVEL=debug",
			"LATIPAY_API_URL=" + sim.URL, "LATIPAY_API_KEY=" + secLatipayKey, "LATIPAY_USER_ID=" + secUserID,
			"LATIPAY_WALLET_NZD=" + secWallet}, env...)})
	return p
}

// createQR creates a payment with reference ref through the API and
// starts a WeChat QR attempt on it; it returns the payment and the
// attempt's merchant reference in sim's ledger.
func (p *secProc) createQR(t testing.TB, ctx context.Context, sim *secSim, ref string) (paymentstest.APIPayment, string) {
	t.Helper()
	sp, err := p.create(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if code, body, err := p.startQR(ctx, sp.ID); err != nil || code >= 400 {
		t.Fatalf("start: %d %v\n%s", code, err, body)
	}
	for _, tx := range sim.Ledger() {
		if paymentOf(tx) == sp.ID {
			return sp, tx.MerchantReference
		}
	}
	t.Fatalf("no Latipay transaction for payment %s", sp.ID)
	return sp, ""
}

// api calls the merchant API; body may be "".
func (p *secProc) api(ctx context.Context, method, path, body, idem string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, p.URL+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+secAPIKey)
	req.Header.Set("Content-Type", "application/json")
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// create makes a payment, retrying through restarts with one
// idempotency key.
func (p *secProc) create(ctx context.Context, ref string) (paymentstest.APIPayment, error) {
	body := fmt.Sprintf(`{"amount":"%d.%02d","currency":"NZD","reference":%q,"return_url":"https://shop.example/done"}`, 1+rand.IntN(90), rand.IntN(100), ref)
	for ctx.Err() == nil {
		code, b, err := p.api(ctx, http.MethodPost, "/api/v1/payments", body, "idem-"+ref)
		if err == nil && code == http.StatusCreated {
			var sp paymentstest.APIPayment
			return sp, json.Unmarshal(b, &sp)
		}
		if err == nil && code >= 400 && code < 500 && code != http.StatusTooManyRequests {
			return paymentstest.APIPayment{}, fmt.Errorf("create: %d %s", code, b)
		}
		time.Sleep(100 * time.Millisecond) // the app is restarting; retry
	}
	return paymentstest.APIPayment{}, ctx.Err()
}

// startQR asks for a WeChat QR as the shopper's browser does.
func (p *secProc) startQR(ctx context.Context, id string) (int, string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+"/checkout/"+id+"/start", strings.NewReader("method=wechat"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", secDesktopUA)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func (p *secProc) get(ctx context.Context, id string) (paymentstest.APIPayment, error) {
	code, b, err := p.api(ctx, http.MethodGet, "/api/v1/payments/"+id, "", "")
	if err != nil {
		return paymentstest.APIPayment{}, err
	}
	if code != http.StatusOK {
		return paymentstest.APIPayment{}, fmt.Errorf("GET payment: %d", code)
	}
	var sp paymentstest.APIPayment
	return sp, json.Unmarshal(b, &sp)
}

// history records every status and version seen per payment and fails
// on any step backwards: a lower version, or leaving paid.
type history struct {
	mu   sync.Mutex
	seen map[string][]paymentstest.APIPayment // guarded by mu
	errs []string                             // guarded by mu
}

func (h *history) add(sp paymentstest.APIPayment) {
	h.mu.Lock()
	defer h.mu.Unlock()
	prev := h.seen[sp.ID]
	if n := len(prev); n > 0 {
		last := prev[n-1]
		if sp.Version < last.Version || (last.Status == "paid" && sp.Status != "paid" && !strings.Contains(sp.Status, "refund")) {
			h.errs = append(h.errs, fmt.Sprintf("%s moved backwards: %s v%d -> %s v%d", sp.ID, last.Status, last.Version, sp.Status, sp.Version))
		}
		if last == sp {
			return
		}
	}
	h.seen[sp.ID] = append(prev, sp)
}

// TestCrashRestart is test 56 (bounded): payments, shopper starts and
// Latipay payments run while the binary is SIGKILLed at random moments
// and restarted on the same database and port. The simulator keeps
// retrying callbacks as Latipay does. At the end our set of paid payments
// equals the simulator's ledger, and no payment ever moved backwards.
func TestCrashRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("kill loop: skipped with -short")
	}
	dir := t.TempDir()
	sim := secNewSim(t, 300*time.Millisecond)
	app := secStart(t, sim, dir)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	hist := &history{seen: map[string][]paymentstest.APIPayment{}}
	var mu sync.Mutex
	var ids []string // guarded by mu
	var wg sync.WaitGroup

	// Load: create, start a QR, and now and then have the shopper pay or fail.
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			sp, err := app.create(ctx, fmt.Sprintf("CRASH-%04d", i))
			if err != nil {
				if ctx.Err() == nil {
					t.Error(err)
				}
				return
			}
			mu.Lock()
			ids = append(ids, sp.ID)
			mu.Unlock()
			_, _, _ = app.startQR(ctx, sp.ID) // may die mid-create: the reconciler owns the rest
			for _, tx := range sim.Ledger() {
				if tx.Status == "pending" && rand.IntN(3) > 0 {
					if rand.IntN(5) == 0 {
						_ = sim.Fail(tx.MerchantReference)
					} else {
						_ = sim.Pay(tx.MerchantReference)
					}
				}
			}
			time.Sleep(time.Duration(100+rand.IntN(100)) * time.Millisecond) // pacing the load, not synchronising
		}
	})
	// Observer: poll every known payment and record its history.
	wg.Go(func() {
		for ctx.Err() == nil {
			mu.Lock()
			list := append([]string(nil), ids...)
			mu.Unlock()
			for _, id := range list {
				if sp, err := app.get(ctx, id); err == nil {
					hist.add(sp)
				}
				time.Sleep(25 * time.Millisecond) // stays under the API's per-key limit
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	// Nemesis: five SIGKILLs at random moments, each followed by a restart.
	for range 5 {
		time.Sleep(time.Duration(1500+rand.IntN(1500)) * time.Millisecond) // random kill points
		app.kill(syscall.SIGKILL)
		app.start()
	}
	stop()
	wg.Wait()

	// Let everything settle: pay whatever is still pending, then wait for
	// callbacks (retried every 300 ms) and the reconciler to converge.
	for _, tx := range sim.Ledger() {
		if tx.Status == "pending" {
			_ = sim.Pay(tx.MerchantReference)
		}
	}
	mu.Lock()
	all := append([]string(nil), ids...)
	mu.Unlock()
	var ours, theirs map[string]bool
	deadline := time.Now().Add(60 * time.Second)
	for {
		theirs = map[string]bool{}
		for _, tx := range sim.Ledger() {
			if tx.Status == "paid" {
				theirs[paymentOf(tx)] = true
			}
		}
		ours = map[string]bool{}
		for _, id := range all {
			sp, err := app.get(context.Background(), id)
			if err != nil {
				continue
			}
			hist.add(sp)
			if sp.Status == "paid" {
				ours[id] = true
			}
			time.Sleep(20 * time.Millisecond) // stays under the API's per-key limit
		}
		if equalSets(ours, theirs) || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond) // polling for convergence with a deadline
	}
	if !equalSets(ours, theirs) {
		t.Errorf("paid sets differ after settling:\n only ours: %v\n only Latipay's: %v", minus(ours, theirs), minus(theirs, ours))
	}
	if len(theirs) == 0 {
		t.Errorf("no payment was paid: the load did not run")
	}
	hist.mu.Lock()
	for _, e := range hist.errs {
		t.Error(e)
	}
	hist.mu.Unlock()
	t.Logf("%d payments, %d paid, 5 SIGKILLs", len(all), len(theirs))
	if t.Failed() {
		t.Logf("app output (tail):\n%s", tail(app.output(), 4000))
	}
}

func equalSets(a, b map[string]bool) bool {
	return len(minus(a, b)) == 0 && len(minus(b, a)) == 0
}

func minus(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	return out
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
