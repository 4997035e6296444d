// Command hpp serves the Latipay hosted payment page. With no Latipay
// credentials it runs in sandbox mode: an embedded SQLite database and the
// built-in Latipay simulator, ready to click through.
//
// This file is the table of contents: commands lists every subcommand
// (adding one is one row), and run is the one place that wires the parts
// together; each part's package says what it owns.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/term"

	"github.com/latipay-hpp/hpp/config"
	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/handlers/listen"
	"github.com/latipay-hpp/hpp/handlers/ratelimit"
	"github.com/latipay-hpp/hpp/handlers/selfcheck"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/metrics"
	"github.com/latipay-hpp/hpp/payments/paymentstest/failpoint"
	"github.com/latipay-hpp/hpp/payments/pgbroker"
	"github.com/latipay-hpp/hpp/payments/postgres"
	"github.com/latipay-hpp/hpp/payments/sqlite"
	"github.com/latipay-hpp/hpp/payments/webhook"
	"github.com/latipay-hpp/hpp/static"
)

func main() {
	tuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "hpp:", err)
		stop()
		os.Exit(exitCode(err))
	}
}

// env is what a subcommand gets from the process.
type env struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

// command is one subcommand. run gets the arguments left after its flags;
// a nil run is the server, wired by run below.
type command struct {
	name, args, summary string
	minArgs, maxArgs    int
	run                 func(ctx context.Context, e env, args []string) error
}

// commands is every subcommand, in the order help lists them (set in init,
// as help reads the table).
var commands []command

func init() {
	commands = []command{
		{name: "serve", summary: "serve the payment pages and API (the default; configured by the environment, see README.md)"},
		{name: "healthcheck", summary: "ask this host's own /healthz on HPP_ADDR's port (the container's HEALTHCHECK)",
			run: func(ctx context.Context, e env, _ []string) error {
				cfg, err := config.Load(e.getenv) // the port, and whether it speaks TLS
				if err != nil {
					return err
				}
				return selfcheck.HealthCheck(ctx, cfg.Addr, cfg.TLS.Mode != config.TLSOff)
			}},
		{name: "selfcheck", args: "URL [baseline.json]", minArgs: 1, maxArgs: 2,
			summary: "print the checkout page's scripts and headers as a baseline, or compare with a saved one (PCI DSS 11.6.1)",
			run: func(ctx context.Context, e env, args []string) error {
				return selfcheck.Command(ctx, args, e.stdout)
			}},
		{name: "simulator", summary: "run the Latipay simulator on its own (HPP_SIM_ADDR), for load tests",
			run: func(ctx context.Context, e env, _ []string) error {
				return latipaysim.RunFromEnv(ctx, e.getenv, e.stdout, e.stderr)
			}},
		{name: "admin", args: "reset-password EMAIL", minArgs: 2, maxArgs: 2,
			summary: "give a back-office account a new random password, unlock it and end its sessions (on SQLite, stop the server first)",
			run:     adminCommand},
		{name: "check-config", summary: "print the effective configuration, secrets masked, and every problem; exit 1 if the app would refuse to start",
			run: func(_ context.Context, e env, _ []string) error { return config.Check(e.getenv, e.stdout) }},
		{name: "backup", args: "FILE", minArgs: 1, maxArgs: 1,
			summary: "copy the SQLite database (HPP_DATABASE) to FILE, consistently, while the server runs",
			run: func(ctx context.Context, e env, args []string) error {
				return backupCommand(ctx, "backup", args, e.getenv, e.stdout)
			}},
		{name: "restore", args: "FILE", minArgs: 1, maxArgs: 1,
			summary: "put a backup back in place of the SQLite database (HPP_DATABASE), with the server stopped",
			run: func(ctx context.Context, e env, args []string) error {
				return backupCommand(ctx, "restore", args, e.getenv, e.stdout)
			}},
		{name: "version", summary: "print the module version and the VCS revision it was built from",
			run: func(_ context.Context, e env, _ []string) error { return printVersion(e.stdout) }},
		{name: "help", args: "[command]", maxArgs: 1, summary: "print this help, or one command's",
			run: func(_ context.Context, e env, args []string) error { return help(e, args) }},
	}
}

