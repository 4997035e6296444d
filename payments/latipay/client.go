package latipay

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config configures New.
type Config struct {
	// BaseURL is the API root, e.g. https://api.latipay.net or a simulator
	// such as http://127.0.0.1:9999/sandbox/latipay. A trailing slash is
	// ignored. It must be an absolute http or https URL without user
	// info, query or fragment.
	BaseURL string
	// UserID is the merchant user id, e.g. U000334333.
	UserID string
	// APIKey is the wallet's signing secret. It is never logged, never
	// sent, and never put in an error string.
	APIKey string `json:"-"`
	// HTTPClient sends every request. nil means a client with dial and
	// TLS timeouts that does not follow redirects. Per-call deadlines are
	// applied through the context, so a caller-supplied client must not
	// set Timeout below 185 s or long-poll queries will be cut short.
	HTTPClient *http.Client
	// AllowedHosts lists the hosts (host or host:port, case-insensitive)
	// that a create response's host_url may point at, over https, in
	// addition to BaseURL's own host. nil means pay.latipay.net,
	// api.latipay.net and api-staging.latipay.net; an empty non-nil slice
	// allows only BaseURL's host.
	AllowedHosts []string
}

// String describes c with the API key redacted, so printing a Config with
// %v or %+v cannot leak it.
func (c Config) String() string {
	return fmt.Sprintf("latipay.Config{BaseURL:%q UserID:%q APIKey:[redacted]}", c.BaseURL, c.UserID)
}

// GoString is like String, for %#v.
func (c Config) GoString() string { return c.String() }

// defaultAllowedHosts is the host_url allow-list used when
// Config.AllowedHosts is nil. Unexported so nobody can widen it globally.
var defaultAllowedHosts = []string{"pay.latipay.net", "api.latipay.net", "api-staging.latipay.net"}

// Default per-call deadlines, applied with context.WithTimeout so an
// earlier deadline on the caller's context still wins.
const (
	createTimeout   = 15 * time.Second
	queryTimeout    = 10 * time.Second
	longPollTimeout = 185 * time.Second // Latipay holds is_block=1 up to 180 s
	refundTimeout   = 30 * time.Second
	cancelTimeout   = 15 * time.Second
	dataTimeout     = 15 * time.Second
)

// Client talks to one Latipay merchant account. It is safe for
// concurrent use.
type Client struct {
	base    *url.URL // absolute, no trailing slash in Path; never nil
	baseStr string   // base.String(), used to build endpoint URLs
	userID  string
	key     *apiKey // pointer so fmt prints an address, not the secret
	http    *http.Client
	allowed map[string]bool // lower-case hosts allowed over https
	timeout timeouts
}

// timeouts are the per-operation defaults; tests shorten them.
type timeouts struct {
	create, query, longPoll, refund, cancel, data time.Duration
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, errors.New("latipay: config: base url must be an absolute http or https url without user info, query or fragment")
	}
	if cfg.UserID == "" || !cleanText(cfg.UserID) {
		return nil, errors.New("latipay: config: user id is required")
	}
	if cfg.APIKey == "" {
		return nil, errors.New("latipay: config: api key is required")
	}
	hosts := cfg.AllowedHosts
	if hosts == nil {
		hosts = defaultAllowedHosts
	}
	allowed := make(map[string]bool, len(hosts))
	for _, h := range hosts {
		allowed[strings.ToLower(h)] = true
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient()
	}
	return &Client{
		base:    u,
		baseStr: u.String(),
		userID:  cfg.UserID,
		key:     &apiKey{s: cfg.APIKey},
		http:    hc,
		allowed: allowed,
		timeout: timeouts{
			create: createTimeout, query: queryTimeout, longPoll: longPollTimeout,
			refund: refundTimeout, cancel: cancelTimeout, data: dataTimeout,
		},
	}, nil
}

// CloseIdleConnections closes the kept-alive connections to Latipay that
// are idle now, so that the next call dials afresh (a test taking the
// simulator down: paymentstest.Env.StopSim).
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// defaultHTTPClient bounds connection set-up but not the whole exchange:
// deadlines come from the context, because a long-poll query legitimately
// waits up to 180 s for its response headers. Redirects are not followed:
// Latipay's API does not redirect, and following one would resend a signed
// body to another URL.
func defaultHTTPClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   10 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
			// Keep a connection per concurrent checkout start: with fewer,
			// a burst of starts opens (and, over TLS, handshakes) a new
			// connection for most calls (e2e/load: start scenario).
			MaxIdleConnsPerHost: 64,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
