package latipaysim

import (
	"testing"
)

func TestCancel(t *testing.T) {
	rc := newReceiver(t, nil)
	sim, srv := newTestSim(t, nil)
	cb := func(p map[string]string) { p["callback_url"] = rc.srv.URL }
	for _, ref := range []string{"c-sorted", "c-doc", "c-paid", "c-failed"} {
		mustCreate(t, srv, ref, "alipay", cb)
	}
	if err := sim.Pay("c-paid"); err != nil {
		t.Fatal(err)
	}
	if err := sim.Fail("c-failed"); err != nil {
		t.Fatal(err)
	}
	sorted := func(ref string) map[string]string {
		return map[string]string{"user_id": testUser, "merchant_reference": ref,
			"signature": hmacHex(testKey, "merchant_reference="+ref+"&user_id="+testUser+testKey)}
	}
	doc := map[string]string{"user_id": testUser, "merchant_reference": "c-doc",
		"signature": hmacHex(testKey, "user_id="+testUser+"&merchant_reference=c-doc"+testKey)}
	tests := []struct {
		name string
		p    map[string]string
		want string
	}{
		{"sorted signature", sorted("c-sorted"), "0"},
		{"again is a no-op", sorted("c-sorted"), "0"},
		{"docs' unsorted signature", doc, "0"},
		{"paid", sorted("c-paid"), "900"},
		{"failed", sorted("c-failed"), "901"},
		{"unknown", sorted("nope"), "201"},
		{"bad signature", map[string]string{"user_id": testUser, "merchant_reference": "c-paid", "signature": "00"}, "206"},
		{"unknown user", map[string]string{"user_id": "U404", "merchant_reference": "c-paid", "signature": "00"}, "110"},
		{"missing reference", map[string]string{"user_id": testUser, "signature": "00"}, "3"},
	}
	for _, tt := range tests {
		_, m := postJSON(t, srv.Client(), srv.URL+"/cancel", tt.p)
		if code(m) != tt.want {
			t.Errorf("%s: %v, want code %s", tt.name, m, tt.want)
		}
	}
	for _, ref := range []string{"c-sorted", "c-doc"} {
		if tx, _ := sim.Transaction(ref); tx.Status != "canceled" || tx.CallbackAttempts != 0 {
			t.Errorf("%s after cancel: %+v, want canceled without callback", ref, tx)
		}
	}
	if err := sim.Pay("c-sorted"); err == nil {
		t.Error("Pay(canceled) succeeded, want ErrNotPending")
	}
}

func TestCancelWakesBlockedQuery(t *testing.T) {
	_, srv := newTestSim(t, nil)
	mustCreate(t, srv, "c-block", "alipay", nil)
	done := make(chan map[string]any, 1)
	go func() {
		resp, err := srv.Client().Get(queryURL(srv.URL, "c-block", testUser, testKey, false, true))
		if err != nil {
			done <- nil
			return
		}
		_, m := decodeResp(t, resp)
		done <- m
	}()
	p := map[string]string{"user_id": testUser, "merchant_reference": "c-block"}
	p["signature"] = signParams(testKey, p)
	if _, m := postJSON(t, srv.Client(), srv.URL+"/cancel", p); code(m) != "0" {
		t.Fatalf("cancel: %v", m)
	}
	if m := <-done; toString(m["status"]) != "canceled" {
		t.Errorf("blocked query answered %v, want status canceled", m)
	}
}