// run is the only place that wires the app together. It returns when ctx
// ends (after a graceful shutdown) or on a start-up error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if serve, err := dispatch(ctx, args, env{getenv, stdout, stderr}); !serve {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	for _, w := range cfg.Warnings {
		log.Warn("config: " + w)
	}
	gin.SetMode(gin.ReleaseMode)
	h := hub.New()
	defer h.Close()
	st, err := openStorage(ctx, cfg.Database, h, log)
	if err != nil {
		return err
	}
	defer st.Close()
	acc, notes, err := backOffice(ctx, cfg, st)
	if err != nil {
		return err
	}
	var app http.Handler // set below; the sandbox simulator calls back into it in-process
	if cfg.Sandbox {
		if err := keepSandboxSecrets(ctx, st, &cfg); err != nil {
			return err
		}
	}
	sim, latipayHTTP, err := sandbox(cfg, st, log, func(w http.ResponseWriter, r *http.Request) { app.ServeHTTP(w, r) })
	if err != nil {
		return err
	}
	if sim != nil {
		defer sim.Close()
	}
	gw, err := gateway(cfg, latipayHTTP)
	if err != nil {
		return err
	}
	public := cfg.PublicURL.String()
	var ps payments.Store = st // wrapped for the metrics when they are on
	var pg payments.Gateway = gw
	var m *metrics.Metrics
	if cfg.MetricsAddr != "" {
		m = metrics.New(time.Now, h.Count)
		ps, pg = m.Store(st.store), m.Gateway(gw)
	}
	svc, err := payments.NewService(failpoint.WrapStore(getenv, ps), pg, h, log, time.Now, rand.Reader, payments.Options{
		CallbackURL:    public + handlers.CallbackPath,
		ReturnURLFor:   func(id string) string { return public + handlers.ReturnPath(id) },
		CheckoutURLFor: func(id string) string { return public + handlers.CheckoutPath(id) },
		DefaultExpiry:  cfg.PaymentWindow, Methods: methods(cfg.Methods), MerchantOrigins: cfg.MerchantOrigins,
		AllowLocalhost: cfg.Sandbox, Currencies: cfg.Currencies(),
	})
	if err != nil {
		return err
	}
	wh, err := webhook.New(ps, webhook.Options{URL: cfg.WebhookURL, Secrets: config.Reveal(cfg.WebhookSecrets), Now: time.Now, Rand: rand.Reader, Log: log.With("component", "webhook")})
	if err != nil {
		return err
	}
	assets, err := static.New()
	if err != nil {
		return err
	}
	opts := serverOptions(cfg, st, wh)
	if opts.Reports, err = payments.NewReports(st, time.Now, cfg.ShopTimezone); err != nil {
		return err
	}
	opts.Accounts, opts.AdminSessions = acc, handlers.NewAdminSessionStore(cfg.Keys().SessionHash, cfg.Keys().SessionBlock, cfg.PublicURL.Scheme == "https")
	opts.AccessLogLevel = accessLogLevel(cfg.Sandbox)
	shop := first(append(slices.Clone(cfg.MerchantOrigins), public)) // "back to the shop" from a link's payment
	if opts.Links, err = payments.NewLinks(st, svc, func(id string) string { return public + handlers.LinkPath(id) }, shop+"/"); err != nil {
		return err
	}
	opts.Currencies, opts.Settings, opts.CheckWallets = cfg.Currencies(), cfg.Effective(), gw.CheckWallets
	if opts.Counter, err = counterService(cfg, st, svc); err != nil {
		return err
	}
	if sim != nil {
		opts.Sandbox = sim
	}
	keys := cfg.Keys()
	app, err = handlers.NewServer(log, opts, svc, handlers.NewSessionStore(keys.SessionHash, keys.SessionBlock, cfg.PublicURL.Scheme == "https"), h, assets)
	if err != nil {
		return err
	}
	if m != nil { // the sandbox's callbacks come through app too
		app = m.Callbacks(handlers.CallbackPath, app)
	}
	srv, err := listen.Start(ctx, listenOptions(cfg, log), failpoint.WrapApp(getenv, app, handlers.CallbackPath)) // failpoints: test builds only
	if err != nil {
		return err
	}
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	go svc.Run(bg, cfg.ReconcileEvery, cfg.ReconcileRate)
	go wh.Run(bg)
	var mln net.Listener
	if m != nil {
		if mln, err = metrics.Listen(cfg.MetricsAddr, srv.Addr().String()); err != nil {
			_ = srv.Shutdown(context.Background())
			return err
		}
	}
	st.startBroker(bg)
	announce(stdout, cfg, srv.Addr(), notes)
	if m != nil {
		go func() {
			if err := m.Serve(bg, mln); err != nil {
				log.Error("metrics", "err", err)
			}
		}()
		fmt.Fprintf(stdout, "hpp: metrics on http://%s/metrics\n", mln.Addr())
	}
	return serve(ctx, srv, h, log, stopBG)
}

