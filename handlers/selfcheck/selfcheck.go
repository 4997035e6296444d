// Package selfcheck holds the checks run against a live server from the
// command line, outside the request path: hpp healthcheck (the
// container's HEALTHCHECK: this host's own /healthz) and hpp selfcheck
// (the payment page's scripts and security headers against a saved
// baseline, PCI DSS 11.6.1). It talks HTTP to the server like any client
// and imports nothing of this module; config/cli's command table calls it.
package selfcheck

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/andybalholm/brotli"
	"golang.org/x/net/html"
)

// ErrDrift means a payment page as a browser receives it differs from
// the baseline: a security header changed or went missing, or a script
// was added, removed or changed (PCI DSS 11.6.1).
var ErrDrift = errors.New("selfcheck: payment page drifted from its baseline")

// checkedHeaders are the security-impacting headers the self-check
// compares. A nonce is masked as {N} before comparing.
var checkedHeaders = []string{"Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options",
	"Strict-Transport-Security", "Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy",
	"Permissions-Policy", "X-Frame-Options", "Cache-Control"}

// Baseline is what a payment page looks like to a browser: its security
// headers and the scripts it runs.
type Baseline struct {
	Headers map[string]string `json:"headers"`
	Scripts []PageScript      `json:"scripts"`
}

// PageScript is one script a page runs: its source (the hashed static
// prefix removed, "inline" for inline code) and the SRI-style SHA-256 of
// its content.
type PageScript struct {
	Src    string `json:"src"`
	SHA256 string `json:"sha256"`
}

var (
	cspNonceRE   = regexp.MustCompile(`'nonce-[^']*'`)
	staticPathRE = regexp.MustCompile(`^/static/[0-9a-f]+/`)
)

// Check fetches the payment page at pageURL as a browser would,
// fetches every script it loads, and compares headers and script hashes
// with baseline (JSON of a Baseline). With an empty baseline it writes
// the page's current Baseline to out, to be saved and reviewed. On drift
// it writes each difference to out and returns ErrDrift; operators run
// it on a schedule (`hpp selfcheck URL baseline.json`).
func Check(ctx context.Context, pageURL string, baseline []byte, client *http.Client, out io.Writer) error {
	if client == nil {
		client = http.DefaultClient
	}
	got, problems, err := Observe(ctx, client, pageURL)
	if err != nil {
		return err
	}
	if len(baseline) == 0 {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(got)
	}
	var want Baseline
	if err := json.Unmarshal(baseline, &want); err != nil {
		return fmt.Errorf("selfcheck: read baseline: %w", err)
	}
	problems = append(problems, compareBaseline(want, got)...)
	if len(problems) == 0 {
		fmt.Fprintf(out, "selfcheck: %s matches the baseline (%d headers, %d scripts)\n", pageURL, len(got.Headers), len(got.Scripts))
		return nil
	}
	for _, p := range problems {
		fmt.Fprintln(out, "selfcheck: DRIFT:", p)
	}
	return ErrDrift
}

