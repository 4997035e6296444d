package handlers_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/metrics"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestHomeListsPaidPaymentsUnknownHere: Latipay's signed callback for a
// payment this database does not know (made after the backup it was
// restored from) is answered "sent", and then shown to the owner: the
// home page's attention area lists its reference, amount, method and
// time with what to do, in each language, and the callback is counted
// as hpp_callbacks_total{outcome="unknown"}, not "accepted".
//
// The shop after the backup is another database (before) whose payment
// is started at its Latipay simulator, with the callback URL of the
// restored shop's router (a), as after a restore at the same address.
func TestHomeListsPaidPaymentsUnknownHere(t *testing.T) {
	m := metrics.New(time.Now, nil)
	a := newAdminApp(t, adminAppOptions{wrapStore: m.Store})
	a.SetApp(m.Callbacks(handlers.CallbackPath, a.h))
	before := paymentstest.NewEnv(t, paymentstest.Options{Service: payments.Options{AllowLocalhost: true,
		CallbackURL: a.AppURL + handlers.CallbackPath}})
	known := a.MustGet(t, a.mustPaid(t).ID) // a payment the restored database does have
	_, st := before.MustStartQR(t, "AFTER-BACKUP-1")
	ref := st.Attempt.Reference

	resp, err := http.PostForm(before.SimURL+"/simulate", url.Values{"merchant_reference": {ref}, "status": {"paid"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("simulate paid = %d", resp.StatusCode)
	}
	scrape := func() string {
		w := httptest.NewRecorder()
		m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		b, _ := io.ReadAll(w.Body)
		return string(b)
	}
	// The simulator delivers the callback on its own: wait for it to be
	// counted (a hang guard, not a timing assertion).
	for end := time.Now().Add(15 * time.Second); !strings.Contains(scrape(), `hpp_callbacks_total{outcome="unknown"} 1`); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no callback counted as unknown within 15 s:\n%s", grepLines(scrape(), "hpp_callbacks_total"))
		}
	}
	if got := grepLines(scrape(), `hpp_callbacks_total{outcome="accepted"}`); !strings.Contains(got, `} 1`) {
		t.Errorf("accepted callbacks: %q, want only the known payment's 1", got)
	}

	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for _, tc := range []struct{ lang, title, method, todo string }{
		{"en", "Paid at Latipay, unknown here", "WeChat Pay", "merchant portal"},
		{"zh-Hans", "Latipay 已收款，本店无记录", "微信支付", "商户后台"},
		{"zh-Hant", "Latipay 已收款，本店無記錄", "微信支付", "商戶後台"},
	} {
		doc := a.ownerDoc(t, owner, "/admin/?lang="+tc.lang, http.StatusOK)
		box := doc.Find(`[data-testid="home-attention"] [data-testid="home-unknown"]`)
		if box.Length() != 1 {
			t.Fatalf("%s: the home's attention area has no list of unknown payments:\n%s", tc.lang, doc.Find(`[data-testid="home-attention"]`).Text())
		}
		if got := box.Find("h3").Text(); got != tc.title {
			t.Errorf("%s: heading %q, want %q", tc.lang, got, tc.title)
		}
		if !strings.Contains(box.Text(), tc.todo) {
			t.Errorf("%s: no word of what to do (%q):\n%s", tc.lang, tc.todo, box.Text())
		}
		rows := box.Find(`[data-testid="unknown-item"]`)
		if rows.Length() != 1 {
			t.Fatalf("%s: %d unknown rows, want 1", tc.lang, rows.Length())
		}
		got := []string{strings.TrimSpace(rows.Find(`[data-testid="unknown-reference"]`).Text()),
			strings.TrimSpace(rows.Find(`[data-testid="unknown-amount"]`).Text()), strings.TrimSpace(rows.Find(`[data-testid="unknown-method"]`).Text())}
		if want := []string{ref, "NZD 12.50", tc.method}; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: row = %q, want %q", tc.lang, got, want)
		}
		if strings.TrimSpace(rows.Find(`[data-testid="unknown-time"]`).Text()) == "" {
			t.Errorf("%s: the row has no time", tc.lang)
		}
		if doc.Find(`[data-testid="attention-none"]`).Length() != 0 {
			t.Errorf("%s: the home says nothing needs attention beside the unknown payment", tc.lang)
		}
		if known.LatipayReference == "" || strings.Contains(box.Text(), known.LatipayReference) {
			t.Errorf("%s: the known payment is listed as unknown", tc.lang)
		}
	}
}

