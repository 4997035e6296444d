package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// Tests 65 and 68 through the real router, the real SQLite store
// (synchronous=FULL) and the real verifier.

// countingStore counts every call into the store. It implements each
// method itself, so a new Store method is a compile error here, not an
// uncounted path.
type countingStore struct {
	inner payments.Store
	calls atomic.Int64
}

var _ payments.Store = (*countingStore)(nil)

func (s *countingStore) CreatePayment(ctx context.Context, p payments.Payment, ev payments.Event, idem payments.Idempotency) (payments.Payment, bool, error) {
	s.calls.Add(1)
	return s.inner.CreatePayment(ctx, p, ev, idem)
}
func (s *countingStore) Payment(ctx context.Context, id string) (payments.Payment, error) {
	s.calls.Add(1)
	return s.inner.Payment(ctx, id)
}
func (s *countingStore) Attempt(ctx context.Context, ref string) (payments.Attempt, error) {
	s.calls.Add(1)
	return s.inner.Attempt(ctx, ref)
}
func (s *countingStore) Attempts(ctx context.Context, id string) ([]payments.Attempt, error) {
	s.calls.Add(1)
	return s.inner.Attempts(ctx, id)
}
func (s *countingStore) Events(ctx context.Context, id string) ([]payments.Event, error) {
	s.calls.Add(1)
	return s.inner.Events(ctx, id)
}
func (s *countingStore) EventsOfType(ctx context.Context, ids []string, typ string) ([]payments.Event, error) {
	s.calls.Add(1)
	return s.inner.EventsOfType(ctx, ids, typ)
}
func (s *countingStore) Refunds(ctx context.Context, id string) ([]payments.Refund, error) {
	s.calls.Add(1)
	return s.inner.Refunds(ctx, id)
}
func (s *countingStore) Update(ctx context.Context, id string, fn func(tx *payments.Tx) error) (payments.Payment, error) {
	s.calls.Add(1)
	return s.inner.Update(ctx, id, fn)
}
func (s *countingStore) Notifications(ctx context.Context, ref string) ([]payments.Notification, error) {
	s.calls.Add(1)
	return s.inner.Notifications(ctx, ref)
}
func (s *countingStore) AttemptPayment(ctx context.Context, ref string) (string, error) {
	s.calls.Add(1)
	return s.inner.AttemptPayment(ctx, ref)
}
func (s *countingStore) IdempotentPayment(ctx context.Context, key string) (string, string, error) {
	s.calls.Add(1)
	return s.inner.IdempotentPayment(ctx, key)
}
func (s *countingStore) NotificationSeen(ctx context.Context, ref, digest string) (bool, error) {
	s.calls.Add(1)
	return s.inner.NotificationSeen(ctx, ref, digest)
}
func (s *countingStore) RecordOrphan(ctx context.Context, n payments.Notification) error {
	s.calls.Add(1)
	return s.inner.RecordOrphan(ctx, n)
}
func (s *countingStore) PaidOrphans(ctx context.Context, since time.Time, limit int) ([]payments.Notification, int, error) {
	s.calls.Add(1)
	return s.inner.PaidOrphans(ctx, since, limit)
}
func (s *countingStore) FindPaidOrphans(ctx context.Context, text string, limit int) ([]payments.Notification, error) {
	s.calls.Add(1)
	return s.inner.FindPaidOrphans(ctx, text, limit)
}
func (s *countingStore) ClaimDueAttempts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]payments.Attempt, error) {
	s.calls.Add(1)
	return s.inner.ClaimDueAttempts(ctx, now, lease, limit)
}
func (s *countingStore) ClaimDueRefunds(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]payments.Refund, error) {
	s.calls.Add(1)
	return s.inner.ClaimDueRefunds(ctx, now, lease, limit)
}
func (s *countingStore) MisstatedRefunds(ctx context.Context, limit int) ([]string, error) {
	s.calls.Add(1)
	return s.inner.MisstatedRefunds(ctx, limit)
}
func (s *countingStore) ExpiredPayments(ctx context.Context, now time.Time, limit int) ([]string, error) {
	s.calls.Add(1)
	return s.inner.ExpiredPayments(ctx, now, limit)
}
func (s *countingStore) ListPayments(ctx context.Context, f payments.PaymentFilter) ([]payments.Payment, error) {
	s.calls.Add(1)
	return s.inner.ListPayments(ctx, f)
}
func (s *countingStore) ClaimWebhookEvents(ctx context.Context, q payments.OutboxQuery) ([]payments.OutboxEvent, error) {
	s.calls.Add(1)
	return s.inner.ClaimWebhookEvents(ctx, q)
}
func (s *countingStore) RecordDelivery(ctx context.Context, d payments.Delivery) error {
	s.calls.Add(1)
	return s.inner.RecordDelivery(ctx, d)
}
func (s *countingStore) Deliveries(ctx context.Context, f payments.DeliveryFilter) ([]payments.Delivery, error) {
	s.calls.Add(1)
	return s.inner.Deliveries(ctx, f)
}
func (s *countingStore) WebhookEndpointSince(ctx context.Context, q payments.OutboxQuery) (time.Time, error) {
	s.calls.Add(1)
	return s.inner.WebhookEndpointSince(ctx, q)
}

