// Package latipaysim is an offline simulator of the Latipay v2 merchant API.
//
// A Simulator is an http.Handler, as net/http/httptest is for HTTP: tests run
// it under httptest.NewServer, sandbox mode mounts it inside the app (at any
// path prefix), and load tests run it as a separate process. It speaks the
// endpoints a hosted payment page needs (create, hosted page, merchant-hosted
// QR data, query with is_block, refund, cancel) and the counter's barcode
// call, keeps its ledger (in memory, or in a Journal that simulators in
// several processes may share), sends
// signed callbacks with Latipay's retry rule, and exposes explicit controls
// (Pay, Fail, Simulate, SetFaults) plus black-box control endpoints
// (/simulate, /ledger, /faults).
//
// It imports no package of this module: it signs with its own few lines of
// code (sign.go), checked against the
// published vectors in testdata, so a signing bug in the client is never
// mirrored here. It is deterministic given Options.Now and Options.Rand.
//
// Routes, relative to the path of Options.BaseURL:
//
//	POST /v2/transaction                          create
//	GET  /pay/{nonce}, POST /pay/{nonce}          hosted payment page
//	GET  /v2/merchanthosted/gatewaydata/{nonce}   merchant-hosted QR data
//	GET  /v2/transaction/{merchant_reference}     query, optional is_block=1
//	POST /refund                                  refund
//	POST /cancel                                  cancel
//	POST /barcode                                 charge a shopper's pay code (barcode.go)
//	POST /simulate                                control: complete a transaction
//	GET  /ledger                                  control: ledger snapshot
//	GET  /faults, POST /faults                    control: read or replace faults
//
// Choices where the documentation is silent (the protocol itself is in the
// latipay package doc):
//
//   - A merchant_reference is unique across the whole simulator, because the
//     controls address a transaction by reference alone; reuse is code 207
//     "merchant_reference already used" (Latipay documents no code for it).
//   - The create signature is checked right after the user is found, before
//     wallet, version, amount and method, so an unsigned caller learns nothing
//     about a merchant's wallets.
//   - A gatewaydata nonce answers once; a second GET is 207 "nonce already
//     used". The hosted page may be reloaded while the transaction is pending.
//   - host_type=1 is offered for wechat and alipay only (the only methods
//     Latipay documents a QR for); other methods get 303.
//   - payment_method is stored, signed and reported in lower case.
//   - Callbacks are sent for paid and failed; cancel sends none, and
//     barcode transactions (which have no callback_url) get none.
//   - What a barcode payment does is chosen by the pay code's last two
//     digits or a large amount: paid at once, a password first, refused, or
//     a late success (barcode.go has the list).
package latipaysim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options configures a Simulator. Only BaseURL and Merchants are required.
type Options struct {
	// BaseURL is the public base URL where the handler is reachable, e.g.
	// http://127.0.0.1:PORT or http://localhost:8080/sandbox/latipay. host_url
	// values are built from it and its path is the routing prefix.
	BaseURL string
	// Merchants are the accounts the simulator knows; at least one.
	Merchants []Merchant
	// CallbackInterval is the retry interval for callbacks; default 30s.
	CallbackInterval time.Duration
	// CallbackClient posts callbacks; nil means a client with a 10s timeout.
	CallbackClient *http.Client
	// Now is the clock; nil means time.Now. It may be called with the
	// simulator's lock held, so it must not call the simulator.
	Now func() time.Time
	// Rand is the source of nonces, order ids and QR texts; nil means crypto/rand.
	Rand io.Reader
	// Logger receives one line per callback attempt; nil discards. The api
	// key and signing pre-images are never logged.
	Logger *slog.Logger
	// CNYRate is the NZD/AUD to CNY rate used for amount_cny and
	// currency_rate, e.g. "4.64490"; default "4.50000".
	CNYRate string
	// Journal, when set, is the ledger: it keeps it across restarts and
	// shares it with every simulator given the same journal (see
	// Journal). Nil keeps the ledger in this simulator's memory.
	Journal Journal
	// BarcodePasswordDelay is how long a shopper asked for a password
	// takes to answer (barcode.go); default 10s.
	BarcodePasswordDelay time.Duration
	// BarcodeLateDelay is how long a late barcode success takes; default
	// 60s, longer than a counter waits.
	BarcodeLateDelay time.Duration
}

// Merchant is one Latipay merchant account.
type Merchant struct {
	// UserID is the merchant's user_id, e.g. U000334333.
	UserID string
	// APIKey is the HMAC key shared with the merchant.
	APIKey string
	// Wallets maps wallet_id to its currency: NZD, AUD or CNY.
	Wallets map[string]string
	// Methods are the enabled payment methods; default wechat, alipay, upi_upop.
	Methods []string
}

