// Package listen owns the app's listeners and their TLS: plain HTTP when a
// proxy in front terminates TLS; HTTPS with a certificate obtained and
// renewed from an ACME CA (certmagic), or with the operator's certificate
// files, reloaded when they change. With TLS on, a plain-HTTP listener
// answers ACME HTTP-01 challenges and redirects everything else to the
// public https URL; HTTP/2 is on. It knows nothing of routes or payments:
// run hands it the app's http.Handler. With TLS off, a handler may ask
// for its response to leave in one write (OneWrite, whole.go).
//
// Start-up errors name the setting at fault (HPP_ADDR, HPP_HTTP_ADDR,
// HPP_TLS_CERT_FILE, HPP_TLS_KEY_FILE, HPP_ACME_DIRECTORY), so that an
// operator reading one line knows what to change.
//
// It imports nothing of this module (run copies its Options from config),
// so the listeners change here and the settings in config/tls.go.
package listen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Mode says where the certificate comes from.
type Mode string

// The modes, as HPP_TLS spells them.
const (
	Off   Mode = "off"   // plain HTTP
	ACME  Mode = "acme"  // from an ACME CA
	Files Mode = "files" // from CertFile and KeyFile
)

// Options are the listener and certificate settings; run copies them from
// the configuration.
type Options struct {
	Mode      Mode
	Addr      string   // HPP_ADDR: the app's listener (https unless Mode is Off)
	HTTPAddr  string   // HPP_HTTP_ADDR: plain HTTP for challenges and the redirect; "" for none
	PublicURL *url.URL // its host names the certificate; the redirect goes there

	ACMEEmail     string        // may be empty
	ACMEDirectory string        // the CA's directory URL
	ACMECARoot    string        // PEM file trusted for the directory's own TLS; "" for the system roots
	ACMEStorage   string        // directory for the account, keys and certificates
	ACMECheck     time.Duration // how often renewal is considered; > 0

	CertFile, KeyFile string // Mode Files

	Log *slog.Logger // never nil
	// Requests is the context every request's context derives from; nil
	// for none. Cancelling it (run does, as the graceful stop's budget
	// runs out) cuts the work in flight short, Latipay calls included,
	// so that each request still answers before the process ends.
	Requests context.Context
}

// reloadEvery is how often certificate files are checked for a change:
// a stat and two small reads.
const reloadEvery = 2 * time.Second

// IdleTimeout is how long a keep-alive connection may wait for its next
// request before the server closes it. A client that reuses a connection
// idle for about as long races that close: its request is written as the
// server closes the connection unread, and the client gets EOF or a reset
// (the app never saw the request, so nothing was applied). A client should
// retire idle connections sooner; the load harness does (e2e/load).
const IdleTimeout = 60 * time.Second

// obtainTimeout bounds getting the first certificate at start-up.
const obtainTimeout = 3 * time.Minute

// Server is the running listeners.
type Server struct {
	app, plain *http.Server // plain is nil without an HTTP listener
	ln         net.Listener
	errc       chan error       // a listener's failure, buffered for both
	stop       func()           // ends certificate maintenance; never nil
	notAfter   func() time.Time // the served certificate's expiry; nil with TLS off
}

