package config

import (
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
		{"files", map[string]string{"HPP_PUBLIC_URL": "https://pay.example.com", "HPP_TLS_CERT_FILE": "/c.pem", "HPP_TLS_KEY_FILE": "/k.pem", "HPP_HTTP_ADDR": ":8080", "HPP_ADDR": ":8443"}, ":8443",
			TLS{Mode: TLSFiles, HTTPAddr: ":8080", CertFile: "/c.pem", KeyFile: "/k.pem"}},
	} {
		c, err := Load(func(k string) string { return tc.env[k] })
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
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
