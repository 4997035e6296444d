package handlers_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/webhook"
)

// seedPayment stores a payment made n hours after the clock's start
// straight through the store (as the list reads it), changed by mut.
func seedPayment(t testing.TB, a *adminApp, n int, mut func(p *payments.Payment)) payments.Payment {
	t.Helper()
	at := a.Clock.Now().UTC().Add(time.Duration(n) * time.Hour)
	p := payments.Payment{ID: fmt.Sprintf("pay_%026d", n), Reference: fmt.Sprintf("SEED-%d", n), Amount: 1000 + int64(n),
		Currency: payments.NZD, Description: "seeded", Status: payments.StatusPaid, Source: payments.SourceOnline,
		Method: payments.MethodWeChat, ReturnURL: "https://shop.example/r", Version: 1,
		CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(15 * time.Minute)}
	if mut != nil {
		mut(&p)
	}
	ev := payments.Event{PaymentID: p.ID, Type: "payment.created", To: payments.StatusCreated, CreatedAt: at}
	if _, _, err := a.Store.CreatePayment(t.Context(), p, ev, payments.Idempotency{}); err != nil {
		t.Fatalf("seed %d: %v", n, err)
	}
	return p
}

// listed returns the references of the rows a list page shows, in order.
func listed(doc *goquery.Document) []string {
	refs := []string{}
	doc.Find(`[data-testid="payment-row"] [data-col="reference"]`).Each(func(_ int, s *goquery.Selection) {
		refs = append(refs, strings.TrimSpace(s.Text()))
	})
	return refs
}

