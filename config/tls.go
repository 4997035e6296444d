package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// TLS modes (HPP_TLS).
const (
	TLSOff   = "off"   // plain HTTP; a proxy in front terminates TLS
	TLSACME  = "acme"  // a certificate from an ACME CA, obtained and renewed by the app
	TLSFiles = "files" // the operator's certificate and key files, reloaded when they change
)

// LetsEncrypt is the default ACME directory.
const LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory"

// TLS is how the app serves HTTPS itself. See the settings table in
// handlers/listen/README.md; handlers/listen does the work.
type TLS struct {
	Mode          string        // HPP_TLS: TLSOff, TLSACME or TLSFiles
	HTTPAddr      string        // HPP_HTTP_ADDR: plain-HTTP listener (redirect, HTTP-01); "" for none
	ACMEEmail     string        // HPP_ACME_EMAIL
	ACMEDirectory string        // HPP_ACME_DIRECTORY
	ACMECARoot    string        // HPP_ACME_CA_ROOT: PEM file trusted for the directory's own TLS; "" for the system's
	ACMEStorage   string        // HPP_ACME_STORAGE: where account, keys and certificates live
	ACMECheck     time.Duration // HPP_ACME_CHECK_INTERVAL: how often renewal is considered
	CertFile      string        // HPP_TLS_CERT_FILE
	KeyFile       string        // HPP_TLS_KEY_FILE
}

// tls reads the HPP_TLS settings. The mode defaults to files when a
// certificate file is named, to acme when HPP_PUBLIC_URL is https and
// HPP_ACME_EMAIL is set, and to off otherwise (a proxy terminates TLS).
func (r *reader) tls(public *url.URL, database string) TLS {
	t := TLS{
		ACMEEmail:     r.str("HPP_ACME_EMAIL", ""),
		ACMEDirectory: r.str("HPP_ACME_DIRECTORY", LetsEncrypt),
		ACMECARoot:    r.str("HPP_ACME_CA_ROOT", ""),
		CertFile:      r.str("HPP_TLS_CERT_FILE", ""),
		KeyFile:       r.str("HPP_TLS_KEY_FILE", ""),
	}
	https := public != nil && public.Scheme == "https"
	def := TLSOff
	switch {
	case t.CertFile != "" || t.KeyFile != "":
		def = TLSFiles
	case https && t.ACMEEmail != "":
		def = TLSACME
	}
	t.Mode = strings.ToLower(r.str("HPP_TLS", def))
	switch t.Mode {
	case TLSOff:
		return TLS{Mode: TLSOff}
	case TLSACME, TLSFiles:
	default:
		r.bad("HPP_TLS", "must be off, acme or files")
		return TLS{Mode: TLSOff}
	}
	if !https {
		r.bad("HPP_PUBLIC_URL", "must be an https URL when HPP_TLS is %s (the certificate is for its host name)", t.Mode)
	}
	t.HTTPAddr = r.str("HPP_HTTP_ADDR", ":80")
	if t.HTTPAddr == "off" {
		t.HTTPAddr = ""
	} else if _, _, err := splitHostPort(t.HTTPAddr); err != nil {
		r.bad("HPP_HTTP_ADDR", "must be host:port, :port or off, such as :80")
	}
	if t.Mode == TLSFiles {
		if t.CertFile == "" || t.KeyFile == "" {
			r.bad("HPP_TLS_CERT_FILE", "and HPP_TLS_KEY_FILE are both required when HPP_TLS is files")
		} else {
			r.certFiles(t.CertFile, t.KeyFile, public)
		}
		return TLS{Mode: t.Mode, HTTPAddr: t.HTTPAddr, CertFile: t.CertFile, KeyFile: t.KeyFile}
	}
	if t.CertFile != "" || t.KeyFile != "" {
		r.bad("HPP_TLS_CERT_FILE", "is for HPP_TLS=files; with acme the certificate comes from the CA")
	}
	if u, err := url.Parse(t.ACMEDirectory); err != nil || u.Scheme != "https" || u.Host == "" {
		r.bad("HPP_ACME_DIRECTORY", "must be an https URL such as %s", LetsEncrypt)
	}
	if t.ACMEEmail != "" && !strings.Contains(t.ACMEEmail, "@") {
		r.bad("HPP_ACME_EMAIL", "must be an email address")
	}
	// Beside the SQLite file, the data volume; in the working directory
	// with PostgreSQL.
	storage := "acme"
	if !strings.Contains(database, "://") {
		storage = filepath.Join(filepath.Dir(database), "acme")
	}
	t.ACMEStorage = r.str("HPP_ACME_STORAGE", storage)
	t.ACMECheck = r.duration("HPP_ACME_CHECK_INTERVAL", 10*time.Minute, time.Second)
	return t
}

