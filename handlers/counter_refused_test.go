package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
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
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	doc := a.ownerDoc(t, owner, "/admin/payments/"+first.Error.Sale.ID+"?lang=en", http.StatusOK)
	if got := doc.Find(`[data-testid="detail-refusal"]`).Text(); !strings.Contains(got, "code 207: Latipay refused the pay code") {
		t.Errorf("the back office says %q beside the refused sale's status; want Latipay's refusal", got)
	}
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
	doc = a.ownerDoc(t, owner, "/admin/payments/"+first.Error.Sale.ID+"?lang=en", http.StatusOK)
	if n := doc.Find(`[data-testid="detail-refusal"]`).Length(); n != 0 {
		t.Errorf("the sale paying by a new code still says the refusal beside its status")
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

// TestCounterRefusedPayCodeInChinese: Latipay's refusal of a pay code, a
// code whose meaning is known, reaches the cashier on a Chinese counter
// and the payment's events in the back office in the reader's words,
// with Latipay's code; no English sentence is left in either.
func TestCounterRefusedPayCodeInChinese(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for i, lang := range []string{views.LangSimplifiedChinese, views.LangTraditionalChinese} {
		loc := a.localizer(t, lang)
		reason := loc.T("gateway.reason." + payments.ReasonPayCodeUsed)
		body, h := form(url.Values{"key": {"refused-zh-key-000000000" + strconv.Itoa(i)}, "amount": {"8.00"}, "code": {refusedCode}})
		w := a.do(t, http.MethodPost, handlers.CounterScanPath+"?lang="+lang, body, withCookie(dev, h))
		e := mustJSON[refusedJSON](t, w)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(e.Error.Message, reason) || !strings.Contains(e.Error.Message, "207") {
			t.Fatalf("%s: a refused code = %d %q; want the reason %q with code 207", lang, w.Code, e.Error.Message, reason)
		}
		if w := englishWord.FindString(untranslated.Replace(e.Error.Message)); w != "" {
			t.Errorf("%s: English %q in the counter's message %q", lang, w, e.Error.Message)
		}
		doc := a.ownerDoc(t, owner, "/admin/payments/"+e.Error.Sale.ID+"?lang="+lang, http.StatusOK)
		// The status alone says it waits for a method: the refusal is
		// said beside it, as the counter said it.
		if got := doc.Find(`[data-testid="detail-status"] [data-testid="detail-refusal"]`).Text(); !strings.Contains(got, reason) {
			t.Errorf("%s: the sale's status says %q beside it; want the refusal %q", lang, got, reason)
		}
		// A counter sale's reference has no space to break at: the
		// heading breaks anywhere rather than widen a phone's page.
		if h := doc.Find(`h1[data-testid="detail-title"]`); !h.HasClass("break-any") || !strings.Contains(h.Text(), "CTR-") {
			t.Errorf("%s: the heading %q has class %q; want the sale's reference and break-any", lang, h.Text(), h.AttrOr("class", ""))
		}
		found := false
		doc.Find(`[data-testid="timeline-item"] .detail`).Each(func(_ int, s *goquery.Selection) {
			l := strings.TrimSpace(s.Text())
			if !strings.Contains(l, "207") {
				return
			}
			found = strings.Contains(l, reason)
			rest := l
			for _, m := range regexp.MustCompile(`[A-Z0-9]{20,}`).FindAllString(l, -1) { // the merchant reference
				rest = strings.ReplaceAll(rest, m, "")
			}
			if w := englishWord.FindString(untranslated.Replace(rest)); w != "" {
				t.Errorf("%s: English %q in the timeline line %q", lang, w, l)
			}
		})
		if !found {
			t.Errorf("%s: no timeline line says the refusal with %q", lang, reason)
		}
	}
}

// TestRefusalReasonsWorded: every refusal reason has its words in each
// language, and the Chinese ones no English.
func TestRefusalReasonsWorded(t *testing.T) {
	a := newAdminApp(t)
	for _, lang := range []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese} {
		loc := a.localizer(t, lang)
		for _, r := range payments.RefusalReasons {
			id := "gateway.reason." + r
			got := loc.T(id)
			if got == id {
				t.Errorf("%s: no words for %s", lang, id)
			} else if w := englishWord.FindString(untranslated.Replace(got)); lang != views.LangEnglish && w != "" {
				t.Errorf("%s: English %q in %s = %q", lang, w, id, got)
			}
		}
	}
}
