package webhook_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/webhook"
)

// TestFailuresLogged: each failed try is logged once, at WARN while the
// event is retried (with the HTTP status or the kind of network error
// and the next try's time) and at ERROR once it is given up on; the log
// never holds the body, the signing secret or the endpoint's URL. The
// delivery log keeps the same plain reason, never the URL (whose query
// may hold a token) nor the HTTP client's own words, which quote it.
func TestFailuresLogged(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	answer := func(status int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	l.Close()
	hang := make(chan struct{})
	hangSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	}))
	t.Cleanup(func() { close(hang); hangSrv.Close() })

	tests := []struct {
		name, url string
		maxAge    time.Duration
		level     string
		reason    string
		status    float64
	}{
		{"500", answer(500), 0, "WARN", "HTTP 500", 500},
		{"429", answer(429), 0, "WARN", "HTTP 429", 429},
		{"400", answer(400), 0, "ERROR", "HTTP 400, which is not retried", 400},
		{"down", down, 0, "WARN", "connection refused", 0},
		{"hanging", hangSrv.URL, 0, "WARN", "timeout after 200ms", 0},
		{"too old", answer(503), time.Second, "ERROR", "HTTP 503", 503}, // the next try would be past MaxAge
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &paymentstest.SyncBuffer{}
			w, err := webhook.New(env.Store, webhook.Options{URL: tt.url + "/hook?token=CANARY-url-token", Secrets: []string{secretNew},
				Now: env.Clock.Now, Rand: rand.Reader, Log: slog.New(slog.NewJSONHandler(log, nil)),
				MaxAge: tt.maxAge, Timeout: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			p := mustCanceled(t, env, "ORDER-LOG-CANARY")
			if _, err := w.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			var lines []map[string]any
			for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
				var m map[string]any
				if json.Unmarshal([]byte(line), &m) == nil && m["payment_id"] == p.ID {
					lines = append(lines, m)
				}
			}
			if len(lines) != 1 {
				t.Fatalf("%d log lines for the failed try, want 1; log:\n%s", len(lines), log)
			}
			m := lines[0]
			ds, _ := env.Store.Deliveries(context.Background(), payments.DeliveryFilter{PaymentID: p.ID, Limit: 1})
			if len(ds) != 1 || m["delivery_id"] != ds[0].ID {
				t.Errorf("delivery_id = %v, want %+v's", m["delivery_id"], ds)
			}
			if m["level"] != tt.level || m["event_type"] != "payment.canceled" || m["reason"] != tt.reason {
				t.Errorf("logged %v, want %s with event_type payment.canceled and reason %q", m, tt.level, tt.reason)
			}
			if got, _ := m["status"].(float64); got != tt.status {
				t.Errorf("status = %v, want %v", m["status"], tt.status)
			}
			if _, ok := m["next_attempt_at"]; ok != (tt.level == "WARN") {
				t.Errorf("next_attempt_at present %v, want %v (only while retried)", ok, tt.level == "WARN")
			}
			for _, leak := range []string{"CANARY", secretNew, "127.0.0.1"} {
				if strings.Contains(log.String(), leak) {
					t.Errorf("the log shows %q:\n%s", leak, log)
				}
				if len(ds) == 1 && strings.Contains(ds[0].Error, leak) {
					t.Errorf("the delivery log's error shows %q: %q", leak, ds[0].Error)
				}
			}
			if want := webhook.ErrorRequest + tt.reason; tt.status == 0 && (len(ds) != 1 || ds[0].Error != want) {
				t.Errorf("the delivery log's error = %+v, want %q", ds, want)
			}
		})
	}
}
