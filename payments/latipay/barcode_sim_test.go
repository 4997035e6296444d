package latipay_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestGatewayBarcodeAgainstSimulator: the barcode call through the real
// client and gateway to the simulator over HTTP. The order id returned is
// the one Latipay keeps; the result is read by query, with the method the
// pay code belongs to; a refused code is a GatewayError in plain words.
func TestGatewayBarcodeAgainstSimulator(t *testing.T) {
	e := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := context.Background()
	for _, tc := range []struct{ ref, code, method, status string }{
		{"01JBARCODEWECHAT0000000000", "134588558514585062", "wechat", "paid"},
		{"01JBARCODEALIPAY0000000000", "2812345678901234567", "alipay", "paid"},
		{"01JBARCODEPASSWORD00000000", "134588558514585011", "wechat", "pending"},
	} {
		id, err := e.Gateway.Barcode(ctx, payments.BarcodeRequest{Reference: tc.ref, Amount: 1250,
			Currency: payments.NZD, PayCode: tc.code})
		if err != nil {
			t.Fatalf("Barcode(%s): %v", tc.code, err)
		}
		tx, ok := e.Sim.Transaction(tc.ref)
		if !ok || tx.OrderID != id || tx.Amount != "12.50" || tx.Currency != "NZD" {
			t.Errorf("%s: simulator holds %+v, want order %s for NZD 12.50", tc.code, tx, id)
		}
		res, err := e.Gateway.Query(ctx, tc.ref)
		if err != nil || res.Status != tc.status || res.Method != tc.method || res.OrderID != id {
			t.Errorf("Query(%s) = %+v, %v; want %s by %s, order %s", tc.ref, res, err, tc.status, tc.method, id)
		}
	}
	_, err := e.Gateway.Barcode(ctx, payments.BarcodeRequest{Reference: "01JBARCODEREFUSED000000000",
		Amount: 1250, Currency: payments.NZD, PayCode: "134588558514585013"})
	var ge *payments.GatewayError
	if !errors.As(err, &ge) || ge.Code != 207 || !strings.Contains(ge.Message, "ask the shopper to refresh it") || ge.Reason != payments.ReasonPayCodeUsed {
		t.Errorf("refused code: %v, want a GatewayError 207 telling the cashier what to do", err)
	}
	if !errors.Is(err, payments.ErrGatewayRejected) || strings.Contains(err.Error(), "134588558514585013") {
		t.Errorf("refused code: %v, want ErrGatewayRejected without the pay code", err)
	}
	if _, err := e.Gateway.Barcode(ctx, payments.BarcodeRequest{Reference: "01JBARCODEUSD0000000000000",
		Amount: 1250, Currency: "USD", PayCode: "134588558514585062"}); !errors.Is(err, payments.ErrGatewayRejected) {
		t.Errorf("currency without a wallet: %v, want ErrGatewayRejected", err)
	}
}
