package config

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Check is `hpp check-config`: it prints the effective configuration
// (defaults applied, secrets masked) and then every problem at once, and
// returns an error when start-up would refuse this configuration, so that
// a deploy script or an init container can stop before the app does.
// Warnings (secret files others may read) do not fail the check.
//
// probes are start-up's checks that need more than the environment (the
// database's content: config/cli passes them); they run whenever the
// database's setting is sound, alongside the other problems, as every
// problem is reported at once. A probe's error is a problem (a database
// that cannot be reached is one, as at start-up); its note is neither a
// problem nor a warning about the configuration.
func Check(getenv func(string) string, w io.Writer, probes ...Probe) error {
	c, errs := load(getenv)
	var notes []string
	for _, probe := range probes {
		if c.Database == "" {
			break
		}
		note, err := probe(c)
		if err != nil {
			errs = append(errs, err)
		}
		if note != "" {
			notes = append(notes, note)
		}
	}
	mode := fmt.Sprintf("live (%s is set: real payments)", From(getenv, "LATIPAY_API_KEY"))
	if c.Sandbox {
		mode = "sandbox (LATIPAY_API_KEY is unset: no real money moves)"
	}
	fmt.Fprintf(w, "hpp check-config: %s mode\n\n", mode)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, kv := range c.Effective() {
		fmt.Fprintf(tw, "%s\t%s\n", kv[0], kv[1])
	}
	tw.Flush()
	if len(c.Warnings) > 0 {
		fmt.Fprintln(w)
	}
	for _, warning := range c.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
	}
	for _, note := range notes {
		fmt.Fprintf(w, "note: %s\n", note)
	}
	if len(errs) == 0 {
		fmt.Fprintln(w, "\nok: the app would start with this configuration")
		return nil
	}
	fmt.Fprintln(w)
	for _, err := range errs {
		fmt.Fprintf(w, "problem: %s\n", err)
	}
	return fmt.Errorf("check-config: %d problem(s); the app would refuse to start", len(errs))
}

