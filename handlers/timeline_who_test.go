package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/views"
)

// timelineRow is one row of a payment's timeline as the page shows it.
type timelineRow struct{ when, who, detail, code string }

func timelineRows(doc *goquery.Document) []timelineRow {
	var rows []timelineRow
	doc.Find(`[data-testid="timeline-item"]`).Each(func(_ int, s *goquery.Selection) {
		rows = append(rows, timelineRow{strings.TrimSpace(s.Find(".when").Text()), strings.TrimSpace(s.Find(".who").Text()),
			strings.TrimSpace(s.Find(".detail").Text()), strings.TrimSpace(s.Find(`[data-testid="timeline-code"]`).Text())})
	})
	return rows
}

// TestTimelineSaysWhoMadeTillSale: a counter sale's creation and its
// attempt are the cashier's, not the system's or the shopper's; an
// attempt the cashier canceled later says when it started and when it
// ended, so the cancel does not read as the attempt's start.
func TestTimelineSaysWhoMadeTillSale(t *testing.T) {
	a := newAdminApp(t)
	dev := a.readyDevice(t)
	sale := mustJSON[counterSaleJSON](t, a.charge(t, dev, "who-key-000000000000001", "12.00", "wechat"))
	start := a.Clock.Now()
	a.Clock.Advance(3 * time.Minute)
	if w := a.do(t, http.MethodPost, "/counter/sales/"+sale.ID+"/cancel", nil, withCookie(dev, jsonAccept)); w.Code != http.StatusOK {
		t.Fatalf("cancel = %d %s", w.Code, w.Body)
	}
	end := a.Clock.Now()
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	zone := time.UTC // the shop's zone in newAdminApp
	for lang, who := range map[string]string{"en": "by the cashier", "zh-Hans": "收银员", "zh-Hant": "收銀員"} {
		rows := timelineRows(a.ownerDoc(t, owner, "/admin/payments/"+sale.ID+"?lang="+lang, http.StatusOK))
		var created, attempt *timelineRow
		for i, r := range rows {
			switch {
			case r.code == "payment.created":
				created = &rows[i]
			case r.code == "attempt":
				attempt = &rows[i]
			}
		}
		if created == nil || attempt == nil {
			t.Fatalf("%s: no creation or attempt row in %v", lang, rows)
		}
		for _, r := range []*timelineRow{created, attempt} {
			if !strings.Contains(r.who, who) || !strings.Contains(r.who, "cashier@shop.example") && !strings.Contains(r.who, "Cashier") {
				t.Errorf("%s: %s row is %q, want the cashier", lang, r.code, r.who)
			}
		}
		startAt, endAt := start.In(zone).Format("15:04:05"), end.In(zone).Format("15:04:05")
		if !strings.Contains(attempt.detail, startAt) || !strings.Contains(attempt.detail, endAt) {
			t.Errorf("%s: the canceled attempt says %q, want its start %s and its end %s", lang, attempt.detail, startAt, endAt)
		}
	}
}

// TestTimelineSaysAPIRefundRefusal: a refund the merchant API asked for
// and Latipay refused (559) says so on the timeline in the words the API
// gives, in the page's language, and is the merchant API's; the payment
// made through the API is the merchant API's too.
func TestTimelineSaysAPIRefundRefusal(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	a.Sim.SetFaults(latipaysim.Faults{RefundCode: 559})
	if w := a.api(t, http.MethodPost, "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"2.00"}`, nil); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("refused refund = %d %s", w.Code, w.Body)
	}
	a.Sim.SetFaults(latipaysim.Faults{})
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for lang, want := range map[string][2]string{
		"en":      {"by the merchant API", "wallet holds too little money"},
		"zh-Hans": {"商户 API", "钱包余额不足"},
		"zh-Hant": {"商戶 API", "錢包餘額不足"},
	} {
		rows := timelineRows(a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"?lang="+lang, http.StatusOK))
		seen := map[string]bool{}
		for _, r := range rows {
			switch r.code {
			case "payment.created", "refund.requested":
				seen[r.code] = true
				if r.who != want[0] {
					t.Errorf("%s: %s row is %q, want %q", lang, r.code, r.who, want[0])
				}
			case "refund.failed":
				seen[r.code] = true
				if !strings.Contains(r.detail, "559") || !strings.Contains(r.detail, want[1]) {
					t.Errorf("%s: refused refund says %q, want the code and %q", lang, r.detail, want[1])
				}
			}
		}
		if len(seen) != 3 {
			t.Errorf("%s: rows %v", lang, rows)
		}
	}
}

