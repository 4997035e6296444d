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
	for name, form := range map[string]func() url.Values{
		"cancel_or_fail": cancelOrFail,
		"NUL in order_id": func() url.Values {
			v := v3Form()
			v.Set("order_id", "2017232323345678\x00x")
			return v
		},
		"NUL in pay_time": func() url.Values {
			v := v3Form()
			v.Set("pay_time", "2017-07-07\x00")
			return v
		},
		"invalid UTF-8 in an extra field": func() url.Values {
			v := v3Form()
			v.Set("amount_cny", "\xff\xfe")
			return v
		},
		"invalid UTF-8 key": func() url.Values {
			v := v3Form()
			v.Set("\xffkey", "1")
			return v
		},
		"5,000-character order_id": func() url.Values {
			v := v3Form()
			v.Set("order_id", strings.Repeat("9", 5000))
			return v
		},
		"order_id outside its grammar": func() url.Values {
			v := v3Form()
			v.Set("order_id", "2017 ' OR 1=1")
			return v
		},
		"empty key": func() url.Values {
			v := v3Form()
			v.Set("", "x")
			return v
		},
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
