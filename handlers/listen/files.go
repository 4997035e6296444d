package listen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// fileCert is the operator's certificate and key, read from their files
// and read again when either file's content changes (a renewal by
// certbot, a Kubernetes secret update). A pair that browsers and Latipay
// would refuse (expired, or not for the public host) is refused at start
// and on reload. A replacement that does not load (garbage, or a key that
// does not match) or is refused is logged at ERROR and the certificate in
// use stays; a new attempt is made when the files change again. A
// certificate replaced before its key logs one error, then loads when the
// key follows.
type fileCert struct {
	certFile, keyFile string
	host              string // the public host the certificate must cover
	log               *slog.Logger
	cur               atomic.Pointer[tls.Certificate] // never nil after newFileCert
	sum               [sha256.Size]byte               // of the files last tried; only watch touches it after newFileCert
}

// newFileCert loads the pair for host; an error names the setting at
// fault.
func newFileCert(certFile, keyFile, host string, log *slog.Logger) (*fileCert, error) {
	f := &fileCert{certFile: certFile, keyFile: keyFile, host: host, log: log.With("component", "tls")}
	c, sum, err := f.read()
	if err != nil {
		return nil, err
	}
	if err := usable(c.Leaf, host, time.Now()); err != nil {
		return nil, err
	}
	f.cur.Store(c)
	f.sum = sum
	return f, nil
}

// read reads and parses both files.
func (f *fileCert) read() (*tls.Certificate, [sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	cb, err := os.ReadFile(f.certFile)
	if err != nil {
		return nil, sum, fmt.Errorf("HPP_TLS_CERT_FILE: cannot read the file: %w", err)
	}
	kb, err := os.ReadFile(f.keyFile)
	if err != nil {
		return nil, sum, fmt.Errorf("HPP_TLS_KEY_FILE: cannot read the file: %w", err)
	}
	sum = sha256.Sum256(append(append(bytes.Clone(cb), 0), kb...))
	c, err := tls.X509KeyPair(cb, kb)
	if err != nil {
		// The parser's message names neither file; say which setting is
		// at fault without echoing the key's bytes.
		return nil, sum, fmt.Errorf("HPP_TLS_CERT_FILE, HPP_TLS_KEY_FILE: not a PEM certificate and its matching private key: %w", err)
	}
	if c.Leaf == nil {
		if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return nil, sum, fmt.Errorf("HPP_TLS_CERT_FILE: %w", err)
		}
	}
	return &c, sum, nil
}

func (f *fileCert) get(*tls.ClientHelloInfo) (*tls.Certificate, error) { return f.cur.Load(), nil }

// notAfter is when the certificate served expires.
func (f *fileCert) notAfter() time.Time { return f.cur.Load().Leaf.NotAfter }

// usable refuses a certificate that browsers and Latipay would refuse:
// expired, or whose names do not cover host. config's certUsable is the
// same check for check-config, in the same words.
func usable(leaf *x509.Certificate, host string, now time.Time) error {
	if now.After(leaf.NotAfter) {
		return fmt.Errorf("HPP_TLS_CERT_FILE: the certificate expired on %s; browsers and Latipay will refuse the connection: install a renewed one",
			leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if host != "" && leaf.VerifyHostname(host) != nil {
		return fmt.Errorf("HPP_TLS_CERT_FILE: the certificate is for %s, not HPP_PUBLIC_URL's host %s; browsers and Latipay will refuse the connection",
			certNames(leaf), host)
	}
	return nil
}

// certNames lists the names a certificate is for.
func certNames(c *x509.Certificate) string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no host name"
	}
	return strings.Join(names, ", ")
}

// watch checks the files every interval until ctx ends.
func (f *fileCert) watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f.reload()
		}
	}
}

// reload takes the files' new content if it loads, once per content.
func (f *fileCert) reload() {
	c, sum, err := f.read()
	if sum == f.sum { // unchanged, or unreadable again (logged once)
		return
	}
	f.sum = sum
	old := f.cur.Load().Leaf
	if err != nil {
		f.log.Error("tls: the certificate files changed but do not load; still serving the previous certificate",
			"error", err.Error(), "serving_not_after", old.NotAfter)
		return
	}
	if err := usable(c.Leaf, f.host, time.Now()); err != nil {
		f.log.Error("tls: the certificate files changed but the new certificate is refused; still serving the previous certificate",
			"error", err.Error(), "refused_not_after", c.Leaf.NotAfter, "serving_not_after", old.NotAfter)
		return
	}
	f.cur.Store(c)
	f.log.Info("tls: certificate reloaded", "subject", c.Leaf.Subject.String(), "not_after", c.Leaf.NotAfter,
		"previous_not_after", old.NotAfter)
}
