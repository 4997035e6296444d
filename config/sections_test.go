package config

import (
	"strings"
	"testing"
)

// TestLoadReportsEveryProblem: one bad setting in each section is each
// named in the one error Load returns, and no secret's value is in it.
func TestLoadReportsEveryProblem(t *testing.T) {
	env := map[string]string{
		"HPP_ADDR":                      "nowhere",                 // server
		"HPP_LOG_LEVEL":                 "loud",                    // server
		"HPP_ACCENT_COLOR":              "green",                   // merchant
		"HPP_API_KEY":                   "short-merchant-key",      // merchant (live: too short)
		"LATIPAY_API_KEY":               "a-live-latipay-key-1234", // Latipay: live, without user id or wallet
		"HPP_RECONCILE_RATE":            "0",                       // Latipay
		"HPP_SANDBOX_CALLBACK_INTERVAL": "soon",                    // sandbox
		"HPP_RATE_LIMITS":               "sometimes",               // limits
	}
	_, err := Load(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("Load = nil, want an error")
	}
	for _, name := range []string{"HPP_ADDR", "HPP_LOG_LEVEL", "HPP_ACCENT_COLOR", "HPP_API_KEY", "LATIPAY_USER_ID",
		"LATIPAY_WALLET_NZD", "HPP_RECONCILE_RATE", "HPP_SANDBOX_CALLBACK_INTERVAL", "HPP_RATE_LIMITS", "HPP_SESSION_KEY"} {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("Load's error does not name %s:\n%v", name, err)
		}
	}
	for _, secret := range []string{"short-merchant-key", "a-live-latipay-key-1234"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Load's error reveals a secret: %v", err)
		}
	}
}
