package handlers_test

import (
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/views"
)

var formHeader = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

// afterPost is the page a browser shows after a shopper's POST answered
// w: a refusal is a 303 to the page by GET (a reload does not post
// again), which is fetched; a POST answered with a page of its own fails
// the test.
func (a *testApp) afterPost(t testing.TB, w *httptest.ResponseRecorder, h http.Header) *httptest.ResponseRecorder {
	t.Helper()
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/") {
		t.Fatalf("the POST answered %d (Location %q), want 303 to a page of ours by GET", w.Code, loc)
	}
	g := h.Clone()
	g.Del("Content-Type")
	return a.do(t, http.MethodGet, loc, nil, g)
}

// TestAdminLinkCreateBadInput: each refused form answers 422 with its
// problem in words, and stores no link; a good form stores one link and
// records it in the audit log.
func TestAdminLinkCreateBadInput(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"min above max", url.Values{"kind": {"link"}, "currency": {"NZD"}, "min": {"50"}, "max": {"10"}}, "The minimum is more than the maximum."},
		{"zero amount", url.Values{"kind": {"link"}, "currency": {"NZD"}, "amount": {"0"}}, "The fixed amount must be a number above zero"},
		{"no bounds", url.Values{"kind": {"link"}, "currency": {"NZD"}}, "The minimum must be a number above zero"},
		{"past expiry", url.Values{"kind": {"link"}, "currency": {"NZD"}, "amount": {"1"}, "expires": {"2020-01-01"}}, "The expiry must be today or later."},
		{"bad date", url.Values{"kind": {"link"}, "currency": {"NZD"}, "amount": {"1"}, "expires": {"tomorrow"}}, "The expiry must be a date such as 2026-12-31."},
		{"negative uses", url.Values{"kind": {"link"}, "currency": {"NZD"}, "amount": {"1"}, "max_uses": {"-2"}}, "must be a whole number, 0 or more"},
		{"static with amount", url.Values{"kind": {"static_qr"}, "currency": {"NZD"}, "amount": {"1"}}, "A static counter QR has no fixed amount"},
	}
	for _, tt := range tests {
		w := a.do(t, http.MethodPost, "/admin/links", strings.NewReader(tt.form.Encode()), withCookie(owner, formHeader.Clone()))
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("%s: %d, body without %q", tt.name, w.Code, tt.want)
		}
	}
	if ls, _ := a.links.List(t.Context(), "", "", 10); len(ls) != 0 {
		t.Fatalf("refused forms stored %d links", len(ls))
	}
	form := url.Values{"kind": {"link"}, "currency": {"NZD"}, "min": {"5"}, "max": {"200"}, "desc_en": {"Deposit"},
		"desc_zh_hans": {"订金"}, "max_uses": {"2"}, "expires": {"2099-12-31"}}
	w := a.do(t, http.MethodPost, "/admin/links", strings.NewReader(form.Encode()), withCookie(owner, formHeader.Clone()))
	ls, _ := a.links.List(t.Context(), "", "", 10)
	if w.Code != http.StatusSeeOther || len(ls) != 1 || !strings.HasPrefix(w.Header().Get("Location"), "/admin/links/"+ls[0].ID) {
		t.Fatalf("good form = %d to %q with %d links", w.Code, w.Header().Get("Location"), len(ls))
	}
	if l := ls[0]; l.MinAmount != 500 || l.MaxAmount != 20000 || l.MaxUses != 2 || !l.ExpiresAt.Equal(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("stored link = %+v", l)
	}
	audit, err := a.acc.Store().Audit(t.Context(), auditFilter(ls[0].ID))
	if err != nil || len(audit) != 1 || audit[0].Action != "link.create" || audit[0].Email != "owner@shop.example" {
		t.Errorf("audit of the new link = %+v, %v; want one link.create by the owner", audit, err)
	}
}

