package views

import (
	"context"
	"testing"
)

// TestLatipayWordsMarkedEnglish: Latipay's own words (English) shown in a
// Chinese page, in a refused refund's error, beside a counter sale whose
// pay code was refused and in the timeline, are in a <span lang="en">,
// so that a screen reader reads them in English; the rest of the sentence
// stays the page's language, escaped as text is.
func TestLatipayWordsMarkedEnglish(t *testing.T) {
	cat := mustCatalog(t)
	words := "code 301: wrong account info <b>"
	for _, tag := range []string{"zh-Hant", "zh-Hans", "en"} {
		ctx := WithLocalizer(context.Background(), cat.Localizer(tag))
		detail := PaymentDetail{Admin: Admin{Page: Page{Title: "t"}, Email: "owner@shop.example", Role: "owner"},
			Row: PaymentRow{ID: "pay_1", Amount: "12.50", Currency: "NZD", Status: "paid"}, ErrorID: "admin.refund.rejected", ErrorArg: words,
			Timeline: []TimelineItem{{Kind: "admin", Who: "owner@shop.example", What: "refund", Detail: "rf_1 → " + words, Latipay: words},
				{Kind: "admin", Who: "owner@shop.example", What: "refund", Detail: "rf_2 refunded 2.50"}}}
		detail.Refusal, detail.RefusalLatipay = cat.Localizer(tag).T("admin.detail.refused", words), words
		doc := renderDoc(t, ctx, tag, PaymentDetailPage(detail))
		if got := doc.Find(`[data-testid="detail-refusal"] span[lang="en"]`).Text(); got != words {
			t.Errorf("%s: the refused pay code beside the status marks %q as English, want %q", tag, got, words)
		}
		if got := doc.Find(`[data-testid="form-error"] span[lang="en"]`).Text(); got != words {
			t.Errorf("%s: the refused refund's error marks %q as English, want Latipay's words %q", tag, got, words)
		}
		if got := doc.Find(`[data-testid="form-error"]`).Text(); got != cat.Localizer(tag).T("admin.refund.rejected", words) {
			t.Errorf("%s: the refused refund's error reads %q", tag, got)
		}
		items := doc.Find(`[data-testid="timeline-detail"]`)
		if got := items.Eq(0).Find(`span[lang="en"]`).Text(); got != words {
			t.Errorf("%s: the timeline marks %q as English, want %q", tag, got, words)
		}
		if got := items.Eq(0).Text(); got != "rf_1 → "+words {
			t.Errorf("%s: the timeline entry reads %q", tag, got)
		}
		if n := items.Eq(1).Find(`span[lang]`).Length(); n != 0 {
			t.Errorf("%s: an entry without Latipay's words has %d language spans", tag, n)
		}
	}
}