// counterService is the shop counter's: its sales are in the first
// currency with a wallet, and its day starts at midnight in the process's
// time zone (TZ).
func counterService(cfg config.Config, st store, svc *payments.Service) (*counter.Service, error) {
	return counter.NewService(st, accounts.NewHasher(1), st, svc, time.Now, rand.Reader,
		counter.Options{Currency: first(cfg.Currencies()), Location: time.Local})
}

// listenOptions are the listeners' and certificate's settings.
func listenOptions(cfg config.Config, log *slog.Logger) listen.Options {
	t := cfg.TLS
	return listen.Options{Mode: listen.Mode(t.Mode), Addr: cfg.Addr, HTTPAddr: t.HTTPAddr, PublicURL: cfg.PublicURL,
		ACMEEmail: t.ACMEEmail, ACMEDirectory: t.ACMEDirectory, ACMECARoot: t.ACMECARoot, ACMEStorage: t.ACMEStorage,
		ACMECheck: t.ACMECheck, CertFile: t.CertFile, KeyFile: t.KeyFile, Log: log}
}

// demoOwner is the sandbox's back-office owner.
const demoOwner = "owner@demo.test"

// backOffice builds the accounts service and makes sure someone can become
// the owner: HPP_ADMIN_EMAIL's account, the sandbox's demo owner, or else
// a one-time setup link. notes are printed with the start-up lines; the
// link's token is in them and nowhere else (the store keeps its hash).
func backOffice(ctx context.Context, cfg config.Config, db store) (acc *accounts.Service, notes []string, err error) {
	if acc, err = accounts.NewService(db, accounts.NewHasher(2), time.Now, rand.Reader); err != nil {
		return nil, nil, err
	}
	sys, admin := accounts.Actor{Email: "(start-up)"}, cfg.PublicURL.String()+handlers.AdminPath
	if cfg.AdminEmail != "" {
		if _, err := acc.EnsureOwner(ctx, cfg.AdminEmail, cfg.AdminPassword.Reveal(), sys); err != nil {
			return nil, nil, fmt.Errorf("HPP_ADMIN_EMAIL: %w", err)
		}
	}
	if cfg.Sandbox && !cfg.NoDemoOwner {
		// The demo password is generated on the database's first start and
		// kept with the sandbox's other generated values, so the printed
		// sign-in works after a restart.
		b := make([]byte, 15)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, err
		}
		pw, err := db.SandboxSetting(ctx, "HPP_DEMO_OWNER_PASSWORD", base64.RawURLEncoding.EncodeToString(b))
		if err != nil {
			return nil, nil, err
		}
		if err := acc.DemoOwner(ctx, demoOwner, pw, sys); err != nil {
			return nil, nil, err
		}
		notes = append(notes, fmt.Sprintf("back office: %s sign in as %s with password %s", admin, demoOwner, pw))
	}
	if ok, err := acc.HasOwner(ctx); err != nil || ok {
		return acc, notes, err
	}
	tok, err := acc.NewSetupToken(ctx)
	if err != nil {
		return nil, nil, err
	}
	return acc, append(notes, fmt.Sprintf("first run: create the owner account at %s?token=%s (works once, for 24 hours)", cfg.PublicURL.String()+handlers.SetupPath, tok)), nil
}

