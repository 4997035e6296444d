package payments_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// TestLinkMessageCannotBeResplit: a signed link's parameters cannot be
// re-split into others under the same signature. The attacks are the two
// that worked on the unescaped form: moving "&exp=<past>" into
// description (an expired link opened a fresh payment) and moving
// "&method=..." into description (dropping the merchant's forced method).
func TestLinkMessageCannotBeResplit(t *testing.T) {
	const secret = "link-secret-for-tests"
	now := time.Unix(1_800_000_000, 0)
	signed := func(q url.Values) url.Values {
		q.Set("sig", payments.SignLink(secret, q))
		return q
	}
	base := func() url.Values {
		return url.Values{"amount": {"12.50"}, "currency": {"NZD"}, "reference": {"ORDER-1"},
			"return_url": {"https://shop.example.com/thanks"}}
	}
	expired := base()
	expired.Set("description", "Mug")
	expired.Set("exp", "1700000000")
	expired = signed(expired)
	if _, err := payments.VerifyLink(secret, expired, now); !errors.Is(err, payments.ErrLinkExpired) {
		t.Fatalf("VerifyLink(expired) = %v, want ErrLinkExpired", err)
	}
	forced := base()
	forced.Set("description", "Tea")
	forced.Set("method", "wechat")
	forced = signed(forced)
	if in, err := payments.VerifyLink(secret, forced, now); err != nil || in.Method != "wechat" {
		t.Fatalf("VerifyLink(forced method) = %+v, %v", in, err)
	}

	for name, tc := range map[string]struct {
		from  url.Values
		moved string // the parameter folded into description
	}{"exp into description": {expired, "exp"}, "method into description": {forced, "method"}} {
		t.Run(name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range tc.from {
				q[k] = v
			}
			q.Set("description", q.Get("description")+"&"+tc.moved+"="+q.Get(tc.moved))
			q.Del(tc.moved)
			if in, err := payments.VerifyLink(secret, q, now); !errors.Is(err, payments.ErrLinkSignature) {
				t.Errorf("VerifyLink(%s) = %+v, %v, want ErrLinkSignature", q.Encode(), in, err)
			}
		})
	}

	// The documented form: names and values escaped, nothing else.
	q := url.Values{"reference": {"A&b=c d/é~"}, "amount": {"1.00"}, "sig": {"x"}}
	if got, want := payments.LinkMessage(q), "amount=1.00&reference=A%26b%3Dc%20d%2F%C3%A9~"; got != want {
		t.Errorf("LinkMessage = %q, want %q", got, want)
	}
	if strings.Count(payments.LinkMessage(expired), "&") != len(expired)-2 {
		t.Errorf("message %q has an & inside a value", payments.LinkMessage(expired))
	}
}
