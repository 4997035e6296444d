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
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/views"
)

// englishWord is a word of English left in a Chinese sentence once its
// parameters are taken out; the names below are not translated.
var englishWord = regexp.MustCompile(`[A-Za-z]{3,}`)

var untranslated = strings.NewReplacer("Latipay", "", "NZD", "", "AUD", "", "CNY", "", "QR", "")

// timelineEvent is one event written into a payment's log for the test,
// with the parameter texts its line must show.
type timelineEvent struct {
	typ  string
	m    payments.Message
	want []string // besides m's references, refund id and error, which every line shows as they are
}

// timelineEvents says every message code once, each with parameters of
// its own.
func timelineEvents() []timelineEvent {
	ref := func(n string) string { return "REF" + n + "XXXXXXXXXXXXXXXXXXXXXX" }
	nzd := payments.Currency("NZD")
	return []timelineEvent{
		{"payment.created", payments.Message{Code: payments.MsgCreated, Amount: 1250, Currency: nzd}, []string{"NZD 12.50"}},
		{"attempt.started", payments.Message{Code: payments.MsgAttemptStarted, Method: payments.MethodWeChat, Reference: ref("01")}, nil},
		{"attempt.started", payments.Message{Code: payments.MsgAttemptStartedPayCode, Method: payments.MethodAlipay, Reference: ref("02")}, nil},
		{"attempt.error", payments.Message{Code: payments.MsgAttemptError, Reference: ref("03"), Error: "latipay: code 301: wallet closed"}, nil},
		{"attempt.error", payments.Message{Code: payments.MsgAttemptPayCodeRefused, Reference: ref("04"), Error: "latipay: code 12: pay code expired"}, nil},
		{"attempt.error", payments.Message{Code: payments.MsgAttemptNotReached, Reference: ref("05")}, nil},
		{"attempt.error", payments.Message{Code: payments.MsgAttemptError, Reference: ref("31"), Failure: payments.FailureRefused, Error: "wallet closed"}, nil},
		{"attempt.error", payments.Message{Code: payments.MsgAttemptPayCodeRefused, Reference: ref("32"), Failure: payments.FailureRejected}, nil},
		{"attempt.error", payments.Message{Code: payments.MsgAttemptError, Reference: ref("33"), Failure: payments.FailureNotReached}, nil},
		{"attempt.error", payments.Message{Code: payments.MsgAttemptError, Reference: ref("34"), Failure: payments.FailureUnverified}, nil},
		{"attempt.error", payments.Message{Code: payments.MsgAttemptError, Reference: ref("35"), Failure: payments.FailureUnreadable}, nil},
		{"attempt.error", payments.Message{Code: payments.MsgAttemptError, Reference: ref("36"), Failure: payments.FailureInvalid}, nil},
		{"attempt.error", payments.Message{Code: payments.MsgAttemptPayCodeRefused, Reference: ref("37"), Failure: payments.FailureNoAnswer}, nil},
		{"attempt.error", payments.Message{Code: payments.MsgAttemptNoAnswer, Reference: ref("06")}, nil},
		{"attempt.replaced", payments.Message{Code: payments.MsgAttemptReplaced, Reference: ref("07"), Other: ref("08"), Method: payments.MethodAlipay}, nil},
		{"attempt.replaced", payments.Message{Code: payments.MsgAttemptReplacedQR, Reference: ref("09"), Other: ref("10")}, nil},
		{"attempt.unknown", payments.Message{Code: payments.MsgAttemptUnknown, Reference: ref("11")}, nil},
		{"payment.pending", payments.Message{Code: payments.MsgPending, Reference: ref("12")}, nil},
		{"payment.paid", payments.Message{Code: payments.MsgPaid, Reference: ref("13"), Source: "callback"}, nil},
		{"payment.failed", payments.Message{Code: payments.MsgFailed, Reference: ref("14"), Status: "rejected", Source: "query"}, nil},
		{"payment.failed", payments.Message{Code: payments.MsgFailedNotReached, Reference: ref("15")}, nil},
		{"payment.expired", payments.Message{Code: payments.MsgExpired}, nil},
		{"payment.canceled", payments.Message{Code: payments.MsgCanceledByMerchant}, nil},
		{"payment.canceled", payments.Message{Code: payments.MsgCanceledByShopper}, nil},
		{"payment.canceled", payments.Message{Code: payments.MsgCanceledAtCounter}, nil},
		{"payment.canceled", payments.Message{Code: payments.MsgCanceledDeviceRevoked}, nil},
		{"payment.partially_refunded", payments.Message{Code: payments.MsgRefundMoved, Refund: "rf_test16", Amount: 116, Currency: nzd}, []string{"NZD 1.16"}},
		{"payment.paid", payments.Message{Code: payments.MsgRefundFailedMoved, Refund: "rf_test17", Amount: 117, Currency: nzd}, []string{"NZD 1.17"}},
		{"payment.paid", payments.Message{Code: payments.MsgCorrectedSucceeded, Refund: "rf_test18", Amount: 118, Currency: nzd}, []string{"NZD 1.18"}},
		{"payment.paid", payments.Message{Code: payments.MsgCorrectedRefundFails, Refund: "rf_test19", Amount: 119, Currency: nzd}, []string{"NZD 1.19"}},
		{"payment.paid", payments.Message{Code: payments.MsgCorrectedEarlier}, nil},
		{"refund.requested", payments.Message{Code: payments.MsgRefundRequested, Refund: "rf_test20", Amount: 120, Currency: nzd}, []string{"NZD 1.20"}},
		{"refund.succeeded", payments.Message{Code: payments.MsgRefundSucceeded, Refund: "rf_test21", Amount: 121, Currency: nzd}, []string{"NZD 1.21"}},
		{"refund.failed", payments.Message{Code: payments.MsgRefundFailed, Refund: "rf_test22", Amount: 122, Currency: nzd, GatewayCode: 556}, []string{"NZD 1.22", "556"}},
		{"refund.failed", payments.Message{Code: payments.MsgRefundFailed, Refund: "rf_test23", Amount: 123, Currency: nzd}, []string{"NZD 1.23"}},
		{"anomaly", payments.Message{Code: payments.MsgAmountMismatch, Reference: ref("24"), Source: "callback", Said: "99.00", SaidCurrency: "AUD",
			Amount: 1250, Currency: nzd}, []string{"AUD 99.00", "NZD 12.50"}},
		{"anomaly", payments.Message{Code: payments.MsgPaidTwice, Reference: ref("25"), Other: ref("26")}, nil},
		{"anomaly", payments.Message{Code: payments.MsgStatusAfterPaid, Reference: ref("27"), Source: "query", Status: "cancel_or_fail"}, nil},
		{"anomaly", payments.Message{Code: payments.MsgNoFinalAnswer, Reference: ref("28")}, nil},
		{"anomaly", payments.Message{Code: payments.MsgPaidAfterCancel, Reference: ref("29"), Source: "query"}, nil},
		{"payment.reviewed", payments.Message{Code: payments.MsgReviewed, By: "owner@shop.example", Note: "已核对订单 30"}, []string{"已核对订单 30"}},
	}
}

