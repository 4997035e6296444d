package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestReviewFlagsInListAndExports: a sale paid after it was canceled is
// both paid late and under review. The list's "paid late" filter holds
// it (as "needs review" does) and says what it lists; the payments
// exports carry paid_late, needs_review and reviewed_at, the last empty
// until it is marked reviewed, then that time in the shop's zone.
func TestReviewFlagsInListAndExports(t *testing.T) {
	a, gw := newDownApp(t)
	dev := a.readyDevice(t)
	id := paidAfterCancel(t, a, gw, dev, "review-export-key-000001", "27.18")
	_, owner := a.signIn(t, "owner@shop.example", adminPW)

	for _, f := range []string{"paid_late", "needs_review"} {
		doc := a.ownerDoc(t, owner, "/admin/payments?attention="+f, http.StatusOK)
		if doc.Find(`[data-id="`+id+`"]`).Length() != 1 {
			t.Errorf("?attention=%s lacks the payment paid late and under review", f)
		}
		if about := doc.Find(`[data-testid="attention-about"]`).Text(); about == "" {
			t.Errorf("?attention=%s does not say what it lists", f)
		}
	}
	if about := a.ownerDoc(t, owner, "/admin/payments?attention=paid_late", http.StatusOK).Find(`[data-testid="attention-about"]`).Text(); !strings.Contains(about, "also need review") {
		t.Errorf("the paid late filter says %q, want it to say it includes those that also need review", about)
	}

	check := func(when string, want map[string]string) {
		t.Helper()
		_, rows := readCSVFile(t, a, owner, "/admin/payments/export.csv")
		var row map[string]string
		for _, r := range rows {
			if r["id"] == id {
				row = r
			}
		}
		w := a.do(t, http.MethodGet, "/admin/payments/export.json", nil, withCookie(owner, nil))
		var objs []map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &objs); err != nil {
			t.Fatalf("export.json: %v", err)
		}
		var obj map[string]string
		for _, o := range objs {
			if o["id"] == id {
				obj = o
			}
		}
		for k, v := range want {
			if row[k] != v || obj[k] != v {
				t.Errorf("%s: export %s = CSV %q, JSON %q; want %q", when, k, row[k], obj[k], v)
			}
		}
	}
	check("before review", map[string]string{"paid_late": "true", "needs_review": "true", "reviewed_at": ""})
	a.Clock.Advance(time.Minute)
	if w := a.post(t, "/admin/payments/"+id+"/review", url.Values{"note": {"checked"}}, owner); w.Code != http.StatusSeeOther {
		t.Fatalf("review = %d %s", w.Code, w.Body)
	}
	p := a.MustGet(t, id)
	if p.ReviewedAt.IsZero() {
		t.Fatal("not marked reviewed")
	}
	check("after review", map[string]string{"paid_late": "true", "needs_review": "true", "reviewed_at": p.ReviewedAt.UTC().Format(time.RFC3339)})
}
