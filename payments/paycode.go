package payments

import (
	"fmt"
	"strings"
	"unicode/utf8"
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

// PayCodeProblem names what is wrong with a pay code.
type PayCodeProblem string

// The pay code problems, for a message in the cashier's language.
const (
	PayCodeEmpty         PayCodeProblem = "empty"          // nothing was scanned
	PayCodeNotDigits     PayCodeProblem = "not_digits"     // a character other than 0-9
	PayCodeWrongLength   PayCodeProblem = "wrong_length"   // Wallet's prefix, another length
	PayCodeUnknownPrefix PayCodeProblem = "unknown_prefix" // neither wallet's first two digits
)

// PayCodeError says what is wrong with a scanned pay code, in fields a
// page can put into any language and in English words (Error). It matches
// ErrInvalid, and errors.As turns it into a *ValidationError with that one
// problem, so the HTTP error funnel shows it as it shows field problems.
type PayCodeError struct {
	Problem PayCodeProblem
	Wallet  Method // PayCodeWrongLength: the wallet the code's prefix names
	Digits  int    // how many characters the code has, spaces around it trimmed
	Prefix  string // PayCodeWrongLength, PayCodeUnknownPrefix: its first two digits
	Char    rune   // PayCodeNotDigits: the first character that is not a digit
}

func (e *PayCodeError) Error() string { return "payments: invalid input: " + e.problem() }

// problem is the English text of e.
func (e *PayCodeError) problem() string {
	switch e.Problem {
	case PayCodeEmpty:
		return "the pay code is empty: scan the barcode in the shopper's WeChat Pay or Alipay app"
	case PayCodeNotDigits:
		return fmt.Sprintf("a pay code is digits only, and this one has %q in it", e.Char)
	case PayCodeWrongLength:
		if e.Wallet == MethodWeChat {
			return fmt.Sprintf("this looks like a WeChat Pay code (it starts with %s), but those have %d digits and this one has %d",
				e.Prefix, weChatPayCodeLen, e.Digits)
		}
		return fmt.Sprintf("this looks like an Alipay code (it starts with %s), but those have %d to %d digits and this one has %d",
			e.Prefix, alipayPayCodeMinLen, alipayPayCodeMaxLen, e.Digits)
	case PayCodeUnknownPrefix:
		if e.Prefix == "" {
			return fmt.Sprintf("a pay code has %d to %d digits, and this one has %d", alipayPayCodeMinLen, alipayPayCodeMaxLen, e.Digits)
		}
		return "this is not a WeChat Pay or Alipay pay code: it starts with " + e.Prefix +
			", and WeChat Pay codes start with 10 to 15, Alipay codes with 25 to 30"
	}
	return "the pay code is not valid"
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *PayCodeError) Is(target error) bool { return target == ErrInvalid }

// As gives a *ValidationError holding e's English text.
func (e *PayCodeError) As(target any) bool {
	if v, ok := target.(**ValidationError); ok {
		*v = &ValidationError{Problems: []string{e.problem()}}
		return true
	}
	return false
}

// ParsePayCode returns the wallet a scanned pay code belongs to. Spaces,
// tabs and line ends around it (a keyboard-wedge scanner adds them) are
// ignored; nothing else is forgiven. The error is a *PayCodeError: it
// matches ErrInvalid and says in plain words what is wrong with the code.
func ParsePayCode(s string) (Method, error) {
	code := strings.TrimSpace(s)
	if code == "" {
		return "", &PayCodeError{Problem: PayCodeEmpty}
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return "", &PayCodeError{Problem: PayCodeNotDigits, Char: r, Digits: utf8.RuneCountInString(code)}
		}
	}
	if len(code) < 2 {
		return "", &PayCodeError{Problem: PayCodeUnknownPrefix, Digits: len(code)}
	}
	switch p := code[:2]; {
	case p >= "10" && p <= "15":
		if len(code) != weChatPayCodeLen {
			return "", &PayCodeError{Problem: PayCodeWrongLength, Wallet: MethodWeChat, Prefix: p, Digits: len(code)}
		}
		return MethodWeChat, nil
	case p >= "25" && p <= "30":
		if len(code) < alipayPayCodeMinLen || len(code) > alipayPayCodeMaxLen {
			return "", &PayCodeError{Problem: PayCodeWrongLength, Wallet: MethodAlipay, Prefix: p, Digits: len(code)}
		}
		return MethodAlipay, nil
	default:
		return "", &PayCodeError{Problem: PayCodeUnknownPrefix, Prefix: p, Digits: len(code)}
	}
}

// CleanPayCode is a pay code as it is sent to Latipay: the digits alone,
// without what a scanner added around them. Call ParsePayCode first.
func CleanPayCode(s string) string { return strings.TrimSpace(s) }
