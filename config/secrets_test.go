package config

import (
	"strings"
	"testing"
)

// TestLiveRefusesWeakSecrets is test 105: in live mode start-up refuses
// missing or short keys, the documentation's example values and a plain
// http public URL, naming each setting, and never echoing a secret.
func TestLiveRefusesWeakSecrets(t *testing.T) {
	strong := strings.Repeat("k", 32)
	base := map[string]string{
		"HPP_PUBLIC_URL": "https://pay.example.com", "HPP_API_KEY": strong, "HPP_SESSION_KEY": strong,
		"LATIPAY_API_KEY": "CANARY-LATIPAY-" + strong, "LATIPAY_USER_ID": "U000000001", "LATIPAY_WALLET_NZD": "W000000001",
	}
	env := func(over map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := over[k]; ok {
				return v
			}
			return base[k]
		}
	}
	if _, err := Load(env(nil)); err != nil {
		t.Fatalf("strong live config refused: %v", err)
	}
	for name, tc := range map[string]struct {
		over map[string]string
		want string
	}{
		"missing api key":      {map[string]string{"HPP_API_KEY": ""}, "HPP_API_KEY"},
		"short api key":        {map[string]string{"HPP_API_KEY": "CANARY-short"}, "HPP_API_KEY"},
		"missing session key":  {map[string]string{"HPP_SESSION_KEY": ""}, "HPP_SESSION_KEY"},
		"short session key":    {map[string]string{"HPP_SESSION_KEY": "CANARY-short"}, "HPP_SESSION_KEY"},
		"short link secret":    {map[string]string{"HPP_LINK_SECRET": "CANARY-short"}, "HPP_LINK_SECRET"},
		"docs example key":     {map[string]string{"LATIPAY_API_KEY": "111222333"}, "LATIPAY_API_KEY"},
		"changeme session key": {map[string]string{"HPP_SESSION_KEY": "changeme"}, "HPP_SESSION_KEY"},
		"http public url":      {map[string]string{"HPP_PUBLIC_URL": "http://pay.example.com"}, "HPP_PUBLIC_URL"},
		"http latipay url":     {map[string]string{"LATIPAY_API_URL": "http://api.latipay.net"}, "LATIPAY_API_URL"},
	} {
		_, err := Load(env(tc.over))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Load = %v, want an error naming %s", name, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "CANARY") {
			t.Errorf("%s: the error echoes a secret: %v", name, err)
		}
	}
}
