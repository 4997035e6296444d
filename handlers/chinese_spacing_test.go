package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// TestChineseTitlesSpacedAlike: a payment link's page and the checkout
// name the shop the same way in Chinese, one space either side of a
// Latin name ("向 Test Shop 付款"); they once read 「向 Test Shop 付款」
// and 「向Test Shop付款」.
func TestChineseTitlesSpacedAlike(t *testing.T) {
	a := newAdminApp(t)
	l, err := a.links.Create(t.Context(), payments.LinkInput{Source: payments.SourceStaticQR, Currency: "NZD", MinAmount: "0.01", MaxAmount: "500"})
	if err != nil {
		t.Fatal(err)
	}
	p := a.mustCreate(t, createBody)
	for _, lang := range []string{views.LangSimplifiedChinese, views.LangTraditionalChinese} {
		for _, path := range []string{"/l/" + l.ID, "/checkout/" + p.ID} {
			w := a.do(t, http.MethodGet, path+"?lang="+lang, nil, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("%s %s = %d", lang, path, w.Code)
			}
			title := strings.TrimSpace(mustDoc(t, w).Find("title").Text())
			if !strings.Contains(title, "向 Test Shop 付款") {
				t.Errorf("%s %s: title %q, want 向 Test Shop 付款", lang, path, title)
			}
		}
	}
}
