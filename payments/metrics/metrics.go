// Package metrics exposes the app's numbers in the Prometheus text format
// through github.com/prometheus/client_golang. It is an adapter: it wraps
// the domain's ports (payments.Store and payments.Gateway) and the HTTP
// handler in decorators that count and time what passes through them, so
// that the payments package never imports Prometheus.
//
// Labels carry only values from small fixed sets (method, currency,
// status, endpoint, outcome): never a payment id, a reference, an order id,
// an address or a secret, so the number of series stays bounded whatever
// the traffic. Anything outside a set is counted as "other".
//
// The metrics are served on their own listener (HPP_METRICS_ADDR), never
// on the public port: see Serve.
//
// It imports payments and Prometheus only; run installs the decorators.
// Decorators are in store.go, gateway.go and http.go, one per port.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/latipay-hpp/hpp/payments"
)

// Metrics holds the app's collectors in a registry of its own.
type Metrics struct {
	reg *prometheus.Registry
	now func() time.Time

	payments     *prometheus.CounterVec   // event, method, currency
	callbacks    *prometheus.CounterVec   // outcome
	callbackTime prometheus.Histogram     //
	latipay      *prometheus.CounterVec   // endpoint, outcome
	latipayTime  *prometheus.HistogramVec // endpoint
	deliveries   *prometheus.CounterVec   // state
	backlog      prometheus.Gauge         //
	commitTime   *prometheus.HistogramVec // op
	paidVia      *prometheus.CounterVec   // via
	caughtUp     atomic.Int64             // unix nanoseconds the reconciler last caught up
}

// New returns the collectors, the Go runtime's and the process's among
// them. sockets, when not nil, reports the open shopper sockets.
func New(now func() time.Time, sockets func() int) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), now: now}
	latency := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m.payments = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hpp_payments_total",
		Help: "Payment events by kind (created, started, paid, failed, expired, canceled, refunded), method and currency."},
		[]string{"event", "method", "currency"})
	m.callbacks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hpp_callbacks_total",
		Help: "Latipay callbacks by outcome (accepted, unknown, bad_signature, malformed, limited, error)."}, []string{"outcome"})
	m.callbackTime = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hpp_callback_duration_seconds",
		Help: "Time to answer a Latipay callback, commit included.", Buckets: latency})
	m.latipay = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hpp_latipay_requests_total",
		Help: "Calls to Latipay's API by endpoint (start, query, cancel, refund) and outcome (ok, error)."}, []string{"endpoint", "outcome"})
	m.latipayTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hpp_latipay_request_duration_seconds",
		Help: "Latency of calls to Latipay's API by endpoint.", Buckets: latency}, []string{"endpoint"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hpp_webhook_deliveries_total",
		Help: "Webhook delivery tries by the event's state after the try (delivered, retrying, failed)."}, []string{"state"})
	m.backlog = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hpp_webhook_backlog",
		Help: "Webhook events not yet delivered (nor given up), as last counted by the worker."})
	m.commitTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hpp_store_commit_duration_seconds",
		Help:    "Time to commit a store transaction by operation (create, update, delivery).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}}, []string{"op"})
	m.paidVia = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hpp_checkout_paid_total",
		Help: "Payments paid, all but counter pay-code sales (for which Latipay sends no callback), by what told us: Latipay's callback or our query (callback, query, other)."},
		[]string{"via"})
	// Zero from the start, so that increase() sees the first of each.
	m.paidVia.WithLabelValues("callback")
	m.paidVia.WithLabelValues("query")
	m.callbacks.WithLabelValues("accepted")
	m.callbacks.WithLabelValues("unknown")
	m.caughtUp.Store(now().UnixNano())
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hpp_reconciler_lag_seconds",
		Help: "Seconds since the reconciler last caught up with the attempts due for a check."},
		func() float64 { return m.lagSeconds() })
	m.reg.MustRegister(m.payments, m.callbacks, m.callbackTime, m.latipay, m.latipayTime, m.deliveries, m.backlog,
		m.commitTime, m.paidVia, lag,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if sockets != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hpp_open_sockets",
			Help: "Shopper pages connected by WebSocket to this instance."}, func() float64 { return float64(sockets()) }))
	}
	return m
}

// Certificate exports the served TLS certificate's expiry, read at each
// scrape from notAfter (it changes as the certificate is renewed or
// reloaded), as hpp_tls_certificate_not_after_seconds. run calls it when
// the app serves TLS itself.
func (m *Metrics) Certificate(notAfter func() time.Time) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hpp_tls_certificate_not_after_seconds",
		Help: "When the TLS certificate served expires, in Unix seconds (HPP_TLS acme or files)."},
		func() float64 { return float64(notAfter().Unix()) }))
}

// WriteHealth exports the store's write failures (a full disk, an I/O
// error) by readiness's rule (payments.HeldWriteFailure):
// hpp_store_write_failing is 1 while /readyz fails for one, within
// payments.WriteFailureHold of the last, whatever committed since, so an
// alert on it does not flap with each write that commits; and
// hpp_store_write_failure_timestamp_seconds says when that write failed
// (0 when none is held). Both are read at each scrape, at m's clock.
func (m *Metrics) WriteHealth(h payments.WriteHealth) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hpp_store_write_failing",
		Help: "1 while /readyz fails for a database write that failed (disk full, I/O error): a minute after the last one, whatever committed since; else 0."},
		func() float64 {
			if _, held := payments.HeldWriteFailure(h, m.now()); held {
				return 1
			}
			return 0
		}))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hpp_store_write_failure_timestamp_seconds",
		Help: "When the database write that hpp_store_write_failing holds failed, in Unix seconds; 0 when it is 0."},
		func() float64 {
			if f, held := payments.HeldWriteFailure(h, m.now()); held {
				return float64(f.At.Unix())
			}
			return 0
		}))
}

// lagSeconds is how long ago the reconciler last caught up: about the
// tick interval when it keeps up, growing when attempts are due faster
// than it may query Latipay (HPP_RECONCILE_RATE) or when it is stuck.
func (m *Metrics) lagSeconds() float64 {
	return max(0, time.Duration(m.now().UnixNano()-m.caughtUp.Load()).Seconds())
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Listen opens the metrics listener. It refuses the public address (the
// numbers are for the operator only) and names HPP_METRICS_ADDR in every
// error.
func Listen(addr, publicAddr string) (net.Listener, error) {
	if sameAddr(addr, publicAddr) {
		return nil, fmt.Errorf("HPP_METRICS_ADDR: %s is the public address (HPP_ADDR); give the metrics a port of their own, such as 127.0.0.1:9090", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("HPP_METRICS_ADDR: cannot listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve serves the metrics on ln until ctx ends.
func (m *Metrics) Serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		sh, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sh)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("HPP_METRICS_ADDR: %w", err)
	}
	return nil
}

// sameAddr reports whether two listen addresses name the same port on an
// overlapping interface (":8080" overlaps "127.0.0.1:8080").
func sameAddr(a, b string) bool {
	ha, pa, err1 := net.SplitHostPort(a)
	hb, pb, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	if pa != pb || pa == "0" {
		return false
	}
	any := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || any(ha) || any(hb)
}

// method and currency keep labels to known values.
func method(s string) string {
	switch s {
	case "wechat", "alipay", "upi_upop":
		return s
	case "":
		return "none"
	}
	return "other"
}

func currency(s string) string {
	switch s {
	case "NZD", "AUD", "CNY":
		return s
	}
	return "other"
}

func outcome(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}
