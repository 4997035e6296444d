package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/views"
)

var allLangs = []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese}

// TestCounterSaleSaysWhoTookIt: a counter sale's page and its row in the
// payments list name the device that took it and the cashier unlocked on
// it, in each language; a payment made online names neither.
func TestCounterSaleSaysWhoTookIt(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	sale := mustJSON[counterSaleJSON](t, a.charge(t, dev, "taken-by-key-00000000001", "8.80", "wechat"))
	online := a.mustCreate(t, createBody)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for _, lang := range allLangs {
		loc := a.localizer(t, lang)
		doc := a.ownerDoc(t, owner, "/admin/payments/"+sale.ID+"?lang="+lang, http.StatusOK)
		if got := strings.TrimSpace(doc.Find(`[data-testid="detail-device"]`).Text()); got != "Front till" {
			t.Errorf("%s: the sale's page names device %q, want Front till", lang, got)
		}
		if got := strings.TrimSpace(doc.Find(`[data-testid="detail-cashier"]`).Text()); got != "cashier@shop.example" {
			t.Errorf("%s: the sale's page names cashier %q, want cashier@shop.example", lang, got)
		}
		list := a.ownerDoc(t, owner, "/admin/payments?lang="+lang, http.StatusOK)
		want := loc.T("adminlist.taken_by", "Front till", "cashier@shop.example")
		if got := strings.TrimSpace(list.Find(`[data-id="` + sale.ID + `"] [data-testid="row-taken-by"]`).Text()); got != want {
			t.Errorf("%s: the sale's row says %q, want %q", lang, got, want)
		}
		if list.Find(`[data-id="`+online.ID+`"] [data-testid="row-taken-by"]`).Length() != 0 {
			t.Errorf("%s: an online payment's row names a device", lang)
		}
	}
}

// TestOwnerRefundSaysWhoHowMuchWhy: a refund the owner asks for on the
// payment's page, with a reason, is one row of its timeline saying who
// asked, the amount and the reason (not "by the system" beside a second
// row), in each language; the audit log keeps the amount and the reason.
func TestOwnerRefundSaysWhoHowMuchWhy(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	const reason = "顾客退货 partial"
	form := url.Values{"key": {"refund-why-1"}, "amount": {"2.00"}, "reason": {reason}}
	if w := a.post(t, "/admin/payments/"+p.ID+"/refund", form, owner); w.Code != http.StatusSeeOther {
		t.Fatalf("refund = %d %s", w.Code, w.Body)
	}
	rs, err := a.Svc.Refunds(t.Context(), p.ID)
	if err != nil || len(rs) != 1 || rs[0].Reason != reason {
		t.Fatalf("refunds %+v, %v; want one with the reason", rs, err)
	}
	rf := rs[0].ID
	es, err := a.acc.Store().Audit(t.Context(), accounts.AuditFilter{Target: p.ID, Action: "refund", Limit: 10})
	if err != nil || len(es) != 1 || !strings.Contains(es[0].After, "2.00 NZD") || !strings.Contains(es[0].After, reason) {
		t.Fatalf("refund audit entries %+v, %v; want the amount and the reason", es, err)
	}
	for _, lang := range allLangs {
		loc := a.localizer(t, lang)
		doc := a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"?lang="+lang, http.StatusOK)
		want := loc.T("event.refund.requested.reason", rf, "NZD 2.00", reason)
		var asked []string
		doc.Find(`[data-testid="timeline-item"]`).Each(func(_ int, s *goquery.Selection) {
			if strings.Contains(s.Text(), rf) && (strings.Contains(s.Find(".detail").Text(), want) || s.AttrOr("data-kind", "") == "admin") {
				asked = append(asked, strings.TrimSpace(s.Find(".who").Text())+" | "+strings.TrimSpace(s.Find(".detail").Text()))
			}
		})
		if len(asked) != 1 || !strings.HasPrefix(asked[0], "owner@shop.example") || !strings.Contains(asked[0], want) {
			t.Errorf("%s: the refund's request rows are %q; want one by the owner saying %q", lang, asked, want)
		}
		audit := a.ownerDoc(t, owner, "/admin/audit?action=refund&lang="+lang, http.StatusOK).Text()
		wantAudit := loc.T("timeline.audit.refund.reason",
			loc.T("timeline.audit.refund.succeeded", loc.T("timeline.audit.refund_of", rf, "NZD 2.00"), "0.00"), reason)
		if !strings.Contains(audit, wantAudit) {
			t.Errorf("%s: the audit log does not say %q", lang, wantAudit)
		}
	}
}

