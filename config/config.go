// Package config reads the environment once into a typed Config. It is the
// only code that reads the environment; run passes each part on.
//
// Settings are read by section (server, merchant, Latipay, sandbox, limits),
// each by a small typed reader in config.go; every problem is reported at
// once, and secrets are the Secret type, which never prints. Secrets may
// come from X_FILE (secretfile.go); TLS settings are in tls.go; check.go is
// hpp check-config. It imports only the standard library and
// payments/accounts/passwordrule, the back office's one password rule
// (itself standard library only), which the first owner's
// HPP_ADMIN_PASSWORD_FILE follows as every password does. To add a
// setting: a field, its reader in the section's function, a row in the
// README's configuration table, and a test beside the others here.
package config

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // HPP_SHOP_TIMEZONE works without the system's zone files
	"unicode"
	"unicode/utf8"

	"github.com/latipay-hpp/hpp/payments/accounts/passwordrule"
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

// Config is every setting of the app, by section; each section's fields
// are promoted, so cfg.Addr is cfg.Server.Addr. See the README's
// configuration table.
type Config struct {
	Server
	Merchant
	Latipay
	SandboxSettings
	Limits
	Admin
	TLS TLS // HPP_TLS and the settings beside it (tls.go); not embedded: its names are its own

	Warnings []string // problems tolerated (secret files others may read); run logs them
	// FromFile names the settings whose value came from their X_FILE
	// (HPP_DATABASE among them when DatabaseFrom says so), so that
	// check-config says where each value came from.
	FromFile []string
	// RefusedFiles says, for each secret whose X_FILE is set but was
	// refused (unreadable, writable by others, a symlink out of its
	// directory, empty…), why, in the words of its problem without the
	// setting's name: the file's path and the cause, never its content.
	// check-config shows it in place of "(not set)".
	RefusedFiles map[string]string
}

// Server is where and how the process serves.
type Server struct {
	Addr           string     // HPP_ADDR
	PublicURL      *url.URL   // HPP_PUBLIC_URL, no trailing slash
	Database       string     // HPP_DATABASE or HPP_DATABASE_FILE: SQLite path (or postgres:// URL, password included)
	DatabaseFrom   string     // the setting Database came from, for messages: HPP_DATABASE or HPP_DATABASE_FILE
	SessionKey     Secret     // HPP_SESSION_KEY: cookies and socket tokens (its first, current key)
	OldSessionKeys []Secret   // HPP_SESSION_KEY's other keys while rotating: what they made is still read
	LogLevel       slog.Level // HPP_LOG_LEVEL
	TrustedProxies []string   // HPP_TRUSTED_PROXIES
	MetricsAddr    string     // HPP_METRICS_ADDR: Prometheus metrics listener; "" for none
}

// Merchant is the shop the pages are for: its look, its keys, its
// payments' settings and its webhook.
type Merchant struct {
	MerchantName     string        // HPP_MERCHANT_NAME
	MerchantTaxNo    string        // HPP_MERCHANT_TAX_NUMBER: printed on receipts; "" for none
	MerchantLogo     []byte        // HPP_MERCHANT_LOGO: the image file's content, read at start-up
	MerchantLogoType string        // its media type (image/png, image/jpeg, image/webp, image/svg+xml)
	AccentColor      string        // HPP_ACCENT_COLOR: #rrggbb, lower case; "" for the default
	MerchantOrigins  []string      // HPP_MERCHANT_ORIGINS
	Methods          []string      // HPP_METHODS
	PaymentWindow    time.Duration // HPP_PAYMENT_WINDOW
	APIKey           Secret        // HPP_API_KEY: merchant API bearer key (its first, current key)
	OldAPIKeys       []Secret      // HPP_API_KEY's other keys while rotating: still accepted
	LinkSecret       Secret        // HPP_LINK_SECRET: signs /pay links
	WebhookURL       string        // HPP_WEBHOOK_URL: merchant webhook endpoint; "" sends none
	WebhookSecrets   []Secret      // HPP_WEBHOOK_SECRET: comma-separated, current first (rotation)
}

// Latipay is the gateway account, or in sandbox mode the simulator's.
type Latipay struct {
	Sandbox        bool              // on exactly when LATIPAY_API_KEY is unset
	LatipayURL     string            // LATIPAY_API_URL
	LatipayUserID  string            // LATIPAY_USER_ID
	LatipayKey     Secret            // LATIPAY_API_KEY
	Wallets        map[string]string // LATIPAY_WALLET_*: currency -> wallet id
	ReconcileEvery time.Duration     // HPP_RECONCILE_INTERVAL
	ReconcileRate  int               // HPP_RECONCILE_RATE: Latipay queries a second, per instance
}

// SandboxSettings are the sandbox mode's own settings (Latipay.Sandbox
// is whether it is on).
type SandboxSettings struct {
	SandboxCallbacks time.Duration // HPP_SANDBOX_CALLBACK_INTERVAL
	// NoDemoOwner (HPP_SANDBOX_DEMO_OWNER=off) leaves out the sandbox's
	// demo owner, so the sandbox starts like a first run: with a setup link.
	NoDemoOwner bool
	// Generated names the secrets generated because unset (and the
	// simulated LATIPAY_API_KEY); main.go's sandboxKeys replaces each with
	// the value the database's first sandbox start generated.
	Generated []string
}

