package handlers_test

import (
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay"
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
// also reports the process's CPU time per request (benchCPU, user and
// system, from getrusage): on a shared machine the wall time per request
// moves with other tenants' load, the CPU it costs much less.
func benchGet(b *testing.B, h http.Handler, target string) {
	b.Helper()
	b.ReportAllocs()
	stop := benchCPU(b)
	defer stop()
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
// data calls (the simulator, in-process). It also reports the process's
// CPU time per start (cpu-µs/op: the app's and the simulator's, without
// the untimed creation of the payments) and its write system calls
// (syscw/op: mostly SQLite's WAL frames, two a page, and the HTTP writes).
func BenchmarkCheckoutStart(b *testing.B) {
	env, h := newBenchApp(b)
	ids := make([]string, 0, 1024)
	b.ReportAllocs()
	var cpu time.Duration
	var syscw int64
	t0, w0 := processCPU(b), procIO("syscw")
	for b.Loop() {
		b.StopTimer()
		if len(ids) == 0 {
			cpu, syscw = cpu+processCPU(b)-t0, syscw+procIO("syscw")-w0
			for i := range cap(ids) {
				ids = append(ids, env.MustCreate(b, paymentstest.Input(fmt.Sprintf("bench-start-%d-%d", b.N, i))).ID)
			}
			t0, w0 = processCPU(b), procIO("syscw")
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
	cpu, syscw = cpu+processCPU(b)-t0, syscw+procIO("syscw")-w0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	if w0 >= 0 {
		b.ReportMetric(float64(syscw)/float64(b.N), "syscw/op")
	}
}

// BenchmarkCallback is the callback scenario of e2e/load through the
// real router, without the network: signed paid notifications, one per
// distinct started payment (created and given a pending WeChat attempt
// untimed), from 64 goroutines, each answered "sent" only once its
// group-committed transaction (payment, attempt, event, notification) is
// durable. The access log is written as the app writes it (JSON, info)
// to io.Discard. Run it with a fixed count, e.g. -benchtime 4000x: b.N
// payments are prepared first.
func BenchmarkCallback(b *testing.B) {
	env, h := newBenchAppLog(b, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	forms := make([]string, b.N)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 32 {
		wg.Go(func() {
			for i := range next {
				forms[i] = benchStarted(b, env, fmt.Sprintf("bench-cb-%d-%d", b.N, i))
			}
		})
	}
	for i := range b.N {
		next <- i
	}
	close(next)
	wg.Wait()
	target := env.AppURL + paymentstest.CallbackPath
	var n atomic.Int64
	b.SetParallelism(32) // 64 goroutines on two cores, as the harness's 64 connections
	b.ReportAllocs()
	stop := benchCPU(b)
	defer stop()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			form := forms[n.Add(1)-1]
			r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK || w.Body.String() != "sent" {
				b.Errorf("callback: %d %q", w.Code, w.Body)
				return
			}
		}
	})
}

// benchStarted creates a payment with a pending WeChat attempt, as a
// start leaves it (the store's own writes, no gateway: the payment's
// method, reference and count, the attempt), and returns the signed paid
// notification for it. The method matters: a callback whose attempt's
// method is not the payment's also rewrites the payment's method index.
func benchStarted(b *testing.B, env *paymentstest.Env, reference string) string {
	p, _, err := env.Svc.Create(b.Context(), paymentstest.Input(reference), "")
	if err != nil {
		b.Error(err)
		return ""
	}
	ref := fmt.Sprintf("%x", sha256.Sum256([]byte(p.ID)))[:24]
	now := env.Clock.Now()
	a := payments.Attempt{Reference: ref, PaymentID: p.ID, Method: payments.MethodWeChat,
		Status: payments.AttemptPending, CreatedAt: now, NextCheckAt: now.Add(30 * time.Second)}
	_, err = env.Store.Update(b.Context(), p.ID, func(tx *payments.Tx) error {
		tx.Payment.Status, tx.Payment.LatipayReference, tx.Payment.Attempts = payments.StatusPending, ref, 1
		tx.Payment.Method = payments.MethodWeChat
		tx.PutAttempt(a)
		return nil
	})
	if err != nil {
		b.Error(err)
		return ""
	}
	return url.Values{"merchant_reference": {ref}, "order_id": {"2026030100000001"}, "currency": {"NZD"},
		"amount": {"12.50"}, "payment_method": {"wechat"}, "status": {"paid"}, "pay_time": {"2026-03-01 01:00:05"},
		"signature": {latipay.SignResult(paymentstest.APIKey, ref, "wechat", "paid", "NZD", "12.50")}}.Encode()
}

// benchCPU measures the process's CPU time (user and system) from now
// until the returned func is called and reports it per operation as
// cpu-µs/op: with 64 goroutines waiting on group commits, ns/op is a
// wall time shared by all of them, while the harness judges the app by
// CPU per callback; syscr/op and syscw/op are its read and write system
// calls (pread, pwrite) per operation. With HPP_BENCH_CPUPROFILE set it also writes a CPU
// profile of the same span to that file (go test's -cpuprofile covers
// the untimed preparation too).
func benchCPU(b *testing.B) (stop func()) {
	b.Helper()
	var prof *os.File
	if path := os.Getenv("HPP_BENCH_CPUPROFILE"); path != "" && b.N > 1 {
		var err error
		if prof, err = os.Create(path); err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(prof); err != nil {
			b.Fatal(err)
		}
	}
	cpu := func() time.Duration { return processCPU(b) }
	start, r0, w0 := cpu(), procIO("syscr"), procIO("syscw")
	return func() {
		used := cpu() - start
		if prof != nil {
			pprof.StopCPUProfile()
			prof.Close()
		}
		b.ReportMetric(float64(used.Microseconds())/float64(b.N), "cpu-µs/op")
		if r0 >= 0 && w0 >= 0 {
			b.ReportMetric(float64(procIO("syscr")-r0)/float64(b.N), "syscr/op")
			b.ReportMetric(float64(procIO("syscw")-w0)/float64(b.N), "syscw/op")
		}
	}
}

// processCPU is the process's CPU time so far, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procIO returns a counter of /proc/self/io (Linux): syscr and syscw
// count the process's read and write system calls (pread and pwrite
// included), which cost dearly on a virtual machine; -1 elsewhere.
func procIO(name string) int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}
