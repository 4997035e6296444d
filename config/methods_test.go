package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMethodsAndPaymentWindow: a method named twice is refused naming
// HPP_METHODS (the checkout showed its button twice), and so is a payment
// window longer than the API's longest expires_in (86400 s), naming
// HPP_PAYMENT_WINDOW and the limit; the limit itself is accepted.
func TestMethodsAndPaymentWindow(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"HPP_METHODS", "wechat,wechat,alipay", `HPP_METHODS: names "wechat" twice`},
		{"HPP_METHODS", "alipay, WeChat ,wechat", `HPP_METHODS: names "wechat" twice`},
		{"HPP_PAYMENT_WINDOW", "100000h", "HPP_PAYMENT_WINDOW: must be at most 24h (86400 seconds"},
		{"HPP_PAYMENT_WINDOW", "24h0m1s", "HPP_PAYMENT_WINDOW: must be at most 24h"},
	} {
		env := map[string]string{tc.name: tc.value}
		if _, err := Load(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%q: Load = %v, want %q", tc.name, tc.value, err, tc.want)
		}
	}
	env := map[string]string{"HPP_METHODS": "upi_upop,alipay,wechat", "HPP_PAYMENT_WINDOW": "24h"}
	c, err := Load(func(k string) string { return env[k] })
	if err != nil || !slices.Equal(c.Methods, []string{"upi_upop", "alipay", "wechat"}) || c.PaymentWindow != 24*time.Hour {
		t.Errorf("Load(%v) = %v, %v, %v", env, c.Methods, c.PaymentWindow, err)
	}
}
