// Package paymentstest wires the real parts of the payment flow together
// for tests, as net/http/httptest does for servers: the SQLite store in a
// temporary directory, the Latipay simulator under an httptest server, the
// real Latipay client and gateway over HTTP, a real hub and the service,
// all on one settable clock.
//
// Latipay's callbacks go to an httptest server standing for this app. By
// default it answers them with Service.HandleNotification ("sent" on a nil
// error); handler tests swap in the whole router with SetApp, so callbacks,
// pages and sockets share one public URL.
//
// Only tests import it. It may import the domain, the hub, the Latipay
// client and simulator and the SQLite store, never handlers, views or
// config: the handler tests build their router
// on top of an Env (handlers/app_test.go's NewTestApp).
//
// Where to change what: the Env, its clock, the merchant account and the
// Must* and Wait* helpers are paymentstest.go; a signed callback form is
// Notification; a payment as the API's client reads it, apipayment.go;
// counting the Latipay queries per caller (the reconciler's claim),
// querylog.go; a log buffer safe for concurrent writers, syncbuffer.go.
// Shared fakes and wiring for tests belong here, next to the failpoint
// decorators (failpoint) and the skip rules for missing outside programs
// (needs).
package paymentstest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/sqlite"
)

// Test merchant account shared by the simulator and the client.
const (
	UserID    = "U000000001"
	APIKey    = "CANARY-paymentstest-latipay-key"
	WalletNZD = "W000000001"
	WalletAUD = "W000000002"
	WalletCNY = "W000000003"
)

// CallbackPath is where the default app receives Latipay's callbacks; it is
// the same path as the real router's.
const CallbackPath = "/latipay/callback"

// SandboxPath is the simulator's base path, the same as the app's sandbox
// mount point.
const SandboxPath = "/sandbox/latipay"

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time // guarded by mu
}

// NewClock returns a clock that reads t until advanced.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Options adjust NewEnv. The zero value is fine.
type Options struct {
	// Service is passed to payments.NewService; CallbackURL, ReturnURLFor
	// and CheckoutURLFor are filled in from the app's URL when empty.
	Service payments.Options
	// CallbackInterval is the simulator's retry interval; default 20ms.
	CallbackInterval time.Duration
	// Start is the clock's first reading; default 2026-03-01 01:00 UTC.
	Start time.Time
	// Now, when set, is the time the store and the service read instead
	// of Clock (time.Now for tests of real-time windows).
	Now func() time.Time
	// Log receives the service's log; default discarded.
	Log *slog.Logger
	// WrapStore, when set, wraps the store the service uses (to count or
	// fail its calls); Env.Store stays the SQLite store underneath.
	WrapStore func(payments.Store) payments.Store
	// WrapGateway, when set, wraps the gateway the service uses (to
	// change what Latipay answers, or when); Env.Gateway stays the real
	// client underneath.
	WrapGateway func(payments.Gateway) payments.Gateway
	// SimOnClock makes the simulator read Clock too, so what it times
	// (a barcode shopper's password, a late success) follows Advance.
	// By default it reads the real time.
	SimOnClock bool
	// Queries, when set, records every Latipay query that reaches the
	// simulator over HTTP, under the caller "app".
	Queries *QueryLog
}

// Env is one wired payment flow.
type Env struct {
	Clock   *Clock
	Store   *sqlite.DB
	Hub     *hub.Hub
	Sim     *latipaysim.Simulator
	SimURL  string // the simulator's base URL, ending in SandboxPath
	Client  *latipay.Client
	Gateway *latipay.Gateway
	Svc     *payments.Service
	AppURL  string // the public URL of the app server (callbacks land here)
	Log     *slog.Logger

	simSrv *httptest.Server

	app atomic.Pointer[http.Handler]
}

