package payments

import (
	"encoding/base32"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, all upper case.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

var (
	paymentIDPattern = regexp.MustCompile(`^pay_[0-9a-hjkmnp-tv-z]{26}$`)
	referencePattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)
)

// random16 reads 128 bits from r and encodes them as 26 characters.
func random16(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("payments: random: %w", err)
	}
	return crockford.EncodeToString(b[:]), nil
}

// newPaymentID makes a public capability id: "pay_" and 128 random bits.
func newPaymentID(r io.Reader) (string, error) {
	s, err := random16(r)
	return "pay_" + strings.ToLower(s), err
}

// newReference makes a merchant_reference for Latipay: 26 upper-case
// characters holding 128 random bits. Fixed length and an upper-case
// alphabet mean it can never end in a (lower-case) method or status word,
// which keeps Latipay's separator-free result signature unambiguous.
func newReference(r io.Reader) (string, error) { return random16(r) }

// ValidPaymentID reports whether s has the grammar of a payment id, so
// handlers can answer 404 without touching the database.
func ValidPaymentID(s string) bool { return paymentIDPattern.MatchString(s) }

// ValidReference reports whether s has the grammar of our Latipay references.
func ValidReference(s string) bool { return referencePattern.MatchString(s) }
