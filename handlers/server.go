// Package handlers is the HTTP layer: the gin engine, every route, the
// error funnel, security headers, the websocket and the QR images.
// Handlers parse, call the payments service, fill a view model and render.
//
// It imports payments (the domain) and its sibling domains (accounts,
// counter, receipts, displays), payments/hub and payments/webhook (for
// their types), payments/ratelimit, views and static, and handlers/listen
// for OneWrite (a page's answer in one write(2)); never a storage
// package, the Latipay client or the simulator, which run wires in.
//
// Where to change what: every route is in routes.go; the error funnel
// (domain error to status and message) is errors.go; headers by route
// class are headers.go; sessions are session.go; the socket and its
// tokens are ws.go and token.go; request limits are installed by
// limits.go from package ratelimit; the cap on every form's body is
// formbody.go, and the API's strict JSON reading apijson.go; compression
// is compress.go and the static files assets.go. One area of the site is one file or one prefix:
// the shopper's checkout.go (with refresh.go, qr.go, device.go, lang.go),
// callback.go, redirect.go, embed.go, link.go (signed /pay links) and
// links.go (stored /l/ links); the merchant API api*.go; the back office
// admin*.go, a file a page; the counter counter*.go, its display
// display.go and receipts receipt.go. What each page does, in detail, is
// handlers/README.md.
//
// Every handler has one shape: a method maker on *Server,
// handleNounVerb(deps) gin.HandlerFunc, whose comment names its route;
// deps are the small interfaces it needs; it parses, calls the domain,
// fills a view model or JSON, and sends every error through
// s.respondError.
package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"
	"golang.org/x/text/language"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/displays"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/payments/receipts"
	"github.com/latipay-hpp/hpp/static"
	"github.com/latipay-hpp/hpp/views"
)

// Route paths that other parts of the app build URLs from.
const (
	CallbackPath = "/latipay/callback"
	SandboxPath  = "/sandbox/latipay"
)

// CheckoutPath is the shopper's page for payment id.
func CheckoutPath(id string) string { return "/checkout/" + id }

// ReturnPath is where Latipay sends the shopper back for payment id.
func ReturnPath(id string) string { return "/checkout/" + id + "/return" }

// Options are the HTTP settings of the server.
type Options struct {
	PublicURL       *url.URL
	MerchantName    string
	MerchantOrigins []string // may frame the checkout
	TrustedProxies  []string
	APIKey          string   // merchant API bearer key
	OldAPIKeys      []string // earlier bearer keys still accepted while HPP_API_KEY is rotated
	LinkSecret      string   // signs /pay links
	TokenKey        []byte   // signs socket tokens
	OldTokenKeys    [][]byte // earlier token keys whose tokens still verify while HPP_SESSION_KEY is rotated
	FormActionHosts []string // Latipay origins the checkout may post and redirect to
	Sandbox         http.Handler
	Ready           func(*http.Request) error // readiness check (database)
	Unreachable     func(error) bool          // storage.Unreachable: the database cannot be reached now (503 database_unavailable, Retry-After); nil: never
	WriteHealth     payments.WriteHealth      // the store's last failed write: /readyz fails within WriteFailureHold of it
	Logo            []byte                    // merchant logo image; nil for none
	LogoType        string                    // its media type, e.g. image/png
	AccentColor     string                    // #rrggbb; "" for the default
	Now             func() time.Time
	// RedirectSecret signs the back-to-shop redirect (the first
	// HPP_WEBHOOK_SECRET); "" sends it unsigned.
	RedirectSecret string
	// Webhooks redelivers events on request; nil means none configured.
	Webhooks Webhooks
	Limits   Limits // rate limits and socket caps; zero fields take defaults
	// Accounts signs people in to the back office, whose cookie
	// AdminSessions keeps (NewAdminSessionStore); nil Accounts serves no
	// back office.
	Accounts      *accounts.Service
	AdminSessions sessions.Store
	// Reports computes the back office's figures (home, reports); nil
	// serves the home without figures and no reports.
	Reports *payments.Reports
	// Location is the shop's time zone (HPP_SHOP_TIMEZONE): every
	// back-office time and day is in it. nil means UTC.
	Location *time.Location
	// TaxNumber is the shop's tax number, printed on receipts; "" for none.
	TaxNumber string
	// Receipts issues the e-receipt links printed on receipts; nil prints
	// none and serves no /receipt/ page.
	Receipts *receipts.Service
	// Counter runs the shop counter's devices and sales (/counter and
	// /admin/counter); nil serves no counter. It needs Accounts.
	Counter *counter.Service
	// Displays are the screens facing the shopper paired with counter
	// devices; served only with Counter.
	Displays *displays.Service
	// Links are the stored payment links (/l/<id>) and the shop's static
	// QR; nil serves none. Currencies are those offered in its form
	// (empty: all).
	Links      *payments.Links
	Currencies []string
	// Settings is the configuration the settings page shows, secrets
	// already masked (config's Effective); CheckWallets asks Latipay about
	// each wallet (nil: no check button).
	Settings     [][2]string
	CheckWallets func(ctx context.Context) []payments.WalletCheck
	// AccessLogLevel is the level of the one line logged per request:
	// Info (the zero value) live; run sets Debug in sandbox mode, so that
	// a newcomer's terminal keeps the start-up lines in view.
	AccessLogLevel slog.Level
	// AccessLog is where that line goes; nil: the server's log. run
	// gives it a logger that writes its lines in batches (cli.NewLogs).
	AccessLog *slog.Logger
}

