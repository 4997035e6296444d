package latipay

import (
	"errors"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// resplits calls fn with every split of s into five non-empty fields.
func resplits(s string, fn func(f [5]string)) {
	for i := 1; i < len(s); i++ {
		for j := i + 1; j < len(s); j++ {
			for k := j + 1; k < len(s); k++ {
				for l := k + 1; l < len(s); l++ {
					fn([5]string{s[:i], s[i:j], s[j:k], s[k:l], s[l:]})
				}
			}
		}
	}
}

// TestBoundaryShift re-splits a signed concatenation every possible way:
// the signature still matches, so only the grammar can reject them.
func TestBoundaryShift(t *testing.T) {
	c := mustV3Client(t)
	for _, orig := range [][5]string{
		{"dsi39ej430sks03", "alipay", "paid", "NZD", "120.00"},
		{"ref", "alipay", "paid", "NZD", "1.00"},
		{"x_coin", "coin_payments", "cancel_or_fail", "AUD", "0.1"},
	} {
		sig := testMAC("111222333", strings.Join(orig[:], ""))
		accepted := 0
		resplits(strings.Join(orig[:], ""), func(f [5]string) {
			form := url.Values{"signature": {sig}}
			for i, k := range signedFields {
				form.Set(k, f[i])
			}
			verify := c.VerifyNotification
			if orig[2] == "cancel_or_fail" {
				verify = c.VerifyReturn // the only message that may carry it
			}
			_, err := verify(form)
			switch {
			case err == nil && f != orig:
				t.Errorf("accepted re-split %q of %q", f, orig)
			case err == nil:
				accepted++
			case !errors.Is(err, ErrMalformed):
				t.Errorf("re-split %q: error = %v, want ErrMalformed", f, err)
			}
		})
		if accepted != 1 {
			t.Errorf("%q: original accepted %d times, want 1", orig, accepted)
		}
	}
	// The named example: currency "NZD1", amount ".00".
	form := url.Values{"merchant_reference": {"ref"}, "payment_method": {"alipay"}, "status": {"paid"},
		"currency": {"NZD1"}, "amount": {".00"}, "signature": {testMAC("111222333", "refalipaypaidNZD1.00")}}
	if _, err := c.VerifyNotification(form); !errors.Is(err, ErrMalformed) {
		t.Errorf("NZD1/.00 re-split: error = %v, want ErrMalformed", err)
	}
}

// TestBoundaryShiftProperty checks random valid tuples: no other split of
// the concatenation passes the grammar.
func TestBoundaryShiftProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alpha = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"
	methods, statuses := keys(knownMethod), keys(knownStatus)
	amounts := []string{"0", "0.1", "0.01", "1", "12.5", "120.00", "999999999999.99"}
	for range 60 {
		ref := make([]byte, 1+rng.IntN(10))
		for i := range ref {
			ref[i] = alpha[rng.IntN(len(alpha))]
		}
		orig := [5]string{string(ref), methods[rng.IntN(len(methods))], statuses[rng.IntN(len(statuses))],
			[]string{"NZD", "AUD", "CNY"}[rng.IntN(3)], amounts[rng.IntN(len(amounts))]}
		if checkResult(orig[0], orig[1], orig[2], orig[3], orig[4]) != "" {
			t.Fatalf("generated tuple %q fails the grammar", orig)
		}
		s := strings.Join(orig[:], "")
		resplits(s, func(f [5]string) {
			if f != orig && checkResult(f[0], f[1], f[2], f[3], f[4]) == "" {
				t.Errorf("grammar accepts re-split %q of %q", f, orig)
			}
		})
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
