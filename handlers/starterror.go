package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// A start that failed sends the shopper back to the checkout page by GET
// (a reload does not post again) with the message's id in ?error=. Were
// that id read as it stands, anyone could send a shopper a real checkout
// link saying "the payment failed" or "Latipay could not be reached". The
// shopper has no session to keep a flash in, and a checkout embedded in a
// merchant's page is a third-party frame, whose cookies browsers drop. So
// the redirect signs what it says: ?error_sig= is a MAC, under the
// socket tokens' key (HPP_SESSION_KEY), over the payment, the message id,
// the request id quoted with it (?request=) and an expiry a few minutes
// on. Only this server makes one; a page whose ?error= carries none, a
// wrong one, or one past its time shows no message. It needs no script,
// and a change of language (the page's links carry the query) keeps it.

// startErrorTTL is how long the message of a failed start shows on its
// page: the redirect comes at once, and a reload soon after still says it.
const startErrorTTL = 10 * time.Minute

// startErrorSig signs the message id errorID, with the request id the
// page quotes ("" for none), for the checkout page of paymentID:
// "<unix expiry>.<base64url HMAC>".
func startErrorSig(key []byte, paymentID, errorID, request string, now time.Time) string {
	exp := strconv.FormatInt(now.Add(startErrorTTL).Unix(), 10)
	return exp + "." + base64.RawURLEncoding.EncodeToString(startErrorMAC(key, paymentID, errorID, request, exp))
}

// startErrorMAC is HMAC(key, "starterror|" + paymentID + "|" + errorID +
// "|" + request + "|" + exp): the prefix keeps it apart from the socket
// tokens made under the same key.
func startErrorMAC(key []byte, paymentID, errorID, request, exp string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("starterror|" + paymentID + "|" + errorID + "|" + request + "|" + exp))
	return m.Sum(nil)
}

// checkStartErrorSig reports whether sig was made by startErrorSig under
// key for these values and has not expired.
func checkStartErrorSig(key []byte, paymentID, errorID, request, sig string, now time.Time) bool {
	exp, mac, ok := strings.Cut(sig, ".")
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
	return hmac.Equal(got, startErrorMAC(key, paymentID, errorID, request, exp))
}

// startErrorPath is the checkout page of paymentID saying errorID, with
// request (the failed start's own id, quoted by error.internal) when not
// "", signed so that no other link can say it.
func (s *Server) startErrorPath(paymentID, errorID, request string) string {
	to := withQuery(CheckoutPath(paymentID), "error", errorID)
	if request != "" {
		to = withQuery(to, "request", request)
	}
	return withQuery(to, "error_sig", startErrorSig(s.opts.TokenKey, paymentID, errorID, request, s.opts.Now()))
}

// startError is the message id of a failed start that this checkout
// page's address carries and this server signed (startErrorPath), one of
// startErrors, or "".
func (s *Server) startError(c *gin.Context, paymentID string) string {
	id := query(c, "error")
	if !slices.Contains(startErrors, id) {
		return ""
	}
	sig, request, now := c.Query("error_sig"), c.Query("request"), s.opts.Now()
	for _, k := range append([][]byte{s.opts.TokenKey}, s.opts.OldTokenKeys...) {
		if checkStartErrorSig(k, paymentID, id, request, sig, now) {
			return id
		}
	}
	return ""
}
