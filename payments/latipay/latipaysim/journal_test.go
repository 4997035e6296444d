package latipaysim

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
)

// memJournal is a Journal in memory, as the app's database keeps it: one
// lock stands for the row lock of UpdateSandboxEntry.
type memJournal struct {
	mu      sync.Mutex
	entries map[string][]byte
	order   []string
	ids     map[string]string // "order_id\x00…" and "nonce\x00…" to key
}

func (j *memJournal) AddSandboxEntry(_ context.Context, key, orderID, nonce string, body []byte) (bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.entries == nil {
		j.entries, j.ids = map[string][]byte{}, map[string]string{}
	}
	if _, ok := j.entries[key]; ok {
		return false, nil
	}
	if _, ok := j.ids["order_id\x00"+orderID]; ok {
		return false, nil
	}
	if _, ok := j.ids["nonce\x00"+nonce]; ok {
		return false, nil
	}
	j.entries[key] = slices.Clone(body)
	j.order = append(j.order, key)
	j.ids["order_id\x00"+orderID], j.ids["nonce\x00"+nonce] = key, key
	return true, nil
}

func (j *memJournal) SandboxEntry(_ context.Context, by, value string) ([]byte, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	key := value
	if by != "key" {
		key = j.ids[by+"\x00"+value]
	}
	return slices.Clone(j.entries[key]), nil
}

func (j *memJournal) UpdateSandboxEntry(_ context.Context, key string, fn func([]byte) ([]byte, error)) (bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	b, ok := j.entries[key]
	if !ok {
		return false, nil
	}
	nb, err := fn(slices.Clone(b))
	if err != nil || nb == nil {
		return true, err
	}
	j.entries[key] = slices.Clone(nb)
	return true, nil
}

func (j *memJournal) SandboxEntries(context.Context) ([][]byte, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out [][]byte
	for _, k := range j.order {
		out = append(out, slices.Clone(j.entries[k]))
	}
	return out, nil
}

// TestSharedJournal: two simulators given one journal are one Latipay. A
// transaction made through one is queried, paid (waking a blocked query
// on the other), cancelled-refused and refunded through both; the second
// simulator, with the same random source, hands out other ids.
func TestSharedJournal(t *testing.T) {
	j := &memJournal{}
	simA, a := newTestSim(t, func(o *Options) { o.Journal = j })
	_, b := newTestSim(t, func(o *Options) { o.Journal = j })
	rc := newReceiver(t, nil)
	cb := func(p map[string]string) { p["callback_url"] = rc.srv.URL }
	mustCreate(t, a, "SJ-1", "wechat", cb)
	mustCreate(t, b, "SJ-2", "alipay", cb) // same Rand: its first ids are taken, so it draws again
	if _, m := postJSON(t, b.Client(), b.URL+"/v2/transaction", createParams("SJ-1", "wechat", nil)); code(m) != "207" {
		t.Errorf("reference used through the other simulator: %v, want 207", m)
	}

	done := make(chan map[string]any, 1)
	go func() {
		resp, err := b.Client().Get(queryURL(b.URL, "SJ-1", testUser, testKey, false, true))
		if err != nil {
			done <- map[string]any{"error": err.Error()}
			return
		}
		_, m := decodeResp(t, resp)
		done <- m
	}()
	if err := simA.Pay("SJ-1"); err != nil {
		t.Fatal(err)
	}
	m := <-done // the blocked query on B reads the journal again
	if toString(m["status"]) != "paid" {
		t.Fatalf("blocked query on B after paying on A: %v, want paid", m)
	}
	orderID := toString(m["order_id"])
	for _, c := range []struct {
		srv               *httptest.Server
		amount, ref, want string
	}{
		{a, "5.00", "first", "0"},
		{b, "5.00", "first", "562"},
		{b, "7.00", "second", "0"},
		{a, "0.51", "third", "556"},
		{a, "0.50", "third", "0"},
	} {
		if _, m := postJSON(t, c.srv.Client(), c.srv.URL+"/refund", refundParams(orderID, c.amount, c.ref)); code(m) != c.want {
			t.Errorf("refund %s %s: %v, want code %s", c.amount, c.ref, m, c.want)
		}
	}
	cancel := map[string]string{"user_id": testUser, "merchant_reference": "SJ-1",
		"signature": hmacHex(testKey, "merchant_reference=SJ-1&user_id="+testUser+testKey)}
	if _, m := postJSON(t, b.Client(), b.URL+"/cancel", cancel); code(m) != "900" {
		t.Errorf("cancel through B of a paid order: %v, want 900", m)
	}
	for _, s := range []*httptest.Server{a, b} {
		var ledger []Transaction
		resp, err := s.Client().Get(s.URL + "/ledger")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.NewDecoder(resp.Body).Decode(&ledger); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(ledger) != 2 || ledger[0].Refunded != "12.50" || ledger[0].OrderID == ledger[1].OrderID {
			t.Errorf("ledger of %s: %+v, want SJ-1 refunded 12.50 and SJ-2 with another order id", s.URL, ledger)
		}
	}
}
