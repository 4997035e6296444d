package payments

import (
	"encoding/base32"
	"fmt"
	"io"
	"strings"
	"time"
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, all upper case.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// crockfordLower and crockfordUpper mark the bytes of Crockford's
// alphabet in lower and in upper case: ids are written in lower case,
// references in upper case.
var crockfordLower, crockfordUpper = func() (lo, up [256]bool) {
	for _, c := range "0123456789ABCDEFGHJKMNPQRSTVWXYZ" {
		up[c] = true
		lo[strings.ToLower(string(c))[0]] = true
	}
	return lo, up
}()

// crockfordRun reports whether s is 26 or 33 bytes (128 random bits,
// with or without the 7 characters of time before them), each in set.
// It replaces the regular expressions ^pay_(?:[...]{7})?[...]{26}$ and
// ^(?:[...]{7})?[...]{26}$: the checkout page checks its id on every
// request, and the regexp's backtracking was 2% of the page's CPU.
func crockfordRun(s string, set *[256]bool) bool {
	if len(s) != 26 && len(s) != 33 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !set[s[i]] {
			return false
		}
	}
	return true
}

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

// newReference makes a merchant_reference for Latipay: the time now as 7
// characters (timePrefix), then 26 characters holding 128 random bits
// from r, in upper-case Crockford base32: 33 characters, within Latipay's
// 64. Fixed length and an upper-case alphabet mean it can never end in a
// (lower-case) method or status word, which keeps Latipay's
// separator-free result signature unambiguous. References made before
// the time prefix existed (the 26 random characters alone) stay valid
// (ValidReference accepts both): their attempts are in every database.
//
// Why the time comes first, as in NewPaymentID: the reference keys the
// attempts' unique reference index and, with each callback's digest, the
// notifications' key. With random bits first, every checkout start and
// every callback wrote to a random leaf of those B-trees, at 1,000,000
// payments a leaf in no cache; references that begin with the time sort
// in creation order, so each new one goes to the right-most leaf.
//
// What it costs: the reference reveals when the attempt was started, to
// the second, to whoever sees it: Latipay (which records the time
// itself), the merchant (who sees the attempt's time anyway) and the
// shopper's browser on the return redirect (who started it). Guessing
// one is as hard as before; the 128 random bits are all there still.
func newReference(r io.Reader, now time.Time) (string, error) {
	s, err := random16(r)
	if err != nil {
		return "", err
	}
	return timePrefix(now) + s, nil
}

// ValidPaymentID reports whether s has the grammar of a payment id, so
// handlers can answer 404 without touching the database.
func ValidPaymentID(s string) bool {
	rest, ok := strings.CutPrefix(s, "pay_")
	return ok && crockfordRun(rest, &crockfordLower)
}

// ValidReference reports whether s has the grammar of our Latipay
// references: 33 characters (time and random) or, made before the time
// prefix, 26 (random alone).
func ValidReference(s string) bool { return crockfordRun(s, &crockfordUpper) }
