package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments/accounts"
)

// auditOf is the newest audit entry of action, or fails t.
func (a *adminApp) auditOf(t *testing.T, action string) accounts.AuditEntry {
	t.Helper()
	es, err := a.acc.Store().Audit(t.Context(), accounts.AuditFilter{Action: action, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 {
		t.Fatalf("no %s in the audit log", action)
	}
	return es[0]
}

// TestAuditRecordsWho: a sign-out names who signed out; a cashier's
// cancel at the counter is in the audit log as theirs and on the
// payment's timeline as the counter's (not the merchant's); the owner
// changing a counter's result delay, a display paired and unpaired, and
// the counter locked are recorded, each worded in the audit page's
// language.
func TestAuditRecordsWho(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	_, gone := a.signIn(t, "owner@shop.example", adminPW)
	if w := a.post(t, "/admin/signout", nil, gone); w.Code != http.StatusSeeOther {
		t.Fatalf("sign-out = %d", w.Code)
	}
	if e := a.auditOf(t, "signout"); e.Email != "owner@shop.example" || e.AccountID == "" {
		t.Errorf("sign-out recorded as %q (%q), want the owner", e.Email, e.AccountID)
	}

	dev := a.readyDevice(t)
	sale := mustJSON[counterSaleJSON](t, a.charge(t, dev, "sale-key-audit-000001", "4.00", "wechat"))
	w := a.do(t, http.MethodPost, handlers.CounterSalePath(sale.ID)+"/cancel", nil, withCookie(dev, http.Header{"Accept": {"application/json"}}))
	if w.Code != http.StatusOK {
		t.Fatalf("counter cancel = %d: %s", w.Code, w.Body)
	}
	if e := a.auditOf(t, "counter.cancel"); e.Email != "cashier@shop.example" || e.Target != sale.ID || e.Device != "Front till" || e.After != "canceled" {
		t.Errorf("counter cancel recorded as %+v, want the cashier on Front till", e)
	}
	tl := a.ownerDoc(t, owner, "/admin/payments/"+sale.ID+"?lang=en", http.StatusOK).Find(`[data-testid="timeline"]`).Text()
	if !strings.Contains(tl, "Canceled at the counter by the cashier") || strings.Contains(tl, "Canceled by the merchant") ||
		!strings.Contains(tl, "cashier@shop.example") {
		t.Errorf("the timeline of a counter cancel reads:\n%s", tl)
	}

	devs, err := a.ctr.Store().Devices(t.Context())
	if err != nil || len(devs) != 1 {
		t.Fatalf("devices = %v, %v", devs, err)
	}
	d := devs[0]
	if w := a.post(t, "/admin/counter/devices/"+d.ID+"/delay", url.Values{"seconds": {"9"}}, owner); w.Code != http.StatusSeeOther {
		t.Fatalf("delay = %d", w.Code)
	}
	if e := a.auditOf(t, "counter.delay"); e.Email != "owner@shop.example" || e.Target != d.ID || e.Before == "" || e.After != "9" {
		t.Errorf("delay recorded as %+v", e)
	}

	code, _, err := a.displays.NewCode(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	body, h := form(url.Values{"code": {code}})
	pairedCookie(t, a.do(t, http.MethodPost, handlers.DisplayPath, body, h), "hpp-display")
	paired := a.auditOf(t, "display.pair")
	if !strings.HasPrefix(paired.Target, "dsp_") || paired.After != "Front till" {
		t.Errorf("display pairing recorded as %+v", paired)
	}
	if w := a.do(t, http.MethodPost, handlers.CounterDisplaysPath+"/"+paired.Target+"/revoke", nil, withCookie(dev, nil)); w.Code != http.StatusSeeOther {
		t.Fatalf("unpair the display = %d", w.Code)
	}
	if e := a.auditOf(t, "display.revoke"); e.Email != "cashier@shop.example" || e.Target != paired.Target {
		t.Errorf("display unpairing recorded as %+v", e)
	}

	if w := a.do(t, http.MethodPost, handlers.CounterLockPath, nil, withCookie(dev, nil)); w.Code != http.StatusSeeOther {
		t.Fatalf("lock = %d", w.Code)
	}
	if e := a.auditOf(t, "counter.lock"); e.Email != "cashier@shop.example" || e.Target != d.ID {
		t.Errorf("counter lock recorded as %+v", e)
	}

	page := a.ownerDoc(t, owner, "/admin/audit?lang=zh-Hans", http.StatusOK).Find("main").Text()
	for _, want := range []string{"锁定了收银台", "配对了顾客显示屏", "取消了顾客显示屏的配对", "修改了收银台显示结果的时长", "9 秒", "退出登录"} {
		if !strings.Contains(page, want) {
			t.Errorf("the Chinese audit page lacks %q", want)
		}
	}
}
