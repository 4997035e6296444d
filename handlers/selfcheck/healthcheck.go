package selfcheck

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// HealthCheck asks this process's own /healthz at addr (the HPP_ADDR
// setting; empty means :8080): on its host, or on loopback when the host
// is unspecified ("", 0.0.0.0, ::), over https when overTLS. It is the
// container HEALTHCHECK: the image has no shell or curl. It asks itself,
// so the certificate's name and issuer are not verified, but a served
// certificate that has expired fails the check: browsers and Latipay
// refuse it, so the app is not healthy, whatever /healthz answers.
func HealthCheck(ctx context.Context, addr string, overTLS bool) error {
	if addr == "" {
		addr = ":8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("HPP_ADDR: %w", err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	scheme, client := "http", http.DefaultClient
	if overTLS {
		scheme = "https"
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // #nosec G402: self; expiry checked below
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		if leaf := resp.TLS.PeerCertificates[0]; time.Now().After(leaf.NotAfter) {
			return fmt.Errorf("the TLS certificate served expired on %s; browsers and Latipay refuse it", leaf.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: %s", resp.Status)
	}
	return nil
}

// Command runs `hpp selfcheck URL [baseline.json]`: without a
// baseline it prints one; with one it fails on drift (PCI DSS 11.6.1).
func Command(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) < 1 || len(args) > 2 {
		return errors.New("usage: hpp selfcheck URL [baseline.json]")
	}
	var baseline []byte
	if len(args) == 2 {
		b, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		baseline = b
	}
	return Check(ctx, args[0], baseline, &http.Client{Timeout: 30 * time.Second}, stdout)
}