// NewEnv builds and starts everything; t.Cleanup stops it.
func NewEnv(t testing.TB, o Options) *Env {
	t.Helper()
	e := &Env{Log: o.Log}
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)
	}
	e.Clock = NewClock(o.Start)
	now := o.Now
	if now == nil {
		now = e.Clock.Now
	}
	if o.CallbackInterval == 0 {
		o.CallbackInterval = 20 * time.Millisecond
	}

	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hpp.db"), now)
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	e.Store = db
	e.Hub = hub.New()
	t.Cleanup(e.Hub.Close)

	appSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := e.app.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		e.receiveCallback(w, r)
	}))
	t.Cleanup(appSrv.Close)
	e.AppURL = appSrv.URL

	// The simulator's base path is the app's sandbox mount point, so the
	// same simulator also answers when an app router mounts it there.
	simSrv := httptest.NewUnstartedServer(nil)
	e.SimURL = "http://" + simSrv.Listener.Addr().String() + SandboxPath
	var simNow func() time.Time // nil: the real time
	if o.SimOnClock {
		simNow = e.Clock.Now
	}
	sim, err := latipaysim.New(latipaysim.Options{
		BaseURL: e.SimURL,
		Merchants: []latipaysim.Merchant{{UserID: UserID, APIKey: APIKey,
			Wallets: map[string]string{WalletNZD: "NZD", WalletAUD: "AUD", WalletCNY: "CNY"}}},
		CallbackInterval: o.CallbackInterval,
		CNYRate:          "4.64490",
		Now:              simNow,
	})
	if err != nil {
		t.Fatalf("latipaysim.New: %v", err)
	}
	simSrv.Config.Handler = sim
	if o.Queries != nil {
		simSrv.Config.Handler = http.StripPrefix(SandboxPath, o.Queries.Wrap("app", sim))
	}
	simSrv.Start()
	// Stop the simulator's callbacks before the app's server and store go.
	t.Cleanup(func() {
		sim.Close()
		simSrv.Close()
	})
	e.Sim, e.simSrv = sim, simSrv

	e.Client, err = latipay.New(latipay.Config{BaseURL: e.SimURL, UserID: UserID, APIKey: APIKey})
	if err != nil {
		t.Fatalf("latipay.New: %v", err)
	}
	e.Gateway, err = latipay.NewGateway(e.Client, map[string]string{"NZD": WalletNZD, "AUD": WalletAUD, "CNY": WalletCNY})
	if err != nil {
		t.Fatalf("latipay.NewGateway: %v", err)
	}

	so := o.Service
	if so.CallbackURL == "" {
		so.CallbackURL = e.AppURL + CallbackPath
	}
	if so.ReturnURLFor == nil {
		so.ReturnURLFor = func(id string) string { return e.AppURL + "/checkout/" + id + "/return" }
	}
	if so.CheckoutURLFor == nil {
		so.CheckoutURLFor = func(id string) string { return e.AppURL + "/checkout/" + id }
	}
	var store payments.Store = db
	if o.WrapStore != nil {
		store = o.WrapStore(db)
	}
	var gw payments.Gateway = e.Gateway
	if o.WrapGateway != nil {
		gw = o.WrapGateway(e.Gateway)
	}
	e.Svc, err = payments.NewService(store, gw, e.Hub, e.Log, now, rand.Reader, so)
	if err != nil {
		t.Fatalf("payments.NewService: %v", err)
	}
	return e
}

// SetApp makes h serve every request to AppURL, callbacks included.
func (e *Env) SetApp(h http.Handler) { e.app.Store(&h) }

// receiveCallback is the default app: Latipay's callback endpoint only.
func (e *Env) receiveCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != CallbackPath {
		http.NotFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed body", http.StatusBadRequest)
		return
	}
	err := e.Svc.HandleNotification(r.Context(), r.PostForm)
	switch {
	case err == nil:
		_, _ = w.Write([]byte("sent"))
	case errors.Is(err, payments.ErrBadSignature), errors.Is(err, payments.ErrMalformed):
		http.Error(w, "rejected", http.StatusBadRequest)
	default:
		http.Error(w, "retry later", http.StatusServiceUnavailable)
	}
}

// Input returns a valid create request; change fields as needed.
func Input(reference string) payments.CreateInput {
	return payments.CreateInput{Amount: "12.50", Currency: "NZD", Reference: reference,
		Description: "Test order", ReturnURL: "https://shop.example.com/done"}
}

// MustCreate creates a payment from in or fails the test.
func (e *Env) MustCreate(t testing.TB, in payments.CreateInput) payments.Payment {
	t.Helper()
	p, _, err := e.Svc.Create(context.Background(), in, "")
	if err != nil {
		t.Fatalf("Create(%+v): %v", in, err)
	}
	return p
}

// MustStart starts an attempt or fails the test.
func (e *Env) MustStart(t testing.TB, id string, m payments.Method, d payments.Device) payments.Started {
	t.Helper()
	st, err := e.Svc.Start(context.Background(), payments.StartInput{PaymentID: id, Method: string(m), Device: d, ClientIP: "203.0.113.7"})
	if err != nil {
		t.Fatalf("Start(%s, %s, %s): %v", id, m, d, err)
	}
	return st
}

