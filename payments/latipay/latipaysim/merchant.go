package latipaysim

import (
	"errors"
	"fmt"
	"strings"
)

// checkMerchant validates m and returns a copy with defaults applied.
func checkMerchant(m Merchant) (*Merchant, error) {
	if m.UserID == "" || m.APIKey == "" {
		return nil, errors.New("latipaysim: merchant needs a UserID and an APIKey")
	}
	if len(m.Wallets) == 0 {
		return nil, fmt.Errorf("latipaysim: merchant %q has no wallet", m.UserID)
	}
	wallets := make(map[string]string, len(m.Wallets))
	for id, cur := range m.Wallets {
		if cur != "NZD" && cur != "AUD" && cur != "CNY" {
			return nil, fmt.Errorf("latipaysim: wallet %q: currency %q is not NZD, AUD or CNY", id, cur)
		}
		wallets[id] = cur
	}
	methods := []string{"wechat", "alipay", "upi_upop"}
	if len(m.Methods) > 0 {
		methods = make([]string, len(m.Methods))
		for i, pm := range m.Methods {
			methods[i] = strings.ToLower(pm)
		}
	}
	return &Merchant{UserID: m.UserID, APIKey: m.APIKey, Wallets: wallets, Methods: methods}, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
