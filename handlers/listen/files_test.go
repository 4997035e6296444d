package listen

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFileCertRefusesWhatBrowsersRefuse: a pair whose certificate has
// expired or is for another host than the public one is refused at start,
// naming HPP_TLS_CERT_FILE; on reload it is refused too, logged at ERROR,
// and the certificate in use stays served. A good replacement is taken.
func TestFileCertRefusesWhatBrowsersRefuse(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	now := time.Now()

	for name, tc := range map[string]struct {
		host     string
		notAfter time.Time
		want     string
	}{
		"expired":      {"pay.example.com", now.Add(-time.Minute), "HPP_TLS_CERT_FILE: the certificate expired on "},
		"another host": {"other.example.com", now.Add(time.Hour), "HPP_TLS_CERT_FILE: the certificate is for other.example.com, not HPP_PUBLIC_URL's host pay.example.com"},
	} {
		writePair(t, certFile, keyFile, 1, tc.host, tc.notAfter)
		if _, err := newFileCert(certFile, keyFile, "pay.example.com", log); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: newFileCert = %v, want %q", name, err, tc.want)
		}
	}

	writePair(t, certFile, keyFile, 1, "pay.example.com", now.Add(time.Hour))
	f, err := newFileCert(certFile, keyFile, "pay.example.com", log)
	if err != nil {
		t.Fatal(err)
	}
	for serial, tc := range map[int64]struct {
		host     string
		notAfter time.Time
	}{2: {"pay.example.com", now.Add(-time.Minute)}, 3: {"other.example.com", now.Add(2 * time.Hour)}} {
		logs.Reset()
		writePair(t, certFile, keyFile, serial, tc.host, tc.notAfter)
		f.reload()
		if got := f.cur.Load().Leaf.SerialNumber.Int64(); got != 1 {
			t.Errorf("after reloading serial %d (%s, not after %s): serving %d, want 1 still", serial, tc.host, tc.notAfter, got)
		}
		if l := logs.String(); !strings.Contains(l, `"level":"ERROR"`) || !strings.Contains(l, "the new certificate is refused; still serving the previous certificate") ||
			!strings.Contains(l, "HPP_TLS_CERT_FILE") {
			t.Errorf("after reloading serial %d: log\n%s\nwant an ERROR naming HPP_TLS_CERT_FILE", serial, l)
		}
	}
	writePair(t, certFile, keyFile, 4, "pay.example.com", now.Add(3*time.Hour))
	f.reload()
	if got := f.cur.Load().Leaf.SerialNumber.Int64(); got != 4 || !f.notAfter().Equal(f.cur.Load().Leaf.NotAfter) {
		t.Errorf("after a good replacement: serving %d, want 4", got)
	}
}

// writePair writes a self-signed certificate for host valid until
// notAfter, and its key.
func writePair(t *testing.T, certFile, keyFile string, serial int64, host string, notAfter time.Time) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: notAfter.Add(-2 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
}