// TestTimelineSaysWhichLinkMadePayment: the creation row of a payment
// made through a stored payment link names that link by its description
// in the page's language; one made through a static QR or a link without
// a description names it as the links list shows it, by its kind and
// amount ("by the static counter QR (NZD 1.00 - 500.00)"), never by its
// id, which nobody recognises; one made through a signed /pay link says
// so; none says "by the system".
func TestTimelineSaysWhichLinkMadePayment(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	link, err := a.links.Create(ctx, payments.LinkInput{Currency: "NZD", Amount: "8.50",
		Descriptions: map[string]string{"en": "Market stall flat white", "zh-Hans": "市集摊位白咖啡", "zh-Hant": "市集攤位白咖啡"}})
	if err != nil {
		t.Fatal(err)
	}
	qr, err := a.links.Create(ctx, payments.LinkInput{Source: payments.SourceStaticQR, Currency: "NZD", MinAmount: "1.00", MaxAmount: "500.00"})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := a.links.Create(ctx, payments.LinkInput{Currency: "NZD", Amount: "6.20"})
	if err != nil {
		t.Fatal(err)
	}
	fromLink := a.openLink(t, link.ID)
	fromPlain := a.openLink(t, plain.ID)
	doc := mustDoc(t, a.do(t, http.MethodGet, "/l/"+qr.ID, nil, nil))
	form := url.Values{"key": {doc.Find(`input[name="key"]`).AttrOr("value", "")}, "amount": {"23.40"}}
	w := a.do(t, http.MethodPost, "/l/"+qr.ID, strings.NewReader(form.Encode()), formHeader.Clone())
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/checkout/pay_") {
		t.Fatalf("paying through the static QR = %d to %q: %.300s", w.Code, loc, w.Body)
	}
	fromQR := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/checkout/")
	w = a.do(t, http.MethodGet, signedLink(linkQuery("SIGNED-7", "4.00")), nil, nil)
	loc = w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/checkout/pay_") {
		t.Fatalf("signed link = %d to %q", w.Code, loc)
	}
	fromSigned := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/checkout/")

	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for _, lang := range []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese} {
		l := a.localizer(t, lang)
		for _, c := range []struct{ id, want string }{
			{fromLink, l.T("adminlist.who.link", link.Description(lang))},
			{fromQR, l.T("adminlist.who.static_qr_amount", "NZD 1.00 - 500.00")},
			{fromPlain, l.T("adminlist.who.link_amount", "NZD 6.20")},
			{fromSigned, l.T("adminlist.who.signed_link")},
		} {
			var created *timelineRow
			rows := timelineRows(a.ownerDoc(t, owner, "/admin/payments/"+c.id+"?lang="+lang, http.StatusOK))
			for i, r := range rows {
				if r.code == "payment.created" {
					created = &rows[i]
				}
			}
			if created == nil {
				t.Fatalf("%s: %s has no creation row in %v", lang, c.id, rows)
			}
			if created.who != c.want || strings.Contains(created.who, l.T("adminlist.who.system")) ||
				strings.Contains(created.who, qr.ID) || strings.Contains(created.who, plain.ID) {
				t.Errorf("%s: %s's creation row is %q, want %q", lang, c.id, created.who, c.want)
			}
		}
	}
}
