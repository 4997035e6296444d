package selfcheck

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHealthCheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer ok.Close()
	_, port, _ := net.SplitHostPort(ok.Listener.Addr().String())
	if err := HealthCheck(context.Background(), ":"+port, false); err != nil {
		t.Errorf("HealthCheck(up) = %v, want nil", err)
	}

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	_, port, _ = net.SplitHostPort(down.Listener.Addr().String())
	if err := HealthCheck(context.Background(), ":"+port, false); err == nil {
		t.Error("HealthCheck(503) = nil, want an error")
	}
	down.Close()
	if err := HealthCheck(context.Background(), ":"+port, false); err == nil {
		t.Error("HealthCheck(closed port) = nil, want an error")
	}
	if err := HealthCheck(context.Background(), "no-port", false); err == nil {
		t.Error("HealthCheck(bad addr) = nil, want an error")
	}
}
