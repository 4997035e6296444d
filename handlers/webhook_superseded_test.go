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
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/webhook"
	"github.com/latipay-hpp/hpp/views"
)

// TestSupersededTriesSaySo: a try that left its event retrying reads
// "Retrying" with its next try only while it is the event's last; once a
// later try followed it (sent again by hand, or the retry itself), the
// unfiltered log, the event's page and the payment's timeline say it was
// superseded, in each language, with no next try that will never come.
func TestSupersededTriesSaySo(t *testing.T) {
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
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	rows := func(path, lang string) (map[string]shownTry, []string) { // delivery id → what its row says; ids newest first
		t.Helper()
		doc := a.ownerDoc(t, owner, path+"?lang="+lang, http.StatusOK)
		out, order := map[string]shownTry{}, []string(nil)
		doc.Find(`[data-testid="delivery-row"], [data-testid="try-row"]`).Each(func(_ int, s *goquery.Selection) {
			id, _ := s.Attr("data-id")
			cell := s.Find(`[data-state]`)
			st, _ := cell.Attr("data-state")
			out[id] = shownTry{st, strings.TrimSpace(cell.Text()), strings.TrimSpace(cell.Find(".hint").Text())}
			order = append(order, id)
		})
		return out, order
	}
	check := func(when string, want map[string]string) { // delivery id → state said
		t.Helper()
		for _, lang := range []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese} {
			l := a.localizer(t, lang)
			got, _ := rows("/admin/webhooks", lang)
			for id := range want {
				if _, ok := got[id]; !ok {
					t.Fatalf("%s, %s: the log does not list %s: %v", when, lang, id, got)
				}
			}
			checkTries(t, when+", "+lang+", the log", l, got, want, false)
			for id := range want {
				got, _ := rows("/admin/webhooks/"+id, lang)
				checkTries(t, when+", "+lang+", the event's page", l, got, want, true)
			}
		}
	}

	p := a.mustPaid(t)
	flush() // payment.pending: 503, retrying
	_, ids := rows("/admin/webhooks", views.LangEnglish)
	if len(ids) != 1 {
		t.Fatalf("after the first try the log lists %v, want one try", ids)
	}
	first := ids[0]
	check("the first try, not yet followed", map[string]string{first: "retrying"})

	// Sent again by hand while the endpoint still answers 503: that try
	// keeps the event retrying on the first try's schedule, and the
	// first try is superseded.
	a.Clock.Advance(time.Second) // a later try has a later id
	if w := a.do(t, http.MethodPost, "/admin/webhooks/"+first+"/redeliver", nil,
		withCookie(owner, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})); w.Code != http.StatusSeeOther {
		t.Fatalf("redeliver %s = %d", first, w.Code)
	}
	_, ids = rows("/admin/webhooks", views.LangEnglish)
	if len(ids) != 2 || ids[1] != first {
		t.Fatalf("after the redelivery the log lists %v, want it and %s", ids, first)
	}
	byHand := ids[0]
	check("sent again by hand, refused", map[string]string{first: "superseded", byHand: "retrying"})
	apiSays(t, a, p.ID, map[string]bool{first: true, byHand: false})

	// The retry falls due and is delivered: both earlier tries are
	// superseded by it.
	rcv.code.Store(http.StatusOK)
	a.Clock.Advance(time.Minute)
	flush()
	_, ids = rows("/admin/webhooks", views.LangEnglish)
	if len(ids) != 3 {
		t.Fatalf("after the retry the log lists %v, want three tries", ids)
	}
	check("delivered on the third try", map[string]string{first: "superseded", byHand: "superseded", ids[0]: "delivered"})
	apiSays(t, a, p.ID, map[string]bool{first: true, byHand: true, ids[0]: false})

	// The payment's timeline says the same of each try.
	l := a.localizer(t, views.LangEnglish)
	doc := a.ownerDoc(t, owner, "/admin/payments/"+p.ID, http.StatusOK)
	var said []string
	doc.Find(`[data-testid="timeline-item"][data-kind="webhook"]`).Each(func(_ int, s *goquery.Selection) {
		said = append(said, strings.TrimSpace(s.Find(`[data-testid="timeline-detail"]`).Text()))
	})
	if n := strings.Count(strings.Join(said, "\n"), "→ "+l.T("adminlist.state.superseded")); n != 2 {
		t.Errorf("the timeline's webhook rows say %q: want two tries superseded", said)
	}
	for _, d := range said {
		if strings.Contains(d, l.T("adminlist.state.retrying")) {
			t.Errorf("the timeline says %q of an event since delivered", d)
		}
	}
}

// shownTry is what a page's row says of one try: its data-state, its
// state's words and the next try it names.
type shownTry struct{ state, text, next string }

// checkTries compares the tries a page lists (got, by delivery id) with
// the state each should say (want), in l's language, and, where the page
// names next tries (withNext), that only a retrying try names one.
func checkTries(t *testing.T, where string, l views.Localizer, got map[string]shownTry, want map[string]string, withNext bool) {
	t.Helper()
	for id, st := range want {
		g, ok := got[id]
		if !ok {
			continue // the event's page lists its own event's tries
		}
		if g.state != st || !strings.HasPrefix(g.text, l.T("adminlist.state."+st)) {
			t.Errorf("%s: try %s reads %q (%s), want %q", where, id, g.text, g.state, l.T("adminlist.state."+st))
		}
		if withNext && (g.next != "") != (st == "retrying") {
			t.Errorf("%s: try %s, %s, names its next try as %q", where, id, st, g.next)
		}
	}
}

// apiSays checks the API's delivery log for payment: each try in want
// (delivery id → superseded) says superseded as given, and only a try
// not superseded may name a next attempt.
func apiSays(t *testing.T, a *adminApp, payment string, want map[string]bool) {
	t.Helper()
	w := a.api(t, http.MethodGet, "/api/v1/webhook-deliveries?payment_id="+payment, "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET webhook-deliveries = %d %s", w.Code, w.Body)
	}
	var list struct {
		Data []struct {
			ID            string  `json:"id"`
			State         string  `json:"state"`
			Superseded    *bool   `json:"superseded"`
			NextAttemptAt *string `json:"next_attempt_at"`
		} `json:"data"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, d := range list.Data {
		sup, ok := want[d.ID]
		if !ok {
			continue
		}
		seen++
		if d.Superseded == nil || *d.Superseded != sup {
			t.Errorf("API: try %s (%s) superseded = %v, want %v", d.ID, d.State, d.Superseded, sup)
		}
		if sup && d.NextAttemptAt != nil {
			t.Errorf("API: superseded try %s names a next attempt %s", d.ID, *d.NextAttemptAt)
		}
	}
	if seen != len(want) {
		t.Errorf("API lists %d of the %d tries: %s", seen, len(want), w.Body)
	}
}
