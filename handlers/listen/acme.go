package listen

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"
)

// acmeCert is a certificate for the public host from an ACME CA: obtained
// at start-up unless storage has one, and renewed in the background when
// a third of its lifetime is left, or earlier when the CA's renewal
// information (ARI) says so. certmagic also serves TLS-ALPN-01 challenges
// on the TLS listener and HTTP-01 through issuer's handler.
type acmeCert struct {
	magic     *certmagic.Config
	cache     *certmagic.Cache
	issuer    *certmagic.ACMEIssuer
	host      string
	directory string
	storage   string
	log       *slog.Logger
}

// newACME sets up certificate management; httpPort is 0 when there is no
// plain-HTTP listener (TLS-ALPN-01 only), and the ports are the ones
// listened on, so that certmagic leaves the challenges to our listeners.
func newACME(o Options, httpPort, tlsPort int) (*acmeCert, error) {
	var roots *x509.CertPool
	if o.ACMECARoot != "" {
		b, err := os.ReadFile(o.ACMECARoot)
		if err != nil {
			return nil, fmt.Errorf("HPP_ACME_CA_ROOT: cannot read the file: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(b) {
			return nil, errors.New("HPP_ACME_CA_ROOT: no PEM certificate in the file")
		}
	}
	if err := os.MkdirAll(o.ACMEStorage, 0o700); err != nil {
		return nil, fmt.Errorf("HPP_ACME_STORAGE: %w", err)
	}
	log := o.Log.With("component", "acme")
	zl := zap.New(slogCore{h: log.Handler()})
	m := &acmeCert{host: o.PublicURL.Hostname(), directory: o.ACMEDirectory, storage: o.ACMEStorage, log: log}
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert:   func(certmagic.Certificate) (*certmagic.Config, error) { return m.magic, nil },
		RenewCheckInterval: o.ACMECheck,
		Logger:             zl,
	})
	m.magic = certmagic.New(m.cache, certmagic.Config{
		Storage:           &certmagic.FileStorage{Path: o.ACMEStorage},
		DefaultServerName: m.host, // clients that send no SNI, such as `hpp healthcheck` on 127.0.0.1
		Logger:            zl,
	})
	m.issuer = certmagic.NewACMEIssuer(m.magic, certmagic.ACMEIssuer{
		CA:                   o.ACMEDirectory,
		Email:                o.ACMEEmail,
		Agreed:               true, // setting HPP_TLS=acme or HPP_ACME_EMAIL accepts the CA's terms (README.md here)
		TrustedRoots:         roots,
		DisableHTTPChallenge: httpPort == 0,
		AltHTTPPort:          httpPort,
		AltTLSALPNPort:       tlsPort,
		Logger:               zl,
	})
	m.magic.Issuers = []certmagic.Issuer{m.issuer}
	return m, nil
}

// tlsConfig answers handshakes with the managed certificate, and
// TLS-ALPN-01 challenges.
func (m *acmeCert) tlsConfig() *tls.Config { return m.magic.TLSConfig() }

// notAfter is when the certificate served for the host expires: the
// latest of those in the cache (certmagic replaces one renewed); zero
// before the first is in hand.
func (m *acmeCert) notAfter() time.Time {
	var t time.Time
	for _, c := range m.cache.AllMatchingCertificates(m.host) {
		if c.Leaf != nil && c.Leaf.NotAfter.After(t) {
			t = c.Leaf.NotAfter
		}
	}
	return t
}

// stop ends the background renewal.
func (m *acmeCert) stop() { m.cache.Stop() }

// obtain makes sure a certificate is in hand: the stored one, renewed if
// due, or a new one from the CA. When the CA cannot be reached but an
// unexpired certificate is stored, that one is served (renewal is retried
// in the background); with none, start-up fails.
func (m *acmeCert) obtain(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, obtainTimeout)
	defer cancel()
	err := m.magic.ManageSync(ctx, []string{m.host})
	if err == nil {
		return nil
	}
	for _, c := range m.cache.AllMatchingCertificates(m.host) {
		if !c.Expired() {
			m.log.Warn("acme: the certificate could not be renewed; serving the stored one until it can be",
				"host", m.host, "not_after", c.Leaf.NotAfter, "directory", m.directory, "error", err.Error())
			return nil
		}
	}
	return fmt.Errorf("HPP_ACME_DIRECTORY: no certificate for %s from %s and no valid one stored in %s (HPP_ACME_STORAGE); not starting without one: %w",
		m.host, m.directory, m.storage, err)
}
