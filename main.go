// Command hpp serves the Latipay hosted payment page. With no Latipay
// credentials it runs in sandbox mode: an embedded SQLite database and the
// built-in Latipay simulator, ready to click through.
//
// This file is the table of contents: run is the one place that wires the
// parts together, in the order they start; the functions below it each
// build one part from the configuration. The command line (every
// subcommand, help, version, exit statuses, the log format) is
// config/cli; the storage engine is chosen by payments/storage; each
// part's package says what it owns.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/config"
	"github.com/latipay-hpp/hpp/config/cli"
	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/handlers/listen"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/displays"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/metrics"
	"github.com/latipay-hpp/hpp/payments/paymentstest/failpoint"
	"github.com/latipay-hpp/hpp/payments/ratelimit"
	"github.com/latipay-hpp/hpp/payments/receipts"
	"github.com/latipay-hpp/hpp/payments/storage"
	"github.com/latipay-hpp/hpp/payments/webhook"
	"github.com/latipay-hpp/hpp/static"
)

func main() {
	cli.TuneGC(os.Getenv)
	// SIGHUP stops gracefully too: there is nothing to reload (settings
	// are read once; certificate files are reloaded as they change), and
	// its default action would end the process with no graceful stop.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		cli.Fatal(os.Stderr, err)
		stop()
		os.Exit(cli.ExitCode(err))
	}
}

// run is the only place that wires the app together. A subcommand runs
// and returns; the server returns when ctx ends (after a graceful
// shutdown) or on a start-up error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if serve, err := cli.Dispatch(ctx, args, cli.Env{Getenv: getenv, Stdout: stdout, Stderr: stderr}); !serve {
		return err
	}
	cfg, err := config.Load(getenv, cli.DatabaseProbe(ctx)) // the database is checked here only with other problems
	if err != nil {
		return err
	}
	log, accessLog, flushLogs := cli.NewLogs(stderr, cfg.LogLevel)
	defer flushLogs()
	for _, w := range cfg.Warnings {
		log.Warn("config: " + w)
	}
	gin.SetMode(gin.ReleaseMode)
	h := hub.New()
	defer h.Close()
	st, err := storage.Open(ctx, cfg.Database, cfg.DatabaseFrom, h, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := markMode(ctx, cfg, st); err != nil {
		return err
	}
	if err := sandboxKeys(ctx, &cfg, st); err != nil {
		return err
	}
	p := parts{store: st, hub: h, accessLog: accessLog}
	var notes []string // start-up lines of the back office
	if p.accounts, notes, err = backOffice(ctx, cfg, st); err != nil {
		return err
	}
	var app http.Handler // set below; the sandbox simulator calls back into it in-process
	latipayHTTP, err := sandbox(ctx, &cfg, &p, log, func(w http.ResponseWriter, r *http.Request) { app.ServeHTTP(w, r) })
	if err != nil {
		return err
	}
	if p.sim != nil {
		defer p.sim.Close()
	}
	if err := services(cfg, &p, latipayHTTP, log, getenv); err != nil {
		return err
	}
	if app, err = server(cfg, p, log); err != nil {
		return err
	}
	requests, cutRequests := context.WithCancelCause(context.Background())
	defer cutRequests(nil)
	lo := listenOptions(cfg, log)
	lo.Requests = requests
	srv, err := listen.Start(ctx, lo, failpoint.WrapApp(getenv, app, handlers.CallbackPath)) // failpoints: test builds only
	if err != nil {
		return err
	}
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	go p.payments.Run(bg, cfg.ReconcileEvery)
	go p.links.Run(bg)
	go p.webhooks.Run(bg)
	if _, served := srv.CertNotAfter(); served && p.metrics != nil {
		p.metrics.Certificate(func() time.Time { t, _ := srv.CertNotAfter(); return t })
	}
	metricsAddr, err := serveMetrics(bg, p.metrics, cfg.MetricsAddr, srv.Addr(), log)
	if err != nil {
		_ = srv.Shutdown(context.Background())
		return err
	}
	st.StartBroker(bg)
	announce(stdout, cfg, srv.Addr(), metricsAddr, notes)
	go cli.ReleaseStartupMemory()
	return serve(ctx, srv, h, log, stopBG, cutRequests)
}

