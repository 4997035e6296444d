package views

import (
	"context"
	"path"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/pelletier/go-toml/v2"
	"golang.org/x/net/html"
)

// TestCounterTopSpacing: the counter's header names the device and the
// cashier apart ("Phone 390 · Demo owner"): templ drops the space before
// text that follows an @ call on its own line.
func TestCounterTopSpacing(t *testing.T) {
	ctx := WithLocalizer(context.Background(), mustCatalog(t).Localizer(LangEnglish))
	doc := renderDoc(t, ctx, "counter top", counterTop(Page{MerchantName: "Demo Shop"}, "Phone 390", "Demo owner"))
	if got := doc.Find(`[data-testid="counter-who"]`).Text(); got != "Phone 390 · Demo owner" {
		t.Errorf("counter header reads %q, want %q", got, "Phone 390 · Demo owner")
	}
}

// spacingProblems lists where src, a Chinese catalogue message, breaks
// the spacing rule (spacing.go): its own Latin letters and digits set one
// space apart from Chinese; no space between a placeholder and Chinese
// (the filling adds one where the value needs it); none beside
// full-width punctuation or between two Chinese characters.
func spacingProblems(src string) []string {
	const hole = '\uE002' // a placeholder
	rs := []rune(placeholder.ReplaceAllString(src, string(hole)))
	at := func(i int) string {
		lo, hi := max(0, i-6), min(len(rs), i+7)
		return strings.ReplaceAll(string(rs[lo:hi]), string(hole), "{{…}}")
	}
	var bad []string
	for i := 0; i+1 < len(rs); i++ {
		a, b := rs[i], rs[i+1]
		if a != hole && b != hole && needSpace(a, b) {
			bad = append(bad, "no space in "+at(i))
		}
		if b != ' ' || i+2 >= len(rs) {
			continue
		}
		c := rs[i+2]
		switch {
		case c == ' ' && (wide(a) || narrow(a)):
			bad = append(bad, "two spaces in "+at(i))
		case (a == hole && wide(c)) || (wide(a) && c == hole):
			bad = append(bad, "space between a placeholder and Chinese in "+at(i))
		case fullWidthPunct(a) || fullWidthPunct(c):
			bad = append(bad, "space beside full-width punctuation in "+at(i))
		case wide(a) && wide(c):
			bad = append(bad, "space between Chinese characters in "+at(i))
		}
	}
	return bad
}

// TestChineseCatalogueSpacing walks every Simplified and Traditional
// Chinese catalogue file and fails on each message that breaks the
// spacing rule (spacing.go): the pages once read 「向 Demo Shop 付款」 on
// a link's page and 「向Demo Shop付款」 on the checkout.
func TestChineseCatalogueSpacing(t *testing.T) {
	files := 0
	for _, tag := range Languages()[1:] {
		for _, name := range catalogueFiles(tag) {
			files++
			buf, err := catalogues.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, err := i18n.ParseMessageFileBytes(buf, path.Base(name), map[string]i18n.UnmarshalFunc{"toml": toml.Unmarshal})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, m := range f.Messages {
				for _, p := range spacingProblems(m.Other) {
					t.Errorf("%s %s: %s", name, m.ID, p)
				}
			}
		}
	}
	if files < 20 {
		t.Fatalf("walked %d Chinese catalogue files; the listing lost some", files)
	}
}

// TestSpacingProblemsFinds: the walker above tells each kind of mistake.
func TestSpacingProblemsFinds(t *testing.T) {
	for src, want := range map[string]int{
		"向 {{.P1}} 付款":         2,
		"向{{.P1}}付款":           0,
		"向Latipay查询":           2,
		"向 Latipay 查询":         0,
		"24小时内":                1,
		"24 小时内，12月8日":         0,
		"付款： {{.P1}}":          1,
		"付款  Latipay":          1,
		"已付款 成功":               1,
		"约{{.P1}}（汇率：{{.P2}}）": 0,
	} {
		if got := spacingProblems(src); len(got) != want {
			t.Errorf("spacingProblems(%q) = %q, want %d", src, got, want)
		}
	}
}

