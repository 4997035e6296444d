package webhook_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/webhook"
)

const (
	secretNew = "whsec-new-0123456789abcdef0123456789"
	secretOld = "whsec-old-0123456789abcdef0123456789"
)

// receiver is a merchant endpoint that answers from a script and keeps
// every request.
type receiver struct {
	mu     sync.Mutex
	answer func(n int) int // status for the nth request, from 1
	got    []request       // guarded by mu
	srv    *httptest.Server
}

type request struct {
	status int
	sig    string
	body   []byte
	event  webhook.Event
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	t.Helper()
	r := &receiver{answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var ev webhook.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("receiver: body is not an event: %v", err)
		}
		r.mu.Lock()
		st := r.answer(len(r.got) + 1)
		r.got = append(r.got, request{status: st, sig: req.Header.Get(webhook.Header), body: b, event: ev})
		r.mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.got...)
}

// accepted returns "type/sequence" of the requests answered 2xx.
func (r *receiver) accepted() []string {
	var out []string
	for _, q := range r.requests() {
		if q.status < 300 {
			out = append(out, q.event.Type+"/"+q.event.Payment.ID[:8])
		}
	}
	return out
}

// mustCanceled creates a payment for reference and cancels it, which puts
// its payment.canceled event in the outbox.
func mustCanceled(t *testing.T, env *paymentstest.Env, reference string) payments.Payment {
	t.Helper()
	p := env.MustCreate(t, paymentstest.Input(reference))
	if _, err := env.Svc.Cancel(context.Background(), p.ID); err != nil {
		t.Fatalf("Cancel %s: %v", reference, err)
	}
	return p
}

func newWorker(t *testing.T, env *paymentstest.Env, url string, secrets ...string) *webhook.Worker {
	t.Helper()
	if len(secrets) == 0 {
		secrets = []string{secretNew}
	}
	w, err := webhook.New(env.Store, webhook.Options{URL: url, Secrets: secrets, Now: env.Clock.Now,
		Rand: rand.Reader, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("webhook.New: %v", err)
	}
	return w
}

// paid makes a payment that went pending then paid, through the
// simulator: two webhook events.
func paid(t *testing.T, env *paymentstest.Env, ref string) payments.Payment {
	t.Helper()
	p, st := env.MustStartQR(t, ref)
	if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatalf("Pay: %v", err)
	}
	return env.WaitStatus(t, p.ID, payments.StatusPaid)
}

// flushUntil flushes, moving the clock an hour each time, until done or
// 100 rounds.
func flushUntil(t *testing.T, env *paymentstest.Env, w *webhook.Worker, done func() bool) {
	t.Helper()
	for range 100 {
		if _, err := w.Flush(context.Background()); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		if done() {
			return
		}
		env.Clock.Advance(time.Hour)
	}
	t.Fatal("not done after 100 flushes")
}