// eventCode is what an event's or action's code looks like.
var eventCode = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)*$`)

// TestTimelineWordsNotCodes: every row of a payment's timeline says what
// happened in words, in each language; the event's code, kept for
// support, comes after the words, marked as such, never as the text.
func TestTimelineWordsNotCodes(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	if _, _, err := a.Svc.Refund(t.Context(), payments.RefundInput{PaymentID: p.ID, Amount: "1.00"}); err != nil {
		t.Fatal(err)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for _, lang := range allLangs {
		doc := a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"?lang="+lang, http.StatusOK)
		items := doc.Find(`[data-testid="timeline-item"]`)
		if items.Length() < 5 {
			t.Fatalf("%s: %d timeline rows", lang, items.Length())
		}
		items.Each(func(i int, s *goquery.Selection) {
			detail := strings.TrimSpace(s.Find(`[data-testid="timeline-detail"]`).Text())
			code := s.Find(`[data-testid="timeline-code"]`)
			if detail == "" || eventCode.MatchString(detail) {
				t.Errorf("%s row %d: its words are %q", lang, i, detail)
			}
			if code.Length() != 1 || code.AttrOr("title", "") == "" {
				t.Errorf("%s row %d: no code marked for support", lang, i)
				return
			}
			if s.Children().IndexOfSelection(code) < s.Children().IndexOfSelection(s.Find(`[data-testid="timeline-detail"]`)) {
				t.Errorf("%s row %d: the code %q comes before the words", lang, i, code.Text())
			}
		})
	}
}

// TestSearchAsPasted: the one search box finds a payment by our id, by
// Latipay's order id and by the Latipay merchant reference, each pasted
// as it is, and payments by their exact amount; the prefixed searches
// and the text search still work.
func TestSearchAsPasted(t *testing.T) {
	a := newAdminApp(t)
	paid := a.mustPaid(t)
	other := a.mustCreate(t, strings.Replace(strings.Replace(createBody, "12.50", "88.80", 1), "ORDER-1", "ORDER-2", 1))
	got := a.MustGet(t, paid.ID)
	if got.LatipayOrderID == "" || got.LatipayReference == "" {
		t.Fatalf("paid payment has order id %q, reference %q", got.LatipayOrderID, got.LatipayReference)
	}
	refund := mustJSON[struct{ ID string }](t, a.api(t, "POST", "/api/v1/payments/"+paid.ID+"/refunds", `{"amount":"1.00"}`, nil))
	if !strings.HasPrefix(refund.ID, "rf_") {
		t.Fatalf("refund id %q", refund.ID)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	rows := func(q string) []string {
		t.Helper()
		var ids []string
		a.ownerDoc(t, owner, "/admin/payments?q="+url.QueryEscape(q), http.StatusOK).Find(`[data-testid="payment-row"]`).Each(func(_ int, s *goquery.Selection) {
			ids = append(ids, s.AttrOr("data-id", ""))
		})
		return ids
	}
	for _, c := range []struct {
		q    string
		want []string
	}{
		{got.LatipayOrderID, []string{paid.ID}},
		{" " + got.LatipayOrderID + " ", []string{paid.ID}},
		{"latipay:" + got.LatipayOrderID, []string{paid.ID}},
		{paid.ID, []string{paid.ID}},
		{got.LatipayReference, []string{paid.ID}},
		{strings.ToLower(got.LatipayReference), []string{paid.ID}},
		{"88.80", []string{other.ID}},
		{"12.50", []string{paid.ID}},
		{"ORDER-2", []string{other.ID}},
		{"reference:ORDER-1", []string{paid.ID}},
		{"99.99", nil},
		// As pasted from the list, a CSV, a checkout link or the
		// gateway's pages.
		{"NZD 88.80", []string{other.ID}},
		{"NZ$ 88.80", []string{other.ID}},
		{"AUD 88.80", nil},
		{"http://localhost:8080/checkout/" + paid.ID, []string{paid.ID}},
		{"https://pay.example/checkout/" + paid.ID + "?lang=zh-Hans", []string{paid.ID}},
		{paid.ID + ",", []string{paid.ID}},
		{`"` + paid.ID + `"`, []string{paid.ID}},
		{"latipay:" + got.LatipayReference, []string{paid.ID}},
		{refund.ID, []string{paid.ID}},
		{strings.ToUpper(refund.ID) + ",", []string{paid.ID}},
	} {
		if g := rows(c.q); strings.Join(g, ",") != strings.Join(c.want, ",") {
			t.Errorf("search %q lists %v, want %v", c.q, g, c.want)
		}
	}
}

// TestCounterChargeSaysWhichField: a charge the counter refuses for one
// field says what is wrong with that field in the cashier's language: a
// method the counter does not take (even one the shop offers online), a
// sale key not of the counter's making; a bad amount still asks to check
// the amount.
func TestCounterChargeSaysWhichField(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	for _, c := range []struct {
		key, amount, method, field string
	}{
		{"field-key-000000000001", "12.50", "upi_upop", "method"},
		{"field-key-000000000002", "12.50", "bogus", "method"},
		{"short", "12.50", "wechat", "key"},
		{"field-key-000000000003", "12.5.0", "wechat", "amount"},
	} {
		for _, lang := range []struct{ tag, header string }{{views.LangEnglish, "en"}, {views.LangSimplifiedChinese, "zh-CN"}, {views.LangTraditionalChinese, "zh-TW"}} {
			body, h := form(url.Values{"key": {c.key}, "amount": {c.amount}, "method": {c.method}})
			h.Set("Accept-Language", lang.header)
			w := a.do(t, http.MethodPost, handlers.CounterChargePath, body, withCookie(dev, h))
			e := mustJSON[counterErrJSON](t, w)
			want := a.localizer(t, lang.tag).T("counter.error.field." + c.field)
			if w.Code != http.StatusBadRequest || e.Error.Message != want {
				t.Errorf("%s: %s %q = %d %q, want 400 %q", lang.tag, c.field, c.method+c.key, w.Code, e.Error.Message, want)
			}
		}
	}
}