// effective lists the TLS settings that apply to the mode, for
// check-config (none of them is secret: the key is a file path).
func (t TLS) effective() [][2]string {
	out := [][2]string{{"HPP_TLS", t.Mode}}
	if t.Mode == TLSOff {
		return out
	}
	httpAddr := t.HTTPAddr
	if httpAddr == "" {
		httpAddr = "off"
	}
	out = append(out, [2]string{"HPP_HTTP_ADDR", httpAddr})
	if t.Mode == TLSFiles {
		return append(out, [2]string{"HPP_TLS_CERT_FILE", t.CertFile}, [2]string{"HPP_TLS_KEY_FILE", t.KeyFile})
	}
	email, root := t.ACMEEmail, t.ACMECARoot
	if email == "" {
		email = "(none)"
	}
	if root == "" {
		root = "(system roots)"
	}
	return append(out, [2]string{"HPP_ACME_EMAIL", email}, [2]string{"HPP_ACME_DIRECTORY", t.ACMEDirectory},
		[2]string{"HPP_ACME_CA_ROOT", root}, [2]string{"HPP_ACME_STORAGE", t.ACMEStorage},
		[2]string{"HPP_ACME_CHECK_INTERVAL", t.ACMECheck.String()})
}

// certFiles loads the certificate and key as start-up will
// (handlers/listen), so that check-config refuses what start-up refuses,
// in the same words: a certificate that has expired or whose names do not
// cover HPP_PUBLIC_URL's host (browsers and Latipay would refuse it) is a
// problem; a key file that group or others may read, a warning.
func (r *reader) certFiles(certFile, keyFile string, public *url.URL) {
	cb, err := os.ReadFile(certFile)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("HPP_TLS_CERT_FILE: cannot read the file: %w", reason(err)))
		return
	}
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("HPP_TLS_KEY_FILE: cannot read the file: %w", reason(err)))
		return
	}
	if fi, err := os.Stat(keyFile); err == nil && fi.Mode().Perm()&0o066 != 0 {
		r.warnings = append(r.warnings, fmt.Sprintf("HPP_TLS_KEY_FILE: %s may be read by group or others (mode %04o); chmod 600 it", keyFile, fi.Mode().Perm()))
	}
	pair, err := tls.X509KeyPair(cb, kb)
	if err != nil {
		// The parser's message names neither file, and never the key's bytes.
		r.errs = append(r.errs, fmt.Errorf("HPP_TLS_CERT_FILE, HPP_TLS_KEY_FILE: not a PEM certificate and its matching private key: %w", err))
		return
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			r.errs = append(r.errs, fmt.Errorf("HPP_TLS_CERT_FILE: %w", err))
			return
		}
	}
	host := ""
	if public != nil {
		host = public.Hostname()
	}
	if err := certUsable(leaf, host, time.Now()); err != nil {
		r.errs = append(r.errs, err)
	}
}

// certUsable refuses a certificate that browsers and Latipay would refuse:
// one that has expired, or whose names do not cover host (HPP_PUBLIC_URL's
// host; "" skips that check). Start-up, check-config and the reload of
// the files (handlers/listen, which has its own copy as it imports nothing
// of this module) apply it alike; the error names HPP_TLS_CERT_FILE.
func certUsable(leaf *x509.Certificate, host string, now time.Time) error {
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
