package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/latipay-hpp/hpp/handlers/selfcheck"
)

// inventoryFile is the checked-in script inventory (PCI DSS 6.4.3): every
// script a payment page may run, its hash and why it is there.
const inventoryFile = "testdata/script-inventory.json"

// inventoryEntry is one authorised script.
type inventoryEntry struct {
	Src           string `json:"src"`
	SHA256        string `json:"sha256"`
	Justification string `json:"justification"`
}

// TestScriptInventory is test 88: every script that any page state emits
// is in the inventory with the same hash and a justification, and the
// inventory lists nothing the pages no longer run. Scripts are read as a
// browser would: through the page, its CSP nonce and the served file.
// After a reviewed change, run with -update and fill in the
// justification of any new entry.
func TestScriptInventory(t *testing.T) {
	a := newSecApp(t, func(o *Options) { o.Sandbox = a2sandbox(o) })
	seen := map[string]selfcheck.PageScript{}
	pages := []string{"/"}
	for _, id := range []string{a.newPayment(t).ID, func() string { p := a.newPayment(t); a.startWeChat(t, p.ID); return p.ID }()} {
		pages = append(pages, CheckoutPath(id), CheckoutPath(id)+"?choose=1", ReturnPath(id), CheckoutPath(id)+"/panel")
	}
	client, codings := encodingClient(&http.Client{Transport: &http.Transport{}}) // as httptest.Server.Client
	for _, path := range pages {
		b, problems, err := selfcheck.Observe(context.Background(), client, a.url+path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", path, p)
		}
		for _, s := range b.Scripts {
			seen[s.Src+" "+s.SHA256] = s
		}
	}
	// Read as browsers get them: compressed.
	if c := codings[pages[1]]; c != "gzip" {
		t.Errorf("the checkout page came with Content-Encoding %q, want gzip", c)
	}
	if c := codings[staticPath(a, "js/checkout.js")]; c != "br" {
		t.Errorf("checkout.js came with Content-Encoding %q, want br", c)
	}
	var got []inventoryEntry
	for _, s := range seen {
		got = append(got, inventoryEntry{Src: s.Src, SHA256: s.SHA256})
	}
	slices.SortFunc(got, func(x, y inventoryEntry) int { return strings.Compare(x.Src+x.SHA256, y.Src+y.SHA256) })
	var want []inventoryEntry
	raw, err := os.ReadFile(inventoryFile)
	if err != nil && !(*updateGolden && errors.Is(err, os.ErrNotExist)) {
		t.Fatal(err)
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("%s: %v", inventoryFile, err)
		}
	}
	if *updateGolden {
		just := map[string]string{}
		for _, w := range want {
			just[w.Src] = w.Justification
		}
		for i := range got {
			got[i].Justification = just[got[i].Src]
			if got[i].Justification == "" {
				got[i].Justification = "TODO: say why this script must run on the payment page"
			}
		}
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(inventoryFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, g := range got {
		i := slices.IndexFunc(want, func(w inventoryEntry) bool { return w.Src == g.Src && w.SHA256 == g.SHA256 })
		if i < 0 {
			t.Errorf("script %s %s is not in %s: review it, then run go test ./handlers -run TestScriptInventory -update", g.Src, g.SHA256, inventoryFile)
			continue
		}
		if j := strings.TrimSpace(want[i].Justification); j == "" || strings.HasPrefix(j, "TODO") {
			t.Errorf("%s has no justification in %s", g.Src, inventoryFile)
		}
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g inventoryEntry) bool { return w.Src == g.Src && w.SHA256 == g.SHA256 }) {
			t.Errorf("%s lists %s %s, which no page runs any more", inventoryFile, w.Src, w.SHA256)
		}
	}
}

// encodingClient wraps client's transport to note the Content-Encoding
// of each response by URL path.
func encodingClient(client *http.Client) (*http.Client, map[string]string) {
	seen := map[string]string{}
	var mu sync.Mutex
	rt := client.Transport
	c := *client
	c.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(r)
		if err == nil {
			mu.Lock()
			seen[r.URL.Path] = resp.Header.Get("Content-Encoding")
			mu.Unlock()
		}
		return resp, err
	})
	return &c, seen
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// tamperProxy serves the app through a proxy that can strip a header or
// inject a script tag into HTML, as a compromised CDN or proxy would.
func tamperProxy(t *testing.T, target string, stripCSP, inject bool) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), nil)
		req.Header = r.Header.Clone()
		req.Header.Del("Accept-Encoding") // to read and rewrite the page, as a tampering proxy would
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		if stripCSP {
			w.Header().Del("Content-Security-Policy")
		}
		if inject && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			body = []byte(strings.Replace(string(body), "</head>", `<script src="https://evil.example/skim.js"></script></head>`, 1))
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestSelfCheck is test 89: the self-check passes against its own
// baseline, and fails with selfcheck.ErrDrift when a proxy strips the CSP header
// or injects a script tag, or when a served script changes.
func TestSelfCheck(t *testing.T) {
	a := newSecApp(t, nil)
	p := a.newPayment(t)
	a.startWeChat(t, p.ID)
	var baseline strings.Builder
	if err := selfcheck.Check(context.Background(), a.url+CheckoutPath(p.ID), nil, nil, &baseline); err != nil {
		t.Fatal(err)
	}
	var b selfcheck.Baseline
	if err := json.Unmarshal([]byte(baseline.String()), &b); err != nil || len(b.Scripts) == 0 || b.Headers["Content-Security-Policy"] == "" {
		t.Fatalf("baseline %s, %v: want headers and scripts", baseline.String(), err)
	}
	var out strings.Builder
	if err := selfcheck.Check(context.Background(), a.url+CheckoutPath(p.ID), []byte(baseline.String()), nil, &out); err != nil {
		t.Fatalf("unchanged page: %v\n%s", err, out.String())
	}
	for name, tc := range map[string]struct {
		strip, inject bool
		want          string
	}{
		"csp stripped":    {true, false, "header Content-Security-Policy missing"},
		"script injected": {false, true, "evil.example"},
	} {
		proxy := tamperProxy(t, a.url, tc.strip, tc.inject)
		out.Reset()
		err := selfcheck.Check(context.Background(), proxy.URL+CheckoutPath(p.ID), []byte(baseline.String()), nil, &out)
		if !errors.Is(err, selfcheck.ErrDrift) || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s: err %v, output %q; want selfcheck.ErrDrift mentioning %q", name, err, out.String(), tc.want)
		}
	}
	b.Scripts[0].SHA256 = "sha256-changed"
	changed, _ := json.Marshal(b)
	out.Reset()
	if err := selfcheck.Check(context.Background(), a.url+CheckoutPath(p.ID), changed, nil, &out); !errors.Is(err, selfcheck.ErrDrift) {
		t.Errorf("changed script hash: err %v, want selfcheck.ErrDrift", err)
	}
}
