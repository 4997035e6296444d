package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tlsHost is the name the TLS tests' certificates are for. Pebble's
// validation authority looks it up in pebble-challtestsrv's DNS, which
// answers 127.0.0.1 for every name; the tests' clients dial 127.0.0.1.
const tlsHost = "pay.hpp.test"

func tlsPort(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// tlsTransport trusts roots (nil: none needed) and dials 127.0.0.1 for
// any host, so that tlsHost needs no DNS. HTTP/2 is offered.
func tlsTransport(roots *x509.CertPool) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots},
		ForceAttemptHTTP2: true,
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, "127.0.0.1:"+tlsPort(addr))
		},
	}
}

// tlsLeaf is the certificate the app at addr presents for tlsHost, verified
// against roots.
func tlsLeaf(t testing.TB, addr string, roots *x509.CertPool) (*x509.Certificate, error) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
		&tls.Config{ServerName: tlsHost, RootCAs: roots, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0], nil
}

// tlsTestCA is a throwaway certificate authority.
type tlsTestCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	PEM  []byte
	Pool *x509.CertPool
}

func newTLSTestCA(t testing.TB) *tlsTestCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hpp e2e test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &tlsTestCA{cert: cert, key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), Pool: x509.NewCertPool()}
	ca.Pool.AddCert(cert)
	return ca
}

// issue returns a PEM certificate and key for the names (IP addresses
// allowed), with serial as its serial number.
func (ca *tlsTestCA) issue(t testing.TB, serial int64, names ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	return ca.issueUntil(t, serial, time.Now().Add(24*time.Hour), names...)
}

// issueUntil is issue for a certificate valid until notAfter.
func (ca *tlsTestCA) issueUntil(t testing.TB, serial int64, notAfter time.Time, names ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: notAfter.Add(-25 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})
}

// tlsWrite writes b to path by renaming a temporary file over it, as
// certbot and Kubernetes do, so that no reader sees half a file.
func tlsWrite(t testing.TB, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// tlsTool builds one of go.mod's tools (Pebble's commands), once per
// test binary, and returns its path.
func tlsTool(t testing.TB, pkg string) string { return buildOnce(t, pkg, "") }

// tlsProc is a helper process (Pebble, its DNS) whose output is kept.
type tlsProc struct{ *proc }

// Output is what the process printed so far.
func (p tlsProc) Output() string { return p.output() }

// Stop kills the process and waits for it; safe to call twice.
func (p tlsProc) Stop() { p.kill(syscall.SIGKILL) }

func startTLSProc(t testing.TB, name string, env []string, bin string, args ...string) tlsProc {
	t.Helper()
	return tlsProc{runMain(t, &proc{name: name, bin: bin, args: args,
		env: append([]string{"PATH=" + os.Getenv("PATH")}, env...)})}
}

// pebble is a Pebble ACME server on loopback with its own DNS server.
type pebble struct {
	tlsProc
	Directory string         // the ACME directory URL
	CAFile    string         // trusts Pebble's own https listener (HPP_ACME_CA_ROOT)
	Roots     *x509.CertPool // Pebble's issuing root: trusts the certificates it issues
}

// startPebble runs Pebble with real challenge validation: HTTP-01 on
// httpPort and TLS-ALPN-01 on tlsPort of 127.0.0.1 (the app's listeners),
// certificates valid for validity, no random sleeps or nonce errors, and
// no reuse of earlier authorizations, so that every order is validated.
func startPebble(t testing.TB, httpPort, tlsPort string, validity time.Duration) *pebble {
	t.Helper()
	dir := t.TempDir()
	ca := newTLSTestCA(t)
	cert, key := ca.issue(t, 2, "127.0.0.1", "localhost")
	p := &pebble{CAFile: filepath.Join(dir, "ca.pem")}
	for name, b := range map[string][]byte{"ca.pem": ca.PEM, "cert.pem": cert, "key.pem": key} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	dns := freeAddr(t)
	startTLSProc(t, "pebble-challtestsrv", nil, tlsTool(t, "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv"),
		"-dnsserver", dns, "-management", freeAddr(t), "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "")
	listen, mgmt := freeAddr(t), freeAddr(t)
	var cfg struct {
		Pebble map[string]any `json:"pebble"`
	}
	hp, _ := json.Number(httpPort).Int64()
	tp, _ := json.Number(tlsPort).Int64()
	cfg.Pebble = map[string]any{"listenAddress": listen, "managementListenAddress": mgmt,
		"certificate": filepath.Join(dir, "cert.pem"), "privateKey": filepath.Join(dir, "key.pem"),
		"httpPort": hp, "tlsPort": tp, "keyAlgorithm": "ecdsa",
		"retryAfter": map[string]int{"authz": 1, "order": 1},
		"profiles":   map[string]any{"default": map[string]any{"description": "test", "validityPeriod": int(validity / time.Second)}}}
	b, _ := json.Marshal(cfg)
	conf := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(conf, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p.tlsProc = startTLSProc(t, "pebble", []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0"},
		tlsTool(t, "github.com/letsencrypt/pebble/v2/cmd/pebble"), "-config", conf, "-dnsserver", dns)
	p.Directory = "https://" + listen + "/dir"

	// Its issuing root is made at start-up; fetch it once Pebble answers.
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := c.Get("https://" + mgmt + "/roots/0")
		if err == nil {
			root, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			p.Roots = x509.NewCertPool()
			if resp.StatusCode == http.StatusOK && p.Roots.AppendCertsFromPEM(root) {
				return p
			}
			err = fmt.Errorf("roots/0: %s", resp.Status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble not up after 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// acmeEnv is the app's environment for ACME from p.
func (p *pebble) acmeEnv(httpAddr, storage string) map[string]string {
	return map[string]string{"HPP_ACME_EMAIL": "ops@hpp.test", "HPP_ACME_DIRECTORY": p.Directory,
		"HPP_ACME_CA_ROOT": p.CAFile, "HPP_HTTP_ADDR": httpAddr, "HPP_ACME_STORAGE": storage}
}

// tlsRunToExit runs the binary with env (plus PATH and HOME) and args,
// expecting it to exit within a minute, and returns its exit code and
// everything it printed.
func tlsRunToExit(t testing.TB, env map[string]string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Getenv("HPP_E2E_BINARY"), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%v still running after a minute:\n%s", args, out)
	}
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), strings.TrimSpace(string(out))
}
