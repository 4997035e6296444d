package handlers_test

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/webhook"
	"github.com/latipay-hpp/hpp/views"
)

// TestDeliveryErrorWithoutURL: a webhook try that got no answer is in the
// delivery log with a plain reason ("connection refused"), never the
// endpoint's URL, whose query may carry a token: not in the API's
// delivery log, not on the back office's payment page or delivery log,
// which word the reason in the reader's language. An entry an earlier
// version stored with the HTTP client's own words (which quote the URL)
// is shown the same way.
func TestDeliveryErrorWithoutURL(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String() + "/hook?token=CANARY-hook-token"
	l.Close()
	var worker *webhook.Worker
	a := newAdminApp(t, adminAppOptions{webhooks: func(env *paymentstest.Env) handlers.Webhooks {
		w, err := webhook.New(env.Store, webhook.Options{URL: down, Secrets: []string{webhookSecret},
			Now: env.Clock.Now, Rand: rand.Reader, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		worker = w
		return w
	}})
	p := a.mustPaid(t)
	if _, err := worker.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	ds, err := a.Store.Deliveries(t.Context(), payments.DeliveryFilter{PaymentID: p.ID, Limit: 10})
	if err != nil || len(ds) == 0 {
		t.Fatalf("deliveries: %v, %v", ds, err)
	}
	old := ds[0]
	old.ID = fmt.Sprintf("whd_%019d%016x", old.At.Add(time.Second).UnixNano(), 1)
	old.Attempt++
	old.Error = webhook.ErrorRequest + `Post "` + down + `": dial tcp ` + strings.TrimPrefix(down[:strings.Index(down, "/hook")], "http://") +
		": connect: connection refused" + webhook.GaveUpAfter + "72h0m0s"
	old.State, old.NextAt = payments.DeliveryFailed, time.Time{}
	if err := a.Store.RecordDelivery(t.Context(), old); err != nil {
		t.Fatal(err)
	}

	w := a.api(t, http.MethodGet, "/api/v1/webhook-deliveries?payment_id="+p.ID, "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("delivery log = %d %s", w.Code, w.Body)
	}
	for _, leak := range []string{"CANARY", "127.0.0.1", "/hook", "Post "} {
		if strings.Contains(w.Body.String(), leak) {
			t.Errorf("the API's delivery log shows %q: %s", leak, w.Body)
		}
	}
	for _, want := range []string{`"error":"request failed: connection refused"`,
		`"error":"request failed: connection refused; gave up after 72h0m0s"`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("the API's delivery log does not say %s: %s", want, w.Body)
		}
	}

	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for _, lang := range []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese} {
		loc := a.localizer(t, lang)
		want := loc.T("timeline.delivery.request_failed", loc.T("timeline.delivery.reason.refused"))
		for _, path := range []string{"/admin/payments/" + p.ID, "/admin/webhooks"} {
			txt := a.ownerDoc(t, owner, path+"?lang="+lang, http.StatusOK).Text()
			if strings.Count(txt, want) < 2 {
				t.Errorf("%s %s does not say %q for both tries", lang, path, want)
			}
			for _, leak := range []string{"CANARY", "127.0.0.1", "/hook", "Post "} {
				if strings.Contains(txt, leak) {
					t.Errorf("%s %s shows %q", lang, path, leak)
				}
			}
		}
	}
}