// Server holds what the handlers share.
type Server struct {
	log      *slog.Logger
	opts     Options
	svc      *payments.Service
	sessions sessions.Store
	hub      *hub.Hub
	assets   *static.Assets
	origin   string // public origin, e.g. https://pay.example.com
	engine   *gin.Engine
	limits   *limits
	i18n     *views.Catalog   // message catalogues
	langs    language.Matcher // supported languages
	theme    string           // accent stylesheet; "" for none
	// themeVersion cache-busts the theme stylesheet's URL.
	themeVersion string
	pageBufs     sync.Pool // *bytes.Buffer for rendering pages (render.go)
	gzips        gzipPool  // gzip writers for compress (compress.go)
	common       headers   // what every response but a page carries (headers.go)
	htmlHeaders  headers   // the content headers of a page (render.go)
	// langValues holds the Content-Language value of each language.
	langValues map[string][]string
	tokens     *tokenSigners // socket tokens under opts.TokenKey
	// cssPath and jsPath are the hashed asset URLs every page links.
	cssPath, jsPath string
	adminJS         string // the back office's script (static/js/admin.js)
	faviconPath     string
	// checkoutTitles is the checkout page's title in each language: it
	// only depends on the merchant's name.
	checkoutTitles map[string]string
	pages          *pageCache  // rendered checkout pages (pagecache.go)
	devices        liveDevices // the counter sockets open here (counter_live.go)
	// getRoutes holds the path of every GET route, for the language
	// switch of a page a form post shows (postPage, lang.go).
	getRoutes map[string]bool
}

