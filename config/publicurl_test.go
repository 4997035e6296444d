package config

import "testing"

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
