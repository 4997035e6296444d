package payments

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"time"
)

// ErrRedirectSignature is a signed redirect that does not verify.
var ErrRedirectSignature = errors.New("payments: redirect signature is not valid")

// SignedRedirect returns target (the merchant's stored return or cancel
// URL) with the payment's outcome appended: payment_id, reference,
// status, amount, currency and ts (Unix seconds), and, when secret is not
// empty, sig: the hex HMAC-SHA256 with secret of RedirectMessage of
// the final query, that is every parameter but sig, sorted by name, as
// name=value joined with "&", names and values percent-encoded (every byte
// but A-Z a-z 0-9 - . _ ~ as %XX). The merchant's own parameters are
// covered too; ours replace any of the same name.
func SignedRedirect(target string, p Payment, secret string, now time.Time) string {
	u, err := url.Parse(target)
	if err != nil {
		return target // stored URLs were validated at creation
	}
	q := u.Query()
	q.Del("sig")
	q.Set("payment_id", p.ID)
	q.Set("reference", p.Reference)
	q.Set("status", string(p.Status))
	q.Set("amount", FormatAmount(p.Amount, p.Currency))
	q.Set("currency", string(p.Currency))
	q.Set("ts", strconv.FormatInt(now.Unix(), 10))
	if secret != "" {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(RedirectMessage(q)))
		q.Set("sig", hex.EncodeToString(m.Sum(nil)))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// VerifyRedirect checks a signed redirect's query against any of secrets
// (several during a rotation) and that ts is within tolerance of now, and
// returns the payment id and status it vouches for.
func VerifyRedirect(q url.Values, secrets []string, now time.Time, tolerance time.Duration) (id string, status Status, err error) {
	got, err := hex.DecodeString(q.Get("sig"))
	if err != nil || len(q["sig"]) != 1 {
		return "", "", ErrRedirectSignature
	}
	ok := false
	for _, s := range secrets {
		m := hmac.New(sha256.New, []byte(s))
		m.Write([]byte(RedirectMessage(q)))
		if s != "" && hmac.Equal(got, m.Sum(nil)) {
			ok = true
		}
	}
	ts, terr := strconv.ParseInt(q.Get("ts"), 10, 64)
	if !ok || terr != nil {
		return "", "", ErrRedirectSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return "", "", ErrRedirectSignature
	}
	return q.Get("payment_id"), Status(q.Get("status")), nil
}