// TestTimelineInReadersLanguage: a payment paid through the simulator,
// partly refunded, then contradicted by Latipay (a signed callback with
// another amount, then one saying it failed), with every other kind of
// event the domain writes added to its log, shows each event on its
// page in Simplified and Traditional Chinese: no English sentence, the
// references, refund ids and amounts named, statuses in the staff's
// words. An event recorded before codes, or with a code this build does
// not know, still shows its stored English text. Latipay's own words
// (English) inside a line are in <span lang="en">.
func TestTimelineInReadersLanguage(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	p := a.mustPaid(t)
	paidRef := a.MustGet(t, p.ID).LatipayReference
	r, _, err := a.Svc.Refund(ctx, payments.RefundInput{PaymentID: p.ID, Amount: "2.50", Key: "r1"})
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	for _, form := range []url.Values{
		paymentstest.Notification(paidRef, "wechat", "paid", "NZD", "99.00"),
		paymentstest.Notification(paidRef, "wechat", "failed", "NZD", "12.50"),
	} {
		if got := a.PostCallback(t, form); !strings.HasPrefix(got, "200") {
			t.Fatalf("callback = %q", got)
		}
	}
	evs := timelineEvents()
	covered := map[string]bool{}
	for _, e := range evs {
		covered[e.m.Code] = true
	}
	for _, code := range payments.MessageCodes {
		if !covered[code] {
			t.Errorf("code %s is not in this test's events", code)
		}
	}
	failures := map[string]bool{}
	for _, e := range evs {
		failures[e.m.Failure] = true
	}
	for _, k := range payments.FailureKinds {
		if !failures[k] {
			t.Errorf("failure kind %s is not in this test's events", k)
		}
	}
	const legacy, future = "legacy words, kept as they were", "a detail from a later build"
	now := a.Clock.Now()
	if _, err := a.Store.Update(ctx, p.ID, func(tx *payments.Tx) error {
		for _, e := range evs {
			tx.AddEvent(e.m.Event(e.typ, tx.Payment.Status, now))
		}
		tx.AddEvent(payments.Event{Type: "payment.failed", Detail: legacy, CreatedAt: now})
		tx.AddEvent(payments.Event{Type: "anomaly", Detail: future, Data: `{"msg":{"code":"anomaly.from_later","ref":"X"}}`, CreatedAt: now})
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for _, lang := range []string{views.LangSimplifiedChinese, views.LangTraditionalChinese} {
		loc := a.localizer(t, lang)
		doc := a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"?lang="+lang, http.StatusOK)
		var lines []string
		doc.Find(`[data-testid="timeline-item"] .detail`).Each(func(_ int, s *goquery.Selection) {
			lines = append(lines, strings.TrimSpace(s.Text()))
		})
		has := func(want ...string) bool {
			for _, l := range lines {
				all := true
				for _, w := range want {
					all = all && strings.Contains(l, w)
				}
				if all {
					return true
				}
			}
			return false
		}
		// Latipay's own words (English) are marked so, for a screen
		// reader to read them in English inside the Chinese line.
		english := map[string]bool{}
		doc.Find(`[data-testid="timeline-item"] .detail span[lang="en"]`).Each(func(_ int, s *goquery.Selection) { english[s.Text()] = true })
		for _, e := range evs {
			if (e.m.Code == payments.MsgAttemptError || e.m.Code == payments.MsgAttemptPayCodeRefused) && e.m.Error != "" && e.m.Reason == "" && !english[e.m.Error] {
				t.Errorf("%s: Latipay's words %q are not marked English in the timeline (marked: %v)", lang, e.m.Error, english)
			}
		}
		// The parameters every line may show as they are.
		shown := []string{paidRef, r.ID, legacy, future}
		for _, e := range evs {
			want := append([]string(nil), e.want...)
			for _, v := range []string{e.m.Reference, e.m.Other, e.m.Refund, e.m.Error} {
				if v != "" {
					want = append(want, v)
					shown = append(shown, v)
				}
			}
			if e.m.Failure != "" { // what became of the call, in the reader's words
				want = append(want, loc.T("event.failure."+e.m.Failure, e.m.Error))
			}
			if e.m.Method != "" {
				want = append(want, loc.T("method."+string(e.m.Method)))
			}
			if !has(want...) {
				t.Errorf("%s: no line of the timeline says %s with %q", lang, e.m.Code, want)
			}
		}
		for _, want := range [][]string{
			{paidRef, "NZD 99.00", "NZD 12.50"},                  // the signed callback with another amount
			{paidRef, loc.T("state.failed")},                     // the one saying it failed after paid
			{r.ID, "NZD 2.50"},                                   // the refund through the simulator
			{loc.T("state.failed"), loc.T("event.source.query")}, // Latipay's "rejected" in the staff's word
			{legacy}, {future},
		} {
			if !has(want...) {
				t.Errorf("%s: no line of the timeline has %q", lang, want)
			}
		}
		for _, l := range lines {
			if l == legacy || l == future {
				continue
			}
			rest := l
			for _, v := range shown {
				rest = strings.ReplaceAll(rest, v, "")
			}
			if w := englishWord.FindString(untranslated.Replace(rest)); w != "" {
				t.Errorf("%s: English %q in the timeline line %q", lang, w, l)
			}
		}
		if t.Failed() {
			t.Logf("%s: the timeline's lines: %q", lang, lines)
		}
	}
}

// TestHomeNamesTheAnomaly: the home page's list says what each payment
// under review is about, in each language: an amount unlike ours, a
// status Latipay gave after it was paid; an anomaly recorded before codes
// gets the general sentence.
func TestHomeNamesTheAnomaly(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	mismatch, _ := a.MustPending(t, "ORDER-MISMATCH", "0123456789ABCDEFGHJKMNPQRS")
	if got := a.PostCallback(t, paymentstest.Notification("0123456789ABCDEFGHJKMNPQRS", "wechat", "paid", "NZD", "1.00")); !strings.HasPrefix(got, "200") {
		t.Fatalf("callback = %q", got)
	}
	after := a.mustPaid(t)
	ref := a.MustGet(t, after.ID).LatipayReference
	if got := a.PostCallback(t, paymentstest.Notification(ref, "wechat", "failed", "NZD", "12.50")); !strings.HasPrefix(got, "200") {
		t.Fatalf("callback = %q", got)
	}
	old := a.MustCreate(t, paymentstest.Input("ORDER-OLD"))
	if _, err := a.Store.Update(ctx, old.ID, func(tx *payments.Tx) error {
		tx.Payment.NeedsReview, tx.Payment.UpdatedAt = true, a.Clock.Now()
		tx.AddEvent(payments.Event{Type: "anomaly", Detail: "something recorded long ago", CreatedAt: a.Clock.Now()})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{mismatch, after.ID, old.ID} {
		if !a.MustGet(t, id).NeedsReview {
			t.Fatalf("%s is not under review", id)
		}
	}

	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for _, lang := range views.Languages() {
		loc := a.localizer(t, lang)
		for code := range handlers.AnomalyHomeIDs {
			if id := "home.attention." + code; loc.T(id) == id {
				t.Errorf("%s: no message %s", lang, id)
			}
		}
		doc := a.ownerDoc(t, owner, "/admin/?lang="+lang, http.StatusOK)
		for id, msg := range map[string]string{
			mismatch: "home.attention.anomaly.amount_mismatch",
			after.ID: "home.attention.anomaly.status_after_paid",
			old.ID:   "home.attention.needs_review",
		} {
			item := doc.Find(`[data-testid="attention-item"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
				href, _ := s.Find("a").Attr("href")
				return strings.HasSuffix(href, "/"+id)
			})
			got := strings.TrimSpace(item.Find(".hint").Text())
			if want := loc.T(msg); item.Length() != 1 || got != want {
				t.Errorf("%s: %s's attention (%d) says %q, want %q", lang, id, item.Length(), got, want)
			}
		}
	}
}

// localizer is the app's catalogue in lang, for what a page should say.
func (a *adminApp) localizer(t *testing.T, lang string) views.Localizer {
	t.Helper()
	c, err := views.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return c.Localizer(lang)
}
