package latipay

import (
	"net/netip"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The result signature (package doc, Signatures) concatenates five fields with no delimiter,
// so a signature over "ref|alipay|paid|NZD|1.00" also covers any other
// split of the same bytes. Boundaries are only unambiguous if every field
// has a strict grammar whose alphabets cannot be confused at the seams:
// reference [0-9A-Za-z_-], method and status from closed word lists (no
// method is a suffix of another), currency [A-Z]{3}, amount starting with
// a digit. Everything here is ASCII and case-sensitive on purpose.
var (
	refRE       = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)
	orderIDRE   = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)
	currencyRE  = regexp.MustCompile(`^[A-Z]{3}$`)
	amountRE    = regexp.MustCompile(`^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$`)
	sendAmtRE   = regexp.MustCompile(`^(0|[1-9][0-9]{0,11})\.[0-9]{2}$`)
	nonceRE     = regexp.MustCompile(`^[0-9A-Za-z]{16,128}$`)
	knownMethod = map[string]bool{
		"wechat": true, "alipay": true, "upi_upop": true, "unionpay": true,
		"onlinebank": true, "onlineBank": true, "polipay": true, "payid": true,
		"azupay": true, "moneymore": true, "coin_payments": true, "latipay": true,
	}
	knownStatus = map[string]bool{
		"pending": true, "paid": true, "failed": true, "canceled": true,
		"rejected": true, "cancel_or_fail": true,
	}
)

// validRef reports whether s is an acceptable merchant_reference.
func validRef(s string) bool { return refRE.MatchString(s) }

// validAmount reports whether s is a plain ASCII decimal with at most two
// decimals, as Latipay sends amounts (e.g. "120.00", "0.1", "120").
func validAmount(s string) bool { return amountRE.MatchString(s) }

// validSendAmount reports whether s is a positive amount with exactly two
// decimals, the only form this client sends.
func validSendAmount(s string) bool {
	return sendAmtRE.MatchString(s) && strings.Trim(s, "0.") != ""
}

// checkResult applies the field grammar to the five signed result fields
// and returns the name of the first field that fails, or "".
func checkResult(ref, method, status, currency, amount string) string {
	switch {
	case !validRef(ref):
		return "merchant_reference"
	case !knownMethod[method]:
		return "payment_method"
	case !knownStatus[status]:
		return "status"
	case !currencyRE.MatchString(currency):
		return "currency"
	case !validAmount(amount):
		return "amount"
	}
	return ""
}

// ipv4 returns the customer IP to send. Latipay documents ip as an IPv4
// address of at most 16 characters and rejects anything else with a
// parameter error, which would fail the whole payment over a field that
// only feeds Latipay's risk checks. So an IPv4-mapped IPv6 address is
// unmapped, and IPv6 or unparsable input falls back to 127.0.0.1, as
// Latipay's own demo and playground do.
func ipv4(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return "127.0.0.1"
	}
	a = a.Unmap()
	if !a.Is4() {
		return "127.0.0.1"
	}
	return a.String()
}

// cleanText reports whether s is valid UTF-8 without control characters.
// JSON encoding would replace invalid UTF-8 with U+FFFD, so the value
// Latipay receives would differ from the value signed.
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	return strings.IndexFunc(s, unicode.IsControl) < 0
}
