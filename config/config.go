// Package config reads the environment once into a typed Config. It is the
// only code that reads the environment; run passes each part on.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Secret is a string that never prints: fmt and slog show it redacted.
type Secret string

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reveal returns the secret's value, for the code that signs with it.
func (s Secret) Reveal() string { return string(s) }

// Config is every setting of the app. See the README's configuration table.
type Config struct {
	Addr             string        // HPP_ADDR
	PublicURL        *url.URL      // HPP_PUBLIC_URL, no trailing slash
	Database         string        // HPP_DATABASE: SQLite path (or postgres:// URL)
	APIKey           Secret        // HPP_API_KEY: merchant API bearer key
	LinkSecret       Secret        // HPP_LINK_SECRET: signs /pay links
	SessionKey       Secret        // HPP_SESSION_KEY: cookies and socket tokens
	MerchantName     string        // HPP_MERCHANT_NAME
	MerchantLogo     []byte        // HPP_MERCHANT_LOGO: the image file's content, read at start-up
	MerchantLogoType string        // its media type (image/png, image/jpeg, image/webp, image/svg+xml)
	AccentColor      string        // HPP_ACCENT_COLOR: #rrggbb, lower case; "" for the default
	MerchantOrigins  []string      // HPP_MERCHANT_ORIGINS
	Methods          []string      // HPP_METHODS
	PaymentWindow    time.Duration // HPP_PAYMENT_WINDOW
	ReconcileEvery   time.Duration // HPP_RECONCILE_INTERVAL
	ReconcileRate    int           // HPP_RECONCILE_RATE: Latipay queries a second, per instance
	LogLevel         slog.Level    // HPP_LOG_LEVEL
	TrustedProxies   []string      // HPP_TRUSTED_PROXIES
	WebhookURL       string        // HPP_WEBHOOK_URL: merchant webhook endpoint; "" sends none
	WebhookSecrets   []Secret      // HPP_WEBHOOK_SECRET: comma-separated, current first (rotation)
	// RateLimitsOff (HPP_RATE_LIMITS=off) turns the request limits off, for
	// load tests only: it is refused unless HPP_PUBLIC_URL is on loopback.
	RateLimitsOff bool

	Sandbox          bool // on exactly when LATIPAY_API_KEY is unset
	LatipayURL       string
	LatipayUserID    string
	LatipayKey       Secret
	Wallets          map[string]string // currency -> wallet id
	SandboxCallbacks time.Duration     // HPP_SANDBOX_CALLBACK_INTERVAL

	Generated []string // names of settings generated because unset (sandbox)
	Warnings  []string // problems tolerated in sandbox mode only; run logs them
}

// weak are values seen in documentation that must never guard real money.
var weak = map[string]bool{"111222333": true, "changeme": true, "secret": true, "password": true}

