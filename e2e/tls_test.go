package e2e

import (
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestTLSACMEPebble runs the binary with HPP_ACME_EMAIL and an https
// HPP_PUBLIC_URL against a Pebble ACME server that really validates the
// challenge: HTTP-01 on the redirect listener (Pebble's TLS-ALPN-01 port is
// one nothing listens on, so that one can only fail and HTTP-01 is what
// passes; TestTLSACMEUnreachableDirectory covers TLS-ALPN-01). Then it
// fetches the checkout over TLS trusting only Pebble's root: HTTP/2, HSTS,
// the port-80 redirect, `hpp healthcheck` over TLS, and a renewal of the
// 60-second certificate before it expires.
func TestTLSACMEPebble(t *testing.T) {
	appAddr, httpAddr := freeAddr(t), freeAddr(t)
	ca := startPebble(t, tlsPort(httpAddr), "1", 60*time.Second)
	public := "https://" + tlsHost + ":" + tlsPort(appAddr)
	env := ca.acmeEnv(httpAddr, filepath.Join(t.TempDir(), "acme"))
	env["HPP_ACME_CHECK_INTERVAL"] = "1s"
	a := startAppAt(t, appAddr, public, tlsTransport(ca.Roots), env)
	if out := ca.Output(); !strings.Contains(out, "set VALID by completed challenge") ||
		!strings.Contains(out, "Attempting to validate w/ HTTP: http://"+tlsHost+":"+tlsPort(httpAddr)+"/.well-known/acme-challenge/") {
		t.Errorf("pebble did not validate HTTP-01 on %s:\n%s", httpAddr, tail(out, 3000))
	}

	var p paymentstest.APIPayment
	a.api(t, "POST", "/api/v1/payments", `{"amount":"12.50","currency":"NZD","reference":"TLS-1","return_url":"`+public+`/"}`, http.StatusCreated, &p)
	if p.CheckoutURL != public+"/checkout/"+p.ID {
		t.Fatalf("checkout_url = %q, want it on %s", p.CheckoutURL, public)
	}
	resp := a.send(t, "GET", "/checkout/"+p.ID, nil, nil, http.StatusOK)
	if resp.Proto != "HTTP/2.0" {
		t.Errorf("checkout over %s, want HTTP/2.0", resp.Proto)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
		t.Errorf("Strict-Transport-Security = %q", got)
	}
	first := resp.TLS.PeerCertificates[0]
	if len(first.DNSNames) != 1 || first.DNSNames[0] != tlsHost || !strings.Contains(first.Issuer.CommonName, "Pebble") {
		t.Errorf("certificate for %v from %q, want %s from Pebble", first.DNSNames, first.Issuer.CommonName, tlsHost)
	}

	plain := &http.Client{Timeout: 10 * time.Second, Transport: tlsTransport(nil),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for method, want := range map[string]int{"GET": http.StatusMovedPermanently, "POST": http.StatusPermanentRedirect} {
		req, _ := http.NewRequest(method, "http://"+tlsHost+":"+tlsPort(httpAddr)+"/checkout/"+p.ID+"?lang=en", nil)
		req.Host = "evil.example" // the redirect goes to the public URL, never to the Host header
		r, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if loc := r.Header.Get("Location"); r.StatusCode != want || loc != public+"/checkout/"+p.ID+"?lang=en" {
			t.Errorf("%s on the http port = %d %q, want %d to %s", method, r.StatusCode, loc, want, public+"/checkout/"+p.ID+"?lang=en")
		}
	}

	hc := map[string]string{"HPP_ADDR": appAddr, "HPP_PUBLIC_URL": public, "HPP_DATABASE": a.DB}
	for k, v := range env {
		hc[k] = v
	}
	if code, out := tlsRunToExit(t, hc, "healthcheck"); code != 0 {
		t.Errorf("hpp healthcheck over TLS: exit %d: %s", code, out)
	}

	// Renewal: a new certificate is served while the first is still valid.
	for {
		leaf, err := tlsLeaf(t, appAddr, ca.Roots)
		if err != nil && time.Now().After(first.NotAfter) {
			t.Fatalf("no renewal before the first certificate expired at %s: %v\n%s", first.NotAfter, err, tail(a.Logs(), 4000))
		}
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		if leaf.SerialNumber.Cmp(first.SerialNumber) != 0 {
			if !time.Now().Before(first.NotAfter) {
				t.Errorf("renewed certificate first seen at %s, after the first one expired (%s)", time.Now().UTC(), first.NotAfter)
			}
			break
		}
		if time.Now().After(first.NotAfter) {
			t.Fatalf("still serving certificate %s after it expired at %s\n%s", first.SerialNumber, first.NotAfter, tail(a.Logs(), 4000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestTLSACMEUnreachableDirectory gets a certificate over TLS-ALPN-01 alone
// (HPP_HTTP_ADDR=off), stops Pebble, and starts the app again: with the
// stored certificate it serves it (its renewal is due, as the check
// interval makes it, and fails); with empty storage it refuses to start
// and names HPP_ACME_DIRECTORY.
func TestTLSACMEUnreachableDirectory(t *testing.T) {
	appAddr := freeAddr(t)
	ca := startPebble(t, "1", tlsPort(appAddr), time.Hour) // nothing listens on port 1: HTTP-01 cannot pass
	public := "https://" + tlsHost + ":" + tlsPort(appAddr)
	storage := filepath.Join(t.TempDir(), "acme")
	env := ca.acmeEnv("off", storage)
	a := startAppAt(t, appAddr, public, tlsTransport(ca.Roots), env)
	if out := ca.Output(); !strings.Contains(out, "set VALID by completed challenge") || strings.Contains(out, "Attempting to validate w/ HTTP") ||
		!strings.Contains(a.Logs(), `"challenge_type":"tls-alpn-01"`) {
		t.Errorf("pebble did not validate TLS-ALPN-01 alone:\n%s\n%s", tail(out, 3000), tail(a.Logs(), 3000))
	}
	first, err := tlsLeaf(t, appAddr, ca.Roots)
	if err != nil {
		t.Fatal(err)
	}
	a.Stop(t)
	ca.Stop()

	// Within five check intervals of expiry certmagic renews at once.
	env["HPP_ACME_CHECK_INTERVAL"] = "1h"
	b := startAppAt(t, appAddr, public, tlsTransport(ca.Roots), env)
	leaf, err := tlsLeaf(t, appAddr, ca.Roots)
	if err != nil {
		t.Fatal(err)
	}
	if leaf.SerialNumber.Cmp(first.SerialNumber) != 0 {
		t.Errorf("serving %s, want the stored certificate %s", leaf.SerialNumber, first.SerialNumber)
	}
	if !strings.Contains(b.Logs(), "could not be renewed; serving the stored one") {
		t.Errorf("no log line about the failed renewal:\n%s", tail(b.Logs(), 3000))
	}
	b.Stop(t)

	env["HPP_ACME_STORAGE"] = filepath.Join(t.TempDir(), "empty")
	env["HPP_ADDR"], env["HPP_PUBLIC_URL"], env["HPP_DATABASE"] = appAddr, public, filepath.Join(t.TempDir(), "hpp.db")
	code, out := tlsRunToExit(t, env)
	if code == 0 || !strings.Contains(out, "HPP_ACME_DIRECTORY: no certificate for "+tlsHost+" from "+ca.Directory) ||
		!strings.Contains(out, "not starting without one") {
		t.Errorf("with no certificate and no CA: exit %d:\n%s", code, tail(out, 3000))
	}
}

// TestTLSOwnCertificateReload serves the operator's certificate files,
// takes a replacement without a restart, and keeps the one in use when the
// files are replaced by garbage.
func TestTLSOwnCertificateReload(t *testing.T) {
	ca := newTLSTestCA(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	c1, k1 := ca.issue(t, 101, tlsHost)
	tlsWrite(t, certFile, c1)
	tlsWrite(t, keyFile, k1)
	appAddr := freeAddr(t)
	public := "https://" + tlsHost + ":" + tlsPort(appAddr)
	maddr := freeAddr(t)
	a := startAppAt(t, appAddr, public, tlsTransport(ca.Pool), map[string]string{
		"HPP_TLS_CERT_FILE": certFile, "HPP_TLS_KEY_FILE": keyFile, "HPP_HTTP_ADDR": freeAddr(t), "HPP_METRICS_ADDR": maddr})
	resp := a.send(t, "GET", "/healthz", nil, nil, http.StatusOK)
	if got := resp.TLS.PeerCertificates[0].SerialNumber.Int64(); got != 101 || resp.Proto != "HTTP/2.0" {
		t.Fatalf("serving serial %d over %s, want 101 over HTTP/2.0", got, resp.Proto)
	}

	serial := func() int64 {
		leaf, err := tlsLeaf(t, appAddr, ca.Pool)
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		return leaf.SerialNumber.Int64()
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 30s\n%s", what, tail(a.Logs(), 3000))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	c2, k2 := ca.issue(t, 102, tlsHost)
	tlsWrite(t, keyFile, k2)
	tlsWrite(t, certFile, c2)
	waitFor("the replaced certificate served", func() bool { return serial() == 102 })
	// The metrics export the served certificate's expiry, the new one's.
	leaf, err := tlsLeaf(t, appAddr, ca.Pool)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := scrape(t, maddr); m["hpp_tls_certificate_not_after_seconds"] != float64(leaf.NotAfter.Unix()) {
		t.Errorf("hpp_tls_certificate_not_after_seconds = %v, want %d (serial 102's)", m["hpp_tls_certificate_not_after_seconds"], leaf.NotAfter.Unix())
	}

	tlsWrite(t, certFile, []byte("-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n"))
	waitFor("the garbage logged", func() bool { return strings.Contains(a.Logs(), "do not load; still serving the previous certificate") })
	if got := serial(); got != 102 {
		t.Errorf("after garbage: serving serial %d, want 102 still", got)
	}

	// A pair browsers and Latipay would refuse (expired, or for another
	// host) is refused too, at ERROR, and the one in use stays.
	for i, sn := range []int64{103, 104} {
		notAfter, host := time.Now().Add(-time.Minute), tlsHost
		if sn == 104 {
			notAfter, host = time.Now().Add(24*time.Hour), "other.example.com"
		}
		c, k := ca.issueUntil(t, sn, notAfter, host)
		tlsWrite(t, keyFile, k)
		tlsWrite(t, certFile, c)
		waitFor(fmt.Sprintf("the refusal of serial %d logged", sn), func() bool {
			return strings.Count(a.Logs(), "the new certificate is refused; still serving the previous certificate") > i
		})
		if got := serial(); got != 102 {
			t.Errorf("after serial %d: serving serial %d, want 102 still", sn, got)
		}
		// The server is healthy: it serves its good certificate. A failed
		// health check would have the orchestrator restart it, and
		// start-up refuses the files: the shop would go down.
		hc := map[string]string{"HPP_ADDR": appAddr, "HPP_PUBLIC_URL": public, "HPP_DATABASE": a.DB,
			"HPP_TLS_CERT_FILE": certFile, "HPP_TLS_KEY_FILE": keyFile}
		if code, out := tlsRunToExit(t, hc, "healthcheck"); code != 0 {
			t.Errorf("hpp healthcheck with serial %d's refused files on disk, serving 102: exit %d, want 0: %s", sn, code, out)
		}
	}
	if logs := a.Logs(); !strings.Contains(logs, `"level":"ERROR","msg":"tls: the certificate files changed but the new certificate is refused`) ||
		!strings.Contains(logs, "HPP_TLS_CERT_FILE: the certificate expired on") || !strings.Contains(logs, "not HPP_PUBLIC_URL's host "+tlsHost) {
		t.Errorf("no ERROR lines naming the expired and the wrong-host certificates:\n%s", tail(logs, 3000))
	}
	if strings.Contains(a.Logs(), "PRIVATE KEY") {
		t.Errorf("the key's PEM reached the log")
	}
}

// TestTLSStartupErrors: each problem stops start-up with one line naming
// the setting.
func TestTLSStartupErrors(t *testing.T) {
	dir := t.TempDir()
	ca := newTLSTestCA(t)
	c, k := ca.issue(t, 7, tlsHost)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	tlsWrite(t, certFile, c)
	tlsWrite(t, keyFile, k)
	c, k = ca.issueUntil(t, 8, time.Now().Add(-time.Minute), tlsHost)
	expiredCert, expiredKey := filepath.Join(dir, "expired.pem"), filepath.Join(dir, "expired-key.pem")
	tlsWrite(t, expiredCert, c)
	tlsWrite(t, expiredKey, k)
	c, k = ca.issue(t, 9, "other.example.com")
	otherCert, otherKey := filepath.Join(dir, "other.pem"), filepath.Join(dir, "other-key.pem")
	tlsWrite(t, otherCert, c)
	tlsWrite(t, otherKey, k)
	busy := freeAddr(t)
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", busy)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	base := func(extra map[string]string) map[string]string {
		addr := freeAddr(t)
		env := map[string]string{"HPP_ADDR": addr, "HPP_PUBLIC_URL": "https://" + tlsHost + ":" + tlsPort(addr),
			"HPP_DATABASE": filepath.Join(t.TempDir(), "hpp.db"), "HPP_HTTP_ADDR": "off",
			"HPP_TLS_CERT_FILE": certFile, "HPP_TLS_KEY_FILE": keyFile}
		for k, v := range extra {
			env[k] = v
		}
		return env
	}
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"cert file missing":  {base(map[string]string{"HPP_TLS_CERT_FILE": filepath.Join(dir, "none.pem")}), "HPP_TLS_CERT_FILE: cannot read the file"},
		"key does not match": {base(map[string]string{"HPP_TLS_KEY_FILE": certFile}), "HPP_TLS_CERT_FILE, HPP_TLS_KEY_FILE: not a PEM certificate and its matching private key"},
		"expired":            {base(map[string]string{"HPP_TLS_CERT_FILE": expiredCert, "HPP_TLS_KEY_FILE": expiredKey}), "HPP_TLS_CERT_FILE: the certificate expired on "},
		"another host":       {base(map[string]string{"HPP_TLS_CERT_FILE": otherCert, "HPP_TLS_KEY_FILE": otherKey}), "HPP_TLS_CERT_FILE: the certificate is for other.example.com, not HPP_PUBLIC_URL's host " + tlsHost},
		"http port in use":   {base(map[string]string{"HPP_HTTP_ADDR": busy}), "HPP_HTTP_ADDR: listen tcp " + busy},
		"https port in use":  {base(map[string]string{"HPP_ADDR": busy}), "HPP_ADDR: listen tcp " + busy},
		"acme without https": {base(map[string]string{"HPP_TLS": "acme", "HPP_TLS_CERT_FILE": "", "HPP_TLS_KEY_FILE": "", "HPP_PUBLIC_URL": "http://" + tlsHost}), "HPP_PUBLIC_URL: must be an https URL when HPP_TLS is acme"},
		"unknown mode":       {base(map[string]string{"HPP_TLS": "on"}), "HPP_TLS: must be off, acme or files"},
	} {
		code, out := tlsRunToExit(t, tc.env)
		if code == 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d, want an error with %q:\n%s", name, code, tc.want, tail(out, 2000))
		}
	}
}