// TestRetryUntilRecovered: a receiver failing the first 3 times gets each
// event exactly once after it recovers, in order per payment, and the log
// tells the story.
func TestRetryUntilRecovered(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	rcv := newReceiver(t, func(n int) int {
		if n <= 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	w := newWorker(t, env, rcv.srv.URL)
	p := paid(t, env, "ORDER-WH-1")
	q := paid(t, env, "ORDER-WH-2")
	flushUntil(t, env, w, func() bool { return len(rcv.accepted()) == 4 })
	flushUntil(t, env, w, func() bool { return true }) // one more round sends nothing new

	perPayment := map[string][]string{}
	seen := map[string]int{}
	for _, r := range rcv.requests() {
		if r.status == http.StatusOK {
			perPayment[r.event.Payment.ID] = append(perPayment[r.event.Payment.ID], r.event.Type)
			seen[r.event.ID]++
		}
		if err := webhook.Verify(r.sig, r.body, secretNew, env.Clock.Now(), 366*24*time.Hour); err != nil {
			t.Errorf("signature of %s: %v", r.event.ID, err)
		}
	}
	for _, id := range []string{p.ID, q.ID} {
		if got, want := perPayment[id], []string{"payment.pending", "payment.paid"}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("accepted for %s = %v, want %v", id, got, want)
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s accepted %d times, want once", id, n)
		}
	}
	if n := len(rcv.requests()); n != 7 {
		t.Errorf("receiver saw %d requests, want 3 failures + 4 successes", n)
	}
	ds, err := env.Store.Deliveries(context.Background(), payments.DeliveryFilter{Limit: 100})
	if err != nil || len(ds) != 7 {
		t.Fatalf("Deliveries = %d, %v; want 7", len(ds), err)
	}
	for _, d := range ds {
		switch {
		case d.StatusCode == 503 && (d.State != payments.DeliveryRetrying || !d.NextAt.After(d.At) || d.Error == ""):
			t.Errorf("failed delivery %+v, want retrying with a later NextAt and an error", d)
		case d.StatusCode == 200 && d.State != payments.DeliveryDelivered:
			t.Errorf("successful delivery %+v, want delivered", d)
		}
	}
}

// TestCrashLosesNothing: events committed while no worker runs are sent
// by the next one; an event claimed by a worker that died before sending
// is sent once its lease ends, exactly once.
func TestCrashLosesNothing(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	rcv := newReceiver(t, func(int) int { return http.StatusNoContent })
	p := paid(t, env, "ORDER-CRASH") // committed; no worker yet

	// A first worker claims the pending event and dies before sending.
	evs, err := env.Store.ClaimWebhookEvents(context.Background(), payments.OutboxQuery{Types: webhook.Types(),
		Since: env.Clock.Now().Add(-time.Hour), Now: env.Clock.Now(), Lease: time.Minute, Limit: 10})
	if err != nil || len(evs) != 1 || evs[0].Type != "payment.pending" {
		t.Fatalf("claim = %+v, %v; want the pending event", evs, err)
	}
	w := newWorker(t, env, rcv.srv.URL) // the restarted process
	if n, err := w.Flush(context.Background()); n != 0 || err != nil {
		t.Errorf("Flush within the dead worker's lease = %d, %v; want nothing sent", n, err)
	}
	env.Clock.Advance(time.Minute)
	flushUntil(t, env, w, func() bool { return len(rcv.accepted()) == 2 })
	got := rcv.requests()
	if got[0].event.Type != "payment.pending" || got[1].event.Type != "payment.paid" || got[1].event.Payment.ID != p.ID ||
		got[0].event.Sequence >= got[1].event.Sequence {
		t.Errorf("received %s #%d then %s #%d; want pending then paid", got[0].event.Type, got[0].event.Sequence,
			got[1].event.Type, got[1].event.Sequence)
	}
	if got[1].event.Payment.Status != "paid" || got[1].event.Status != "paid" || got[1].event.PreviousStatus != "pending" {
		t.Errorf("paid event = %+v", got[1].event)
	}
}

// TestTwoSecrets: during a rotation each request carries one v1 per
// secret, so a receiver holding either verifies it; others do not.
func TestTwoSecrets(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	rcv := newReceiver(t, func(int) int { return http.StatusOK })
	w := newWorker(t, env, rcv.srv.URL, secretNew, secretOld)
	paid(t, env, "ORDER-ROTATE")
	flushUntil(t, env, w, func() bool { return len(rcv.accepted()) == 2 })
	for _, r := range rcv.requests() {
		for _, s := range []string{secretNew, secretOld} {
			if err := webhook.Verify(r.sig, r.body, s, env.Clock.Now(), 24*time.Hour); err != nil {
				t.Errorf("Verify with %s: %v", s[:9], err)
			}
		}
		if err := webhook.Verify(r.sig, r.body, "whsec-other", env.Clock.Now(), 24*time.Hour); !errors.Is(err, webhook.ErrBadSignature) {
			t.Errorf("Verify with another secret = %v, want ErrBadSignature", err)
		}
	}
}

// TestStatusPolicy: 408, 429, 5xx and network errors are retried; other
// answers (4xx, 3xx) are not; 2xx is delivered.
func TestStatusPolicy(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	tests := []struct {
		status int
		want   payments.DeliveryState
	}{
		{200, payments.DeliveryDelivered}, {204, payments.DeliveryDelivered},
		{408, payments.DeliveryRetrying}, {429, payments.DeliveryRetrying}, {500, payments.DeliveryRetrying},
		{502, payments.DeliveryRetrying}, {503, payments.DeliveryRetrying},
		{400, payments.DeliveryFailed}, {401, payments.DeliveryFailed}, {404, payments.DeliveryFailed},
		{410, payments.DeliveryFailed}, {301, payments.DeliveryFailed},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			rcv := newReceiver(t, func(int) int { return tt.status })
			w := newWorker(t, env, rcv.srv.URL)
			p := mustCanceled(t, env, "ORDER-STATUS")
			if n, err := w.Flush(context.Background()); n != 1 || err != nil {
				t.Fatalf("Flush = %d, %v; want 1 sent", n, err)
			}
			ds, err := env.Store.Deliveries(context.Background(), payments.DeliveryFilter{PaymentID: p.ID, Limit: 10})
			if err != nil || len(ds) != 1 || ds[0].State != tt.want || ds[0].StatusCode != tt.status {
				t.Fatalf("Deliveries = %+v, %v; want one %s with %d", ds, err, tt.want, tt.status)
			}
			env.Clock.Advance(2 * time.Hour)
			_, _ = w.Flush(context.Background())
			wantN := 1
			if tt.want == payments.DeliveryRetrying {
				wantN = 2
			}
			n := 0 // earlier subtests' events still being retried come here too
			for _, r := range rcv.requests() {
				if r.event.Payment.ID == p.ID {
					n++
				}
			}
			if n != wantN {
				t.Errorf("requests after another flush = %d, want %d", n, wantN)
			}
		})
	}
	t.Run("network error", func(t *testing.T) {
		rcv := newReceiver(t, func(int) int { return 200 })
		rcv.srv.Close()
		w := newWorker(t, env, rcv.srv.URL)
		p := mustCanceled(t, env, "ORDER-NET")
		_, _ = w.Flush(context.Background())
		ds, err := env.Store.Deliveries(context.Background(), payments.DeliveryFilter{PaymentID: p.ID, Limit: 10})
		if err != nil || len(ds) != 1 || ds[0].State != payments.DeliveryRetrying || ds[0].StatusCode != 0 || ds[0].Error == "" {
			t.Fatalf("Deliveries = %+v, %v; want one retrying with an error", ds, err)
		}
	})
}

