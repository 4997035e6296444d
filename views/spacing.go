package views

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The Chinese catalogues put one space between Chinese and Latin letters
// or digits ("向 Latipay 查询", "24 小时"), and none between Chinese and
// full-width punctuation, as mainland and Taiwan UI copy does. Text
// filled in from outside (a merchant's name, an amount, a reference, a
// wallet's name) is spaced by the filling, not by the catalogue: the
// catalogue writes its placeholders tight against Chinese ("向{{.P1}}付款")
// and T puts the space in where the value meets Chinese with a Latin
// letter, a digit or a currency sign: "向 Demo Shop 付款", "约 ￥ 56.25",
// but "向奇异果小店付款" and "用微信支付付款". Only the value tells which it
// needs: a shop may have a Chinese or an English name, and a wallet's
// name is Chinese in Chinese (微信支付) but UnionPay's may not be.
//
// Dates are written tight, as CLDR writes them ("2026年12月8日"): a digit
// before 年, 月 or 日 and after 年 or 月 (after 日 comes the time, spaced:
// "12月8日 14:30"). Two values side by side, with no catalogue text
// between them, are joined as the catalogue wrote them.
//
// A value a page's script fills in later ("{time}", "{amount}" in a
// data-t-* attribute) is only its placeholder when T runs, so T cannot
// space it: the catalogues put such a value beside full-width
// punctuation ("您将自动退出登录（时间：{{.P1}}）", "查看：{{.P1}}").

// wide reports whether r is Chinese text (or Japanese kana) that takes a
// space before Latin text.
func wide(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Bopomofo)
}

// narrow reports whether r starts or ends a word the space sets apart
// from Chinese: a Latin (or other alphabetic) letter, a digit, or a
// currency sign, of an amount. Full-width letters and digits are set as
// Chinese and are not.
func narrow(r rune) bool {
	if wide(r) || (r >= 0xFF10 && r <= 0xFF5A) {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Sc, r)
}

// needSpace reports whether a space belongs between a and b under the
// rule above.
func needSpace(a, b rune) bool {
	if (unicode.IsDigit(a) && (b == '年' || b == '月' || b == '日')) || ((a == '年' || a == '月') && unicode.IsDigit(b)) {
		return false
	}
	return (wide(a) && narrow(b)) || (narrow(a) && wide(b))
}

// apply fills in args as text/template prints them; spaced, each value
// gets the space it needs against the catalogue's text on either side
// (see needSpace).
func (f fill) apply(args []any, spaced bool) string {
	var b strings.Builder
	after := "" // the value just written, while text may follow it
	for i, t := range f.text {
		if spaced && after != "" && t != "" {
			last, _ := utf8.DecodeLastRuneInString(after)
			first, _ := utf8.DecodeRuneInString(t)
			if needSpace(last, first) {
				b.WriteByte(' ')
			}
		}
		b.WriteString(t)
		if i < len(f.at) {
			s, ok := args[f.at[i]].(string)
			if !ok {
				s = fmt.Sprint(args[f.at[i]])
			}
			if spaced && t != "" && s != "" {
				last, _ := utf8.DecodeLastRuneInString(t)
				first, _ := utf8.DecodeRuneInString(s)
				if needSpace(last, first) {
					b.WriteByte(' ')
				}
			}
			b.WriteString(s)
			after = s
		}
	}
	return b.String()
}

// Marks around each value when go-i18n renders a message (the general
// path, see localize), so that spaceMarked can space the values as
// apply does. They are private-use code points, taken out of the values
// first.
const (
	markOpen  = '\uE000'
	markClose = '\uE001'
)

// markArgs returns the template data of args, each value printed and
// wrapped in the marks.
func markArgs(args []any) map[string]any {
	marked := make([]any, len(args))
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			s = fmt.Sprint(a)
		}
		s = strings.NewReplacer(string(markOpen), "", string(markClose), "").Replace(s)
		marked[i] = string(markOpen) + s + string(markClose)
	}
	return argData(marked)
}

// spaceMarked takes the marks out of s, spacing each marked value
// against the text either side of it as apply does.
func spaceMarked(s string) string {
	var b strings.Builder
	in := false        // inside a value
	wrote := false     // the current value has written a rune
	closed := false    // a value has just ended
	var last rune = -1 // the last rune written
	var valueEnd rune  // the last rune of the value that just ended
	prevText := false  // last was written by catalogue text
	for _, r := range s {
		switch r {
		case markOpen:
			in, wrote, closed = true, false, false
			continue
		case markClose:
			in, closed, prevText = false, wrote, false
			valueEnd = last
			continue
		}
		if in {
			if !wrote && prevText && needSpace(last, r) {
				b.WriteByte(' ')
			}
			wrote, prevText = true, false
		} else {
			if closed && needSpace(valueEnd, r) {
				b.WriteByte(' ')
			}
			closed, prevText = false, true
		}
		b.WriteRune(r)
		last = r
	}
	return b.String()
}

// JoinPhrases puts two pieces of one line of text together as l's
// language sets them apart: a space in English; in Chinese nothing beside
// full-width punctuation ("已付款（已查询 3 次）"), a comma between two
// Chinese phrases ("接收地址拒绝了连接，72 小时后放弃") and a space
// between Chinese and Latin text. Either piece may be empty.
func JoinPhrases(l Localizer, a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case l.Lang() == LangEnglish:
		return a + " " + b
	}
	last, _ := utf8.DecodeLastRuneInString(a)
	first, _ := utf8.DecodeRuneInString(b)
	switch {
	case fullWidthPunct(last) || fullWidthPunct(first):
		return a + b
	case strings.IndexFunc(a, wide) >= 0 && strings.IndexFunc(b, wide) >= 0:
		return a + "，" + b
	}
	return a + " " + b
}

// fullWidthPunct reports whether r is CJK or full-width punctuation,
// which takes no space on either side.
func fullWidthPunct(r rune) bool {
	return (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF01 && r <= 0xFF0F) || (r >= 0xFF1A && r <= 0xFF20) ||
		(r >= 0xFF3B && r <= 0xFF40) || (r >= 0xFF5B && r <= 0xFF65) || strings.ContainsRune("“”‘’…—", r)
}