// Start listens, gets a certificate when TLS is on (from storage or the CA
// for ACME, from the files otherwise) and serves h until Shutdown. It
// returns once the app's listener serves with a certificate.
func Start(ctx context.Context, o Options, h http.Handler) (*Server, error) {
	if o.Mode == "" {
		o.Mode = Off
	}
	s := &Server{errc: make(chan error, 2), stop: func() {}}
	// Request headers are capped at 64 KiB (net/http answers 431 beyond).
	s.app = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, IdleTimeout: IdleTimeout,
		MaxHeaderBytes: 64 << 10, ErrorLog: errorLog(o.Log)}
	if o.Requests != nil {
		s.app.BaseContext = func(net.Listener) context.Context { return o.Requests }
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("HPP_ADDR: %w", err)
	}
	s.ln = ln
	if o.Mode == Off {
		go s.servePlain(s.app, ln)
		return s, nil
	}
	var pl net.Listener
	if o.HTTPAddr != "" {
		if pl, err = net.Listen("tcp", o.HTTPAddr); err != nil {
			ln.Close()
			return nil, fmt.Errorf("HPP_HTTP_ADDR: %w (set HPP_HTTP_ADDR=off to go without the redirect and HTTP-01)", err)
		}
	}
	var tc *tls.Config
	var m *acmeCert
	redirect := redirectTo(o.PublicURL)
	switch o.Mode {
	case Files:
		fc, err := newFileCert(o.CertFile, o.KeyFile, o.PublicURL.Hostname(), o.Log)
		if err == nil {
			tc, s.notAfter = &tls.Config{GetCertificate: fc.get}, fc.notAfter
			watch, cancel := context.WithCancel(context.Background())
			s.stop = cancel
			go fc.watch(watch, reloadEvery)
		}
		if err != nil {
			closeAll(ln, pl)
			return nil, err
		}
	case ACME:
		m, err = newACME(o, port(pl), port(ln))
		if err != nil {
			closeAll(ln, pl)
			return nil, err
		}
		tc, s.stop, s.notAfter = m.tlsConfig(), m.stop, m.notAfter
		redirect = m.issuer.HTTPChallengeHandler(redirect)
	default:
		closeAll(ln, pl)
		return nil, fmt.Errorf("HPP_TLS: unknown mode %q", o.Mode)
	}
	tc.MinVersion = tls.VersionTLS12
	tc.NextProtos = append([]string{"h2", "http/1.1"}, tc.NextProtos...)
	s.app.TLSConfig = tc
	// The TLS listener serves from here on for TLS-ALPN-01, and a stored
	// certificate may already complete handshakes; the app answers 503
	// until Start has decided it has a certificate to serve.
	var ready atomic.Bool
	s.app.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
	go s.serve(s.app, tls.NewListener(ln, tc))
	if pl != nil {
		s.plain = &http.Server{Handler: redirect, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, IdleTimeout: IdleTimeout,
			MaxHeaderBytes: 64 << 10, ErrorLog: s.app.ErrorLog}
		go s.serve(s.plain, pl)
	}
	if m != nil {
		if err := m.obtain(ctx); err != nil {
			_ = s.Shutdown(context.Background())
			return nil, err
		}
	}
	ready.Store(true)
	return s, nil
}

// serve runs srv on ln, reporting anything but a shutdown on s.errc.
func (s *Server) serve(srv *http.Server, ln net.Listener) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.errc <- err
	}
}

// servePlain is serve with ServePlain's connections (whole.go).
func (s *Server) servePlain(srv *http.Server, ln net.Listener) {
	if err := ServePlain(srv, ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.errc <- err
	}
}

// Addr is the app's listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// CertNotAfter is when the certificate served expires (it changes as
// the certificate is renewed or reloaded); ok is false with TLS off.
func (s *Server) CertNotAfter() (notAfter time.Time, ok bool) {
	if s.notAfter == nil {
		return time.Time{}, false
	}
	return s.notAfter(), true
}

// Err delivers the error of a listener that stopped serving.
func (s *Server) Err() <-chan error { return s.errc }

// Shutdown stops both listeners gracefully and ends certificate upkeep.
func (s *Server) Shutdown(ctx context.Context) error {
	defer s.stop()
	var errs []error
	if s.plain != nil {
		errs = append(errs, s.plain.Shutdown(ctx))
	}
	errs = append(errs, s.app.Shutdown(ctx))
	return errors.Join(errs...)
}

// redirectTo sends every request to the same path on the public https
// URL: the public host, never the request's, so it cannot be pointed
// elsewhere. GET and HEAD get 301; other methods 308, which keeps them.
func redirectTo(public *url.URL) http.Handler {
	base := "https://" + public.Host
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := http.StatusPermanentRedirect
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			code = http.StatusMovedPermanently
		}
		http.Redirect(w, r, base+r.URL.RequestURI(), code)
	})
}

// errorLog takes http.Server's own messages at warn, but failed TLS
// handshakes (scanners, clients that give up, and the name-less probes
// every public port gets) at debug: they are noise, not faults.
func errorLog(l *slog.Logger) *log.Logger {
	return log.New(writerFunc(func(p []byte) (int, error) {
		msg := strings.TrimSpace(string(p))
		lv := slog.LevelWarn
		if strings.HasPrefix(msg, "http: TLS handshake error") {
			lv = slog.LevelDebug
		}
		l.Log(context.Background(), lv, msg)
		return len(p), nil
	}), "", 0)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func port(ln net.Listener) int {
	if ln == nil {
		return 0
	}
	return ln.Addr().(*net.TCPAddr).Port
}

func closeAll(lns ...net.Listener) {
	for _, ln := range lns {
		if ln != nil {
			ln.Close()
		}
	}
}