// MustStartQR creates a payment from Input(reference) and starts a
// WeChat QR attempt on it from a desktop, or fails the test.
func (e *Env) MustStartQR(t testing.TB, reference string) (payments.Payment, payments.Started) {
	t.Helper()
	p := e.MustCreate(t, Input(reference))
	return p, e.MustStart(t, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
}

// MustGet reads a payment or fails the test.
func (e *Env) MustGet(t testing.TB, id string) payments.Payment {
	t.Helper()
	p, err := e.Svc.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return p
}

// MustEvents lists a payment's events or fails the test.
func (e *Env) MustEvents(t testing.TB, id string) []payments.Event {
	t.Helper()
	evs, err := e.Svc.Events(context.Background(), id)
	if err != nil {
		t.Fatalf("Events(%s): %v", id, err)
	}
	return evs
}

// CountEvents counts events of type typ.
func CountEvents(evs []payments.Event, typ string) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// WaitFor polls cond every few milliseconds until it is true, failing the
// test after timeout.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WaitStatus waits until payment id has status want, reading through the
// store (not the service, whose Get may expire it).
func (e *Env) WaitStatus(t testing.TB, id string, want payments.Status) payments.Payment {
	t.Helper()
	var p payments.Payment
	WaitFor(t, 5*time.Second, "payment "+id+" to be "+string(want), func() bool {
		var err error
		p, err = e.Store.Payment(context.Background(), id)
		return err == nil && p.Status == want
	})
	return p
}

// Notification builds the callback form Latipay sends for an attempt,
// signed with the simulator's key: the form a correct Latipay would send
// with these field values.
func Notification(ref, method, status, currency, amount string) url.Values {
	return url.Values{
		"merchant_reference": {ref}, "payment_method": {method}, "status": {status},
		"currency": {currency}, "amount": {amount}, "order_id": {"2026030100000001"},
		"pay_time":  {"2026-03-01 09:00:00"},
		"signature": {latipay.SignResult(APIKey, ref, method, status, currency, amount)},
	}
}

// MustPending brings a new payment (Input(reference)) to the state a
// WeChat start leaves it in, an attempt ref pending at Latipay, writing
// through the store rather than the simulator so that a test can make
// many quickly. It returns the payment's id and the paid notification
// Latipay would send for the attempt (Notification).
func (e *Env) MustPending(t testing.TB, reference, ref string) (id string, paid url.Values) {
	t.Helper()
	p := e.MustCreate(t, Input(reference))
	now := e.Clock.Now()
	a := payments.Attempt{Reference: ref, PaymentID: p.ID, Method: payments.MethodWeChat,
		Status: payments.AttemptPending, CreatedAt: now, NextCheckAt: now.Add(30 * time.Second)}
	if _, err := e.Store.Update(context.Background(), p.ID, func(tx *payments.Tx) error {
		tx.Payment.Status, tx.Payment.LatipayReference, tx.Payment.Attempts = payments.StatusPending, ref, 1
		tx.PutAttempt(a)
		return nil
	}); err != nil {
		t.Fatalf("pending %s: %v", p.ID, err)
	}
	return p.ID, Notification(ref, "wechat", "paid", "NZD", "12.50")
}

// PostCallback posts form to the app's callback endpoint, as Latipay does,
// and returns the answer as "status body" ("200 sent"). A failed request
// is reported with t.Error and returned as its error's text, so that it
// may be called from other goroutines.
func (e *Env) PostCallback(t testing.TB, form url.Values) string {
	resp, err := http.PostForm(e.AppURL+CallbackPath, form)
	if err != nil {
		t.Error(err)
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))
}

// WithField returns a copy of form with field k set to v: a callback
// altered after it was signed.
func WithField(form url.Values, k, v string) url.Values {
	f := url.Values{}
	for kk, vv := range form {
		f[kk] = append([]string(nil), vv...)
	}
	f.Set(k, v)
	return f
}

// StopSim closes the simulator's listener: every later call to Latipay
// is refused at the dial, as when the shop's internet is down, until
// ResumeSim.
func (e *Env) StopSim() {
	e.simSrv.Listener.Close()
	e.simSrv.CloseClientConnections()
	e.Client.CloseIdleConnections() // else the next call may go out on a dead one: an unknown outcome, not a refusal
}

// ResumeSim ends StopSim: the same simulator, with all it holds, listens
// again on its address, as when the shop's internet comes back.
func (e *Env) ResumeSim(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", e.simSrv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("the simulator's address again: %v", err)
	}
	srv := &http.Server{Handler: e.Sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
}
