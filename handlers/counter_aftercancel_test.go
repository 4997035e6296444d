package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// downGateway is Latipay unreachable for cancels and queries while down
// is set; everything else goes to the simulator.
type downGateway struct {
	payments.Gateway
	down atomic.Bool
}

var errDown = errors.New("test: Latipay not reached")

func (g *downGateway) Cancel(ctx context.Context, ref string) error {
	if g.down.Load() {
		return errDown
	}
	return g.Gateway.Cancel(ctx, ref)
}

func (g *downGateway) Query(ctx context.Context, ref string) (payments.GatewayResult, error) {
	if g.down.Load() {
		return payments.GatewayResult{}, errDown
	}
	return g.Gateway.Query(ctx, ref)
}

// saleState is what the counter's script reads of a sale after a cancel.
type saleState struct {
	ID, Status      string
	AwaitingLatipay bool   `json:"awaiting_latipay"`
	PaidAfterCancel bool   `json:"paid_after_cancel"`
	PaidLate        bool   `json:"paid_late"`
	PaidLateAfter   string `json:"paid_late_after"`
}

func newDownApp(t *testing.T) (*adminApp, *downGateway) {
	t.Helper()
	gw := &downGateway{}
	a := newAdminApp(t, adminAppOptions{wrapGateway: func(g payments.Gateway) payments.Gateway {
		gw.Gateway = g
		return gw
	}})
	return a, gw
}

var jsonAccept = http.Header{"Accept": {"application/json"}}