// TestAdminListFilters: every filter and search form of the payments list
// selects exactly its payments, newest first; each is kept in the form,
// the next page's link and the export links; a filter the list cannot
// read is answered 400 with a message naming what is wrong, and no rows.
func TestAdminListFilters(t *testing.T) {
	a := newAdminApp(t)
	// The clock starts 2026-03-01 01:00 UTC: n hours later.
	seedPayment(t, a, 1, func(p *payments.Payment) { p.Reference, p.Description = "INV-100", "Flat white" })
	seedPayment(t, a, 2, func(p *payments.Payment) {
		p.Reference, p.Method, p.Source, p.Currency, p.LatipayOrderID = "INV-101", payments.MethodAlipay, payments.SourceLink, payments.AUD, "2026030100009999"
	})
	seedPayment(t, a, 25, func(p *payments.Payment) {
		p.Reference, p.Status, p.Source, p.AmountCNY = "TEA-7", payments.StatusPending, payments.SourceCounterQR, "47.12"
	})
	seedPayment(t, a, 49, func(p *payments.Payment) {
		p.Reference, p.Description, p.Method, p.Source, p.Currency = "S-9", "flat WHITE to go", payments.MethodUnionPay, payments.SourceCounterScan, payments.CNY
	})
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	get := func(q string) *httptest.ResponseRecorder {
		return a.do(t, http.MethodGet, "/admin/payments?"+q, nil, withCookie(owner, nil))
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"S-9", "TEA-7", "INV-101", "INV-100"}},
		{"status=pending", []string{"TEA-7"}},
		{"method=alipay", []string{"INV-101"}},
		{"channel=counter_scan", []string{"S-9"}},
		{"channel=api", []string{"INV-100"}},
		{"currency=NZD", []string{"TEA-7", "INV-100"}},
		{"from=2026-03-02", []string{"S-9", "TEA-7"}},
		{"to=2026-03-01", []string{"INV-101", "INV-100"}},
		{"from=2026-03-02&to=2026-03-02", []string{"TEA-7"}},
		{"q=reference:INV-101", []string{"INV-101"}},
		{"q=reference:INV-10", []string{}}, // exact
		{"q=latipay:2026030100009999", []string{"INV-101"}},
		{"q=inv-10", []string{"INV-101", "INV-100"}},       // contained, any case
		{"q=flat+white", []string{"S-9", "INV-100"}},       // in the description
		{"q=flat+white&currency=NZD", []string{"INV-100"}}, // together
	} {
		w := get(tc.query)
		if w.Code != http.StatusOK {
			t.Errorf("?%s = %d", tc.query, w.Code)
			continue
		}
		doc := mustDoc(t, w)
		if got := listed(doc); !slices.Equal(got, tc.want) {
			t.Errorf("?%s lists %v, want %v", tc.query, got, tc.want)
		}
		q, _ := url.ParseQuery(tc.query)
		for k := range q {
			sel := "#" + k
			val, _ := doc.Find(sel).Attr("value")
			if doc.Find(sel).Is("select") {
				val, _ = doc.Find(sel + " option[selected]").Attr("value")
			}
			if val != q.Get(k) {
				t.Errorf("?%s: the form's %s holds %q, want it kept", tc.query, k, val)
			}
			href, _ := doc.Find(`[data-testid="export-csv"]`).Attr("href")
			if u, _ := url.Parse(href); u == nil || u.Query().Get(k) != q.Get(k) {
				t.Errorf("?%s: the CSV export link %q drops %s", tc.query, href, k)
			}
		}
	}
	row := mustDoc(t, get("q=reference:TEA-7")).Find(`[data-testid="payment-row"]`)
	for col, want := range map[string]string{"time": "2026-03-02 02:00 UTC", "amount": "NZD 10.25 ≈ CN¥ 47.12", "status": "Waiting for payment",
		"method": "WeChat Pay", "channel": "Counter QR", "refunded": "0.00"} {
		if got := strings.Join(strings.Fields(row.Find(`[data-col="`+col+`"]`).Text()), " "); !strings.Contains(got, want) {
			t.Errorf("TEA-7's %s cell reads %q, want %q", col, got, want)
		}
	}
	if got := strings.TrimSpace(mustDoc(t, get("q=reference:INV-101")).Find(`[data-col="order"]`).Text()); got != "2026030100009999" {
		t.Errorf("INV-101's Latipay order cell = %q", got)
	}

	for _, tc := range []struct{ query, msg string }{
		{"status=bogus", "Choose a status from the list."},
		{"method=cash", "Choose a payment method from the list."},
		{"channel=pos", "Choose a channel from the list."},
		{"currency=USD", "Choose a currency from the list."},
		{"from=2026-13-01", "Write dates as year-month-day"},
		{"to=yesterday", "Write dates as year-month-day"},
		{"from=2026-03-03&to=2026-03-01", "The end date must not be before the start date."},
		{"q=reference:", "Write what to search for after reference: or latipay:"},
		{"q=latipay:+", "Write what to search for after reference: or latipay:"},
		{"q=" + url.QueryEscape("bad\x00text"), "Search for at most 100 characters"},
		{"q=" + strings.Repeat("x", 101), "Search for at most 100 characters"},
		{"q=reference:" + strings.Repeat("x", 65), "Search for at most 100 characters (64 after reference:)"},
	} {
		w := get(tc.query)
		doc := mustDoc(t, w)
		msg := doc.Find(`[data-testid="form-error"]`).Text()
		if w.Code != http.StatusBadRequest || !strings.Contains(msg, tc.msg) {
			t.Errorf("?%s = %d %q, want 400 saying %q", tc.query, w.Code, msg, tc.msg)
		}
		if n := len(listed(doc)); n != 0 {
			t.Errorf("?%s lists %d rows beside its error", tc.query, n)
		}
		if w := a.do(t, http.MethodGet, "/admin/payments/export.csv?"+tc.query, nil, withCookie(owner, nil)); w.Code != http.StatusBadRequest {
			t.Errorf("export.csv?%s = %d, want 400", tc.query, w.Code)
		}
	}
	// A page link the list did not give out is no field's fault: its
	// message says so and takes the focus.
	if msg := mustDoc(t, get("cursor=bogus")).Find(`[data-testid="form-error"][autofocus]`).Text(); !strings.Contains(msg, "That link to a further page is not valid.") {
		t.Errorf("?cursor=bogus says %q", msg)
	}
	w := get("lang=zh-Hans&currency=USD")
	if msg := mustDoc(t, w).Find(`[data-testid="form-error"]`).Text(); !strings.Contains(msg, "请从列表中选择币种") {
		t.Errorf("the bad currency in Simplified Chinese reads %q", msg)
	}

	// Paging keeps the filter: 52 static-QR payments are two pages.
	for i := range 52 {
		seedPayment(t, a, 100+i, func(p *payments.Payment) { p.Source = payments.SourceStaticQR })
	}
	doc := mustDoc(t, get("channel=static_qr"))
	first := listed(doc)
	next, _ := doc.Find(`[data-testid="next-page"]`).Attr("href")
	if len(first) != 50 || !strings.Contains(next, "channel=static_qr") {
		t.Fatalf("first page: %d rows, next %q", len(first), next)
	}
	second := listed(mustDoc(t, a.do(t, http.MethodGet, next, nil, withCookie(owner, nil))))
	if len(second) != 2 || slices.Contains(first, second[0]) || second[1] != "SEED-100" {
		t.Errorf("second page = %v", second)
	}
}

