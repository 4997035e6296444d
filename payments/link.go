package payments

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Errors of signed payment links.
var (
	ErrLinkSignature = errors.New("payments: payment link signature is not valid")
	ErrLinkExpired   = errors.New("payments: payment link has expired")
)

// linkFields are the parameters a signed link may carry besides sig.
var linkFields = map[string]bool{"amount": true, "currency": true, "reference": true, "description": true,
	"return_url": true, "cancel_url": true, "method": true, "exp": true}

// LinkMessage is the text a payment link signs: every parameter but sig,
// sorted by name, as name=value joined with "&", where every byte of each
// name and value other than the RFC 3986 unreserved characters A-Z a-z
// 0-9 - . _ ~ is written as %XX (upper-case hex). No "&" or "=" survives
// inside a name or value, so the message splits back into exactly one set
// of parameters: moving "&exp=..." into description changes the message.
// (Python's urllib.parse.quote(s, safe="") and JavaScript's
// encodeURIComponent with !'()* also encoded produce the same escaping.)
// Links signed over the earlier unescaped form are refused: that form
// cannot tell a link that carries exp from one whose description ends in
// "&exp=...", so no old signature can be accepted safely.
func LinkMessage(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "sig" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		escapeUnreserved(&b, k)
		b.WriteByte('=')
		escapeUnreserved(&b, q.Get(k))
	}
	return b.String()
}

// RedirectMessage is the text the redirect back to the shop signs, in
// the form LinkMessage gives: every parameter but sig, sorted by name,
// name=value joined with "&", each name and value with every byte but the
// RFC 3986 unreserved characters written as %XX. Values are the
// merchant's (their return URL's own parameters, the payment's
// reference) and can hold "&" and "=": unescaped, "reference=x&status=paid"
// and a reference of "x&status=paid" would sign the same text, and a
// shopper who chose the reference could move a canceled payment's
// signature onto a URL saying paid.
func RedirectMessage(q url.Values) string { return LinkMessage(q) }

// escapeUnreserved writes s to b with every byte but A-Z a-z 0-9 - . _ ~
// percent-encoded.
func escapeUnreserved(b *strings.Builder, s string) {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
}

// SignLink returns the sig parameter for a payment link's query.
func SignLink(secret string, q url.Values) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(LinkMessage(q)))
	return hex.EncodeToString(m.Sum(nil))
}

// trackingParams are the parameters that social networks, ad platforms
// and email tools append to the links they carry (besides every utm_*
// one): TrackingParam.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "gbraid": true, "wbraid": true, "msclkid": true,
	"mc_cid": true, "mc_eid": true, "_ga": true, "_gl": true, "igshid": true, "twclid": true,
	"ttclid": true, "li_fat_id": true, "yclid": true,
	"_hsenc": true, "_hsmi": true, "mkt_tok": true, "srsltid": true, "oly_enc_id": true,
	"oly_anon_id": true, "vero_id": true, "rb_clickid": true, "s_cid": true,
}

// TrackingParam reports whether name is a well-known tracking parameter
// that tools append to a link (utm_* and the names in trackingParams): a
// signed link ignores those, so a link shared on a social network or in
// an email still opens. None is one of linkFields, so none can change
// what the link signs; any other unknown parameter is still refused.
func TrackingParam(name string) bool {
	return strings.HasPrefix(name, "utm_") || trackingParams[name]
}

// VerifyLink checks a payment link's query and turns it into a create
// request. Each parameter may appear once; tracking parameters
// (TrackingParam) are dropped unread, before anything else; other unknown
// ones are refused so nothing unsigned rides along; exp, when present, is
// a Unix time. A link past its exp returns its request with
// ErrLinkExpired: its signature is good, so the caller may still show the
// payment it already made (Service.LinkPayment); every other error
// returns no request.
func VerifyLink(secret string, q url.Values, now time.Time) (CreateInput, error) {
	if secret == "" {
		return CreateInput{}, ErrLinkSignature
	}
	signed := make(url.Values, len(q))
	for k, v := range q {
		if !TrackingParam(k) {
			signed[k] = v
		}
	}
	q = signed
	for k, v := range q {
		if len(v) != 1 || (k != "sig" && !linkFields[k]) {
			return CreateInput{}, ErrLinkSignature
		}
	}
	got, err := hex.DecodeString(q.Get("sig"))
	want, _ := hex.DecodeString(SignLink(secret, q))
	if err != nil || !hmac.Equal(got, want) {
		return CreateInput{}, ErrLinkSignature
	}
	in := CreateInput{
		Amount: q.Get("amount"), Currency: q.Get("currency"), Reference: q.Get("reference"),
		Description: q.Get("description"), ReturnURL: q.Get("return_url"),
		CancelURL: q.Get("cancel_url"), Method: q.Get("method"), Source: SourceLink,
	}
	if e := q.Get("exp"); e != "" {
		exp, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			return CreateInput{}, ErrLinkSignature
		}
		if !now.Before(time.Unix(exp, 0)) {
			return in, ErrLinkExpired
		}
	}
	return in, nil
}

// LinkKey is the idempotency key of the payment a signed link with that
// reference makes: one payment per reference.
func LinkKey(reference string) string { return "link:" + reference }
