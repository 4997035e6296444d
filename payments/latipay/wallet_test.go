package latipay_test

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
)

// TestWalletDetailSignature: Latipay publishes no vector for the wallet
// detail request, so this one was computed independently with Python's
// hmac module: hmac.new(b"111222333", b"W00000001" + b"U000334333",
// hashlib.sha256).hexdigest(). The key and ids are the documentation's
// test values.
func TestWalletDetailSignature(t *testing.T) {
	const want = "fabdc81a57f2ebbfd0c878fab77effc7d16a66dcd7dc32df86f8bd2d038d3a4d"
	if got := latipay.WalletDetailSignature("111222333", "W00000001", "U000334333"); got != want {
		t.Errorf("WalletDetailSignature = %s, want %s", got, want)
	}
}

// TestWalletDetailSimulator asks the simulator over HTTP: the enabled
// methods of a wallet, and each way the credentials can be wrong.
func TestWalletDetailSimulator(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	sim, err := latipaysim.New(latipaysim.Options{BaseURL: "http://" + srv.Listener.Addr().String(),
		Merchants: []latipaysim.Merchant{
			{UserID: "U000334333", APIKey: "right-key", Wallets: map[string]string{"W00000001": "NZD"}, Methods: []string{"wechat", "alipay"}},
			{UserID: "U000000002", APIKey: "other-key", Wallets: map[string]string{"W00000009": "AUD"}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = sim
	srv.Start()
	t.Cleanup(func() { sim.Close(); srv.Close() })
	client := func(user, key string) *latipay.Client {
		c, err := latipay.New(latipay.Config{BaseURL: srv.URL, UserID: user, APIKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	w, err := client("U000334333", "right-key").WalletDetail(t.Context(), "W00000001")
	if err != nil {
		t.Fatalf("WalletDetail: %v", err)
	}
	if d := cmp.Diff(latipay.Wallet{WalletID: "W00000001", Name: "Simulated NZD wallet", Currency: "NZD", Methods: []string{"Wechat", "Alipay"}}, w); d != "" {
		t.Errorf("wallet (-want +got):\n%s", d)
	}
	for name, tt := range map[string]struct {
		user, key, wallet string
		code              int
	}{
		"wrong key":             {"U000334333", "wrong-key", "W00000001", 206},
		"unknown user":          {"U999999999", "right-key", "W00000001", 205},
		"another user's wallet": {"U000334333", "right-key", "W00000009", 450},
	} {
		_, err := client(tt.user, tt.key).WalletDetail(t.Context(), tt.wallet)
		var ae *latipay.APIError
		if !errors.As(err, &ae) || ae.Code != tt.code {
			t.Errorf("%s: %v, want Latipay code %d", name, err, tt.code)
		}
	}
}
