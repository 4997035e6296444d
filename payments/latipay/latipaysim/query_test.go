package latipaysim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// queryURL builds a query request signed with Form A (or Form B when formB).
func queryURL(base, ref, user, key string, formB, block bool) string {
	q := url.Values{"user_id": {user}}
	msg := "merchant_reference=" + ref + "&user_id=" + user + key
	if block {
		q.Set("is_block", "1")
		msg = "is_block=1&merchant_reference=" + ref + "&user_id=" + user + key
	}
	sig := hmacHex(key, msg)
	if formB {
		sig = hmacHex(key, ref+user)
	}
	q.Set("signature", sig)
	return base + "/v2/transaction/" + url.PathEscape(ref) + "?" + q.Encode()
}

func TestQuery(t *testing.T) {
	sim, srv := newTestSim(t, nil)
	ref := "q/1 & more" // needs escaping in the path
	mustCreate(t, srv, ref, "alipay", nil)
	tx, _ := sim.Transaction(ref)
	for _, formB := range []bool{false, true} {
		resp, err := srv.Client().Get(queryURL(srv.URL, ref, testUser, testKey, formB, false))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(raw, []byte(`"amount":12.50,`)) || !bytes.Contains(raw, []byte(`"rate":4.64490,`)) {
			t.Errorf("form B %v: want number literals, got %s", formB, raw)
		}
		_, m := decodeResp(t, &http.Response{Body: io.NopCloser(bytes.NewReader(raw)), Request: resp.Request})
		want := map[string]string{"code": "0", "message": "SUCCESS", "merchant_reference": ref,
			"order_id": tx.OrderID, "transaction_id": tx.OrderID, "currency": "NZD", "amount": "12.50",
			"amount_cny": "58.06", "payment_method": "alipay", "status": "pending",
			"signature": hmacHex(testKey, ref+"alipaypendingNZD12.50")}
		for k, v := range want {
			if got := toString(m[k]); got != v {
				t.Errorf("form B %v: %s = %q, want %q", formB, k, got, v)
			}
		}
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`).MatchString(toString(m["pay_time"])) {
			t.Errorf("pay_time = %v", m["pay_time"])
		}
	}
	// pay_time is UTC+8: created at 01:02:04 UTC.
	_, m := getJSON(t, srv.Client(), queryURL(srv.URL, ref, testUser, testKey, false, false))
	if got := toString(m["pay_time"]); got != "2026-03-01 09:02:04" {
		t.Errorf("pay_time = %q, want 2026-03-01 09:02:04", got)
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	case interface{ String() string }:
		return v.String()
	}
	return "?"
}

func TestQueryErrors(t *testing.T) {
	_, srv := newTestSim(t, nil)
	mustCreate(t, srv, "q-err", "alipay", nil)
	tests := []struct {
		name, url, want string
	}{
		{"unknown order", queryURL(srv.URL, "nope", testUser, testKey, false, false), "201"},
		{"other user's order", queryURL(srv.URL, "q-err", otherUser, otherKey, false, false), "201"},
		{"wrong key", queryURL(srv.URL, "q-err", testUser, "bad", false, false), "206"},
		{"unknown user", queryURL(srv.URL, "q-err", "U404", testKey, false, false), "205"},
		{"no signature", srv.URL + "/v2/transaction/q-err?user_id=" + testUser, "204"},
		{"no user", srv.URL + "/v2/transaction/q-err?signature=abc", "204"},
		{"unsigned is_block", queryURL(srv.URL, "q-err", testUser, testKey, false, false) + "&is_block=1", "206"},
	}
	for _, tt := range tests {
		if _, m := getJSON(t, srv.Client(), tt.url); code(m) != tt.want {
			t.Errorf("%s: %v, want code %s", tt.name, m, tt.want)
		}
	}
}

func TestQueryBlockWakesOnPay(t *testing.T) {
	sim, srv := newTestSim(t, nil)
	mustCreate(t, srv, "block-1", "wechat", nil)
	type result struct {
		m   map[string]any
		err error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := srv.Client().Get(queryURL(srv.URL, "block-1", testUser, testKey, false, true))
		if err != nil {
			done <- result{err: err}
			return
		}
		_, m := decodeResp(t, resp)
		done <- result{m: m}
	}()
	select {
	case r := <-done:
		t.Fatalf("is_block answered while pending: %v %v", r.m, r.err)
	case <-time.After(3 * testTick):
	}
	if err := sim.Pay("block-1"); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || toString(r.m["status"]) != "paid" {
			t.Errorf("is_block answer %v %v, want status paid", r.m, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("is_block did not wake on Pay")
	}
	// Already final: answers at once, with the same long-poll form.
	if _, m := getJSON(t, srv.Client(), queryURL(srv.URL, "block-1", testUser, testKey, false, true)); toString(m["status"]) != "paid" {
		t.Errorf("is_block on paid order: %v", m)
	}
}

func TestQueryBlockCancelled(t *testing.T) {
	_, srv := newTestSim(t, nil)
	mustCreate(t, srv, "block-2", "wechat", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*testTick)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", queryURL(srv.URL, "block-2", testUser, testKey, true, true), nil)
	start := time.Now()
	_, err := srv.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancelled is_block took %v", d)
	}
}
