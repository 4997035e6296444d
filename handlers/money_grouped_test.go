package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
)

// TestBackOfficeMoneyGrouped: an NZD amount of over a million reads
// grouped on the back office's pages, in each language, as the yuan
// beside it does: the list's amount, its Refunded column (with its
// currency, no longer a bare number), the payment's page and the home
// page's totals. The exports keep the plain number.
func TestBackOfficeMoneyGrouped(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustCreate(t, strings.Replace(createBody, `"12.50"`, `"1234567.89"`, 1))
	st := a.MustStart(t, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
	if err := a.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	a.WaitStatus(t, p.ID, payments.StatusPaid)
	if w := a.api(t, http.MethodPost, "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"1000.50"}`, nil); w.Code != http.StatusCreated {
		t.Fatalf("refund = %d %s", w.Code, w.Body)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for _, lang := range allLangs {
		list := a.ownerDoc(t, owner, "/admin/payments?lang="+lang, http.StatusOK)
		row := list.Find(`[data-testid="payment-row"][data-id="` + p.ID + `"]`)
		if got := row.Text(); !strings.Contains(got, "NZD 1,234,567.89") {
			t.Errorf("%s: the list's row reads %q, want NZD 1,234,567.89", lang, strings.Join(strings.Fields(got), " "))
		}
		if got := strings.TrimSpace(row.Find(`[data-col="refunded"]`).Text()); got != "NZD 1,000.50" {
			t.Errorf("%s: the Refunded column reads %q, want NZD 1,000.50", lang, got)
		}
		detail := a.ownerDoc(t, owner, "/admin/payments/"+p.ID+"?lang="+lang, http.StatusOK)
		if got := detail.Find(`[data-testid="detail-refunded"]`).Text(); got != "NZD 1,000.50" {
			t.Errorf("%s: the payment's page says refunded %q, want NZD 1,000.50", lang, got)
		}
		home := a.ownerDoc(t, owner, "/admin/?lang="+lang, http.StatusOK)
		if got := home.Find(`[data-testid="totals-gross"]`).Text(); !strings.Contains(got, "1,234,567.89") {
			t.Errorf("%s: the home's gross reads %q, want 1,234,567.89", lang, got)
		}
	}
	_, rows := readCSVFile(t, a, owner, "/admin/payments/export.csv")
	if len(rows) != 1 || rows[0]["amount"] != "1234567.89" {
		t.Errorf("the export's amount = %v, want the plain 1234567.89", rows)
	}
}

// TestRefusedRefundReasonPunctuation: the audit log's entry for a refund
// Latipay refused, with a reason, reads as two sentences, never
// "…Nothing was refunded.; reason: …", in each language.
func TestRefusedRefundReasonPunctuation(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	// As handleAdminRefund records a refusal (refundAfter).
	if err := a.acc.Record(t.Context(), accounts.Actor{Email: "owner@shop.example"}, "refund", p.ID, "succeeded 0.00",
		"refund rf_00000000000000000000000001 of 1.00 NZD refused 551: order unknown; reason: damaged tin"); err != nil {
		t.Fatal(err)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for _, lang := range allLangs {
		loc := a.localizer(t, lang)
		got := a.ownerDoc(t, owner, "/admin/audit?action=refund&lang="+lang, http.StatusOK).Find(`[data-testid="audit-row"]`).Text()
		if strings.Contains(got, ".;") || strings.Contains(got, "。；") {
			t.Errorf("%s: the entry joins the reason after a full stop: %q", lang, got)
		}
		if want := loc.T("adminlist.refund.code.551"); !strings.Contains(got, want) || !strings.Contains(got, "damaged tin") {
			t.Errorf("%s: the entry %q lacks the refusal %q or the reason", lang, got, want)
		}
	}
}
