package handlers_test

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/webhook"
	"github.com/latipay-hpp/hpp/views"
)

// cancelApp is the back office's app with a webhook endpoint that keeps
// every event it is sent.
type cancelApp struct {
	*adminApp
	worker *webhook.Worker
	mu     sync.Mutex
	bodies [][]byte
}

func newCancelApp(t *testing.T) *cancelApp {
	t.Helper()
	c := &cancelApp{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.bodies = append(c.bodies, b)
		c.mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	c.adminApp = newAdminApp(t, adminAppOptions{webhooks: func(env *paymentstest.Env) handlers.Webhooks {
		w, err := webhook.New(env.Store, webhook.Options{URL: rcv.URL, Secrets: []string{webhookSecret},
			Now: env.Clock.Now, Rand: rand.Reader, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		c.worker = w
		return w
	}})
	return c
}

// webhooks sends every event due and returns those payment id's endpoint
// received, each checked against the OpenAPI document.
func (c *cancelApp) webhooks(t *testing.T, id string) []webhook.Event {
	t.Helper()
	for range 20 {
		n, err := c.worker.Flush(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	doc := loadOpenAPI(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []webhook.Event
	for _, b := range c.bodies {
		var ev webhook.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("webhook body %s: %v", b, err)
		}
		if ev.Payment.ID == id {
			checkAgainst(t, doc, "WebhookEvent", b)
			out = append(out, ev)
		}
	}
	return out
}

// paidWithCallbacksLost starts a QR for a new payment and has the shopper
// pay it at Latipay, whose callbacks are lost: the app still thinks it
// pending.
func (c *cancelApp) paidWithCallbacksLost(t *testing.T, body string) (paymentstest.APIPayment, string) {
	t.Helper()
	p := c.mustCreate(t, body)
	ref := c.mustStartQR(t, p.ID)
	c.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	if err := c.Sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	if got := c.MustGet(t, p.ID); got.Status != payments.StatusPending {
		t.Fatalf("payment %s before the cancel, want pending (its callbacks lost)", got.Status)
	}
	return p, ref
}

func eventTypes(evs []webhook.Event) string {
	var ts []string
	for _, e := range evs {
		ts = append(ts, e.Type)
	}
	return strings.Join(ts, " ")
}

// TestAPICancelOfPaidAtLatipay: the merchant cancels a payment the
// shopper has paid at Latipay whose callbacks were lost. The API answers
// 409 already_paid with the payment, paid; the merchant's endpoint gets
// payment.paid and never payment.canceled.
func TestAPICancelOfPaidAtLatipay(t *testing.T) {
	a := newCancelApp(t)
	p, ref := a.paidWithCallbacksLost(t, createBody)
	w := a.api(t, http.MethodPost, "/api/v1/payments/"+p.ID+"/cancel", "", nil)
	if w.Code != http.StatusConflict {
		t.Fatalf("cancel = %d %s, want 409", w.Code, w.Body)
	}
	checkAgainst(t, loadOpenAPI(t), "Error", w.Body.Bytes())
	body := mustJSON[struct {
		Error   struct{ Code, Message string }
		Payment paymentstest.APIPayment
	}](t, w)
	if body.Error.Code != "already_paid" || !strings.Contains(body.Error.Message, "refund") {
		t.Errorf("error = %+v, want already_paid saying to refund it", body.Error)
	}
	if body.Payment.ID != p.ID || body.Payment.Status != "paid" || body.Payment.LatipayReference != ref || body.Payment.PaidAt == nil {
		t.Errorf("payment in the 409 = %+v, want it paid by %s", body.Payment, ref)
	}
	got := mustJSON[paymentstest.APIPayment](t, a.api(t, http.MethodGet, "/api/v1/payments/"+p.ID, "", nil))
	if got.Status != "paid" || got.PaidLate || got.NeedsReview {
		t.Errorf("GET = %s paid_late %v needs_review %v, want paid on time", got.Status, got.PaidLate, got.NeedsReview)
	}
	evs := a.webhooks(t, p.ID)
	if types := eventTypes(evs); types != "payment.pending payment.paid" {
		t.Errorf("webhooks %q, want payment.pending payment.paid (no payment.canceled)", types)
	}
}

// TestCancelUnansweredThenPaidNeedsReview: Latipay does not answer the
// cancel, so the payment is canceled; the shopper's payment that Latipay
// confirms afterwards is paid late and needs review, which the API, the
// webhook and the back office's home (in each language) say: once, with
// the paid-after-cancel advice, not again as merely paid late. The
// payments list and the payment's page mark it needs review; a payment
// paid on time is not marked.
func TestCancelUnansweredThenPaidNeedsReview(t *testing.T) {
	a := newCancelApp(t)
	p, ref := a.mustStartedQR(t)
	a.Sim.SetFaults(latipaysim.Faults{ServerError: true})
	w := a.api(t, http.MethodPost, "/api/v1/payments/"+p.ID+"/cancel", "", nil)
	if got := mustJSON[paymentstest.APIPayment](t, w); w.Code != http.StatusOK || got.Status != "canceled" || got.NeedsReview {
		t.Fatalf("cancel while Latipay answers 500 = %d %s, want 200 canceled", w.Code, w.Body)
	}
	a.Sim.SetFaults(latipaysim.Faults{})
	if err := a.Sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	a.WaitStatus(t, p.ID, payments.StatusPaid)
	got := mustJSON[paymentstest.APIPayment](t, a.api(t, http.MethodGet, "/api/v1/payments/"+p.ID, "", nil))
	if !got.PaidLate || !got.NeedsReview {
		t.Errorf("GET = paid_late %v needs_review %v, want both", got.PaidLate, got.NeedsReview)
	}
	evs := a.webhooks(t, p.ID)
	if types := eventTypes(evs); types != "payment.pending payment.canceled payment.paid" {
		t.Fatalf("webhooks %q, want pending, canceled, paid", types)
	}
	if paid := evs[2]; !paid.Payment.NeedsReview || !paid.Payment.PaidLate {
		t.Errorf("payment.paid webhook's payment: needs_review %v paid_late %v, want both", paid.Payment.NeedsReview, paid.Payment.PaidLate)
	}

	onTime := a.mustPaid(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for _, lang := range views.Languages() {
		loc := a.localizer(t, lang)
		doc := a.ownerDoc(t, owner, "/admin/?lang="+lang, http.StatusOK)
		var said []string
		doc.Find(`[data-testid="attention-item"]`).Each(func(_ int, s *goquery.Selection) {
			if href, _ := s.Find("a").Attr("href"); strings.HasSuffix(href, "/"+p.ID) {
				said = append(said, strings.TrimSpace(s.Find(".hint").Text()))
			}
		})
		want := loc.T("home.attention.anomaly.paid_after_cancel")
		if len(said) != 1 || said[0] != want {
			t.Errorf("%s: the home's attention for the payment says %q, want once %q", lang, said, want)
		}
		badge := loc.T("adminlist.needs_review")
		list := a.ownerDoc(t, owner, "/admin/payments?lang="+lang, http.StatusOK)
		row := func(id string) string {
			return strings.TrimSpace(list.Find(`[data-testid="payment-row"][data-id="` + id + `"] [data-testid="needs-review"]`).Text())
		}
		if got := row(p.ID); got != badge {
			t.Errorf("%s: the list marks the payment %q, want %q", lang, got, badge)
		}
		if got := row(onTime.ID); got != "" {
			t.Errorf("%s: the list marks a payment paid on time %q", lang, got)
		}
		head := a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"?lang="+lang, http.StatusOK)
		if got := strings.TrimSpace(head.Find(`[data-testid="detail-status"] [data-testid="needs-review"]`).Text()); got != badge {
			t.Errorf("%s: the payment's page marks it %q, want %q", lang, got, badge)
		}
		detail := a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"?lang="+lang, http.StatusOK).Text()
		if line := loc.T("event.anomaly.paid_after_cancel", ref, loc.T("event.source.callback")); !strings.Contains(detail, line) {
			t.Errorf("%s: the payment's timeline does not say %q", lang, line)
		}
	}
}

// TestAdminCancelOfPaidAtLatipay: the owner cancels, in the back office,
// a payment the shopper has paid at Latipay: it is not canceled, and the
// page says so in the owner's language, showing the payment paid.
func TestAdminCancelOfPaidAtLatipay(t *testing.T) {
	a := newCancelApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for i, lang := range views.Languages() {
		p, _ := a.paidWithCallbacksLost(t, strings.Replace(createBody, "ORDER-1", "ORDER-ADMIN-"+lang, 1))
		w := a.post(t, "/admin/payments/"+p.ID+"/cancel?lang="+lang, nil, owner)
		if w.Code != http.StatusConflict {
			t.Fatalf("%s: owner's cancel = %d, want 409 with the page", lang, w.Code)
		}
		doc := mustDoc(t, w)
		want := a.localizer(t, lang).T("admin.cancel.paid")
		if got := strings.TrimSpace(doc.Find(`[data-testid="form-error"]`).Text()); got != want {
			t.Errorf("%s: the page says %q, want %q", lang, got, want)
		}
		if got := a.MustGet(t, p.ID); got.Status != payments.StatusPaid {
			t.Errorf("%s: payment %s, want paid", lang, got.Status)
		}
		if types := eventTypes(a.webhooks(t, p.ID)); types != "payment.pending payment.paid" {
			t.Errorf("%s (%d): webhooks %q, want pending, paid", lang, i, types)
		}
	}
}

// TestCheckoutCancelOfPaidAtLatipay: the shopper's "Cancel and return"
// after paying at Latipay (callbacks lost) lands on the paid page, not on
// the shop's cancel_url.
func TestCheckoutCancelOfPaidAtLatipay(t *testing.T) {
	a := newCancelApp(t)
	p, _ := a.paidWithCallbacksLost(t, cancelBody)
	w := a.do(t, http.MethodPost, "/checkout/"+p.ID+"/cancel", strings.NewReader(""),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}})
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/checkout/"+p.ID) || strings.HasSuffix(loc, "/back") {
		t.Fatalf("POST cancel = %d Location %q, want 303 back to the checkout", w.Code, loc)
	}
	if st, _ := testid(a.page(t, p.ID), "status").Attr("data-status"); st != "paid" {
		t.Errorf("the checkout after the cancel shows %q, want paid", st)
	}
	if types := eventTypes(a.webhooks(t, p.ID)); types != "payment.pending payment.paid" {
		t.Errorf("webhooks %q, want pending, paid", types)
	}
}

// TestCancelOfPaidHereSaysSo: a cancel of a payment paid here before it
// (Latipay not asked) keeps the API's code already_paid, but its words
// say the payment is paid, or refunded in full, with nothing to cancel,
// not that Latipay said anything; so do the back office and the till, in
// each language.
func TestCancelOfPaidHereSaysSo(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	paidOne := func(ref string) string {
		t.Helper()
		p := a.mustCreate(t, strings.Replace(createBody, "ORDER-1", ref, 1))
		st := a.MustStart(t, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
		if err := a.Sim.Pay(st.Attempt.Reference); err != nil {
			t.Fatal(err)
		}
		a.WaitStatus(t, p.ID, payments.StatusPaid)
		return p.ID
	}
	paid, refunded := paidOne("ORDER-PAID-HERE"), paidOne("ORDER-REFUNDED-HERE")
	if w := a.api(t, "POST", "/api/v1/payments/"+refunded+"/refunds", `{}`, nil); w.Code != http.StatusCreated {
		t.Fatalf("refund = %d %s", w.Code, w.Body)
	}
	a.WaitStatus(t, refunded, payments.StatusRefunded)
	for _, c := range []struct{ id, want string }{{paid, "already paid, so there is nothing to cancel"}, {refunded, "refunded in full, so there is nothing to cancel"}} {
		w := a.api(t, "POST", "/api/v1/payments/"+c.id+"/cancel", "", nil)
		e := mustJSON[struct {
			Error struct{ Code, Message string }
		}](t, w)
		if w.Code != http.StatusConflict || e.Error.Code != "already_paid" || !strings.Contains(e.Error.Message, c.want) || strings.Contains(e.Error.Message, "Latipay") {
			t.Errorf("API cancel of %s = %d %+v; want 409 already_paid saying %q, not naming Latipay", c.id, w.Code, e.Error, c.want)
		}
	}
	for _, lang := range views.Languages() {
		loc := a.localizer(t, lang)
		for _, c := range []struct{ id, msg string }{{paid, "admin.cancel.paidhere"}, {refunded, "admin.cancel.refundedhere"}} {
			w := a.post(t, "/admin/payments/"+c.id+"/cancel?lang="+lang, nil, owner)
			got := strings.TrimSpace(mustDoc(t, w).Find(`[data-testid="form-error"]`).Text())
			if w.Code != http.StatusConflict || got != loc.T(c.msg) || got == loc.T("admin.cancel.paid") {
				t.Errorf("%s: back office cancel of %s = %d saying %q; want 409 %q", lang, c.id, w.Code, got, loc.T(c.msg))
			}
		}
	}
	// At the till: a sale paid, then canceled from the sales list.
	dev := a.readyDevice(t)
	sale := mustJSON[counterSaleJSON](t, a.charge(t, dev, "paid-here-key-000000001", "12.00", "wechat"))
	a.simulatePaid(t, a.MustGet(t, sale.ID).LatipayReference)
	a.WaitStatus(t, sale.ID, payments.StatusPaid)
	w := a.do(t, http.MethodPost, handlers.CounterSalePath(sale.ID)+"/cancel?lang=zh-Hant", nil, withCookie(dev, jsonAccept))
	e := mustJSON[counterErrJSON](t, w)
	if want := a.localizer(t, views.LangTraditionalChinese).T("error.paidhere"); w.Code != http.StatusConflict || e.Error.Code != "already_paid" || e.Error.Message != want {
		t.Errorf("till cancel of a paid sale = %d %+v; want 409 already_paid saying %q", w.Code, e, want)
	}
}