// floodApp is the app over a counted store, served on loopback.
type floodApp struct {
	*secApp
	store *countingStore
}

// newFloodApp is newSecApp (security_test.go) with the store counted and
// the limits given (zero fields take the shipped defaults).
func newFloodApp(t testing.TB, lim Limits) *floodApp {
	t.Helper()
	var cs *countingStore
	wrap := func(s payments.Store) payments.Store { cs = &countingStore{inner: s}; return cs }
	a := newSecAppEnv(t, slog.LevelInfo, time.Hour, wrap, func(o *Options) {
		o.MerchantName = "Flood Shop"
		o.Limits = lim
	})
	return &floodApp{secApp: a, store: cs}
}

// newAttempts creates n payments with a WeChat attempt each, several at a
// time, and returns the attempts' references.
func (a *floodApp) newAttempts(t testing.TB, n int) []string {
	t.Helper()
	refs := make([]string, n)
	var wg sync.WaitGroup
	var next atomic.Int64
	var failed atomic.Value
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				ctx := context.Background()
				p, _, err := a.svc.Create(ctx, payments.CreateInput{Amount: "12.50", Currency: "NZD",
					Reference: fmt.Sprintf("FLOOD-%05d", i), ReturnURL: a.url + "/", Source: "api"}, "")
				if err == nil {
					var st payments.Started
					st, err = a.svc.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop, ClientIP: "127.0.0.1"})
					refs[i] = st.Attempt.Reference
				}
				if err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	return refs
}

// hasNotification reports whether ns holds an applied notification
// with that status.
func hasNotification(ns []payments.Notification, status string) bool {
	for _, n := range ns {
		if n.Status == status && n.Result == "applied" {
			return true
		}
	}
	return false
}

