package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/views"
)

// paidAfterCancel makes a counter sale on dev that is canceled while
// Latipay cannot be asked, then paid by the shopper: paid late and under
// review (paid after a cancel), as the domain flags it.
func paidAfterCancel(t *testing.T, a *adminApp, gw *downGateway, dev *http.Cookie, key, amount string) string {
	t.Helper()
	sale := mustJSON[counterSaleJSON](t, a.charge(t, dev, key, amount, "wechat"))
	gw.down.Store(true)
	if w := a.do(t, http.MethodPost, "/counter/sales/"+sale.ID+"/cancel", nil, withCookie(dev, jsonAccept)); w.Code != http.StatusOK {
		t.Fatalf("cancel = %d %s", w.Code, w.Body)
	}
	gw.down.Store(false)
	a.simulatePaid(t, a.MustGet(t, sale.ID).LatipayReference)
	a.WaitStatus(t, sale.ID, payments.StatusPaid)
	if p := a.MustGet(t, sale.ID); !p.PaidLate || !p.NeedsReview {
		t.Fatalf("paid after a cancel: paid late %v, needs review %v; want both", p.PaidLate, p.NeedsReview)
	}
	return sale.ID
}

// TestOwnerMarksReviewed: a sale paid after it was canceled is on the
// home page and in the list's "needs review" filter; its page offers
// "mark reviewed" with a required note. Marking it records a
// payment.reviewed event (who and the note, on the timeline in each
// language) and an audit entry, takes it off the home page and the
// filter (it is under "reviewed" now), leaves its status and money as
// they were, and the API shows reviewed_at. A second review is refused;
// a cashier may not review.
func TestOwnerMarksReviewed(t *testing.T) {
	a, gw := newDownApp(t)
	dev := a.readyDevice(t)
	id := paidAfterCancel(t, a, gw, dev, "review-key-0000000000001", "31.41")
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	_, cashier := a.signIn(t, "cashier@shop.example", adminPW)
	listed := func(path string) bool {
		t.Helper()
		return a.ownerDoc(t, owner, path, http.StatusOK).Find(`[data-id="`+id+`"]`).Length() > 0
	}
	onHome := func() bool {
		t.Helper()
		found := false
		a.ownerDoc(t, owner, "/admin/", http.StatusOK).Find(`[data-testid="attention-item"] a`).Each(func(_ int, s *goquery.Selection) {
			found = found || strings.HasSuffix(s.AttrOr("href", ""), id)
		})
		return found
	}
	if !onHome() || !listed("/admin/payments?attention=needs_review") || listed("/admin/payments?attention=reviewed") {
		t.Fatal("before review: want it on the home page and under needs review only")
	}
	detail := a.ownerDoc(t, owner, "/admin/payments/"+id, http.StatusOK)
	if detail.Find(`[data-testid="review-form"] input[name="note"][required]`).Length() != 1 {
		t.Fatal("the payment's page offers no review form with a required note")
	}
	before := a.MustGet(t, id)

	if w := a.post(t, "/admin/payments/"+id+"/review", url.Values{"note": {"checked"}}, cashier); w.Code != http.StatusForbidden {
		t.Errorf("a cashier's review = %d, want 403", w.Code)
	}
	w := a.post(t, "/admin/payments/"+id+"/review", url.Values{"note": {"  "}}, owner)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "Write a short note") {
		t.Errorf("a review without a note = %d, want 400 asking for one", w.Code)
	}
	// Zero-width spaces are no note; a control character is removed, as
	// the API removes it from a refund's reason.
	w = a.post(t, "/admin/payments/"+id+"/review", url.Values{"note": {"\u200b\u200b\u200b"}}, owner)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "Write a short note") {
		t.Errorf("a review with only zero-width spaces = %d, want 400 asking for a note", w.Code)
	}
	const note = "Order checked with the customer 顾客已确认"
	if w := a.post(t, "/admin/payments/"+id+"/review", url.Values{"note": {strings.Replace(note, " with", "\x00 with", 1)}}, owner); w.Code != http.StatusSeeOther {
		t.Fatalf("review = %d %s", w.Code, w.Body)
	}
	after := a.MustGet(t, id)
	if after.Status != before.Status || after.Refunded != before.Refunded ||
		after.Amount != before.Amount || !after.PaidLate || !after.NeedsReview {
		t.Errorf("after review: %+v; want reviewed, status, money and flags as before (%+v)", after, before)
	}
	if w := a.post(t, "/admin/payments/"+id+"/review", url.Values{"note": {"again"}}, owner); w.Code != http.StatusConflict {
		t.Errorf("a second review = %d, want 409", w.Code)
	}
	es, err := a.acc.Store().Audit(t.Context(), accounts.AuditFilter{Target: id, Action: "review", Limit: 10})
	if err != nil || len(es) != 1 || es[0].Email != "owner@shop.example" || !strings.Contains(es[0].After, note) {
		t.Fatalf("review audit entries = %+v, %v; want one by the owner with the note", es, err)
	}
	if csv := a.do(t, http.MethodGet, "/admin/audit/export.csv", nil, withCookie(owner, nil)); csv.Code != http.StatusOK ||
		!strings.Contains(csv.Body.String(), note) || strings.ContainsRune(csv.Body.String(), 0) {
		t.Errorf("audit CSV = %d; want the note as kept, without the NUL:\n%q", csv.Code, csv.Body)
	}
	evs, err := a.Svc.Events(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Type != "payment.reviewed" || last.From != before.Status || last.To != before.Status {
		t.Errorf("last event %+v; want payment.reviewed leaving the status", last)
	}
	for _, lang := range []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese} {
		loc := a.localizer(t, lang)
		doc := a.ownerDoc(t, owner, "/admin/payments/"+id+"?lang="+lang, http.StatusOK)
		found := false
		doc.Find(`[data-testid="timeline-item"]`).Each(func(_ int, s *goquery.Selection) {
			if strings.Contains(s.Find(".detail").Text(), loc.T("event.payment.reviewed", note)) &&
				strings.Contains(s.Find(".who").Text(), "owner@shop.example") {
				found = true
			}
		})
		if !found {
			t.Errorf("%s: no timeline row says %q by the owner", lang, loc.T("event.payment.reviewed", note))
		}
		if doc.Find(`[data-testid="review-form"]`).Length() != 0 || doc.Find(`[data-testid="detail-reviewed"]`).Length() != 1 {
			t.Errorf("%s: a reviewed payment still offers the review, or does not say when it was reviewed", lang)
		}
		audit := a.ownerDoc(t, owner, "/admin/audit?lang="+lang, http.StatusOK).Text()
		if want := loc.T("timeline.audit.review", loc.T("adminlist.attention.needs_review"), note); !strings.Contains(audit, want) {
			t.Errorf("%s: the audit log does not say %q", lang, want)
		}
	}
	if onHome() || listed("/admin/payments?attention=needs_review") || !listed("/admin/payments?attention=reviewed") {
		t.Error("after review: want it off the home page and listed under reviewed only")
	}
	got := mustJSON[struct {
		ReviewedAt *string `json:"reviewed_at"`
	}](t, a.api(t, http.MethodGet, "/api/v1/payments/"+id, "", nil))
	if want := payments.FormatTime(a.Clock.Now()); got.ReviewedAt == nil || *got.ReviewedAt != want {
		t.Errorf("API reviewed_at = %v, want %s", got.ReviewedAt, want)
	}
}