// TestGivesUpAfterMaxAge: an endpoint that never recovers is tried until
// MaxAge (short here; schedule_test.go checks the default spans days),
// then the event is failed and no longer sent.
func TestGivesUpAfterMaxAge(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	rcv := newReceiver(t, func(int) int { return http.StatusBadGateway })
	w, err := webhook.New(env.Store, webhook.Options{URL: rcv.srv.URL, Secrets: []string{secretNew}, Now: env.Clock.Now,
		Rand: rand.Reader, Log: slog.New(slog.DiscardHandler), MaxAge: 3 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	p := mustCanceled(t, env, "ORDER-DEAD")
	for range 50 { // jump to each next try
		_, _ = w.Flush(context.Background())
		ds, _ := env.Store.Deliveries(context.Background(), payments.DeliveryFilter{PaymentID: p.ID, Limit: 1})
		if len(ds) == 0 || ds[0].State != payments.DeliveryRetrying {
			break
		}
		env.Clock.Advance(ds[0].NextAt.Sub(env.Clock.Now()))
	}
	ds, _ := env.Store.Deliveries(context.Background(), payments.DeliveryFilter{PaymentID: p.ID, Limit: 100})
	if len(ds) < 3 || ds[0].State != payments.DeliveryFailed {
		t.Fatalf("deliveries = %+v, want several tries, the last failed", ds)
	}
	n := len(rcv.requests())
	env.Clock.Advance(time.Hour)
	_, _ = w.Flush(context.Background())
	if len(rcv.requests()) != n {
		t.Errorf("a failed event was sent again")
	}
}

// TestRedeliver: a delivered event can be sent again on request, with the
// same event id, logged as a redelivery.
func TestRedeliver(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	rcv := newReceiver(t, func(int) int { return http.StatusOK })
	w := newWorker(t, env, rcv.srv.URL)
	p := mustCanceled(t, env, "ORDER-AGAIN")
	_, _ = w.Flush(context.Background())
	ds, _ := env.Store.Deliveries(context.Background(), payments.DeliveryFilter{PaymentID: p.ID, Limit: 10})
	if len(ds) != 1 {
		t.Fatalf("deliveries = %d, want 1", len(ds))
	}
	d, err := w.Redeliver(context.Background(), ds[0].ID)
	if err != nil || !d.Redelivery || d.Attempt != 2 || d.State != payments.DeliveryDelivered {
		t.Fatalf("Redeliver = %+v, %v; want a delivered second attempt", d, err)
	}
	got := rcv.requests()
	if len(got) != 2 || got[0].event.ID != got[1].event.ID || got[1].event.Type != "payment.canceled" {
		t.Errorf("received %d requests, want the same canceled event twice", len(got))
	}
	if _, err := w.Redeliver(context.Background(), "whd_nope"); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("Redeliver(unknown) = %v, want ErrNotFound", err)
	}
	off := newWorker(t, env, "")
	if _, err := off.Redeliver(context.Background(), ds[0].ID); !errors.Is(err, webhook.ErrDisabled) {
		t.Errorf("Redeliver without an endpoint = %v, want ErrDisabled", err)
	}
}

// TestRefundedMeansSucceeded: while a refund of 5.00 waits for Latipay's
// answer, a refund of 2.50 succeeds. The payment.refunded event says
// 2.50 refunded (what the partially_refunded status follows) and 5.00
// pending, not 7.50 refunded.
func TestRefundedMeansSucceeded(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	rcv := newReceiver(t, func(int) int { return http.StatusNoContent })
	p := paid(t, env, "ORDER-REFUND-PENDING")
	ctx := context.Background()
	env.Sim.SetFaults(latipaysim.Faults{ServerError: true}) // the answer is lost: the refund stays pending
	if r, _, err := env.Svc.Refund(ctx, payments.RefundInput{PaymentID: p.ID, Amount: "5.00"}); err != nil || r.Status != payments.RefundPending {
		t.Fatalf("Refund(5.00) answered 500 = %+v, %v; want pending", r, err)
	}
	env.Sim.SetFaults(latipaysim.Faults{})
	if r, _, err := env.Svc.Refund(ctx, payments.RefundInput{PaymentID: p.ID, Amount: "2.50"}); err != nil || r.Status != payments.RefundSucceeded {
		t.Fatalf("Refund(2.50) = %+v, %v; want succeeded", r, err)
	}
	w := newWorker(t, env, rcv.srv.URL)
	flushUntil(t, env, w, func() bool { return len(rcv.accepted()) == 4 })
	// pending, paid, refund.succeeded, then the status it gives.
	got := rcv.requests()[3].event
	if got.Type != "payment.refunded" || got.Status != "partially_refunded" {
		t.Fatalf("fourth event %s (%s); want payment.refunded (partially_refunded)", got.Type, got.Status)
	}
	if got.Payment.AmountRefunded != "2.50" || got.Payment.AmountRefundPending != "5.00" {
		t.Errorf("payload amount_refunded %q, amount_refund_pending %q; want 2.50 and 5.00",
			got.Payment.AmountRefunded, got.Payment.AmountRefundPending)
	}
	var raw struct {
		Payment map[string]any `json:"payment"`
	}
	if err := json.Unmarshal(rcv.requests()[3].body, &raw); err != nil || raw.Payment["amount_refund_pending"] != "5.00" {
		t.Errorf("body's payment %v (%v); want amount_refund_pending \"5.00\"", raw.Payment, err)
	}
}

// TestRefundOutcomes: each refund's outcome reaches the merchant. A 2.00
// refund Latipay makes at once is a refund.succeeded event; a 5.00 one
// whose answer was lost (202 pending) and that Latipay then refuses with
// code 559 is a refund.failed event, in words, though the payment's
// status never moved for it. Each names the refund and carries the
// payment's totals as they are; refund.requested is not sent.
func TestRefundOutcomes(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	rcv := newReceiver(t, func(int) int { return http.StatusNoContent })
	w := newWorker(t, env, rcv.srv.URL) // configured before the payment
	p := paid(t, env, "ORDER-REFUND-OUTCOMES")
	ctx := context.Background()
	env.Sim.SetFaults(latipaysim.Faults{ServerError: true})
	lost, _, err := env.Svc.Refund(ctx, payments.RefundInput{PaymentID: p.ID, Amount: "5.00", Reason: "corked"})
	if err != nil || lost.Status != payments.RefundPending {
		t.Fatalf("Refund(5.00) answered 500 = %+v, %v; want pending", lost, err)
	}
	env.Sim.SetFaults(latipaysim.Faults{})
	made, _, err := env.Svc.Refund(ctx, payments.RefundInput{PaymentID: p.ID, Amount: "2.00"})
	if err != nil || made.Status != payments.RefundSucceeded {
		t.Fatalf("Refund(2.00) = %+v, %v; want succeeded", made, err)
	}
	env.Sim.SetFaults(latipaysim.Faults{RefundCode: 559})
	env.Clock.Advance(5 * time.Minute) // the pending refund's check is due
	if n, err := env.Svc.ReconcileRefunds(ctx, 10); err != nil || n != 1 {
		t.Fatalf("ReconcileRefunds = %d, %v; want the pending refund", n, err)
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusPartiallyRefunded {
		t.Fatalf("status %s; want partially_refunded (the failed refund moves nothing)", got.Status)
	}
	flushUntil(t, env, w, func() bool { return len(rcv.accepted()) == 5 })
	var types []string
	for _, q := range rcv.requests() {
		types = append(types, q.event.Type)
	}
	want := []string{"payment.pending", "payment.paid", "refund.succeeded", "payment.refunded", "refund.failed"}
	if strings.Join(types, " ") != strings.Join(want, " ") {
		t.Fatalf("sent %v; want %v", types, want)
	}
	ok, failed := rcv.requests()[2].event, rcv.requests()[4].event
	if r := ok.Refund; r == nil || r.ID != made.ID || r.Amount != "2.00" || r.Currency != "NZD" || r.Status != "succeeded" ||
		r.FailureMessage != "" || r.LatipayCode != 0 {
		t.Errorf("refund.succeeded's refund = %+v; want %s, 2.00 NZD, succeeded", r, made.ID)
	}
	if r := failed.Refund; r == nil || r.ID != lost.ID || r.PaymentID != p.ID || r.Amount != "5.00" || r.Status != "failed" ||
		r.Reason != "corked" || r.LatipayCode != 559 || !strings.Contains(r.FailureMessage, "too little") {
		t.Errorf("refund.failed's refund = %+v; want %s, 5.00, failed, code 559 in words", r, lost.ID)
	}
	if failed.Status != "partially_refunded" || failed.Payment.AmountRefunded != "2.00" || failed.Payment.AmountRefundPending != "0.00" {
		t.Errorf("refund.failed's payment: %s, refunded %s, pending %s; want partially_refunded, 2.00, 0.00",
			failed.Status, failed.Payment.AmountRefunded, failed.Payment.AmountRefundPending)
	}
	var raw map[string]any
	if err := json.Unmarshal(rcv.requests()[1].body, &raw); err != nil || raw["refund"] != nil {
		t.Errorf("payment.paid's body has a refund: %v (%v)", raw["refund"], err)
	}
}

// TestBackoffCountsFromTheFailure: a try the receiver leaves hanging
// until it times out is retried about 10 s after it failed, not 10 s
// after it began: once it has timed out, the next try is not due yet.
func TestBackoffCountsFromTheFailure(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	const tryLength = 10 * time.Second // how long the hanging try takes, on the worker's clock
	var mu sync.Mutex
	tries := 0
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		tries++
		mu.Unlock()
		env.Clock.Advance(tryLength)
		select { // hangs until the worker gives up on it
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	w, err := webhook.New(env.Store, webhook.Options{URL: srv.URL, Secrets: []string{secretNew}, Now: env.Clock.Now,
		Rand: rand.Reader, Log: slog.New(slog.DiscardHandler), Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	p := mustCanceled(t, env, "ORDER-WH-HANG")
	if n, err := w.Flush(t.Context()); err != nil || n != 1 {
		t.Fatalf("first Flush = %d, %v; want the payment.canceled event", n, err)
	}
	ds, err := env.Store.Deliveries(t.Context(), payments.DeliveryFilter{PaymentID: p.ID, Limit: 10})
	if err != nil || len(ds) != 1 {
		t.Fatalf("Deliveries = %+v, %v; want one", ds, err)
	}
	d := ds[0]
	failedAt := d.At.Add(d.Duration)
	if d.State != payments.DeliveryRetrying || d.Duration < tryLength || d.NextAt.Sub(failedAt) < 5*time.Second {
		t.Fatalf("hung try: state %s, began %s, lasted %s, next %s; want the next try at least 5 s after it failed",
			d.State, d.At, d.Duration, d.NextAt)
	}
	if n, err := w.Flush(t.Context()); err != nil || n != 0 {
		t.Fatalf("Flush right after the timeout = %d, %v; want nothing due yet", n, err)
	}
	env.Clock.Advance(d.NextAt.Sub(env.Clock.Now()))
	if n, err := w.Flush(t.Context()); err != nil || n != 1 {
		t.Fatalf("Flush at the next try's time = %d, %v; want the event again", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if tries != 2 {
		t.Errorf("receiver saw %d tries, want 2", tries)
	}
}

// TestHangingEndpointDelaysNoOtherPayment: while the endpoint hangs on one
// payment's event, Run still claims and delivers another payment's: the
// healthy delivery is answered while the hanging request is still open,
// not after its timeout.
func TestHangingEndpointDelaysNoOtherPayment(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	slow := mustCanceled(t, env, "ORDER-WH-SLOW")
	var (
		mu          sync.Mutex
		order       []string // "slow:open", "fast", "slow:closed" as they happened
		slowArrived = make(chan struct{})
		fastDone    = make(chan struct{})
		once        sync.Once
	)
	note := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		var ev webhook.Event
		b, _ := io.ReadAll(req.Body)
		_ = json.Unmarshal(b, &ev)
		if ev.Payment.ID == slow.ID {
			note("slow:open")
			once.Do(func() { close(slowArrived) })
			// Hangs until the healthy event is delivered, or the
			// worker gives up on it (its timeout).
			select {
			case <-fastDone:
			case <-req.Context().Done():
			}
			note("slow:closed")
			return
		}
		note("fast")
		rw.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	w, err := webhook.New(env.Store, webhook.Options{URL: srv.URL, Secrets: []string{secretNew}, Now: env.Clock.Now,
		Rand: rand.Reader, Log: slog.New(slog.DiscardHandler), Poll: 10 * time.Millisecond, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { w.Run(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })
	<-slowArrived
	fast := mustCanceled(t, env, "ORDER-WH-FAST")
	// Wait for the healthy event to be recorded delivered.
	for {
		ds, err := env.Store.Deliveries(t.Context(), payments.DeliveryFilter{PaymentID: fast.ID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(fastDone)
	mu.Lock()
	got := strings.Join(order, " ")
	mu.Unlock()
	if !strings.HasPrefix(got, "slow:open fast") {
		t.Errorf("requests went %q; want the healthy payment's delivered while the hanging one is still open", got)
	}
}
