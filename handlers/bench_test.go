package handlers_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// newBenchApp is the real router over the real store and simulator, with
// rate limits off (one client address sends every request) and the
// access log discarded.
func newBenchApp(b *testing.B) (*paymentstest.Env, http.Handler) {
	b.Helper()
	return newBenchAppLog(b, slog.New(slog.DiscardHandler))
}

// newBenchAppLog is newBenchApp with the given access log.
func newBenchAppLog(b *testing.B, log *slog.Logger) (*paymentstest.Env, http.Handler) {
	b.Helper()
	app := handlers.NewTestApp(b, handlers.TestAppOptions{Log: log, GinMode: gin.ReleaseMode,
		Edit: func(_ *paymentstest.Env, o *handlers.Options) {
			o.MerchantName, o.Sandbox, o.Limits = "Bench Shop", nil, handlers.Limits{Off: true}
		}})
	return app.Env, app.H
}

// benchGet serves GET path through h in a loop and checks the status. It
// also reports the process's CPU time per request (cpu-ns/op, user and
// system, from getrusage): on a shared machine the wall time per request
// moves with other tenants' load, the CPU it costs much less.
func benchGet(b *testing.B, h http.Handler, target string) {
	b.Helper()
	b.ReportAllocs()
	cpu0 := processCPU()
	defer func() { b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op") }()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.Header.Set("User-Agent", desktopUA)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", target, w.Code)
		}
	}
}

// BenchmarkCheckoutShow renders GET /checkout/:id showing a WeChat QR:
// the store read, the view model and the templ page, with headers.
func BenchmarkCheckoutShow(b *testing.B) {
	env, h := newBenchApp(b)
	p := env.MustCreate(b, paymentstest.Input("bench-1"))
	env.MustStart(b, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
	benchGet(b, h, env.AppURL+handlers.CheckoutPath(p.ID))
}

// BenchmarkCheckoutShowGzip is BenchmarkCheckoutShow asked for with a
// browser's Accept-Encoding: the difference is the cost of gzipping the
// page per response.
func BenchmarkCheckoutShowGzip(b *testing.B) {
	env, h := newBenchApp(b)
	p := env.MustCreate(b, paymentstest.Input("bench-1"))
	env.MustStart(b, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
	target := env.AppURL + handlers.CheckoutPath(p.ID)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.Header.Set("User-Agent", desktopUA)
		r.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "gzip" {
			b.Fatalf("GET %s: %d, Content-Encoding %q", target, w.Code, w.Header().Get("Content-Encoding"))
		}
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size), "body-bytes")
}

// BenchmarkCheckoutShowChooser renders GET /checkout/:id before a method
// is chosen (what the load harness's render scenario fetches).
func BenchmarkCheckoutShowChooser(b *testing.B) {
	env, h := newBenchApp(b)
	p := env.MustCreate(b, paymentstest.Input("bench-2"))
	benchGet(b, h, env.AppURL+handlers.CheckoutPath(p.ID))
}

// BenchmarkCheckoutShowChooserLogged is BenchmarkCheckoutShowChooser
// with the access log written as the app writes it (JSON, info level),
// to io.Discard: newBenchApp's discarded log hides its cost.
func BenchmarkCheckoutShowChooserLogged(b *testing.B) {
	env, h := newBenchAppLog(b, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	p := env.MustCreate(b, paymentstest.Input("bench-2"))
	benchGet(b, h, env.AppURL+handlers.CheckoutPath(p.ID))
}

// BenchmarkQRShow draws GET /checkout/:id/qr.png: the store read and the
// PNG encoding of the wallet's QR text.
func BenchmarkQRShow(b *testing.B) {
	env, h := newBenchApp(b)
	p := env.MustCreate(b, paymentstest.Input("bench-3"))
	st := env.MustStart(b, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
	benchGet(b, h, env.AppURL+handlers.CheckoutPath(p.ID)+"/qr.png?ref="+st.Attempt.Reference)
}

// BenchmarkCheckoutStart serves POST /checkout/:id/start method=wechat as
// a desktop browser: two durable writes around Latipay's create and QR
// data calls (the simulator, in-process).
func BenchmarkCheckoutStart(b *testing.B) {
	env, h := newBenchApp(b)
	ids := make([]string, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if len(ids) == 0 {
			for i := range cap(ids) {
				ids = append(ids, env.MustCreate(b, paymentstest.Input(fmt.Sprintf("bench-start-%d-%d", b.N, i))).ID)
			}
		}
		id := ids[len(ids)-1]
		ids = ids[:len(ids)-1]
		b.StartTimer()
		r := httptest.NewRequest(http.MethodPost, env.AppURL+handlers.CheckoutPath(id)+"/start", strings.NewReader("method=wechat"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Origin", env.AppURL)
		r.Header.Set("User-Agent", desktopUA)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusSeeOther {
			b.Fatalf("start: %d %s", w.Code, w.Body)
		}
	}
}

// processCPU is the user and system time this process has used, in
// nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
