package latipay

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// TestVerifyRefusesHostileFields: a correctly signed notification is still
// refused when a field the signature does not cover is hostile (a NUL
// byte, invalid UTF-8, a 5,000-character order_id, an empty key), or when
// it carries the redirect-only status cancel_or_fail. Answering "sent" to
// any of these would store or act on what the sender chose.
func TestVerifyRefusesHostileFields(t *testing.T) {
	c := mustV3Client(t)
	cancelOrFail := func() url.Values {
		v := v3Form()
		v.Set("status", "cancel_or_fail")
		v.Set("signature", testMAC("111222333", "dsi39ej430sks03alipaycancel_or_failNZD120.00"))
		return v
	}
	// with is the documented example with field k set to v (signed fields
	// stay as signed: the signature does not cover these).
	with := func(k, v string) func() url.Values {
		return func() url.Values {
			f := v3Form()
			f.Set(k, v)
			return f
		}
	}
	for name, form := range map[string]func() url.Values{
		"cancel_or_fail":                  cancelOrFail,
		"NUL in order_id":                 with("order_id", "2017232323345678\x00x"),
		"NUL in pay_time":                 with("pay_time", "2017-07-07\x00"),
		"invalid UTF-8 in an extra field": with("amount_cny", "\xff\xfe"),
		"invalid UTF-8 key":               with("\xffkey", "1"),
		"5,000-character order_id":        with("order_id", strings.Repeat("9", 5000)),
		"order_id outside its grammar":    with("order_id", "2017 ' OR 1=1"),
		"empty key":                       with("", "x"),
		"too many fields": func() url.Values {
			v := v3Form()
			for i := range 40 {
				v.Set("extra"+strings.Repeat("x", i), "1")
			}
			return v
		},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := c.VerifyNotification(form()); !errors.Is(err, ErrMalformed) {
				t.Errorf("VerifyNotification = %v, want ErrMalformed", err)
			}
		})
	}
	// The same fields pass where they belong: the redirect's status, and
	// the documented example as it is.
	if _, err := c.VerifyReturn(cancelOrFail()); err != nil {
		t.Errorf("VerifyReturn(cancel_or_fail) = %v, want nil", err)
	}
	if _, err := c.VerifyNotification(v3Form()); err != nil {
		t.Errorf("VerifyNotification(example) = %v, want nil", err)
	}
}
