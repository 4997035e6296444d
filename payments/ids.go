package payments

import (
	"encoding/base32"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, all upper case.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

var (
	paymentIDPattern = regexp.MustCompile(`^pay_(?:[0-9a-hjkmnp-tv-z]{7})?[0-9a-hjkmnp-tv-z]{26}$`)
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

// NewPaymentID makes a public capability id: "pay_", the creation time
// in whole seconds since 1970 as 7 characters (35 bits, so until the year
// 3058), then 26 characters holding 128 random bits from r, in lower-case
// Crockford base32: 37 characters. Ids made before the time prefix
// existed ("pay_" and the 26 random characters alone, 30 characters)
// stay valid everywhere (ValidPaymentID accepts both).
//
// Why the time comes first: the id keys the payments' primary key and,
// through payment_id, the events', the attempts' and the refunds'
// indexes. With 128 random bits first, every new payment's rows landed on
// a random leaf of each of those B-trees; in a database of 1,000,000
// payments those leaves are not in any page cache, so every create and
// checkout start read them from the file (e2e/load/README.md, "SQLite at
// 1,000,000"). Ids that begin with the time sort in creation order, so
// each new row goes to the leaf the ids made just before it filled (old
// random ids sort around that run, not into it).
//
// What it costs: whoever holds the id learns when the payment was
// created, to the second. The id is a capability, secret only in its
// random bits, and its holder is the shopper or the merchant, whom the
// checkout page and the API already show the payment's expiry (its
// creation time plus the expiry window) and the merchant its created_at;
// guessing an id is as hard as before, the 128 random bits being all
// there still. Fixed width keeps string order equal to time order.
func NewPaymentID(r io.Reader, now time.Time) (string, error) {
	s, err := random16(r)
	if err != nil {
		return "", err
	}
	return "pay_" + strings.ToLower(timePrefix(now)+s), nil
}

// timePrefix encodes now's whole seconds since 1970 (clamped to 0 and
// 2^35-1) as 7 Crockford base32 characters, most significant first.
func timePrefix(now time.Time) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	sec := min(max(now.Unix(), 0), 1<<35-1)
	var b [7]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = alphabet[sec&31]
		sec >>= 5
	}
	return string(b[:])
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
