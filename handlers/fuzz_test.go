package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzCallbackForm is test 14's FuzzParseCallbackForm and
// FuzzVerifyCallback through the real router: arbitrary bodies and
// content types posted to the Latipay callback. With resign set the
// fuzzer's fields are signed with the right key. Invariants: no panic
// and no 5xx; "sent" only for a single-valued body whose signature
// verifies (money checks on verified callbacks are TestForgedCallbacks).
func FuzzCallbackForm(f *testing.F) {
	a := newSecApp(f, nil)
	p := a.newPayment(f)
	ref := a.startWeChat(f, p.ID)
	good := signedNotification(secLatipayKey, ref, "wechat", "paid", "NZD", "12.50")
	f.Add(good.Encode(), "application/x-www-form-urlencoded", false)
	f.Add(signedNotification(secLatipayKey, ref, "wechat", "pending", "NZD", "12.50").Encode(), "application/x-www-form-urlencoded", false)
	f.Add("merchant_reference="+ref+"&payment_method=wechat&status=paid&currency=NZD1&amount=2.50", "application/x-www-form-urlencoded", true)
	f.Add("merchant_reference="+ref+"w&payment_method=echat&status=paid&currency=NZD&amount=12.50", "application/x-www-form-urlencoded", true)
	f.Add(good.Encode()+"&status=paid", "application/x-www-form-urlencoded; charset=utf-8", false)
	f.Add(`{"merchant_reference":"`+ref+`"}`, "application/json", false)
	f.Add("%zz", "application/x-www-form-urlencoded", false)
	f.Fuzz(func(t *testing.T, body, ct string, resign bool) {
		if resign {
			if q, err := url.ParseQuery(body); err == nil {
				m := hmac.New(sha256.New, []byte(secLatipayKey))
				m.Write([]byte(q.Get("merchant_reference") + q.Get("payment_method") + q.Get("status") + q.Get("currency") + q.Get("amount")))
				q.Set("signature", hex.EncodeToString(m.Sum(nil)))
				body = q.Encode()
			}
		}
		r := httptest.NewRequest(http.MethodPost, CallbackPath, strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		w := a.do(r)
		if w.Code >= 500 && w.Code != http.StatusServiceUnavailable {
			t.Fatalf("callback %q (%s) = %d", body, ct, w.Code)
		}
		if w.Code != http.StatusOK {
			if w.Body.String() == "sent" {
				t.Fatalf("sent with status %d", w.Code)
			}
			return
		}
		if w.Body.String() != "sent" {
			t.Fatalf("200 with body %q", w.Body.String())
		}
		q, err := url.ParseQuery(body)
		if err != nil {
			t.Fatalf("sent for an unparsable body %q", body)
		}
		for k, v := range q {
			if len(v) != 1 {
				t.Fatalf("sent for a body with %d values of %s", len(v), k)
			}
		}
		m := hmac.New(sha256.New, []byte(secLatipayKey))
		m.Write([]byte(q.Get("merchant_reference") + q.Get("payment_method") + q.Get("status") + q.Get("currency") + q.Get("amount")))
		got, _ := hex.DecodeString(q.Get("signature"))
		if !hmac.Equal(got, m.Sum(nil)) {
			t.Fatalf("sent for a body whose signature does not verify: %q", body)
		}
	})
}
