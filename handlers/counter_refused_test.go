package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
)

// refusedCode is a sandbox pay code Latipay refuses (code 207).
const refusedCode = "134588558514585013"

// refusedJSON is the counter's answer to a refused pay code: the error
// and the sale, still open, that the next code or a QR goes on.
type refusedJSON struct {
	Error struct {
		Code, Message string
		Sale          struct {
			ID, Status     string
			PayCodeRefused bool `json:"pay_code_refused"`
		}
	}
}

// TestCounterRefusedPayCode: Latipay refusing a scanned pay code tells the
// cashier why (Latipay's words), that nothing was charged and what they
// can do, and answers the sale, still open: the same sale then takes
// another code, a QR, or a cancel. Until then today's sales say the code
// was refused rather than list it as waiting for payment.
func TestCounterRefusedPayCode(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	refuse := func(key string) refusedJSON {
		t.Helper()
		w := a.scan(t, dev, key, "8.00", refusedCode)
		e := mustJSON[refusedJSON](t, w)
		if w.Code != http.StatusUnprocessableEntity || e.Error.Code != "pay_code_refused" ||
			!strings.Contains(e.Error.Message, "code 207: Latipay refused the pay code") || !strings.Contains(e.Error.Message, "Nothing was charged") {
			t.Fatalf("a refused code = %d %+v; want 422 pay_code_refused with Latipay's reason and nothing charged", w.Code, e)
		}
		if e.Error.Sale.ID == "" || e.Error.Sale.Status != "created" || !e.Error.Sale.PayCodeRefused {
			t.Fatalf("the refusal's sale = %+v; want the open sale, marked refused", e.Error.Sale)
		}
		return e
	}

	// Another code on the same sale.
	first := refuse("refused-key-00000000001")
	w := a.do(t, http.MethodGet, handlers.CounterSalePath(first.Error.Sale.ID), nil, withCookie(dev, http.Header{"Accept": {"application/json"}}))
	if got := mustJSON[map[string]any](t, w); got["pay_code_refused"] != true {
		t.Errorf("the refused sale read again = %v; want pay_code_refused", got)
	}
	sales := mustDoc(t, a.do(t, http.MethodGet, handlers.CounterSalesPath, nil, withCookie(dev, nil)))
	row := sales.Find(`[data-testid="sale-row"][data-id="` + first.Error.Sale.ID + `"]`)
	if got := row.Find(`[data-testid="sale-status"]`).Text(); !strings.Contains(got, "Pay code refused") || row.Find(`[data-testid="sale-cancel"]`).Length() != 1 {
		t.Errorf("today's sales show the refused sale as %q (cancel %d); want it said refused, with a cancel", got, row.Find(`[data-testid="sale-cancel"]`).Length())
	}
	w = a.scan(t, dev, "refused-key-00000000001", "8.00", "134588558514585062") // paid at once
	if got := mustJSON[counterSaleJSON](t, w); w.Code != http.StatusOK || got.ID != first.Error.Sale.ID || got.Status != "pending" {
		t.Fatalf("another code = %d %+v; want the same sale %s, pending", w.Code, got, first.Error.Sale.ID)
	}
	if p := a.MustGet(t, first.Error.Sale.ID); p.Attempts != 2 {
		t.Errorf("the sale has %d attempts, want the refused code and the new one", p.Attempts)
	}

	// A QR on the same sale.
	second := refuse("refused-key-00000000002")
	w = a.charge(t, dev, "refused-key-00000000002", "8.00", "wechat")
	got := mustJSON[counterSaleJSON](t, w)
	if w.Code != http.StatusOK || got.ID != second.Error.Sale.ID || got.Status != "pending" || got.QR == "" {
		t.Fatalf("a QR after the refusal = %d %+v; want sale %s pending with its QR", w.Code, got, second.Error.Sale.ID)
	}
	if w := a.do(t, http.MethodGet, got.QR, nil, nil); w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/png" {
		t.Errorf("the QR %s = %d %s", got.QR, w.Code, w.Header().Get("Content-Type"))
	}

	// Cancel it.
	third := refuse("refused-key-00000000003")
	w = a.do(t, http.MethodPost, handlers.CounterSalePath(third.Error.Sale.ID)+"/cancel", nil, withCookie(dev, http.Header{"Accept": {"application/json"}}))
	if got := mustJSON[counterSaleJSON](t, w); w.Code != http.StatusOK || got.Status != "canceled" {
		t.Errorf("cancel after the refusal = %d %+v; want canceled", w.Code, got)
	}
}
