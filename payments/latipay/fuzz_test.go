package latipay

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

const fuzzRef = "dsi39ej430sks03"

// FuzzVerifyNotification feeds arbitrary form bodies. With resign set the
// fuzzer's fields are signed correctly, so acceptance depends on the
// grammar alone. Invariants: no panic; accepted ⇒ single-valued keys,
// canonical fields and a verifying signature; a correctly signed form with
// single-valued keys and canonical fields is accepted.
func FuzzVerifyNotification(f *testing.F) {
	f.Add(v3Form().Encode(), false)
	f.Add("merchant_reference=ref&payment_method=alipay&status=paid&currency=NZD1&amount=.00", true)
	f.Add("merchant_reference=ref&payment_method=alipay&status=paid&status=paid&currency=NZD&amount=1.00", true)
	f.Add("merchant_reference=a&payment_method=onlineBank&status=cancel_or_fail&currency=CNY&amount=0", true)
	c := mustV3Client(f)
	f.Fuzz(func(t *testing.T, raw string, resign bool) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if resign {
			msg := form.Get("merchant_reference") + form.Get("payment_method") + form.Get("status") + form.Get("currency") + form.Get("amount")
			form.Set("signature", testMAC("111222333", msg))
		}
		single := len(form) <= maxFields
		for k, vs := range form {
			single = single && len(vs) == 1 && k != "" && len(k) <= maxKeyLen && cleanText(k) &&
				len(vs[0]) <= maxValueLen && cleanText(vs[0])
		}
		g := func(k string) string { return form.Get(k) }
		canonical := checkResult(g("merchant_reference"), g("payment_method"), g("status"), g("currency"), g("amount")) == "" &&
			g("status") != "cancel_or_fail" && (g("order_id") == "" || orderIDRE.MatchString(g("order_id")))
		r, err := c.VerifyNotification(form)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) {
				t.Fatalf("unexpected error type: %v", err)
			}
			if resign && single && canonical {
				t.Fatalf("rejected a correctly signed canonical form: %v", err)
			}
			return
		}
		if !single || !canonical {
			t.Fatalf("accepted form with duplicate keys or non-canonical fields: %q", raw)
		}
		if VerifyResult("111222333", r.MerchantReference, r.PaymentMethod, r.Status, r.Currency, r.Amount, g("signature")) != nil {
			t.Fatalf("accepted result whose signature does not verify: %+v", r)
		}
		if r.MerchantReference != g("merchant_reference") || r.Amount != g("amount") {
			t.Fatalf("result differs from form: %+v", r)
		}
	})
}

// FuzzDecodeQueryResponse feeds raw bodies to the decoder Query uses.
// Invariants: no panic, a typed error, and accepted ⇒ canonical fields,
// the requested reference and a verifying signature.
func FuzzDecodeQueryResponse(f *testing.F) {
	f.Add([]byte(`{"code":0,"message":"SUCCESS","merchant_reference":"dsi39ej430sks03","status":"paid","currency":"NZD","amount":120.00,"payment_method":"alipay","order_id":"2017232323345678","pay_time":"2017-07-07 10:53:50","signature":"` + v3Sig + `"}`))
	f.Add([]byte(`{"merchant_reference":"dsi39ej430sks03","status":"paid","currency":"NZD","amount":"120.00","payment_method":"alipay","signature":"` + strings.ToUpper(v3Sig) + `","amount_cny":null,"rate":0.00000,"x":{"y":[1]}}`))
	f.Add([]byte(`{"code":201,"message":"order not exist"}`))
	f.Add([]byte(`{"code":0,"amount":1e2,"amount":1}`))
	f.Add([]byte(`<html>`))
	c := mustV3Client(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := c.decodeQueryResponse(data, fuzzRef)
		if err != nil {
			checkTypedError(t, err)
			return
		}
		if r.MerchantReference != fuzzRef {
			t.Fatalf("accepted response for %q", r.MerchantReference)
		}
		if f := checkResult(r.MerchantReference, r.PaymentMethod, r.Status, r.Currency, r.Amount); f != "" {
			t.Fatalf("accepted non-canonical %s: %+v", f, r)
		}
		obj, _ := decodeObject(data)
		sig, _ := obj.text("signature")
		if VerifyResult("111222333", r.MerchantReference, r.PaymentMethod, r.Status, r.Currency, r.Amount, sig) != nil {
			t.Fatalf("accepted result whose signature does not verify: %+v", r)
		}
	})
}

// FuzzDecodeCreateResponse feeds raw bodies to the create decoder.
// Invariants: no panic, a typed error, and accepted ⇒ nonce grammar,
// allowed host and a verifying signature.
func FuzzDecodeCreateResponse(f *testing.F) {
	const pay = "https://pay.latipay.net/pay"
	f.Add([]byte(`{"code":0,"message":"SUCCESS","host_url":"` + pay + `","nonce":"` + testNonce + `","signature":"` + testMAC("111222333", testNonce+pay) + `"}`))
	f.Add([]byte(`{"code":0,"host_url":"https://evil.example/pay","nonce":"` + testNonce + `","signature":"00"}`))
	f.Add([]byte(`{"code":206,"message":"wrong signature"}`))
	f.Add([]byte(`{"code":0,"host_url":"` + pay + `","nonce":"` + testNonce + `","nonce":"x","signature":"` + testMAC("111222333", testNonce+pay) + `"}`))
	c := mustV3Client(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := c.decodeCreateResponse(data)
		if err != nil {
			checkTypedError(t, err)
			return
		}
		if !nonceRE.MatchString(r.Nonce) {
			t.Fatalf("accepted nonce %q", r.Nonce)
		}
		if c.checkCreateResponse("create", r) != nil {
			t.Fatalf("accepted host %q", r.HostURL)
		}
		obj, _ := decodeObject(data)
		sig, _ := obj.text("signature")
		if verifyMAC("111222333", r.Nonce+r.HostURL, sig) != nil {
			t.Fatalf("accepted unsigned response %+v", r)
		}
	})
}

// checkTypedError fails unless err is one of the documented kinds and
// does not leak the key.
func checkTypedError(t *testing.T, err error) {
	t.Helper()
	var ae *APIError
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrUnavailable) && !errors.As(err, &ae) {
		t.Fatalf("untyped error: %v", err)
	}
	if strings.Contains(err.Error(), "111222333") {
		t.Fatalf("error leaks the key: %v", err)
	}
}
