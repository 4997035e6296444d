package handlers_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/static"
)

// newLoggedApp is the real router with its access log written as JSON at
// level to the returned buffer.
func newLoggedApp(t *testing.T, level slog.Level) (*paymentstest.Env, http.Handler, *bytes.Buffer) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	env := paymentstest.NewEnv(t, paymentstest.Options{Service: payments.Options{AllowLocalhost: true}})
	pub, err := url.Parse(env.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	assets, err := static.New()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: level}))
	h, err := handlers.NewServer(log, handlers.Options{
		PublicURL: pub, MerchantName: "Log Shop", APIKey: testAPIKey, LinkSecret: testLinkSecret,
		TokenKey:        []byte("socket-token-key-0123456789abcdef"),
		FormActionHosts: latipay.FormActionOrigins(env.SimURL), Now: env.Clock.Now,
	}, env.Svc, handlers.NewSessionStore([]byte("session-hash-key-0123456789abcdef"), []byte("session-block-key-0123456789abcd"), false), env.Hub, assets)
	if err != nil {
		t.Fatal(err)
	}
	return env, h, &buf
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