// TestLinkShopperBadInput: the shopper's typed amount is checked against
// the link (too low or zero, too high, not a number: the link's page
// again with the reason, no payment); a good amount makes a payment with Source link and goes to
// its checkout; a link switched off, expired or used up answers 410 with
// the reason in the shopper's language and makes no payment.
func TestLinkShopperBadInput(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	l, err := a.links.Create(ctx, payments.LinkInput{Currency: "NZD", MinAmount: "5.00", MaxAmount: "200.00", MaxUses: "1",
		Descriptions: map[string]string{"en": "Deposit", "zh-Hans": "订金"}, ExpiresAt: a.Clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(mustDoc(t, a.do(t, http.MethodGet, "/l/"+l.ID+"?lang=zh-Hant", nil, nil)).Find(`[data-testid="link-description"]`).Text()); got != "订金" {
		t.Errorf("zh-Hant without a Traditional description reads %q, want the Simplified one", got)
	}
	pay := func(amount, lang string) *http.Response {
		return a.do(t, http.MethodPost, "/l/"+l.ID+"?lang="+lang, strings.NewReader(url.Values{"amount": {amount}}.Encode()), formHeader.Clone()).Result()
	}
	for amount, want := range map[string]string{
		"4.99": "The amount must be at least NZ$ 5.00.", "200.01": "The amount must be at most NZ$ 200.00.",
		"0": "The amount must be at least NZ$ 5.00.", "abc": "Enter the amount as a number", "12,50": "a comma may only separate thousands",
	} {
		if got := a.linkAnswer(t, l.ID, amount, "en").Find(`[data-testid="form-error"]`).Text(); !strings.Contains(got, want) {
			t.Errorf("amount %q says %q, want %q", amount, got, want)
		}
	}
	if got := a.linkAnswer(t, l.ID, "4", "zh-Hans").Find(`[data-testid="form-error"]`).Text(); !strings.Contains(got, "金额不能少于 NZ$ 5.00。") {
		t.Errorf("a low amount in zh-Hans says %q", got)
	}
	if got, _ := a.links.Get(ctx, l.ID); got.Uses != 0 {
		t.Fatalf("refused amounts used the link %d times", got.Uses)
	}
	r := pay("12.50", "zh-Hans")
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/checkout/pay_") {
		t.Fatalf("good amount = %d to %q", r.StatusCode, loc)
	}
	p, err := a.Svc.Get(ctx, strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/checkout/"))
	if err != nil || p.Amount != 1250 || p.Source != payments.SourceLink || p.Description != "订金" {
		t.Fatalf("payment = %d %q %q, %v", p.Amount, p.Source, p.Description, err)
	}
	// "Back to the shop" must not lead to the link's page, which says
	// "nothing was charged" once the link is used up.
	if p.ReturnURL != a.AppURL+"/" {
		t.Errorf("the link payment returns to %q, want the shop's home %q", p.ReturnURL, a.AppURL+"/")
	}

	statesCode := func(code int, want string) {
		t.Helper()
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			w := a.do(t, method, "/l/"+l.ID+"?lang=en", strings.NewReader("amount=10"), formHeader.Clone())
			if method == http.MethodPost {
				w = a.afterPost(t, w, formHeader)
			}
			doc, _ := goquery.NewDocumentFromReader(w.Body)
			if w.Code != code || !strings.Contains(doc.Find(`[data-testid="link-state"]`).Text(), want) || doc.Find("form[data-testid=link-form]").Length() != 0 {
				t.Errorf("%s %s = %d, state %q; want %d saying %q and no form", method, want, w.Code, doc.Find(`[data-testid="link-state"]`).Text(), code, want)
			}
		}
	}
	states := func(want string) { t.Helper(); statesCode(http.StatusGone, want) }
	// The one place is held by the open checkout: it may come back.
	statesCode(http.StatusConflict, "Someone is paying with this payment link right now")
	l2, _ := a.links.Create(ctx, payments.LinkInput{Currency: "NZD", Amount: "3.00", ExpiresAt: a.Clock.Now().Add(time.Hour)})
	l = l2
	if _, err := a.links.SetActive(ctx, l.ID, false); err != nil {
		t.Fatal(err)
	}
	states("switched this payment link off")
	if _, err := a.links.SetActive(ctx, l.ID, true); err != nil {
		t.Fatal(err)
	}
	a.Clock.Advance(time.Hour)
	states("has expired")
	if got, _ := a.links.Get(ctx, l.ID); got.Uses != 0 {
		t.Errorf("an unavailable link was used %d times", got.Uses)
	}
	if w := a.do(t, http.MethodGet, "/l/notalinkid", nil, nil); w.Code != http.StatusNotFound {
		t.Errorf("unknown link = %d, want 404", w.Code)
	}
}

// TestLinkQRAndPoster: the PNG decodes, the SVG is drawn from the same
// module matrix, the poster links its print stylesheet and both wallets
// in English and Chinese, an unknown paper size is refused, and the
// static QR's shopper page shows the shop's name large.
func TestLinkQRAndPoster(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	l, err := a.links.Create(t.Context(), payments.LinkInput{Source: payments.SourceStaticQR, Currency: "NZD", MinAmount: "0.01", MaxAmount: "5000"})
	if err != nil {
		t.Fatal(err)
	}
	w := a.do(t, http.MethodGet, "/admin/links/"+l.ID+"/qr.png", nil, withCookie(owner, nil))
	img, err := png.Decode(w.Body)
	if err != nil || img.Bounds().Dx() < 200 {
		t.Errorf("qr.png: %v, %v", err, img)
	}
	w = a.do(t, http.MethodGet, "/admin/links/"+l.ID+"/qr.svg", nil, withCookie(owner, nil))
	svg := w.Body.String()
	if w.Header().Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `) || strings.Count(svg, "h1v1h-1z") < 100 {
		t.Errorf("qr.svg = %s %.120s", w.Header().Get("Content-Type"), svg)
	}
	w = a.do(t, http.MethodGet, "/admin/links/"+l.ID+"/poster?size=A6&lang=zh-Hant", nil, withCookie(owner, nil))
	doc, _ := goquery.NewDocumentFromReader(w.Body)
	if w.Code != http.StatusOK || doc.Find(`[data-testid="poster"]`).AttrOr("data-size", "") != "A6" ||
		doc.Find(`[data-testid="accepted-en"]`).Text() != "WeChat Pay / Alipay accepted" ||
		doc.Find(`[data-testid="accepted-zh"]`).Text() != "支援微信支付 / 支付寶" ||
		!strings.HasSuffix(doc.Find(`link[rel=stylesheet]`).AttrOr("href", ""), "css/poster.css") ||
		doc.Find(`[data-testid="poster-shop"]`).Text() != "Test Shop" || doc.Find(`[data-testid="poster-static"]`).Text() != "掃碼，輸入金額，付款" {
		t.Errorf("poster = %d: %s", w.Code, doc.Find("main").Text())
	}
	if w := a.do(t, http.MethodGet, "/admin/links/"+l.ID+"/poster?size=A3", nil, withCookie(owner, nil)); w.Code != http.StatusBadRequest {
		t.Errorf("poster A3 = %d, want 400", w.Code)
	}
	w = a.do(t, http.MethodGet, "/l/"+l.ID, nil, nil)
	doc, _ = goquery.NewDocumentFromReader(w.Body)
	if w.Code != http.StatusOK || doc.Find(`[data-testid="shop-name"]`).Text() != "Test Shop" || doc.Find("input#amount").Length() != 1 {
		t.Errorf("static QR page = %d, shop name %q", w.Code, doc.Find(`[data-testid="shop-name"]`).Text())
	}
	r := a.do(t, http.MethodPost, "/l/"+l.ID, strings.NewReader("amount=3.20"), formHeader.Clone())
	p, err := a.Svc.Get(t.Context(), strings.TrimPrefix(r.Header().Get("Location"), "/checkout/"))
	if err != nil || p.Source != payments.SourceStaticQR || p.Amount != 320 {
		t.Errorf("static QR payment = %q %d, %v", p.Source, p.Amount, err)
	}
}

// TestAdminSettings: the page lists the configuration as given (masked
// upstream) and the check asks the simulator's wallet detail endpoint,
// listing the methods, and is audited.
func TestAdminSettings(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	w := a.do(t, http.MethodGet, "/admin/settings", nil, withCookie(owner, nil))
	doc, _ := goquery.NewDocumentFromReader(w.Body)
	if got := doc.Find(`[data-name="LATIPAY_API_KEY"] td`).Text(); got != "(set, 40 characters)" {
		t.Errorf("LATIPAY_API_KEY shows %q", got)
	}
	w = a.do(t, http.MethodGet, "/admin/settings?lang=zh-Hans", nil, withCookie(owner, nil))
	doc, _ = goquery.NewDocumentFromReader(w.Body)
	if got := doc.Find(`[data-name="LATIPAY_API_KEY"] td`).Text(); got != "（已设置，40 个字符）" {
		t.Errorf("LATIPAY_API_KEY shows %q in Simplified Chinese", got)
	}
	w = a.do(t, http.MethodPost, "/admin/settings/check", nil, withCookie(owner, nil))
	doc, _ = goquery.NewDocumentFromReader(w.Body)
	res := doc.Find(`[data-testid="wallet-result"]`)
	if w.Code != http.StatusOK || res.Length() != 3 || res.First().AttrOr("data-ok", "") != "true" ||
		!strings.Contains(res.First().Text(), "Methods enabled: Wechat, Alipay, UnionPay.") {
		t.Errorf("check = %d, %d wallets: %s", w.Code, res.Length(), res.Text())
	}
	audit, err := a.acc.Store().Audit(t.Context(), auditFilter("latipay"))
	if err != nil || len(audit) != 1 || audit[0].Action != "settings.check" {
		t.Errorf("audit of the check = %+v, %v", audit, err)
	}
}

func auditFilter(target string) accounts.AuditFilter {
	return accounts.AuditFilter{Target: target, Limit: 10}
}

// TestLinkShopperDoubleSubmit: the shopper's form posted twice with its
// key goes to the same checkout both times and counts one use of a
// one-use link.
func TestLinkShopperDoubleSubmit(t *testing.T) {
	a := newAdminApp(t)
	l, err := a.links.Create(t.Context(), payments.LinkInput{Currency: "NZD", Amount: "4.00", MaxUses: "1"})
	if err != nil {
		t.Fatal(err)
	}
	w := a.do(t, http.MethodGet, "/l/"+l.ID, nil, nil)
	doc, _ := goquery.NewDocumentFromReader(w.Body)
	key := doc.Find(`input[name="key"]`).AttrOr("value", "")
	if len(key) < 16 {
		t.Fatalf("the form's key is %q", key)
	}
	var to []string
	for i := 0; i < 2; i++ {
		w := a.do(t, http.MethodPost, "/l/"+l.ID, strings.NewReader(url.Values{"key": {key}}.Encode()), formHeader.Clone())
		if w.Code != http.StatusSeeOther {
			t.Fatalf("submission %d = %d: %.200s", i+1, w.Code, w.Body)
		}
		to = append(to, w.Header().Get("Location"))
	}
	if to[0] != to[1] || !strings.HasPrefix(to[0], "/checkout/pay_") {
		t.Errorf("two submissions went to %q and %q, want the same checkout", to[0], to[1])
	}
	if got, _ := a.links.Get(t.Context(), l.ID); got.Uses != 1 {
		t.Errorf("uses = %d, want 1", got.Uses)
	}
}

// TestAdminLinksPages: the back office lists links a page at a time,
// newest first; "Older links" pages on, in the language the page is in,
// with no link missed or shown twice, and the last page links back to
// the newest.
func TestAdminLinksPages(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	const n = 103
	for i := range n {
		if _, err := a.links.Create(t.Context(), payments.LinkInput{Currency: "NZD", Amount: fmt.Sprintf("%d.00", i+1)}); err != nil {
			t.Fatal(err)
		}
		a.Clock.Advance(time.Second)
	}
	page := func(path string) *goquery.Document {
		t.Helper()
		w := a.do(t, http.MethodGet, path, nil, withCookie(owner, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, w.Code)
		}
		return mustDoc(t, w)
	}
	seen := map[string]bool{}
	rows := func(doc *goquery.Document) int {
		n := 0
		doc.Find(`[data-testid="link-row"]`).Each(func(_ int, r *goquery.Selection) {
			id, _ := r.Attr("data-id")
			if seen[id] {
				t.Errorf("link %s listed twice", id)
			}
			seen[id] = true
			n++
		})
		return n
	}
	first := page("/admin/links?lang=zh-Hans")
	if got := rows(first); got != 100 {
		t.Errorf("the first page lists %d links, want 100", got)
	}
	if amount := first.Find(`[data-testid="link-row"] td.num`).First().Text(); !strings.Contains(amount, "103.00") {
		t.Errorf("the first row's amount is %q, want the newest link's 103.00", amount)
	}
	older := first.Find(`[data-testid="links-older"]`)
	href, _ := older.Attr("href")
	if older.Text() != "更早的付款链接" || !strings.Contains(href, "lang=zh-Hans") || first.Find(`[data-testid="links-newest"]`).Length() != 0 {
		t.Fatalf("the first page's pager: older %q to %q, newest %d", older.Text(), href, first.Find(`[data-testid="links-newest"]`).Length())
	}
	last := page(href)
	if got := rows(last); got != 3 {
		t.Errorf("the last page lists %d links, want 3", got)
	}
	if last.Find(`[data-testid="links-older"]`).Length() != 0 || last.Find(`[data-testid="links-newest"]`).Length() != 1 {
		t.Error("the last page should link to the newest links and no older page")
	}
	if len(seen) != n {
		t.Errorf("the pages listed %d distinct links, want %d", len(seen), n)
	}
	if w := a.do(t, http.MethodGet, "/admin/links?before=nonsense", nil, withCookie(owner, nil)); w.Code != http.StatusNotFound {
		t.Errorf("a page after no link = %d, want 404", w.Code)
	}
}

// openLink is a shopper opening a stored link's page and paying from it:
// the id of the payment its checkout shows.
func (a *adminApp) openLink(t *testing.T, linkID string) string {
	t.Helper()
	doc := mustDoc(t, a.do(t, http.MethodGet, "/l/"+linkID, nil, nil))
	key := doc.Find(`input[name="key"]`).AttrOr("value", "")
	w := a.do(t, http.MethodPost, "/l/"+linkID, strings.NewReader(url.Values{"key": {key}}.Encode()), formHeader.Clone())
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/checkout/pay_") {
		t.Fatalf("paying from the link = %d to %q: %.300s", w.Code, loc, w.Body)
	}
	return strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/checkout/")
}

// TestLinkUseGivenBackOnExpiry: a 1-use link's checkout holds its place
// only while it is open. Shopper A opens it and starts paying, and leaves;
// the payment expires and shopper B can then pay through the link. A pays
// late (Latipay confirms A's QR after the expiry): the money counts too,
// and the back office says 2 of 1 paid, one beyond the maximum, in each
// language, with no checkout open. The link is used up for a third
// shopper.
func TestLinkUseGivenBackOnExpiry(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	l, err := a.links.Create(ctx, payments.LinkInput{Currency: "NZD", Amount: "12.50", MaxUses: "1"})
	if err != nil {
		t.Fatal(err)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	detail := func(lang string) *goquery.Document {
		return a.ownerDoc(t, owner, "/admin/links/"+l.ID+"?lang="+lang, http.StatusOK)
	}

	first := a.openLink(t, l.ID)
	refA := a.mustStartQR(t, first)
	doc := detail("en")
	if paid, open := doc.Find(`[data-testid="link-uses"]`).Text(), doc.Find(`[data-testid="link-open"]`).Text(); paid != "0 / 1" || open != "1" {
		t.Errorf("with A's checkout open the link shows %q paid, %q open; want 0 / 1 and 1", paid, open)
	}
	// A's open checkout holds the one place: another shopper reads that
	// someone is paying and to come back, and the back office that the
	// link is full of open checkouts, not used up.
	for lang, want := range map[string][2]string{
		"en":      {"Someone is paying with this payment link right now", "Full of open checkouts"},
		"zh-Hans": {"此付款链接正有人在付款", "名额已被进行中的付款占满"},
		"zh-Hant": {"此付款連結正有人在付款", "名額已被進行中的付款佔滿"},
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			w := a.do(t, method, "/l/"+l.ID+"?lang="+lang, strings.NewReader("key=second-shopper-key-"+lang), formHeader.Clone())
			if method == http.MethodPost {
				w = a.afterPost(t, w, formHeader)
			}
			if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), want[0]) {
				t.Errorf("%s %s: the link while A's checkout is open = %d, want 409 saying %q", lang, method, w.Code, want[0])
			}
		}
		st := detail(lang).Find(`[data-testid="link-state"]`)
		if state, _ := st.Attr("data-state"); state != "busy" || !strings.Contains(st.Text(), want[1]) {
			t.Errorf("%s: the link's state while A's checkout is open = %s %q; want busy %q", lang, state, st.Text(), want[1])
		}
	}
	if got, _ := a.links.Get(ctx, l.ID); got.Uses != 1 {
		t.Errorf("the refused shoppers took places: uses %d, want 1", got.Uses)
	}

	a.Clock.Advance(16 * time.Minute)
	a.page(t, first) // A comes back to the checkout: it has expired
	if p := a.MustGet(t, first); p.Status != payments.StatusExpired {
		t.Fatalf("A's payment after its window = %s, want expired", p.Status)
	}
	second := a.openLink(t, l.ID)
	refB := a.mustStartQR(t, second)
	if err := a.Sim.Pay(refB); err != nil {
		t.Fatal(err)
	}
	a.WaitStatus(t, second, payments.StatusPaid)
	if err := a.Sim.Pay(refA); err != nil {
		t.Fatal(err)
	}
	if p := a.WaitStatus(t, first, payments.StatusPaid); !p.PaidLate {
		t.Errorf("A's payment after its expiry is paid, late %v; want paid late", p.PaidLate)
	}

	got, err := a.links.Get(ctx, l.ID)
	if err != nil || got.Paid != 2 || got.Open() != 0 {
		t.Errorf("link after both paid: paid %d, open %d, %v; want 2, 0", got.Paid, got.Open(), err)
	}
	for lang, over := range map[string]string{"en": "1 more than the maximum", "zh-Hans": "超出上限 1 笔", "zh-Hant": "超出上限 1 筆"} {
		doc := detail(lang)
		paid, open := doc.Find(`[data-testid="link-uses"]`).Text(), doc.Find(`[data-testid="link-open"]`).Text()
		if note := doc.Find(`[data-testid="link-over"]`).Text(); paid != "2 / 1" || open != "0" || !strings.Contains(note, over) {
			t.Errorf("%s: the link shows %q paid, %q open, note %q; want 2 / 1, 0 and %q", lang, paid, open, note, over)
		}
	}
	row := a.ownerDoc(t, owner, "/admin/links?lang=en", http.StatusOK).Find(`[data-testid="link-row"] td.num`)
	if row.Eq(1).Text() != "2 / 1" || row.Eq(2).Text() != "0" {
		t.Errorf("the list's row shows %q paid, %q open; want 2 / 1 and 0", row.Eq(1).Text(), row.Eq(2).Text())
	}
	if w := a.afterPost(t, a.do(t, http.MethodPost, "/l/"+l.ID+"?lang=en", strings.NewReader("key=third-shopper-key"), formHeader.Clone()), formHeader); w.Code != http.StatusGone ||
		!strings.Contains(w.Body.String(), "as many times as the shop allows") {
		t.Errorf("a third shopper = %d, want 410 used up", w.Code)
	}
}

// TestLinkFailedRestart: a failed payment gives its link's place back.
// When another shopper has taken it, starting the failed payment again is
// refused, saying another checkout took the place, offers no method and
// asks nothing of Latipay;
// once that shopper's payment has failed too, the first starts again and
// holds the place.
func TestLinkFailedRestart(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	l, err := a.links.Create(ctx, payments.LinkInput{Currency: "NZD", Amount: "12.50", MaxUses: "1"})
	if err != nil {
		t.Fatal(err)
	}
	first := a.openLink(t, l.ID)
	if err := a.Sim.Fail(a.mustStartQR(t, first)); err != nil {
		t.Fatal(err)
	}
	a.WaitStatus(t, first, payments.StatusFailed)
	a.Clock.Advance(time.Minute)
	second := a.openLink(t, l.ID)
	refB := a.mustStartQR(t, second)
	ledger := len(a.Sim.Ledger())
	w := a.afterPost(t, a.start(t, first, "wechat", desktopUA), http.Header{"User-Agent": {desktopUA}})
	doc := mustDoc(t, w)
	if w.Code != http.StatusConflict || !strings.Contains(doc.Find(`[data-testid="error-message"]`).Text(), "another checkout has taken this payment link's place") {
		t.Errorf("starting the failed payment again with the place taken = %d %q, want 409 saying another checkout took the place",
			w.Code, doc.Find(`[data-testid="error-message"]`).Text())
	}
	if n := doc.Find(`button[name="method"]`).Length(); n != 0 || strings.Contains(doc.Text(), "You can try again") {
		t.Errorf("the refused start's page offers %d methods (or says to try again); want none", n)
	}
	if n := len(a.Sim.Ledger()); n != ledger {
		t.Errorf("the refused start made %d transactions at Latipay, want none", n-ledger)
	}
	if p := a.MustGet(t, first); p.Status != payments.StatusFailed {
		t.Errorf("after the refused start the payment is %s, want failed", p.Status)
	}
	if err := a.Sim.Fail(refB); err != nil {
		t.Fatal(err)
	}
	a.WaitStatus(t, second, payments.StatusFailed)
	refA := a.mustStartQR(t, first)
	if got, _ := a.links.Get(ctx, l.ID); got.Uses != 1 || got.Open() != 1 {
		t.Errorf("link with the first payment started again: uses %d, open %d; want 1, 1", got.Uses, got.Open())
	}
	if w := a.afterPost(t, a.start(t, second, "wechat", desktopUA), http.Header{"User-Agent": {desktopUA}}); w.Code != http.StatusConflict {
		t.Errorf("the second failed payment started again = %d, want 409 taken", w.Code)
	}
	if err := a.Sim.Pay(refA); err != nil {
		t.Fatal(err)
	}
	a.WaitStatus(t, first, payments.StatusPaid)
	if got, _ := a.links.Get(ctx, l.ID); got.Uses != 1 || got.Paid != 1 {
		t.Errorf("link after the first paid: uses %d, paid %d; want 1, 1", got.Uses, got.Paid)
	}
	// Now the link is used up, not taken: the second payment started
	// again says so, in the link page's words for a used-up link, and
	// offers no method.
	ledger = len(a.Sim.Ledger())
	for _, lang := range []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese} {
		loc := a.localizer(t, lang)
		w := a.do(t, "POST", "/checkout/"+second+"/start?lang="+lang, strings.NewReader(url.Values{"method": {"wechat"}}.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}, "User-Agent": {desktopUA}})
		w = a.afterPost(t, w, http.Header{"User-Agent": {desktopUA}})
		doc := mustDoc(t, w)
		msg := strings.TrimSpace(doc.Find(`[data-testid="error-message"]`).Text())
		if want := loc.T("links.state.msg.usedup"); w.Code != http.StatusGone || msg != want {
			t.Errorf("%s: the second failed payment started again on the used-up link = %d %q, want 410 %q", lang, w.Code, msg, want)
		}
		if n := doc.Find(`button[name="method"]`).Length(); n != 0 {
			t.Errorf("%s: the used-up link's refused start offers %d methods, want none", lang, n)
		}
	}
	if n := len(a.Sim.Ledger()); n != ledger {
		t.Errorf("the refused starts made %d transactions at Latipay, want none", n-ledger)
	}
}

// TestLinkRefundKeepsItsPlace: a 1-use link's payment refunded in full
// still counts as a payment made: the link stays used up (a refund gives
// no place back, payments/paylinks.go), a new shopper is told so, and the
// link's page says the rule beside "1 / 1" in each language.
func TestLinkRefundKeepsItsPlace(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	l, err := a.links.Create(ctx, payments.LinkInput{Currency: "NZD", Amount: "12.50", MaxUses: "1"})
	if err != nil {
		t.Fatal(err)
	}
	id := a.openLink(t, l.ID)
	if err := a.Sim.Pay(a.mustStartQR(t, id)); err != nil {
		t.Fatal(err)
	}
	a.WaitStatus(t, id, payments.StatusPaid)
	if _, _, err := a.Svc.Refund(ctx, payments.RefundInput{PaymentID: id, All: true, Key: "refund-all"}); err != nil {
		t.Fatalf("Refund: %v", err)
	}
	a.WaitStatus(t, id, payments.StatusRefunded)

	if got, _ := a.links.Get(ctx, l.ID); got.Paid != 1 || got.Uses != 1 || got.State(a.links.Now()) != payments.ErrLinkUsedUp {
		t.Errorf("link after its payment was refunded: paid %d, uses %d, state %v; want 1, 1, used up", got.Paid, got.Uses, got.State(a.links.Now()))
	}
	w := a.afterPost(t, a.do(t, http.MethodPost, "/l/"+l.ID+"?lang=en", strings.NewReader("key=next-shopper"), formHeader.Clone()), formHeader)
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "as many times as the shop allows") {
		t.Errorf("a shopper after the refund = %d, want 410 used up", w.Code)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for _, lang := range []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese} {
		doc := a.ownerDoc(t, owner, "/admin/links/"+l.ID+"?lang="+lang, http.StatusOK)
		want := a.localizer(t, lang).T("links.admin.used.refunds")
		if uses, rule := doc.Find(`[data-testid="link-uses"]`).Text(), strings.TrimSpace(doc.Find(`[data-testid="link-refund-rule"]`).Text()); uses != "1 / 1" || rule != want {
			t.Errorf("%s: the link's page shows %q paid and rule %q; want 1 / 1 and %q", lang, uses, rule, want)
		}
		if state, _ := doc.Find(`[data-testid="link-state"]`).Attr("data-state"); state != "usedup" {
			t.Errorf("%s: the link's state = %q, want usedup", lang, state)
		}
	}
}
