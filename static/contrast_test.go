package static

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestPaletteContrast computes the WCAG 2.2 contrast ratio of every text
// and background pair app.css uses, from its custom properties, and wants
// AA (4.5:1) for each.
func TestPaletteContrast(t *testing.T) {
	css, err := os.ReadFile("css/app.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})\s*;`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	pairs := [][2]string{
		{"ink", "card"}, {"ink", "bg"}, {"muted", "card"}, {"muted", "info-bg"}, {"ink", "info-bg"},
		{"good", "good-bg"}, {"bad", "bad-bg"}, {"bad", "card"}, {"good", "card"}, {"link", "card"}, {"link", "info-bg"},
		{"sandbox", "sandbox-bg"}, {"accent-ink", "accent"},
		{"on-color", "wechat"}, {"on-color", "alipay"}, {"on-color", "unionpay"}, {"on-color", "secondary"},
		{"qr-dark", "qr-light"},
	}
	for _, p := range pairs {
		fg, bg := vars[p[0]], vars[p[1]]
		if fg == "" || bg == "" {
			t.Errorf("--%s or --%s is not a #rrggbb custom property in app.css", p[0], p[1])
			continue
		}
		c := ratio(lum(fg), lum(bg))
		t.Logf("--%s on --%s: %.2f:1", p[0], p[1], c)
		if c < 4.5 {
			t.Errorf("--%s %s on --%s %s: contrast %.2f:1, want at least 4.5:1", p[0], fg, p[1], bg, c)
		}
	}
	if c := ratio(lum(vars["qr-dark"]), lum(vars["qr-light"])); c < 15 {
		t.Errorf("QR contrast %.2f:1: the QR must stay dark on light", c)
	}
}

func lum(hex string) float64 {
	v, _ := strconv.ParseUint(hex[1:], 16, 32)
	ch := func(c uint64) float64 {
		x := float64(c) / 255
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(v>>16&255) + 0.7152*ch(v>>8&255) + 0.0722*ch(v&255)
}

func ratio(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	return (a + 0.05) / (b + 0.05)
}
