package handlers_test

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/webhook"
)

// TestWebhookStateFilterIsTheEventsStateNow: an endpoint answers 503 to
// a payment's first event, then 200: the event is delivered on its second
// try, so the delivery log's "retrying" filter lists nothing (its first
// try is still in the unfiltered log), "delivered" lists each event once,
// by the try that delivered it. An event given up on (404) and then
// delivered by hand is not "failed" any more.
func TestWebhookStateFilterIsTheEventsStateNow(t *testing.T) {
	rcv := newHookReceiver(t, http.StatusServiceUnavailable)
	var worker *webhook.Worker
	a := newAdminApp(t, adminAppOptions{webhooks: func(env *paymentstest.Env) handlers.Webhooks {
		w, err := webhook.New(env.Store, webhook.Options{URL: rcv.srv.URL, Secrets: []string{webhookSecret},
			Now: env.Clock.Now, Rand: rand.Reader, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		worker = w
		return w
	}})
	flush := func() {
		t.Helper()
		if _, err := worker.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	rows := func(state string) map[string]string { // delivery id → data-state
		t.Helper()
		path := "/admin/webhooks"
		if state != "" {
			path += "?state=" + state
		}
		w := a.do(t, http.MethodGet, path, nil, withCookie(owner, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("GET /admin/webhooks?state=%s = %d", state, w.Code)
		}
		out := map[string]string{}
		mustDoc(t, w).Find(`[data-testid="delivery-row"]`).Each(func(_ int, s *goquery.Selection) {
			id, _ := s.Attr("data-id")
			st, _ := s.Find(`[data-state]`).Attr("data-state")
			out[id] = st
		})
		return out
	}

	a.mustPaid(t)
	flush() // payment.pending: 503, retrying
	if got := rows("retrying"); len(got) != 1 {
		t.Fatalf("while the first event is retried, state=retrying lists %v, want its one try", got)
	}
	rcv.code.Store(http.StatusOK)
	a.Clock.Advance(time.Minute) // past the first retry's 10 s, within the session
	flush()                      // payment.pending delivered on its second try
	flush()                      // payment.paid delivered on its first
	if all := rows(""); len(all) != 3 {
		t.Fatalf("the unfiltered log lists %v, want three tries", all)
	}
	if got := rows("retrying"); len(got) != 0 {
		t.Errorf("state=retrying lists %v: tries of events since delivered", got)
	}
	delivered := rows("delivered")
	if len(delivered) != 2 {
		t.Errorf("state=delivered lists %v, want the two events once each", delivered)
	}
	for id, st := range delivered {
		if st != "delivered" {
			t.Errorf("state=delivered lists try %s reading %q", id, st)
		}
	}

	// A refund's payment.refunded refused with 404 is given up on at
	// once; sent again by hand with a 200, it is delivered.
	p := a.mustPaid(t)
	flush()
	flush()
	rcv.code.Store(http.StatusNotFound)
	if w := a.api(t, http.MethodPost, "/api/v1/payments/"+p.ID+"/refunds", `{}`, nil); w.Code/100 != 2 {
		t.Fatalf("refund = %d %s", w.Code, w.Body)
	}
	flush()
	flush()
	failed := rows("failed")
	if len(failed) == 0 {
		t.Fatal("no failed try after a 404")
	}
	rcv.code.Store(http.StatusOK)
	for id := range failed {
		if w := a.do(t, http.MethodPost, "/admin/webhooks/"+id+"/redeliver", nil,
			withCookie(owner, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})); w.Code != http.StatusSeeOther {
			t.Fatalf("redeliver %s = %d", id, w.Code)
		}
	}
	if got := rows("failed"); len(got) != 0 {
		t.Errorf("state=failed lists %v: events delivered by hand since", got)
	}
}