// Admin is the back office's first owner, for automated installs.
type Admin struct {
	// AdminEmail (HPP_ADMIN_EMAIL) with AdminPassword
	// (HPP_ADMIN_PASSWORD_FILE, or HPP_ADMIN_PASSWORD) creates the owner
	// account at start-up unless an account with that email exists.
	AdminEmail    string
	AdminPassword Secret
	// ShopTimezone (HPP_SHOP_TIMEZONE, an IANA name such as
	// Pacific/Auckland) is the zone of every back-office time and of the
	// days that "today", the reports and the charts count in; unset, the
	// machine's local zone. Never nil after Load.
	ShopTimezone *time.Location
	// CounterCurrency (HPP_COUNTER_CURRENCY) is the currency the shop
	// counter's till charges in: one with a wallet. Unset, the currency of
	// the country of HPP_SHOP_TIMEZONE when it has a wallet (Australia/*:
	// AUD, Pacific/Auckland: NZD, Asia/Shanghai: CNY), else the first with
	// a wallet in the order NZD, AUD, CNY. Never "" after Load.
	CounterCurrency string
}

// Limits are the request limits' settings.
type Limits struct {
	// RateLimitsOff (HPP_RATE_LIMITS=off) turns the request limits off, for
	// load tests only: it is refused unless HPP_PUBLIC_URL is on loopback.
	RateLimitsOff bool
}

// MaxPaymentWindow is the longest HPP_PAYMENT_WINDOW: the API's longest
// expires_in (payments.MaxExpiresIn; main_test checks they agree), so
// that a payment made without one never outlives what a merchant may ask.
const MaxPaymentWindow = 24 * time.Hour

// weak are values seen in documentation that must never guard real money.
var weak = map[string]bool{"111222333": true, "changeme": true, "secret": true, "password": true}

// Probe is one of start-up's checks that need more than the environment
// (the database's content, read without changing it: config/cli makes
// them). Its error is a problem; its note is neither a problem nor a
// warning.
type Probe func(Config) (note string, err error)

