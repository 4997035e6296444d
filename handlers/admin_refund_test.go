package handlers_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
)

// TestAdminRefundFormKeepsWhatWasTyped: a back-office refund that does
// not go through (no amount, a wrong re-entered password, too large, a
// bad amount, Latipay's refusal) comes back with the error and the form
// holding the amount and reason the owner typed, never all that is left;
// the amount is required, in the page and by the server, in each
// language, and nothing is refunded meanwhile.
func TestAdminRefundFormKeepsWhatWasTyped(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	n := 0
	refund := func(lang string, form url.Values) *httptest.ResponseRecorder {
		t.Helper()
		n++
		form.Set("key", fmt.Sprint("typed-", n))
		return a.post(t, "/admin/payments/"+p.ID+"/refund?lang="+lang, form, owner)
	}
	check := func(name string, r *httptest.ResponseRecorder, status int, wantMsg, amount, reason string) {
		t.Helper()
		doc := mustDoc(t, r)
		msg := doc.Find(`[data-testid="form-error"]`).Text()
		gotAmount, _ := doc.Find("#amount").Attr("value")
		gotReason, _ := doc.Find("#reason").Attr("value")
		if r.Code != status || !strings.Contains(msg, wantMsg) {
			t.Errorf("%s: %d %q; want %d saying %q", name, r.Code, msg, status, wantMsg)
		}
		if gotAmount != amount || gotReason != reason {
			t.Errorf("%s: the form comes back with amount %q, reason %q; want what was typed: %q, %q", name, gotAmount, gotReason, amount, reason)
		}
		if got := a.MustGet(t, p.ID).Refunded; got != 0 {
			t.Fatalf("%s: refunded %d", name, got)
		}
	}

	doc := mustDoc(t, a.do(t, http.MethodGet, "/admin/payments/"+p.ID, nil, withCookie(owner, nil)))
	if _, ok := doc.Find("#amount").Attr("required"); !ok {
		t.Error("the refund amount is not required in the form")
	}
	for _, tc := range []struct{ lang, want, amount string }{
		{"en", "Enter the amount to refund", ""}, {"zh-Hans", "请输入退款金额", " "}, {"zh-Hant", "請輸入退款金額", ""},
	} {
		check(tc.lang+" no amount", refund(tc.lang, url.Values{"amount": {tc.amount}, "reason": {"scratched"}}),
			http.StatusBadRequest, tc.want, tc.amount, "scratched")
	}
	check("too large", refund("en", url.Values{"amount": {"20.00"}, "reason": {"wrong size"}}),
		http.StatusUnprocessableEntity, "Only NZD 12.50 can still be refunded.", "20.00", "wrong size")
	check("bad amount", refund("en", url.Values{"amount": {"3,00"}, "reason": {"late"}}),
		http.StatusBadRequest, "Enter an amount such as 5.00.", "3,00", "late")
	a.Sim.SetFaults(latipaysim.Faults{RefundCode: 559})
	check("refused", refund("en", url.Values{"amount": {"3.00"}, "reason": {"late"}}),
		http.StatusUnprocessableEntity, "wallet holds too little money", "3.00", "late")
	a.Sim.SetFaults(latipaysim.Faults{})
	a.Clock.Advance(11 * time.Minute)
	check("wrong password", refund("en", url.Values{"amount": {"4.00"}, "reason": {"one cup"}, "password": {"wrong password here"}}),
		http.StatusUnauthorized, "nothing was refunded", "4.00", "one cup")

	// Sent again as it came back, it refunds what was typed.
	if r := refund("en", url.Values{"amount": {"4.00"}, "reason": {"one cup"}, "password": {adminPW}}); r.Code != http.StatusSeeOther {
		t.Fatalf("refund of 4.00 = %d", r.Code)
	}
	if got := a.MustGet(t, p.ID).Refunded; got != 400 {
		t.Errorf("refunded %d, want the 400 typed", got)
	}
}

// TestAdminRefundSaysWhatIsLeft: too large a refund says how much can
// still be refunded, and a refund of a fully refunded payment says so,
// in each language.
func TestAdminRefundSaysWhatIsLeft(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	n := 0
	refund := func(lang, amount string) (int, string) {
		t.Helper()
		n++
		form := url.Values{"key": {fmt.Sprint("left-", n)}, "amount": {amount}}
		w := a.post(t, "/admin/payments/"+p.ID+"/refund?lang="+lang, form, owner)
		if w.Code == http.StatusSeeOther {
			return w.Code, ""
		}
		return w.Code, mustDoc(t, w).Find(`[data-testid="form-error"]`).Text()
	}
	if code, msg := refund("en", "5.00"); code != http.StatusSeeOther {
		t.Fatalf("refund 5.00 = %d %q", code, msg)
	}
	langs := []struct{ lang, left, full string }{
		{"en", "Only NZD 7.50 can still be refunded.", "This payment is already fully refunded."},
		{"zh-Hans", "最多只能再退款 NZD 7.50。", "此笔付款已全额退款。"},
		{"zh-Hant", "最多只能再退款 NZD 7.50。", "此筆付款已全額退款。"},
	}
	for _, tc := range langs {
		if code, msg := refund(tc.lang, "7.51"); code != http.StatusUnprocessableEntity || !strings.Contains(msg, tc.left) {
			t.Errorf("%s: 7.51 of 7.50 left = %d %q; want %q", tc.lang, code, msg, tc.left)
		}
	}
	if code, msg := refund("en", "7.50"); code != http.StatusSeeOther {
		t.Fatalf("refund 7.50 = %d %q", code, msg)
	}
	for _, tc := range langs {
		if code, msg := refund(tc.lang, "0.01"); code != http.StatusUnprocessableEntity || !strings.Contains(msg, tc.full) {
			t.Errorf("%s: refund of a refunded payment = %d %q; want %q", tc.lang, code, msg, tc.full)
		}
	}
}

