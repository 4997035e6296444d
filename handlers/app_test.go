package handlers

import (
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/static"
)

// Test secrets of NewTestApp's default options. They are canaries: they
// must never appear in a response.
const (
	TestAPIKey     = "CANARY-handlers-api-key-0123456789"
	TestLinkSecret = "CANARY-handlers-link-secret-0123"
	TestTokenKey   = "socket-token-key-0123456789abcdef"
)

// TestApp is the real router (NewServer) over a paymentstest.Env: the real
// SQLite store, the Latipay simulator over HTTP, the real Latipay client,
// the hub and the service. It is the one place where handler tests, in
// this package and in handlers_test, build their app.
type TestApp struct {
	*paymentstest.Env
	H http.Handler // the router
}

// TestAppOptions adjust NewTestApp. The zero value is the sandbox app
// "Test Shop" with the shipped rate limits.
type TestAppOptions struct {
	// Env is passed to paymentstest.NewEnv; Service.AllowLocalhost is
	// always set (the app's URL is a loopback one).
	Env paymentstest.Options
	// Log is the router's log; default discarded.
	Log *slog.Logger
	// Edit changes the router's options before NewServer.
	Edit func(env *paymentstest.Env, o *Options)
	// GinMode is set before building; default gin.TestMode. "keep"
	// leaves the mode alone.
	GinMode string
	// Detached leaves the router off Env.AppURL: the simulator's
	// callbacks then reach the service directly, not through the router.
	Detached bool
}

// NewTestApp builds the router in sandbox mode over a new paymentstest.Env
// and, unless o.Detached, serves it at env.AppURL, so the simulator's
// callbacks go through the router too. Everything stops when t ends.
func NewTestApp(t testing.TB, o TestAppOptions) *TestApp {
	t.Helper()
	switch o.GinMode {
	case "keep":
	case "":
		gin.SetMode(gin.TestMode)
	default:
		gin.SetMode(o.GinMode)
	}
	o.Env.Service.AllowLocalhost = true
	env := paymentstest.NewEnv(t, o.Env)
	pub, err := url.Parse(env.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	assets, err := static.New()
	if err != nil {
		t.Fatalf("static.New: %v", err)
	}
	now := o.Env.Now
	if now == nil {
		now = env.Clock.Now
	}
	opts := Options{
		PublicURL: pub, MerchantName: "Test Shop", APIKey: TestAPIKey, LinkSecret: TestLinkSecret,
		TokenKey:        []byte(TestTokenKey),
		FormActionHosts: latipay.FormActionOrigins(env.SimURL), Sandbox: env.Sim, Now: now,
	}
	if o.Edit != nil {
		o.Edit(env, &opts)
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sessions := NewSessionStore([]byte("session-hash-key-0123456789abcdef"), []byte("session-block-key-0123456789abcd"), opts.PublicURL.Scheme == "https")
	h, err := NewServer(log, opts, env.Svc, sessions, env.Hub, assets)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	if !o.Detached {
		env.SetApp(h)
	}
	return &TestApp{Env: env, H: h}
}

// jsonLog is a JSON logger at level writing to a new buffer safe for
// concurrent use.
func jsonLog(level slog.Level) (*slog.Logger, *paymentstest.SyncBuffer) {
	buf := &paymentstest.SyncBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: level})), buf
}

// realTime is paymentstest.Options reading the wall clock (for the tests
// of rate-limit windows and token lifetimes), logging to log, with
// Latipay's callbacks retried every interval.
func realTime(log *slog.Logger, interval time.Duration) paymentstest.Options {
	return paymentstest.Options{Now: time.Now, Log: log, CallbackInterval: interval}
}
