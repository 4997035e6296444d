package payments

import (
	"fmt"
	"strings"
)

// Currency is an ISO 4217 code that a Latipay wallet can hold.
type Currency string

// The currencies Latipay wallets hold (package latipay, Currencies, amounts and times).
const (
	NZD Currency = "NZD"
	AUD Currency = "AUD"
	CNY Currency = "CNY"
)

// Currencies lists every supported currency.
var Currencies = []Currency{NZD, AUD, CNY}

// ParseCurrency accepts exactly a supported upper-case code.
func ParseCurrency(s string) (Currency, error) {
	for _, c := range Currencies {
		if s == string(c) {
			return c, nil
		}
	}
	return "", fmt.Errorf("%w: currency must be one of NZD, AUD or CNY", ErrInvalid)
}

// Exponent is the number of minor-unit digits of the currency.
func (c Currency) Exponent() int { return 2 }

// maxMinor caps amounts well below int64 overflow: 10^12 minor units.
const maxMinor = 1_000_000_000_000

// ParseAmount parses a plain ASCII decimal such as "12.50" into minor units.
// It accepts at most the currency's exponent digits after the point, no sign,
// no exponent, no grouping, no spaces and no non-ASCII digits. Zero is
// rejected: a payment is always for a positive amount.
func ParseAmount(s string, c Currency) (int64, error) {
	bad := fmt.Errorf("%w: amount %q must be a decimal such as \"12.50\"", ErrInvalid, clip(s))
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && (frac == "" || len(frac) > c.Exponent())) {
		return 0, bad
	}
	if len(whole) > 13 { // more digits than the cap has: say so, if it is a number
		if strings.Trim(whole+frac, "0123456789") == "" && whole[0] != '0' {
			return 0, fmt.Errorf("%w: amount is too large: at most %s", ErrInvalid, FormatAmount(maxMinor, c))
		}
		return 0, bad
	}
	if len(whole) > 1 && whole[0] == '0' {
		return 0, bad
	}
	var n int64
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, bad
		}
		n = n*10 + int64(r-'0')
	}
	for i := len(frac); i < c.Exponent(); i++ {
		n *= 10
	}
	if n <= 0 {
		return 0, fmt.Errorf("%w: amount must be greater than zero", ErrInvalid)
	}
	if n > maxMinor {
		return 0, fmt.Errorf("%w: amount is too large: at most %s", ErrInvalid, FormatAmount(maxMinor, c))
	}
	return n, nil
}

// FormatAmount renders minor units with exactly the currency's exponent
// digits, as Latipay expects: 1250 -> "12.50".
func FormatAmount(minor int64, c Currency) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	e := c.Exponent()
	p := int64(1)
	for i := 0; i < e; i++ {
		p *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, minor/p, e, minor%p)
}

// clip shortens user input quoted back in error messages.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
