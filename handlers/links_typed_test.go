package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// TestLinkAmountAsTyped: the link's amount form takes what a Chinese
// keyboard types (full-width digits and point) and commas that group
// thousands; a comma that may be a decimal comma is refused, saying how
// to write the amount, in the shopper's language, and makes no payment.
// The ideographic full stop (what a Chinese keyboard types for "." in
// its Chinese punctuation) is a decimal point too. An amount over the
// link's limit is told the limit as money ("NZ$ 5,000.00"), not "5000".
func TestLinkAmountAsTyped(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	l, err := a.links.Create(ctx, payments.LinkInput{Source: payments.SourceStaticQR, Currency: "NZD", MinAmount: "0.01", MaxAmount: "5000"})
	if err != nil {
		t.Fatal(err)
	}
	pay := func(amount, lang string) *httptest.ResponseRecorder {
		t.Helper()
		return a.do(t, http.MethodPost, "/l/"+l.ID+"?lang="+lang, strings.NewReader(url.Values{"amount": {amount}}.Encode()), formHeader.Clone())
	}
	for typed, want := range map[string]int64{
		"１２":             1200,
		"１２．５":           1250,
		"1,000":          100000,
		"１，２３４．５０":       123450,
		"1,234.56":       123456,
		"\u3000１２\u3000": 1200,
		"１２。５０":          1250,
		"12。5":           1250,
		"１２｡５":           1250,
	} {
		r := pay(typed, "zh-Hans")
		loc := r.Header().Get("Location")
		if r.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/checkout/pay_") {
			t.Errorf("amount %q = %d to %q, want the checkout", typed, r.Code, loc)
			continue
		}
		p, err := a.Svc.Get(ctx, strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/checkout/"))
		if err != nil || p.Amount != want {
			t.Errorf("amount %q made a payment of %d (%v), want %d", typed, p.Amount, err, want)
		}
	}
	before, err := a.Store.ListPayments(ctx, payments.PaymentFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range views.Languages() {
		loc := a.localizer(t, lang)
		for typed, id := range map[string]string{
			"1,50": "links.err.comma", "12,5": "links.err.comma", "１２，５": "links.err.comma", "1,0000": "links.err.comma",
			"1,000,00": "links.err.comma", ",100": "links.err.comma", "12.5,0": "links.err.comma",
			"１２ａ": "links.err.typed", "12 000": "links.err.typed",
		} {
			got := strings.TrimSpace(testid(a.linkAnswer(t, l.ID, typed, lang), "form-error").Text())
			if want := loc.T(id); got != want {
				t.Errorf("%s: amount %q says %q, want %q", lang, typed, got, want)
			}
		}
	}
	for lang, want := range map[string]string{
		"en":      "The amount must be at most NZ$ 5,000.00.",
		"zh-Hans": "金额不能超过 NZ$ 5,000.00。",
		"zh-Hant": "金額不能超過 NZ$ 5,000.00。",
	} {
		doc := a.linkAnswer(t, l.ID, "5000.01", lang)
		if got := strings.TrimSpace(testid(doc, "form-error").Text()); got != want {
			t.Errorf("%s: 5000.01 says %q, want %q", lang, got, want)
		}
		hint := strings.TrimSpace(doc.Find("#amount-hint").Text())
		if !strings.Contains(hint, "NZ$ 0.01") || !strings.Contains(hint, "NZ$ 5,000.00") {
			t.Errorf("%s: the hint says %q, want the limits as money", lang, hint)
		}
	}
	if after, _ := a.Store.ListPayments(ctx, payments.PaymentFilter{Limit: 100}); len(after) != len(before) {
		t.Errorf("refused amounts made %d payments", len(after)-len(before))
	}
}

// TestLinkAmountErrorsSayWhy: an amount that is a number but cannot be
// paid says why, in each language: zero or negative is below the
// link's minimum, and more decimal places than cents is said as such,
// rather than "enter a number".
func TestLinkAmountErrorsSayWhy(t *testing.T) {
	a := newAdminApp(t)
	l, err := a.links.Create(t.Context(), payments.LinkInput{Currency: "NZD", MinAmount: "5.00", MaxAmount: "200.00"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ typed, lang, want string }{
		{"0", "en", "The amount must be at least NZ$ 5.00."},
		{"-5", "en", "The amount must be at least NZ$ 5.00."},
		{"0", "zh-Hans", "金额不能少于 NZ$ 5.00。"},
		{"－５", "zh-Hans", "金额不能少于 NZ$ 5.00。"},
		{"-5", "zh-Hant", "金額不能少於 NZ$ 5.00。"},
		{"12.345", "en", "Use at most two decimal places, such as 12.50."},
		{"12.345", "zh-Hans", "金额最多两位小数，例如 12.50。"},
		{"１２．３４５", "zh-Hant", "金額最多兩位小數，例如 12.50。"},
		{"abc", "zh-Hans", "请输入数字金额，例如 12.50。"},
	} {
		doc := a.linkAnswer(t, l.ID, tc.typed, tc.lang)
		if got := strings.TrimSpace(testid(doc, "form-error").Text()); got != tc.want {
			t.Errorf("%s: amount %q says %q, want %q", tc.lang, tc.typed, got, tc.want)
		}
	}
}

// linkAnswer posts an amount to link id's form and returns the page the
// shopper then sees: the form again, with its error.
func (a *adminApp) linkAnswer(t *testing.T, id, typed, lang string) *goquery.Document {
	t.Helper()
	w := a.do(t, http.MethodPost, "/l/"+id+"?lang="+lang, strings.NewReader(url.Values{"amount": {typed}}.Encode()), formHeader.Clone())
	if loc := w.Header().Get("Location"); w.Code == http.StatusSeeOther && strings.HasPrefix(loc, "/l/"+id) {
		w = a.do(t, http.MethodGet, loc, nil, nil)
	}
	if w.Code == http.StatusSeeOther {
		t.Fatalf("%s: amount %q was taken (303 to %s)", lang, typed, w.Header().Get("Location"))
	}
	return mustDoc(t, w)
}

// TestLinkAmountErrorByGet: a refused amount answers the form post with a
// redirect to the link's page (post/redirect/get), so the history holds
// no post to send again; that page says why, keeps the amount as typed
// and puts focus on the field, described by the message. The address
// says it only as this server signed it: changed, or made up, the page
// shows no message.
func TestLinkAmountErrorByGet(t *testing.T) {
	a := newAdminApp(t)
	l, err := a.links.Create(t.Context(), payments.LinkInput{Source: payments.SourceStaticQR, Currency: "NZD", MinAmount: "5.00", MaxAmount: "200.00"})
	if err != nil {
		t.Fatal(err)
	}
	w := a.do(t, http.MethodPost, "/l/"+l.ID+"?lang=zh-Hant", strings.NewReader(url.Values{"amount": {"1|2.345"}}.Encode()), formHeader.Clone())
	loc := w.Header().Get("Location")
	u, _ := url.Parse(loc)
	if w.Code != http.StatusSeeOther || u == nil || u.Path != "/l/"+l.ID || u.Query().Get("lang") != "zh-Hant" {
		t.Fatalf("refused amount = %d to %q, want 303 to the link's page in zh-Hant", w.Code, loc)
	}
	w = a.do(t, http.MethodGet, loc, nil, nil)
	doc := mustDoc(t, w)
	input := doc.Find("#amount")
	if got := strings.TrimSpace(testid(doc, "form-error").Text()); w.Code != http.StatusOK || got != "請輸入數字金額，例如 12.50。" {
		t.Errorf("GET %s = %d saying %q", loc, w.Code, got)
	}
	if v := input.AttrOr("value", ""); v != "1|2.345" {
		t.Errorf("the field holds %q, want the amount as typed", v)
	}
	_, autofocus := input.Attr("autofocus")
	if input.AttrOr("aria-invalid", "") != "true" || !autofocus || !strings.HasPrefix(input.AttrOr("aria-describedby", ""), "amount-error") {
		t.Errorf("the field is not marked invalid, focused and described by the message")
	}
	if title := doc.Find("title").Text(); !strings.Contains(title, "請輸入數字金額") {
		t.Errorf("title %q does not say the error", title)
	}
	// The language switch keeps the message.
	sw, _ := testid(doc, "lang-en").Attr("href")
	if got := strings.TrimSpace(testid(mustDoc(t, a.do(t, http.MethodGet, sw, nil, nil)), "form-error").Text()); got != "Enter the amount as a number such as 12.50." {
		t.Errorf("switched to English (%s) the page says %q", sw, got)
	}
	// Changed or made up, the address says nothing.
	q := u.Query()
	for name, change := range map[string]func(url.Values){
		"another amount":  func(v url.Values) { v.Set("amount", "99999") },
		"another message": func(v url.Values) { v.Set("error", "links.err.above") },
		"no signature":    func(v url.Values) { v.Del("error_sig") },
	} {
		v := url.Values{}
		for k, vs := range q {
			v[k] = append([]string(nil), vs...)
		}
		change(v)
		if n := testid(mustDoc(t, a.do(t, http.MethodGet, "/l/"+l.ID+"?"+v.Encode(), nil, nil)), "form-error").Length(); n != 0 {
			t.Errorf("%s: the page shows an error", name)
		}
	}
	a.Clock.Advance(11 * time.Minute)
	if n := testid(mustDoc(t, a.do(t, http.MethodGet, loc, nil, nil)), "form-error").Length(); n != 0 {
		t.Error("an old address still shows the error")
	}
}

// TestLinkPaymentHasNoWayBackToNowhere: a payment made through a payment
// link or the shop's printed QR returns to this server's own home page,
// which means nothing to a shopper in the shop: once paid, its page says
// it may be closed instead of offering "Back to the shop". A payment with
// the shop's own return URL keeps its way back.
func TestLinkPaymentHasNoWayBackToNowhere(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	for _, source := range []string{payments.SourceLink, payments.SourceStaticQR} {
		l, err := a.links.Create(ctx, payments.LinkInput{Source: source, Currency: "NZD", MinAmount: "1", MaxAmount: "100"})
		if err != nil {
			t.Fatal(err)
		}
		w := a.do(t, http.MethodPost, "/l/"+l.ID, strings.NewReader(url.Values{"amount": {"12.50"}}.Encode()), formHeader.Clone())
		loc := w.Header().Get("Location")
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/checkout/pay_") {
			t.Fatalf("%s: pay = %d to %q", source, w.Code, loc)
		}
		id := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/checkout/")
		if w := a.do(t, http.MethodPost, "/checkout/"+id+"/start", strings.NewReader("method=wechat"),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}}); w.Code != http.StatusSeeOther {
			t.Fatalf("%s: start = %d", source, w.Code)
		}
		p, _ := a.Svc.Get(ctx, id)
		if err := a.Sim.Pay(p.LatipayReference); err != nil {
			t.Fatal(err)
		}
		a.WaitStatus(t, id, payments.StatusPaid)
		for lang, want := range map[string]string{"en": "You can close this page now.", "zh-Hans": "您现在可以关闭此页面。", "zh-Hant": "您現在可以關閉此頁面。"} {
			doc := mustDoc(t, a.do(t, http.MethodGet, "/checkout/"+id+"?lang="+lang, nil, nil))
			if testid(doc, "status").AttrOr("data-status", "") != "paid" {
				t.Fatalf("%s: the page does not show paid", source)
			}
			if n := testid(doc, "back-to-shop").Length(); n != 0 {
				t.Errorf("%s %s: a way back to %s", source, lang, p.ReturnURL)
			}
			if got := strings.TrimSpace(testid(doc, "close-hint").Text()); got != want {
				t.Errorf("%s %s: close hint %q, want %q", source, lang, got, want)
			}
		}
	}
	w := a.api(t, "POST", "/api/v1/payments", `{"amount":"12.50","currency":"NZD","reference":"ORDER-BACK","return_url":"https://shop.example.com/done"}`, nil)
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil || created.ID == "" {
		t.Fatalf("create = %d %s", w.Code, w.Body)
	}
	if _, err := a.Svc.Cancel(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	doc := mustDoc(t, a.do(t, http.MethodGet, "/checkout/"+created.ID, nil, nil))
	if testid(doc, "back-to-shop").Length() != 1 || testid(doc, "close-hint").Length() != 0 {
		t.Error("a payment with the shop's return URL lost its way back")
	}
}