// TestAPIRefundSaysWhatIsLeft: the API keeps the code refund_too_large
// and its message says how much can still be refunded, or that the
// payment is fully refunded; when refunds still pending hold the rest the
// refusal is only for now, 409 refund_pending, saying so.
func TestAPIRefundSaysWhatIsLeft(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	doc := loadOpenAPI(t)
	p := a.mustPaid(t)
	path := "/api/v1/payments/" + p.ID + "/refunds"
	tooLarge := func(body, want string) {
		t.Helper()
		w := a.api(t, "POST", path, body, nil)
		checkAgainst(t, doc, "Error", w.Body.Bytes())
		e := mustJSON[struct {
			Error struct{ Code, Message string } `json:"error"`
		}](t, w)
		if w.Code != http.StatusUnprocessableEntity || e.Error.Code != "refund_too_large" || e.Error.Message != want {
			t.Errorf("refund %s = %d %s; want 422 refund_too_large %q", body, w.Code, w.Body, want)
		}
	}
	if w := a.api(t, "POST", path, `{"amount":"5.00"}`, nil); w.Code != http.StatusCreated {
		t.Fatalf("refund 5.00 = %d %s", w.Code, w.Body)
	}
	tooLarge(`{"amount":"7.51"}`, "Only NZD 7.50 can still be refunded.")

	a.Sim.SetFaults(latipaysim.Faults{ServerError: true}) // the answer is lost: pending
	if w := a.api(t, "POST", path, `{}`, nil); w.Code != http.StatusAccepted {
		t.Fatalf("refund the rest, answer lost = %d %s; want 202", w.Code, w.Body)
	}
	a.Sim.SetFaults(latipaysim.Faults{})
	w := a.api(t, "POST", path, `{}`, nil)
	checkAgainst(t, doc, "Error", w.Body.Bytes())
	if e := mustJSON[apiError](t, w); w.Code != http.StatusConflict || e.Error.Code != "refund_pending" ||
		!strings.HasPrefix(e.Error.Message, "Nothing more can be refunded now: NZD 7.50 is held by refunds still waiting for Latipay's answer.") {
		t.Errorf("refund {} while a pending refund holds the rest = %d %s; want 409 refund_pending", w.Code, w.Body)
	}

	a.Clock.Advance(5 * time.Minute)
	if _, err := a.Svc.ReconcileRefunds(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	tooLarge(`{}`, "This payment is already fully refunded.")
	tooLarge(`{"amount":"0.01"}`, "This payment is already fully refunded.")
}

// TestAdminRefundPendingSaysSo: an owner's refund whose answer from
// Latipay is lost is pending, and the notice after it says it waits for
// Latipay's answer, never that the refund was made, in each language.
func TestAdminRefundPendingSaysSo(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for i, tc := range []struct{ lang, want, not string }{
		{"en", "Latipay has not answered yet", "The refund was made."},
		{"zh-Hans", "Latipay 尚未答复", "退款已完成。"},
		{"zh-Hant", "Latipay 尚未回覆", "退款已完成。"},
	} {
		a.Sim.SetFaults(latipaysim.Faults{ServerError: true})
		w := a.post(t, "/admin/payments/"+p.ID+"/refund?lang="+tc.lang, url.Values{"key": {"pending-" + tc.lang}, "amount": {"2.00"}}, owner)
		a.Sim.SetFaults(latipaysim.Faults{})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("refund, answer lost = %d", w.Code)
		}
		pending := fmt.Sprintf("%d.00", 2*(i+1))
		if got := mustJSON[map[string]any](t, a.api(t, http.MethodGet, "/api/v1/payments/"+p.ID, "", nil)); got["amount_refunded"] != "0.00" || got["amount_refund_pending"] != pending {
			t.Fatalf("refunded %v, pending %v; want 0.00 and %s", got["amount_refunded"], got["amount_refund_pending"], pending)
		}
		doc := mustDoc(t, a.do(t, http.MethodGet, w.Header().Get("Location"), nil, withFlash(owner, w)))
		if got := doc.Find(`[data-testid="notice"]`).Text(); !strings.Contains(got, tc.want) || strings.Contains(got, tc.not) {
			t.Errorf("%s: notice after a pending refund = %q; want it to say %q", tc.lang, got, tc.want)
		}
	}
}
