package config

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestTLSModes: HPP_TLS follows the other settings when unset (files with
// a certificate file, acme with an https URL and HPP_ACME_EMAIL, off
// otherwise, as behind a proxy); with TLS on, HPP_ADDR defaults to :443
// and the redirect listener to :80; ACME keeps its state beside the
// SQLite file.
func TestTLSModes(t *testing.T) {
	certFile, keyFile := writeCert(t, "pay.example.com", 0o600)
	for _, tc := range []struct {
		name string
		env  map[string]string
		addr string
		want TLS
	}{
		{"behind a proxy", map[string]string{"HPP_PUBLIC_URL": "https://pay.example.com"}, ":8080", TLS{Mode: TLSOff}},
		{"acme by email", map[string]string{"HPP_PUBLIC_URL": "https://pay.example.com", "HPP_ACME_EMAIL": "ops@example.com", "HPP_DATABASE": "/data/hpp.db"}, ":443",
			TLS{Mode: TLSACME, HTTPAddr: ":80", ACMEEmail: "ops@example.com", ACMEDirectory: LetsEncrypt, ACMEStorage: "/data/acme", ACMECheck: 10 * time.Minute}},
		{"acme named, own CA, no port 80", map[string]string{"HPP_PUBLIC_URL": "https://pay.example.com", "HPP_TLS": "acme", "HPP_ADDR": ":8443", "HPP_HTTP_ADDR": "off",
			"HPP_ACME_DIRECTORY": "https://ca.internal/acme/directory", "HPP_ACME_CA_ROOT": "/etc/ca.pem", "HPP_ACME_CHECK_INTERVAL": "1m", "HPP_DATABASE": "postgres://h/db"}, ":8443",
			TLS{Mode: TLSACME, ACMEDirectory: "https://ca.internal/acme/directory", ACMECARoot: "/etc/ca.pem", ACMEStorage: "acme", ACMECheck: time.Minute}},
		{"files", map[string]string{"HPP_PUBLIC_URL": "https://pay.example.com", "HPP_TLS_CERT_FILE": certFile, "HPP_TLS_KEY_FILE": keyFile, "HPP_HTTP_ADDR": ":8080", "HPP_ADDR": ":8443"}, ":8443",
			TLS{Mode: TLSFiles, HTTPAddr: ":8080", CertFile: certFile, KeyFile: keyFile}},
	} {
		c, err := Load(func(k string) string { return tc.env[k] })
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(c.Warnings) > 0 {
			t.Errorf("%s: warnings %q", tc.name, c.Warnings)
		}
		if diff := cmp.Diff(tc.want, c.TLS); diff != "" || c.Addr != tc.addr {
			t.Errorf("%s: HPP_ADDR %q (want %q); TLS (-want +got):\n%s", tc.name, c.Addr, tc.addr, diff)
		}
	}
}

// TestTLSProblems: each wrong combination names its setting.
func TestTLSProblems(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HPP_TLS": "on"}, "HPP_TLS: must be off, acme or files"},
		{map[string]string{"HPP_TLS": "acme", "HPP_PUBLIC_URL": "http://pay.example.com"}, "HPP_PUBLIC_URL: must be an https URL when HPP_TLS is acme"},
		{map[string]string{"HPP_TLS_CERT_FILE": "/c.pem", "HPP_PUBLIC_URL": "https://pay.example.com"}, "HPP_TLS_CERT_FILE: and HPP_TLS_KEY_FILE are both required"},
		{map[string]string{"HPP_TLS": "acme", "HPP_PUBLIC_URL": "https://p.example.com", "HPP_ACME_DIRECTORY": "http://ca/dir"}, "HPP_ACME_DIRECTORY: must be an https URL"},
		{map[string]string{"HPP_TLS": "acme", "HPP_PUBLIC_URL": "https://p.example.com", "HPP_ACME_CHECK_INTERVAL": "10ms"}, "HPP_ACME_CHECK_INTERVAL: must be a duration of at least 1s"},
		{map[string]string{"HPP_TLS": "acme", "HPP_PUBLIC_URL": "https://p.example.com", "HPP_HTTP_ADDR": "eighty"}, "HPP_HTTP_ADDR: must be host:port, :port or off"},
		{map[string]string{"HPP_TLS": "acme", "HPP_PUBLIC_URL": "https://p.example.com", "HPP_TLS_CERT_FILE": "/c.pem"}, "HPP_TLS_CERT_FILE: is for HPP_TLS=files"},
	} {
		_, err := Load(func(k string) string { return tc.env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.env, err, tc.want)
		}
	}
}

