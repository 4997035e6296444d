package handlers

import (
	"crypto/hmac"
	"crypto/rand"
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
// not expired. The MAC may come masked (maskedToken), as pages carry it,
// or plain.
func checkSocketToken(key []byte, paymentID, tok string, now time.Time) bool {
	exp, mac, ok := strings.Cut(tok, ".")
	if !ok {
		return false
	}
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || now.Unix() >= e {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil {
		return false
	}
	switch len(got) {
	case sha256.Size:
	case 2 * sha256.Size: // pad, then MAC XOR pad
		pad, x := got[:sha256.Size], got[sha256.Size:]
		for i := range x {
			x[i] ^= pad[i]
		}
		got = x
	default:
		return false
	}
	t := newTokenSigner(key)
	return hmac.Equal(got, t.sumMAC(paymentID, []byte(exp)))
}

// BREACH. The checkout page is gzipped, and it reflects text of the
// requester's choosing (every query parameter comes back in its language
// links). Were the token's MAC the same on every load, an attacker who
// can make a shopper's browser load the page with chosen parameters and
// watch the lengths on the wire could find it a character at a time: a
// guess that repeats the MAC compresses shorter. So the page carries the
// MAC masked with a fresh random pad per response, as Django and
// gorilla/csrf do with CSRF tokens: "<expiry>.<base64url(pad | MAC^pad)>".
// No two responses share the bytes, so no guess can match them. The
// expiry is no secret and stays readable.

// appendMaskedToken appends the page's token for paymentID: its MAC
// masked with a fresh random pad.
func (ts *tokenSigners) appendMaskedToken(dst []byte, paymentID string, now time.Time) []byte {
	t := ts.pool.Get().(*tokenSigner)
	defer ts.pool.Put(t)
	exp := strconv.AppendInt(nil, now.Add(tokenTTL).Unix(), 10)
	dst = append(append(dst, exp...), '.')
	var b [2 * sha256.Size]byte
	pad, x := b[:sha256.Size], b[sha256.Size:]
	_, _ = rand.Read(pad) // never fails (crypto/rand)
	mac := t.sumMAC(paymentID, exp)
	for i := range x {
		x[i] = mac[i] ^ pad[i]
	}
	return base64.RawURLEncoding.AppendEncode(dst, b[:])
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
	return base64.RawURLEncoding.AppendEncode(dst, t.sumMAC(paymentID, exp))
}

// sumMAC is HMAC(key, "ws|" + paymentID + "|" + exp), valid until the
// signer's next use.
func (t *tokenSigner) sumMAC(paymentID string, exp []byte) []byte {
	t.mac.Reset()
	t.msg = append(append(append(append(t.msg[:0], "ws|"...), paymentID...), '|'), exp...)
	t.mac.Write(t.msg)
	return t.mac.Sum(t.sum[:0])
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
