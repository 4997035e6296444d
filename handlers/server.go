// Package handlers is the HTTP layer: the gin engine, every route, the
// error funnel, security headers, the websocket and the QR images.
// Handlers parse, call the payments service, fill a view model and render.
package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/static"
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
	LinkSecret      string   // signs /pay links
	TokenKey        []byte   // signs socket tokens
	FormActionHosts []string // Latipay origins the checkout may post and redirect to
	Sandbox         http.Handler
	Ready           func(*http.Request) error // readiness check (database)
	Now             func() time.Time
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
}

// NewServer builds the gin engine with its middleware and routes, wrapped
// in cross-origin request protection.
func NewServer(log *slog.Logger, opts Options, svc *payments.Service, store sessions.Store, h *hub.Hub, assets *static.Assets) (http.Handler, error) {
	if log == nil || svc == nil || store == nil || h == nil || assets == nil || opts.PublicURL == nil || opts.Now == nil || len(opts.TokenKey) < 16 {
		return nil, errors.New("handlers: NewServer: missing dependency")
	}
	s := &Server{log: log, opts: opts, svc: svc, sessions: store, hub: h, assets: assets,
		origin: opts.PublicURL.Scheme + "://" + opts.PublicURL.Host}
	e := gin.New()
	e.HandleMethodNotAllowed = true
	if err := e.SetTrustedProxies(opts.TrustedProxies); err != nil {
		return nil, err
	}
	e.Use(s.requestLog(), gin.CustomRecovery(func(c *gin.Context, _ any) {
		s.respondError(c, errors.New("handlers: panic"))
	}))
	e.NoRoute(func(c *gin.Context) { s.respondError(c, payments.ErrNotFound) })
	e.NoMethod(func(c *gin.Context) { s.respondError(c, errMethod) })
	s.engine = e
	addRoutes(s, e)
	csrf := http.NewCrossOriginProtection()
	csrf.AddInsecureBypassPattern("POST " + CallbackPath)
	return csrf.Handler(e), nil
}

// requestLog gives every request an id and logs one line when it ends.
// Query strings are never logged: they carry socket tokens and link
// signatures.
func (s *Server) requestLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		c.Set("request_id", id)
		c.Header("X-Request-Id", id)
		start := time.Now()
		c.Next()
		path := c.FullPath() // the route pattern: capability ids stay out of logs
		if path == "" {
			path = "(no route)"
		}
		s.log.Info("request", "request_id", id, "method", c.Request.Method, "path", path,
			"status", c.Writer.Status(), "duration_ms", time.Since(start).Milliseconds(), "client", c.ClientIP())
	}
}

func requestID(c *gin.Context) string { return c.GetString("request_id") }
