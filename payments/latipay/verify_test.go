package latipay

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const v3Sig = "840151e0dc39496e22b410b83058b4ddd633b786936c505ae978fae029a1e0f1"

// mustV3Client returns a client with the documentation's key 111222333.
func mustV3Client(t testing.TB) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: "https://api.latipay.net", UserID: "U000334333", APIKey: "111222333"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// v3Form is the documented notification example (package doc, Test vectors: V3), signed per V3.
func v3Form() url.Values {
	v, err := url.ParseQuery("merchant_reference=dsi39ej430sks03&order_id=2017232323345678&amount=120.00&currency=NZD&payment_method=alipay&pay_time=2017-07-07%2010%3A53%3A50&status=paid&signature=" + v3Sig)
	if err != nil {
		panic(err)
	}
	return v
}

func TestVerifyNotification(t *testing.T) {
	c := mustV3Client(t)
	form := v3Form()
	form.Set("amount_cny", "562.80")
	form.Set("rate", "4.690000")
	form.Set("createDate", "2017-07-07")
	got, err := c.VerifyNotification(form)
	if err != nil {
		t.Fatalf("VerifyNotification() error = %v", err)
	}
	want := Result{
		MerchantReference: "dsi39ej430sks03", PaymentMethod: "alipay", Status: "paid", Currency: "NZD", Amount: "120.00",
		OrderID: "2017232323345678", PayTime: "2017-07-07 10:53:50", AmountCNY: "562.80", Rate: "4.690000",
		Extra: map[string]string{"createDate": "2017-07-07"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VerifyNotification() mismatch (-want +got):\n%s", diff)
	}

	// Unsigned fields may change without affecting verification.
	form.Set("order_id", "9999")
	form.Set("pay_time", "2030-01-01 00:00:00")
	if got, err := c.VerifyNotification(form); err != nil || got.OrderID != "9999" {
		t.Errorf("VerifyNotification(unsigned change) = %+v, %v", got, err)
	}
}

func TestVerifyNotificationSignatureForms(t *testing.T) {
	c := mustV3Client(t)
	tests := []struct {
		name, sig string
		want      error
	}{
		{"upper-case copy", strings.ToUpper(v3Sig), nil},
		{"empty", "", ErrBadSignature},
		{"truncated", v3Sig[:60], ErrBadSignature},
		{"odd length", v3Sig[:63], ErrBadSignature},
		{"non-hex", "g" + v3Sig[1:], ErrBadSignature},
		{"trailing space", v3Sig + " ", ErrBadSignature},
		{"placeholder", strings.Repeat("14d5b06a", 8), ErrBadSignature},
		{"other key", testMAC("111222334", "dsi39ej430sks03alipaypaidNZD120.00"), ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := v3Form()
			form.Set("signature", tt.sig)
			if _, err := c.VerifyNotification(form); !errors.Is(err, tt.want) {
				t.Errorf("VerifyNotification(signature %q) = %v, want %v", tt.sig, err, tt.want)
			}
		})
	}
	form := v3Form()
	form.Del("signature")
	if _, err := c.VerifyNotification(form); !errors.Is(err, ErrBadSignature) {
		t.Errorf("VerifyNotification(no signature) = %v, want ErrBadSignature", err)
	}
}

var signedFields = []string{"merchant_reference", "payment_method", "status", "currency", "amount"}

// TestVerifyNotificationMutations changes, deletes or inserts one
// character in each signed field; every variant must be rejected.
func TestVerifyNotificationMutations(t *testing.T) {
	c := mustV3Client(t)
	n := 0
	for _, field := range signedFields {
		orig := v3Form().Get(field)
		var variants []string
		for i := range len(orig) {
			for _, r := range []byte{'0', '1', 'a', 'A', 'Z', '.', '_', '-', orig[i] ^ 0x20, orig[i] + 1} {
				if r != orig[i] {
					variants = append(variants, orig[:i]+string(r)+orig[i+1:])
				}
			}
			variants = append(variants, orig[:i]+orig[i+1:], orig[:i]+"x"+orig[i:])
		}
		variants = append(variants, orig+"0", orig+" ", " "+orig, "")
		for _, v := range variants {
			form := v3Form()
			form.Set(field, v)
			if _, err := c.VerifyNotification(form); err == nil {
				t.Errorf("VerifyNotification accepted %s=%q", field, v)
			}
			n++
		}
	}
	if n < 300 {
		t.Errorf("only %d mutations tried", n)
	}
}

func TestVerifyNotificationForm(t *testing.T) {
	c := mustV3Client(t)
	dup := v3Form()
	dup.Add("status", "paid")
	dupUnsigned := v3Form()
	dupUnsigned.Add("order_id", "1")
	dupSig := v3Form()
	dupSig.Add("signature", v3Sig)
	empty := v3Form()
	empty["x"] = []string{}
	tests := map[string]url.Values{"duplicate signed": dup, "duplicate unsigned": dupUnsigned, "duplicate signature": dupSig, "empty value list": empty}
	for _, f := range signedFields {
		missing := v3Form()
		missing.Del(f)
		tests["missing "+f] = missing
		blank := v3Form()
		blank.Set(f, "")
		tests["empty "+f] = blank
	}
	tests["nil"] = nil
	for name, form := range tests {
		if _, err := c.VerifyNotification(form); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error = %v, want ErrMalformed", name, err)
		}
	}
}

func TestVerifyReturn(t *testing.T) {
	c := mustV3Client(t)
	q := url.Values{
		"merchant_reference": {"dsi39ej430sks03"}, "payment_method": {"wechat"}, "status": {"cancel_or_fail"},
		"currency": {"NZD"}, "amount": {"100.00"}, "attempt": {"a1"},
		"signature": {testMAC("111222333", "dsi39ej430sks03wechatcancel_or_failNZD100.00")},
	}
	got, err := c.VerifyReturn(q)
	if err != nil {
		t.Fatalf("VerifyReturn() error = %v", err)
	}
	if got.Status != "cancel_or_fail" || got.Extra["attempt"] != "a1" {
		t.Errorf("VerifyReturn() = %+v", got)
	}
	q.Set("status", "paid")
	if _, err := c.VerifyReturn(q); !errors.Is(err, ErrBadSignature) {
		t.Errorf("VerifyReturn(forged paid) = %v, want ErrBadSignature", err)
	}
}
