package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// TestAdminSameReference: a create sent twice without an Idempotency-Key
// makes two payable payments of one order. Each one's page says another
// payment has its reference, in each language, and links to the list
// filtered to exactly that reference, which shows the two and nothing
// else (not a payment whose reference only contains it). Once one is
// paid, the other's page says an order with its reference is already
// paid; once both are, each page asks whether the order was paid twice.
// A payment whose reference no other has shows no notice.
func TestAdminSameReference(t *testing.T) {
	a := newAdminApp(t)
	body := strings.Replace(createBody, "ORDER-1", "ORDER-77", 1)
	first := a.mustCreate(t, body)
	a.Clock.Advance(time.Second)
	second := a.mustCreate(t, body)
	a.Clock.Advance(time.Second)
	alone := a.mustCreate(t, strings.Replace(createBody, "ORDER-1", "ORDER-778", 1))
	_, owner := a.signIn(t, "owner@shop.example", adminPW)

	notice := func(id, lang string) *goquery.Selection {
		t.Helper()
		return a.ownerDoc(t, owner, "/admin/payments/"+id+"?lang="+lang, http.StatusOK).Find(`[data-testid="same-reference"]`)
	}
	langs := []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese}
	for _, lang := range langs {
		loc := a.localizer(t, lang)
		for _, id := range []string{first.ID, second.ID} {
			n := notice(id, lang)
			text := strings.Join(strings.Fields(n.Text()), " ")
			if n.Length() != 1 || n.AttrOr("data-others", "") != "1" || n.AttrOr("data-paid", "") != "0" ||
				!strings.Contains(text, loc.T("admin.detail.sameref", 1)) || strings.Contains(text, loc.T("admin.detail.sameref.paidtwice")) {
				t.Errorf("%s: %s's notice %q (%d, others %s), want one other, none paid", lang, id, text, n.Length(), n.AttrOr("data-others", ""))
			}
		}
		if n := notice(alone.ID, lang); n.Length() != 0 {
			t.Errorf("%s: a payment no other shares its reference with shows %q", lang, n.Text())
		}
	}
	href := notice(first.ID, "en").Find(`[data-testid="same-reference-list"]`).AttrOr("href", "")
	if !strings.HasPrefix(href, "/admin/payments?") {
		t.Fatalf("the notice links to %q, want the payments list", href)
	}
	var listed []string
	a.ownerDoc(t, owner, href, http.StatusOK).Find(`[data-testid="payment-row"]`).Each(func(_ int, s *goquery.Selection) {
		listed = append(listed, s.AttrOr("data-id", ""))
	})
	if strings.Join(listed, " ") != second.ID+" "+first.ID {
		t.Errorf("the list the notice links to shows %v, want exactly %s and %s", listed, second.ID, first.ID)
	}

	pay := func(id string) {
		t.Helper()
		st := a.MustStart(t, id, payments.MethodWeChat, payments.DeviceDesktop)
		if err := a.Sim.Pay(st.Attempt.Reference); err != nil {
			t.Fatal(err)
		}
		a.WaitStatus(t, id, payments.StatusPaid)
	}
	pay(first.ID)
	for _, lang := range langs {
		loc := a.localizer(t, lang)
		n := notice(second.ID, lang)
		if n.AttrOr("data-paid", "") != "1" || n.Find(`[data-testid="same-reference-other-paid"]`).Text() != loc.T("admin.detail.sameref.otherpaid") {
			t.Errorf("%s: the unpaid payment's notice %q, want it to say the other is paid", lang, n.Text())
		}
	}
	pay(second.ID)
	for _, lang := range langs {
		loc := a.localizer(t, lang)
		for _, id := range []string{first.ID, second.ID} {
			n := notice(id, lang)
			if got := n.Find(`[data-testid="same-reference-paid-twice"]`).Text(); got != loc.T("admin.detail.sameref.paidtwice") {
				t.Errorf("%s: %s paid with another of its reference says %q, want %q", lang, id, got, loc.T("admin.detail.sameref.paidtwice"))
			}
		}
	}
}