// NewServer builds the gin engine with its middleware and routes, wrapped
// in cross-origin request protection.
func NewServer(log *slog.Logger, opts Options, svc *payments.Service, store sessions.Store, h *hub.Hub, assets *static.Assets) (http.Handler, error) {
	if opts.Accounts != nil && opts.AdminSessions == nil {
		return nil, errors.New("handlers: NewServer: the back office needs AdminSessions")
	}
	if opts.Counter != nil && opts.Accounts == nil {
		return nil, errors.New("handlers: NewServer: the counter needs the back office (Accounts)")
	}
	if log == nil || svc == nil || store == nil || h == nil || assets == nil || opts.PublicURL == nil || opts.Now == nil || len(opts.TokenKey) < 16 {
		return nil, errors.New("handlers: NewServer: missing dependency")
	}
	// The shop's name is on every page, its receipts and link posters:
	// cleaned as every name a person enters is (payments.CleanText).
	opts.MerchantName = payments.CleanText(opts.MerchantName)
	s := &Server{log: log, opts: opts, svc: svc, sessions: store, hub: h, assets: assets,
		origin: opts.PublicURL.Scheme + "://" + opts.PublicURL.Host, limits: newLimits(opts.Limits, opts.Now)}
	cat, err := views.NewCatalog()
	if err != nil {
		return nil, err
	}
	s.i18n, s.langs = cat, langMatcher()
	s.tokens = newTokenSigners(opts.TokenKey)
	s.pages = newPageCache()
	s.cssPath, s.jsPath = assets.Path("css/app.css"), assets.Path("js/checkout.js")
	s.adminJS = assets.Path("js/admin.js")
	s.faviconPath = assets.Path("img/favicon.svg")
	s.checkoutTitles = make(map[string]string, len(views.Languages()))
	for _, l := range views.Languages() {
		s.checkoutTitles[l] = cat.Localizer(l).T("checkout.title", opts.MerchantName)
	}
	if opts.AccentColor != "" {
		if s.theme, err = themeCSS(opts.AccentColor); err != nil {
			return nil, fmt.Errorf("handlers: accent colour: %w", err)
		}
		s.themeVersion = themeVersionOf(s.theme)
	}
	s.common = s.commonHeaders()
	s.htmlHeaders = headers{}.with("Content-Type", "text/html; charset=utf-8").with("Vary", "Accept-Language, User-Agent")
	s.langValues = make(map[string][]string, len(views.Languages()))
	for _, l := range views.Languages() {
		s.langValues[l] = []string{l}
	}
	recovery := gin.CustomRecovery(func(c *gin.Context, _ any) {
		s.respondError(c, errors.New("handlers: panic"))
	})
	e := gin.New()
	e.HandleMethodNotAllowed = true
	if err := e.SetTrustedProxies(opts.TrustedProxies); err != nil {
		return nil, err
	}
	e.Use(s.requestLog(), recovery)
	// No API path ends in "/": gin would answer one with a redirect to
	// the path without it, an HTML body, where a program expects the
	// API's JSON. apiMiss answers every such path 404 not_found, logged
	// as any request is (apiSlash sends them there).
	apiMiss := gin.New()
	apiMiss.RedirectTrailingSlash = false
	if err := apiMiss.SetTrustedProxies(opts.TrustedProxies); err != nil {
		return nil, err
	}
	apiMiss.Use(s.requestLog(), recovery)
	apiMiss.NoRoute(s.apiHeaders(), s.compress(), func(c *gin.Context) { s.respondError(c, errNoEndpoint) })
	// Under the API's prefix an unknown path or method answers the API's
	// JSON error (gin has set Allow on a 405); elsewhere, the page.
	fallback := s.byArea(s.apiHeaders(), s.pageHeaders(false))
	e.NoRoute(fallback, s.compress(), func(c *gin.Context) {
		if c.GetBool("api") {
			s.respondError(c, errNoEndpoint)
			return
		}
		s.respondError(c, errNoPage)
	})
	e.NoMethod(fallback, s.compress(), func(c *gin.Context) { s.respondError(c, errMethod) })
	s.engine = e
	addRoutes(s, e)
	s.getRoutes = map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == http.MethodGet && !strings.Contains(r.Path, "*") {
			s.getRoutes[r.Path] = true
		}
	}
	// A browser's cross-origin POST is refused before any handler runs:
	// under the API with Go's own 403, elsewhere with the error page of
	// the area it was sent to, in the reader's language (crossOriginDenied).
	pages := http.NewCrossOriginProtection()
	pages.AddInsecureBypassPattern("POST " + CallbackPath)
	// Browsers post violation reports from the violating page's origin,
	// or with none; the endpoint only logs.
	pages.AddInsecureBypassPattern("POST " + CSPReportPath)
	denied, err := s.crossOriginDenied(recovery)
	if err != nil {
		return nil, err
	}
	pages.SetDenyHandler(denied)
	inner := headAsGet(apiSlash(e, apiMiss))
	api, page := http.NewCrossOriginProtection().Handler(inner), pages.Handler(inner)
	return &app{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == apiPrefix || strings.HasPrefix(p, apiPrefix+"/") {
			api.ServeHTTP(w, r)
			return
		}
		page.ServeHTTP(w, r)
	}), engine: e}, nil
}

