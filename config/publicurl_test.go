package config

import (
	"bytes"
	"strings"
	"testing"
)

// TestDefaultPublicURL: without HPP_PUBLIC_URL the public URL follows the
// port of HPP_ADDR, so the sandbox's printed links open; a set
// HPP_PUBLIC_URL wins.
func TestDefaultPublicURL(t *testing.T) {
	for _, tc := range []struct{ addr, public, want string }{
		{"", "", "http://localhost:8080"},
		{":9090", "", "http://localhost:9090"},
		{"127.0.0.1:18080", "", "http://localhost:18080"},
		{":9090", "https://pay.example.com/", "https://pay.example.com"},
	} {
		env := map[string]string{"HPP_ADDR": tc.addr, "HPP_PUBLIC_URL": tc.public}
		c, err := Load(func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		if got := c.PublicURL.String(); got != tc.want {
			t.Errorf("HPP_ADDR=%q HPP_PUBLIC_URL=%q: public URL %s, want %s", tc.addr, tc.public, got, tc.want)
		}
		if c.LatipayURL != tc.want+"/sandbox/latipay" {
			t.Errorf("HPP_ADDR=%q: sandbox Latipay URL %s", tc.addr, c.LatipayURL)
		}
	}
}

// TestLiveRequiresPublicURL: live, HPP_PUBLIC_URL has no default. The
// sandbox's http://localhost:PORT went through the https rule (an
// explicit http://pay.example.com is refused), so check-config said ok
// and every checkout link and Latipay's callback address pointed at
// localhost. Now Load and check-config refuse it, naming the setting and
// what to set; an explicit loopback URL (the load harness's, with the
// simulator) still starts live.
func TestLiveRequiresPublicURL(t *testing.T) {
	unset := liveEnv(map[string]string{"HPP_PUBLIC_URL": ""})
	_, err := Load(unset)
	want := "HPP_PUBLIC_URL: is required when taking real payments: set the https URL that shoppers and Latipay reach"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("live without HPP_PUBLIC_URL: Load = %v, want %q", err, want)
	}
	var out bytes.Buffer
	if err := Check(unset, &out); err == nil || !strings.Contains(out.String(), "problem: "+want) ||
		strings.Contains(out.String(), "localhost") {
		t.Errorf("live without HPP_PUBLIC_URL: check-config = %v:\n%s", err, out.String())
	}
	for _, public := range []string{"http://127.0.0.1:18080", "http://localhost:18080", "https://pay.example.com"} {
		c, err := Load(liveEnv(map[string]string{"HPP_PUBLIC_URL": public}))
		if err != nil || c.PublicURL.String() != public {
			t.Errorf("live with HPP_PUBLIC_URL=%s: %v, public URL %v", public, err, c.PublicURL)
		}
	}
	c, err := Load(liveEnv(map[string]string{"HPP_PUBLIC_URL": "http://127.0.0.1:18080", "HPP_RATE_LIMITS": "off"}))
	if err != nil || !c.RateLimitsOff {
		t.Errorf("live on loopback with HPP_RATE_LIMITS=off (the load harness): %v", err)
	}
}
