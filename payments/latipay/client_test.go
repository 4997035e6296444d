package latipay

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// testKey is a canary: it must never show up in an error string.
const (
	testKey  = "CANARY-latipay-key-7c1f"
	testUser = "U000334333"
)

// fakeRequest is what the fake Latipay saw.
type fakeRequest struct {
	Method, Path string
	Query        url.Values
	Header       http.Header
	Body         map[string]string // decoded JSON body, nil for GET
	SigOK        bool              // request signature checked by the fake's own code
}

// fakeLatipay is a hand-written stand-in for Latipay's API. Each test
// supplies respond; the fake records requests and checks their signature
// with its own implementation of the sorted-parameters signature, independent of SignParams.
type fakeLatipay struct {
	srv     *httptest.Server
	respond func(w http.ResponseWriter, r fakeRequest)

	mu   sync.Mutex
	reqs []fakeRequest // guarded by mu
}

func newTestClient(t testing.TB, respond func(w http.ResponseWriter, r fakeRequest)) (*Client, *fakeLatipay) {
	t.Helper()
	f := &fakeLatipay{respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	c, err := New(Config{BaseURL: f.srv.URL + "/sandbox/latipay/", UserID: testUser, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

func (f *fakeLatipay) serve(w http.ResponseWriter, r *http.Request) {
	fr := fakeRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone()}
	params := map[string]string{}
	if r.Method == http.MethodPost {
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &fr.Body); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		params = fr.Body
	} else if strings.HasPrefix(r.URL.Path, "/sandbox/latipay/v2/transaction/") {
		// Form A: sorted merchant_reference, user_id, is_block if sent.
		params["merchant_reference"] = strings.TrimPrefix(r.URL.Path, "/sandbox/latipay/v2/transaction/")
		params["user_id"] = r.URL.Query().Get("user_id")
		params["is_block"] = r.URL.Query().Get("is_block")
		params["signature"] = r.URL.Query().Get("signature")
	}
	fr.SigOK = params["signature"] != "" && params["signature"] == fakeSign(params)
	f.mu.Lock()
	f.reqs = append(f.reqs, fr)
	f.mu.Unlock()
	f.respond(w, fr)
}

// last returns the most recent request.
func (f *fakeLatipay) last(t testing.TB) fakeRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("fake saw no request")
	}
	return f.reqs[len(f.reqs)-1]
}

// fakeSign is the fake's own sorted-parameters signer.
func fakeSign(p map[string]string) string {
	var parts []string
	for k, v := range p {
		if k != "signature" && v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	sort.Strings(parts)
	return testMAC(testKey, strings.Join(parts, "&")+testKey)
}

// writeJSON writes v as the 200 JSON answer; json.RawMessage values keep
// their literal text.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func codeBody(code int) map[string]any {
	return map[string]any{"code": code, "message": CodeText(code)}
}

// documentedCodes are all non-zero codes Latipay documents (package doc, Error codes).
var documentedCodes = []int{1, 3, 110, 201, 204, 205, 206, 207, 300, 301, 302, 303, 304, 305, 450, 454, 550, 551, 556, 558, 559, 562, 900, 901}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"ok", Config{BaseURL: "https://api.latipay.net", UserID: "U1", APIKey: "k"}, false},
		{"ok trailing slash", Config{BaseURL: "http://127.0.0.1:9999/sandbox/latipay/", UserID: "U1", APIKey: "k"}, false},
		{"relative", Config{BaseURL: "/latipay", UserID: "U1", APIKey: "k"}, true},
		{"ftp", Config{BaseURL: "ftp://api.latipay.net", UserID: "U1", APIKey: "k"}, true},
		{"userinfo", Config{BaseURL: "https://u:p@api.latipay.net", UserID: "U1", APIKey: "k"}, true},
		{"query", Config{BaseURL: "https://api.latipay.net?x=1", UserID: "U1", APIKey: "k"}, true},
		{"empty", Config{UserID: "U1", APIKey: "k"}, true},
		{"no user", Config{BaseURL: "https://api.latipay.net", APIKey: "k"}, true},
		{"no key", Config{BaseURL: "https://api.latipay.net", UserID: "U1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Errorf("New(%v) error = %v, want error %v", tt.cfg, err, tt.wantErr)
			}
		})
	}
}

func TestSecretNotPrinted(t *testing.T) {
	cfg := Config{BaseURL: "https://api.latipay.net", UserID: "U1", APIKey: testKey}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(cfg)
	for _, s := range []string{
		fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", *c), string(b),
	} {
		if strings.Contains(s, testKey) {
			t.Errorf("printed form leaks the key: %s", s)
		}
	}
}

// TestNoFloats enforces the no-float rule for money: no float32/float64
// identifier in any file of this package, tests included.
func TestNoFloats(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && (id.Name == "float64" || id.Name == "float32") {
				t.Errorf("%s: float type used", fset.Position(id.Pos()))
			}
			return true
		})
	}
}
