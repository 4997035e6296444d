package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/views"
)

// TestCounterWarnsBeforeItLocks: the keypad is told how long its unlock
// has left and when to warn (counter.LockWarnBefore), with the warning's
// words in the till's language naming the time it locks; nothing
// extends the unlock. A sale charged just before the end is kept when
// the till locks itself: its payment stays open and can be paid
// meanwhile, and once the cashier unlocks again the device reads that
// same sale, paid.
func TestCounterWarnsBeforeItLocks(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	a.Clock.Advance(counter.UnlockFor - 2*time.Minute)

	for _, lang := range []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese} {
		doc := mustDoc(t, a.do(t, http.MethodGet, "/counter?lang="+lang, nil, withCookie(dev, nil)))
		root := doc.Find("#counter")
		if root.Length() != 1 {
			t.Fatalf("%s: GET /counter two minutes before the end shows no keypad", lang)
		}
		left, _ := strconv.Atoi(root.AttrOr("data-lock-seconds", ""))
		warn, _ := strconv.Atoi(root.AttrOr("data-lock-warn-seconds", ""))
		if left != int((2*time.Minute)/time.Second) || warn != int(counter.LockWarnBefore/time.Second) {
			t.Errorf("%s: the keypad has %d s left and warns %d s ahead; want %d and %d", lang, left, warn,
				int((2*time.Minute)/time.Second), int(counter.LockWarnBefore/time.Second))
		}
		// The catalog's words around the time of day it locks.
		before, after, _ := strings.Cut(a.localizer(t, lang).T("counter.lockwarn", "\x00"), "\x00")
		if got := root.AttrOr("data-t-lock-warn", ""); !strings.HasPrefix(got, before) || !strings.HasSuffix(got, after) ||
			len(got) <= len(before)+len(after) {
			t.Errorf("%s: the warning reads %q, want %q, the time, %q", lang, got, before, after)
		}
		if alert := doc.Find(`[data-testid="lock-warn"]`); alert.AttrOr("role", "") != "alert" {
			t.Errorf("%s: the warning's line has role %q, want alert", lang, alert.AttrOr("role", ""))
		}
	}

	// A sale just before the end.
	w := a.charge(t, dev, "sale-key-before-the-lock-01", "12.50", "wechat")
	if w.Code != http.StatusOK {
		t.Fatalf("charge = %d %s", w.Code, w.Body)
	}
	sale := mustJSON[counterSaleJSON](t, w)
	a.Clock.Advance(3 * time.Minute) // the unlock has ended; the sale's 5 minutes have not

	if page := mustDoc(t, a.do(t, http.MethodGet, "/counter?lang=en", nil, withCookie(dev, nil))); page.Find("#counter").Length() != 0 ||
		page.Find(`[data-testid="unlock-form"]`).Length() != 1 {
		t.Fatal("after the unlock's end the counter still shows the keypad, want the unlock form")
	}
	p, err := a.Store.Payment(t.Context(), sale.ID)
	if err != nil || p.Status != payments.StatusPending {
		t.Fatalf("the sale after the till locked is %s (%v), want still pending", p.Status, err)
	}
	a.simulatePaid(t, p.LatipayReference) // the shopper pays while the till is locked
	a.WaitStatus(t, sale.ID, payments.StatusPaid)

	if w := a.unlock(t, dev, "cashier@shop.example", counterPIN); w.Code != http.StatusSeeOther {
		t.Fatalf("unlock again = %d", w.Code)
	}
	got := a.do(t, http.MethodGet, "/counter/sales/"+sale.ID, nil, withCookie(dev, http.Header{"Accept": {"application/json"}}))
	if got.Code != http.StatusOK {
		t.Fatalf("the sale after unlocking again = %d %s", got.Code, got.Body)
	}
	if s := mustJSON[counterSaleJSON](t, got); s.ID != sale.ID || s.Status != "paid" {
		t.Errorf("after unlocking again the device reads %+v, want sale %s paid", s, sale.ID)
	}
	// The new unlock has a full shift again.
	root := mustDoc(t, a.do(t, http.MethodGet, "/counter?lang=en", nil, withCookie(dev, nil))).Find("#counter")
	if left, _ := strconv.Atoi(root.AttrOr("data-lock-seconds", "")); left != int(counter.UnlockFor/time.Second) {
		t.Errorf("after unlocking again %d s are left, want %d", left, int(counter.UnlockFor/time.Second))
	}
}
