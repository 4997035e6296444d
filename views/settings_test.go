package views

import (
	"bytes"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/config"
)

// TestSettingValuesTranslated: every word config writes on the settings
// page in place of a value (a sandbox start, and one with secrets,
// rotated webhook secrets and unset optional settings) reads in the
// page's language; the settings' own values stay as they are.
func TestSettingValuesTranslated(t *testing.T) {
	c := mustCatalog(t)
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	var rows [][2]string
	for _, e := range []map[string]string{
		nil,
		{"HPP_WEBHOOK_URL": "https://shop.example.com/hook", "HPP_WEBHOOK_SECRET": strings.Repeat("a", 40) + "," + strings.Repeat("b", 41),
			"HPP_API_KEY": strings.Repeat("k", 40), "HPP_SHOP_TIMEZONE": "Pacific/Auckland"},
	} {
		cfg, err := config.Load(env(e))
		if err != nil {
			t.Fatalf("config.Load: %v", err)
		}
		rows = append(rows, cfg.Effective()...)
	}
	render := func(lang, v string) string {
		var b bytes.Buffer
		if err := settingValue(v).Render(WithLocalizer(t.Context(), c.Localizer(lang)), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for _, r := range rows {
		got := render(LangSimplifiedChinese, r[1])
		if strings.HasPrefix(r[1], "(") && strings.ContainsAny(got, "()") {
			t.Errorf("%s = %q reads %q in Simplified Chinese", r[0], r[1], got)
		}
		if !strings.HasPrefix(r[1], "(") && got != render(LangEnglish, r[1]) {
			t.Errorf("%s's own value %q changed with the language: %q", r[0], r[1], got)
		}
	}
	for _, c := range []struct{ lang, in, want string }{
		{LangEnglish, "(set, 40 characters)", "(set, 40 characters)"},
		{LangSimplifiedChinese, "(set, 40 characters)", "（已设置，40 个字符）"},
		{LangTraditionalChinese, "(set, 40 characters),(set, 41 characters)", "（已設定，40 個字元）、（已設定，41 個字元）"},
		{LangTraditionalChinese, "(none)", "（無）"},
		{LangTraditionalChinese, "https://pay.example.com (none)", "https://pay.example.com (none)"},
	} {
		if got := render(c.lang, c.in); got != c.want {
			t.Errorf("%s %q = %q, want %q", c.lang, c.in, got, c.want)
		}
	}
}
