package config

import (
	"strings"
	"testing"
)

// TestTaxNumber: HPP_MERCHANT_TAX_NUMBER is kept as given (trimmed), and
// one too long or with control characters is refused by name.
func TestTaxNumber(t *testing.T) {
	load := func(v string) (Config, error) {
		return Load(func(k string) string {
			if k == "HPP_MERCHANT_TAX_NUMBER" {
				return v
			}
			return ""
		})
	}
	for in, want := range map[string]string{"": "", " GST 123-456-789 ": "GST 123-456-789", "统一编号 12345678": "统一编号 12345678"} {
		c, err := load(in)
		if err != nil || c.MerchantTaxNo != want {
			t.Errorf("HPP_MERCHANT_TAX_NUMBER=%q: %q, %v; want %q", in, c.MerchantTaxNo, err, want)
		}
	}
	for _, in := range []string{strings.Repeat("1", 41), "GST\n123"} {
		if _, err := load(in); err == nil || !strings.Contains(err.Error(), "HPP_MERCHANT_TAX_NUMBER:") {
			t.Errorf("HPP_MERCHANT_TAX_NUMBER=%q: %v, want it refused by name", in, err)
		}
	}
}
