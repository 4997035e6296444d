// Command hpp serves the Latipay hosted payment page. With no Latipay
// credentials it runs in sandbox mode: an embedded SQLite database and the
// built-in Latipay simulator, ready to click through.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
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

	"github.com/latipay-hpp/hpp/config"
	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
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
		os.Exit(1)
	}
}

// run is the only place that wires the app together. It returns when ctx
// ends (after a graceful shutdown) or on a start-up error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 && args[1] == "healthcheck" { // the container's HEALTHCHECK (no shell or curl in the image)
		return handlers.HealthCheck(ctx, getenv("HPP_ADDR"))
	}
	if len(args) > 1 && args[1] == "selfcheck" { // page integrity check (PCI DSS 11.6.1)
		return handlers.SelfCheckCommand(ctx, args[2:], stdout)
	}
	if len(args) > 1 && args[1] == "simulator" { // a Latipay simulator process, for load tests
		return latipaysim.RunFromEnv(ctx, getenv, stdout, stderr)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	for _, w := range cfg.Warnings {
		log.Warn("config: " + w)
	}
	gin.SetMode(gin.ReleaseMode)
	db, err := openStore(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	h := hub.New()
	defer h.Close()

	var app http.Handler // set below; the sandbox simulator calls back into it in-process
	var sim *latipaysim.Simulator
	var latipayHTTP *http.Client
	if cfg.Sandbox {
		if err := keepSandboxSecrets(ctx, db, &cfg); err != nil {
			return err
		}
		sim, err = latipaysim.New(latipaysim.Options{
			Journal:          db,
			BaseURL:          cfg.LatipayURL,
			Merchants:        []latipaysim.Merchant{{UserID: cfg.LatipayUserID, APIKey: cfg.LatipayKey.Reveal(), Wallets: invert(cfg.Wallets)}},
			CallbackInterval: cfg.SandboxCallbacks,
			CallbackClient:   &http.Client{Transport: latipaysim.NewTransport(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { app.ServeHTTP(w, r) })), Timeout: 10 * time.Second},
			Logger:           log.With("component", "latipaysim"),
		})
		if err != nil {
			return err
		}
		defer sim.Close()
		latipayHTTP = &http.Client{Transport: latipaysim.NewTransport(sim)}
	}
	client, err := latipay.New(latipay.Config{BaseURL: cfg.LatipayURL, UserID: cfg.LatipayUserID, APIKey: cfg.LatipayKey.Reveal(), HTTPClient: latipayHTTP})
	if err != nil {
		return err
	}
	gw, err := latipay.NewGateway(client, cfg.Wallets)
	if err != nil {
		return err
	}
	public := cfg.PublicURL.String()
	methods := make([]payments.Method, 0, len(cfg.Methods))
	for _, m := range cfg.Methods {
		methods = append(methods, payments.Method(m))
	}
	svc, err := payments.NewService(db, gw, h, log, time.Now, rand.Reader, payments.Options{
		CallbackURL:    public + handlers.CallbackPath,
		ReturnURLFor:   func(id string) string { return public + handlers.ReturnPath(id) },
		CheckoutURLFor: func(id string) string { return public + handlers.CheckoutPath(id) },
		DefaultExpiry:  cfg.PaymentWindow, Methods: methods, MerchantOrigins: cfg.MerchantOrigins,
		AllowLocalhost: cfg.Sandbox, Currencies: cfg.Currencies(),
		Failpoint: payments.FailpointsFromEnv(getenv), // nil unless built with -tags failpoints
	})
	if err != nil {
		return err
	}
	assets, err := static.New()
	if err != nil {
		return err
	}
	key := func(label string) []byte {
		m := hmac.New(sha256.New, []byte(cfg.SessionKey.Reveal()))
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	opts := handlers.Options{PublicURL: cfg.PublicURL, MerchantName: cfg.MerchantName, MerchantOrigins: cfg.MerchantOrigins,
		Logo: cfg.MerchantLogo, LogoType: cfg.MerchantLogoType, AccentColor: cfg.AccentColor,
		TrustedProxies: cfg.TrustedProxies, APIKey: cfg.APIKey.Reveal(), LinkSecret: cfg.LinkSecret.Reveal(),
		TokenKey: key("socket-token"), FormActionHosts: latipay.FormActionOrigins(cfg.LatipayURL), Now: time.Now,
		Ready: func(r *http.Request) error { return db.Ping(r.Context()) }, Limits: handlers.Limits{Off: cfg.RateLimitsOff, NewLimiter: sharedLimits(db, log)}}
	secrets := config.Reveal(cfg.WebhookSecrets)
	wh, err := webhook.New(db, webhook.Options{URL: cfg.WebhookURL, Secrets: secrets, Now: time.Now, Rand: rand.Reader,
		Log: log.With("component", "webhook")})
	if err != nil {
		return err
	}
	opts.Webhooks = wh
	if len(secrets) > 0 {
		opts.RedirectSecret = secrets[0]
	}
	if sim != nil {
		opts.Sandbox = sim
	}
	app, err = handlers.NewServer(log, opts, svc, handlers.NewSessionStore(key("session-hash"), key("session-block")[:32], cfg.PublicURL.Scheme == "https"), h, assets)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("HPP_ADDR: %w", err)
	}
	// Request headers are capped at 64 KiB (net/http answers 431 beyond).
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, IdleTimeout: 60 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	go svc.Run(bg, cfg.ReconcileEvery, cfg.ReconcileRate)
	go wh.Run(bg)
	if err := startBroker(bg, cfg.Database, db, h, log); err != nil {
		return err
	}
	announce(stdout, cfg, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("stopping", "cause", context.Cause(ctx).Error()) // e.g. "terminated signal received"
	stopBG()
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h.Close() // sockets end with "going away"; pages reconnect elsewhere
	wait, stopWait := context.WithTimeout(shut, 3*time.Second)
	_ = h.Wait(wait) // let each socket write its close frame before the process ends
	stopWait()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
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

// store is what run needs from storage.
type store interface {
	payments.Store
	latipaysim.Journal // the sandbox simulator's ledger
	Ping(ctx context.Context) error
	Close() error
	SandboxSetting(ctx context.Context, name, value string) (string, error)
}

// isPostgres reports whether HPP_DATABASE names a PostgreSQL server
// rather than a SQLite file.
func isPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// openStore opens PostgreSQL for a postgres:// or postgresql:// URL (several
// instances may share it) and a SQLite file for anything else.
func openStore(ctx context.Context, database string) (store, error) {
	if isPostgres(database) {
		db, err := postgres.Open(ctx, database, time.Now)
		if err != nil {
			return nil, fmt.Errorf("HPP_DATABASE (PostgreSQL): %w", err)
		}
		return db, nil
	}
	db, err := sqlite.Open(ctx, database, time.Now)
	if err != nil {
		return nil, fmt.Errorf("HPP_DATABASE %q (SQLite file): %w", database, err)
	}
	return db, nil
}

// startBroker, on PostgreSQL, feeds the hub with the changes other
// instances commit (LISTEN/NOTIFY) until ctx ends.
func startBroker(ctx context.Context, database string, db store, h *hub.Hub, log *slog.Logger) error {
	if !isPostgres(database) {
		return nil
	}
	connect, err := pgbroker.Connector(database)
	if err != nil {
		return err
	}
	b, err := pgbroker.New(connect, db, h, log.With("component", "pgbroker"), nil)
	if err != nil {
		return err
	}
	go b.Run(ctx)
	return nil
}

// sharedLimits, on PostgreSQL, keeps the request limits in the database so
// that all instances share one budget per client; nil (in-memory buckets)
// on SQLite. The n-th rate is named by its place and its figures, the same
// on every instance of one build.
func sharedLimits(db store, log *slog.Logger) func(handlers.Rate) handlers.Limiter {
	pg, ok := db.(*postgres.DB)
	if !ok {
		return nil
	}
	rl, err := postgres.NewRateLimits(pg, log.With("component", "ratelimit"))
	if err != nil {
		return nil
	}
	n := 0
	return func(r handlers.Rate) handlers.Limiter {
		n++
		l, err := rl.Limiter(fmt.Sprintf("%d/%d/%s/%d", n, r.Limit, r.Per, r.Burst), r.Limit, r.Per, r.Burst)
		if err != nil {
			return handlers.NewMemoryLimiter(r)
		}
		return l
	}
}

// announce prints where to go, and in sandbox mode how to try it.
func announce(w io.Writer, cfg config.Config, addr net.Addr) {
	public := cfg.PublicURL.String()
	fmt.Fprintf(w, "hpp: listening on %s, open %s\n", addr, public)
	if !cfg.Sandbox {
		return
	}
	q := url.Values{"amount": {"12.50"}, "currency": {"NZD"}, "reference": {fmt.Sprintf("DEMO-%d", time.Now().Unix())},
		"description": {"Demo order"}, "return_url": {public + "/"}}
	q.Set("sig", payments.SignLink(cfg.LinkSecret.Reveal(), q))
	fmt.Fprintf(w, "hpp: SANDBOX MODE: no real money moves; Latipay is simulated at %s/sandbox/latipay\n", public)
	fmt.Fprintf(w, "hpp: demo merchant API key: %s\n", cfg.APIKey.Reveal())
	fmt.Fprintf(w, "hpp: ready-made checkout link: %s/pay?%s\n", public, q.Encode())
}

func invert(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[v] = k
	}
	return out
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