// adminCommand is `hpp admin reset-password EMAIL`.
func adminCommand(ctx context.Context, e env, args []string) error {
	if args[0] != "reset-password" {
		return usageError{fmt.Sprintf("admin: unknown action %q (want reset-password)", args[0])}
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	h := hub.New()
	defer h.Close()
	st, err := openStorage(ctx, cfg.Database, h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer st.Close()
	acc, err := accounts.NewService(st, accounts.NewHasher(1), time.Now, rand.Reader)
	if err != nil {
		return err
	}
	pw, err := acc.ResetPassword(ctx, args[1], accounts.Actor{Email: "(hpp admin reset-password)"})
	if errors.Is(err, accounts.ErrNotFound) || errors.Is(err, accounts.ErrInvalid) {
		return fmt.Errorf("admin: no account with email %q", args[1])
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "New password for %s: %s\nIt is unlocked and signed out everywhere; sign in and change it.\n", args[1], pw)
	return err
}

// gateway is Latipay (or, in the sandbox, the simulator through
// latipayHTTP) for the configured merchant and wallets.
func gateway(cfg config.Config, latipayHTTP *http.Client) (*latipay.Gateway, error) {
	client, err := latipay.New(latipay.Config{BaseURL: cfg.LatipayURL, UserID: cfg.LatipayUserID, APIKey: cfg.LatipayKey.Reveal(), HTTPClient: latipayHTTP})
	if err != nil {
		return nil, err
	}
	return latipay.NewGateway(client, cfg.Wallets)
}

// serverOptions are the HTTP layer's settings from the configuration.
func serverOptions(cfg config.Config, st *storage, wh *webhook.Worker) handlers.Options {
	return handlers.Options{PublicURL: cfg.PublicURL, MerchantName: cfg.MerchantName, MerchantOrigins: cfg.MerchantOrigins,
		Logo: cfg.MerchantLogo, LogoType: cfg.MerchantLogoType, AccentColor: cfg.AccentColor,
		TrustedProxies: cfg.TrustedProxies, APIKey: cfg.APIKey.Reveal(), LinkSecret: cfg.LinkSecret.Reveal(),
		TokenKey: cfg.Keys().SocketToken, FormActionHosts: latipay.FormActionOrigins(cfg.LatipayURL), Now: time.Now,
		Ready: func(r *http.Request) error { return st.Ping(r.Context()) }, Limits: ratelimit.Limits{Off: cfg.RateLimitsOff, NewLimiter: st.limiter},
		Webhooks: wh, RedirectSecret: first(config.Reveal(cfg.WebhookSecrets)), Location: cfg.ShopTimezone}
}

// usageError is a command line that was not understood: main exits with
// status 2 after the usage, and nothing is started.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitCode is the process's exit status for run's error.
func exitCode(err error) int {
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

// dispatch runs the subcommand args name, and reports serve=true when it
// is the server (no subcommand, or "serve"), which run wires. A name or
// flag it does not know prints the usage and is a usageError.
func dispatch(ctx context.Context, args []string, e env) (serve bool, err error) {
	name, rest := "serve", []string(nil)
	if len(args) > 1 {
		name, rest = args[1], args[2:]
	}
	switch name {
	case "-h", "-help", "--help":
		return false, help(e, nil)
	}
	cmd, ok := lookup(name)
	if !ok {
		usage(e.stderr)
		if strings.HasPrefix(name, "-") {
			return false, usageError{fmt.Sprintf("flag provided but not defined: %s", name)}
		}
		return false, usageError{fmt.Sprintf("unknown command %q", name)}
	}
	fs := flag.NewFlagSet("hpp "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, commandHelp(e.stdout, cmd)
		}
		commandHelp(e.stderr, cmd)
		return false, usageError{err.Error()}
	}
	if n := fs.NArg(); n < cmd.minArgs || n > cmd.maxArgs {
		commandHelp(e.stderr, cmd)
		return false, usageError{fmt.Sprintf("%s: wrong number of arguments", cmd.name)}
	}
	if cmd.run == nil {
		return true, nil
	}
	return false, cmd.run(ctx, e, fs.Args())
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// usage lists the commands.
func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: hpp [command] [arguments]\n\nThe Latipay hosted payment page. Without a command, hpp serves (see README.md for the settings).\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun \"hpp help COMMAND\" or \"hpp COMMAND --help\" for one command.")
}

// help prints the usage, or with a command name that command's help.
func help(e env, args []string) error {
	if len(args) == 0 {
		usage(e.stdout)
		return nil
	}
	cmd, ok := lookup(args[0])
	if !ok {
		usage(e.stderr)
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	return commandHelp(e.stdout, cmd)
}

func commandHelp(w io.Writer, c command) error {
	fmt.Fprintf(w, "Usage: hpp %s %s\n\n%s\n", c.name, c.args, c.summary)
	return nil
}

// printVersion prints the module version and the VCS revision recorded in
// the build info (go build in a git checkout records them).
func printVersion(w io.Writer) error {
	version, revision, modified := "(unknown)", "unknown", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		version = bi.Main.Version
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision":
				revision = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				modified = " (modified)"
			}
		}
	}
	_, err := fmt.Fprintf(w, "hpp %s revision %s%s\n", version, revision, modified)
	return err
}

