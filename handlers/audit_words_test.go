package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/views"
)

// auditParams are the texts the entries below carry as they are: ids,
// emails, amounts, addresses, device and counter names, filters and
// times, and the names that stay in English in every language.
var auditParams = strings.NewReplacer("owner@shop.example", "", "cashier@shop.example", "", "new@shop.example", "",
	"gone@shop.example", "", "203.0.113.9", "", "Firefox", "", "Till one", "", "status=paid", "", "from=2026-03-01", "",
	"wechat,alipay", "", "2026-03-02 10:00 NZDT", "", "Latipay", "", "NZD", "", "PIN", "", "CSV", "", "JSON", "", "API", "",
	"Webhook", "")

// TestAuditLogInReadersLanguage: on the Chinese back office the audit
// log names every action the app records, and says what each recorded
// before and after, in the page's language: with the parameters taken
// out, no English word is left, in the rows or in the filter. The
// filter offers every action by its name and still filters by code; an
// action this build does not know shows as its code.
func TestAuditLogInReadersLanguage(t *testing.T) {
	a := newAdminApp(t)
	ctx := t.Context()
	// Through the real flows: signin, signin.failed, account.create (the
	// app's two accounts) and refund.
	a.signIn(t, "cashier@shop.example", "wrong password!")
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	p := a.mustPaid(t)
	if w := a.post(t, "/admin/payments/"+p.ID+"/refund", url.Values{"key": {"k1"}, "amount": {"2.00"}}, owner); w.Code != http.StatusSeeOther {
		t.Fatalf("refund = %d", w.Code)
	}
	// The rest as their places record them.
	who := accounts.Actor{AccountID: "acc_o", Email: "owner@shop.example", Address: "203.0.113.9", Device: "Firefox"}
	for _, e := range [][4]string{
		{"setup", "acc_o", "", "owner"},
		{"signin", "acc_o", "", "two-step code"},
		{"signin", "acc_o", "", "two-step recovery code"},
		{"signin.failed", "acc_o", "", "locked"},
		{"signin.failed", "acc_o", "", "locked now"},
		{"signin.failed", "acc_o", "", "two-step: " + accounts.ErrBadCode.Error()},
		{"signin.failed", "acc_o", "", "two-step: " + accounts.ErrCodeUsed.Error()},
		{"signin.failed", "acc_o", "", "reauth"},
		{"signin.failed", "acc_o", "", "reauth: locked now"},
		{"signin.failed", "acc_o", "", "reauth: two-step: " + accounts.ErrLocked.Error()},
		{"signin.failed", "acc_o", "", "password"},
		{"signin.failed", "acc_o", "", "password: locked now"},
		{"signin.failed", "acc_o", "", accounts.KnownDevice},
		{"signin.failed", "acc_o", "", "locked; " + accounts.KnownDevice},
		{"signin.failed", "acc_o", "", "locked now; " + accounts.KnownDevice},
		{"signin.failed", "acc_o", "", "two-step: " + accounts.ErrBadCode.Error() + "; " + accounts.KnownDevice},
		{"signin.failed", "acc_o", "", "reauth; " + accounts.KnownDevice},
		{"signin.failed", "acc_o", "", "password: locked now; " + accounts.KnownDevice},
		{"signout", "acc_o", "", ""},
		{"account.password", "acc_o", "", "password changed, 2 other sessions ended"},
		{"account.invite", "acc_n", "", "new@shop.example cashier"},
		{"account.accept", "acc_n", "invited", "password set"},
		{"account.reset_access", "acc_n", "password and two-step", "password, sessions ended"},
		{"account.reset_access", "acc_n", "invited", "invited, sessions ended"},
		{"account.reset_password", "acc_n", "password", "password, two-step off"},
		{"account.reset_password", "acc_o", "", "demo owner"},
		{"account.role", "acc_n", "cashier", "owner"},
		{"account.remove", "acc_g", "gone@shop.example cashier", ""},
		{"session.revoke", "acc_n", "203.0.113.9 Firefox", ""},
		{"session.revoke_all", "acc_n", "", ""},
		{"session.end_all", "", "", "3 sessions ended, 1 counters locked"},
		{"session.end_all", "", "", "3 sessions ended, 2 two-step sign-ins ended, 1 counters locked"},
		{"session.end_all", "", "", "3 sessions ended, 2 two-step sign-ins ended, 1 counters locked, 4 trusted devices voided"},
		{"totp.enable", "acc_o", "two-step off", "two-step on"},
		{"totp.disable", "acc_o", "two-step on", "two-step off"},
		{"refund", p.ID, "refunded 1.00", "refund rf_old"}, // recorded before succeeded and pending were apart
		{"refund", p.ID, "succeeded 2.00", "refund rf_down not sent: Latipay could not be reached; nothing was refunded"},
		{"cancel", p.ID, "", "canceled"},
		{"requery", p.ID, "pending", "paid"},
		{"webhook.redeliver", p.ID, "whd_a1", "whd_b2 delivered"},
		{"export.csv", "payments", "", "status=paid"},
		{"export.json", "payments", "", ""},
		{"export.report", "reports", "", "from=2026-03-01"},
		{"export.audit.csv", "audit", "", ""},
		{"export.audit.json", "audit", "", ""},
		{"settings.check", "latipay", "", "NZD: ok wechat,alipay; NZD: unreachable; NZD: bad_key; NZD: unknown_user; NZD: not_users; NZD: other"},
		{"link.create", "lnk_1", "", `link NZD 12.50, uses 0 / 5, expires "2026-03-02 10:00 NZDT"`},
		{"link.create", "lnk_2", "", `static_qr NZD 1.00 - 50.00, uses 0, expires ""`},
		{"link.active", "lnk_1", "active=true", "active=false"},
		{"counter.pairing", "", "", "Till one"},
		{"counter.pair", "dev_1", "", "Till one"},
		{"counter.pin.set", "acc_n", "", ""},
		{"counter.unlock", "dev_1", "", "Till one"},
		{"counter.unlock.failed", "dev_1", "", ""},
		{"counter.unlock.failed", "dev_1", "", "pin locked"},
		{"counter.revoke", "dev_1", "", "Till one"},
		{"counter.lock", "dev_1", "", "Till one"},
		{"counter.lock", "dev_1", "", "Till one, unlocked by cashier@shop.example: account removed"},
		{"counter.lock", "dev_1", "", "Till one, unlocked by cashier@shop.example: access reset"},
		{"counter.lock", "dev_1", "", "Till one, unlocked by cashier@shop.example: role changed"},
		{"counter.lock", "dev_1", "", "Till one, unlocked by cashier@shop.example: password changed"},
		{"counter.lock", "dev_1", "", "Till one, unlocked by cashier@shop.example: signed out everywhere"},
		{"counter.lock", "dev_1", "", "Till one, unlocked by cashier@shop.example: password reset"},
		{"counter.delay", "dev_1", "5", "9"},
		{"display.pair", "dsp_1", "", "Till one"},
		{"display.revoke", "dsp_1", "", "Till one"},
	} {
		if err := a.acc.Record(ctx, who, e[0], e[1], e[2], e[3]); err != nil {
			t.Fatal(err)
		}
	}
	es, err := a.acc.Store().Audit(ctx, accounts.AuditFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var recorded []string
	for _, e := range es {
		if !slices.Contains(recorded, e.Action) {
			recorded = append(recorded, e.Action)
		}
	}
	for _, lang := range []string{views.LangSimplifiedChinese, views.LangTraditionalChinese} {
		doc := a.ownerDoc(t, owner, "/admin/audit?lang="+lang, http.StatusOK)
		var offered []string
		doc.Find(`#action option`).Each(func(_ int, s *goquery.Selection) {
			v, _ := s.Attr("value")
			if v == "" {
				return
			}
			offered = append(offered, v)
			if w := englishWord.FindString(auditParams.Replace(s.Text())); w != "" {
				t.Errorf("%s: English %q in the filter's %s: %q", lang, w, v, s.Text())
			}
		})
		for _, act := range recorded {
			if !slices.Contains(offered, act) {
				t.Errorf("%s: the filter does not offer %q", lang, act)
			}
		}
		seen := map[string]bool{}
		// Every page of the log (50 entries a page), through its next link.
		rows := doc.Find(`[data-testid="audit-row"]`)
		for next, page := doc.Find(`[data-testid="audit-next"]`).AttrOr("href", ""), 1; next != "" && page < 10; page++ {
			d := a.ownerDoc(t, owner, next, http.StatusOK)
			rows = rows.AddSelection(d.Find(`[data-testid="audit-row"]`))
			next = d.Find(`[data-testid="audit-next"]`).AttrOr("href", "")
		}
		rows.Each(func(_ int, s *goquery.Selection) {
			act, _ := s.Attr("data-action")
			seen[act] = true
			tds := s.Find("td")
			for _, i := range []int{2, 4} {
				txt := strings.Join(strings.Fields(tds.Eq(i).Text()), " ")
				rest := ids.ReplaceAllString(txt, "")
				rest = auditIDs.ReplaceAllString(auditParams.Replace(rest), "")
				if w := englishWord.FindString(rest); w != "" {
					t.Errorf("%s: English %q in the %s row: %q", lang, w, act, txt)
				}
			}
		})
		for _, act := range recorded {
			if !seen[act] {
				t.Errorf("%s: no row for %q", lang, act)
			}
		}
		// The filter still works by code, and names the action chosen.
		doc = a.ownerDoc(t, owner, "/admin/audit?action=link.active&lang="+lang, http.StatusOK)
		rows = doc.Find(`[data-testid="audit-row"]`)
		if act, _ := rows.Attr("data-action"); rows.Length() != 1 || act != "link.active" {
			t.Errorf("%s: filtered on link.active: %d rows, the first %q", lang, rows.Length(), act)
		}
		if sel := doc.Find(`#action option[selected]`); sel.AttrOr("value", "") != "link.active" || sel.Text() != a.localizer(t, lang).T("audit.action.link.active") {
			t.Errorf("%s: the filter chose %q (%q)", lang, sel.AttrOr("value", ""), sel.Text())
		}
	}
	// An action this build does not know shows as its code.
	if err := a.acc.Record(ctx, who, "future.thing", "x", "", "done"); err != nil {
		t.Fatal(err)
	}
	doc := a.ownerDoc(t, owner, "/admin/audit?action=future.thing&lang=zh-Hans", http.StatusOK)
	if got := doc.Find(`[data-testid="audit-row"] td`).Eq(2).Text(); strings.TrimSpace(got) != "future.thing" {
		t.Errorf("an unknown action reads %q, want its code", got)
	}
}

// auditIDs are the account, link, device and payment ids the entries name.
var auditIDs = regexp.MustCompile(`\b(acc|lnk|dev|pay)_[0-9A-Za-z]+`)

// TestRefundAuditSaysSucceededAndPending: a refund's audit entry records
// as before it what the pages call refunded (succeeded) and the refunds
// still waiting for Latipay apart, and the timeline says both; an entry
// recorded before they were apart still reads.
func TestRefundAuditSaysSucceededAndPending(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	p := a.mustPaid(t)
	refund := func(key, amount string) {
		t.Helper()
		if w := a.post(t, "/admin/payments/"+p.ID+"/refund", url.Values{"key": {key}, "amount": {amount}}, owner); w.Code != http.StatusSeeOther {
			t.Fatalf("refund %s = %d %s", amount, w.Code, w.Body)
		}
	}
	refund("k1", "2.50")                                  // before it: nothing refunded, nothing pending
	a.Sim.SetFaults(latipaysim.Faults{ServerError: true}) // the answer is lost: the refund stays pending
	if r, _, err := a.Svc.Refund(t.Context(), payments.RefundInput{PaymentID: p.ID, Amount: "5.00"}); err != nil || r.Status != payments.RefundPending {
		t.Fatalf("Refund(5.00) answered 500 = %+v, %v; want pending", r, err)
	}
	a.Sim.SetFaults(latipaysim.Faults{})
	refund("k2", "1.00") // before it: 2.50 refunded, 5.00 pending
	if err := a.acc.Record(t.Context(), accounts.Actor{Email: "owner@shop.example"}, "refund", p.ID, "refunded 7.50", "refund rf_old"); err != nil {
		t.Fatal(err)
	}
	es, err := a.acc.Store().Audit(t.Context(), accounts.AuditFilter{Action: "refund", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var befores []string
	for _, e := range es {
		befores = append(befores, e.Before)
	}
	if want := []string{"refunded 7.50", "succeeded 2.50, pending 5.00", "succeeded 0.00"}; !slices.Equal(befores, want) {
		t.Errorf("refund entries' before = %q, want %q", befores, want)
	}
	rs, err := a.Svc.Refunds(t.Context(), p.ID)
	if err != nil || len(rs) != 3 {
		t.Fatalf("refunds: %v, %v", rs, err)
	}
	for _, lang := range []string{views.LangEnglish, views.LangSimplifiedChinese} {
		loc := a.localizer(t, lang)
		detail := a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"?lang="+lang, http.StatusOK).Text()
		audit := a.ownerDoc(t, owner, "/admin/audit?action=refund&lang="+lang, http.StatusOK).Text()
		var first, second string
		for _, r := range rs {
			switch r.Amount {
			case 250:
				first = r.ID
			case 100:
				second = r.ID
			}
		}
		// The owner's refunds are said once on the timeline, on their
		// own events with who asked; the entry recorded before amounts
		// were kept shows as its own row.
		for _, want := range []string{
			loc.T("event.refund.requested", first, "NZD 2.50"),
			loc.T("event.refund.requested", second, "NZD 1.00"),
			loc.T("timeline.audit.refund", "rf_old", "NZD 7.50"),
		} {
			if !strings.Contains(detail, want) {
				t.Errorf("%s: the timeline does not say %q", lang, want)
			}
		}
		for _, want := range []string{
			loc.T("timeline.audit.refund.succeeded", loc.T("timeline.audit.refund_of", first, "NZD 2.50"), "0.00"),
			loc.T("timeline.audit.refund.pending", loc.T("timeline.audit.refund_of", second, "NZD 1.00"), "2.50", "5.00"),
		} {
			if !strings.Contains(audit, want) {
				t.Errorf("%s: the audit log does not say %q", lang, want)
			}
		}
	}
}

// TestRefusedRefundAudited: an owner's refund Latipay refuses is in the
// audit log and on the payment's timeline like one that went through,
// saying why it was refused, in each language; a repeat of the same form
// (a double click) is not a second entry.
func TestRefusedRefundAudited(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	p := a.mustPaid(t)
	a.Sim.SetFaults(latipaysim.Faults{RefundCode: 556})
	for range 2 {
		form := url.Values{"key": {"refused-1"}, "amount": {"3.00"}}
		if w := a.post(t, "/admin/payments/"+p.ID+"/refund", form, owner); w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("refund Latipay refuses = %d, want 422", w.Code)
		}
	}
	a.Sim.SetFaults(latipaysim.Faults{})
	es, err := a.acc.Store().Audit(t.Context(), accounts.AuditFilter{Action: "refund", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := a.Svc.Refunds(t.Context(), p.ID)
	if err != nil || len(rs) != 1 || rs[0].Status != payments.RefundFailed {
		t.Fatalf("refunds: %+v, %v; want the one refused", rs, err)
	}
	if len(es) != 1 || es[0].Target != p.ID || !strings.Contains(es[0].After, rs[0].ID) || !strings.Contains(es[0].After, "556") {
		t.Fatalf("refund audit entries = %+v; want one naming %s and Latipay's code 556", es, rs[0].ID)
	}
	for _, lang := range []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese} {
		loc := a.localizer(t, lang)
		detail := a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"?lang="+lang, http.StatusOK).Text()
		audit := a.ownerDoc(t, owner, "/admin/audit?action=refund&lang="+lang, http.StatusOK).Text()
		why := loc.T("adminlist.refund.code.556")
		asked := loc.T("timeline.audit.refund_of", rs[0].ID, "NZD 3.00")
		if want := loc.T("timeline.audit.refund.refused", loc.T("timeline.audit.refund.succeeded", asked, "NZD 0.00"), why); !strings.Contains(detail, want) {
			t.Errorf("%s: the timeline does not say %q", lang, want)
		}
		if want := loc.T("timeline.audit.refund.refused", loc.T("timeline.audit.refund.succeeded", asked, "0.00"), why); !strings.Contains(audit, want) {
			t.Errorf("%s: the audit log does not say %q", lang, want)
		}
	}
}

// TestUnreachedRefundAudited: an owner's refund that never reached
// Latipay (the connection refused: it is recorded failed, nothing sent)
// is in the audit log and on the payment's timeline like one Latipay
// refused, saying it was not sent, in each language.
func TestUnreachedRefundAudited(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	p := a.mustPaid(t)
	a.StopSim()
	form := url.Values{"key": {"unreached-1"}, "amount": {"3.00"}}
	if w := a.post(t, "/admin/payments/"+p.ID+"/refund", form, owner); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("refund with Latipay unreachable = %d, want 503", w.Code)
	}
	rs, err := a.Svc.Refunds(t.Context(), p.ID)
	if err != nil || len(rs) != 1 || rs[0].Status != payments.RefundFailed || rs[0].GatewayCode != 0 {
		t.Fatalf("refunds: %+v, %v; want the one not sent, failed", rs, err)
	}
	es, err := a.acc.Store().Audit(t.Context(), accounts.AuditFilter{Action: "refund", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Target != p.ID || !strings.Contains(es[0].After, rs[0].ID) {
		t.Fatalf("refund audit entries = %+v; want one naming %s", es, rs[0].ID)
	}
	for _, lang := range []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese} {
		loc := a.localizer(t, lang)
		detail := a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"?lang="+lang, http.StatusOK).Text()
		audit := a.ownerDoc(t, owner, "/admin/audit?action=refund&lang="+lang, http.StatusOK).Text()
		asked := loc.T("timeline.audit.refund_of", rs[0].ID, "NZD 3.00")
		if want := loc.T("timeline.audit.refund.notsent", loc.T("timeline.audit.refund.succeeded", asked, "NZD 0.00")); !strings.Contains(detail, want) {
			t.Errorf("%s: the timeline does not say %q", lang, want)
		}
		if want := loc.T("timeline.audit.refund.notsent", loc.T("timeline.audit.refund.succeeded", asked, "0.00")); !strings.Contains(audit, want) {
			t.Errorf("%s: the audit log does not say %q", lang, want)
		}
	}
}
