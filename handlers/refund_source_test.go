package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// TestRefundExportsSayWhoAsked: one refund asked for by the owner in the
// back office and one by the merchant's system through the API. Both
// refunds exports (CSV and JSON) name who asked for each in
// requested_by: the owner's email, and "api"; the audit log's refund
// filter lists both, the API's named as the merchant's system in each
// language, with the address it came from.
func TestRefundExportsSayWhoAsked(t *testing.T) {
	a := newAdminApp(t)
	p := a.mustPaid(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	if w := a.post(t, "/admin/payments/"+p.ID+"/refund", url.Values{"key": {"k1"}, "amount": {"1.00"}, "reason": {"damaged tin"}}, owner); w.Code != http.StatusSeeOther {
		t.Fatalf("back-office refund = %d %s", w.Code, w.Body)
	}
	api := mustJSON[struct{ ID string }](t, a.api(t, http.MethodPost, "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"2.00"}`, nil))
	rs, err := a.Svc.Refunds(t.Context(), p.ID)
	if err != nil || len(rs) != 2 {
		t.Fatalf("refunds %+v, %v; want two", rs, err)
	}
	want := map[string]string{api.ID: "api"}
	for _, r := range rs {
		if r.ID != api.ID {
			want[r.ID] = "owner@shop.example"
		}
	}
	if _, err := a.acc.CreateAccount(t.Context(), "books@shop.example", "", adminPW, accounts.Bookkeeper, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	_, books := a.signIn(t, "books@shop.example", adminPW)
	_, rows := readCSVFile(t, a, books, "/admin/refunds/export.csv")
	if len(rows) != 2 {
		t.Fatalf("refunds CSV has %d rows, want 2", len(rows))
	}
	for _, r := range rows {
		if r["requested_by"] != want[r["refund_id"]] {
			t.Errorf("CSV: refund %s requested_by %q, want %q", r["refund_id"], r["requested_by"], want[r["refund_id"]])
		}
	}
	w := a.do(t, http.MethodGet, "/admin/refunds/export.json", nil, withCookie(books, nil))
	var js []map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &js); err != nil || len(js) != 2 {
		t.Fatalf("refunds JSON = %d, %v: %s", w.Code, err, w.Body)
	}
	for _, r := range js {
		if id, _ := r["refund_id"].(string); r["requested_by"] != want[id] {
			t.Errorf("JSON: refund %s requested_by %v, want %q", id, r["requested_by"], want[id])
		}
	}
	es, err := a.acc.Store().Audit(t.Context(), accounts.AuditFilter{Action: "refund", Limit: 10})
	if err != nil || len(es) != 2 {
		t.Fatalf("refund audit entries: %d, %v; want 2 (the back office's and the API's)", len(es), err)
	}
	for _, lang := range allLangs {
		loc := a.localizer(t, lang)
		doc := a.ownerDoc(t, books, "/admin/audit?action=refund&lang="+lang, http.StatusOK)
		rows := doc.Find(`[data-testid="audit-row"][data-action="refund"]`)
		if rows.Length() != 2 {
			t.Errorf("%s: the audit log's refund filter lists %d refunds, want 2", lang, rows.Length())
		}
		if !strings.Contains(rows.Text(), loc.T("admin.audit.api")) || !strings.Contains(rows.Text(), api.ID) {
			t.Errorf("%s: the audit log does not name the API's refund %s as the merchant's system", lang, api.ID)
		}
	}
}