// keepSandboxSecrets makes the demo API key and link secret that sandbox
// mode generated on the database's first start the ones of every later
// start, so the printed key and links keep working. Only generated values
// are kept (never one that was configured); live mode keeps none.
func keepSandboxSecrets(ctx context.Context, db store, cfg *config.Config) error {
	for name, s := range map[string]*config.Secret{"HPP_API_KEY": &cfg.APIKey, "HPP_LINK_SECRET": &cfg.LinkSecret} {
		if !slices.Contains(cfg.Generated, name) {
			continue
		}
		v, err := db.SandboxSetting(ctx, name, s.Reveal())
		if err != nil {
			return err
		}
		*s = config.Secret(v)
	}
	return nil
}

// backupCommand is `hpp backup FILE` (a consistent copy of the SQLite
// database, taken while the server runs) and `hpp restore FILE` (with the
// server stopped). PostgreSQL has pg_dump.
func backupCommand(ctx context.Context, cmd string, args []string, getenv func(string) string, stdout io.Writer) error {
	database, _, err := config.Database(getenv)
	if err != nil {
		return err
	}
	if strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://") {
		return fmt.Errorf("%s: HPP_DATABASE is PostgreSQL: use pg_dump and pg_restore (see the README)", cmd)
	}
	if cmd == "backup" {
		if err := sqlite.Backup(ctx, database, args[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "hpp: backed up %s to %s\n", database, args[0])
		return nil
	}
	kept, err := sqlite.Restore(ctx, database, args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "hpp: restored %s from %s\n", database, args[0])
	if kept != "" {
		fmt.Fprintf(stdout, "hpp: the database it replaced is kept as %s\n", kept)
	}
	return nil
}