// parts are what run builds before the HTTP app, which gets them all.
// To wire a new service: a field here, built in services (or its own
// function called from run), handed to the handlers in server.
type parts struct {
	store    *storage.Storage
	hub      *hub.Hub
	accounts *accounts.Service
	sim      *latipaysim.Simulator // the sandbox's Latipay; nil live
	gateway  *latipay.Gateway
	payments *payments.Service
	links    *payments.Links
	counter  *counter.Service
	webhooks *webhook.Worker
	metrics  *metrics.Metrics // nil without HPP_METRICS_ADDR
	// accessLog takes the line each request logs (cli.NewLogs: written
	// in batches).
	accessLog *slog.Logger
}

// services builds the domain's services over the store: the gateway
// (Latipay, or in the sandbox the simulator through latipayHTTP), the
// payment service with its reconciler, the stored links with their
// sweep, the shop counter's and the webhook worker. With HPP_METRICS_ADDR
// the metrics wrap the store and the gateway. The counter's sales are in
// HPP_COUNTER_CURRENCY (config.Admin.CounterCurrency), and its day starts
// at midnight in HPP_SHOP_TIMEZONE.
func services(cfg config.Config, p *parts, latipayHTTP *http.Client, log *slog.Logger, getenv func(string) string) (err error) {
	if p.gateway, err = gateway(cfg, latipayHTTP); err != nil {
		return err
	}
	var pg payments.Gateway = p.gateway
	ps, svcStore := serviceStores(cfg, p, getenv)
	if p.metrics != nil {
		pg = p.metrics.Gateway(p.gateway)
	}
	public := cfg.PublicURL.String()
	p.payments, err = payments.NewService(svcStore, pg, p.hub, log, time.Now, rand.Reader, payments.Options{
		CallbackURL:    public + handlers.CallbackPath,
		ReturnURLFor:   func(id string) string { return public + handlers.ReturnPath(id) },
		CheckoutURLFor: func(id string) string { return public + handlers.CheckoutPath(id) },
		DefaultExpiry:  cfg.PaymentWindow, Methods: methods(cfg.Methods), MerchantOrigins: cfg.MerchantOrigins,
		AllowLocalhost: cfg.Sandbox, Currencies: cfg.Currencies(), QueryRate: cfg.ReconcileRate,
	})
	if err != nil {
		return err
	}
	shop := first(append(slices.Clone(cfg.MerchantOrigins), public)) // "back to the shop" from a link's payment
	if p.links, err = payments.NewLinks(p.store, p.payments, func(id string) string { return public + handlers.LinkPath(id) }, shop+"/"); err != nil {
		return err
	}
	p.counter, err = counter.NewService(p.store, accounts.NewHasher(1), p.store, p.payments, time.Now, rand.Reader,
		counter.Options{Currency: cfg.CounterCurrency, Location: cfg.ShopTimezone})
	if err != nil {
		return err
	}
	p.webhooks, err = webhook.New(ps, webhook.Options{URL: cfg.WebhookURL, Secrets: config.Reveal(cfg.WebhookSecrets), Now: time.Now, Rand: rand.Reader, Log: log.With("component", "webhook")})
	return err
}

