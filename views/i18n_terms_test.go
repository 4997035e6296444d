package views

import (
	"regexp"
	"strings"
	"testing"
)

// TestQRAndDisplayWords: each Chinese catalogue calls a QR code one thing
// (二维码, 二維碼; never QR 碼 beside 二維碼) and the display facing the
// shopper by its page's name (display.title), never a shorter word for
// it that the till's own link does not use.
func TestQRAndDisplayWords(t *testing.T) {
	c := mustCatalog(t)
	for tag, words := range map[string]struct {
		qr      string
		otherQR []string
		bare    *regexp.Regexp // the display's word without its "shopper's"
	}{
		LangSimplifiedChinese:  {"二维码", []string{"QR 码", "QR码"}, regexp.MustCompile(`(?:^|[^客])显示屏`)},
		LangTraditionalChinese: {"二維碼", []string{"QR 碼", "QR碼"}, regexp.MustCompile(`(?:^|[^客])顯示螢幕`)},
	} {
		display := c.Localizer(tag).T("display.title")
		if got := c.Localizer(tag).T("counter.displays.title"); got != display {
			t.Errorf("%s: the till's link to its displays reads %q, the display itself %q", tag, got, display)
		}
		for _, id := range c.IDs(tag) {
			src, _ := c.Source(tag, id)
			for _, w := range words.otherQR {
				if strings.Contains(src, w) {
					t.Errorf("%s %s says %q for a QR code, where the other pages say %q: %q", tag, id, w, words.qr, src)
				}
			}
			if words.bare.MatchString(src) {
				t.Errorf("%s %s names the display otherwise than %q: %q", tag, id, display, src)
			}
		}
	}
}
