package handlers_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// newLoggedApp is the real router with its access log written as JSON at
// level to the returned buffer; Latipay's callbacks do not go through it.
func newLoggedApp(t *testing.T, level slog.Level) (*paymentstest.Env, http.Handler, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	app := handlers.NewTestApp(t, handlers.TestAppOptions{Detached: true,
		Log:  slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: level})),
		Edit: func(_ *paymentstest.Env, o *handlers.Options) { o.MerchantName, o.Sandbox = "Log Shop", nil }})
	return app.Env, app.H, &buf
}

// TestAccessLog: one JSON line per request with the route pattern (never
// the payment id or the query), the status, the request id of the
// X-Request-Id header and the client address; none below the level.
func TestAccessLog(t *testing.T) {
	env, h, buf := newLoggedApp(t, slog.LevelInfo)
	p := env.MustCreate(t, paymentstest.Input("log-1"))
	for _, tc := range []struct {
		target, path string
		status       int
	}{
		{handlers.CheckoutPath(p.ID) + "?t=secret", "/checkout/:id", http.StatusOK},
		{"/nope", "(no route)", http.StatusNotFound},
	} {
		buf.Reset()
		r := httptest.NewRequest(http.MethodGet, env.AppURL+tc.target, nil)
		r.RemoteAddr = "192.0.2.7:1234"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != 1 {
			t.Fatalf("GET %s logged %d lines: %q", tc.target, len(lines), buf.String())
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
			t.Fatalf("log line %q: %v", lines[0], err)
		}
		want := map[string]any{"level": "INFO", "msg": "request", "request_id": w.Header().Get("X-Request-Id"),
			"method": "GET", "path": tc.path, "status": float64(tc.status), "client": "192.0.2.7"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("GET %s: log %s = %v, want %v", tc.target, k, got[k], v)
			}
		}
		if _, ok := got["time"].(string); !ok {
			t.Errorf("GET %s: log has no time: %s", tc.target, lines[0])
		}
		if _, ok := got["duration_ms"].(float64); !ok {
			t.Errorf("GET %s: log has no duration_ms: %s", tc.target, lines[0])
		}
		if len(got) != len(want)+2 {
			t.Errorf("GET %s: log has other fields: %s", tc.target, lines[0])
		}
		if strings.Contains(lines[0], p.ID) || strings.Contains(lines[0], "secret") {
			t.Errorf("GET %s: log shows the id or the query: %s", tc.target, lines[0])
		}
	}

	env, h, buf = newLoggedApp(t, slog.LevelWarn)
	p = env.MustCreate(t, paymentstest.Input("log-2"))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, env.AppURL+handlers.CheckoutPath(p.ID), nil))
	if buf.Len() != 0 {
		t.Errorf("at level warn the access log wrote %q", buf.String())
	}
}
