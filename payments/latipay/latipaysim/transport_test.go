package latipaysim

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestTransportRoundTrip(t *testing.T) {
	// The app side: a callback handler reached through NewTransport too.
	got := make(chan string, 1)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("app: %v", err)
		}
		got <- r.Host + r.URL.Path + " " + r.PostForm.Get("status")
		io.WriteString(w, "sent")
	})
	sim, err := New(Options{
		BaseURL:        "https://sim.invalid/sandbox/latipay",
		Merchants:      []Merchant{{UserID: testUser, APIKey: testKey, Wallets: map[string]string{testNZD: "NZD"}}},
		CallbackClient: &http.Client{Transport: NewTransport(app)},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	c := &http.Client{Transport: NewTransport(sim)}
	base := "https://sim.invalid/sandbox/latipay"
	_, m := postJSON(t, c, base+"/v2/transaction", createParams("tr-1", "alipay", func(p map[string]string) {
		p["callback_url"] = "https://app.invalid/latipay/callback"
	}))
	if code(m) != "0" {
		t.Fatalf("create through transport: %v", m)
	}
	resp, err := c.Get(base + "/pay/" + m["nonce"].(string))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ContentLength != int64(len(body)) || !strings.Contains(string(body), "tr-1") {
		t.Errorf("page through transport: HTTP %d, %d bytes", resp.StatusCode, len(body))
	}
	if err := sim.Pay("tr-1"); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g != "app.invalid/latipay/callback paid" {
		t.Errorf("app received %q", g)
	}
	eventually(t, "ack", func() bool { tx, _ := sim.Transaction("tr-1"); return tx.CallbacksAcked })
}

func TestTransportCancel(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-block:
		}
	})
	c := &http.Client{Transport: NewTransport(h)}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://x.invalid/", nil)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Do(req)
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if _, err := c.Do(req); !errors.Is(err, context.Canceled) {
		t.Errorf("already-cancelled request: err = %v, want context.Canceled", err)
	}
}

func TestTransportPanic(t *testing.T) {
	c := &http.Client{Transport: NewTransport(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))}
	if _, err := c.Get("http://x.invalid/"); !errors.Is(err, errHandlerPanic) {
		t.Errorf("err = %v, want errHandlerPanic", err)
	}
}

func TestTransportRequestShape(t *testing.T) {
	var seen *http.Request
	var body string
	c := &http.Client{Transport: NewTransport(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.Header().Set("X-Test", "1")
		w.WriteHeader(http.StatusCreated)
	}))}
	resp, err := c.Post("https://h.invalid/a%2Fb/c?x=1", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("X-Test") != "1" {
		t.Errorf("response HTTP %d X-Test %q", resp.StatusCode, resp.Header.Get("X-Test"))
	}
	if seen.RequestURI != "/a%2Fb/c?x=1" || seen.Host != "h.invalid" || seen.TLS == nil || seen.URL.Host != "" ||
		body != "hello" || seen.Method != "POST" || seen.RemoteAddr == "" {
		t.Errorf("handler saw %s %q host %q tls %v body %q", seen.Method, seen.RequestURI, seen.Host, seen.TLS != nil, body)
	}
}
