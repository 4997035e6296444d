package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestStaffErrorPages: an error in the back office leads back to the back
// office, in words for the shop's staff, never to the merchant's site or
// with the shopper's "ask the shop for a new link"; a shopper's error
// page keeps the shopper's words.
func TestStaffErrorPages(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	for lang, want := range map[string]struct{ back, text string }{
		"en":      {"Back to the back office", "We could not find this."},
		"zh-Hans": {"返回后台", "找不到此内容。"},
		"zh-Hant": {"返回後台", "找不到此內容。"},
	} {
		doc := a.ownerDoc(t, owner, "/admin/payments/pay_1nhbh7dfd00000000000000000000000000?lang="+lang, http.StatusNotFound)
		link := doc.Find(`[data-testid="back-to-area"]`)
		href, _ := link.Attr("href")
		if link.Text() != want.back || !strings.HasPrefix(href, "/admin/") {
			t.Errorf("%s: the way back = %q to %q, want %q to /admin/", lang, link.Text(), href, want.back)
		}
		if got := doc.Find(`[data-testid="error"]`).Text(); !strings.Contains(got, want.text) {
			t.Errorf("%s: the error page reads %q, want %q", lang, got, want.text)
		}
		if doc.Find(`[data-testid="back-to-shop"]`).Length() != 0 {
			t.Errorf("%s: the back office's error page offers the way back to the shop", lang)
		}
	}
	doc := a.ownerDoc(t, nil, "/checkout/pay_1nhbh7dfd00000000000000000000000000?lang=en", http.StatusNotFound)
	if got := doc.Find(`[data-testid="error"]`).Text(); !strings.Contains(got, "ask the shop") || doc.Find(`[data-testid="back-to-area"]`).Length() != 0 {
		t.Errorf("the shopper's error page reads %q", got)
	}
}