// TestTLSFiles: with HPP_TLS=files, Load (and so check-config) reads the
// pair as start-up does: a missing file, a key of another certificate, a
// certificate for another host or one that has expired is a problem in
// start-up's words; a key file that group or others may read, a warning
// naming the setting.
func TestTLSFiles(t *testing.T) {
	certFile, keyFile := writeCert(t, "pay.example.com", 0o600)
	otherCert, otherKey := writeCert(t, "other.example.com", 0o600)
	expiredCert, expiredKey := writeCertUntil(t, "pay.example.com", 0o600, time.Now().Add(-time.Minute))
	readableCert, readableKey := writeCert(t, "pay.example.com", 0o644)
	env := func(cert, key string) func(string) string {
		return func(k string) string {
			return map[string]string{"HPP_PUBLIC_URL": "https://pay.example.com", "HPP_TLS_CERT_FILE": cert, "HPP_TLS_KEY_FILE": key}[k]
		}
	}
	for _, tc := range []struct{ cert, key, want string }{
		{filepath.Join(t.TempDir(), "none.pem"), keyFile, "HPP_TLS_CERT_FILE: cannot read the file"},
		{certFile, filepath.Join(t.TempDir(), "none.pem"), "HPP_TLS_KEY_FILE: cannot read the file"},
		{certFile, otherKey, "HPP_TLS_CERT_FILE, HPP_TLS_KEY_FILE: not a PEM certificate and its matching private key"},
		{certFile, certFile, "HPP_TLS_CERT_FILE, HPP_TLS_KEY_FILE: not a PEM certificate and its matching private key"},
		{otherCert, otherKey, "HPP_TLS_CERT_FILE: the certificate is for other.example.com, not HPP_PUBLIC_URL's host pay.example.com"},
		{expiredCert, expiredKey, "HPP_TLS_CERT_FILE: the certificate expired on "},
	} {
		_, err := Load(env(tc.cert, tc.key))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("cert %s, key %s: Load = %v, want %q", tc.cert, tc.key, err, tc.want)
		}
		var out bytes.Buffer
		if err := Check(env(tc.cert, tc.key), &out); err == nil || !strings.Contains(out.String(), "problem: "+tc.want) {
			t.Errorf("cert %s, key %s: check-config = %v:\n%s", tc.cert, tc.key, err, out.String())
		}
	}
	c, err := Load(env(readableCert, readableKey))
	if err != nil {
		t.Fatal(err)
	}
	if want := "HPP_TLS_KEY_FILE: " + readableKey + " may be read by group or others (mode 0644)"; !strings.Contains(strings.Join(c.Warnings, "\n"), want) {
		t.Errorf("warnings %q, want %q", c.Warnings, want)
	}
}

// writeCert writes a self-signed certificate for host and its key (with
// mode keyMode) and returns their paths.
func writeCert(t *testing.T, host string, keyMode os.FileMode) (certFile, keyFile string) {
	t.Helper()
	return writeCertUntil(t, host, keyMode, time.Now().Add(time.Hour))
}

// writeCertUntil is writeCert for a certificate valid until notAfter.
func writeCertUntil(t *testing.T, host string, keyMode os.FileMode, notAfter time.Time) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: notAfter.Add(-2 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), keyMode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keyFile, keyMode); err != nil { // not subject to the umask
		t.Fatal(err)
	}
	return certFile, keyFile
}
