package config

import (
	"strings"
	"testing"
)

// TestCounterCurrency: HPP_COUNTER_CURRENCY chooses the till's currency
// among those with a wallet; unset, the shop's zone's currency when it
// has a wallet, else the first with one (NZD, AUD, CNY); a currency
// without a wallet, or not one at all, is a start-up error naming the
// setting; check-config lists the one in use.
func TestCounterCurrency(t *testing.T) {
	with := func(m map[string]string) func(string) string {
		// liveEnv has an NZD wallet: "" takes it away.
		return liveEnv(merge(map[string]string{"LATIPAY_WALLET_NZD": ""}, m))
	}
	both := map[string]string{"LATIPAY_WALLET_NZD": "W1", "LATIPAY_WALLET_AUD": "W2"}
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{both, "NZD"},
		{merge(both, map[string]string{"HPP_SHOP_TIMEZONE": "Australia/Sydney"}), "AUD"},
		{merge(both, map[string]string{"HPP_SHOP_TIMEZONE": "Asia/Shanghai"}), "NZD"}, // no CNY wallet
		{merge(both, map[string]string{"HPP_COUNTER_CURRENCY": "AUD"}), "AUD"},
		{merge(both, map[string]string{"HPP_SHOP_TIMEZONE": "Australia/Sydney", "HPP_COUNTER_CURRENCY": "NZD"}), "NZD"},
		{map[string]string{"LATIPAY_WALLET_CNY": "W3"}, "CNY"},
	} {
		cfg, err := Load(with(c.env))
		if err != nil {
			t.Fatalf("%v: %v", c.env, err)
		}
		if cfg.CounterCurrency != c.want {
			t.Errorf("%v: CounterCurrency = %q, want %s", c.env, cfg.CounterCurrency, c.want)
		}
		listed := ""
		for _, kv := range cfg.Effective() {
			if kv[0] == "HPP_COUNTER_CURRENCY" {
				listed = kv[1]
			}
		}
		if listed != c.want {
			t.Errorf("%v: check-config lists HPP_COUNTER_CURRENCY as %q, want %s", c.env, listed, c.want)
		}
	}
	for bad, says := range map[string]string{"CNY": "no wallet", "USD": "must be NZD, AUD or CNY", "nz$": "must be"} {
		_, err := Load(with(merge(both, map[string]string{"HPP_COUNTER_CURRENCY": bad})))
		if err == nil || !strings.Contains(err.Error(), "HPP_COUNTER_CURRENCY") || !strings.Contains(err.Error(), says) {
			t.Errorf("HPP_COUNTER_CURRENCY=%q: err = %v, want one naming the setting and saying %q", bad, err, says)
		}
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