// TestChineseValuesSpaced: what a message fills in gets a space against
// Chinese when it starts or ends with a Latin letter, a digit or a
// currency sign, and none when it is Chinese, in both Chinese
// catalogues, by the fast path and by go-i18n alike.
func TestChineseValuesSpaced(t *testing.T) {
	fast := mustCatalog(t)
	slow, err := newCatalog(false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tag, id string
		args    []any
		want    string
	}{
		{LangSimplifiedChinese, "checkout.title", []any{"Demo Shop"}, "向 Demo Shop 付款"},
		{LangSimplifiedChinese, "links.pay.title", []any{"Demo Shop"}, "向 Demo Shop 付款"},
		{LangSimplifiedChinese, "checkout.title", []any{"奇异果小店"}, "向奇异果小店付款"},
		{LangSimplifiedChinese, "links.pay.title", []any{"奇异果小店"}, "向奇异果小店付款"},
		{LangTraditionalChinese, "checkout.title", []any{"Demo Shop"}, "向 Demo Shop 付款"},
		{LangTraditionalChinese, "links.pay.title", []any{"Demo Shop"}, "向 Demo Shop 付款"},
		{LangSimplifiedChinese, "qr.heading", []any{"微信支付"}, "用微信支付付款"},
		{LangSimplifiedChinese, "checkout.cny", []any{"￥ 56.25", "1 NZD = 4.50 CNY"}, "约 ￥ 56.25（汇率：1 NZD = 4.50 CNY）"},
		{LangSimplifiedChinese, "counterlive.notice", []any{"NZ$12.00", "微信支付"}, "固定收款码：已通过微信支付收款 NZ$12.00"},
		{LangTraditionalChinese, "say.paid", []any{"支付寶", "NZ$12.00"}, "支付寶收款 NZ$12.00"},
		{LangSimplifiedChinese, "checkout.deadline.dated", []any{8, "12月", "14:30"}, "12月8日 14:30"},
		{LangTraditionalChinese, "admin.counter.pairing.text", []any{"Till 1", 60}, "在裝置上打開收銀台頁面，為「Till 1」輸入此配對碼，或掃描二維碼。僅可使用一次，60 秒內有效。"},
	} {
		for name, c := range map[string]*Catalog{"fast": fast, "go-i18n": slow} {
			if got := c.Localizer(tc.tag).T(tc.id, tc.args...); got != tc.want {
				t.Errorf("%s %s %s%v = %q, want %q", name, tc.tag, tc.id, tc.args, got, tc.want)
			}
		}
	}
}

// TestChinesePagesSpaced renders every page of the i18n tests (shopper,
// back office, counter; sample values in English, such as "Kiwi Shop"
// and NZ$ 12.50) in both Chinese languages, and fails where a text node
// or a text attribute runs Chinese into Latin letters or digits, or puts
// a space beside full-width punctuation: what the catalogues and the
// filling keep apart, a template could still join.
func TestChinesePagesSpaced(t *testing.T) {
	c := mustCatalog(t)
	check := func(where, s string) {
		t.Helper()
		if !han.MatchString(s) {
			return
		}
		for _, p := range spacingProblems(strings.TrimSpace(s)) {
			t.Errorf("%s: %s (in %q)", where, p, strings.Join(strings.Fields(s), " "))
		}
	}
	for name, comp := range pages() {
		for _, tag := range Languages()[1:] {
			ctx := WithLocalizer(context.Background(), c.Localizer(tag))
			doc := renderDoc(t, ctx, name+"/"+tag, comp)
			doc.Find("*").Each(func(_ int, s *goquery.Selection) {
				n := s.Get(0)
				if n.Data == "script" || n.Data == "style" {
					return
				}
				for _, a := range n.Attr {
					if a.Key != "class" && a.Key != "href" && a.Key != "src" {
						check(name+"/"+tag+" <"+n.Data+" "+a.Key+">", a.Val)
					}
				}
				for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
					if ch.Type == html.TextNode {
						check(name+"/"+tag+" <"+n.Data+">", ch.Data)
					}
				}
			})
		}
	}
}
