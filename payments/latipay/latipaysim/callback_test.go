package latipaysim

import (
	"net/http"
	"testing"
	"time"
)

func TestCallbackDelivered(t *testing.T) {
	rc := newReceiver(t, nil)
	sim, srv := newTestSim(t, nil)
	mustCreate(t, srv, "cb-1", "alipay", func(p map[string]string) { p["callback_url"] = rc.srv.URL + "/cb?shop=1" })
	if err := sim.Pay("cb-1"); err != nil {
		t.Fatal(err)
	}
	f := rc.next(t)
	tx, _ := sim.Transaction("cb-1")
	want := map[string]string{"merchant_reference": "cb-1", "order_id": tx.OrderID, "currency": "NZD",
		"amount": "12.50", "payment_method": "alipay", "status": "paid", "pay_time": "2026-03-01 09:02:05",
		"amount_cny": "58.06", "rate": "4.64490", "signature": hmacHex(testKey, "cb-1alipaypaidNZD12.50")}
	for k, v := range want {
		if got := f.Get(k); got != v {
			t.Errorf("callback %s = %q, want %q", k, got, v)
		}
	}
	eventually(t, "ack recorded", func() bool { tx, _ := sim.Transaction("cb-1"); return tx.CallbacksAcked })
	if tx, _ := sim.Transaction("cb-1"); tx.CallbackAttempts != 1 {
		t.Errorf("attempts = %d, want 1", tx.CallbackAttempts)
	}
}

func TestCallbackFailedStatus(t *testing.T) {
	sim, _, rc := callbackSim(t, nil, Faults{}, "cb-f", "wechat")
	if err := sim.Simulate("cb-f", "failed"); err != nil {
		t.Fatal(err)
	}
	f := rc.next(t)
	if f.Get("status") != "failed" || f.Get("signature") != hmacHex(testKey, "cb-fwechatfailedNZD12.50") {
		t.Errorf("failed callback = %v", f)
	}
}

func TestCallbackRetriedUntilSent(t *testing.T) {
	answer := func(n int) (int, string) {
		switch n {
		case 1, 2:
			return http.StatusInternalServerError, "sent"
		case 3:
			return http.StatusOK, "ok" // not the acknowledgement
		case 4:
			return http.StatusOK, "sent\n" // not exactly sent
		}
		return http.StatusOK, "sent"
	}
	sim, _, rc := callbackSim(t, answer, Faults{}, "cb-retry", "alipay")
	if err := sim.Pay("cb-retry"); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		rc.next(t)
	}
	eventually(t, "ack recorded", func() bool { tx, _ := sim.Transaction("cb-retry"); return tx.CallbacksAcked })
	sim.Close() // waits for the delivery goroutine: no attempt can follow
	if n := rc.count(); n != 5 {
		t.Errorf("receiver saw %d callbacks, want 5", n)
	}
	if tx, _ := sim.Transaction("cb-retry"); tx.CallbackAttempts != 5 {
		t.Errorf("attempts = %d, want 5", tx.CallbackAttempts)
	}
}

func TestCloseStopsRetries(t *testing.T) {
	rc := newReceiver(t, func(int) (int, string) { return http.StatusServiceUnavailable, "" })
	sim, srv := newTestSim(t, nil)
	mustCreate(t, srv, "cb-close", "alipay", func(p map[string]string) { p["callback_url"] = rc.srv.URL })
	if err := sim.Pay("cb-close"); err != nil {
		t.Fatal(err)
	}
	rc.next(t)
	rc.next(t)
	sim.Close()
	sim.Close() // idempotent
	n := rc.count()
	tx, _ := sim.Transaction("cb-close")
	// An attempt cut short by Close counts but may never reach the receiver.
	if tx.CallbacksAcked || tx.CallbackAttempts < n || tx.CallbackAttempts > n+1 {
		t.Errorf("after Close: acked %v attempts %d, receiver saw %d", tx.CallbacksAcked, tx.CallbackAttempts, n)
	}
	if err := sim.Pay("cb-close"); err == nil {
		t.Error("Pay of a paid transaction succeeded")
	}
}

func TestDropCallbacks(t *testing.T) {
	sim, srv, rc := callbackSim(t, nil, Faults{DropCallbacks: true}, "cb-drop", "alipay")
	if err := sim.Pay("cb-drop"); err != nil {
		t.Fatal(err)
	}
	select {
	case f := <-rc.got:
		t.Fatalf("callback sent despite DropCallbacks: %v", f)
	case <-time.After(5 * testTick):
	}
	// The query still reports the truth.
	if _, m := getJSON(t, srv.Client(), queryURL(srv.URL, "cb-drop", testUser, testKey, false, false)); toString(m["status"]) != "paid" {
		t.Errorf("query during DropCallbacks: %v", m)
	}
	sim.SetFaults(Faults{}) // deliveries resume
	if f := rc.next(t); f.Get("status") != "paid" {
		t.Errorf("resumed callback = %v", f)
	}
}

func TestDuplicateCallbacks(t *testing.T) {
	sim, _, rc := callbackSim(t, nil, Faults{DuplicateCallbacks: true}, "cb-dup", "alipay")
	if err := sim.Pay("cb-dup"); err != nil {
		t.Fatal(err)
	}
	a, b := rc.next(t), rc.next(t)
	if a.Encode() != b.Encode() {
		t.Errorf("duplicates differ: %v vs %v", a, b)
	}
	eventually(t, "ack recorded", func() bool { tx, _ := sim.Transaction("cb-dup"); return tx.CallbacksAcked })
	sim.Close()
	if tx, _ := sim.Transaction("cb-dup"); tx.CallbackAttempts != 2 || !tx.CallbacksAcked || rc.count() != 2 {
		t.Errorf("attempts %d acked %v received %d, want 2 true 2", tx.CallbackAttempts, tx.CallbacksAcked, rc.count())
	}
}
