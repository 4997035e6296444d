package latipay

import (
	"net/url"
	"testing"
)

const benchKey = "bench-api-key-0123456789abcdef"

// BenchmarkSignParams signs a create-transaction request (sorted-parameters signature).
func BenchmarkSignParams(b *testing.B) {
	params := map[string]string{
		"user_id": "U000334333", "wallet_id": "W000000001", "amount": "12.50", "payment_method": "wechat",
		"return_url": "https://pay.example.com/checkout/pay_0123/return", "callback_url": "https://pay.example.com/latipay/callback",
		"merchant_reference": "R0123456789ABCDEF", "ip": "203.0.113.7", "version": "2.0", "product_name": "Flat white",
		"host_type": "1",
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = SignParams(benchKey, params)
	}
}

// BenchmarkSignResult signs a notification's fields (result signature).
func BenchmarkSignResult(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = SignResult(benchKey, "R0123456789ABCDEF", "wechat", "paid", "NZD", "12.50")
	}
}

// BenchmarkVerifyNotification verifies a whole callback form: grammar,
// duplicate keys and the signature, as the callback handler does.
func BenchmarkVerifyNotification(b *testing.B) {
	c, err := New(Config{BaseURL: "https://api.latipay.net", UserID: "U000334333", APIKey: benchKey})
	if err != nil {
		b.Fatal(err)
	}
	form := url.Values{
		"merchant_reference": {"R0123456789ABCDEF"}, "order_id": {"20260301000123"}, "currency": {"NZD"},
		"amount": {"12.50"}, "payment_method": {"wechat"}, "status": {"paid"}, "pay_time": {"2026-03-01 09:00:00"},
		"amount_cny": {"56.25"}, "rate": {"4.50000"},
		"signature": {SignResult(benchKey, "R0123456789ABCDEF", "wechat", "paid", "NZD", "12.50")},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.VerifyNotification(form); err != nil {
			b.Fatal(err)
		}
	}
}
