package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestCSPReport is the receiving half of test 86: both report forms are
// taken with a 204 from another origin (no CSRF refusal), logged once each
// at warn level without query strings or payment ids; other bodies are
// refused, and one address is rate-limited.
func TestCSPReport(t *testing.T) {
	a := newSecApp(t, nil)
	post := func(ctype, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, CSPReportPath, strings.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		r.Header.Set("Origin", "http://shop.evil.example")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		return a.do(r)
	}
	legacy := `{"csp-report":{"document-uri":"http://127.0.0.1:9/checkout/pay_secret123?embed_origin=x&t=tok",` +
		`"violated-directive":"frame-ancestors","effective-directive":"frame-ancestors",` +
		`"blocked-uri":"http://127.0.0.1:9/checkout/pay_secret123/panel?sig=abc","disposition":"enforce"}}`
	batch := `[{"type":"csp-violation","url":"http://127.0.0.1:9/pay?sig=linksig","body":{"documentURL":"http://127.0.0.1:9/pay?sig=linksig",` +
		`"blockedURL":"inline","effectiveDirective":"script-src-elem","disposition":"enforce"}},` +
		`{"type":"deprecation","body":{}}]`
	for _, c := range []struct{ name, ctype, body string }{
		{"report-uri", "application/csp-report", legacy},
		{"reporting api", "application/reports+json", batch},
	} {
		if w := post(c.ctype, c.body); w.Code != http.StatusNoContent {
			t.Errorf("%s: POST %s = %d %q, want 204", c.name, CSPReportPath, w.Code, w.Body.String())
		}
	}
	logs := a.logBuf.String()
	if got := strings.Count(logs, `"msg":"csp violation"`); got != 2 {
		t.Errorf("csp violation log lines = %d, want 2:\n%s", got, logs)
	}
	for _, want := range []string{`"level":"WARN","msg":"csp violation"`, `"directive":"frame-ancestors"`,
		`"document":"http://127.0.0.1:9/checkout/:id"`, `"blocked":"http://127.0.0.1:9/checkout/:id/panel"`,
		`"directive":"script-src-elem"`, `"blocked":"inline"`, `"document":"http://127.0.0.1:9/pay"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log has no %s:\n%s", want, logs)
		}
	}
	for _, leak := range []string{"pay_secret123", "sig=", "linksig", "t=tok", "embed_origin"} {
		if strings.Contains(logs, leak) {
			t.Errorf("log leaks %q:\n%s", leak, logs)
		}
	}

	for _, c := range []struct {
		name, ctype, body string
		want              int
	}{
		{"form body", "application/x-www-form-urlencoded", "a=b", http.StatusUnsupportedMediaType},
		{"not json", "application/csp-report", "{", http.StatusBadRequest},
		{"no csp-report", "application/csp-report", `{"x":1}`, http.StatusBadRequest},
		{"over 8 KiB", "application/csp-report", `{"csp-report":{"blocked-uri":"` + strings.Repeat("a", 9<<10) + `"}}`, http.StatusBadRequest},
	} {
		if w := post(c.ctype, c.body); w.Code != c.want {
			t.Errorf("%s: POST %s = %d, want %d", c.name, CSPReportPath, w.Code, c.want)
		}
	}
	if w := a.do(httptest.NewRequest(http.MethodGet, CSPReportPath, nil)); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET %s = %d, want 405", CSPReportPath, w.Code)
	}
}

// TestCSPReportRateLimit: one address gets its burst of reports, then 429
// with Retry-After, and nothing more is logged.
func TestCSPReportRateLimit(t *testing.T) {
	a := newSecApp(t, func(o *Options) {
		o.Limits = Limits{CSPReports: Rate{Limit: 1, Per: time.Hour, Burst: 3}}
	})
	body := `{"csp-report":{"effective-directive":"frame-ancestors"}}`
	var codes []int
	for range 5 {
		r := httptest.NewRequest(http.MethodPost, CSPReportPath, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/csp-report")
		w := a.do(r)
		codes = append(codes, w.Code)
		if w.Code == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	want := []int{204, 204, 204, 429, 429}
	for i := range want {
		if codes[i] != want[i] {
			t.Fatalf("statuses = %v, want %v", codes, want)
		}
	}
	if got := strings.Count(a.logBuf.String(), `"msg":"csp violation"`); got != 3 {
		t.Errorf("csp violation log lines = %d, want 3", got)
	}
}
