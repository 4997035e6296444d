package latipay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// SignParams returns the sorted-parameters signature (package doc, Signatures) used by every
// merchant-to-Latipay request: the parameters other than "signature" whose
// value is not empty, sorted by key in byte order, joined as raw
// (not URL-encoded) key=value pairs with "&", with apiKey appended, then
// HMAC-SHA256 keyed by apiKey as lower-case hex.
//
// The message ends with the API key, so it must never be logged; this
// package never returns or stores it.
func SignParams(apiKey string, params map[string]string) string {
	return mac(apiKey, sortedMessage(params)+apiKey)
}

// sortedMessage joins the non-empty parameters other than "signature" as
// sorted raw key=value pairs separated by "&" (the sorted-parameters signature without the key).
func sortedMessage(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k, v := range params {
		if k == "signature" || v == "" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
	}
	return b.String()
}

// SignResult returns the result signature (package doc, Signatures) carried by
// notifications, return redirects and query responses: HMAC-SHA256 keyed by
// apiKey over ref+method+status+currency+amount, with no separators and no
// key appended, as lower-case hex.
//
// The fields are concatenated without delimiters, so a signature alone
// does not fix the field boundaries; verifiers must also enforce the
// field grammar, as VerifyNotification, VerifyReturn and Query do.
func SignResult(apiKey, ref, method, status, currency, amount string) string {
	return mac(apiKey, ref+method+status+currency+amount)
}

// SignCreateResponse returns the create-response signature (package doc, Signatures) carried by
// a create-transaction response: HMAC-SHA256 keyed by apiKey over
// nonce+hostURL (nonce first), as lower-case hex.
func SignCreateResponse(apiKey, nonce, hostURL string) string {
	return mac(apiKey, nonce+hostURL)
}

// VerifyResult reports whether signature is the result signature of the
// given fields. It hex-decodes signature and compares bytes with
// hmac.Equal, so an upper-case copy of a valid signature verifies; an
// empty, non-hex, odd-length or truncated one fails with ErrBadSignature.
// It does not check the field grammar.
func VerifyResult(apiKey string, ref, method, status, currency, amount, signature string) error {
	return verifyMAC(apiKey, ref+method+status+currency+amount, signature)
}

// mac returns hex(HMAC-SHA256(key, msg)).
func mac(key, msg string) string {
	return hex.EncodeToString(rawMAC(key, msg))
}

func rawMAC(key, msg string) []byte {
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// verifyMAC checks a hex signature over msg in constant time with respect
// to the signature's content.
func verifyMAC(key, msg, signature string) error {
	got, err := hex.DecodeString(signature)
	if err != nil || len(got) != sha256.Size {
		return ErrBadSignature
	}
	if !hmac.Equal(got, rawMAC(key, msg)) {
		return ErrBadSignature
	}
	return nil
}
