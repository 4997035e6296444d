package config

import "testing"

// TestRateLimitsSwitch: HPP_RATE_LIMITS=off is accepted on loopback only
// (the load harness), and anything but on/off is refused.
func TestRateLimitsSwitch(t *testing.T) {
	for _, tc := range []struct {
		name, value, public string
		wantOff, wantErr    bool
	}{
		{"default", "", "http://127.0.0.1:8080", false, false},
		{"on", "on", "http://127.0.0.1:8080", false, false},
		{"off on loopback", "off", "http://127.0.0.1:8080", true, false},
		{"off on localhost", "off", "http://localhost:8080", true, false},
		{"off in public", "off", "https://pay.example.com", false, true},
		{"bad value", "maybe", "http://127.0.0.1:8080", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"HPP_RATE_LIMITS": tc.value, "HPP_PUBLIC_URL": tc.public}
			c, err := Load(func(k string) string { return env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("Load: err = %v, want error: %v", err, tc.wantErr)
			}
			if err == nil && c.RateLimitsOff != tc.wantOff {
				t.Errorf("RateLimitsOff = %v, want %v", c.RateLimitsOff, tc.wantOff)
			}
		})
	}
}
