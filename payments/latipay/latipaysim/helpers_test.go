package latipaysim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testUser    = "U000000001"
	testKey     = "test-api-key-1"
	testNZD     = "W00000001"
	testCNY     = "W00000002"
	otherUser   = "U000000002"
	otherKey    = "other-key-2"
	otherWallet = "W00000009"
	testTick    = 20 * time.Millisecond
)

// testClock starts at a fixed instant and advances one second per call.
type testClock struct{ n atomic.Int64 }

func (c *testClock) Now() time.Time {
	return time.Date(2026, 3, 1, 1, 2, 3, 0, time.UTC).Add(time.Duration(c.n.Add(1)) * time.Second)
}

// newTestSim starts a simulator on an httptest server. opts may adjust the
// options before New.
func newTestSim(t testing.TB, opts func(*Options)) (*Simulator, *httptest.Server) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	o := Options{
		BaseURL: "http://" + srv.Listener.Addr().String(),
		Merchants: []Merchant{
			{UserID: testUser, APIKey: testKey, Wallets: map[string]string{testNZD: "NZD", testCNY: "CNY"}},
			{UserID: otherUser, APIKey: otherKey, Wallets: map[string]string{otherWallet: "AUD"}, Methods: []string{"Alipay"}},
		},
		CallbackInterval: testTick,
		Now:              (&testClock{}).Now,
		Rand:             rand.NewChaCha8([32]byte{1, 2, 3}),
		CNYRate:          "4.64490",
	}
	if opts != nil {
		opts(&o)
	}
	sim, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.Config.Handler = sim
	srv.Start()
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	return sim, srv
}

// hmacHex is the test's own HMAC-SHA256 hex.
func hmacHex(key, msg string) string {
	h := hmac.New(sha256.New, []byte(key))
	io.WriteString(h, msg)
	return hex.EncodeToString(h.Sum(nil))
}

// signParams signs p by hand per the sorted-parameters rule: sorted non-empty k=v joined by &, plus key.
func signParams(key string, p map[string]string) string {
	var parts []string
	for k, v := range p {
		if k != "signature" && v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	sort.Strings(parts)
	return hmacHex(key, strings.Join(parts, "&")+key)
}

// createParams returns a signed create request for ref.
func createParams(ref, method string, edit func(map[string]string)) map[string]string {
	p := map[string]string{
		"user_id": testUser, "wallet_id": testNZD, "amount": "12.50", "payment_method": method,
		"merchant_reference": ref, "return_url": "https://shop.example/return?key=abc",
		"callback_url": "https://shop.example/callback", "ip": "127.0.0.1", "version": "2.0",
		"product_name": "Pinot Noir, Otago & more",
	}
	if edit != nil {
		edit(p)
	}
	if _, ok := p["signature"]; !ok {
		key := testKey
		if p["user_id"] == otherUser {
			key = otherKey
		}
		p["signature"] = signParams(key, p)
	}
	return p
}

// postJSON posts v as JSON and decodes the JSON answer into a map.
func postJSON(t testing.TB, c *http.Client, u string, v any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(v)
	resp, err := c.Post(u, "application/json;charset=UTF-8", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	return decodeResp(t, resp)
}

// postRaw posts body to the create endpoint and returns the answer as it
// came, for the faults that break its JSON.
func postRaw(t testing.TB, srv *httptest.Server, body []byte) (*http.Response, []byte) {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+"/v2/transaction", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// getJSON GETs u and decodes the JSON answer.
func getJSON(t testing.TB, c *http.Client, u string) (int, map[string]any) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return decodeResp(t, resp)
}

func decodeResp(t testing.TB, resp *http.Response) (int, map[string]any) {
	t.Helper()
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s answer (HTTP %d): %v", resp.Request.URL.Path, resp.StatusCode, err)
	}
	return resp.StatusCode, m
}

// code returns the Latipay code of a decoded answer.
func code(m map[string]any) string {
	n, _ := m["code"].(json.Number)
	return string(n)
}

// mustCreate creates a transaction and returns the create answer.
func mustCreate(t testing.TB, srv *httptest.Server, ref, method string, edit func(map[string]string)) map[string]any {
	t.Helper()
	_, m := postJSON(t, srv.Client(), srv.URL+"/v2/transaction", createParams(ref, method, edit))
	if code(m) != "0" {
		t.Fatalf("create %s: %v", ref, m)
	}
	return m
}

// callbackSim is a simulator with faults whose transaction ref (paid by
// method) calls back to a receiver answering with answer (nil: "sent").
func callbackSim(t testing.TB, answer func(n int) (int, string), faults Faults, ref, method string) (*Simulator, *httptest.Server, *receiver) {
	t.Helper()
	rc := newReceiver(t, answer)
	sim, srv := newTestSim(t, nil)
	sim.SetFaults(faults)
	mustCreate(t, srv, ref, method, func(p map[string]string) { p["callback_url"] = rc.srv.URL })
	return sim, srv, rc
}

// noRedirect is a client that returns redirects instead of following them.
func noRedirect(srv *httptest.Server) *http.Client {
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// receiver is a merchant callback endpoint that records every callback.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	forms  []url.Values
	got    chan url.Values
	answer func(n int) (int, string) // n counts from 1
}

func newReceiver(t testing.TB, answer func(n int) (int, string)) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan url.Values, 100), answer: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("callback Content-Type = %q", r.Header.Get("Content-Type"))
		}
		if err := r.ParseForm(); err != nil {
			t.Errorf("callback form: %v", err)
		}
		rc.mu.Lock()
		rc.forms = append(rc.forms, r.PostForm)
		n := len(rc.forms)
		rc.mu.Unlock()
		status, body := http.StatusOK, "sent"
		if rc.answer != nil {
			status, body = rc.answer(n)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
		rc.got <- r.PostForm
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.forms)
}

// next waits for the next callback.
func (rc *receiver) next(t testing.TB) url.Values {
	t.Helper()
	select {
	case f := <-rc.got:
		return f
	case <-time.After(5 * time.Second):
		t.Fatal("no callback within 5s")
		return nil
	}
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
