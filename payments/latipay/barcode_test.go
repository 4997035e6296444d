package latipay

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func validBarcodeRequest() BarcodeRequest {
	return BarcodeRequest{WalletID: "W00000001", Amount: "12.50", MerchantReference: "01JBARCODE0000000000000000", PayCode: "134588558514585062"}
}

// TestBarcodeSignsV7: the barcode signature is the sorted-parameters
// signature. V7, Latipay's published example, signs user_id, wallet_id,
// amount and pay_code without merchant_reference, which the field table
// requires: the client sends and signs it too, and without it the same
// code gives exactly V7's signature.
func TestBarcodeSignsV7(t *testing.T) {
	c, err := New(Config{BaseURL: "https://api.latipay.net", UserID: "U00001534", APIKey: "111222333"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.barcodeParams(BarcodeRequest{WalletID: "W00000001", Amount: "0.05",
		MerchantReference: "dsi39ej430sks03", PayCode: "134588558514585062"})
	if err != nil {
		t.Fatal(err)
	}
	const v7 = "e66d54f711bc6a1dde59838c8b0de73ccc8b025a2ae65ae878216f010a05f599"
	withRef := "amount=0.05&merchant_reference=dsi39ej430sks03&pay_code=134588558514585062&user_id=U00001534&wallet_id=W00000001111222333"
	if got, want := p["signature"], testMAC("111222333", withRef); got != want {
		t.Errorf("signature = %s, want %s (HMAC of %q)", got, want, withRef)
	}
	delete(p, "merchant_reference")
	if got := SignParams("111222333", p); got != v7 {
		t.Errorf("signature of V7's fields = %s, want V7 %s", got, v7)
	}
}

// TestBarcode: the call is POST /barcode with the five fields and a
// signature the fake checks with its own code; the order id comes back.
func TestBarcode(t *testing.T) {
	c, f := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) {
		writeJSON(w, map[string]any{"code": 0, "message": "SUCCESS", "order_id": "2018071000000033"})
	})
	id, err := c.Barcode(context.Background(), validBarcodeRequest())
	if err != nil || id != "2018071000000033" {
		t.Fatalf("Barcode() = %q, %v; want 2018071000000033", id, err)
	}
	r := f.last(t)
	if r.Method != http.MethodPost || r.Path != "/sandbox/latipay/barcode" || !r.SigOK {
		t.Errorf("request = %s %s SigOK=%v", r.Method, r.Path, r.SigOK)
	}
	want := map[string]string{"user_id": testUser, "wallet_id": "W00000001", "amount": "12.50",
		"merchant_reference": "01JBARCODE0000000000000000", "pay_code": "134588558514585062", "signature": r.Body["signature"]}
	if diff := cmp.Diff(want, r.Body); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

// TestBarcodeAnswers: a refusal is an *APIError that never repeats the
// pay code; an answer without a code or a usable order id is malformed;
// a cut answer is unavailable (outcome unknown).
func TestBarcodeAnswers(t *testing.T) {
	const payCode = "134588558514585062"
	for name, tc := range map[string]struct {
		body any
		want error
	}{
		"refused":       {map[string]any{"code": 207, "message": "pay_code " + payCode + " is invalid"}, nil},
		"no code":       {map[string]any{"message": "SUCCESS", "order_id": "1"}, ErrMalformed},
		"no order id":   {map[string]any{"code": 0, "message": "SUCCESS"}, ErrMalformed},
		"bad order id":  {map[string]any{"code": 0, "order_id": "a/b"}, ErrMalformed},
		"order id list": {map[string]any{"code": 0, "order_id": []string{"1"}}, ErrMalformed},
	} {
		c, _ := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) { writeJSON(w, tc.body) })
		_, err := c.Barcode(context.Background(), validBarcodeRequest())
		if strings.Contains(err.Error(), payCode) || strings.Contains(err.Error(), testKey) {
			t.Errorf("%s: error %q repeats the pay code or the key", name, err)
		}
		if tc.want == nil {
			var api *APIError
			if !errors.As(err, &api) || api.Code != 207 {
				t.Errorf("%s: %v, want an *APIError with code 207", name, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	c, _ := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) { w.Write([]byte(`{"code":0,"ord`)) })
	if _, err := c.Barcode(context.Background(), validBarcodeRequest()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("cut answer: %v, want ErrUnavailable", err)
	}
}

// TestBarcodeRejectsArgs: nothing is sent for a bad argument.
func TestBarcodeRejectsArgs(t *testing.T) {
	c, _ := newTestClient(t, func(http.ResponseWriter, fakeRequest) { t.Error("request reached the server") })
	for _, edit := range []func(*BarcodeRequest){
		func(r *BarcodeRequest) { r.WalletID = "" },
		func(r *BarcodeRequest) { r.Amount = "12.5" },
		func(r *BarcodeRequest) { r.Amount = "0.00" },
		func(r *BarcodeRequest) { r.MerchantReference = "a b" },
		func(r *BarcodeRequest) { r.PayCode = "" },
		func(r *BarcodeRequest) { r.PayCode = "13458855851458506x" },
		func(r *BarcodeRequest) { r.PayCode = "123" },
	} {
		r := validBarcodeRequest()
		edit(&r)
		if _, err := c.Barcode(context.Background(), r); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("Barcode(%+v) = %v, want ErrInvalidRequest", r, err)
		}
	}
}
