package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// tokenTTL is how long a socket token issued with a page stays valid.
const tokenTTL = 30 * time.Minute

// socketToken ties a websocket to one payment for a short time:
// "<unix expiry>.<base64url HMAC(key, id|expiry)>".
func socketToken(key []byte, paymentID string, now time.Time) string {
	exp := strconv.FormatInt(now.Add(tokenTTL).Unix(), 10)
	return exp + "." + tokenMAC(key, paymentID, exp)
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
	m := hmac.New(sha256.New, key)
	m.Write([]byte("ws|" + paymentID + "|" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