// newLogger writes JSON lines (one object each, for a container's log
// collector) unless w is a terminal: there, short readable lines, the
// time of day only.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level,
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && a.Key == slog.TimeKey {
					return slog.String(slog.TimeKey, a.Value.Time().Format(time.TimeOnly))
				}
				return a
			}}))
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// accessLogLevel: in sandbox mode one line per request would push the
// start-up lines (URL, API key, demo link) off a newcomer's screen, so
// those lines are debug there (HPP_LOG_LEVEL=debug shows them).
func accessLogLevel(sandbox bool) slog.Level {
	if sandbox {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// store is what run needs of a storage engine.
type store interface {
	payments.Store
	payments.ReportStore // the back office's figures
	payments.LinkStore
	accounts.Store
	counter.Store
	latipaysim.Journal // the sandbox simulator's ledger
	Ping(ctx context.Context) error
	Close() error
	SandboxSetting(ctx context.Context, name, value string) (string, error)
}

// storage is the store with what goes with it on its engine: the broker
// that feeds the hub from other instances, and the request limiters.
type storage struct {
	store
	broker  *pgbroker.Broker                       // nil on SQLite: one instance, the hub sees every change
	limiter func(ratelimit.Rate) ratelimit.Limiter // nil: in-memory buckets
}

// openStorage opens PostgreSQL for a postgres:// or postgresql:// URL
// (several instances may share it: the broker and the request limits go
// through the database) and a SQLite file for anything else.
func openStorage(ctx context.Context, database string, h *hub.Hub, log *slog.Logger) (*storage, error) {
	if !strings.HasPrefix(database, "postgres://") && !strings.HasPrefix(database, "postgresql://") {
		db, err := sqlite.Open(ctx, database, time.Now)
		if err != nil {
			return nil, fmt.Errorf("HPP_DATABASE %q (SQLite file): %w", database, err)
		}
		return &storage{db, nil, nil}, nil
	}
	db, err := postgres.Open(ctx, database, time.Now)
	if err != nil {
		return nil, fmt.Errorf("HPP_DATABASE (PostgreSQL): %w", err)
	}
	st := &storage{db, nil, sharedLimits(db, log)}
	connect, err := pgbroker.Connector(database)
	if err == nil {
		st.broker, err = pgbroker.New(connect, db, h, log.With("component", "pgbroker"), nil)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return st, nil
}

// startBroker, on PostgreSQL, feeds the hub with the changes other
// instances commit (LISTEN/NOTIFY) until ctx ends.
func (s *storage) startBroker(ctx context.Context) {
	if s.broker != nil {
		go s.broker.Run(ctx)
	}
}

// sharedLimits keeps the request limits in PostgreSQL so that all
// instances share one budget per client. The n-th rate is named by its
// place and its figures, the same on every instance of one build. Where
// the database cannot hold a limit, that limit falls back to in-memory
// buckets (one budget per instance), and says so in the log.
func sharedLimits(db *postgres.DB, log *slog.Logger) func(ratelimit.Rate) ratelimit.Limiter {
	rl, err := postgres.NewRateLimits(db, log.With("component", "ratelimit"))
	if err != nil {
		log.Warn("ratelimit: request limits fall back to per-instance memory", "err", err)
		return nil
	}
	n := 0
	return func(r ratelimit.Rate) ratelimit.Limiter {
		n++
		name := fmt.Sprintf("%d/%d/%s/%d", n, r.Limit, r.Per, r.Burst)
		l, err := rl.Limiter(name, r.Limit, r.Per, r.Burst)
		if err != nil {
			log.Warn("ratelimit: limit falls back to per-instance memory", "limit", name, "err", err)
			return ratelimit.NewMemory(r)
		}
		return l
	}
}

// sandbox builds the Latipay simulator when no Latipay key is configured,
// and the HTTP client that reaches it in-process; callback delivers the
// simulator's callbacks to the app. Outside the sandbox both are nil. The
// simulator's ledger is kept in the app's database (journal).
func sandbox(cfg config.Config, journal latipaysim.Journal, log *slog.Logger, callback http.HandlerFunc) (*latipaysim.Simulator, *http.Client, error) {
	if !cfg.Sandbox {
		return nil, nil, nil
	}
	sim, err := latipaysim.New(latipaysim.Options{
		Journal:          journal,
		BaseURL:          cfg.LatipayURL,
		Merchants:        []latipaysim.Merchant{{UserID: cfg.LatipayUserID, APIKey: cfg.LatipayKey.Reveal(), Wallets: cfg.WalletCurrencies()}},
		CallbackInterval: cfg.SandboxCallbacks,
		CallbackClient:   &http.Client{Transport: latipaysim.NewTransport(callback), Timeout: 10 * time.Second},
		Logger:           log.With("component", "latipaysim"),
	})
	if err != nil {
		return nil, nil, err
	}
	return sim, &http.Client{Transport: latipaysim.NewTransport(sim)}, nil
}

// serve answers through srv until ctx ends, then shuts down: background
// work stops (stopBG), sockets are told "going away" so that pages
// reconnect elsewhere, and requests in flight finish.
func serve(ctx context.Context, srv *listen.Server, h *hub.Hub, log *slog.Logger, stopBG func()) error {
	select {
	case err := <-srv.Err():
		return err
	case <-ctx.Done():
	}
	log.Info("stopping", "cause", context.Cause(ctx).Error()) // e.g. "terminated signal received"
	stopBG()
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h.Close()
	wait, stopWait := context.WithTimeout(shut, 3*time.Second)
	_ = h.Wait(wait) // let each socket write its close frame before the process ends
	stopWait()
	return srv.Shutdown(shut)
}

// announce prints where to go, and in sandbox mode how to try it.
func announce(w io.Writer, cfg config.Config, addr net.Addr, notes []string) {
	public := cfg.PublicURL.String()
	fmt.Fprintf(w, "hpp: listening on %s, open %s\n", addr, public)
	for _, n := range notes {
		fmt.Fprintln(w, "hpp: "+n)
	}
	if !cfg.Sandbox {
		return
	}
	q := url.Values{"amount": {"12.50"}, "currency": {"NZD"}, "reference": {fmt.Sprintf("DEMO-%d", time.Now().Unix())},
		"description": {"Demo order"}, "return_url": {public + "/"}}
	q.Set("sig", payments.SignLink(cfg.LinkSecret.Reveal(), q))
	fmt.Fprintf(w, "hpp: SANDBOX MODE: no real money moves; Latipay is simulated at %s/sandbox/latipay\n", public)
	fmt.Fprintf(w, "hpp: demo merchant API key: %s\n", cfg.APIKey.Reveal())
	fmt.Fprintf(w, "hpp: sandbox link secret (HPP_LINK_SECRET, signs /pay links): %s\n", cfg.LinkSecret.Reveal())
	fmt.Fprintf(w, "hpp: ready-made checkout link: %s/pay?%s\n", public, q.Encode())
}

func methods(names []string) []payments.Method {
	out := make([]payments.Method, len(names))
	for i, m := range names {
		out[i] = payments.Method(m)
	}
	return out
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// defaultGCPercent is the garbage collector's target when GOGC is not set:
// the heap may grow to five times what is live between collections
// instead of twice. The live heap is small (some 10 MB under load), and a
// collection takes one of the two cores for its mark phase: e2e/load's
// checkout page offered 25% of the HTTP ceiling had a p99 of 6.2, 7.1,
// 6.8, 6.6, 5.9 and 4.8 ms at 400 against 6.6, 13.0, 8.7, 7.7, 9.1 and
// 4.9 ms at Go's 100 (alternating runs), for 45 MB of RSS under that load
// instead of 33 MB; idle memory is the same (25.6 MB).
const defaultGCPercent = 400

// tuneGC sets defaultGCPercent unless GOGC is set, which Go has applied.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}