// TestNotificationIngestion is test 65, scaled for CI: distinct signed
// paid notifications at 200/s for 3 s (600 payments: setting up more costs
// too much CI time under -race), 10 % of them sent a second time,
// over loopback HTTP against the SQLite store with synchronous=FULL. A
// non-"sent" answer is retried 50 ms later, as Latipay would. Every
// notification is eventually "sent"; at the moment each "sent" arrives
// the sender reads the database through a fresh read transaction and
// finds the committed inbox row and the paid payment (zero "sent"
// without a committed row); at the end the sender's log and the database
// agree. Latency is not asserted here: the load harness (e2e/load) owns
// it.
func TestNotificationIngestion(t *testing.T) {
	const rate, seconds = 200, 3
	a := newFloodApp(t, Limits{})
	refs := a.newAttempts(t, rate*seconds)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	t.Cleanup(client.CloseIdleConnections)

	type logEntry struct {
		ref      string
		tries    int
		sent     bool
		verified bool   // a committed row was there when "sent" arrived
		saw      string // what the check found, when it failed
	}
	var mu sync.Mutex
	var log []logEntry // the sender's log; guarded by mu
	post := func(ref string) {
		form := signedNotification(secLatipayKey, ref, "wechat", "paid", "NZD", "12.50")
		e := logEntry{ref: ref}
		deadline := time.Now().Add(10 * time.Second)
		for !e.sent && time.Now().Before(deadline) {
			e.tries++
			resp, err := client.Post(a.url+CallbackPath, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				e.sent = resp.StatusCode == http.StatusOK && string(b) == "sent"
			}
			if !e.sent {
				time.Sleep(50 * time.Millisecond) // Latipay's retry interval, scaled down
			}
		}
		if e.sent {
			ns, err1 := a.db.Notifications(context.Background(), ref)
			att, err2 := a.db.Attempt(context.Background(), ref)
			var p payments.Payment
			var err3 error
			if err2 == nil {
				p, err3 = a.db.Payment(context.Background(), att.PaymentID)
			}
			e.verified = err1 == nil && err2 == nil && err3 == nil && hasNotification(ns, "paid") && p.Status == payments.StatusPaid
			if !e.verified {
				e.saw = fmt.Sprintf("notifications %+v (%v); attempt %s %s (%v); payment %s v%d (%v)",
					ns, err1, att.PaymentID, att.Status, err2, p.Status, p.Version, err3)
			}
		}
		mu.Lock()
		log = append(log, e)
		mu.Unlock()
	}

	// Pace: one notification every 1/rate s; every tenth is repeated.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64) // in flight at once, like a connection pool
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	start := time.Now()
	for i, ref := range refs {
		<-tick.C
		for range 1 + btoi(i%10 == 0) {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				post(ref)
			})
		}
	}
	wg.Wait()
	elapsed := time.Since(start)

	sent, unverified := 0, 0
	for _, e := range log {
		if !e.sent {
			t.Errorf("%s: never sent after %d tries", e.ref, e.tries)
		}
		if e.sent {
			sent++
		}
		if e.sent && !e.verified {
			unverified++
			t.Errorf(`%s: "sent" without a committed inbox row and a paid payment: %s`, e.ref, e.saw)
		}
	}
	if want := len(refs) + len(refs)/10; len(log) != want {
		t.Errorf("sender log has %d entries, want %d", len(log), want)
	}
	// Cross-check the other way: every payment is paid once, and its
	// notification recorded once (the duplicates added nothing).
	for _, ref := range refs {
		ns, err := a.db.Notifications(context.Background(), ref)
		if err != nil || len(ns) != 1 {
			t.Errorf("%s: %d notification rows (%v), want 1", ref, len(ns), err)
		}
	}
	t.Logf("%d notifications (%d distinct) sent in %s; %d unverified", sent, len(refs), elapsed.Round(time.Millisecond), unverified)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestJunkFlood is test 68 at handler level: a flood of callbacks with
