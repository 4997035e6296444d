package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
)

const counterPIN = "482913"

// counterSaleJSON is the part of a sale's JSON the tests read.
type counterSaleJSON struct {
	ID, Status, Amount, Method, QR, Token string
}

type counterErrJSON struct {
	Error struct{ Code, Message, Field string }
}

func form(vals url.Values) (*strings.Reader, http.Header) {
	return strings.NewReader(vals.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
}

// account returns the id of the account with that email.
func (a *adminApp) account(t *testing.T, email string) string {
	t.Helper()
	acct, err := a.Store.AccountByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return acct.ID
}

// pair pairs a device through POST /counter/pair and returns its cookie.
func (a *adminApp) pair(t *testing.T) *http.Cookie {
	t.Helper()
	code, _, err := a.ctr.NewPairing(t.Context(), "Front till")
	if err != nil {
		t.Fatal(err)
	}
	body, h := form(url.Values{"code": {code[:4] + " " + code[4:]}})
	return pairedCookie(t, a.do(t, http.MethodPost, handlers.CounterPairPath, body, h), "hpp-counter")
}

// pairedCookie is the credential cookie name that a pairing form's answer
// w sets with its redirect; it must be HttpOnly and SameSite=Strict.
func pairedCookie(t *testing.T, w *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	if w.Code != http.StatusSeeOther {
		t.Fatalf("pair = %d: %s", w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == name && c.Value != "" {
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict", c)
			}
			return c
		}
	}
	t.Fatalf("pairing set no %s cookie", name)
	return nil
}

// unlock posts a PIN for the account with that email from device dev.
func (a *adminApp) unlock(t *testing.T, dev *http.Cookie, email, pin string) *httptest.ResponseRecorder {
	t.Helper()
	body, h := form(url.Values{"account": {a.account(t, email)}, "pin": {pin}})
	return a.do(t, http.MethodPost, handlers.CounterUnlockPath, body, withCookie(dev, h))
}

// readyDevice pairs a device and unlocks it for the cashier.
func (a *adminApp) readyDevice(t *testing.T) *http.Cookie {
	t.Helper()
	if err := a.ctr.SetPIN(t.Context(), a.account(t, "cashier@shop.example"), counterPIN); err != nil {
		t.Fatal(err)
	}
	dev := a.pair(t)
	if w := a.unlock(t, dev, "cashier@shop.example", counterPIN); w.Code != http.StatusSeeOther {
		t.Fatalf("unlock = %d: %s", w.Code, w.Body)
	}
	return dev
}

func (a *adminApp) charge(t *testing.T, dev *http.Cookie, key, amount, method string) *httptest.ResponseRecorder {
	t.Helper()
	body, h := form(url.Values{"key": {key}, "amount": {amount}, "method": {method}, "note": {"2 flat whites"}})
	return a.do(t, http.MethodPost, handlers.CounterChargePath, body, withCookie(dev, h))
}

// TestCounterCharge: an unlocked device charges through the real router
// and simulator; the same key again (a double tap, a retry) is the same
// payment, started once as our own QR, with the counter QR channel; zero,
// too large and malformed amounts are refused with a clear message and
// make nothing.
func TestCounterCharge(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	const key = "sale-key-0000000000000001"
	w := a.charge(t, dev, key, "12.50", "wechat")
	if w.Code != http.StatusOK {
		t.Fatalf("charge = %d: %s", w.Code, w.Body)
	}
	first := mustJSON[counterSaleJSON](t, w)
	if first.Status != "pending" || first.Amount != "12.50" || first.QR == "" || first.Token == "" {
		t.Fatalf("charge answered %+v, want a pending sale with a QR and a socket token", first)
	}
	again := mustJSON[counterSaleJSON](t, a.charge(t, dev, key, "12.50", "wechat"))
	if again.ID != first.ID {
		t.Errorf("the same key made a second payment: %s then %s", first.ID, again.ID)
	}
	p, err := a.Store.Payment(t.Context(), first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != payments.SourceCounterQR || p.Attempts != 1 || p.Description != "2 flat whites" {
		t.Errorf("payment source %q, %d attempts, description %q; want counter_qr, 1, the note", p.Source, p.Attempts, p.Description)
	}
	sale, err := a.Store.Sale(t.Context(), first.ID)
	if err != nil || sale.AccountID != a.account(t, "cashier@shop.example") {
		t.Errorf("sale record %+v, %v: want the cashier who charged", sale, err)
	}
	if qr := a.do(t, http.MethodGet, first.QR, nil, nil); qr.Code != http.StatusOK || qr.Header().Get("Content-Type") != "image/png" {
		t.Errorf("the sale's QR = %d %s", qr.Code, qr.Header().Get("Content-Type"))
	}
	all, err := a.Store.ListPayments(t.Context(), payments.PaymentFilter{Limit: 10})
	if err != nil || len(all) != 1 {
		t.Fatalf("%d payments stored (%v), want 1", len(all), err)
	}
	for _, c := range []struct{ amount, code, message string }{
		{"0.00", "amount_zero", "above zero"},
		{"0", "amount_zero", "above zero"},
		{"50000.01", "amount_too_large", "above the counter's limit"},
		{"99999999999999", "amount_too_large", "above the counter's limit"},
		{"12.5.0", "invalid_request", "Check the amount"},
	} {
		w := a.charge(t, dev, "sale-key-bad-"+strings.ReplaceAll(c.amount, ".", "x")+"-000", c.amount, "wechat")
		e := mustJSON[counterErrJSON](t, w)
		if w.Code != http.StatusBadRequest || e.Error.Code != c.code || !strings.Contains(e.Error.Message, c.message) || e.Error.Field != "amount" {
			t.Errorf("amount %q = %d %+v, want 400 %s saying %q on field amount", c.amount, w.Code, e, c.code, c.message)
		}
	}
	if all, _ := a.Store.ListPayments(t.Context(), payments.PaymentFilter{Limit: 10}); len(all) != 1 {
		t.Errorf("refused amounts made payments: %d stored", len(all))
	}
	// The page shows the Chinese message to a Chinese cashier.
	body, h := form(url.Values{"key": {"sale-key-zh-000000000"}, "amount": {"0"}, "method": {"wechat"}})
	h.Set("Accept-Language", "zh-CN")
	zh := mustJSON[counterErrJSON](t, a.do(t, http.MethodPost, handlers.CounterChargePath, body, withCookie(dev, h)))
	if !strings.Contains(zh.Error.Message, "大于零") {
		t.Errorf("zero amount in Chinese says %q", zh.Error.Message)
	}
}

// TestCounterPINLock: wrong PINs are refused clearly; the fifth locks the
// PIN, after which even the right PIN is refused, until the owner sets a
// new one.
func TestCounterPINLock(t *testing.T) {
	a := newAdminApp(t)
	cashier := a.account(t, "cashier@shop.example")
	if err := a.ctr.SetPIN(t.Context(), cashier, counterPIN); err != nil {
		t.Fatal(err)
	}
	dev := a.pair(t)
	for i := 1; i <= counter.MaxPINFailures; i++ {
		w := a.unlock(t, dev, "cashier@shop.example", "0000")
		want, msg := http.StatusUnauthorized, "Wrong PIN"
		if i == counter.MaxPINFailures {
			want, msg = http.StatusLocked, "This PIN is locked"
		}
		if w.Code != want || !strings.Contains(w.Body.String(), msg) {
			t.Fatalf("wrong PIN %d = %d, want %d saying %q", i, w.Code, want, msg)
		}
	}
	if w := a.unlock(t, dev, "cashier@shop.example", counterPIN); w.Code != http.StatusLocked {
		t.Fatalf("the right PIN on a locked PIN = %d, want 423", w.Code)
	}
	if w := a.charge(t, dev, "sale-key-locked-000001", "1.00", "wechat"); w.Code != http.StatusUnauthorized {
		t.Errorf("charge on a locked device = %d, want 401", w.Code)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	body, h := form(url.Values{"account": {cashier}, "pin": {"7777"}})
	if w := a.do(t, http.MethodPost, handlers.AdminCounterPath+"/pins", body, withCookie(owner, h)); w.Code != http.StatusSeeOther {
		t.Fatalf("owner sets a PIN = %d", w.Code)
	}
	if w := a.unlock(t, dev, "cashier@shop.example", "7777"); w.Code != http.StatusSeeOther {
		t.Fatalf("the new PIN = %d, want unlocked", w.Code)
	}
}

// TestCounterRevokedDevice: once the owner revokes a device, its next
// request is refused with a clear message and the cookie is removed;
// nothing is charged.
func TestCounterRevokedDevice(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	devices, err := a.Store.Devices(t.Context())
	if err != nil || len(devices) != 1 {
		t.Fatalf("devices %v, %v", devices, err)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	w := a.do(t, http.MethodPost, handlers.AdminCounterPath+"/devices/"+devices[0].ID+"/revoke", nil, withCookie(owner, nil))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("revoke = %d", w.Code)
	}
	w = a.charge(t, dev, "sale-key-revoked-00001", "5.00", "alipay")
	e := mustJSON[counterErrJSON](t, w)
	if w.Code != http.StatusForbidden || e.Error.Code != "device_revoked" || !strings.Contains(e.Error.Message, "removed from the shop") {
		t.Errorf("charge from a revoked device = %d %+v", w.Code, e)
	}
	cleared := false
	for _, c := range w.Result().Cookies() {
		cleared = cleared || c.Name == "hpp-counter" && c.MaxAge < 0
	}
	if !cleared {
		t.Error("a revoked device keeps its cookie")
	}
	page := a.do(t, http.MethodGet, handlers.CounterPath, nil, withCookie(dev, nil))
	if page.Code != http.StatusForbidden || !strings.Contains(page.Body.String(), "removed from the shop") ||
		!strings.Contains(page.Body.String(), `data-testid="pair-form"`) {
		t.Errorf("/counter on a revoked device = %d, want 403 with the pairing form", page.Code)
	}
	if all, _ := a.Store.ListPayments(t.Context(), payments.PaymentFilter{Limit: 10}); len(all) != 0 {
		t.Errorf("a revoked device made %d payments", len(all))
	}
}

// counterNeeds is what each /counter route needs: "" none, "device" a
// paired device, "unlocked" a device a cashier has unlocked.
var counterNeeds = map[string]string{
	"GET /counter":                   "",
	"GET /counter/pair":              "",
	"POST /counter/pair":             "",
	"POST /counter/unlock":           "device",
	"POST /counter/lock":             "device",
	"GET /counter/sales":             "unlocked",
	"POST /counter/sales/:id/cancel": "unlocked",
	"POST /counter/charge":           "unlocked",
	"POST /counter/scan":             "unlocked",
	"GET /counter/sales/:id":         "unlocked",
	"GET /counter/sales/:id/receipt": "unlocked",
	// The displays facing the shopper: the display's own pages and socket
	// take the display's credential, not the device's; the device's page
	// of its displays needs an unlocked device.
	"GET /counter/display":              "",
	"POST /counter/display":             "",
	"GET /counter/display/ws":           "",
	"GET /counter/displays":             "unlocked",
	"POST /counter/displays/code":       "unlocked",
	"POST /counter/displays/:id/revoke": "unlocked",
	"GET /counter/ws":                   "unlocked",
}

// TestCounterRouteMatrix walks every /counter route of the real router
// with no device, a revoked one, a locked one and an unlocked one: a
// route refuses (401 without a device or unlocked cashier, 403 when
// revoked) whatever it needs and does not get, and changes nothing. A
// route missing from counterNeeds fails.
func TestCounterRouteMatrix(t *testing.T) {
	a := newAdminApp(t)
	checkRouteRows(t, a, "/counter", "counterNeeds", counterNeeds)
	unlocked := a.readyDevice(t)
	sale := mustJSON[counterSaleJSON](t, a.charge(t, unlocked, "sale-key-matrix-000001", "3.00", "wechat"))
	locked := a.pair(t)
	before, _ := a.Store.Devices(t.Context())
	revoked := a.pair(t)
	after, _ := a.Store.Devices(t.Context())
	for _, d := range after {
		if !slices.ContainsFunc(before, func(b counter.Device) bool { return b.ID == d.ID }) {
			if _, err := a.ctr.Revoke(t.Context(), d.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	states := []struct {
		name   string
		cookie *http.Cookie
		has    string // what it satisfies
	}{{"no device", nil, ""}, {"revoked", revoked, ""}, {"locked", locked, "device"}, {"unlocked", unlocked, "unlocked"}}
	for r, need := range counterNeeds {
		if need == "" {
			continue
		}
		method, path, _ := strings.Cut(r, " ")
		path = strings.Replace(path, ":id", sale.ID, 1)
		for _, st := range states {
			if need == "device" && st.has != "" || need == "unlocked" && st.has == "unlocked" {
				continue
			}
			before, _ := a.Store.Payment(t.Context(), sale.ID)
			body, h := form(url.Values{"key": {"sale-key-matrix-000002"}, "amount": {"1.00"}, "method": {"alipay"}, "pin": {counterPIN}})
			w := a.do(t, method, path, body, withCookie(st.cookie, h))
			want := http.StatusUnauthorized
			if st.name == "revoked" {
				want = http.StatusForbidden
			}
			if w.Code != want {
				t.Errorf("%s with %s = %d, want %d", r, st.name, w.Code, want)
			}
			if p, _ := a.Store.Payment(t.Context(), sale.ID); p.Version != before.Version {
				t.Errorf("%s with %s changed the sale", r, st.name)
			}
		}
	}
	if all, _ := a.Store.ListPayments(t.Context(), payments.PaymentFilter{Limit: 10}); len(all) != 1 {
		t.Errorf("refused requests made payments: %d stored", len(all))
	}
}

// TestCounterCancelNoRefund: a cashier cancels an unpaid sale made on the
// device, another cashier's too (a shared till); a paid sale cannot be
// canceled, and the device
// reaches no refund: the back office's refund answers a device 401 and
// a cashier's session 403, and the payment stays paid.
func TestCounterCancelNoRefund(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	mine := mustJSON[counterSaleJSON](t, a.charge(t, dev, "sale-key-cancel-000001", "4.00", "wechat"))
	paid := mustJSON[counterSaleJSON](t, a.charge(t, dev, "sale-key-cancel-000002", "6.00", "alipay"))
	at, err := a.Store.Payment(t.Context(), paid.ID)
	if err != nil {
		t.Fatal(err)
	}
	a.simulatePaid(t, at.LatipayReference)
	a.WaitStatus(t, paid.ID, payments.StatusPaid)
	// The owner takes over the device and may cancel the cashier's sale.
	if err := a.ctr.SetPIN(t.Context(), a.account(t, "owner@shop.example"), "2468"); err != nil {
		t.Fatal(err)
	}
	if w := a.unlock(t, dev, "owner@shop.example", "2468"); w.Code != http.StatusSeeOther {
		t.Fatal(w.Code)
	}
	cancel := func(id string) *httptest.ResponseRecorder {
		return a.do(t, http.MethodPost, handlers.CounterSalePath(id)+"/cancel", nil, withCookie(dev, http.Header{"Accept": {"application/json"}}))
	}
	if w := cancel(mine.ID); w.Code != http.StatusOK || mustJSON[counterSaleJSON](t, w).Status != "canceled" {
		t.Errorf("cancel another cashier's unpaid sale on this device = %d, want 200 canceled", w.Code)
	}
	if w := a.unlock(t, dev, "cashier@shop.example", counterPIN); w.Code != http.StatusSeeOther {
		t.Fatal(w.Code)
	}
	if w := cancel(paid.ID); w.Code != http.StatusConflict {
		t.Errorf("cancel a paid sale = %d, want 409", w.Code)
	}
	refund, h := form(url.Values{"amount": {"6.00"}, "password": {adminPW}, "key": {"r1"}})
	if w := a.do(t, http.MethodPost, "/admin/payments/"+paid.ID+"/refund", refund, withCookie(dev, h)); w.Code != http.StatusUnauthorized {
		t.Errorf("refund with the device's cookie = %d, want 401", w.Code)
	}
	_, cashier := a.signIn(t, "cashier@shop.example", adminPW)
	refund, h = form(url.Values{"amount": {"6.00"}, "password": {adminPW}, "key": {"r2"}})
	if w := a.do(t, http.MethodPost, "/admin/payments/"+paid.ID+"/refund", refund, withCookie(cashier, h)); w.Code != http.StatusForbidden {
		t.Errorf("refund by a cashier = %d, want 403", w.Code)
	}
	if p, _ := a.Store.Payment(t.Context(), paid.ID); p.Status != payments.StatusPaid || p.Refunded != 0 {
		t.Errorf("after refused refunds the payment is %s with %d refunded", p.Status, p.Refunded)
	}
	sales := a.do(t, http.MethodGet, handlers.CounterSalesPath+"?lang=en", nil, withCookie(dev, nil))
	if sales.Code != http.StatusOK || !strings.Contains(sales.Body.String(), "NZ$") || strings.Count(sales.Body.String(), `data-testid="sale-row"`) != 2 {
		t.Errorf("today's sales = %d with %d rows", sales.Code, strings.Count(sales.Body.String(), `data-testid="sale-row"`))
	}
	if !strings.Contains(sales.Body.String(), `data-testid="summary-row"`) {
		t.Error("the shift summary has no total for the paid sale")
	}
}

// simulatePaid has the sandbox's Latipay settle attempt ref as paid and
// waits until the payment says so.
func (a *adminApp) simulatePaid(t *testing.T, ref string) {
	t.Helper()
	w := a.do(t, http.MethodPost, "/sandbox/latipay/simulate",
		strings.NewReader(url.Values{"merchant_reference": {ref}, "status": {"paid"}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}})
	if w.Code != http.StatusOK && w.Code != http.StatusSeeOther {
		t.Fatalf("simulate = %d %s", w.Code, w.Body)
	}
}

func (a *adminApp) scan(t *testing.T, dev *http.Cookie, key, amount, code string) *httptest.ResponseRecorder {
	t.Helper()
	body, h := form(url.Values{"key": {key}, "amount": {amount}, "code": {code}})
	return a.do(t, http.MethodPost, handlers.CounterScanPath, body, withCookie(dev, h))
}

// TestCounterScan: a code of neither wallet is refused before any sale is
// made, with a message naming both wallets' rules; a WeChat Pay code
// whose shopper must type a password is a pending counter_scan sale, and
// the same code scanned again is the same sale; a code Latipay refuses
// says so and leaves nothing charged; with Latipay unreachable the answer
// is 503 latipay_unreachable and the sale is failed.
func TestCounterScan(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	for _, code := range []string{"12345", "99458855851458501", "1345885585145850", "13458855851458506x"} {
		w := a.scan(t, dev, "scan-key-bad-0000000001", "8.00", code)
		e := mustJSON[counterErrJSON](t, w)
		if w.Code != http.StatusBadRequest || e.Error.Code != "bad_pay_code" ||
			!strings.Contains(e.Error.Message, "WeChat Pay codes have 18 digits starting 10 to 15") ||
			!strings.Contains(e.Error.Message, "Alipay codes have 16 to 24 digits starting 25 to 30") {
			t.Errorf("code %q = %d %+v, want 400 bad_pay_code naming the rules", code, w.Code, e)
		}
	}
	if all, _ := a.Store.ListPayments(t.Context(), payments.PaymentFilter{Limit: 10}); len(all) != 0 {
		t.Fatalf("bad codes made %d payments", len(all))
	}
	const password = "134588558514585011" // the sandbox's shopper must type a password
	w := a.scan(t, dev, "scan-key-0000000000001", "8.00", password)
	if w.Code != http.StatusOK {
		t.Fatalf("scan = %d %s", w.Code, w.Body)
	}
	first := mustJSON[counterSaleJSON](t, w)
	if first.Status != "pending" || first.Method != "wechat" || first.QR != "" {
		t.Errorf("scan answered %+v, want a pending WeChat Pay sale without a QR", first)
	}
	again := mustJSON[counterSaleJSON](t, a.scan(t, dev, "scan-key-0000000000001", "8.00", password))
	if again.ID != first.ID {
		t.Errorf("the same scan again made payment %s after %s", again.ID, first.ID)
	}
	p, err := a.Store.Payment(t.Context(), first.ID)
	if err != nil || p.Source != payments.SourceCounterScan || p.Attempts != 1 {
		t.Errorf("payment %+v, %v: want one attempt through counter_scan", p, err)
	}
	w = a.scan(t, dev, "scan-key-0000000000002", "8.00", "134588558514585013") // refused by the sandbox
	e := mustJSON[counterErrJSON](t, w)
	if w.Code != http.StatusUnprocessableEntity || e.Error.Code != "pay_code_refused" || !strings.Contains(e.Error.Message, "refused the pay code") {
		t.Errorf("a refused code = %d %+v, want 422 saying Latipay refused it", w.Code, e)
	}

	// The shop's internet is down: the call to Latipay is refused at the
	// dial, so nothing can have been charged. The cashier reads that, the
	// sale is failed (not left pending), and scanning again is safe.
	a.StopSim()
	w = a.scan(t, dev, "scan-key-0000000000003", "8.00", "134588558514585019")
	e = mustJSON[counterErrJSON](t, w)
	if w.Code != http.StatusServiceUnavailable || e.Error.Code != "latipay_unreachable" || !strings.Contains(e.Error.Message, "nothing was charged") {
		t.Errorf("a scan with Latipay unreachable = %d %+v, want 503 latipay_unreachable saying nothing was charged", w.Code, e)
	}
	all, err := a.Store.ListPayments(t.Context(), payments.PaymentFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var unreached []payments.Payment
	for _, p := range all {
		if p.Reference == "CTR-scan-key-0000000000003" {
			unreached = append(unreached, p)
		}
	}
	if len(unreached) != 1 || unreached[0].Status != payments.StatusFailed {
		t.Errorf("the sale Latipay never received: %+v, want one, failed", unreached)
	}
}

// TestCounterUnlockAudit: unlocking a till is recorded with the till's
// name, as locking it is (the device column and the entry's words), not
// its id; so are refused PINs.
func TestCounterUnlockAudit(t *testing.T) {
	a := newAdminApp(t)
	if err := a.ctr.SetPIN(t.Context(), a.account(t, "cashier@shop.example"), counterPIN); err != nil {
		t.Fatal(err)
	}
	dev := a.pair(t)
	if w := a.unlock(t, dev, "cashier@shop.example", "0000"); w.Code != http.StatusUnauthorized {
		t.Fatalf("wrong PIN = %d", w.Code)
	}
	if w := a.unlock(t, dev, "cashier@shop.example", counterPIN); w.Code != http.StatusSeeOther {
		t.Fatalf("unlock = %d: %s", w.Code, w.Body)
	}
	if w := a.do(t, http.MethodPost, handlers.CounterLockPath, nil, withCookie(dev, nil)); w.Code != http.StatusSeeOther {
		t.Fatalf("lock = %d: %s", w.Code, w.Body)
	}
	es, err := a.acc.Store().Audit(t.Context(), accounts.AuditFilter{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range es {
		switch e.Action {
		case "counter.unlock", "counter.lock", "counter.unlock.failed":
			seen[e.Action] = true
			if e.Device != "Front till" {
				t.Errorf("%s recorded device %q, want the till's name %q", e.Action, e.Device, "Front till")
			}
			if e.Action != "counter.unlock.failed" && e.After != "Front till" {
				t.Errorf("%s recorded %q, want the till's name as counter.lock does", e.Action, e.After)
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("audit has %v, want unlock, a failed unlock and lock", seen)
	}
}
