package selfcheck

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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

// TestHealthCheckDialsTheConfiguredHost: with HPP_ADDR on a specific
// address (here 127.0.0.2, another loopback address), the check asks
// there, not 127.0.0.1 where nothing listens.
func TestHealthCheckDialsTheConfiguredHost(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 on this machine: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	if err := HealthCheck(context.Background(), ln.Addr().String(), false); err != nil {
		t.Errorf("HealthCheck(%s) = %v, want nil", ln.Addr(), err)
	}
}

// TestHealthCheckFailsAnExpiredCertificate: over TLS, /healthz answering
// 200 is not enough when the certificate served has expired.
func TestHealthCheckFailsAnExpiredCertificate(t *testing.T) {
	for name, notAfter := range map[string]time.Time{"valid": time.Now().Add(time.Hour), "expired": time.Now().Add(-time.Minute)} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned(t, notAfter)}}
		srv.StartTLS()
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		err := HealthCheck(context.Background(), ":"+port, true)
		srv.Close()
		if name == "valid" && err != nil {
			t.Errorf("valid certificate: HealthCheck = %v, want nil", err)
		}
		if name == "expired" && (err == nil || !strings.Contains(err.Error(), "the TLS certificate served expired on")) {
			t.Errorf("expired certificate: HealthCheck = %v, want an error saying so", err)
		}
	}
}

func selfSigned(t *testing.T, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pay.example.com"}, DNSNames: []string{"pay.example.com"},
		NotBefore: notAfter.Add(-2 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
