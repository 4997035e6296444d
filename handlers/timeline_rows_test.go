package handlers_test

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/webhook"
	"github.com/latipay-hpp/hpp/views"
)

// ids are the delivery and refund ids a timeline row names as they are.
var ids = regexp.MustCompile(`\b(whd|rf)_[0-9a-z]+`)

// TestTimelineRowsInReadersLanguage: on the Chinese back office, a
// payment's timeline says what the owner did to it (a refund, "ask
// Latipay now", a webhook sent again, a cancel) and how each webhook try
// went in the page's language: no English sentence, the ids named, a
// failed try's status said once ("HTTP 503", not "HTTP 503 HTTP 503"),
// also on the delivery log. Whether Latipay said a status by callback or
// by query comes from the event's message, not from its English text.
func TestTimelineRowsInReadersLanguage(t *testing.T) {
	rcv := newHookReceiver(t, http.StatusServiceUnavailable)
	var worker *webhook.Worker
	a := newAdminApp(t, adminAppOptions{webhooks: func(env *paymentstest.Env) handlers.Webhooks {
		w, err := webhook.New(env.Store, webhook.Options{URL: rcv.srv.URL, Secrets: []string{webhookSecret},
			Now: env.Clock.Now, Rand: rand.Reader, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		worker = w
		return w
	}})
	flush := func() {
		t.Helper()
		if _, err := worker.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	p := a.mustPaid(t)
	flush() // payment.pending: 503, retried
	rcv.code.Store(http.StatusNotFound)
	a.Clock.Advance(time.Hour)
	flush() // 404: not retried
	ds, err := a.Store.Deliveries(t.Context(), payments.DeliveryFilter{PaymentID: p.ID, State: payments.DeliveryFailed, Limit: 1})
	if err != nil || len(ds) != 1 {
		t.Fatalf("failed deliveries: %v, %v", ds, err)
	}

	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	post := func(path string, form url.Values) *httptest.ResponseRecorder {
		t.Helper()
		w := a.do(t, http.MethodPost, path, strings.NewReader(form.Encode()),
			withCookie(owner, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}))
		if w.Code != http.StatusSeeOther {
			t.Fatalf("POST %s = %d", path, w.Code)
		}
		return w
	}
	post("/admin/payments/"+p.ID+"/refund", url.Values{"key": {"k1"}, "amount": {"2.00"}})
	post("/admin/payments/"+p.ID+"/requery", nil)
	rcv.code.Store(http.StatusNoContent)
	post("/admin/webhooks/"+ds[0].ID+"/redeliver", nil)
	open := a.mustCreate(t, createBody)
	post("/admin/payments/"+open.ID+"/cancel", nil)
	rs, err := a.Svc.Refunds(t.Context(), p.ID)
	if err != nil || len(rs) != 1 {
		t.Fatalf("refunds: %v, %v", rs, err)
	}
	// Two events whose English says otherwise than their message: a
	// status Latipay gave by query, and one it did not give at all.
	now := a.Clock.Now()
	if _, err := a.Store.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
		byQuery := payments.Message{Code: payments.MsgPaid, Reference: "REFQUERYXXXXXXXXXXXXXXXXX", Source: "query"}.Event("payment.paid", tx.Payment.Status, now)
		byQuery.Detail = "REFQUERYXXXXXXXXXXXXXXXXX (asked)"
		notLatipay := payments.Message{Code: payments.MsgCanceledByMerchant}.Event("payment.canceled", tx.Payment.Status, now)
		notLatipay.Detail = "canceled via the API"
		tx.AddEvent(byQuery)
		tx.AddEvent(notLatipay)
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	type row struct{ kind, what, detail string }
	rows := func(doc *goquery.Document) []row {
		var out []row
		doc.Find(`[data-testid="timeline-item"]`).Each(func(_ int, s *goquery.Selection) {
			k, _ := s.Attr("data-kind")
			out = append(out, row{k, s.Find("code").First().Text(), strings.Join(strings.Fields(s.Find(".detail").Text()), " ")})
		})
		return out
	}
	for _, lang := range []string{views.LangSimplifiedChinese, views.LangTraditionalChinese} {
		loc := a.localizer(t, lang)
		paid := rows(a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"?lang="+lang, http.StatusOK))
		all := append(paid, rows(a.ownerDoc(t, owner, "/admin/payments/"+open.ID+"?lang="+lang, http.StatusOK))...)
		said := map[string][]string{}
		kindOf := map[string]string{} // the two events' rows, on the paid payment's page
		for i, r := range all {
			if r.kind == "refund" {
				said[r.kind+" "+r.what] = append(said[r.kind+" "+r.what], r.detail)
			}
			if r.kind == "admin" || r.kind == "webhook" {
				said[r.kind+" "+r.what] = append(said[r.kind+" "+r.what], r.detail)
				rest := strings.ReplaceAll(ids.ReplaceAllString(r.detail, ""), "HTTP", "")
				if w := englishWord.FindString(untranslated.Replace(rest)); w != "" {
					t.Errorf("%s: English %q in the %s row %q", lang, w, r.kind, r.detail)
				}
				if strings.Count(r.detail, "HTTP") > 1 {
					t.Errorf("%s: the status said twice in %q", lang, r.detail)
				}
			}
			if i < len(paid) && (strings.HasPrefix(r.detail, "REFQUERY") || r.detail == loc.T("event.payment.canceled.by_merchant")) {
				kindOf[r.detail] = r.kind
			}
		}
		for _, want := range []struct {
			row  string
			says []string
		}{
			// The owner's refund is said once, on its own event (with who
			// asked: TestOwnerRefundSaysWhoHowMuchWhy).
			{"refund refund.requested", []string{rs[0].ID, "NZD 2.00"}},
			{"admin requery", []string{loc.T("state.partially_refunded")}},
			{"admin webhook.redeliver", []string{ds[0].ID, loc.T("adminlist.state.delivered")}},
			{"admin cancel", []string{loc.T("state.canceled")}},
			// The 503's retry came (the 404): it is superseded, no longer retrying.
			{"webhook payment.pending", []string{"HTTP 503", loc.T("adminlist.state.superseded")}},
			{"webhook payment.pending", []string{"HTTP 404", loc.T("timeline.delivery.not_retried"), loc.T("adminlist.state.failed")}},
		} {
			found := false
			for _, d := range said[want.row] {
				ok := true
				for _, w := range want.says {
					ok = ok && strings.Contains(d, w)
				}
				found = found || ok
			}
			if !found {
				t.Errorf("%s: no %s row says %q; they say %q", lang, want.row, want.says, said[want.row])
			}
		}
		for detail, kind := range kindOf {
			want := "event"
			if strings.HasPrefix(detail, "REFQUERY") {
				want = "query"
			}
			if kind != want {
				t.Errorf("%s: %q is a %s row, want %s", lang, detail, kind, want)
			}
		}
		if len(kindOf) != 2 {
			t.Errorf("%s: rows of the two events: %v", lang, kindOf)
		}
		log := a.ownerDoc(t, owner, "/admin/webhooks?lang="+lang, http.StatusOK)
		log.Find(`[data-testid="delivery-row"]`).Each(func(_ int, s *goquery.Selection) {
			if txt := s.Text(); strings.Count(txt, "HTTP") > 1 {
				t.Errorf("%s: the delivery log says the status twice: %q", lang, strings.Join(strings.Fields(txt), " "))
			}
		})
	}
}