// TestCounterCancelUnconfirmed: a cancel whose ask Latipay does not answer
// closes the sale here but tells the till it is not confirmed
// (awaiting_latipay), on the cancel's answer and on every read after; the
// shopper then pays the QR and the sale reads paid after cancel. A second
// sale canceled the same way reads confirmed once the reconciler has had
// Latipay cancel its attempt.
func TestCounterCancelUnconfirmed(t *testing.T) {
	a, gw := newDownApp(t)
	dev := a.readyDevice(t)
	read := func(id string) saleState {
		t.Helper()
		w := a.do(t, http.MethodGet, handlers.CounterSalePath(id), nil, withCookie(dev, jsonAccept))
		if w.Code != http.StatusOK {
			t.Fatalf("read sale = %d %s", w.Code, w.Body)
		}
		return mustJSON[saleState](t, w)
	}
	cancel := func(id string) saleState {
		t.Helper()
		w := a.do(t, http.MethodPost, handlers.CounterSalePath(id)+"/cancel", nil, withCookie(dev, jsonAccept))
		if w.Code != http.StatusOK {
			t.Fatalf("cancel = %d %s", w.Code, w.Body)
		}
		return mustJSON[saleState](t, w)
	}

	sale := mustJSON[counterSaleJSON](t, a.charge(t, dev, "after-cancel-key-0000001", "31.41", "wechat"))
	gw.down.Store(true)
	if got := cancel(sale.ID); got.Status != "canceled" || !got.AwaitingLatipay {
		t.Errorf("the cancel Latipay did not confirm answers %+v; want canceled, awaiting Latipay", got)
	}
	if got := read(sale.ID); got.Status != "canceled" || !got.AwaitingLatipay {
		t.Errorf("read again: %+v; want still awaiting Latipay", got)
	}
	gw.down.Store(false)
	a.simulatePaid(t, a.MustGet(t, sale.ID).LatipayReference)
	a.WaitStatus(t, sale.ID, payments.StatusPaid)
	if got := read(sale.ID); got.Status != "paid" || !got.PaidAfterCancel || got.AwaitingLatipay {
		t.Errorf("paid after the cancel: %+v; want paid, paid_after_cancel", got)
	}

	// Confirmed: Latipay cancels the attempt when the reconciler asks.
	other := mustJSON[counterSaleJSON](t, a.charge(t, dev, "after-cancel-key-0000002", "5.00", "alipay"))
	gw.down.Store(true)
	if got := cancel(other.ID); !got.AwaitingLatipay {
		t.Errorf("second cancel answers %+v; want awaiting Latipay", got)
	}
	gw.down.Store(false)
	if _, err := a.Svc.ReconcileDue(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	if got := read(other.ID); got.Status != "canceled" || got.AwaitingLatipay || got.PaidAfterCancel {
		t.Errorf("after Latipay confirmed: %+v; want canceled, confirmed", got)
	}
	// A sale paid on time is not said paid after a cancel.
	paid := mustJSON[counterSaleJSON](t, a.charge(t, dev, "after-cancel-key-0000003", "6.00", "wechat"))
	a.simulatePaid(t, a.MustGet(t, paid.ID).LatipayReference)
	a.WaitStatus(t, paid.ID, payments.StatusPaid)
	if got := read(paid.ID); got.PaidAfterCancel || got.AwaitingLatipay {
		t.Errorf("a sale paid on time reads %+v", got)
	}
}

// TestCounterSharedTill: cashier 1 starts sales and locks the till;
// cashier 2 unlocks it and may cancel one and switch the other's wallet
// (both made on this till), each audited with cashier 2 as who did it;
// today's sales offer cashier 2 the cancel. The cancel route's errors are
// JSON in the till's language for the script, never an HTML page.
func TestCounterSharedTill(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	first := mustJSON[counterSaleJSON](t, a.charge(t, dev, "shared-till-key-00000001", "4.00", "wechat"))
	second := mustJSON[counterSaleJSON](t, a.charge(t, dev, "shared-till-key-00000002", "7.00", "wechat"))
	if w := a.do(t, http.MethodPost, handlers.CounterLockPath, nil, withCookie(dev, nil)); w.Code != http.StatusSeeOther {
		t.Fatalf("lock = %d", w.Code)
	}
	// Locked: the script's cancel gets JSON, not the error page.
	w := a.do(t, http.MethodPost, handlers.CounterSalePath(first.ID)+"/cancel?lang=zh-Hans", nil, withCookie(dev, jsonAccept))
	if e := mustJSON[counterErrJSON](t, w); w.Code != http.StatusUnauthorized || e.Error.Code != "counter_locked" || !strings.Contains(e.Error.Message, "收银台") {
		t.Errorf("cancel on a locked till = %d %+v; want 401 counter_locked in Simplified Chinese", w.Code, e)
	}
	if err := a.ctr.SetPIN(t.Context(), a.account(t, "owner@shop.example"), "2468"); err != nil {
		t.Fatal(err)
	}
	if w := a.unlock(t, dev, "owner@shop.example", "2468"); w.Code != http.StatusSeeOther {
		t.Fatal(w.Code)
	}
	sales := mustDoc(t, a.do(t, http.MethodGet, handlers.CounterSalesPath, nil, withCookie(dev, nil)))
	if n := sales.Find(`[data-testid="sale-row"][data-id="` + first.ID + `"] [data-testid="sale-cancel"]`).Length(); n != 1 {
		t.Errorf("today's sales offer cashier 2 %d cancels of cashier 1's open sale, want 1", n)
	}
	w = a.do(t, http.MethodPost, handlers.CounterSalePath(first.ID)+"/cancel", nil, withCookie(dev, jsonAccept))
	if got := mustJSON[saleState](t, w); w.Code != http.StatusOK || got.Status != "canceled" {
		t.Errorf("cashier 2 cancels cashier 1's sale = %d %+v; want 200 canceled", w.Code, got)
	}
	if got := mustJSON[counterSaleJSON](t, a.charge(t, dev, "shared-till-key-00000002", "7.00", "alipay")); got.ID != second.ID || got.Method != "alipay" {
		t.Errorf("cashier 2 switches cashier 1's sale: %+v; want the same sale on Alipay", got)
	}
	owner := a.account(t, "owner@shop.example")
	for _, c := range []struct{ action, target, before, after string }{
		{"counter.cancel", first.ID, "", "canceled"},
		{"counter.switch", second.ID, "wechat", "alipay"},
	} {
		es, err := a.Store.Audit(t.Context(), accounts.AuditFilter{Target: c.target, Action: c.action, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 1 || es[0].AccountID != owner || es[0].Email != "owner@shop.example" || es[0].Device != "Front till" ||
			es[0].Before != c.before || es[0].After != c.after {
			t.Errorf("audit of %s: %+v; want one entry by owner@shop.example on Front till, %q → %q", c.action, es, c.before, c.after)
		}
	}
	_, ownerSession := a.signIn(t, "owner@shop.example", adminPW)
	doc := a.ownerDoc(t, ownerSession, "/admin/payments/"+second.ID+"?lang=zh-Hant", http.StatusOK)
	if got := doc.Text(); !strings.Contains(got, "在收銀台切換了錢包") {
		t.Errorf("the payment's timeline does not say the wallet was switched at the counter")
	}

	// Errors the script reads: JSON in the till's language.
	a.simulatePaid(t, a.MustGet(t, second.ID).LatipayReference)
	a.WaitStatus(t, second.ID, payments.StatusPaid)
	for _, c := range []struct {
		id   string
		want int
		code string
	}{{second.ID, http.StatusConflict, "already_paid"}, {"pay_0000000aaaaaaaaaaaaaaaaaaaaaaaaaa", http.StatusNotFound, "not_found"}} {
		w := a.do(t, http.MethodPost, handlers.CounterSalePath(c.id)+"/cancel?lang=zh-Hant", nil, withCookie(dev, jsonAccept))
		e := mustJSON[counterErrJSON](t, w)
		if w.Code != c.want || e.Error.Code != c.code || e.Error.Message == "" || !hasHan(e.Error.Message) {
			t.Errorf("cancel %s = %d %+v; want %d %s in Traditional Chinese", c.id, w.Code, e, c.want, c.code)
		}
	}
	// The sales page's form still goes back to the list.
	if w := a.do(t, http.MethodPost, handlers.CounterSalePath(first.ID)+"/cancel", nil, withCookie(dev, nil)); w.Code != http.StatusSeeOther {
		t.Errorf("the sales page's cancel = %d, want 303", w.Code)
	}
}

// hasHan reports whether s has a Chinese character.
func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// TestCounterLimitSaid: an amount above the counter's limit is refused
// with the limit written as money, in the three languages, and the keypad
// page carries the same words and the limit for the script.
func TestCounterLimitSaid(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	for lang, want := range map[string]string{"en": "limit of NZ$ 50,000.00", "zh-Hans": "上限 NZ$ 50,000.00", "zh-Hant": "上限 NZ$ 50,000.00"} {
		body, h := form(map[string][]string{"key": {"limit-key-000000000-" + lang}, "amount": {"50000.01"}, "method": {"wechat"}})
		w := a.do(t, http.MethodPost, handlers.CounterChargePath+"?lang="+lang, body, withCookie(dev, h))
		if e := mustJSON[counterErrJSON](t, w); w.Code != http.StatusBadRequest || e.Error.Code != "amount_too_large" || !strings.Contains(e.Error.Message, want) {
			t.Errorf("%s: over the limit = %d %+v; want 400 amount_too_large saying %q", lang, w.Code, e, want)
		}
		doc := mustDoc(t, a.do(t, http.MethodGet, handlers.CounterPath+"?lang="+lang, nil, withCookie(dev, nil)))
		if got, _ := doc.Find("#counter").Attr("data-t-limit"); !strings.Contains(got, want) {
			t.Errorf("%s: the keypad's limit message is %q, want it saying %q", lang, got, want)
		}
		if got, _ := doc.Find("#counter").Attr("data-max"); got != "5000000" {
			t.Errorf("%s: data-max = %q", lang, got)
		}
	}
}

// TestCheckoutCancelUnconfirmed: the shopper's cancel that Latipay does
// not answer leaves the attempt live there (the wallet may still pay it),
// so the canceled page does not say nothing was charged: it says Latipay
// has not confirmed and the shop refunds or honours a payment, in the
// three languages. Once the reconciler has had Latipay cancel the
// attempt, the page says nothing was charged.
func TestCheckoutCancelUnconfirmed(t *testing.T) {
	a, gw := newDownApp(t)
	p := a.mustCreate(t, cancelBody)
	a.mustStartQR(t, p.ID)
	gw.down.Store(true)
	w := a.do(t, http.MethodPost, "/checkout/"+p.ID+"/cancel", strings.NewReader(""),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("POST cancel = %d %s", w.Code, w.Body)
	}
	a.WaitStatus(t, p.ID, payments.StatusCanceled)
	said := func(lang string) string {
		t.Helper()
		w := a.do(t, http.MethodGet, "/checkout/"+p.ID+"?lang="+lang, nil, nil)
		return strings.TrimSpace(testid(mustDoc(t, w), "screen-text").Text())
	}
	hedged := map[string][2]string{
		"en":      {"You canceled this payment. Latipay has not confirmed the cancel yet", "Nothing was charged"},
		"zh-Hans": {"您已取消此订单，但 Latipay 尚未确认取消", "未产生任何扣款"},
		"zh-Hant": {"您已取消此訂單，但 Latipay 尚未確認取消", "未產生任何扣款"},
	}
	for lang, want := range hedged {
		if got := said(lang); !strings.HasPrefix(got, want[0]) || strings.Contains(got, want[1]) {
			t.Errorf("unconfirmed cancel in %s says %q; want it to begin %q and not say %q", lang, got, want[0], want[1])
		}
	}
	gw.down.Store(false)
	if _, err := a.Svc.ReconcileDue(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	for lang, want := range hedged {
		if got := said(lang); !strings.Contains(got, want[1]) || strings.Contains(got, "Latipay") {
			t.Errorf("confirmed cancel in %s says %q; want %q", lang, got, want[1])
		}
	}
}

// TestCheckoutExpiredUnconfirmed: a payment whose window ends closes here
// at once, but the reconciler cancels its live attempt at Latipay only
// afterwards (the wallet may still pay it meanwhile), so the expired page
// does not say nothing was charged until then: it says Latipay has not
// confirmed and the shop refunds or honours a payment, in the three
// languages. Once the reconciler has had Latipay cancel the attempt, the
// page says nothing was charged.
func TestCheckoutExpiredUnconfirmed(t *testing.T) {
	a := newAdminApp(t, adminAppOptions{})
	p := a.mustCreate(t, createBody)
	a.mustStartQR(t, p.ID)
	a.Clock.Advance(a.MustGet(t, p.ID).ExpiresAt.Sub(a.Clock.Now()) + time.Minute)
	if _, err := a.Svc.ExpireDue(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	if got := a.MustGet(t, p.ID).Status; got != payments.StatusExpired {
		t.Fatalf("payment after its window = %s, want expired", got)
	}
	said := func(lang string) string {
		t.Helper()
		w := a.do(t, http.MethodGet, "/checkout/"+p.ID+"?lang="+lang, nil, nil)
		return strings.TrimSpace(testid(mustDoc(t, w), "screen-text").Text())
	}
	hedged := map[string][2]string{
		"en":      {"The time to pay has run out. Latipay has not confirmed yet", "Nothing was charged"},
		"zh-Hans": {"付款时间已过，但 Latipay 尚未确认", "未产生任何扣款"},
		"zh-Hant": {"付款時間已過，但 Latipay 尚未確認", "未產生任何扣款"},
	}
	for lang, want := range hedged {
		if got := said(lang); !strings.HasPrefix(got, want[0]) || strings.Contains(got, want[1]) {
			t.Errorf("expired, attempt live, in %s says %q; want it to begin %q and not say %q", lang, got, want[0], want[1])
		}
	}
	if _, err := a.Svc.ReconcileDue(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	for lang, want := range hedged {
		if got := said(lang); !strings.Contains(got, want[1]) || strings.Contains(got, "Latipay") {
			t.Errorf("expired, attempt final, in %s says %q; want %q", lang, got, want[1])
		}
	}
}

// TestCounterPaidLate: a sale Latipay said failed, then paid after all,
// and a sale paid after its time ran out read paid late at the till
// (paid_late), with what closed them (paid_late_after), so the script
// says so loudly and the cashier does not charge again; neither is said
// paid after a cancel. A sale paid on time is not paid late.
func TestCounterPaidLate(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	read := func(id string) saleState {
		t.Helper()
		w := a.do(t, http.MethodGet, handlers.CounterSalePath(id), nil, withCookie(dev, jsonAccept))
		if w.Code != http.StatusOK {
			t.Fatalf("read sale = %d %s", w.Code, w.Body)
		}
		return mustJSON[saleState](t, w)
	}

	failed := mustJSON[counterSaleJSON](t, a.charge(t, dev, "paid-late-key-000000001", "7.00", "wechat"))
	ref := a.MustGet(t, failed.ID).LatipayReference
	if got := a.PostCallback(t, paymentstest.Notification(ref, "wechat", "failed", "NZD", "7.00")); !strings.HasPrefix(got, "200") {
		t.Fatalf("failed callback = %q", got)
	}
	a.WaitStatus(t, failed.ID, payments.StatusFailed)
	if err := a.Sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	a.WaitStatus(t, failed.ID, payments.StatusPaid)
	if got := read(failed.ID); got.Status != "paid" || !got.PaidLate || got.PaidLateAfter != "failed" || got.PaidAfterCancel {
		t.Errorf("paid after it failed: %+v; want paid, paid late after failed", got)
	}

	expired := mustJSON[counterSaleJSON](t, a.charge(t, dev, "paid-late-key-000000002", "8.00", "alipay"))
	a.Clock.Advance(a.MustGet(t, expired.ID).ExpiresAt.Sub(a.Clock.Now()) + time.Second)
	if _, err := a.Svc.ExpireDue(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	a.WaitStatus(t, expired.ID, payments.StatusExpired)
	if err := a.Sim.Pay(a.MustGet(t, expired.ID).LatipayReference); err != nil {
		t.Fatal(err)
	}
	a.WaitStatus(t, expired.ID, payments.StatusPaid)
	if got := read(expired.ID); got.Status != "paid" || !got.PaidLate || got.PaidLateAfter != "expired" || got.PaidAfterCancel {
		t.Errorf("paid after it expired: %+v; want paid, paid late after expired", got)
	}

	onTime := mustJSON[counterSaleJSON](t, a.charge(t, dev, "paid-late-key-000000003", "9.00", "wechat"))
	a.simulatePaid(t, a.MustGet(t, onTime.ID).LatipayReference)
	a.WaitStatus(t, onTime.ID, payments.StatusPaid)
	if got := read(onTime.ID); got.PaidLate || got.PaidLateAfter != "" {
		t.Errorf("a sale paid on time reads %+v", got)
	}
}
