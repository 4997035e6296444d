package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments/accounts"
)

// TestAdminStatusSpeaksToTheShop: a payment no method was chosen for is
// "waiting for the shopper" in the back office's list, its status filter
// and its detail, in each language, never the checkout's "choose a
// payment method", which speaks to the shopper.
func TestAdminStatusSpeaksToTheShop(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	p := a.mustCreate(t, createBody)
	for lang, want := range map[string]struct{ shop, shopper string }{
		"en":      {"Waiting for the shopper to choose a payment method", "Waiting for you"},
		"zh-Hans": {"等待顾客选择付款方式", "请选择付款方式"},
		"zh-Hant": {"等待顧客選擇付款方式", "請選擇付款方式"},
	} {
		list := a.ownerDoc(t, owner, handlers.PaymentsPath+"?lang="+lang, http.StatusOK)
		cell := list.Find(`td[data-col="status"][data-status="created"]`).First().Text()
		option := list.Find(`select#status option[value="created"]`).Text()
		detail := a.ownerDoc(t, owner, handlers.PaymentsPath+"/"+p.ID+"?lang="+lang, http.StatusOK).Find(`[data-testid="detail-status"]`).Text()
		for where, got := range map[string]string{"list": cell, "filter": option, "detail": detail} {
			if !strings.Contains(got, want.shop) || strings.Contains(got, want.shopper) {
				t.Errorf("%s %s = %q, want %q", lang, where, got, want.shop)
			}
		}
	}
}

// TestAuditStartUpInWords: what the app did at start-up (an owner made
// from HPP_ADMIN_EMAIL) is credited in the page's language on the audit
// log, not as the stored "(start-up)".
func TestAuditStartUpInWords(t *testing.T) {
	a := newAdminApp(t)
	if _, err := a.acc.CreateAccount(t.Context(), "boss@shop.example", "", adminPW, accounts.Owner, accounts.Actor{Email: accounts.StartUpEmail}); err != nil {
		t.Fatal(err)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for lang, want := range map[string]string{"en": "By the app at start-up", "zh-Hans": "应用启动时", "zh-Hant": "應用程式啟動時"} {
		rows := a.ownerDoc(t, owner, handlers.AuditPath+"?action=account.create&lang="+lang, http.StatusOK).Find(`[data-testid="audit-row"]`)
		found := false
		rows.Each(func(_ int, r *goquery.Selection) {
			if strings.Contains(r.Text(), "boss@shop.example") {
				found = true
				if got := r.Text(); !strings.Contains(got, want) || strings.Contains(got, accounts.StartUpEmail) {
					t.Errorf("%s: the start-up's row reads %q, want %q", lang, got, want)
				}
			}
		})
		if !found {
			t.Errorf("%s: no audit row for the account made at start-up", lang)
		}
	}
}
