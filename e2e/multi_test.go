package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/pgbroker"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// The multi-instance tests run two processes of the built binary on one
// PostgreSQL database (HPP_TEST_POSTGRES; see .ci/postgres), not in sandbox
// mode: both talk to one Latipay simulator under httptest, so they share
// one ledger. Everything here is prefixed "multi".

const (
	multiAPIKey     = "e2e-multi-api-key-0123456789abcdef0123"
	multiSessionKey = "e2e-multi-session-key-shared-by-all-instances"
	multiLinkSecret = "e2e-multi-link-secret-0123456789abcdef"
	multiLatipayKey = "e2e-multi-latipay-key-0123456789"
	multiUserID     = "U000000001"
	multiWallet     = "W000000001"
	multiDesktopUA  = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
	// multiBound is a generous limit for a push to cross instances; the
	// measured latency is logged (the target is under a second).
	multiBound = 5 * time.Second
)

// multiSim is one Latipay simulator reachable at two addresses, one per
// instance, so that queries can be told apart by instance.
type multiSim struct {
	sim  *latipaysim.Simulator
	urls map[string]string      // instance name -> base URL
	log  *paymentstest.QueryLog // each instance's queries, by its name
}

func multiNewSim(t *testing.T, names ...string) *multiSim {
	t.Helper()
	s := &multiSim{urls: map[string]string{}, log: paymentstest.NewQueryLog()}
	var srvs []*httptest.Server
	for _, n := range names {
		srv := httptest.NewUnstartedServer(nil)
		s.urls[n] = "http://" + srv.Listener.Addr().String()
		srvs = append(srvs, srv)
	}
	sim, err := latipaysim.New(latipaysim.Options{
		BaseURL:          s.urls[names[0]],
		Merchants:        []latipaysim.Merchant{{UserID: multiUserID, APIKey: multiLatipayKey, Wallets: map[string]string{multiWallet: "NZD"}}},
		CallbackInterval: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.sim = sim
	for i, srv := range srvs {
		srv.Config.Handler = s.log.Wrap(names[i], sim)
		srv.Start()
	}
	t.Cleanup(func() {
		sim.Close()
		for _, srv := range srvs {
			srv.Close()
		}
	})
	return s
}

// multiHooks is the merchant's webhook endpoint: it records each
// payment.paid event it receives, answering after delay.
type multiHooks struct {
	URL   string
	delay time.Duration

	mu       sync.Mutex
	paid     map[string]map[string]int // payment id -> event id -> posts
	posts    int
	inflight int // requests being answered now
}

// busy reports whether a delivery is being received right now.
func (h *multiHooks) busy() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.inflight > 0
}

// multiSecret signs webhooks on every instance.
const multiWebhookSecret = "e2e-multi-webhook-secret-0123456789abcdef"

func multiNewHooks(t *testing.T, delay time.Duration) *multiHooks {
	t.Helper()
	h := &multiHooks{delay: delay, paid: map[string]map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			ID      string `json:"id"`
			Type    string `json:"type"`
			Payment struct {
				ID string `json:"id"`
			} `json:"payment"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.inflight++
		h.mu.Unlock()
		defer func() { h.mu.Lock(); h.inflight--; h.mu.Unlock() }()
		select {
		case <-time.After(h.delay):
		case <-r.Context().Done():
			return
		}
		h.mu.Lock()
		h.posts++
		if ev.Type == "payment.paid" {
			if h.paid[ev.Payment.ID] == nil {
				h.paid[ev.Payment.ID] = map[string]int{}
			}
			h.paid[ev.Payment.ID][ev.ID]++
		}
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// env is the settings that point an instance at this endpoint.
func (h *multiHooks) env() []string {
	return []string{"HPP_WEBHOOK_URL=" + h.URL + "/hook", "HPP_WEBHOOK_SECRET=" + multiWebhookSecret}
}

// paidEvents returns how many distinct payment.paid events arrived for
// payment id, and how many posts carried them.
func (h *multiHooks) paidEvents(id string) (events, posts int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.paid[id] {
		events++
		posts += n
	}
	return events, posts
}

// multiApp is one running instance of the binary.
type multiApp struct {
	*proc
	name   string
	URL    string
	client *http.Client
}

// multiStart starts an instance of the binary bin on database db that
// talks to Latipay at latipayURL, waits until it is ready, and stops it
// when t ends.
func multiStart(t *testing.T, bin, name, db, latipayURL string, env ...string) *multiApp {
	t.Helper()
	addr := freeAddr(t)
	a := &multiApp{name: name, URL: "http://" + addr, client: noRedirects()}
	a.proc = runMain(t, &proc{name: "instance " + name, bin: bin, ready: a.URL + "/readyz", env: append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HPP_ADDR=" + addr,
		"HPP_PUBLIC_URL=" + a.URL,
		"HPP_DATABASE=" + db,
		"HPP_API_KEY=" + multiAPIKey,
		"HPP_SESSION_KEY=" + multiSessionKey,
		"HPP_LINK_SECRET=" + multiLinkSecret,
		"LATIPAY_API_URL=" + latipayURL,
		"LATIPAY_USER_ID=" + multiUserID,
		"LATIPAY_API_KEY=" + multiLatipayKey,
		"LATIPAY_WALLET_NZD=" + multiWallet,
		"HPP_RECONCILE_INTERVAL=200ms",
		"HPP_LOG_LEVEL=warn",
	}, env...)})
	return a
}

// kill ends the instance with SIGKILL: no shutdown, no cleanup.
func (a *multiApp) kill(t *testing.T) {
	t.Helper()
	a.proc.kill(syscall.SIGKILL)
}

func (a *multiApp) do(t *testing.T, req *http.Request, want int, into any) {
	t.Helper()
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatalf("%s: %s %s: %v", a.name, req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s: %s %s = %d, want %d: %s", a.name, req.Method, req.URL.Path, resp.StatusCode, want, b)
	}
	if into != nil {
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatalf("%s: %s %s: decode %s: %v", a.name, req.Method, req.URL.Path, b, err)
		}
	}
}

// multiPayment is the part of the merchant API's payment the tests read.
type multiPayment struct {
	ID               string `json:"id"`
	Status           string `json:"status"`
	LatipayReference string `json:"latipay_reference"`
}

// pay creates a NZD 12.50 payment on a and starts a WeChat QR attempt, as
// a desktop shopper choosing WeChat would. It returns the payment with its
// attempt's reference.
func (a *multiApp) pay(t *testing.T) multiPayment {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"amount": "12.50", "currency": "NZD",
		"reference": fmt.Sprintf("M-%d", time.Now().UnixNano()), "description": "Green tea",
		"return_url": "https://shop.example/thanks"})
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/api/v1/payments", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+multiAPIKey)
	req.Header.Set("Content-Type", "application/json")
	var p multiPayment
	a.do(t, req, http.StatusCreated, &p)
	req, _ = http.NewRequest(http.MethodPost, a.URL+"/checkout/"+p.ID+"/start", strings.NewReader("method=wechat"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", multiDesktopUA)
	a.do(t, req, http.StatusSeeOther, nil)
	p = a.payment(t, p.ID)
	if p.LatipayReference == "" {
		t.Fatalf("%s: payment %s has no attempt after start", a.name, p.ID)
	}
	return p
}

func (a *multiApp) payment(t *testing.T, id string) multiPayment {
	t.Helper()
	var p multiPayment
	a.do(t, apiGet(a.URL, multiAPIKey, "/api/v1/payments/"+id), http.StatusOK, &p)
	return p
}

// socket opens the checkout page's websocket for payment id on a, with the
// token from the page a rendered.
func (a *multiApp) socket(t *testing.T, id string) *websocket.Conn {
	t.Helper()
	_, body := get(t, a.client, a.URL+"/checkout/"+id, multiDesktopUA)
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	path, ok := doc.Find("[data-socket-url]").Attr("data-socket-url")
	if !ok {
		t.Fatalf("%s: checkout page of %s has no data-socket-url", a.name, id)
	}
	h := http.Header{"Origin": {a.URL}}
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(a.URL, "http")+path, h)
	if err != nil {
		t.Fatalf("%s: dial socket: %v", a.name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// multiMessage is what the socket sends.
type multiMessage struct {
	Status  string `json:"status"`
	Version int64  `json:"version"`
}

// multiWaitStatus reads the socket until it reports want, within multiBound.
func multiWaitStatus(t *testing.T, c *websocket.Conn, want string) multiMessage {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(multiBound))
	for {
		var m multiMessage
		if err := c.ReadJSON(&m); err != nil {
			t.Fatalf("socket: waiting for %q: %v", want, err)
		}
		if m.Status == want {
			return m
		}
	}
}

// multiPair starts a simulator and two instances, A and B, on one fresh
// database.
func multiPair(t *testing.T, env ...string) (db string, sim *multiSim, a, b *multiApp) {
	t.Helper()
	db = pgtest.Database(t)
	bin := mainBinary(t, "")
	sim = multiNewSim(t, "A", "B")
	a = multiStart(t, bin, "A", db, sim.urls["A"], env...)
	b = multiStart(t, bin, "B", db, sim.urls["B"], env...)
	return db, sim, a, b
}

// TestMultiCallbackOnAPushOnB is pgbroker.TestFanOut end to end: Latipay's
// callback reaches instance A while the shopper's socket is held by B; B
// pushes "paid".
func TestMultiCallbackOnAPushOnB(t *testing.T) {
	_, sim, a, b := multiPair(t)
	p := a.pay(t)
	ws := b.socket(t, p.ID)
	first := multiWaitStatus(t, ws, "pending")
	start := time.Now()
	if err := sim.sim.Pay(p.LatipayReference); err != nil { // its callback goes to A
		t.Fatal(err)
	}
	m := multiWaitStatus(t, ws, "paid")
	t.Logf("callback on A -> socket on B: paid pushed after %v", time.Since(start))
	if m.Version <= first.Version {
		t.Errorf("paid version %d, want above %d", m.Version, first.Version)
	}
}

// TestMultiDuplicateCallbacks is P0 30 (e2e/README.md) on two instances: 1,000
// identical signed "paid" notifications spread over A and B in parallel
// make exactly one transition and one outbox event, delivered as one
// webhook; every reply is "sent" or 503, never 4xx.
func TestMultiDuplicateCallbacks(t *testing.T) {
	hooks := multiNewHooks(t, 0)
	db, sim, a, b := multiPair(t, hooks.env()...)
	p := a.pay(t)
	sim.sim.SetFaults(latipaysim.Faults{DropCallbacks: true}) // only ours arrive
	if err := sim.sim.Pay(p.LatipayReference); err != nil {
		t.Fatal(err)
	}
	before := pgtest.QueryInt64(t, db, `SELECT version FROM payments WHERE id = $1`, p.ID)
	form := url.Values{
		"merchant_reference": {p.LatipayReference}, "payment_method": {"wechat"}, "status": {"paid"},
		"currency": {"NZD"}, "amount": {"12.50"}, "order_id": {"20260301000001"}, "pay_time": {"2026-03-01 09:00:00"},
		"signature": {latipay.SignResult(multiLatipayKey, p.LatipayReference, "wechat", "paid", "NZD", "12.50")},
	}
	body := form.Encode()
	const n, workers = 1000, 32
	type reply struct {
		code int
		body string
	}
	var (
		mu      sync.Mutex
		replies = map[reply]int{}
		wg      sync.WaitGroup
		next    = make(chan int)
	)
	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	for range workers {
		wg.Go(func() {
			for i := range next {
				target := []*multiApp{a, b}[i%2]
				r := reply{}
				resp, err := client.Post(target.URL+"/latipay/callback", "application/x-www-form-urlencoded", strings.NewReader(body))
				if err != nil {
					r.body = "error: " + err.Error()
				} else {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					r.code, r.body = resp.StatusCode, string(b)
					if r.code == http.StatusServiceUnavailable {
						r.body = ""
					}
				}
				mu.Lock()
				replies[r]++
				mu.Unlock()
			}
		})
	}
	start := time.Now()
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	t.Logf("%d callbacks over 2 instances in %v: replies %v", n, time.Since(start), replies)
	for r, c := range replies {
		if !(r.code == http.StatusOK && r.body == "sent") && r.code != http.StatusServiceUnavailable {
			t.Errorf("%d replies %d %q; want 200 sent or 503", c, r.code, r.body)
		}
	}
	if got := a.payment(t, p.ID).Status; got != "paid" {
		t.Errorf("status = %q, want paid", got)
	}
	if got := pgtest.QueryInt64(t, db, `SELECT count(*) FROM events WHERE payment_id = $1 AND type = 'payment.paid'`, p.ID); got != 1 {
		t.Errorf("payment.paid events (the webhook outbox) = %d, want 1", got)
	}
	if got := pgtest.QueryInt64(t, db, `SELECT count(*) FROM notifications WHERE reference = $1`, p.LatipayReference); got != 1 {
		t.Errorf("recorded notifications = %d, want 1", got)
	}
	if got := pgtest.QueryInt64(t, db, `SELECT version FROM payments WHERE id = $1`, p.ID); got != before+1 {
		t.Errorf("version went from %d to %d, want one increment", before, got)
	}
	multiWait(t, 10*time.Second, "the payment.paid webhook", func() bool { e, _ := hooks.paidEvents(p.ID); return e > 0 })
	// Give a wrongly doubled delivery the chance to arrive: the next outbox
	// pass of both instances (every HPP_RECONCILE_INTERVAL-ish) has run once
	// the delivery is recorded as delivered.
	multiWait(t, 10*time.Second, "the delivery to be recorded", func() bool {
		return pgtest.QueryInt64(t, db, `SELECT count(*) FROM events WHERE payment_id = $1
			AND type = 'payment.paid' AND webhook_state = 'delivered'`, p.ID) == 1
	})
	if events, posts := hooks.paidEvents(p.ID); events != 1 || posts != 1 {
		t.Errorf("webhooks: %d payment.paid events in %d posts, want 1 in 1", events, posts)
	}
}

// TestMultiKilledDuringReconcile runs on two instances: A is
// killed with SIGKILL while it is querying Latipay about due attempts whose
// callbacks never came, and delivering the webhooks of those it found paid
// (the merchant's endpoint is slow); B finishes both. Nothing is lost
// (every payment ends paid, every payment.paid webhook arrives) and nothing
// is doubled (one paid event each; a webhook in flight when A died may
// arrive twice, with the same event id, as at-least-once allows).
func TestMultiKilledDuringReconcile(t *testing.T) {
	const n = 12
	db := pgtest.Database(t)
	bin := mainBinary(t, "")
	sim := multiNewSim(t, "A", "B")
	hooks := multiNewHooks(t, 300*time.Millisecond)
	a := multiStart(t, bin, "A", db, sim.urls["A"], hooks.env()...)
	var ps []multiPayment
	for range n {
		ps = append(ps, a.pay(t))
	}
	// Latipay has them all paid, but no callback arrives: only
	// reconciliation can find out. Each query takes a while, so A is
	// caught in the middle of its batch.
	sim.sim.SetFaults(latipaysim.Faults{DropCallbacks: true, Delay: 150 * time.Millisecond})
	for _, p := range ps {
		if err := sim.sim.Pay(p.LatipayReference); err != nil {
			t.Fatal(err)
		}
	}
	// The attempts' first check is 30 s after they started: bring it
	// forward rather than wait.
	pgtest.Exec(t, db, `UPDATE attempts SET next_check_at = now() WHERE status IN ('initiated', 'pending')`)
	// Kill A while it is both querying Latipay and sending a webhook.
	multiWait(t, 15*time.Second, "A to query Latipay and send a webhook", func() bool {
		return sim.log.Total("A") >= 2 && hooks.busy()
	})
	a.kill(t)
	doneByA := sim.log.Total("A")
	t.Logf("A killed after %d queries", doneByA)

	b := multiStart(t, bin, "B", db, sim.urls["B"], hooks.env()...)
	// A died holding leases on the attempts and webhook events it had
	// claimed; they lapse after two minutes and one. Let them lapse now
	// rather than wait.
	pgtest.Exec(t, db, `UPDATE attempts SET next_check_at = now() WHERE status IN ('initiated', 'pending')`)
	pgtest.Exec(t, db, `UPDATE events SET webhook_next_at = now()
		WHERE webhook_next_at > now() AND (webhook_state IS NULL OR webhook_state = 'retrying')`)
	multiWait(t, 20*time.Second, "B to finish", func() bool {
		return pgtest.QueryInt64(t, db, `SELECT count(*) FROM payments WHERE status = 'paid'`) == n
	})
	for _, p := range ps {
		if got := pgtest.QueryInt64(t, db, `SELECT count(*) FROM events WHERE payment_id = $1 AND type = 'payment.paid'`, p.ID); got != 1 {
			t.Errorf("%s: %d payment.paid events, want 1", p.ID, got)
		}
		if st := b.payment(t, p.ID).Status; st != "paid" {
			t.Errorf("%s: status %q, want paid", p.ID, st)
		}
	}
	redelivered := 0
	for _, p := range ps {
		multiWait(t, 20*time.Second, "the payment.paid webhook of "+p.ID, func() bool { e, _ := hooks.paidEvents(p.ID); return e > 0 })
		events, posts := hooks.paidEvents(p.ID)
		if events != 1 {
			t.Errorf("%s: %d distinct payment.paid webhook events, want 1", p.ID, events)
		}
		redelivered += posts - events
	}
	t.Logf("webhooks: %d payment.paid events arrived, %d of them again after A died mid-send", n, redelivered)
	if o := sim.log.Overlaps(); len(o) > 0 {
		t.Errorf("attempts queried by two workers at once: %v", o)
	}
	t.Logf("queries: A %d, B %d", doneByA, sim.log.Total("B"))
}

// TestMultiListenerDropped is pgbroker.TestReconnectResync end to end: B's LISTEN
// connection is terminated; sockets on B still receive a change made on A.
func TestMultiListenerDropped(t *testing.T) {
	db, sim, a, b := multiPair(t)
	p := a.pay(t)
	ws := b.socket(t, p.ID)
	multiWaitStatus(t, ws, "pending")
	// Both instances listen on this database; end them all.
	if got := pgtest.QueryInt64(t, db, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, pgbroker.ApplicationName); got != 2 {
		t.Fatalf("terminated %d listener connections, want 2 (one per instance)", got)
	}
	start := time.Now()
	if err := sim.sim.Pay(p.LatipayReference); err != nil { // its callback goes to A
		t.Fatal(err)
	}
	multiWaitStatus(t, ws, "paid")
	t.Logf("paid pushed on B %v after its listener was cut", time.Since(start))
	multiWait(t, 10*time.Second, "listeners to come back", func() bool {
		return pgtest.QueryInt64(t, db, `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND datname = current_database()`, pgbroker.ApplicationName) == 2
	})
	// A later payment still reaches B's sockets through the new connection.
	q := a.pay(t)
	ws2 := b.socket(t, q.ID)
	multiWaitStatus(t, ws2, "pending")
	if err := sim.sim.Pay(q.LatipayReference); err != nil {
		t.Fatal(err)
	}
	multiWaitStatus(t, ws2, "paid")
}

// multiWait polls cond until it holds or within passes.
func multiWait(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), within)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waited %v for %s", within, what)
		case <-tick.C:
		}
	}
}