// Effective lists each setting's effective value as (name, value), in the
// README's order, secrets masked: a secret shows only whether it is set
// and how long it is, a database URL only without its password; a value
// read from NAME_FILE says so.
func (c Config) Effective() [][2]string {
	secret := func(name string, s Secret) [2]string {
		switch {
		case slices.Contains(c.Generated, name):
			// main.go's sandboxKeys keeps the first start's value in the database.
			return [2]string{name, "(generated on the first sandbox start, kept in the database)"}
		case s == "" && c.RefusedFiles[name] != "":
			// Set, but its file was refused: not "(not set)", which
			// would send the reader to set what is set.
			return [2]string{name, fmt.Sprintf("(%s_FILE is set but refused: %s)", name, c.RefusedFiles[name])}
		case s == "":
			return [2]string{name, "(not set)"}
		}
		return [2]string{name, fmt.Sprintf("(set, %d characters)", len(s))}
	}
	rotated := func(kv [2]string, old []Secret) [2]string {
		for _, s := range old {
			kv[1] += fmt.Sprintf(", old (set, %d characters)", len(s))
		}
		return kv
	}
	or := func(v, none string) string {
		if v == "" {
			return none
		}
		return v
	}
	list := func(v []string) string { return or(strings.Join(v, ","), "(none)") }
	public := "(none)"
	if c.PublicURL != nil {
		public = c.PublicURL.String()
	}
	var webhookSecrets []string
	for _, s := range c.WebhookSecrets {
		webhookSecrets = append(webhookSecrets, fmt.Sprintf("(set, %d characters)", len(s)))
	}
	zone := "(the machine's zone)"
	if c.ShopTimezone != nil && c.ShopTimezone != time.Local {
		zone = c.ShopTimezone.String()
	}
	rateLimits := "on"
	if c.RateLimitsOff {
		rateLimits = "off"
	}
	out := [][2]string{
		{"HPP_ADDR", c.Addr},
		{"HPP_PUBLIC_URL", public},
		{"HPP_DATABASE", maskDatabase(c.Database)},
	}
	if c.Database == "" && c.RefusedFiles["HPP_DATABASE"] != "" {
		out[len(out)-1][1] = "(HPP_DATABASE_FILE is set but refused: " + c.RefusedFiles["HPP_DATABASE"] + ")"
	}
	out = append(out, c.TLS.effective()...)
	out = append(out, [][2]string{
		rotated(secret("HPP_API_KEY", c.APIKey), c.OldAPIKeys),
		secret("HPP_LINK_SECRET", c.LinkSecret),
		rotated(secret("HPP_SESSION_KEY", c.SessionKey), c.OldSessionKeys),
		{"HPP_MERCHANT_NAME", c.MerchantName},
		{"HPP_MERCHANT_LOGO", or(c.MerchantLogoType, "(none)")},
		{"HPP_MERCHANT_TAX_NUMBER", or(c.MerchantTaxNo, "(none)")},
		{"HPP_ACCENT_COLOR", or(c.AccentColor, "(default)")},
		{"HPP_MERCHANT_ORIGINS", list(c.MerchantOrigins)},
		{"HPP_METHODS", list(c.Methods)},
		{"HPP_PAYMENT_WINDOW", c.PaymentWindow.String()},
		{"HPP_RECONCILE_INTERVAL", c.ReconcileEvery.String()},
		{"HPP_RECONCILE_RATE", strconv.Itoa(c.ReconcileRate)},
		{"HPP_LOG_LEVEL", strings.ToLower(c.LogLevel.String())},
		{"HPP_METRICS_ADDR", or(c.MetricsAddr, "(off)")},
		{"HPP_WEBHOOK_URL", or(maskURL(c.WebhookURL), "(none)")},
		{"HPP_WEBHOOK_SECRET", list(webhookSecrets)},
		{"HPP_SHOP_TIMEZONE", zone},
		{"HPP_COUNTER_CURRENCY", or(c.CounterCurrency, "(none: no wallet)")},
		{"HPP_TRUSTED_PROXIES", list(c.TrustedProxies)},
		{"HPP_RATE_LIMITS", rateLimits},
		{"LATIPAY_API_URL", c.LatipayURL},
		{"LATIPAY_USER_ID", or(c.LatipayUserID, "(none)")},
		secret("LATIPAY_API_KEY", c.LatipayKey),
	}...)
	if c.Sandbox {
		out[len(out)-1][1] = "(unset: sandbox)"
		out = append(out, [2]string{"HPP_SANDBOX_CALLBACK_INTERVAL", c.SandboxCallbacks.String()})
	}
	for _, cur := range []string{"NZD", "AUD", "CNY"} {
		out = append(out, [2]string{"LATIPAY_WALLET_" + cur, or(c.Wallets[cur], "(none)")})
	}
	for i, kv := range out {
		if slices.Contains(c.FromFile, kv[0]) {
			out[i][1] += " (from " + kv[0] + "_FILE)"
		}
	}
	return out
}

// maskDatabase shows a PostgreSQL URL without its password (and without
// a password given as a query parameter); a SQLite path as it is.
func maskDatabase(db string) string {
	if !strings.HasPrefix(db, "postgres://") && !strings.HasPrefix(db, "postgresql://") {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "(a PostgreSQL URL that does not parse)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// maskURL shows a URL (the webhook endpoint's) with its scheme, host and
// path as they are and every value in its query, its fragment and any
// user name or password replaced by xxxxx: an endpoint may take a token
// in its query, as secret as a key. A query part with no "=" may itself
// be the token, so it is masked whole.
func maskURL(raw string) string {
	if raw == "" {
		return ""
	}
	const mask = "xxxxx"
	u, err := url.Parse(raw)
	if err != nil {
		return mask // never: the URL was parsed to be accepted
	}
	if u.User != nil {
		u.User = url.User(mask)
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			if k, _, ok := strings.Cut(p, "="); ok {
				parts[i] = k + "=" + mask
			} else if p != "" {
				parts[i] = mask
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	if u.Fragment != "" || u.RawFragment != "" {
		u.Fragment, u.RawFragment = mask, ""
	}
	return u.String()
}