// Load reads and validates every setting, reporting all problems at once.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var exposed []string // *_FILE settings naming a file that group or others may read
	secret := func(name string) Secret {
		v, f := getenv(name), getenv(name+"_FILE")
		if v != "" && f != "" {
			bad(name, "set either %s or %s_FILE, not both", name, name)
		}
		if f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				bad(name+"_FILE", "cannot read the file")
				return ""
			}
			if fi, err := os.Stat(f); err == nil && fi.Mode().Perm()&0o077 != 0 {
				exposed = append(exposed, fmt.Sprintf("%s_FILE: the file is readable by group or others (mode %04o); chmod 600 it, or give the container secret mode 0400", name, fi.Mode().Perm()))
			}
			v = string(b)
		}
		return Secret(strings.TrimSpace(v))
	}
	dur := func(name string, def time.Duration, min time.Duration) time.Duration {
		v := get(name, "")
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < min {
			bad(name, "must be a duration of at least %s, such as %q", min, def.String())
			return def
		}
		return d
	}
	count := func(name string, def, min, max int) int {
		v := get(name, "")
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			bad(name, "must be a whole number from %d to %d, such as %d", min, max, def)
			return def
		}
		return n
	}
	c := Config{
		Addr:             get("HPP_ADDR", ":8080"),
		Database:         get("HPP_DATABASE", "hpp.db"),
		MerchantName:     get("HPP_MERCHANT_NAME", "Demo Shop"),
		APIKey:           secret("HPP_API_KEY"),
		LinkSecret:       secret("HPP_LINK_SECRET"),
		SessionKey:       secret("HPP_SESSION_KEY"),
		LatipayKey:       secret("LATIPAY_API_KEY"),
		LatipayUserID:    get("LATIPAY_USER_ID", ""),
		PaymentWindow:    dur("HPP_PAYMENT_WINDOW", 15*time.Minute, 30*time.Second),
		ReconcileEvery:   dur("HPP_RECONCILE_INTERVAL", 5*time.Second, 100*time.Millisecond),
		ReconcileRate:    count("HPP_RECONCILE_RATE", 20, 1, 1000),
		SandboxCallbacks: dur("HPP_SANDBOX_CALLBACK_INTERVAL", 30*time.Second, 100*time.Millisecond),
		Wallets:          map[string]string{},
	}
	c.Sandbox = c.LatipayKey == ""

	// Unset, the public URL is this machine on the port listened on, so
	// that the sandbox's printed links work with any HPP_ADDR.
	defaultPublic := "http://localhost:8080"
	if _, port, err := splitHostPort(c.Addr); err == nil && port > 0 {
		defaultPublic = "http://localhost:" + strconv.Itoa(port)
	}
	pub := strings.TrimRight(get("HPP_PUBLIC_URL", defaultPublic), "/")
	u, err := url.Parse(pub)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		bad("HPP_PUBLIC_URL", "must be an absolute http(s) URL such as https://pay.example.com")
	} else {
		c.PublicURL = u
		if !c.Sandbox && u.Scheme != "https" && !isLocal(u.Hostname()) {
			bad("HPP_PUBLIC_URL", "must use https when taking real payments")
		}
	}
	switch get("HPP_RATE_LIMITS", "on") {
	case "on":
	case "off":
		c.RateLimitsOff = true
		if c.PublicURL == nil || !isLocal(c.PublicURL.Hostname()) {
			bad("HPP_RATE_LIMITS", "may be off only for load tests on loopback (HPP_PUBLIC_URL on 127.0.0.1 or localhost)")
		}
	default:
		bad("HPP_RATE_LIMITS", "must be on or off")
	}
	if _, _, err := splitHostPort(c.Addr); err != nil {
		bad("HPP_ADDR", "must be host:port or :port, such as :8080")
	}
	c.MerchantLogo, c.MerchantLogoType = readLogo(get("HPP_MERCHANT_LOGO", ""), bad)
	c.AccentColor = parseAccent(get("HPP_ACCENT_COLOR", ""), bad)
	c.MerchantOrigins = parseOrigins(get("HPP_MERCHANT_ORIGINS", ""), c.Sandbox, bad)
	c.Methods = parseMethods(get("HPP_METHODS", "wechat,alipay"), bad)
	switch lv := strings.ToLower(get("HPP_LOG_LEVEL", "info")); lv {
	case "debug", "info", "warn", "error":
		_ = c.LogLevel.UnmarshalText([]byte(lv))
	default:
		bad("HPP_LOG_LEVEL", "must be debug, info, warn or error")
	}
	if v := get("HPP_TRUSTED_PROXIES", ""); v != "" {
		c.TrustedProxies = splitList(v)
	}
	c.WebhookURL, c.WebhookSecrets = parseWebhook(get("HPP_WEBHOOK_URL", ""), secret("HPP_WEBHOOK_SECRET"), c.Sandbox, bad)
	for _, cur := range []string{"NZD", "AUD", "CNY"} {
		if w := get("LATIPAY_WALLET_"+cur, ""); w != "" {
			c.Wallets[cur] = w
		}
	}

	if c.Sandbox {
		c.LatipayUserID = "U000000001"
		c.Wallets = map[string]string{"NZD": "W000000001", "AUD": "W000000002", "CNY": "W000000003"}
		c.LatipayKey = Secret(randomHex(32))
		if c.PublicURL != nil {
			c.LatipayURL = c.PublicURL.String() + "/sandbox/latipay"
		}
		for name, s := range map[string]*Secret{"HPP_API_KEY": &c.APIKey, "HPP_LINK_SECRET": &c.LinkSecret, "HPP_SESSION_KEY": &c.SessionKey} {
			if *s == "" {
				*s = Secret(randomHex(24))
				c.Generated = append(c.Generated, name)
			}
		}
	} else {
		c.LatipayURL = get("LATIPAY_API_URL", "https://api.latipay.net")
		if lu, err := url.Parse(c.LatipayURL); err != nil || (lu.Scheme != "https" && !isLocal(lu.Hostname())) || lu.Host == "" {
			bad("LATIPAY_API_URL", "must be an https URL such as https://api.latipay.net")
		}
		if c.LatipayUserID == "" {
			bad("LATIPAY_USER_ID", "is required with LATIPAY_API_KEY (your Latipay user id, such as U000334333)")
		}
		if len(c.Wallets) == 0 {
			bad("LATIPAY_WALLET_NZD", "at least one of LATIPAY_WALLET_NZD, LATIPAY_WALLET_AUD or LATIPAY_WALLET_CNY is required")
		}
		if lu, err := url.Parse(c.LatipayURL); err == nil && lu.Scheme == "https" && !latipayHost(lu.Hostname()) {
			c.Warnings = append(c.Warnings, fmt.Sprintf("LATIPAY_API_URL: %s is not a Latipay host (*.latipay.net); payments and refunds will be sent there, signed with LATIPAY_API_KEY", lu.Hostname()))
		}
		switch k := c.LatipayKey.Reveal(); {
		case weak[k]:
			bad("LATIPAY_API_KEY", "is an example value from the documentation")
		case len(k) < 16 || guessBits(k) < 30:
			bad("LATIPAY_API_KEY", "is too short or too regular to be a Latipay API key (copy it from the merchant portal)")
		}
		strong := func(name string, s Secret, required bool) {
			switch {
			case s == "" && required:
				bad(name, "is required when taking real payments (at least 32 random characters)")
			case s != "" && (len(s) < 32 || weak[s.Reveal()] || guessBits(s.Reveal()) < 64):
				bad(name, "must be at least 32 random characters (this one is short or too regular: use openssl rand -hex 32)")
			}
		}
		strong("HPP_API_KEY", c.APIKey, true)
		strong("HPP_SESSION_KEY", c.SessionKey, true)
		strong("HPP_LINK_SECRET", c.LinkSecret, false)
		keys := []struct {
			name string
			s    Secret
		}{{"LATIPAY_API_KEY", c.LatipayKey}, {"HPP_API_KEY", c.APIKey}, {"HPP_SESSION_KEY", c.SessionKey}, {"HPP_LINK_SECRET", c.LinkSecret}}
		for _, w := range c.WebhookSecrets {
			keys = append(keys, struct {
				name string
				s    Secret
			}{"HPP_WEBHOOK_SECRET", w})
		}
		for i, a := range keys {
			for _, b := range keys[i+1:] {
				if a.s != "" && a.s == b.s {
					bad(b.name, "has the same value as %s: each key needs its own value", a.name)
				}
			}
		}
	}
	// Test 105: a secret others on the host can read is not a secret.
	// Sandbox mode moves no money, so there it is only a warning.
	for _, e := range exposed {
		if c.Sandbox {
			c.Warnings = append(c.Warnings, e)
		} else {
			errs = append(errs, errors.New(e))
		}
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}

