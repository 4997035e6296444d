package config

import (
	"strings"
	"testing"
)

// TestLiveRefusesWeakSecrets is test 105: in live mode start-up refuses
// missing or short keys, the documentation's example values and a plain
// http public URL, naming each setting, and never echoing a secret.
func TestLiveRefusesWeakSecrets(t *testing.T) {
	base := map[string]string{
		"HPP_PUBLIC_URL": "https://pay.example.com", "HPP_API_KEY": "CANARY-api-3f9c1e7a5b2d8064f1a9c3e7",
		"HPP_SESSION_KEY": "CANARY-session-8d2b6f0a4c9e1357bd",
		"LATIPAY_API_KEY": "CANARY-LATIPAY-7e3a91c5d2f8", "LATIPAY_USER_ID": "U000000001", "LATIPAY_WALLET_NZD": "W000000001",
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
		// Issue 13: keys that are long enough but not random, and one
		// value for several keys.
		"one-character latipay key": {map[string]string{"LATIPAY_API_KEY": "x"}, "LATIPAY_API_KEY"},
		"repeated latipay key":      {map[string]string{"LATIPAY_API_KEY": strings.Repeat("ab", 16)}, "LATIPAY_API_KEY"},
		"32 times a api key":        {map[string]string{"HPP_API_KEY": strings.Repeat("a", 32)}, "HPP_API_KEY"},
		"repeated block session":    {map[string]string{"HPP_SESSION_KEY": strings.Repeat("CANARY01", 5)}, "HPP_SESSION_KEY"},
		"low-variety link secret":   {map[string]string{"HPP_LINK_SECRET": strings.Repeat("0", 31) + "1"}, "HPP_LINK_SECRET"},
		"api key = session key":     {map[string]string{"HPP_SESSION_KEY": "CANARY-api-3f9c1e7a5b2d8064f1a9c3e7"}, "HPP_SESSION_KEY"},
		"link secret = api key":     {map[string]string{"HPP_LINK_SECRET": "CANARY-api-3f9c1e7a5b2d8064f1a9c3e7"}, "HPP_LINK_SECRET"},
		"latipay key = api key":     {map[string]string{"LATIPAY_API_KEY": "CANARY-api-3f9c1e7a5b2d8064f1a9c3e7"}, "HPP_API_KEY"},
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

// TestLiveWarnsForeignLatipayHost: an https LATIPAY_API_URL that is not
// Latipay's is allowed (a proxy, say) but warned about, naming the host.
func TestLiveWarnsForeignLatipayHost(t *testing.T) {
	env := map[string]string{
		"HPP_PUBLIC_URL": "https://pay.example.com", "HPP_API_KEY": "3f9c1e7a5b2d8064f1a9c3e7d5b1f093",
		"HPP_SESSION_KEY": "8d2b6f0a4c9e1357bd0e4a8c2f6b1d93", "LATIPAY_API_KEY": "7e3a91c5d2f8b4a6",
		"LATIPAY_USER_ID": "U000000001", "LATIPAY_WALLET_NZD": "W000000001",
	}
	for url, warned := range map[string]bool{"https://api.latipay.net": false, "https://api.latipay.example.org": true} {
		env["LATIPAY_API_URL"] = url
		c, err := Load(func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("Load(%s) = %v", url, err)
		}
		got := strings.Contains(strings.Join(c.Warnings, "\n"), "api.latipay.example.org is not a Latipay host")
		if got != warned {
			t.Errorf("LATIPAY_API_URL=%s: warnings %q, want warned=%v", url, c.Warnings, warned)
		}
	}
}

// TestLiveShortLatipayKeyWarns: Latipay does not publish its keys' length,
// so a short but irregular key starts with a warning naming the setting
// instead of refusing a key that may be real; 7 characters are refused.
func TestLiveShortLatipayKeyWarns(t *testing.T) {
	env := map[string]string{
		"HPP_PUBLIC_URL": "https://pay.example.com", "HPP_API_KEY": "3f9c1e7a5b2d8064f1a9c3e7d5b1f093",
		"HPP_SESSION_KEY": "8d2b6f0a4c9e1357bd0e4a8c2f6b1d93", "LATIPAY_API_KEY": "7e3a91c5d2f8",
		"LATIPAY_USER_ID": "U000000001", "LATIPAY_WALLET_NZD": "W000000001",
	}
	c, err := Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("12-character key refused: %v", err)
	}
	if w := strings.Join(c.Warnings, "\n"); !strings.Contains(w, "LATIPAY_API_KEY: shorter than 16") {
		t.Errorf("12-character key: warnings %q, want one naming LATIPAY_API_KEY", c.Warnings)
	}
	env["LATIPAY_API_KEY"] = "7e3a91c"
	if _, err := Load(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "LATIPAY_API_KEY") {
		t.Errorf("7-character key: err %v, want a refusal naming LATIPAY_API_KEY", err)
	}
}