// Load reads and validates every setting, section by section, reporting
// all problems at once. When there are problems, probes run too if the
// database's setting is sound, so that a problem with the database (say,
// live on a database the sandbox has used) is reported with the others
// instead of after they are fixed. Without problems the caller opens the
// database and checks it itself.
func Load(getenv func(string) string, probes ...Probe) (Config, error) {
	c, errs := load(getenv)
	if len(errs) > 0 {
		// One problem a line, each prefixed: run logs each line as a
		// record of its own, which must say what it is about. The
		// probes' problems are the database's, in start-up's words.
		for i, err := range errs {
			errs[i] = fmt.Errorf("config: %w", err)
		}
		errs = append(errs, c.probe(probes)...)
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// Served is where the server listens (HPP_ADDR, or its default for the
// TLS mode) and whether it speaks TLS there, read as start-up reads them
// but without judging the rest of the configuration: hpp healthcheck asks
// the running server, which may serve a good certificate while the files
// on disk hold one that start-up (and Load) would refuse.
func Served(getenv func(string) string) (addr string, overTLS bool) {
	c, _ := load(getenv)
	return c.Addr, c.TLS.Mode != TLSOff
}

// probe runs probes, unless the database's setting has a problem (the
// one it would check is then unknown), and returns their errors; it drops
// their notes.
func (c Config) probe(probes []Probe) []error {
	var errs []error
	for _, p := range probes {
		if c.Database == "" {
			break
		}
		if _, err := p(c); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// load reads every setting it can and returns every problem with them:
// Load and Check share it.
func load(getenv func(string) string) (Config, []error) {
	r := &reader{getenv: getenv}
	var c Config
	c.Latipay = r.latipay() // first: whether this is the sandbox decides what the others accept
	c.Server = r.server(c.Sandbox)
	c.TLS = r.tls(c.PublicURL, c.Database)
	if c.TLS.Mode != TLSOff && r.str("HPP_ADDR", "") == "" {
		c.Addr = ":443"
	}
	c.Merchant = r.merchant(c.Sandbox)
	c.Limits = r.limits(c.PublicURL)
	c.Admin = r.admin()
	c.SandboxCallbacks = r.duration("HPP_SANDBOX_CALLBACK_INTERVAL", 30*time.Second, 100*time.Millisecond)
	switch v := r.str("HPP_SANDBOX_DEMO_OWNER", "on"); v {
	case "on", "off":
		c.NoDemoOwner = v == "off"
	default:
		r.bad("HPP_SANDBOX_DEMO_OWNER", "must be on or off")
	}
	if c.Sandbox {
		c.Generated = sandbox(&c)
	} else {
		r.live(&c)
		r.proxied(c)
	}
	c.CounterCurrency = r.counterCurrency(c)
	c.Warnings = r.warnings
	c.FromFile = r.fromFile
	c.RefusedFiles = r.refusedFiles
	if c.DatabaseFrom == "HPP_DATABASE_FILE" {
		c.FromFile = append(c.FromFile, "HPP_DATABASE")
	}
	return c, r.errs
}

// admin reads the first owner's settings: both or neither.
func (r *reader) admin() Admin {
	a := Admin{AdminEmail: r.str("HPP_ADMIN_EMAIL", ""), AdminPassword: r.secret("HPP_ADMIN_PASSWORD"),
		ShopTimezone: parseZone(r.str("HPP_SHOP_TIMEZONE", ""), r.bad)}
	// The password is named as the setting it came from; unset, as the
	// file the README documents.
	pw := "HPP_ADMIN_PASSWORD_FILE"
	if strings.TrimSpace(r.getenv("HPP_ADMIN_PASSWORD")) != "" {
		pw = "HPP_ADMIN_PASSWORD"
	}
	switch {
	case a.AdminEmail == "" && a.AdminPassword != "":
		r.bad("HPP_ADMIN_EMAIL", "is needed with %s", pw)
	case a.AdminEmail != "" && a.AdminPassword == "":
		r.bad(pw, "is needed with HPP_ADMIN_EMAIL: a file holding the owner's password")
	case a.AdminEmail != "" && passwordrule.Check(a.AdminPassword.Reveal()) != "":
		// The rule the back office holds every password to, in its words,
		// so that start-up never refuses what this passed.
		r.bad(pw, "the owner's password is refused: %s", passwordrule.Words(passwordrule.Check(a.AdminPassword.Reveal())))
	case a.AdminEmail != "" && !strings.Contains(a.AdminEmail, "@"):
		r.bad("HPP_ADMIN_EMAIL", "must be an email address")
	}
	return a
}

// parseZone reads HPP_SHOP_TIMEZONE: an IANA zone name, "" for the
// machine's local zone. The zone database is compiled in (time/tzdata),
// so a name works the same in a minimal container.
func parseZone(name string, bad func(string, string, ...any)) *time.Location {
	if name == "" {
		return time.Local
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		bad("HPP_SHOP_TIMEZONE", "must be an IANA time zone name such as Pacific/Auckland or Asia/Shanghai")
		return time.UTC
	}
	return loc
}

// reader reads typed settings from the environment and collects every
// problem instead of stopping at the first.
type reader struct {
	getenv   func(string) string
	errs     []error
	warnings []string // secretfile.go: *_FILE files that group or others may read
	fromFile []string // the settings read from their X_FILE (Config.FromFile)
	// refusedFiles: the settings whose X_FILE was refused, and why
	// (Config.RefusedFiles).
	refusedFiles map[string]string
}

// bad records a problem with setting name, named as the setting its
// value came from: NAME_FILE when only that is set (From).
func (r *reader) bad(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: "+format, append([]any{r.from(name)}, args...)...))
}

// from is From of this reader's environment.
func (r *reader) from(name string) string { return From(r.getenv, name) }

// FileSettings are the settings that may also come from a file named by
// NAME_FILE (the secrets, read by reader.secret, and HPP_DATABASE, read
// by Database): each is read and checked alike whichever way it comes.
var FileSettings = []string{"HPP_DATABASE", "HPP_API_KEY", "HPP_LINK_SECRET", "HPP_SESSION_KEY",
	"HPP_WEBHOOK_SECRET", "HPP_ADMIN_PASSWORD", "LATIPAY_API_KEY"}

// From names the setting name's value comes from, for messages about
// it: name_FILE when name is one of FileSettings and only its file is
// set, else name (also when neither is set: a default, or what is
// missing, is name's).
func From(getenv func(string) string, name string) string {
	if slices.Contains(FileSettings, name) && strings.TrimSpace(getenv(name)) == "" && getenv(name+"_FILE") != "" {
		return name + "_FILE"
	}
	return name
}

// str is the setting's value without surrounding space, or def if unset.
func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

// secret reads name, or the file NAME_FILE names (a container secret).
func (r *reader) secret(name string) Secret {
	v, f := r.getenv(name), r.getenv(name+"_FILE")
	if v != "" && f != "" {
		r.bad(name, "set either %s or %s_FILE, not both", name, name)
	}
	if f != "" {
		fv, warning, err := readSecretFile(name+"_FILE", f)
		if err == nil && fv == "" {
			// Empty is a mount gone wrong, never "unset": the sandbox
			// would quietly generate a key, and live would blame name.
			err = fmt.Errorf("%s_FILE: %s is empty", name, f)
		}
		if err != nil {
			r.errs = append(r.errs, err)
			r.refused(name, err)
			return ""
		}
		if warning != "" {
			r.warnings = append(r.warnings, warning)
		}
		v = fv
		r.fromFile = append(r.fromFile, name)
	}
	return Secret(strings.TrimSpace(v))
}

// refused records why name's X_FILE was refused (Config.RefusedFiles):
// err, a problem that names the file, its path and the cause, never its
// content.
func (r *reader) refused(name string, err error) {
	if r.refusedFiles == nil {
		r.refusedFiles = map[string]string{}
	}
	r.refusedFiles[name] = strings.TrimPrefix(err.Error(), name+"_FILE: ")
}

// keys reads a key that may be rotated: comma-separated, the current one
// first, then those still accepted (as HPP_WEBHOOK_SECRET's).
func (r *reader) keys(name string) (current Secret, old []Secret) {
	for i, k := range splitList(r.secret(name).Reveal()) {
		if i == 0 {
			current = Secret(k)
		} else {
			old = append(old, Secret(k))
		}
	}
	return current, old
}

// duration reads a duration of at least min.
func (r *reader) duration(name string, def, min time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min {
		r.bad(name, "must be a duration of at least %s, such as %q", min, def.String())
		return def
	}
	return d
}

// count reads a whole number from min to max.
func (r *reader) count(name string, def, min, max int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		r.bad(name, "must be a whole number from %d to %d, such as %d", min, max, def)
		return def
	}
	return n
}

// latipay reads the gateway account; the sandbox is on exactly when
// LATIPAY_API_KEY is unset, and so is LATIPAY_API_KEY_FILE: a file that
// is set but refused (missing, empty, writable by others) says live all
// the same, so its problem is reported with every other live one rather
// than as the sandbox's only. What a live account requires is checked by
// live, once the public URL is known.
func (r *reader) latipay() Latipay {
	l := Latipay{
		LatipayKey:     r.secret("LATIPAY_API_KEY"),
		LatipayUserID:  r.str("LATIPAY_USER_ID", ""),
		ReconcileEvery: r.duration("HPP_RECONCILE_INTERVAL", 5*time.Second, 100*time.Millisecond),
		ReconcileRate:  r.count("HPP_RECONCILE_RATE", 20, 1, 1000),
		Wallets:        map[string]string{},
	}
	l.Sandbox = l.LatipayKey == "" && !liveIntended(r.getenv)
	for _, cur := range []string{"NZD", "AUD", "CNY"} {
		if w := r.str("LATIPAY_WALLET_"+cur, ""); w != "" {
			l.Wallets[cur] = w
		}
	}
	return l
}

// liveIntended reports whether the environment asks for live mode:
// LATIPAY_API_KEY or LATIPAY_API_KEY_FILE is set, whether or not the key
// could be read.
func liveIntended(getenv func(string) string) bool {
	return strings.TrimSpace(getenv("LATIPAY_API_KEY")) != "" || getenv("LATIPAY_API_KEY_FILE") != ""
}

// server reads where and how to serve.
func (r *reader) server(sandbox bool) Server {
	s := Server{
		Addr: r.str("HPP_ADDR", ":8080"),
	}
	s.DatabaseFrom = DatabaseSetting(r.getenv)
	s.SessionKey, s.OldSessionKeys = r.keys("HPP_SESSION_KEY")
	if db, warning, err := Database(r.getenv); err != nil {
		r.errs = append(r.errs, err)
		if db == "" && s.DatabaseFrom == "HPP_DATABASE_FILE" {
			// The file itself refused (its content is never kept).
			r.refused("HPP_DATABASE", err)
		}
	} else if s.Database = db; warning != "" {
		r.warnings = append(r.warnings, warning)
	}
	// New SQLite files are made 0600 (payments/sqlite); one an earlier
	// version made keeps the mode it was given, and holds the back
	// office's accounts and sessions.
	if pg := strings.HasPrefix(s.Database, "postgres://") || strings.HasPrefix(s.Database, "postgresql://"); !pg && s.Database != "" {
		if fi, err := os.Stat(s.Database); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o066 != 0 {
			r.warnings = append(r.warnings, fmt.Sprintf("%s: %s may be read by group or others (mode %04o): it holds the back office's accounts and sessions; chmod 600 it (and its -wal and -shm files)",
				s.DatabaseFrom, s.Database, fi.Mode().Perm()))
		}
	}
	// Unset, the sandbox's public URL is this machine on the port listened
	// on, so that its printed links work with any HPP_ADDR. Live, it is
	// required: that default would put localhost in every checkout link
	// and in the callback address Latipay is given, and only the default
	// would get past the https rule below.
	defaultPublic := "http://localhost:8080"
	if _, port, err := splitHostPort(s.Addr); err == nil && port > 0 {
		defaultPublic = "http://localhost:" + strconv.Itoa(port)
	}
	pub := strings.TrimRight(r.str("HPP_PUBLIC_URL", defaultPublic), "/")
	u, err := url.Parse(pub)
	if !sandbox && r.str("HPP_PUBLIC_URL", "") == "" {
		r.bad("HPP_PUBLIC_URL", "is required when taking real payments: set the https URL that shoppers and Latipay reach this app at, "+
			"such as https://pay.example.com (checkout links and Latipay's callback address are made from it)")
	} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		r.bad("HPP_PUBLIC_URL", "must be an absolute http(s) URL such as https://pay.example.com")
	} else if u.Path != "" {
		// Pages and printed links are root-absolute (/static/…, /checkout/…):
		// under a path they would all miss.
		r.bad("HPP_PUBLIC_URL", "must have no path (%s): serve the app at the root of its own host name, such as https://pay.example.com", u.Path)
	} else {
		s.PublicURL = u
		if !sandbox && u.Scheme != "https" && !isLocal(u.Hostname()) {
			r.bad("HPP_PUBLIC_URL", "must use https when taking real payments")
		}
	}
	if _, _, err := splitHostPort(s.Addr); err != nil {
		r.bad("HPP_ADDR", "must be host:port or :port, such as :8080")
	}
	switch lv := strings.ToLower(r.str("HPP_LOG_LEVEL", "info")); lv {
	case "debug", "info", "warn", "error":
		_ = s.LogLevel.UnmarshalText([]byte(lv))
	default:
		r.bad("HPP_LOG_LEVEL", "must be debug, info, warn or error")
	}
	if v := r.str("HPP_TRUSTED_PROXIES", ""); v != "" {
		s.TrustedProxies = splitList(v)
		for _, p := range s.TrustedProxies {
			if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil { // as gin reads them
				r.bad("HPP_TRUSTED_PROXIES", "%q is not an IP address or CIDR range such as 10.0.0.1 or 10.0.0.0/8", p)
			} else if publicRange(p) {
				r.warnings = append(r.warnings, fmt.Sprintf("HPP_TRUSTED_PROXIES: %s covers a large part of the public internet, so any client there can "+
					"set X-Forwarded-For to any address and slip past the per-address limits (sign-in attempts, pages, sockets); "+
					"set it to your proxy's own address or network as the app sees it (such as 172.17.0.1 for a proxy on the Docker host, or 10.0.0.0/8)", p))
			}
		}
	}
	s.MetricsAddr = parseMetricsAddr(r.str("HPP_METRICS_ADDR", ""), s.Addr, r.bad)
	return s
}

// publicRange reports whether the HPP_TRUSTED_PROXIES entry p (a valid
// address or CIDR range) covers a large part of the public internet: an
// IPv4 range wider than /16, or an IPv6 one wider than /32, that is not
// inside private, loopback, link-local or shared (carrier NAT) space.
// 0.0.0.0/0 and ::/0 are the usual mistakes; a proxy's own address, or
// the private network it is on, is what belongs there.
func publicRange(p string) bool {
	prefix, err := netip.ParsePrefix(p)
	if err != nil {
		return false // one address
	}
	addr, bits := prefix.Addr(), prefix.Bits()
	if addr.Is4In6() && bits >= 96 {
		addr, bits = addr.Unmap(), bits-96
		prefix = netip.PrefixFrom(addr, bits)
	}
	widest := 32
	if addr.Is4() {
		widest = 16
	}
	if bits >= widest {
		return false
	}
	for _, private := range privateRanges {
		if private.Overlaps(prefix) && private.Bits() <= bits {
			return false // inside it
		}
	}
	return true
}

// privateRanges are address spaces no public client comes from.
var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("fc00::/7"), netip.MustParsePrefix("fe80::/10"),
}

// merchant reads the shop's look, keys, payment settings and webhook.
func (r *reader) merchant(sandbox bool) Merchant {
	m := Merchant{
		MerchantName:  r.str("HPP_MERCHANT_NAME", "Demo Shop"),
		LinkSecret:    r.secret("HPP_LINK_SECRET"),
		PaymentWindow: r.duration("HPP_PAYMENT_WINDOW", 15*time.Minute, 30*time.Second),
	}
	if m.PaymentWindow > MaxPaymentWindow {
		r.bad("HPP_PAYMENT_WINDOW", "must be at most %s (%d seconds, the longest expires_in the API accepts), such as 15m",
			"24h", int(MaxPaymentWindow.Seconds()))
		m.PaymentWindow = 15 * time.Minute
	}
	m.APIKey, m.OldAPIKeys = r.keys("HPP_API_KEY")
	m.MerchantLogo, m.MerchantLogoType = readLogo(r.str("HPP_MERCHANT_LOGO", ""), r.bad)
	m.AccentColor = parseAccent(r.str("HPP_ACCENT_COLOR", ""), r.bad)
	m.MerchantTaxNo = parseTaxNumber(r.str("HPP_MERCHANT_TAX_NUMBER", ""), r.bad)
	m.MerchantOrigins = parseOrigins(r.str("HPP_MERCHANT_ORIGINS", ""), sandbox, r.bad)
	m.Methods = parseMethods(r.str("HPP_METHODS", "wechat,alipay"), r.bad)
	m.WebhookURL, m.WebhookSecrets = parseWebhook(r.str("HPP_WEBHOOK_URL", ""), r.secret("HPP_WEBHOOK_SECRET"), sandbox, r.bad)
	return m
}

// limits reads the request limits' switch; off is for load tests on
// loopback only.
func (r *reader) limits(public *url.URL) Limits {
	var l Limits
	switch r.str("HPP_RATE_LIMITS", "on") {
	case "on":
	case "off":
		l.RateLimitsOff = true
		if public == nil || !isLocal(public.Hostname()) {
			r.bad("HPP_RATE_LIMITS", "may be off only for load tests on loopback (HPP_PUBLIC_URL on 127.0.0.1 or localhost)")
		}
	default:
		r.bad("HPP_RATE_LIMITS", "must be on or off")
	}
	return l
}

// sandbox fills in the simulator's account and generates the secrets left
// unset; it returns the names of those generated.
func sandbox(c *Config) (generated []string) {
	c.LatipayUserID = "U000000001"
	c.Wallets = map[string]string{"NZD": "W000000001", "AUD": "W000000002", "CNY": "W000000003"}
	c.LatipayKey = Secret(randomHex(32))
	generated = append(generated, "LATIPAY_API_KEY") // the simulated account's: main.go keeps the first start's
	if c.PublicURL != nil {
		c.LatipayURL = c.PublicURL.String() + "/sandbox/latipay"
	}
	for _, s := range []struct {
		name   string
		secret *Secret
	}{{"HPP_API_KEY", &c.APIKey}, {"HPP_LINK_SECRET", &c.LinkSecret}, {"HPP_SESSION_KEY", &c.SessionKey}} {
		if *s.secret == "" {
			*s.secret = Secret(randomHex(24))
			generated = append(generated, s.name)
		}
	}
	return generated
}

// proxied warns, live, of a plain listener behind an https public URL
// (so a proxy terminates TLS) with no HPP_TRUSTED_PROXIES: every request
// then seems to come from the proxy, so each per-address limit (sign-in
// attempts, pages, sockets) is one budget for the whole shop, and anyone
// can use up the owner's sign-in attempts.
func (r *reader) proxied(c Config) {
	if c.TLS.Mode != TLSOff || c.PublicURL == nil || c.PublicURL.Scheme != "https" || len(c.TrustedProxies) > 0 {
		return
	}
	r.warnings = append(r.warnings, "HPP_TRUSTED_PROXIES: unset while HPP_TLS is off behind the https HPP_PUBLIC_URL, so every request seems to come from the proxy "+
		"and the per-address limits (sign-in attempts, pages, sockets) are shared by all shoppers: anyone could lock the owner out of signing in; "+
		"set it to your proxy's address as the app sees it (such as 172.17.0.1 for a proxy on the Docker host, or 10.0.0.0/8)")
}

// live checks what taking real payments requires: Latipay's URL, account
// and wallets, and strong secrets.
func (r *reader) live(c *Config) {
	c.LatipayURL = r.str("LATIPAY_API_URL", "https://api.latipay.net")
	if lu, err := url.Parse(c.LatipayURL); err != nil || (lu.Scheme != "https" && !isLocal(lu.Hostname())) || lu.Host == "" {
		r.bad("LATIPAY_API_URL", "must be an https URL such as https://api.latipay.net")
	}
	if c.LatipayUserID == "" {
		r.bad("LATIPAY_USER_ID", "is required with %s (your Latipay user id, such as U000334333)", r.from("LATIPAY_API_KEY"))
	}
	if len(c.Wallets) == 0 {
		r.bad("LATIPAY_WALLET_NZD", "at least one of LATIPAY_WALLET_NZD, LATIPAY_WALLET_AUD or LATIPAY_WALLET_CNY is required")
	}
	if lu, err := url.Parse(c.LatipayURL); err == nil && lu.Scheme == "https" && !latipayHost(lu.Hostname()) {
		r.warnings = append(r.warnings, fmt.Sprintf("LATIPAY_API_URL: %s is not a Latipay host (*.latipay.net); payments and refunds will be sent there, signed with LATIPAY_API_KEY", lu.Hostname()))
	}
	switch k := c.LatipayKey.Reveal(); {
	case k == "":
		// Set but unread (its file refused): that problem is reported.
	case weak[k]:
		r.bad("LATIPAY_API_KEY", "is an example value from the documentation")
	case len(k) < 8 || guessBits(k) < 20:
		r.bad("LATIPAY_API_KEY", "is too short or too regular to be a Latipay API key (copy it from the merchant portal)")
	case len(k) < 16:
		// Latipay does not publish its keys' length; a short one is
		// suspicious but may be real, so it warns instead of refusing.
		r.warnings = append(r.warnings, r.from("LATIPAY_API_KEY")+": shorter than 16 characters; check that it was copied whole from the merchant portal")
	}
	// which names the key of a rotation (a list of several) that is
	// refused, by its place, never by its value.
	strong := func(name, which string, s Secret, required bool) {
		switch {
		case s == "" && required:
			r.bad(name, "is required when taking real payments (at least 32 random characters)")
		case s != "" && (len(s) < 32 || weak[s.Reveal()] || guessBits(s.Reveal()) < 64):
			r.bad(name, "%smust be at least 32 random characters (this one is short or too regular: use openssl rand -hex 32)", which)
		}
	}
	strong("HPP_API_KEY", nth(0, len(c.OldAPIKeys)+1, "key"), c.APIKey, true)
	strong("HPP_SESSION_KEY", nth(0, len(c.OldSessionKeys)+1, "key"), c.SessionKey, true)
	strong("HPP_LINK_SECRET", "", c.LinkSecret, false)
	for i, k := range c.OldAPIKeys { // each key of a rotation gets the same checks
		strong("HPP_API_KEY", nth(i+1, len(c.OldAPIKeys)+1, "key"), k, false)
	}
	for i, k := range c.OldSessionKeys {
		strong("HPP_SESSION_KEY", nth(i+1, len(c.OldSessionKeys)+1, "key"), k, false)
	}
	type named struct {
		name string
		s    Secret
	}
	keys := []named{{"LATIPAY_API_KEY", c.LatipayKey}, {"HPP_API_KEY", c.APIKey}, {"HPP_SESSION_KEY", c.SessionKey}, {"HPP_LINK_SECRET", c.LinkSecret}}
	for _, k := range c.OldAPIKeys {
		keys = append(keys, named{"HPP_API_KEY", k})
	}
	for _, k := range c.OldSessionKeys {
		keys = append(keys, named{"HPP_SESSION_KEY", k})
	}
	for _, w := range c.WebhookSecrets {
		keys = append(keys, named{"HPP_WEBHOOK_SECRET", w})
	}
	for i, a := range keys {
		for _, b := range keys[i+1:] {
			if a.s != "" && a.s == b.s && a.name == b.name {
				r.bad(b.name, "names one key twice: each key of a rotation needs its own value")
			} else if a.s != "" && a.s == b.s {
				r.bad(b.name, "has the same value as %s: each key needs its own value", r.from(a.name))
			}
		}
	}
	if len(c.WebhookSecrets) == 0 {
		r.warnings = append(r.warnings, "HPP_WEBHOOK_SECRET: unset, so the Back-to-shop redirect carries no sig and the shop cannot tell it from a forged one; set it (at least 32 random characters) even without HPP_WEBHOOK_URL")
	}
	if len(c.MerchantOrigins) == 0 {
		r.warnings = append(r.warnings, "HPP_MERCHANT_ORIGINS: unset, so return_url and cancel_url may be any https URL and no shop page may embed the checkout; set your shop's origins, such as https://shop.example.com")
	}
}

// latipayHost reports whether host is Latipay's.
func latipayHost(host string) bool {
	return host == "latipay.net" || strings.HasSuffix(host, ".latipay.net") || isLocal(host)
}

// guessBits estimates the entropy of a key in bits as its length times
// the Shannon entropy of its characters, less what repeating a shorter
// block saves: "aaaa..." is 0, 32 random hex digits at least about 90, a
// 32-character repetition of "abcd" 8. It judges how a key was made, not
// how it could be guessed, so it only refuses the obviously weak.
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

// Database returns HPP_DATABASE, or the content of HPP_DATABASE_FILE (a
// PostgreSQL URL with its password, mounted as a secret), and a warning
// about that file's mode if any. It is what the backup and restore
// commands need of the configuration.
func Database(getenv func(string) string) (database, warning string, err error) {
	v, f := strings.TrimSpace(getenv("HPP_DATABASE")), getenv("HPP_DATABASE_FILE")
	switch {
	case v != "" && f != "":
		return "", "", errors.New("HPP_DATABASE: set either HPP_DATABASE or HPP_DATABASE_FILE, not both")
	case f != "":
		v, warning, err = readSecretFile("HPP_DATABASE_FILE", f)
		if err == nil && v == "" {
			err = fmt.Errorf("HPP_DATABASE_FILE: %s is empty", f)
		}
		if err == nil {
			err = databaseProblem("HPP_DATABASE_FILE", v)
		}
		return v, warning, err
	case v == "":
		v = "hpp.db"
	}
	return v, "", databaseProblem("HPP_DATABASE", v)
}

// DatabaseSetting names the setting the database comes from, for
// messages about it: HPP_DATABASE_FILE when only that is set, else
// HPP_DATABASE (also when neither is: hpp.db is HPP_DATABASE's default).
func DatabaseSetting(getenv func(string) string) string { return From(getenv, "HPP_DATABASE") }

// databaseProblem refuses what would otherwise become a SQLite file named
// after a connection string: another engine's URL, or PostgreSQL's
// keyword form (host=… password=…). The message names the setting the
// value came from and never repeats the value, which may hold a password.
func databaseProblem(name, v string) error {
	if i := strings.Index(v, "://"); i > 0 && !strings.ContainsAny(v[:i], `/\`) {
		scheme := strings.ToLower(v[:i])
		if scheme == "postgres" || scheme == "postgresql" {
			return nil
		}
		return fmt.Errorf("%s: %q URLs are not supported: give a SQLite file path (such as hpp.db) or a postgres:// URL", name, scheme)
	}
	for _, f := range strings.Fields(v) {
		if k, _, ok := strings.Cut(f, "="); ok && postgresKeywords[strings.ToLower(k)] {
			return fmt.Errorf("%s: looks like a PostgreSQL keyword connection string (host=… dbname=…); write it as a URL: postgres://user:password@host:port/dbname", name)
		}
	}
	return nil
}

// postgresKeywords are libpq's usual connection keywords: a SQLite path
// holding "dbname=" is a connection string gone to the wrong setting.
var postgresKeywords = map[string]bool{"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true,
	"password": true, "sslmode": true, "connect_timeout": true, "application_name": true, "search_path": true}

// zoneCurrency is the currency of the country of each time zone that
// names one of the wallets' countries: the till's default currency for a
// shop whose HPP_SHOP_TIMEZONE is there.
func zoneCurrency(zone string) string {
	switch {
	case zone == "Pacific/Auckland" || zone == "Pacific/Chatham" || zone == "NZ" || zone == "NZ-CHAT":
		return "NZD"
	case strings.HasPrefix(zone, "Australia/"):
		return "AUD"
	case zone == "Asia/Shanghai" || zone == "Asia/Chongqing" || zone == "Asia/Chungking" || zone == "Asia/Harbin" ||
		zone == "Asia/Urumqi" || zone == "Asia/Kashgar" || zone == "PRC":
		return "CNY"
	}
	return ""
}

// counterCurrency reads HPP_COUNTER_CURRENCY: one of the currencies with
// a wallet (c's wallets are read already). Unset, the shop's zone's
// currency when it has a wallet, else the first currency with one.
func (r *reader) counterCurrency(c Config) string {
	have := c.Currencies()
	v := strings.ToUpper(r.str("HPP_COUNTER_CURRENCY", ""))
	if v != "" {
		if !slices.Contains([]string{"NZD", "AUD", "CNY"}, v) {
			r.bad("HPP_COUNTER_CURRENCY", "must be NZD, AUD or CNY (the currency the shop counter's till charges in)")
			return first(have)
		}
		if !slices.Contains(have, v) {
			r.bad("HPP_COUNTER_CURRENCY", "is %s, which has no wallet: set LATIPAY_WALLET_%s, or choose one of %s", v, v, strings.Join(have, ", "))
			return first(have)
		}
		return v
	}
	if c.ShopTimezone != nil && c.ShopTimezone != time.Local {
		if cur := zoneCurrency(c.ShopTimezone.String()); slices.Contains(have, cur) {
			return cur
		}
	}
	return first(have)
}

// first is the first of list, "" when it is empty.
func first(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
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
		// As a browser writes an origin (the frame-ancestors source, the
		// embedding page's Origin): no default port, the host in lower case.
		host := strings.ToLower(u.Host)
		if p := u.Port(); (u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80") {
			host = strings.TrimSuffix(host, ":"+p)
		}
		out = append(out, u.Scheme+"://"+host)
	}
	return out
}

func parseMethods(v string, bad func(string, string, ...any)) []string {
	var out []string
	for _, m := range splitList(strings.ToLower(v)) {
		switch {
		case slices.Contains(out, m):
			// The checkout would show its button twice.
			bad("HPP_METHODS", "names %q twice: name each method once", m)
		case m == "wechat", m == "alipay", m == "upi_upop":
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

// parseMetricsAddr checks the metrics listener: host:port, and never the
// public listener (the numbers are for the operator, not the internet).
func parseMetricsAddr(v, public string, bad func(string, string, ...any)) string {
	if v == "" {
		return ""
	}
	if _, _, err := splitHostPort(v); err != nil {
		bad("HPP_METRICS_ADDR", "must be host:port or :port, such as 127.0.0.1:9090")
		return ""
	}
	host, port, _ := splitHostPort(v)
	phost, pport, _ := splitHostPort(public)
	wild := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "[::]" }
	if port != 0 && port == pport && (host == phost || wild(host) || wild(phost)) {
		bad("HPP_METRICS_ADDR", "must not be the public address (HPP_ADDR %s); give the metrics a port of their own", public)
		return ""
	}
	return v
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
	list := splitList(secrets.Reveal())
	for i, s := range list {
		if !sandbox && (len(s) < 32 || weak[s] || guessBits(s) < 64) {
			which := nth(i, len(list), "secret")
			if which == "" {
				which = "the secret "
			}
			bad("HPP_WEBHOOK_SECRET", "%smust be at least 32 random characters", which)
		}
		out = append(out, Secret(s))
	}
	if raw == "" {
		return "", out
	}
	u, err := url.Parse(raw)
	refused := false
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && (sandbox || isLocal(u.Hostname())))) {
		bad("HPP_WEBHOOK_URL", "must be an https URL such as https://shop.example.com/hpp/webhook")
		refused = true
	}
	if err == nil && u.User != nil {
		// Named for what it is: the URL may well be https.
		bad("HPP_WEBHOOK_URL", "holds a user name or password (user:password@host): credentials in the URL are not accepted; "+
			"check each request's Hpp-Signature header, and if your endpoint wants a token of its own, put it in the query "+
			"(https://shop.example.com/hpp/webhook?token=…), which check-config and the back office show masked")
		refused = true
	}
	if refused {
		return "", out
	}
	if len(out) == 0 {
		bad("HPP_WEBHOOK_SECRET", "is required with HPP_WEBHOOK_URL (at least 32 random characters)")
	}
	return u.String(), out
}

// nth names the i-th (from 0) of n comma-separated keys by its place,
// "the second key ", for a message about it; "" when there is one.
func nth(i, n int, what string) string {
	if n < 2 {
		return ""
	}
	places := []string{"first", "second", "third", "fourth", "fifth"}
	if i < len(places) {
		return "the " + places[i] + " " + what + " "
	}
	return fmt.Sprintf("%s %d ", what, i+1)
}

// Reveal returns each secret's value, current first.
func Reveal(secrets []Secret) []string {
	out := make([]string, len(secrets))
	for i, s := range secrets {
		out[i] = s.Reveal()
	}
	return out
}

// Keys are the keys derived from HPP_SESSION_KEY, one per use, so that no
// two uses share a key.
type Keys struct {
	SocketToken  []byte // signs the checkout page's socket tokens
	SessionHash  []byte // authenticates the session cookie
	SessionBlock []byte // encrypts the session cookie (AES-256)
	TOTPSeal     []byte // seals back-office two-step keys at rest (AES-256)
	ReceiptToken []byte // keys the e-receipt links' tokens (package receipts)
}

// Keys derives each key as HMAC-SHA256(HPP_SESSION_KEY, label), from its
// first (current) key.
func (c Config) Keys() Keys { return derive(c.SessionKey) }

// OldKeys are the keys derived from HPP_SESSION_KEY's other keys while it
// is rotated: what they signed or sealed is still read, and made again
// under Keys.
func (c Config) OldKeys() []Keys {
	out := make([]Keys, len(c.OldSessionKeys))
	for i, k := range c.OldSessionKeys {
		out[i] = derive(k)
	}
	return out
}

func derive(sessionKey Secret) Keys {
	key := func(label string) []byte {
		m := hmac.New(sha256.New, []byte(sessionKey.Reveal()))
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	return Keys{SocketToken: key("socket-token"), SessionHash: key("session-hash"), SessionBlock: key("session-block")[:32],
		TOTPSeal: key("totp-seal"), ReceiptToken: key("e-receipt-token")}
}

// WalletCurrencies maps each wallet id to its currency: the other way
// round from Wallets, as the sandbox's simulator looks wallets up.
func (c Config) WalletCurrencies() map[string]string {
	out := make(map[string]string, len(c.Wallets))
	for cur, id := range c.Wallets {
		out[id] = cur
	}
	return out
}

// parseTaxNumber checks the shop's tax number (GST, ABN, ...), printed on
// receipts as given: at most 40 printable characters.
func parseTaxNumber(v string, bad func(string, string, ...any)) string {
	v = strings.TrimSpace(v)
	ok := utf8.ValidString(v) && utf8.RuneCountInString(v) <= 40
	for _, r := range v {
		ok = ok && unicode.IsPrint(r)
	}
	if !ok {
		bad("HPP_MERCHANT_TAX_NUMBER", "must be at most 40 printable characters, such as 123-456-789")
		return ""
	}
	return v
}