// failingPages is a store whose ListPayments, once on, fails for any page
// but the first: a database lost in the middle of an export.
type failingPages struct {
	payments.Store
	on     atomic.Bool
	failed atomic.Int32
}

func (f *failingPages) ListPayments(ctx context.Context, pf payments.PaymentFilter) ([]payments.Payment, error) {
	if f.on.Load() && pf.BeforeID != "" {
		f.failed.Add(1)
		return nil, errors.New("disk I/O error")
	}
	return f.Store.ListPayments(ctx, pf)
}

// TestAdminExportCutShort: a failure once an export is streaming cannot
// change its status any more, so it must not look like a whole file: the
// download ends early (the client reads an unexpected EOF, as a browser
// marks the download failed), the CSV lacks its final newline and the
// JSON its closing bracket, and the failure is logged. The same export
// without the failure is whole.
func TestAdminExportCutShort(t *testing.T) {
	var fp *failingPages
	log, buf := handlers.JSONLog(slog.LevelInfo)
	a := newAdminApp(t, adminAppOptions{log: log, wrapStore: func(s payments.Store) payments.Store {
		fp = &failingPages{Store: s}
		return fp
	}})
	for i := range 130 { // two pages of the export
		seedPayment(t, a, i+1, nil)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	srv := httptest.NewServer(a.h)
	t.Cleanup(srv.Close)
	fetch := func(format string) (body string, readErr error) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/admin/payments/export."+format, nil)
		req.AddCookie(owner)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("export.%s = %d", format, resp.StatusCode)
		}
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	whole, err := fetch("csv")
	if err != nil || !strings.HasSuffix(whole, "\n") || strings.Count(whole, "\n") != 131 {
		t.Fatalf("whole CSV: err %v, %d lines, ends %q", err, strings.Count(whole, "\n"), whole[len(whole)-5:])
	}
	wholeJSON, err := fetch("json")
	var rows []map[string]string
	if err != nil || json.Unmarshal([]byte(wholeJSON), &rows) != nil || len(rows) != 130 {
		t.Fatalf("whole JSON: err %v, %d rows", err, len(rows))
	}

	fp.on.Store(true)
	cut, err := fetch("csv")
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reading a cut CSV export: %v, want unexpected EOF", err)
	}
	if strings.HasSuffix(cut, "\n") || !strings.HasPrefix(cut, "\ufeff") || strings.Count(cut, "\n") != 100 {
		t.Errorf("cut CSV: %d newlines, ends %q; want the 100 rows of the first page and no final newline",
			strings.Count(cut, "\n"), cut[max(0, len(cut)-20):])
	}
	cutJSON, err := fetch("json")
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reading a cut JSON export: %v, want unexpected EOF", err)
	}
	if strings.HasSuffix(strings.TrimSpace(cutJSON), "]") || json.Unmarshal([]byte(cutJSON), &rows) == nil {
		t.Errorf("cut JSON parses or ends with ]: ...%q", cutJSON[max(0, len(cutJSON)-20):])
	}
	if fp.failed.Load() != 2 || strings.Count(buf.String(), "export cut short") != 2 {
		t.Errorf("%d failed reads; log:\n%s", fp.failed.Load(), buf.String())
	}
}

// hookReceiver is a webhook endpoint answering with the status in code.
type hookReceiver struct {
	srv  *httptest.Server
	code atomic.Int32
	hits atomic.Int32
}

