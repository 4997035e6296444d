package config

import (
	"slices"
	"testing"
)

// TestMerchantOriginsNormalised: an origin given with its scheme's
// default port or an upper-case host is kept as a browser writes it, so
// it matches the Origin and frame ancestors browsers send.
func TestMerchantOriginsNormalised(t *testing.T) {
	c, err := Load(func(k string) string {
		if k == "HPP_MERCHANT_ORIGINS" {
			return "https://Shop.Example.com:443, http://localhost:80, https://shop.example.com:8443"
		}
		return ""
	})
	want := []string{"https://shop.example.com", "http://localhost", "https://shop.example.com:8443"}
	if err != nil || !slices.Equal(c.MerchantOrigins, want) {
		t.Errorf("MerchantOrigins = %q, %v; want %q", c.MerchantOrigins, err, want)
	}
}
