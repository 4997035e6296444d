package handlers_test

import (
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
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

// TestGivenUpTriesSaySo: a try that left its event retrying, its event's
// last, reads "Retrying" with its next try only while that retry can
// still come. Once the event is past the 72-hour retry window without it
// (the app was stopped when it fell due: the worker never claims such an
// event again), the log, the event's page and the payment's timeline say
// it was given up, in each language, with no next try, and the API's
// delivery log says state given_up with no next_attempt_at. The state
// filter of both goes by that label: such a try is listed under given_up
// (offered in each language), never under retrying. A try superseded by
// a later one stays superseded.
func TestGivenUpTriesSaySo(t *testing.T) {
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
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	rows := func(path, lang string) map[string]shownTry {
		t.Helper()
		doc := a.ownerDoc(t, owner, path+"?lang="+lang, http.StatusOK)
		out := map[string]shownTry{}
		doc.Find(`[data-testid="delivery-row"], [data-testid="try-row"]`).Each(func(_ int, s *goquery.Selection) {
			id, _ := s.Attr("data-id")
			cell := s.Find(`[data-state]`)
			st, _ := cell.Attr("data-state")
			out[id] = shownTry{st, strings.TrimSpace(cell.Text()), strings.TrimSpace(cell.Find(".hint").Text())}
		})
		return out
	}
	check := func(when string, want map[string]string) {
		t.Helper()
		for _, lang := range []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese} {
			l := a.localizer(t, lang)
			got := rows("/admin/webhooks", lang)
			for id := range want {
				if _, ok := got[id]; !ok {
					t.Fatalf("%s, %s: the log does not list %s: %v", when, lang, id, got)
				}
			}
			checkTries(t, when+", "+lang+", the log", l, got, want, false)
			for id := range want {
				checkTries(t, when+", "+lang+", the event's page", l, rows("/admin/webhooks/"+id, lang), want, true)
			}
		}
	}
	api := func(payment string) map[string]*string { // delivery id → state, next_attempt_at
		t.Helper()
		w := a.api(t, http.MethodGet, "/api/v1/webhook-deliveries?payment_id="+payment, "", nil)
		if w.Code != http.StatusOK {
			t.Fatalf("GET webhook-deliveries = %d %s", w.Code, w.Body)
		}
		var list struct {
			Data []struct {
				ID            string  `json:"id"`
				State         string  `json:"state"`
				NextAttemptAt *string `json:"next_attempt_at"`
			} `json:"data"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
			t.Fatal(err)
		}
		out := map[string]*string{}
		for _, d := range list.Data {
			st := d.State
			if d.NextAttemptAt != nil {
				st += " next " + *d.NextAttemptAt
			}
			out[d.ID] = &st
		}
		return out
	}

	// filtered lists the delivery ids the log's state filter shows, and
	// the API's, in every language, and checks that the filter offers
	// given_up with its label.
	filtered := func(state string) (admin, viaAPI []string) {
		t.Helper()
		for _, lang := range []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese} {
			doc := a.ownerDoc(t, owner, "/admin/webhooks?state="+state+"&lang="+lang, http.StatusOK)
			opt := doc.Find(`select#state option[value="given_up"]`)
			if want := a.localizer(t, lang).T("adminlist.state.given_up"); strings.TrimSpace(opt.Text()) != want {
				t.Errorf("%s: the state filter's given_up option reads %q, want %q", lang, strings.TrimSpace(opt.Text()), want)
			}
			var ids []string
			doc.Find(`[data-testid="delivery-row"]`).Each(func(_ int, s *goquery.Selection) {
				id, _ := s.Attr("data-id")
				ids = append(ids, id)
			})
			if lang == views.LangEnglish {
				admin = ids
			} else if strings.Join(ids, " ") != strings.Join(admin, " ") {
				t.Errorf("state=%s, %s lists %v; English lists %v", state, lang, ids, admin)
			}
		}
		w := a.api(t, http.MethodGet, "/api/v1/webhook-deliveries?state="+state, "", nil)
		if w.Code != http.StatusOK {
			t.Fatalf("GET webhook-deliveries?state=%s = %d %s", state, w.Code, w.Body)
		}
		var list struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
			t.Fatal(err)
		}
		for _, d := range list.Data {
			viaAPI = append(viaAPI, d.ID)
		}
		return admin, viaAPI
	}
	listed := func(when, state string, want []string) {
		t.Helper()
		admin, viaAPI := filtered(state)
		if strings.Join(admin, " ") != strings.Join(want, " ") {
			t.Errorf("%s: the log filtered by state %s lists %v, want %v", when, state, admin, want)
		}
		if strings.Join(viaAPI, " ") != strings.Join(want, " ") {
			t.Errorf("%s: the API filtered by state %s lists %v, want %v", when, state, viaAPI, want)
		}
	}

	p := a.mustPaid(t)
	if _, err := worker.Flush(t.Context()); err != nil { // payment.pending: 503, retrying
		t.Fatal(err)
	}
	ds, err := a.Store.Deliveries(t.Context(), payments.DeliveryFilter{PaymentID: p.ID, Limit: 10})
	if err != nil || len(ds) != 1 || ds[0].State != payments.DeliveryRetrying {
		t.Fatalf("after the first try: %+v, %v; want one retrying try", ds, err)
	}
	first := ds[0].ID
	check("the first try, its retry due", map[string]string{first: "retrying"})
	listed("the first try, its retry due", "retrying", []string{first})
	listed("the first try, its retry due", "given_up", nil)
	if st := api(p.ID)[first]; st == nil || !strings.HasPrefix(*st, "retrying next ") {
		t.Errorf("API: the first try while its retry may come reads %v, want retrying with a next attempt", st)
	}

	// The app is stopped past the retry window: no worker ran, and the
	// worker that starts then never claims the event again.
	a.Clock.Advance(payments.DeliveryRetryWindow + time.Minute)
	if n, err := worker.Flush(t.Context()); err != nil || n != 0 {
		t.Fatalf("a flush past the retry window sent %d, %v; want nothing", n, err)
	}
	_, owner = a.signIn(t, "owner@shop.example", adminPW) // the session ended meanwhile
	check("past the retry window", map[string]string{first: "given_up"})
	// The state filter goes by the same label: given up, not retrying.
	listed("past the retry window", "retrying", nil)
	listed("past the retry window", "given_up", []string{first})
	if w := a.api(t, http.MethodGet, "/api/v1/webhook-deliveries?state=stuck", "", nil); w.Code != http.StatusBadRequest ||
		!strings.Contains(w.Body.String(), "given_up") {
		t.Errorf("API state=stuck = %d %s; want 400 naming the states", w.Code, w.Body)
	}
	if st := api(p.ID)[first]; st == nil || *st != "given_up" {
		t.Errorf("API: the first try past the retry window reads %v, want given_up with no next attempt", st)
	}

	// The timeline says the same.
	l := a.localizer(t, views.LangEnglish)
	doc := a.ownerDoc(t, owner, "/admin/payments/"+p.ID, http.StatusOK)
	var said []string
	doc.Find(`[data-testid="timeline-item"][data-kind="webhook"]`).Each(func(_ int, s *goquery.Selection) {
		said = append(said, strings.TrimSpace(s.Find(`[data-testid="timeline-detail"]`).Text()))
	})
	if joined := strings.Join(said, "\n"); !strings.Contains(joined, "→ "+l.T("adminlist.state.given_up")) ||
		strings.Contains(joined, l.T("adminlist.state.retrying")) {
		t.Errorf("the timeline's webhook rows say %q; want the try given up, none retrying", said)
	}

	// Sent again by hand, refused again: past the window it keeps no
	// schedule (failed, not retrying), and the first try is superseded.
	a.Clock.Advance(time.Second)
	if w := a.do(t, http.MethodPost, "/admin/webhooks/"+first+"/redeliver", nil,
		withCookie(owner, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})); w.Code != http.StatusSeeOther {
		t.Fatalf("redeliver %s = %d", first, w.Code)
	}
	ds, err = a.Store.Deliveries(t.Context(), payments.DeliveryFilter{PaymentID: p.ID, Limit: 10})
	if err != nil || len(ds) != 2 {
		t.Fatalf("after the redelivery: %+v, %v; want two tries", ds, err)
	}
	check("sent again by hand past the window, refused", map[string]string{first: "superseded", ds[0].ID: "failed"})
}
