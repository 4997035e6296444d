package config

import (
	"strings"
	"testing"
	"time"
)

// TestShopTimezone: HPP_SHOP_TIMEZONE takes an IANA name; unset, the
// machine's zone; a name that is not a zone is a start-up error that names
// the setting.
func TestShopTimezone(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := Load(env(map[string]string{"HPP_SHOP_TIMEZONE": "Pacific/Auckland"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := c.ShopTimezone.String(); got != "Pacific/Auckland" {
		t.Errorf("ShopTimezone = %q, want Pacific/Auckland", got)
	}
	if c, err = Load(env(nil)); err != nil || c.ShopTimezone != time.Local {
		t.Errorf("unset: ShopTimezone = %v, %v; want the local zone", c.ShopTimezone, err)
	}
	for _, bad := range []string{"Mars/Olympus", "NZDT+13", "Local"} {
		_, err := Load(env(map[string]string{"HPP_SHOP_TIMEZONE": bad}))
		if err == nil || !strings.Contains(err.Error(), "HPP_SHOP_TIMEZONE") {
			t.Errorf("HPP_SHOP_TIMEZONE=%q: err = %v, want one naming the setting", bad, err)
		}
	}
}

// TestShopTimezoneListed: check-config and the back office's settings
// page (Effective) list HPP_SHOP_TIMEZONE with its zone, or say that the
// machine's zone is used.
func TestShopTimezoneListed(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for zone, want := range map[string]string{"Pacific/Auckland": "Pacific/Auckland", "": "(the machine's zone)"} {
		c, err := Load(env(map[string]string{"HPP_SHOP_TIMEZONE": zone}))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		got, found := "", false
		for _, kv := range c.Effective() {
			if kv[0] == "HPP_SHOP_TIMEZONE" {
				got, found = kv[1], true
			}
		}
		if !found || got != want {
			t.Errorf("HPP_SHOP_TIMEZONE=%q: listed %v as %q, want %q", zone, found, got, want)
		}
	}
}
