package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tokenTTL is how long a socket token issued with a page stays valid.
const tokenTTL = 30 * time.Minute

// socketToken ties a websocket to one payment for a short time:
// "<unix expiry>.<base64url HMAC(key, id|expiry)>".
func socketToken(key []byte, paymentID string, now time.Time) string {
	t := newTokenSigner(key)
	return string(t.appendToken(nil, paymentID, now))
}

// checkSocketToken reports whether tok was issued for paymentID and has
// not expired.
func checkSocketToken(key []byte, paymentID, tok string, now time.Time) bool {
	exp, mac, ok := strings.Cut(tok, ".")
	if !ok {
		return false
	}
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || now.Unix() >= e {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(tokenMAC(key, paymentID, exp)))
}

func tokenMAC(key []byte, paymentID, exp string) string {
	return string(newTokenSigner(key).appendMAC(nil, paymentID, []byte(exp)))
}

// tokenSigner computes socket tokens under one key. It is not safe for
// concurrent use; tokenSigners pools them.
type tokenSigner struct {
	mac hash.Hash // HMAC-SHA256 under the key
	// msg and sum are scratch space on the heap already: buffers passed
	// to mac's methods would escape, one allocation each per token.
	msg []byte
	sum [sha256.Size]byte
}

func newTokenSigner(key []byte) *tokenSigner {
	return &tokenSigner{mac: hmac.New(sha256.New, key), msg: make([]byte, 0, 128)}
}

// appendToken appends socketToken's token to dst.
func (t *tokenSigner) appendToken(dst []byte, paymentID string, now time.Time) []byte {
	start := len(dst)
	dst = strconv.AppendInt(dst, now.Add(tokenTTL).Unix(), 10)
	exp := dst[start:]
	dst = append(dst, '.')
	return t.appendMAC(dst, paymentID, exp)
}

// appendMAC appends base64url(HMAC(key, "ws|" + paymentID + "|" + exp)).
func (t *tokenSigner) appendMAC(dst []byte, paymentID string, exp []byte) []byte {
	t.mac.Reset()
	t.msg = append(append(append(append(t.msg[:0], "ws|"...), paymentID...), '|'), exp...)
	t.mac.Write(t.msg)
	return base64.RawURLEncoding.AppendEncode(dst, t.mac.Sum(t.sum[:0]))
}

// tokenSigners pools the signers of one key: a page's token from a pooled
// signer takes one allocation where hmac.New and the conversions took
// eleven (the checkout page's profile).
type tokenSigners struct {
	pool sync.Pool // *tokenSigner
}

func newTokenSigners(key []byte) *tokenSigners {
	return &tokenSigners{pool: sync.Pool{New: func() any { return newTokenSigner(key) }}}
}

// appendToken appends socketToken(key, paymentID, now) to dst.
func (ts *tokenSigners) appendToken(dst []byte, paymentID string, now time.Time) []byte {
	t := ts.pool.Get().(*tokenSigner)
	defer ts.pool.Put(t)
	return t.appendToken(dst, paymentID, now)
}