// serviceStores returns the store the webhook worker gets (ps: with
// HPP_METRICS_ADDR, counted, and p.metrics set) and the one the payment
// service gets (ps, wrapped in a failpoints build). Both keep the
// optional interfaces of the storage's store that the service asks for
// (payments.Decorate).
func serviceStores(cfg config.Config, p *parts, getenv func(string) string) (ps, service payments.Store) {
	ps = p.store
	if cfg.MetricsAddr != "" {
		p.metrics = metrics.New(time.Now, p.hub.Count)
		p.metrics.WriteHealth(p.store)
		ps = p.metrics.Store(p.store.Store)
	}
	return ps, failpoint.WrapStore(getenv, ps)
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

// server is the HTTP app: every page, the API, the sockets and, in the
// sandbox, the simulator; with metrics on, the callbacks are counted.
func server(cfg config.Config, p parts, log *slog.Logger) (http.Handler, error) {
	assets, err := static.New()
	if err != nil {
		return nil, err
	}
	keys, secure := cfg.Keys(), cfg.PublicURL.Scheme == "https"
	var oldPairs, oldTokenKeys [][]byte // while HPP_SESSION_KEY is rotated
	for _, k := range cfg.OldKeys() {
		oldPairs, oldTokenKeys = append(oldPairs, k.SessionHash, k.SessionBlock), append(oldTokenKeys, k.SocketToken)
	}
	opts := handlers.Options{PublicURL: cfg.PublicURL, MerchantName: cfg.MerchantName, MerchantOrigins: cfg.MerchantOrigins,
		Logo: cfg.MerchantLogo, LogoType: cfg.MerchantLogoType, AccentColor: cfg.AccentColor,
		TrustedProxies: cfg.TrustedProxies, APIKey: cfg.APIKey.Reveal(), OldAPIKeys: config.Reveal(cfg.OldAPIKeys),
		LinkSecret: cfg.LinkSecret.Reveal(), TokenKey: keys.SocketToken, OldTokenKeys: oldTokenKeys, FormActionHosts: latipay.FormActionOrigins(cfg.LatipayURL), Now: time.Now,
		Ready: func(r *http.Request) error { return p.store.Ping(r.Context()) }, Unreachable: storage.Unreachable, WriteHealth: p.store, Limits: ratelimit.Limits{Off: cfg.RateLimitsOff, NewLimiter: p.store.Limiter},
		Webhooks: p.webhooks, RedirectSecret: first(config.Reveal(cfg.WebhookSecrets)),
		Accounts: p.accounts, AdminSessions: handlers.NewAdminSessionStore(keys.SessionHash, keys.SessionBlock, secure, oldPairs...),
		Location: cfg.ShopTimezone, AccessLog: p.accessLog}
	if opts.Reports, err = payments.NewReports(p.store, time.Now, cfg.ShopTimezone); err != nil {
		return nil, err
	}
	opts.Links = p.links
	opts.Currencies, opts.Settings, opts.CheckWallets = cfg.Currencies(), cfg.Effective(), p.gateway.CheckWallets
	opts.Counter = p.counter
	if err := counterOptions(&opts, cfg, p.store); err != nil {
		return nil, err
	}
	if p.sim != nil {
		opts.Sandbox = p.sim
		// One access-log line per request would push the sandbox's
		// start-up lines off a newcomer's screen: they are debug there.
		opts.AccessLogLevel = slog.LevelDebug
	}
	app, err := handlers.NewServer(log, opts, p.payments, handlers.NewSessionStore(keys.SessionHash, keys.SessionBlock, secure, oldPairs...), p.hub, assets)
	if err != nil || p.metrics == nil {
		return app, err
	}
	return p.metrics.Callbacks(handlers.CallbackPath, app), nil // the sandbox's callbacks come through app too
}

// counterOptions builds what the counter's receipts and displays need.
func counterOptions(opts *handlers.Options, cfg config.Config, st storage.Store) (err error) {
	opts.TaxNumber = cfg.MerchantTaxNo
	if opts.Receipts, err = receipts.New(st, cfg.Keys().ReceiptToken, time.Now); err != nil {
		return err
	}
	opts.Displays, err = displays.New(st, time.Now, rand.Reader)
	return err
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
func backOffice(ctx context.Context, cfg config.Config, db storage.Store) (acc *accounts.Service, notes []string, err error) {
	if acc, err = accounts.NewService(db, accounts.NewHasher(2), time.Now, rand.Reader); err != nil {
		return nil, nil, err
	}
	var oldSeals [][]byte // while HPP_SESSION_KEY is rotated
	for _, k := range cfg.OldKeys() {
		oldSeals = append(oldSeals, k.TOTPSeal)
	}
	if err := acc.SetSealKey(cfg.Keys().TOTPSeal, oldSeals...); err != nil {
		return nil, nil, err
	}
	sys, admin := accounts.Actor{Email: accounts.StartUpEmail}, cfg.PublicURL.String()+handlers.AdminPath
	if cfg.AdminEmail != "" {
		// Instances started together on a fresh database race to create
		// the owner: the one that loses finds the account made, as if it
		// had been there at its start.
		if _, err := acc.EnsureOwner(ctx, cfg.AdminEmail, cfg.AdminPassword.Reveal(), sys); err != nil && !errors.Is(err, accounts.ErrEmailTaken) {
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
		err = acc.DemoOwner(ctx, demoOwner, pw, sys)
		if errors.Is(err, accounts.ErrEmailTaken) {
			// Another instance created it in the meantime: check it as a
			// later start does (same password, kept in the database).
			err = acc.DemoOwner(ctx, demoOwner, pw, sys)
		}
		if err != nil {
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

// markMode keeps the sandbox's data and the live shop's apart: each mode
// marks its database at every start (a row of sandbox_settings, or of
// live_settings, which the other mode never writes) before it writes
// anything else. Live start-up refuses a database with any sandbox data
// (storage.ErrSandboxData); the sandbox refuses one a live start has used
// (storage.ErrLiveData), even one only awaiting its owner's setup, rather
// than put its demo owner and mark in it. hpp check-config asks the same
// (storage.CheckMode).
func markMode(ctx context.Context, cfg config.Config, st storage.Store) error {
	used, err := st.HasSandboxData(ctx)
	switch {
	case err != nil:
		return err
	case !cfg.Sandbox && used:
		return storage.Refusal(cfg.DatabaseFrom, storage.ErrSandboxData)
	case !cfg.Sandbox:
		return st.MarkLive(ctx, time.Now().UTC().Format(time.RFC3339))
	case !used:
		if live, err := st.HasLiveData(ctx); err != nil || live {
			return cmp.Or(err, storage.Refusal(cfg.DatabaseFrom, storage.ErrLiveData))
		}
	}
	_, err = st.SandboxSetting(ctx, "HPP_SANDBOX_SINCE", time.Now().UTC().Format(time.RFC3339))
	return err
}

// sandboxKeys, in the sandbox, makes the values it generated on the
// database's first start those of every later start and of every other
// instance on the database (kept in sandbox_settings, like the demo
// owner's password): the demo API key and link secret, so the printed key
// and links keep working; the session key, so a back-office sign-in, a
// checkout's socket token and an e-receipt link hold on every instance
// and across a restart; and the simulated Latipay account's key, which
// signs the callbacks and the shopper's way back whichever instance they
// reach. Only generated values: never one that was configured. Outside
// the sandbox it does nothing.
func sandboxKeys(ctx context.Context, cfg *config.Config, st storage.Store) error {
	if !cfg.Sandbox {
		return nil
	}
	for name, s := range map[string]*config.Secret{"HPP_API_KEY": &cfg.APIKey, "HPP_LINK_SECRET": &cfg.LinkSecret,
		"HPP_SESSION_KEY": &cfg.SessionKey, "LATIPAY_API_KEY": &cfg.LatipayKey} {
		if !slices.Contains(cfg.Generated, name) {
			continue
		}
		v, err := st.SandboxSetting(ctx, name, s.Reveal())
		if err != nil {
			return err
		}
		*s = config.Secret(v)
	}
	return nil
}

// sandbox, when no Latipay key is configured, builds the Latipay
// simulator (p.sim) and returns the HTTP client that reaches it
// in-process; callback delivers the simulator's callbacks to the app, and
// the simulator's ledger is the app's database's, so instances sharing a
// PostgreSQL database share one simulated Latipay. Outside the sandbox it
// does nothing and returns nil.
func sandbox(ctx context.Context, cfg *config.Config, p *parts, log *slog.Logger, callback http.HandlerFunc) (*http.Client, error) {
	if !cfg.Sandbox {
		return nil, nil
	}
	sim, err := latipaysim.New(latipaysim.Options{
		Journal:          p.store,
		BaseURL:          cfg.LatipayURL,
		Merchants:        []latipaysim.Merchant{{UserID: cfg.LatipayUserID, APIKey: cfg.LatipayKey.Reveal(), Wallets: cfg.WalletCurrencies()}},
		CallbackInterval: cfg.SandboxCallbacks,
		CallbackClient:   &http.Client{Transport: latipaysim.NewTransport(callback), Timeout: 10 * time.Second},
		Logger:           log.With("component", "latipaysim"),
	})
	if err != nil {
		return nil, err
	}
	p.sim = sim
	return &http.Client{Transport: latipaysim.NewTransport(sim)}, nil
}

// serveMetrics, with metrics on, serves them on their own listener until
// ctx ends and returns its address; a metrics address in use (or the
// public one) is a start-up error naming HPP_METRICS_ADDR.
func serveMetrics(ctx context.Context, m *metrics.Metrics, addr string, public net.Addr, log *slog.Logger) (net.Addr, error) {
	if m == nil {
		return nil, nil
	}
	ln, err := metrics.Listen(addr, public.String())
	if err != nil {
		return nil, err
	}
	go func() {
		if err := m.Serve(ctx, ln); err != nil {
			log.Error("metrics", "err", err)
		}
	}()
	return ln.Addr(), nil
}

// shutdownBudget bounds the graceful stop: under Docker's default stop
// timeout (10 s, after which it sends SIGKILL), with room to spare.
const shutdownBudget = 8 * time.Second

// cutAfter is when, after the graceful stop begins, the requests still in
// flight are cut short (cutRequests): a Latipay call waiting on a slow
// answer ends then, and its request answers (a checkout start says to try
// again; the status checker asks Latipay about the attempt later), with
// the rest of shutdownBudget left to write those answers.
const cutAfter = shutdownBudget - 3*time.Second

// serve answers through srv until ctx ends, then shuts down: background
// work stops (stopBG), sockets are told "going away" so that pages
// reconnect elsewhere, and requests in flight finish, within
// shutdownBudget: those still running after cutAfter have their context
// cancelled with handlers.ErrStopping as its cause.
func serve(ctx context.Context, srv *listen.Server, h *hub.Hub, log *slog.Logger, stopBG func(), cutRequests context.CancelCauseFunc) error {
	select {
	case err := <-srv.Err():
		return err
	case <-ctx.Done():
	}
	log.Info("stopping", "cause", context.Cause(ctx).Error()) // e.g. "terminated signal received"
	began := time.Now()
	stopBG()
	shut, cancel := context.WithTimeout(context.Background(), shutdownBudget)
	defer cancel()
	cut := time.AfterFunc(cutAfter, func() { cutRequests(handlers.ErrStopping) })
	defer cut.Stop()
	h.Close()
	wait, stopWait := context.WithTimeout(shut, 3*time.Second)
	_ = h.Wait(wait) // let each socket write its close frame before the process ends
	stopWait()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("graceful stop: requests still in flight after %s were dropped unanswered: %w", shutdownBudget, err)
	}
	log.Info("stopped", "took", time.Since(began).Round(time.Millisecond).String())
	return nil
}

// announce prints where to go (and where the metrics are), and in sandbox
// mode how to try it.
func announce(w io.Writer, cfg config.Config, addr, metricsAddr net.Addr, notes []string) {
	public := cfg.PublicURL.String()
	fmt.Fprintf(w, "hpp: listening on %s, open %s\n", addr, public)
	for _, n := range notes {
		fmt.Fprintln(w, "hpp: "+n)
	}
	if cfg.Sandbox {
		q := url.Values{"amount": {"12.50"}, "currency": {"NZD"}, "reference": {fmt.Sprintf("DEMO-%d", time.Now().Unix())},
			"description": {"Demo order"}, "return_url": {public + "/"}}
		q.Set("sig", payments.SignLink(cfg.LinkSecret.Reveal(), q))
		fmt.Fprintf(w, "hpp: SANDBOX MODE: no real money moves; Latipay is simulated at %s/sandbox/latipay\n", public)
		// A secret the sandbox generated is printed, for trying it; one the
		// operator supplied is theirs and is not (logs keep this output).
		if slices.Contains(cfg.Generated, "HPP_API_KEY") {
			fmt.Fprintf(w, "hpp: demo merchant API key: %s\n", cfg.APIKey.Reveal())
		} else {
			fmt.Fprintln(w, "hpp: demo merchant API key: the one in HPP_API_KEY")
		}
		if slices.Contains(cfg.Generated, "HPP_LINK_SECRET") {
			fmt.Fprintf(w, "hpp: sandbox link secret (HPP_LINK_SECRET, signs /pay links): %s\n", cfg.LinkSecret.Reveal())
		} else {
			fmt.Fprintln(w, "hpp: sandbox link secret (signs /pay links): the one in HPP_LINK_SECRET")
		}
		fmt.Fprintf(w, "hpp: ready-made checkout link: %s/pay?%s\n", public, q.Encode())
	}
	if metricsAddr != nil {
		fmt.Fprintf(w, "hpp: metrics on http://%s/metrics\n", metricsAddr)
	}
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