// crossOriginDenied answers a request the cross-origin protection refused
// outside the API: 403 with the error page of the area it was sent to
// (the checkout's, embeddable as the checkout is; the counter's and the
// display's, with the way back to the counter; the back office's), in the
// language the request asks for, or the counter's JSON error where its
// script reads JSON.
func (s *Server) crossOriginDenied(recovery gin.HandlerFunc) (http.Handler, error) {
	d := gin.New()
	d.RedirectTrailingSlash, d.RedirectFixedPath = false, false
	if err := d.SetTrustedProxies(s.opts.TrustedProxies); err != nil {
		return nil, err
	}
	d.Use(s.requestLog(), recovery)
	deny := func(c *gin.Context) { s.respondError(c, errCrossOrigin) }
	d.Any("/checkout/*rest", s.pageHeaders(true), s.compress(), deny)
	d.Any(CounterChargePath, s.dataHeaders(), counterJSON, deny)
	d.Any(CounterScanPath, s.dataHeaders(), counterJSON, deny)
	d.NoRoute(s.pageHeaders(false), s.compress(), counterJSONAsked(), deny)
	return d, nil
}

// apiSlash sends a request for a path under apiPrefix ending in "/" to
// miss, every other one to next.
func apiSlash(next, miss http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; strings.HasPrefix(p, apiPrefix+"/") && strings.HasSuffix(p, "/") {
			miss.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// app is the server as NewServer returns it: the engine behind the
// cross-origin protection. Tests list its routes (export_test.go).
type app struct {
	http.Handler
	engine *gin.Engine
}

// headAsGet answers HEAD on every GET route as GET without the body (RFC
// 9110, section 9.3.2), so monitors and link checkers probing /healthz or a
// page get its status and headers instead of 405. Routes that take no GET
// still answer 405.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		g := r.Clone(r.Context())
		g.Method = http.MethodGet
		next.ServeHTTP(headWriter{w}, g)
	})
}

// headWriter drops the body of a HEAD answer; the status and headers go
// through.
type headWriter struct{ http.ResponseWriter }

func (h headWriter) Write(p []byte) (int, error) { return len(p), nil }

// Flush lets a streaming handler flush (there is nothing to send).
func (h headWriter) Flush() {}

// requestLog gives every request an id and logs one line when it ends.
// Query strings are never logged: they carry socket tokens and link
// signatures.
func (s *Server) requestLog() gin.HandlerFunc {
	access := s.log
	if s.opts.AccessLog != nil {
		access = s.opts.AccessLog
	}
	return func(c *gin.Context) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		c.Set(stateKey, &reqState{id: id})
		c.Writer.Header()["X-Request-Id"] = []string{id}
		start := time.Now()
		c.Next()
		end := time.Now()
		ctx, h := context.Background(), access.Handler()
		if !h.Enabled(ctx, s.opts.AccessLogLevel) {
			return
		}
		path := c.FullPath() // the route pattern: capability ids stay out of logs
		if path == "" {
			path = "(no route)"
		}
		// The record goes straight to the handler, with typed attributes
		// (no []any to box). Logger.LogAttrs would also walk the stack
		// for the caller's pc, which only a handler with AddSource reads
		// (run's has none, and here it would always name this line):
		// 1.2 -> 0.95 µs a line with the JSON handler.
		r := slog.NewRecord(end, s.opts.AccessLogLevel, "request", 0)
		r.AddAttrs(slog.String("request_id", id),
			slog.String("method", c.Request.Method), slog.String("path", path), slog.Int("status", c.Writer.Status()),
			slog.Int64("duration_ms", end.Sub(start).Milliseconds()), slog.String("client", c.ClientIP()))
		_ = h.Handle(ctx, r)
	}
}

// apiPrefix is where the merchant API lives: every path under it answers
// JSON, even one no route serves.
const apiPrefix = "/api/v1"

// byArea runs api for a request under apiPrefix and page for any other.
func (s *Server) byArea(api, page gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if p := c.Request.URL.Path; p == apiPrefix || strings.HasPrefix(p, apiPrefix+"/") {
			api(c)
			return
		}
		page(c)
	}
}
