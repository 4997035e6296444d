package latipaysim

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// stepClock is a clock the test moves by hand.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newBarcodeSim is newTestSim on a clock the test moves.
func newBarcodeSim(t *testing.T) (*Simulator, *httptest.Server, *stepClock) {
	t.Helper()
	clock := &stepClock{t: time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)}
	sim, srv := newTestSim(t, func(o *Options) { o.Now = clock.Now })
	return sim, srv, clock
}

// barcodeParams returns a signed barcode request.
func barcodeParams(ref, amount, payCode string) map[string]string {
	p := map[string]string{"user_id": testUser, "wallet_id": testNZD, "amount": amount,
		"merchant_reference": ref, "pay_code": payCode}
	p["signature"] = signParams(testKey, p)
	return p
}

// postBarcode sends a barcode request and returns the answer.
func postBarcode(t *testing.T, srv *httptest.Server, p map[string]string) map[string]any {
	t.Helper()
	_, m := postJSON(t, srv.Client(), srv.URL+"/barcode", p)
	return m
}

// queryStatus asks the simulator over HTTP for ref's status.
func queryStatus(t *testing.T, srv *httptest.Server, ref string) string {
	t.Helper()
	_, m := getJSON(t, srv.Client(), queryURL(srv.URL, ref, testUser, testKey, false, false))
	if code(m) != "0" {
		t.Fatalf("query %s: %v", ref, m)
	}
	return m["status"].(string)
}

// TestBarcodePaidAtOnce: a plain code is paid at once; the answer carries
// the order id and the query reports the method the code belongs to. No
// callback is sent (a barcode order has no callback_url).
func TestBarcodePaidAtOnce(t *testing.T) {
	sim, srv, _ := newBarcodeSim(t)
	for _, tc := range []struct{ ref, code, method string }{
		{"BC-W", "134588558514585062", "wechat"},
		{"BC-A", "2812345678901234567", "alipay"},
	} {
		m := postBarcode(t, srv, barcodeParams(tc.ref, "12.50", tc.code))
		tx, _ := sim.Transaction(tc.ref)
		if code(m) != "0" || m["message"] != "SUCCESS" || m["order_id"] != tx.OrderID || tx.OrderID == "" {
			t.Fatalf("barcode %s = %v, want code 0 and order id %q", tc.code, m, tx.OrderID)
		}
		if got := queryStatus(t, srv, tc.ref); got != "paid" || tx.PaymentMethod != tc.method || !tx.Barcode {
			t.Errorf("%s: status %s, method %s, barcode %v; want paid, %s, true", tc.code, got, tx.PaymentMethod, tx.Barcode, tc.method)
		}
		if tx.CallbackAttempts != 0 {
			t.Errorf("%s: %d callbacks sent, want none", tc.code, tx.CallbackAttempts)
		}
	}
}

// TestBarcodePassword: ...11 and ...12 (and a large amount) ask for a
// password: pending until the delay has passed, then paid or failed.
func TestBarcodePassword(t *testing.T) {
	sim, srv, clock := newBarcodeSim(t)
	for _, tc := range []struct{ ref, code, amount, want string }{
		{"PW-PAID", "134588558514585011", "12.50", "paid"},
		{"PW-FAIL", "134588558514585012", "12.50", "failed"},
		{"PW-LARGE", "134588558514585062", "700.00", "paid"}, // 700 NZD at 4.6449 is 3,251 yuan
	} {
		if m := postBarcode(t, srv, barcodeParams(tc.ref, tc.amount, tc.code)); code(m) != "0" {
			t.Fatalf("%s: %v", tc.ref, m)
		}
	}
	clock.Advance(defaultPasswordDelay - time.Second)
	for _, ref := range []string{"PW-PAID", "PW-FAIL", "PW-LARGE"} {
		if got := queryStatus(t, srv, ref); got != "pending" {
			t.Errorf("%s before the password: %s, want pending", ref, got)
		}
	}
	clock.Advance(time.Second)
	for ref, want := range map[string]string{"PW-PAID": "paid", "PW-FAIL": "failed", "PW-LARGE": "paid"} {
		if got := queryStatus(t, srv, ref); got != want {
			t.Errorf("%s after the password: %s, want %s", ref, got, want)
		}
	}
	if tx, _ := sim.Transaction("PW-PAID"); tx.PaidAt.IsZero() {
		t.Error("PW-PAID has no paid time")
	}
}