// bad signatures from several addresses, mixed with correctly signed
// ones. Junk is rejected before any store call (counted by a wrapping
// Store), leaves no row, is limited per address (429 with Retry-After
// once the shipped budget of 10 is spent) and logged only while within
// that budget; every valid notification, even from a flooding address,
// gets "sent" and is applied.
func TestJunkFlood(t *testing.T) {
	a := newFloodApp(t, Limits{}) // the shipped defaults
	const valid, junkPerValid = 50, 40
	refs := a.newAttempts(t, valid)
	addrs := []string{"192.0.2.1:1", "192.0.2.2:1", "198.51.100.3:1", "203.0.113.4:1"}
	junkForm := func(i int) url.Values {
		ref := refs[i%len(refs)]
		switch i % 4 {
		case 0: // another key
			return signedNotification("attacker-key-0123456789abcdef0123", ref, "wechat", "paid", "NZD", "12.50")
		case 1: // an unknown reference, properly shaped, badly signed
			return signedNotification("attacker-key-0123456789abcdef0123", fmt.Sprintf("JUNK%012d", i), "wechat", "paid", "NZD", "12.50")
		case 2: // signature of other fields
			f := signedNotification(secLatipayKey, ref, "wechat", "paid", "NZD", "0.01")
			f.Set("amount", "12.50")
			return f
		default: // not hex
			f := signedNotification(secLatipayKey, ref, "wechat", "paid", "NZD", "12.50")
			f.Set("signature", strings.Repeat("zz", 32))
			return f
		}
	}
	var codes sync.Map // status code -> *atomic.Int64
	count := func(code int) {
		v, _ := codes.LoadOrStore(code, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	junk := func(from, n int) {
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := from + w; i < from+n; i += 8 {
					r := postCallback(junkForm(i))
					r.RemoteAddr = addrs[i%len(addrs)]
					w := a.do(r)
					count(w.Code)
					switch w.Code {
					case http.StatusUnauthorized, http.StatusBadRequest:
					case http.StatusTooManyRequests:
						if w.Header().Get("Retry-After") == "" {
							t.Errorf("429 without Retry-After")
						}
					default:
						t.Errorf("junk callback %d = %d %q, want 401, 400 or 429", i, w.Code, w.Body.String())
					}
				}
			})
		}
		wg.Wait()
	}

	// Junk alone: not one store call.
	before := a.store.calls.Load()
	junk(0, 1000)
	if n := a.store.calls.Load() - before; n != 0 {
		t.Errorf("%d store calls for 1,000 junk callbacks, want 0 (rejected before any DB access)", n)
	}

	// Junk mixed with valid ones (40:1), each valid one from a flooding
	// address.
	before = a.store.calls.Load()
	var wg sync.WaitGroup
	wg.Go(func() { junk(1000, valid*junkPerValid) })
	validCodes := make([]int, valid)
	for i, ref := range refs {
		wg.Go(func() {
			r := postCallback(signedNotification(secLatipayKey, ref, "wechat", "paid", "NZD", "12.50"))
			r.RemoteAddr = addrs[i%len(addrs)]
			w := a.do(r)
			validCodes[i] = w.Code
			if w.Code != http.StatusOK || w.Body.String() != "sent" {
				t.Errorf("valid callback %s during the flood = %d %q, want 200 sent", ref, w.Code, w.Body.String())
			}
		})
	}
	wg.Wait()
	// A valid paid notification costs three store calls: the inbox
	// lookup, the attempt, the update. Junk adds none.
	if n, max := a.store.calls.Load()-before, int64(3*valid); n > max {
		t.Errorf("%d store calls during the mixed flood, want at most %d (3 per valid notification)", n, max)
	}

	// The database holds exactly the valid notifications.
	for i, ref := range refs {
		ns, err := a.db.Notifications(context.Background(), ref)
		if err != nil || len(ns) != 1 || !hasNotification(ns, "paid") {
			t.Errorf("%s: notifications %+v, %v; want the one valid row", ref, ns, err)
		}
		junkRef := fmt.Sprintf("JUNK%012d", 4*i+1) // one of the unknown references the junk used
		if ns, _ := a.db.Notifications(context.Background(), junkRef); len(ns) != 0 {
			t.Errorf("junk reference %s has %d rows, want 0", junkRef, len(ns))
		}
		if st := a.status(t, mustAttemptPayment(t, a, ref)); st != payments.StatusPaid {
			t.Errorf("%s: payment %s, want paid", ref, st)
		}
	}

	// Limiting engaged, and logging stayed within the per-address budget.
	n401, n429 := loadCount(&codes, http.StatusUnauthorized), loadCount(&codes, http.StatusTooManyRequests)
	if n429 == 0 {
		t.Errorf("no 429 among %d junk callbacks: per-address limiting did not engage", 1000+valid*junkPerValid)
	}
	budget := int64(len(addrs)) * int64(DefaultLimits().BadCallbacks.Burst+2) // burst plus refill during the test
	if n401 > budget {
		t.Errorf("%d bad-signature callbacks answered 401, want at most %d (the per-address budget)", n401, budget)
	}
	if logged := int64(strings.Count(a.logBuf.String(), "callback with a bad signature")); logged != n401 {
		t.Errorf("%d rejection log lines for %d 401s and %d 429s, want one per 401 only", logged, n401, n429)
	}
	t.Logf("junk: %d x 401, %d x 400, %d x 429; %d valid all sent", n401, loadCount(&codes, http.StatusBadRequest), n429, valid)
}

func loadCount(m *sync.Map, code int) int64 {
	if v, ok := m.Load(code); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

func mustAttemptPayment(t testing.TB, a *floodApp, ref string) string {
	t.Helper()
	at, err := a.db.Attempt(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return at.PaymentID
}
