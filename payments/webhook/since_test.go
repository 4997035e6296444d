package webhook_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestEndpointGetsEventsFromItsConfiguration: a shop that ran without a
// webhook endpoint and then sets one receives the events recorded from
// then on, not those of the payments made before (still in the event
// log). The time an endpoint was first configured is kept: an endpoint
// unset for a while (a restart without HPP_WEBHOOK_URL) and set again
// receives what was recorded meanwhile.
func TestEndpointGetsEventsFromItsConfiguration(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	rcv := newReceiver(t, func(int) int { return http.StatusNoContent })
	off := newWorker(t, env, "") // no endpoint: sends nothing, records no mark
	before := paid(t, env, "ORDER-BEFORE-ENDPOINT")
	if n, err := off.Flush(context.Background()); err != nil || n != 0 {
		t.Fatalf("Flush without an endpoint = %d, %v", n, err)
	}
	env.Clock.Advance(time.Hour)

	on := newWorker(t, env, rcv.srv.URL)
	after := paid(t, env, "ORDER-AFTER-ENDPOINT")
	flushUntil(t, env, on, func() bool { return len(rcv.accepted()) >= 2 })
	sent := func() []string {
		var ids []string
		for _, r := range rcv.requests() {
			ids = append(ids, r.event.Payment.ID+" "+r.event.Type)
		}
		return ids
	}
	if want := []string{after.ID + " payment.pending", after.ID + " payment.paid"}; !slices.Equal(sent(), want) {
		t.Fatalf("sent %v; want only the payment made after the endpoint was set: %v", sent(), want)
	}
	if evs, err := env.Store.Events(context.Background(), before.ID); err != nil || !slices.ContainsFunc(evs, func(e payments.Event) bool { return e.Type == "payment.paid" }) {
		t.Errorf("the earlier payment's events are not in the event log: %v, %v", evs, err)
	}

	// A restart without the endpoint, a payment, then the endpoint again.
	gap := newWorker(t, env, "")
	during := paid(t, env, "ORDER-DURING-GAP")
	if n, err := gap.Flush(context.Background()); err != nil || n != 0 {
		t.Fatalf("Flush without an endpoint = %d, %v", n, err)
	}
	env.Clock.Advance(10 * time.Minute)
	again := newWorker(t, env, rcv.srv.URL)
	flushUntil(t, env, again, func() bool { return len(rcv.accepted()) >= 4 })
	if got := sent()[2:]; !slices.Equal(got, []string{during.ID + " payment.pending", during.ID + " payment.paid"}) {
		t.Errorf("after the gap sent %v; want the payment made while the endpoint was unset", got)
	}
}
