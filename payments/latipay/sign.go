package latipay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"slices"
	"sync"
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
	return string(appendSorted(nil, params))
}

// appendSorted appends sortedMessage(params) to dst.
func appendSorted(dst []byte, params map[string]string) []byte {
	keys := make([]string, 0, 16) // on the stack for up to 16 parameters
	for k, v := range params {
		if k == "signature" || v == "" {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, k...)
		dst = append(dst, '=')
		dst = append(dst, params[k]...)
	}
	return dst
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

// apiKey is a Client's signing secret, with a pool of HMAC-SHA256 states
// keyed by it. The Client signs and verifies through these rather than
// through SignParams and verifyMAC: a new HMAC hashes the padded key twice
// and allocates two SHA-256 states, and the messages were built as strings
// (the merchant-hosted QR data's, with its base64 PNG, several times over),
// about a fifth of the app's garbage per checkout start.
type apiKey struct {
	s    string
	macs sync.Pool // of *keyedMAC, keyed by s
}

// keyedMAC is an HMAC keyed by an apiKey and the buffer its messages are
// built in. The buffer never keeps the key: see sum.
type keyedMAC struct {
	h   hash.Hash
	msg []byte
	out [sha256.Size]byte
}

func (k *apiKey) mac() *keyedMAC {
	if m, ok := k.macs.Get().(*keyedMAC); ok {
		return m
	}
	return &keyedMAC{h: hmac.New(sha256.New, []byte(k.s))}
}

// maxPooledMsg bounds the message buffer kept in the pool; a larger one
// (an outsized response) is left to the garbage collector.
const maxPooledMsg = 64 << 10

func (k *apiKey) release(m *keyedMAC) {
	if cap(m.msg) > maxPooledMsg {
		m.msg = nil
	}
	m.msg = m.msg[:0]
	k.macs.Put(m)
}

// sum returns the HMAC of m.msg, with the key appended when withKey is
// set (the sorted-parameters signature), and resets m. The key is cleared
// from the buffer once hashed.
func (k *apiKey) sum(m *keyedMAC, withKey bool) []byte {
	n := len(m.msg)
	if withKey {
		m.msg = append(m.msg, k.s...)
	}
	m.h.Reset()
	m.h.Write(m.msg)
	clear(m.msg[n:])
	return m.h.Sum(m.out[:0])
}

// signParams is SignParams(k.s, params).
func (k *apiKey) signParams(params map[string]string) string {
	m := k.mac()
	defer k.release(m)
	m.msg = appendSorted(m.msg, params)
	return hex.EncodeToString(k.sum(m, true))
}

// verifyParams checks a sorted-parameters signature of params, as
// verifyMAC(k.s, sortedMessage(params)+k.s, signature) does.
func (k *apiKey) verifyParams(params map[string]string, signature string) error {
	m := k.mac()
	defer k.release(m)
	m.msg = appendSorted(m.msg, params)
	return verifySum(k.sum(m, true), signature)
}

// verify checks a signature over the concatenated parts, as
// verifyMAC(k.s, strings.Join(parts, ""), signature) does.
func (k *apiKey) verify(signature string, parts ...string) error {
	m := k.mac()
	defer k.release(m)
	for _, p := range parts {
		m.msg = append(m.msg, p...)
	}
	return verifySum(k.sum(m, false), signature)
}

// verifySum compares the hex signature with sum in constant time with
// respect to the signature's content, with verifyMAC's rules: a signature
// that is not exactly 64 hex digits (either case) fails.
func verifySum(sum []byte, signature string) error {
	var got [sha256.Size]byte
	if len(signature) != 2*len(got) {
		return ErrBadSignature
	}
	for i := range got {
		hi, ok1 := fromHex(signature[2*i])
		lo, ok2 := fromHex(signature[2*i+1])
		if !ok1 || !ok2 {
			return ErrBadSignature
		}
		got[i] = hi<<4 | lo
	}
	if !hmac.Equal(got[:], sum) {
		return ErrBadSignature
	}
	return nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