// TestHomeAttentionHidesNothing: flagged payments stay on the home page
// until someone reviews them, however old; past the block's ten it says
// how many more there are and links to the list filtered the same way,
// which holds every one of them.
func TestHomeAttentionHidesNothing(t *testing.T) {
	a, gw := newDownApp(t)
	dev := a.readyDevice(t)
	var ids []string
	for i := range 12 {
		ids = append(ids, paidAfterCancel(t, a, gw, dev, "home-more-key-00000000"+string(rune('a'+i)), "1.0"+string(rune('0'+i%10))))
	}
	a.Clock.Advance(45 * 24 * time.Hour) // past the 30 days the block once looked back
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	home := a.ownerDoc(t, owner, "/admin/", http.StatusOK)
	if n := home.Find(`[data-testid="attention-item"][data-kind="needs_review"]`).Length(); n != 10 {
		t.Errorf("home lists %d needing review 45 days on, want 10", n)
	}
	link := home.Find(`[data-testid="attention-link"][data-kind="needs_review"] a`)
	if !strings.Contains(link.Text(), "2 more") || link.AttrOr("href", "") != "/admin/payments?attention=needs_review" {
		t.Fatalf("the block's link says %q to %q; want 2 more, to the filtered list", link.Text(), link.AttrOr("href", ""))
	}
	list := a.ownerDoc(t, owner, link.AttrOr("href", ""), http.StatusOK)
	for _, id := range ids {
		if list.Find(`[data-id="`+id+`"]`).Length() != 1 {
			t.Errorf("the filtered list lacks %s", id)
		}
	}
}
