package main

import (
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/latipay-hpp/hpp/config"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/payments/storage"
)

// TestCounterCurrencyWired: the till charges in HPP_COUNTER_CURRENCY, or
// unset in the currency of HPP_SHOP_TIMEZONE's country: a Sydney shop's
// sandbox (which has all three wallets) sells in AUD, not in NZD, the
// first currency with a wallet; without a zone, that first currency.
func TestCounterCurrencyWired(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HPP_SHOP_TIMEZONE": "Australia/Sydney"}, "AUD"},
		{map[string]string{"HPP_SHOP_TIMEZONE": "Australia/Sydney", "HPP_COUNTER_CURRENCY": "CNY"}, "CNY"},
		{map[string]string{"HPP_COUNTER_CURRENCY": "aud"}, "AUD"},
		{map[string]string{}, "NZD"},
	} {
		c.env["HPP_DATABASE"] = filepath.Join(t.TempDir(), "hpp.db")
		cfg, err := config.Load(func(k string) string { return c.env[k] })
		if err != nil {
			t.Fatalf("%v: %v", c.env, err)
		}
		h := hub.New()
		st, err := storage.Open(t.Context(), cfg.Database, "HPP_DATABASE", h, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		p := &parts{store: st, hub: h}
		if err := services(cfg, p, http.DefaultClient, slog.New(slog.DiscardHandler), func(string) string { return "" }); err != nil {
			t.Fatal(err)
		}
		if got := string(p.counter.Currency()); got != c.want {
			t.Errorf("%v: the till's currency is %s, want %s", c.env, got, c.want)
		}
		st.Close()
		h.Close()
	}
}
