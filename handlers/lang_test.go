package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

const (
	langWeChatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
	langAlipayUA = "Mozilla/5.0 (Linux; U; Android 14; zh-CN; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100 Mobile Safari/537.36 AlipayClient/10.5.90.8000 Language/zh-Hant"
	langPhoneUA  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)

func TestMatchLang(t *testing.T) {
	m := langMatcher()
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"en", "en", true}, {"en-NZ", "en", true}, {"zh", "zh-Hans", true}, {"zh-CN", "zh-Hans", true},
		{"zh_CN", "zh-Hans", true}, {"zh-Hans", "zh-Hans", true}, {"zh-SG", "zh-Hans", true},
		{"zh-TW", "zh-Hant", true}, {"zh_TW", "zh-Hant", true}, {"zh-HK", "zh-Hant", true}, {"zh-Hant", "zh-Hant", true},
		{"", "", false}, {"klingon!", "", false}, {"<script>", "", false},
	} {
		got, ok := matchLang(m, tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("matchLang(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestUALang(t *testing.T) {
	for ua, want := range map[string]string{
		langWeChatUA: "zh_CN", langAlipayUA: "zh-Hant", langPhoneUA: "",
		"Mozilla/5.0 Language/zh_CN": "", // only the wallet apps' own token counts
	} {
		if got := uaLang(ua); got != want {
			t.Errorf("uaLang(%q) = %q, want %q", ua, got, want)
		}
	}
}

// TestChooseLangOrder: explicit ?lang=, then the session, then the wallet
// app's UA language, then Accept-Language, then English.
func TestChooseLangOrder(t *testing.T) {
	gin.SetMode(gin.TestMode)
	pu, _ := url.Parse("http://127.0.0.1:1")
	key := []byte("lang-session-key-0123456789abcdef")
	s := &Server{langs: langMatcher(), opts: Options{PublicURL: pu}, sessions: NewSessionStore(key, key[:32], false)}
	for _, tc := range []struct {
		name, query, ua, accept string
		cookie                  bool // a session remembering zh-Hant
		want                    string
		explicit                bool
	}{
		{"nothing", "", langPhoneUA, "", false, "en", false},
		{"accept zh-CN", "", langPhoneUA, "zh-CN,zh;q=0.9,en;q=0.8", false, "zh-Hans", false},
		{"accept zh-TW", "", langPhoneUA, "zh-TW", false, "zh-Hant", false},
		{"accept fr falls back", "", langPhoneUA, "fr-FR", false, "en", false},
		{"accept repeated q-values", "", langPhoneUA, "zh-CN,zh;q=0.9;q=0.9", false, "zh-Hans", false},
		{"wechat beats accept", "", langWeChatUA, "en-US", false, "zh-Hans", false},
		{"alipay beats accept", "", langAlipayUA, "en-US", false, "zh-Hant", false},
		{"param beats all", "lang=en", langWeChatUA, "zh-CN", false, "en", true},
		{"bad param ignored", "lang=xx-!!", langPhoneUA, "zh-CN", false, "zh-Hans", false},
		{"session beats ua", "", langWeChatUA, "zh-CN", true, "zh-Hant", true},
		{"param beats session", "lang=zh-Hans", langPhoneUA, "", true, "zh-Hans", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/checkout/x?"+tc.query, nil)
			r.Header.Set("User-Agent", tc.ua)
			r.Header.Set("Accept-Language", tc.accept)
			if tc.cookie {
				w := httptest.NewRecorder()
				c, _ := gin.CreateTestContext(w)
				c.Request = httptest.NewRequest("GET", "/", nil)
				s.setSessionLang(c, "zh-Hant")
				for _, ck := range w.Result().Cookies() {
					r.AddCookie(ck)
				}
			}
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = r
			got, explicit := s.resolveLang(c)
			if got != tc.want || explicit != tc.explicit {
				t.Errorf("resolveLang = %q, explicit %v; want %q, %v", got, explicit, tc.want, tc.explicit)
			}
			if s.carriedLang(c) != map[bool]string{true: tc.want, false: ""}[tc.explicit] {
				t.Errorf("carriedLang = %q", s.carriedLang(c))
			}
		})
	}
}

func TestWithLang(t *testing.T) {
	for _, tc := range []struct{ in, lang, want string }{
		{"/checkout/x", "zh-Hans", "/checkout/x?lang=zh-Hans"},
		{"/checkout/x?choose=1", "zh-Hant", "/checkout/x?choose=1&lang=zh-Hant"},
		{"/checkout/x?lang=en", "zh-Hans", "/checkout/x?lang=zh-Hans"},
		{"/checkout/x", "", "/checkout/x"},
		{"/a#f", "en", "/a?lang=en#f"},
		{"/a?", "zh-Hans", "/a?lang=zh-Hans"},
		{"/", "a b&c", "/?lang=a+b%26c"}, // escaped as url.Values.Encode does
	} {
		if got := withLang(tc.in, tc.lang); got != tc.want {
			t.Errorf("withLang(%q, %q) = %q, want %q", tc.in, tc.lang, got, tc.want)
		}
	}
}

// TestThemeContrast: whatever accent a merchant sets, the button text on
// it reaches WCAG AA (4.5:1).
func TestThemeContrast(t *testing.T) {
	for r := 0; r < 256; r += 17 {
		for g := 0; g < 256; g += 17 {
			for b := 0; b < 256; b += 17 {
				bg := luminance(uint8(r), uint8(g), uint8(b))
				css, err := themeCSS(hexColor(r, g, b))
				if err != nil {
					t.Fatal(err)
				}
				ink := luminance(0xff, 0xff, 0xff)
				if strings.Contains(css, "accent-ink:#000000") {
					ink = 0
				}
				if c := contrast(bg, ink); c < 4.5 {
					t.Errorf("accent %s: ink contrast %.2f < 4.5 (%s)", hexColor(r, g, b), c, css)
				}
			}
		}
	}
	for _, bad := range []string{"red", "#fff", "#12345g", "#1234567", "", "#00000;"} {
		if _, err := themeCSS(bad); err == nil {
			t.Errorf("themeCSS(%q) accepted", bad)
		}
	}
}

func hexColor(r, g, b int) string {
	const digits = "0123456789abcdef"
	out := []byte{'#'}
	for _, v := range []int{r, g, b} {
		out = append(out, digits[v>>4], digits[v&15])
	}
	return string(out)
}

// TestBrandRoutes: the logo and theme are served by us, and a direct
// visit to an SVG logo runs no script.
func TestBrandRoutes(t *testing.T) {
	logo := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	a := newSecApp(t, func(o *Options) { o.Logo, o.LogoType, o.AccentColor = logo, "image/svg+xml", "#ffcc00" })
	w := a.do(httptest.NewRequest("GET", a.url+LogoPath, nil))
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("GET logo = %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if csp := w.Header().Get("Content-Security-Policy"); csp == "" || !containsAll(csp, "default-src 'none'") {
		t.Errorf("logo CSP = %q, want default-src 'none'", csp)
	}
	w = a.do(httptest.NewRequest("GET", a.url+ThemePath, nil))
	if w.Code != http.StatusOK || w.Body.String() != ":root{--accent:#ffcc00;--accent-ink:#000000}\n" {
		t.Errorf("GET theme = %d %q", w.Code, w.Body)
	}
	page := a.do(httptest.NewRequest("GET", a.url+"/", nil)).Body.String()
	if !containsAll(page, `src="`+LogoPath+`"`, `href="`+ThemePath+`?v=`) {
		t.Errorf("home page lacks the logo or theme: %s", page)
	}
	if containsAll(page, "style=") {
		t.Error("a page has a style attribute (the CSP forbids inline styles)")
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