// latipayHost reports whether host is Latipay's.
func latipayHost(host string) bool {
	return host == "latipay.net" || strings.HasSuffix(host, ".latipay.net") || isLocal(host)
}

// guessBits estimates the entropy of a key in bits as its length times
// the Shannon entropy of its characters, less what repeating a shorter
// block saves: "aaaa..." is 0, 32 random hex digits at least about 90,
// a 32-character repetition of "abcd" 64. It judges how a key was made,
// not how it could be guessed, so it only refuses the obviously weak.
func guessBits(s string) float64 {
	if s == "" {
		return 0
	}
	for p := 1; p <= len(s)/2; p++ { // a repeated block carries only the block's bits
		if len(s)%p == 0 && strings.Repeat(s[:p], len(s)/p) == s {
			s = s[:p]
			break
		}
	}
	counts := map[rune]int{}
	n := 0
	for _, r := range s {
		counts[r]++
		n++
	}
	h := 0.0
	for _, c := range counts {
		p := float64(c) / float64(n)
		h -= p * math.Log2(p)
	}
	return h * float64(n)
}

// Currencies returns the currencies that have a wallet.
func (c Config) Currencies() []string {
	var out []string
	for _, cur := range []string{"NZD", "AUD", "CNY"} {
		if c.Wallets[cur] != "" {
			out = append(out, cur)
		}
	}
	return out
}

