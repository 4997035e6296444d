package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestEveryScreenHasItsCase renders the live panel on every screen: each
// one says something of its own beyond the status heading, so a screen
// missing from CheckoutPanel's switch fails here rather than showing a
// bare heading.
func TestEveryScreenHasItsCase(t *testing.T) {
	c := mustCatalog(t)
	ctx := WithLocalizer(context.Background(), c.Localizer(LangEnglish))
	seen := map[string]Screen{}
	for _, sc := range Screens {
		vm := Checkout{Screen: sc, Status: "x", Amount: Money{Minor: 1250, Currency: "NZD", Exponent: 2},
			Methods: []Method{{Value: "wechat"}}, ExpiresAt: "2026-03-01T01:15:00Z", ExpiresText: "01:15",
			Refunded: Money{Minor: 100, Currency: "NZD", Exponent: 2}}
		var buf bytes.Buffer
		if err := CheckoutPanel(vm).Render(ctx, &buf); err != nil {
			t.Fatalf("%s: %v", sc, err)
		}
		doc, err := goquery.NewDocumentFromReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := doc.Find(`[data-testid="status"]`).Attr("data-screen"); got != string(sc) {
			t.Errorf("%s: data-screen = %q", sc, got)
		}
		doc.Find(`[data-testid="status"]`).Remove()
		body := strings.Join(strings.Fields(doc.Text()), " ")
		if body == "" {
			t.Errorf("screen %q renders nothing but its heading: CheckoutPanel has no case for it", sc)
			continue
		}
		if other, dup := seen[body]; dup {
			t.Errorf("screens %q and %q render the same text %q", other, sc, body)
		}
		seen[body] = sc
	}
}

// TestMoneyPerLanguage: amounts carry grouping separators and a symbol
// that tells the dollars apart, rates at most four decimals, in each
// language, from CLDR data through golang.org/x/text.
func TestMoneyPerLanguage(t *testing.T) {
	c := mustCatalog(t)
	cases := []struct {
		lang string
		m    Money
		want string
	}{
		{"en", Money{123456789, "NZD", 2}, "NZ$ 1,234,567.89"},
		{"en", Money{1250, "AUD", 2}, "A$ 12.50"},
		{"en", Money{100000, "CNY", 2}, "CN¥ 1,000.00"},
		{"zh-Hans", Money{123456789, "NZD", 2}, "NZ$ 1,234,567.89"},
		{"zh-Hans", Money{1250, "AUD", 2}, "AU$ 12.50"},
		{"zh-Hans", Money{1250, "CNY", 2}, "￥ 12.50"},
		{"zh-Hant", Money{99999999999, "NZD", 2}, "NZ$ 999,999,999.99"},
		{"zh-Hant", Money{5, "AUD", 2}, "AU$ 0.05"},
	}
	for _, tc := range cases {
		ctx := WithLocalizer(context.Background(), c.Localizer(tc.lang))
		if got := formatMoney(ctx, tc.m); got != tc.want {
			t.Errorf("%s %v = %q, want %q", tc.lang, tc.m, got, tc.want)
		}
	}
	ctx := WithLocalizer(context.Background(), c.Localizer("zh-Hans"))
	for in, want := range map[string]string{"4.832151": "4.8322", "4.5": "4.5", "4.50000": "4.5", "n/a": "n/a"} {
		if got := formatDecimal(ctx, in, 4); got != want {
			t.Errorf("rate %q = %q, want %q", in, got, want)
		}
	}
	// Latipay's yuan text reads as a yuan amount does (TestYuanWrittenOneWay).
	if got := formatYuan(ctx, "12345.6"); got != "￥ 12,345.60" {
		t.Errorf("yuan 12345.6 = %q, want ￥ 12,345.60", got)
	}
	if got := formatYuan(ctx, "n/a"); got != "n/a" {
		t.Errorf("yuan n/a = %q, want it as sent", got)
	}
}
