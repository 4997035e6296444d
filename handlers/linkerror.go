package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// A link's amount form that refuses the amount sends the shopper back to
// the link's page by GET (post/redirect/get), so that the history holds
// no form post: once the shopper has fixed the amount and paid, Back
// reaches the link's page, not a "Confirm Form Resubmission". The
// shopper has no session to keep a flash in, so the address carries the
// message and the amount as typed (?error=, ?amount=), signed as a failed
// checkout start is (starterror.go): ?error_sig= is a MAC under
// HPP_SESSION_KEY over the link, the message, the amount and an expiry,
// so no other link can make the page say an amount was refused.

// linkErrors are the messages a link's page shows after its redirect.
var linkErrors = []string{"links.err.typed", "links.err.comma", "links.err.below", "links.err.above", "links.err.decimals"}

// linkTypedMax bounds the amount carried back in the address; a longer
// one is not an amount anyway and is cut.
const linkTypedMax = 40

// linkErrorMAC is HMAC(key, "linkerror" + each of linkID, errorID,
// typed and exp, each after its length): the lengths keep a typed "|"
// from moving a field's boundary.
func linkErrorMAC(key []byte, linkID, errorID, typed, exp string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("linkerror"))
	for _, f := range []string{linkID, errorID, typed, exp} {
		m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(f))))
		m.Write([]byte(f))
	}
	return m.Sum(nil)
}

// linkErrorPath is the page of link linkID saying errorID about the
// amount typed, signed so that only this server says it.
func (s *Server) linkErrorPath(linkID, errorID, typed string) string {
	typed = clipRunes(typed, linkTypedMax)
	// As long as a failed start's message shows on its checkout.
	exp := strconv.FormatInt(s.opts.Now().Add(startErrorTTL).Unix(), 10)
	sig := exp + "." + base64.RawURLEncoding.EncodeToString(linkErrorMAC(s.opts.TokenKey, linkID, errorID, typed, exp))
	q := url.Values{"error": {errorID}, "amount": {typed}, "error_sig": {sig}}
	return LinkPath(linkID) + "?" + q.Encode()
}

// linkError is the message and the amount as typed that this link's
// page's address carries, when this server signed them (linkErrorPath)
// and their time has not passed; ok is false otherwise.
func (s *Server) linkError(c *gin.Context, linkID string) (errorID, typed string, ok bool) {
	errorID, typed = c.Query("error"), c.Query("amount")
	if !slices.Contains(linkErrors, errorID) {
		return "", "", false
	}
	exp, mac, found := strings.Cut(c.Query("error_sig"), ".")
	e, err := strconv.ParseInt(exp, 10, 64)
	if !found || err != nil || s.opts.Now().Unix() >= e {
		return "", "", false
	}
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil {
		return "", "", false
	}
	for _, k := range append([][]byte{s.opts.TokenKey}, s.opts.OldTokenKeys...) {
		if hmac.Equal(got, linkErrorMAC(k, linkID, errorID, typed, exp)) {
			return errorID, typed, true
		}
	}
	return "", "", false
}

// clipRunes cuts s to at most n runes.
func clipRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