func parseOrigins(v string, sandbox bool, bad func(string, string, ...any)) []string {
	var out []string
	for _, o := range splitList(v) {
		u, err := url.Parse(o)
		local := err == nil && isLocal(u.Hostname())
		if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" ||
			(u.Scheme != "https" && !(u.Scheme == "http" && (sandbox || local))) || strings.Contains(o, "*") {
			bad("HPP_MERCHANT_ORIGINS", "%q is not an origin such as https://shop.example.com (no paths, no wildcards)", o)
			continue
		}
		out = append(out, u.Scheme+"://"+strings.ToLower(u.Host))
	}
	return out
}

func parseMethods(v string, bad func(string, string, ...any)) []string {
	var out []string
	for _, m := range splitList(strings.ToLower(v)) {
		switch m {
		case "wechat", "alipay", "upi_upop":
			out = append(out, m)
		default:
			bad("HPP_METHODS", "%q is not one of wechat, alipay, upi_upop", m)
		}
	}
	if len(out) == 0 {
		bad("HPP_METHODS", "must name at least one method")
	}
	return out
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func splitHostPort(addr string) (string, int, error) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return "", 0, errors.New("no port")
	}
	p, err := strconv.Atoi(addr[i+1:])
	if err != nil || p < 0 || p > 65535 {
		return "", 0, errors.New("bad port")
	}
	return addr[:i], p, nil
}

func isLocal(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// maxLogoSize bounds the logo file: it is held in memory and served with
// every page view.
const maxLogoSize = 256 << 10

// readLogo reads the merchant's logo file, served by us at /brand/logo so
// that the pages' CSP (img-src 'self') holds. Only image types browsers
// draw in <img> are accepted.
func readLogo(path string, bad func(string, string, ...any)) ([]byte, string) {
	if path == "" {
		return nil, ""
	}
	b, err := os.ReadFile(path)
	switch {
	case err != nil:
		bad("HPP_MERCHANT_LOGO", "cannot read the file")
		return nil, ""
	case len(b) == 0 || len(b) > maxLogoSize:
		bad("HPP_MERCHANT_LOGO", "must be an image file of at most %d KiB", maxLogoSize>>10)
		return nil, ""
	}
	ct := http.DetectContentType(b)
	if strings.HasSuffix(strings.ToLower(path), ".svg") && strings.Contains(string(b[:min(len(b), 1024)]), "<svg") {
		ct = "image/svg+xml"
	}
	switch ct {
	case "image/png", "image/jpeg", "image/webp", "image/gif", "image/svg+xml":
		return b, ct
	}
	bad("HPP_MERCHANT_LOGO", "must be a PNG, JPEG, WebP, GIF or SVG image")
	return nil, ""
}

// parseAccent accepts a #rrggbb colour.
func parseAccent(v string, bad func(string, string, ...any)) string {
	if v == "" {
		return ""
	}
	v = strings.ToLower(v)
	ok := len(v) == 7 && v[0] == '#'
	for _, r := range v[min(len(v), 1):] {
		ok = ok && (r >= '0' && r <= '9' || r >= 'a' && r <= 'f')
	}
	if !ok {
		bad("HPP_ACCENT_COLOR", "must be a colour such as #0b6e4f")
		return ""
	}
	return v
}

// parseWebhook checks the merchant webhook endpoint and its signing
// secrets. The endpoint must be https (http on localhost, or anywhere in
// sandbox mode). Secrets are comma-separated, the one to sign with first;
// during a rotation each request carries a signature for each.
func parseWebhook(raw string, secrets Secret, sandbox bool, bad func(string, string, ...any)) (string, []Secret) {
	var out []Secret
	for _, s := range splitList(secrets.Reveal()) {
		if !sandbox && (len(s) < 32 || weak[s] || guessBits(s) < 64) {
			bad("HPP_WEBHOOK_SECRET", "each secret must be at least 32 random characters")
		}
		out = append(out, Secret(s))
	}
	if raw == "" {
		return "", out
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && !(u.Scheme == "http" && (sandbox || isLocal(u.Hostname())))) {
		bad("HPP_WEBHOOK_URL", "must be an https URL such as https://shop.example.com/hpp/webhook")
		return "", out
	}
	if len(out) == 0 {
		bad("HPP_WEBHOOK_SECRET", "is required with HPP_WEBHOOK_URL (at least 32 random characters)")
	}
	return u.String(), out
}

// Reveal returns each secret's value, current first.
func Reveal(secrets []Secret) []string {
	out := make([]string, len(secrets))
	for i, s := range secrets {
		out[i] = s.Reveal()
	}
	return out
}
