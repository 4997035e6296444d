package handlers

import (
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/webhook"
	"github.com/latipay-hpp/hpp/views"
)

// TestTimelinePhrasesInChinese: the timeline's lines put their pieces
// together as each language does: no space before a full-width
// parenthesis, a comma between two Chinese phrases, a space between
// Chinese and Latin text or digits; English keeps its spaces.
func TestTimelinePhrasesInChinese(t *testing.T) {
	c, err := views.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	a := payments.Attempt{Reference: "pay_x-1", Method: payments.MethodWeChat, Status: payments.AttemptPaid, Checks: 3}
	d := payments.Delivery{Error: webhook.ErrorRequest + webhook.ReasonRefused + webhook.GaveUpAfter + "72h0m0s"}
	for _, tc := range []struct{ lang, attempt, delivery string }{
		{views.LangSimplifiedChinese, "）", "接收地址拒绝了连接，72 小时后放弃"},
		{views.LangTraditionalChinese, "）", "，72 小時後放棄"},
		{views.LangEnglish, " (Latipay queried 3×)", "given up after 72 hours"},
	} {
		loc := c.Localizer(tc.lang)
		got := attemptText(loc, a)
		if !strings.HasSuffix(got, tc.attempt) || strings.Contains(got, " （") {
			t.Errorf("%s attempt: %q", tc.lang, got)
		}
		if tc.lang != views.LangEnglish && !strings.Contains(got, " 3 次") {
			t.Errorf("%s attempt: %q, want the count spaced", tc.lang, got)
		}
		if got := deliveryError(loc, d); !strings.Contains(got, tc.delivery) {
			t.Errorf("%s delivery: %q, want it to contain %q", tc.lang, got, tc.delivery)
		}
	}
}
