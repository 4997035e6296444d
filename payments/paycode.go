package payments

import (
	"fmt"
	"strings"
)

// Pay codes are the numbers behind the barcode a shopper's wallet shows at
// a counter ("付款码"); the cashier scans one and Latipay charges it. Their
// shape tells the wallet apart before anything is sent to Latipay:
//
//   - WeChat Pay: 18 digits, starting 10 to 15;
//   - Alipay: 16 to 24 digits, starting 25 to 30.
//
// A code is single-use and lives about a minute in the shopper's app.
const (
	weChatPayCodeLen    = 18
	alipayPayCodeMinLen = 16
	alipayPayCodeMaxLen = 24
)

// ParsePayCode returns the wallet a scanned pay code belongs to. Spaces,
// tabs and line ends around it (a keyboard-wedge scanner adds them) are
// ignored; nothing else is forgiven. The error matches ErrInvalid and says
// in plain words what is wrong with the code.
func ParsePayCode(s string) (Method, error) {
	code := strings.TrimSpace(s)
	bad := func(format string, a ...any) (Method, error) {
		return "", fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
	}
	if code == "" {
		return bad("the pay code is empty: scan the barcode in the shopper's WeChat Pay or Alipay app")
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return bad("a pay code is digits only, and this one has %q in it", r)
		}
	}
	if len(code) < 2 {
		return bad("a pay code has 16 to 24 digits, and this one has %d", len(code))
	}
	switch p := code[:2]; {
	case p >= "10" && p <= "15":
		if len(code) != weChatPayCodeLen {
			return bad("this looks like a WeChat Pay code (it starts with %s), but those have %d digits and this one has %d",
				p, weChatPayCodeLen, len(code))
		}
		return MethodWeChat, nil
	case p >= "25" && p <= "30":
		if len(code) < alipayPayCodeMinLen || len(code) > alipayPayCodeMaxLen {
			return bad("this looks like an Alipay code (it starts with %s), but those have %d to %d digits and this one has %d",
				p, alipayPayCodeMinLen, alipayPayCodeMaxLen, len(code))
		}
		return MethodAlipay, nil
	default:
		return bad("this is not a WeChat Pay or Alipay pay code: it starts with %s, and WeChat Pay codes start with 10 to 15, Alipay codes with 25 to 30", p)
	}
}

// CleanPayCode is a pay code as it is sent to Latipay: the digits alone,
// without what a scanner added around them. Call ParsePayCode first.
func CleanPayCode(s string) string { return strings.TrimSpace(s) }