// grepLines keeps the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestSearchFindsPaidPaymentsUnknownHere: a payment Latipay reported paid
// that this database does not know (made after the backup it was
// restored from) is found by the payments list's search box, by its
// Latipay reference (as shown, in lower case, pasted in quotes) and by
// Latipay's order id (as typed, or as latipay:ORDERID): in a section of
// its own, "Paid at Latipay, not in this database", with the home list's
// fields and advice, in each language. A search for a known payment or
// for nothing shows no such section.
func TestSearchFindsPaidPaymentsUnknownHere(t *testing.T) {
	a := newAdminApp(t)
	before := paymentstest.NewEnv(t, paymentstest.Options{Service: payments.Options{AllowLocalhost: true,
		CallbackURL: a.AppURL + handlers.CallbackPath}})
	known := a.MustGet(t, a.mustPaid(t).ID)
	_, st := before.MustStartQR(t, "AFTER-BACKUP-2")
	ref := st.Attempt.Reference
	resp, err := http.PostForm(before.SimURL+"/simulate", url.Values{"merchant_reference": {ref}, "status": {"paid"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("simulate paid = %d", resp.StatusCode)
	}
	// The simulator delivers the callback on its own: wait for it to be
	// kept (a hang guard, not a timing assertion).
	var orderID string
	for end := time.Now().Add(15 * time.Second); orderID == ""; time.Sleep(20 * time.Millisecond) {
		ns, err := a.Store.Notifications(t.Context(), ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if form, err := url.ParseQuery(n.Body); err == nil && n.Result == "orphan" && n.Status == "paid" {
				orderID = form.Get("order_id")
			}
		}
		if orderID == "" && time.Now().After(end) {
			t.Fatalf("no paid callback with an order id kept for %s within 15 s: %+v", ref, ns)
		}
	}

	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	search := func(q, lang string) *goquery.Document {
		t.Helper()
		return a.ownerDoc(t, owner, "/admin/payments?"+url.Values{"q": {q}, "lang": {lang}}.Encode(), http.StatusOK)
	}
	for _, tc := range []struct{ lang, title, method, todo string }{
		{"en", "Paid at Latipay, not in this database", "WeChat Pay", "merchant portal"},
		{"zh-Hans", "已在 Latipay 付款，本数据库中没有", "微信支付", "商户后台"},
		{"zh-Hant", "已在 Latipay 付款，本資料庫中沒有", "微信支付", "商戶後台"},
	} {
		for _, q := range []string{ref, strings.ToLower(ref), `"` + ref + `",`, orderID, "latipay:" + orderID} {
			doc := search(q, tc.lang)
			box := doc.Find(`[data-testid="search-unknown"]`)
			if box.Length() != 1 {
				t.Errorf("%s: searching %q shows no section of payments unknown here", tc.lang, q)
				continue
			}
			if got := strings.TrimSpace(box.Find("h2").Text()); got != tc.title {
				t.Errorf("%s: %q: heading %q, want %q", tc.lang, q, got, tc.title)
			}
			if !strings.Contains(box.Text(), tc.todo) {
				t.Errorf("%s: %q: no word of what to do (%q):\n%s", tc.lang, q, tc.todo, box.Text())
			}
			rows := box.Find(`[data-testid="unknown-item"]`)
			if rows.Length() != 1 {
				t.Errorf("%s: %q: %d rows, want 1", tc.lang, q, rows.Length())
				continue
			}
			got := []string{strings.TrimSpace(rows.Find(`[data-testid="unknown-reference"]`).Text()),
				strings.TrimSpace(rows.Find(`[data-testid="unknown-amount"]`).Text()), strings.TrimSpace(rows.Find(`[data-testid="unknown-method"]`).Text())}
			if want := []string{ref, "NZD 12.50", tc.method}; strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%s: %q: row = %q, want %q", tc.lang, q, got, want)
			}
			if strings.TrimSpace(rows.Find(`[data-testid="unknown-time"]`).Text()) == "" {
				t.Errorf("%s: %q: the row has no time", tc.lang, q)
			}
			if doc.Find(`[data-testid="payment-row"]`).Length() != 0 {
				t.Errorf("%s: %q: a payment here is listed for the unknown one", tc.lang, q)
			}
		}
	}
	for _, q := range []string{known.LatipayReference, known.ID, "NO-SUCH-REFERENCE-1", "12.50"} {
		if doc := search(q, "en"); doc.Find(`[data-testid="search-unknown"]`).Length() != 0 {
			t.Errorf("searching %q shows a section of payments unknown here", q)
		}
	}
}