// TestBarcodeRefused: ...13 is refused with code 207 and leaves no
// transaction; a code of neither wallet, a wallet the merchant has not
// enabled and a bad signature are refused too.
func TestBarcodeRefused(t *testing.T) {
	sim, srv, _ := newBarcodeSim(t)
	if m := postBarcode(t, srv, barcodeParams("RF-1", "12.50", "134588558514585013")); code(m) != "207" || m["message"] != "pay_code is invalid or expired" {
		t.Errorf("refused code: %v, want 207 pay_code is invalid or expired", m)
	}
	if _, ok := sim.Transaction("RF-1"); ok {
		t.Error("a refused code made a transaction")
	}
	bad := barcodeParams("RF-2", "12.50", "134588558514585062")
	bad["signature"] = signParams("wrong", bad)
	noRef := barcodeParams("", "12.50", "134588558514585062")
	unknownWallet := barcodeParams("RF-6", "1.00", "134588558514585062")
	unknownWallet["wallet_id"] = "W9"
	unknownWallet["signature"] = signParams(testKey, unknownWallet)
	for name, tc := range map[string]struct {
		p    map[string]string
		want string
	}{
		"not a pay code":       {barcodeParams("RF-3", "12.50", "994588558514585062"), "207"},
		"wechat too short":     {barcodeParams("RF-4", "12.50", "13458855851458506"), "207"},
		"bad signature":        {bad, "206"},
		"no reference":         {noRef, "204"},
		"amount zero":          {barcodeParams("RF-5", "0.00", "134588558514585062"), "207"},
		"unknown wallet":       {unknownWallet, "450"},
		"alipay enabled":       {otherMerchant("RF-7", "251234567890123456"), "0"},
		"wechat not enabled":   {otherMerchant("RF-8", "134588558514585062"), "304"},
		"reference used again": {barcodeParams("RF-9", "12.50", "134588558514585062"), "0"},
	} {
		if got := code(postBarcode(t, srv, tc.p)); got != tc.want {
			t.Errorf("%s: code %s, want %s", name, got, tc.want)
		}
	}
	if got := code(postBarcode(t, srv, barcodeParams("RF-9", "12.50", "134588558514585062"))); got != "207" {
		t.Errorf("reused merchant_reference: code %s, want 207", got)
	}
}

// otherMerchant is a signed barcode request of the merchant that has only
// Alipay enabled.
func otherMerchant(ref, payCode string) map[string]string {
	p := map[string]string{"user_id": otherUser, "wallet_id": otherWallet, "amount": "5.00",
		"merchant_reference": ref, "pay_code": payCode}
	p["signature"] = signParams(otherKey, p)
	return p
}

// TestBarcodeLateSuccess: ...14 stays pending well past the time a
// counter waits (45 s) and is paid only after BarcodeLateDelay, or at
// once by a control call; a cancel before then cancels it.
func TestBarcodeLateSuccess(t *testing.T) {
	sim, srv, clock := newBarcodeSim(t)
	for _, ref := range []string{"LATE-1", "LATE-2", "LATE-3"} {
		if m := postBarcode(t, srv, barcodeParams(ref, "12.50", "134588558514585014")); code(m) != "0" {
			t.Fatalf("%s: %v", ref, m)
		}
	}
	clock.Advance(defaultLateDelay - time.Second)
	if got := queryStatus(t, srv, "LATE-1"); got != "pending" {
		t.Errorf("late success after %s: %s, want pending", defaultLateDelay-time.Second, got)
	}
	if err := sim.Pay("LATE-2"); err != nil {
		t.Errorf("Pay(LATE-2) = %v", err)
	}
	if got := queryStatus(t, srv, "LATE-2"); got != "paid" {
		t.Errorf("after the control call: %s, want paid", got)
	}
	p := map[string]string{"user_id": testUser, "merchant_reference": "LATE-3"}
	p["signature"] = signParams(testKey, p)
	if _, m := postJSON(t, srv.Client(), srv.URL+"/cancel", p); code(m) != "0" {
		t.Fatalf("cancel LATE-3: %v", m)
	}
	clock.Advance(time.Second)
	if got := queryStatus(t, srv, "LATE-1"); got != "paid" {
		t.Errorf("late success after %s: %s, want paid", defaultLateDelay, got)
	}
	if got := queryStatus(t, srv, "LATE-3"); got != "canceled" {
		t.Errorf("canceled late success: %s, want canceled", got)
	}
}

// TestBarcodeSurvivesRestart: a pending barcode order and its scheduled
// outcome are kept in the journal.
func TestBarcodeSurvivesRestart(t *testing.T) {
	j := &memJournal{}
	clock := &stepClock{t: time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)}
	_, srv := newTestSim(t, func(o *Options) { o.Now, o.Journal = clock.Now, j })
	if m := postBarcode(t, srv, barcodeParams("J-1", "12.50", "134588558514585011")); code(m) != "0" {
		t.Fatal(m)
	}
	_, srv2 := newTestSim(t, func(o *Options) { o.Now, o.Journal = clock.Now, j })
	if got := queryStatus(t, srv2, "J-1"); got != "pending" {
		t.Errorf("after restart: %s, want pending", got)
	}
	clock.Advance(defaultPasswordDelay)
	if got := queryStatus(t, srv2, "J-1"); got != "paid" {
		t.Errorf("after restart and the password: %s, want paid", got)
	}
}

// TestBarcodeBlockingQueryWakes: a long-poll query of a barcode order
// whose shopper is typing a password is answered once the password is
// in, with the outcome.
func TestBarcodeBlockingQueryWakes(t *testing.T) {
	_, srv := newTestSim(t, func(o *Options) { o.Now, o.BarcodePasswordDelay = time.Now, 50*time.Millisecond })
	if m := postBarcode(t, srv, barcodeParams("BQ-1", "12.50", "134588558514585011")); code(m) != "0" {
		t.Fatal(m)
	}
	_, m := getJSON(t, srv.Client(), queryURL(srv.URL, "BQ-1", testUser, testKey, false, true))
	if code(m) != "0" || m["status"] != "paid" {
		t.Errorf("blocking query = %v, want paid", m)
	}
}
