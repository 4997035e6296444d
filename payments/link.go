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
// sorted by name, as name=value joined with "&", values not URL-encoded.
func LinkMessage(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "sig" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+q.Get(k))
	}
	return strings.Join(parts, "&")
}

// SignLink returns the sig parameter for a payment link's query.
func SignLink(secret string, q url.Values) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(LinkMessage(q)))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyLink checks a payment link's query and turns it into a create
// request. Each parameter may appear once; unknown ones are refused so
// nothing unsigned rides along; exp, when present, is a Unix time.
func VerifyLink(secret string, q url.Values, now time.Time) (CreateInput, error) {
	if secret == "" {
		return CreateInput{}, ErrLinkSignature
	}
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
	if e := q.Get("exp"); e != "" {
		exp, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			return CreateInput{}, ErrLinkSignature
		}
		if !now.Before(time.Unix(exp, 0)) {
			return CreateInput{}, ErrLinkExpired
		}
	}
	return CreateInput{
		Amount: q.Get("amount"), Currency: q.Get("currency"), Reference: q.Get("reference"),
		Description: q.Get("description"), ReturnURL: q.Get("return_url"),
		CancelURL: q.Get("cancel_url"), Method: q.Get("method"), Source: "link",
	}, nil
}