// Observe fetches the page and its scripts. problems are findings that
// need no baseline, such as a script the CSP nonce does not cover.
func Observe(ctx context.Context, client *http.Client, pageURL string) (Baseline, []string, error) {
	base, err := url.Parse(pageURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") {
		return Baseline{}, nil, fmt.Errorf("selfcheck: %q is not an http(s) URL", pageURL)
	}
	body, hdr, err := fetch(ctx, client, pageURL, "text/html")
	if err != nil {
		return Baseline{}, nil, err
	}
	b := Baseline{Headers: map[string]string{}}
	for _, k := range checkedHeaders {
		if v := hdr.Get(k); v != "" {
			b.Headers[k] = cspNonceRE.ReplaceAllString(v, "'nonce-{N}'")
		}
	}
	var problems []string
	nonce := ""
	if m := cspNonceRE.FindString(hdr.Get("Content-Security-Policy")); m != "" {
		nonce = strings.TrimSuffix(strings.TrimPrefix(m, "'nonce-"), "'")
	}
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return Baseline{}, nil, fmt.Errorf("selfcheck: parse page: %w", err)
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.Data != "script" {
			continue
		}
		src, n2 := attr(n, "src"), attr(n, "nonce")
		if nonce == "" || n2 != nonce {
			problems = append(problems, fmt.Sprintf("script %q does not carry the response's CSP nonce", orDefault(src, "inline")))
		}
		var content []byte
		if src == "" {
			if n.FirstChild != nil {
				content = []byte(n.FirstChild.Data)
			}
			src = "inline"
		} else {
			u, err := base.Parse(src)
			if err != nil {
				return Baseline{}, nil, fmt.Errorf("selfcheck: script src %q: %w", src, err)
			}
			if u.Host != base.Host {
				// Never fetched: the check itself must not run or reach
				// third-party code. Any such script is drift.
				problems = append(problems, fmt.Sprintf("third-party script %s", u.Redacted()))
				b.Scripts = append(b.Scripts, PageScript{Src: u.Redacted(), SHA256: "not-fetched"})
				continue
			}
			if content, _, err = fetch(ctx, client, u.String(), "*/*"); err != nil {
				problems = append(problems, err.Error())
			}
			src = staticPathRE.ReplaceAllString(u.Path, "")
		}
		sum := sha256.Sum256(content)
		b.Scripts = append(b.Scripts, PageScript{Src: src, SHA256: "sha256-" + base64.StdEncoding.EncodeToString(sum[:])})
	}
	return b, problems, nil
}

// compareBaseline lists every difference between want and got.
func compareBaseline(want, got Baseline) []string {
	var out []string
	for _, k := range checkedHeaders {
		w, g := want.Headers[k], got.Headers[k]
		switch {
		case w != "" && g == "":
			out = append(out, fmt.Sprintf("header %s missing (want %q)", k, w))
		case w != g:
			out = append(out, fmt.Sprintf("header %s = %q, want %q", k, g, w))
		}
	}
	key := func(s PageScript) string { return s.Src + " " + s.SHA256 }
	var w, g []string
	for _, s := range want.Scripts {
		w = append(w, key(s))
	}
	for _, s := range got.Scripts {
		g = append(g, key(s))
	}
	for _, s := range g {
		if !slices.Contains(w, s) {
			out = append(out, "script not in the baseline: "+s)
		}
	}
	for _, s := range w {
		if !slices.Contains(g, s) {
			out = append(out, "baseline script missing: "+s)
		}
	}
	return out
}

func fetch(ctx context.Context, client *http.Client, u, accept string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("selfcheck: %w", err)
	}
	req.Header.Set("Accept", accept)
	// Compressed as a browser gets it: the check reads the bytes a
	// shopper's browser would decode, Brotli forms included.
	req.Header.Set("Accept-Encoding", "br, gzip")
	req.Header.Set("Sec-Fetch-Site", "none")
	req.Header.Set("User-Agent", "hpp-selfcheck (like Mozilla/5.0)")
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("selfcheck: fetch %s: %w", req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	switch ce := resp.Header.Get("Content-Encoding"); ce {
	case "":
	case "gzip":
		if r, err = gzip.NewReader(resp.Body); err != nil {
			return nil, nil, fmt.Errorf("selfcheck: read %s: %w", req.URL.Redacted(), err)
		}
	case "br":
		r = brotli.NewReader(resp.Body)
	default:
		return nil, nil, fmt.Errorf("selfcheck: %s came with Content-Encoding %q, which was not asked for", req.URL.Redacted(), ce)
	}
	body, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("selfcheck: read %s: %w", req.URL.Redacted(), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("selfcheck: %s answered %d", req.URL.Path, resp.StatusCode)
	}
	return body, resp.Header, nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