// Simulator is a fake Latipay. Create it with New; it is safe for concurrent
// use and must be closed with Close to stop callback deliveries.
type Simulator struct {
	base      string // BaseURL without trailing slash
	prefix    string // path of BaseURL without trailing slash; "" at root
	merchants map[string]*Merchant
	interval  time.Duration
	client    *http.Client
	now       func() time.Time
	rand      io.Reader // guarded by mu
	log       *slog.Logger
	rate      rate
	// passwordDelay and lateDelay time the barcode behaviours (barcode.go).
	passwordDelay, lateDelay time.Duration
	mux                      *http.ServeMux
	zlibs                    sync.Pool // *zlib.Writer at BestSpeed, reused for QR PNGs (gatewaydata.go)

	ctx    context.Context // cancelled by Close; parent of callback requests
	cancel context.CancelFunc
	wg     sync.WaitGroup // callback goroutines
	once   sync.Once

	mu     sync.Mutex
	closed bool // guarded by mu; no new callback goroutines once set
	faults Faults
	seq    int64 // last order id sequence number; guarded by mu
	// ledger holds the transactions (ledger.go): the journal's, or
	// memory's when there is none.
	ledger ledger
	// journal is Options.Journal; blocked queries poll it for changes
	// made by other simulators.
	journal Journal
	// waiters are the blocked queries' channels by merchant reference;
	// guarded by mu.
	waiters map[string]*waiter
	// refundsSeen and refundsMade count valid refund requests and refunds
	// made since the faults were last set, for the every-nth refund
	// faults. Guarded by mu.
	refundsSeen, refundsMade int
}

// New validates opts and returns a ready Simulator.
func New(opts Options) (*Simulator, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("latipaysim: BaseURL %q is not an absolute http(s) URL", opts.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("latipaysim: BaseURL must not have a query or fragment")
	}
	if len(opts.Merchants) == 0 {
		return nil, errors.New("latipaysim: at least one merchant is required")
	}
	s := &Simulator{
		base:      strings.TrimRight(opts.BaseURL, "/"),
		prefix:    strings.TrimRight(u.Path, "/"),
		merchants: make(map[string]*Merchant),
		interval:  opts.CallbackInterval,
		client:    opts.CallbackClient,
		now:       opts.Now,
		rand:      opts.Rand,
		log:       opts.Logger,
		journal:   opts.Journal,
		waiters:   map[string]*waiter{},

		passwordDelay: cmp.Or(opts.BarcodePasswordDelay, defaultPasswordDelay),
		lateDelay:     cmp.Or(opts.BarcodeLateDelay, defaultLateDelay),
	}
	if s.passwordDelay < 0 || s.lateDelay < 0 {
		return nil, errors.New("latipaysim: barcode delays must not be negative")
	}
	for i := range opts.Merchants {
		m, err := checkMerchant(opts.Merchants[i])
		if err != nil {
			return nil, err
		}
		if s.merchants[m.UserID] != nil {
			return nil, fmt.Errorf("latipaysim: duplicate merchant %q", m.UserID)
		}
		s.merchants[m.UserID] = m
	}
	if s.rate, err = parseRate(cmpOr(opts.CNYRate, "4.50000")); err != nil {
		return nil, err
	}
	if s.interval < 0 {
		return nil, errors.New("latipaysim: CallbackInterval must not be negative")
	}
	if s.interval == 0 {
		s.interval = 30 * time.Second
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 10 * time.Second}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = cryptoRand{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mux = s.routes()
	if err := s.seedOrderIDs(); err != nil {
		return nil, err
	}
	s.ledger = newMemLedger()
	if s.journal != nil {
		s.ledger = &journalLedger{j: s.journal, merchants: s.merchants}
	}
	return s, nil
}

// routes lists every route of the simulator.
func (s *Simulator) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/transaction", s.api(s.handleCreate))
	mux.HandleFunc("GET /v2/transaction/{ref}", s.api(s.handleQuery))
	mux.HandleFunc("GET /v2/merchanthosted/gatewaydata/{nonce}", s.api(s.handleGatewayData))
	mux.HandleFunc("POST /refund", s.api(s.handleRefund))
	mux.HandleFunc("POST /cancel", s.api(s.handleCancel))
	mux.HandleFunc("GET /v2/detail/{wallet_id}", s.api(s.handleWallet))
	mux.HandleFunc("POST /barcode", s.api(s.handleBarcode))
	mux.HandleFunc("GET /pay/{nonce}", s.handlePayPage)
	mux.HandleFunc("POST /pay/{nonce}", s.handlePayAction)
	mux.HandleFunc("POST /simulate", s.handleSimulate)
	mux.HandleFunc("GET /ledger", s.handleLedger)
	mux.HandleFunc("GET /faults", s.handleFaultsGet)
	mux.HandleFunc("POST /faults", s.handleFaultsSet)
	return mux
}

// ServeHTTP routes r on its path with the BaseURL path prefix removed when
// present, so the simulator works at the root, under a prefix, and behind
// http.StripPrefix alike.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, s.stripPrefix(r))
}

func (s *Simulator) stripPrefix(r *http.Request) *http.Request {
	p := r.URL.Path
	if s.prefix == "" || (p != s.prefix && !strings.HasPrefix(p, s.prefix+"/")) {
		return r
	}
	r2 := new(http.Request)
	*r2 = *r
	r2.URL = new(url.URL)
	*r2.URL = *r.URL
	r2.URL.Path = cmpOr(strings.TrimPrefix(p, s.prefix), "/")
	r2.URL.RawPath = ""
	if r.URL.RawPath != "" {
		ep := (&url.URL{Path: s.prefix}).EscapedPath()
		if strings.HasPrefix(r.URL.RawPath, ep) {
			r2.URL.RawPath = cmpOr(strings.TrimPrefix(r.URL.RawPath, ep), "/")
		}
	}
	return r2
}

// Close stops callback deliveries and waits for their goroutines, and wakes
// blocked queries. It is idempotent.
func (s *Simulator) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
	})
	s.wg.Wait()
}