func newHookReceiver(t *testing.T, code int) *hookReceiver {
	r := &hookReceiver{}
	r.code.Store(int32(code))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		r.hits.Add(1)
		w.WriteHeader(int(r.code.Load()))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// TestAdminPaymentTimelineAndActions: a paid payment's page tells its
// story (the shopper's attempt, Latipay's callback, the webhook tries,
// what the owner did), each with who and when; "ask Latipay now" runs
// and is audited; a failed delivery is sent again from its page, which
// then lists both tries, and that is audited too; the delivery log
// filters by state and refuses a state it does not know.
func TestAdminPaymentTimelineAndActions(t *testing.T) {
	rcv := newHookReceiver(t, http.StatusInternalServerError)
	var worker *webhook.Worker
	a := newAdminApp(t, adminAppOptions{webhooks: func(env *paymentstest.Env) handlers.Webhooks {
		w, err := webhook.New(env.Store, webhook.Options{URL: rcv.srv.URL, Secrets: []string{"whsec_test_0123456789"},
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
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	page := func(path string) *goquery.Document {
		t.Helper()
		w := a.do(t, http.MethodGet, path, nil, withCookie(owner, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, w.Code)
		}
		return mustDoc(t, w)
	}
	post := func(path string) *httptest.ResponseRecorder {
		return a.do(t, http.MethodPost, path, strings.NewReader(""), withCookie(owner, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}))
	}
	kinds := func(doc *goquery.Document) map[string][]string {
		out := map[string][]string{}
		doc.Find(`[data-testid="timeline-item"]`).Each(func(_ int, s *goquery.Selection) {
			k, _ := s.Attr("data-kind")
			out[k] = append(out[k], strings.Join(strings.Fields(s.Text()), " "))
		})
		return out
	}
	tl := kinds(page("/admin/payments/" + p.ID + "?lang=en"))
	for _, k := range []string{"attempt", "callback", "webhook"} {
		if len(tl[k]) == 0 {
			t.Errorf("the timeline has no %s item: %v", k, tl)
		}
	}
	if !strings.Contains(strings.Join(tl["attempt"], "|"), "by the shopper") || !strings.Contains(strings.Join(tl["callback"], "|"), "from Latipay") ||
		!strings.Contains(strings.Join(tl["webhook"], "|"), "HTTP 500") {
		t.Errorf("timeline without who or what: %v", tl)
	}

	if w := post("/admin/payments/" + p.ID + "/requery"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/payments/"+p.ID {
		t.Fatalf("requery = %d to %q", w.Code, w.Header().Get("Location"))
	}
	tl = kinds(page("/admin/payments/" + p.ID + "?lang=en"))
	if got := strings.Join(tl["admin"], "|"); !strings.Contains(got, "owner@shop.example") || !strings.Contains(got, "requery") {
		t.Errorf("the requery is not in the timeline with who did it: %v", tl["admin"])
	}

	ds, err := a.Store.Deliveries(t.Context(), payments.DeliveryFilter{PaymentID: p.ID, Limit: 10})
	if err != nil || len(ds) == 0 {
		t.Fatalf("deliveries: %v, %v", ds, err)
	}
	failed := ds[0]
	list := page("/admin/webhooks?state=" + string(failed.State))
	if list.Find(`[data-testid="delivery-row"][data-id="`+failed.ID+`"]`).Length() != 1 {
		t.Errorf("the %s filter does not list delivery %s", failed.State, failed.ID)
	}
	if n := page("/admin/webhooks?state=delivered").Find(`[data-testid="delivery-row"]`).Length(); n != 0 {
		t.Errorf("state=delivered lists %d rows before any delivery succeeded", n)
	}
	w := a.do(t, http.MethodGet, "/admin/webhooks?state=lost", nil, withCookie(owner, nil))
	if msg := mustDoc(t, w).Find(`[data-testid="form-error"]`).Text(); w.Code != http.StatusBadRequest || !strings.Contains(msg, "Choose a delivery state") {
		t.Errorf("state=lost = %d %q", w.Code, msg)
	}

	rcv.code.Store(http.StatusNoContent)
	hits := rcv.hits.Load()
	w = post("/admin/webhooks/" + failed.ID + "/redeliver")
	if w.Code != http.StatusSeeOther || rcv.hits.Load() != hits+1 {
		t.Fatalf("redeliver = %d, endpoint hit %d times more", w.Code, rcv.hits.Load()-hits)
	}
	loc := w.Header().Get("Location")
	newID := strings.TrimPrefix(strings.Split(loc, "?")[0], "/admin/webhooks/")
	detail := page(loc)
	if n := detail.Find(`[data-testid="try-row"]`).Length(); n < 2 {
		t.Errorf("the delivery page lists %d tries, want the failed one and the new one", n)
	}
	if got := detail.Find(`[data-testid="try-row"][data-id="` + newID + `"] [data-testid="try-response"]`).Text(); !strings.Contains(got, "HTTP 204") {
		t.Errorf("the new try %s reads %q, want HTTP 204", newID, got)
	}
	if page("/admin/webhooks?state=delivered").Find(`[data-testid="delivery-row"]`).Length() != 1 {
		t.Error("the successful redelivery is not listed as delivered")
	}
	log, err := a.Store.Audit(t.Context(), accounts.AuditFilter{Target: p.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		if e.Email == "owner@shop.example" {
			actions = append(actions, e.Action)
		}
	}
	if !slices.Contains(actions, "requery") || !slices.Contains(actions, "webhook.redeliver") {
		t.Errorf("audit of the payment holds %v, want requery and webhook.redeliver", actions)
	}
}

// TestAdminRedeliverWithoutEndpoint: with no webhook endpoint the
// delivery page offers no button, and a POST changes nothing and says so.
func TestAdminRedeliverWithoutEndpoint(t *testing.T) {
	a := newAdminApp(t)
	p := seedPayment(t, a, 1, nil)
	d := payments.Delivery{ID: "whd_00000000000000000009", PaymentID: p.ID, Seq: 1, EventType: "payment.created", Attempt: 1,
		StatusCode: 502, At: a.Clock.Now(), State: payments.DeliveryFailed}
	if err := a.Store.RecordDelivery(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	doc := mustDoc(t, a.do(t, http.MethodGet, "/admin/webhooks/"+d.ID, nil, withCookie(owner, nil)))
	if doc.Find(`[data-testid="redeliver"]`).Length() != 0 {
		t.Error("a redeliver button without an endpoint")
	}
	w := a.do(t, http.MethodPost, "/admin/webhooks/"+d.ID+"/redeliver", strings.NewReader(""),
		withCookie(owner, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}))
	refused := mustDoc(t, w)
	if msg := refused.Find(`[data-testid="form-error"]`).Text(); w.Code != http.StatusConflict || !strings.Contains(msg, "HPP_WEBHOOK_URL") {
		t.Errorf("redeliver without an endpoint = %d %q", w.Code, msg)
	}
	// No field to fix: the message takes the focus and leads the title.
	if refused.Find(`[data-testid="form-error"][role="alert"][tabindex="-1"][autofocus]`).Length() != 1 ||
		!strings.HasPrefix(refused.Find("title").Text(), "Error: No webhook endpoint is configured") {
		t.Errorf("the refused redelivery's message is not focused first (title %q)", refused.Find("title").Text())
	}
	if ds, _ := a.Store.Deliveries(t.Context(), payments.DeliveryFilter{PaymentID: p.ID, Limit: 10}); len(ds) != 1 {
		t.Errorf("%d deliveries after a refused redelivery, want 1", len(ds))
	}
}

// TestAdminRefundRefusalInPlainWords: Latipay refusing a refund (code 559,
// the wallet too low) is explained in the shop's language, and nothing is
// refunded.
func TestAdminRefundRefusalInPlainWords(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	a.Sim.SetFaults(latipaysim.Faults{RefundCode: 559})
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for i, tc := range []struct{ lang, want string }{
		{"en", "wallet holds too little money"}, {"zh-Hans", "钱包余额不足"}, {"zh-Hant", "錢包餘額不足"},
	} {
		form := url.Values{"key": {fmt.Sprint("k", i)}, "amount": {"5.00"}}
		w := a.do(t, http.MethodPost, "/admin/payments/"+p.ID+"/refund?lang="+tc.lang, strings.NewReader(form.Encode()),
			withCookie(owner, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}))
		msg := mustDoc(t, w).Find(`[data-testid="form-error"]`).Text()
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: refund refused with 559 = %d %q, want %q", tc.lang, w.Code, msg, tc.want)
		}
	}
	if got := a.MustGet(t, p.ID).Refunded; got != 0 {
		t.Errorf("refunded %d after refusals", got)
	}
}
