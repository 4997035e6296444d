package payments_test

import (
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// FuzzParseAmount is part of test 14. Invariants: no panic; an error is
// ErrInvalid; accepted ⇒ the text is plain ASCII digits with at most one
// point and at most the currency's exponent digits after it, the result
// is positive and bounded, and Format then Parse gives it back.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"120.00", "120", "0.01", "1,00", "1e2", "+1.00", "-1.00", "0", "0.001",
		"１２０", "١٢٠", "NaN", "Infinity", " 1.00", "1.00\n", "1234567890123456789012", "", "12.5", "007", ".5", "5."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := payments.ParseAmount(s, payments.NZD)
		if err != nil {
			if !errors.Is(err, payments.ErrInvalid) {
				t.Fatalf("ParseAmount(%q) error %v is not ErrInvalid", s, err)
			}
			return
		}
		if n <= 0 || n > 1_000_000_000_000 {
			t.Fatalf("ParseAmount(%q) = %d, out of range", s, n)
		}
		whole, frac, _ := strings.Cut(s, ".")
		if len(frac) > 2 || strings.Trim(whole+frac, "0123456789") != "" || whole == "" {
			t.Fatalf("ParseAmount accepted non-canonical %q", s)
		}
		back, err := payments.ParseAmount(payments.FormatAmount(n, payments.NZD), payments.NZD)
		if err != nil || back != n {
			t.Fatalf("round trip of %q: %q -> %d, %v", s, payments.FormatAmount(n, payments.NZD), back, err)
		}
	})
}

// FuzzVerifyLink is part of test 14: the signed-link parser. With resign
// set the fuzzer's parameters carry a correct signature, so acceptance
// depends on the grammar alone. Invariants: no panic; accepted ⇒ every
// key single-valued and known, and sig is the HMAC of the other
// parameters; a correctly signed, single-valued link of known keys
// without exp is accepted.
func FuzzVerifyLink(f *testing.F) {
	const secret = "fuzz-link-secret"
	good := url.Values{"amount": {"12.50"}, "currency": {"NZD"}, "reference": {"A-1"}}
	good.Set("sig", payments.SignLink(secret, good))
	f.Add(good.Encode(), false)
	f.Add("amount=1&amount=2&currency=NZD&reference=x", true)
	f.Add("amount=1.00&currency=NZD&reference=x&exp=1", true)
	f.Add("amount=1.00&currency=NZD&reference=x&evil=1", true)
	f.Add("amount=1.00&currency=NZD&reference=x&sig="+strings.ToUpper(good.Get("sig")), false)
	f.Add("reference=a%26amount%3D1&currency=NZD", true)
	now := time.Unix(1_700_000_000, 0)
	known := map[string]bool{"amount": true, "currency": true, "reference": true, "description": true,
		"return_url": true, "cancel_url": true, "method": true, "exp": true, "sig": true}
	f.Fuzz(func(t *testing.T, raw string, resign bool) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if resign {
			q.Set("sig", payments.SignLink(secret, q))
		}
		single, allKnown := true, true
		for k, v := range q {
			single = single && len(v) == 1
			allKnown = allKnown && known[k]
		}
		in, err := payments.VerifyLink(secret, q, now)
		if err != nil {
			if !errors.Is(err, payments.ErrLinkSignature) && !errors.Is(err, payments.ErrLinkExpired) {
				t.Fatalf("untyped error %v", err)
			}
			if resign && single && allKnown && !q.Has("exp") {
				t.Fatalf("rejected a correctly signed link %q: %v", q.Encode(), err)
			}
			return
		}
		if !single || !allKnown {
			t.Fatalf("accepted duplicate or unknown keys: %q", raw)
		}
		got, err1 := hex.DecodeString(q.Get("sig"))
		want, _ := hex.DecodeString(payments.SignLink(secret, q))
		if err1 != nil || !hmac.Equal(got, want) {
			t.Fatalf("accepted a link whose sig does not verify: %q", raw)
		}
		if in.Amount != q.Get("amount") || in.Reference != q.Get("reference") || in.ReturnURL != q.Get("return_url") {
			t.Fatalf("create input %+v differs from the signed query", in)
		}
	})
}

// FuzzParsePayCode: no panic; an error is ErrInvalid; an accepted code is,
// once the whitespace around it is trimmed, ASCII digits only, and WeChat
// Pay's (18 digits starting 10-15) or Alipay's (16-24 digits starting
// 25-30), as the method returned says.
func FuzzParsePayCode(f *testing.F) {
	for _, s := range []string{"134588558514585062", "2812345678901234567", " 134588558514585062\r\n", "",
		"１３４５８８５５８５１４５８５０６２", "13458855851458506\u200b2", "301234567890123456789012", "1", "0x12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := payments.ParsePayCode(s)
		if err != nil {
			if !errors.Is(err, payments.ErrInvalid) || m != "" {
				t.Fatalf("ParsePayCode(%q) = %q, %v; want ErrInvalid and no method", s, m, err)
			}
			return
		}
		code := payments.CleanPayCode(s)
		if strings.Trim(code, "0123456789") != "" {
			t.Fatalf("ParsePayCode accepted %q, which is not digits only", s)
		}
		p := code[:2]
		wechat := len(code) == 18 && p >= "10" && p <= "15"
		alipay := len(code) >= 16 && len(code) <= 24 && p >= "25" && p <= "30"
		if (m == payments.MethodWeChat) != wechat || (m == payments.MethodAlipay) != alipay {
			t.Fatalf("ParsePayCode(%q) = %q, want WeChat Pay %v, Alipay %v", s, m, wechat, alipay)
		}
	})
}
