package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
)

// TestReceiptPrint: an owner prints a paid payment's receipt for 80 mm
// paper by default and 58 mm on request, with the shop's tax number, the
// amount, yuan and rate, the wallet, Latipay's order id and the QR of the
// e-receipt link; an unpaid payment has no receipt and says so; another
// paper width is refused.
func TestReceiptPrint(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	paid := a.MustGet(t, p.ID)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	w := a.do(t, http.MethodGet, "/admin/payments/"+p.ID+"/receipt", nil, withCookie(owner, nil))
	doc := mustDoc(t, w)
	if w.Code != http.StatusOK {
		t.Fatalf("receipt = %d", w.Code)
	}
	want := map[string]string{
		"paper":          "",
		"receipt-tax":    "GST 123-456-789",
		"receipt-amount": "12.50",
		"receipt-method": "WeChat Pay",
		"receipt-order":  paid.LatipayOrderID,
		"receipt-cny":    "¥",
	}
	for id, text := range want {
		if got := doc.Find(`[data-testid="` + id + `"]`).Text(); !strings.Contains(got, text) || doc.Find(`[data-testid="`+id+`"]`).Length() != 1 {
			t.Errorf("%s = %q, want it to contain %q", id, got, text)
		}
	}
	if paid.LatipayOrderID == "" {
		t.Error("the simulator gave no order id; the test proves nothing about it")
	}
	if v, _ := doc.Find(`[data-testid="paper"]`).Attr("data-width"); v != "80" {
		t.Errorf("default paper width = %q, want 80", v)
	}
	if src, _ := doc.Find(`[data-testid="receipt-qr"]`).Attr("src"); !strings.HasPrefix(src, "data:image/png;base64,") {
		t.Errorf("receipt QR src = %.40q, want a PNG data URL", src)
	}
	if strings.Contains(w.Body.String(), paid.LatipayReference) {
		t.Error("the receipt shows our reference at Latipay")
	}
	w = a.do(t, http.MethodGet, "/admin/payments/"+p.ID+"/receipt?width=58", nil, withCookie(owner, nil))
	if v, _ := mustDoc(t, w).Find(`[data-testid="paper"]`).Attr("data-width"); w.Code != http.StatusOK || v != "58" {
		t.Errorf("?width=58 = %d, paper %q", w.Code, v)
	}
	if w := a.do(t, http.MethodGet, "/admin/payments/"+p.ID+"/receipt?width=100", nil, withCookie(owner, nil)); w.Code != http.StatusBadRequest {
		t.Errorf("?width=100 = %d, want 400", w.Code)
	}
	unpaid := a.mustCreate(t, createBody)
	w = a.do(t, http.MethodGet, "/admin/payments/"+unpaid.ID+"/receipt", nil, withCookie(owner, nil))
	doc = mustDoc(t, w)
	if doc.Find(`[data-testid="receipt-unpaid"]`).Length() != 1 || doc.Find(`[data-testid="receipt"]`).Length() != 0 {
		t.Errorf("unpaid payment's receipt = %d, want the no-receipt message and no receipt", w.Code)
	}
}

// TestEReceipt: the e-receipt link opens its own payment's receipt, in the
// shopper's language, marked noindex and sent with no referrer; a token
// never issued, a forged one (one character changed) and text that is no
// token are all an unknown page; one payment's token never shows another;
// an unpaid payment's link says there is no receipt.
func TestEReceipt(t *testing.T) {
	a := newAdminApp(t)
	p1, p2 := a.mustPaid(t), a.mustPaid(t)
	o1, o2 := a.MustGet(t, p1.ID).LatipayOrderID, a.MustGet(t, p2.ID).LatipayOrderID
	tok, err := a.receipts.Token(t.Context(), p1.ID)
	if err != nil {
		t.Fatal(err)
	}
	w := a.do(t, http.MethodGet, "/receipt/"+tok, nil, http.Header{"Accept-Language": {"zh-CN,zh;q=0.9"}})
	doc := mustDoc(t, w)
	if w.Code != http.StatusOK || doc.Find(`[data-testid="receipt-order"]`).Text() != o1 {
		t.Fatalf("e-receipt = %d, order %q; want 200 and %q", w.Code, doc.Find(`[data-testid="receipt-order"]`).Text(), o1)
	}
	if lang, _ := doc.Find("html").Attr("lang"); lang != "zh-Hans" || !strings.Contains(doc.Find("h1").Text(), "收据") {
		t.Errorf("e-receipt for zh-CN: lang %q, heading %q", lang, doc.Find("h1").Text())
	}
	if got := doc.Find("title").Text(); got != "Test Shop 的收据" {
		t.Errorf("e-receipt title = %q, want the shop named: Test Shop 的收据", got)
	}
	body := w.Body.String()
	for _, secret := range []string{p1.ID, p2.ID, o2, a.MustGet(t, p1.ID).LatipayReference} {
		if strings.Contains(body, secret) {
			t.Errorf("the e-receipt shows %q (our payment id, another payment or our Latipay reference)", secret)
		}
	}
	if got := w.Header().Get("X-Robots-Tag"); !strings.Contains(got, "noindex") {
		t.Errorf("X-Robots-Tag = %q, want noindex", got)
	}
	if got := w.Header().Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q, want no-referrer", got)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	forged := []byte(tok)
	forged[5] = map[bool]byte{true: 'A', false: 'B'}[forged[5] != 'A']
	never := strings.Repeat("A", len(tok))
	for _, bad := range []string{string(forged), never, tok[:len(tok)-1], tok + "A", p1.ID, "%00"} {
		w := a.do(t, http.MethodGet, "/receipt/"+bad, nil, nil)
		if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), o1) || strings.Contains(w.Body.String(), o2) {
			t.Errorf("/receipt/%s = %d, want 404 and no receipt", bad, w.Code)
		}
	}
	tok2, _ := a.receipts.Token(t.Context(), p2.ID)
	if w := a.do(t, http.MethodGet, "/receipt/"+tok2, nil, nil); !strings.Contains(w.Body.String(), o2) || strings.Contains(w.Body.String(), o1) {
		t.Errorf("the second payment's e-receipt does not show exactly its own order")
	}
	unpaid := a.mustCreate(t, createBody)
	tok3, _ := a.receipts.Token(t.Context(), unpaid.ID)
	w = a.do(t, http.MethodGet, "/receipt/"+tok3, nil, nil)
	doc = mustDoc(t, w)
	if doc.Find(`[data-testid="receipt-unpaid"]`).Length() != 1 || doc.Find(`[data-testid="receipt-amount"]`).Length() != 0 {
		t.Errorf("unpaid e-receipt = %d %q, want the no-receipt message only", w.Code, doc.Find("main").Text())
	}
	if a.MustGet(t, unpaid.ID).Status != payments.StatusCreated {
		t.Error("opening an e-receipt changed the payment")
	}
}
