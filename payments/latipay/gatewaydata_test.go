package latipay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// qrFields are the data fields of the merchant-hosted QR data example as their literal JSON.
func qrFields() map[string]string {
	return map[string]string{
		"order_id": `"20180411000011"`, "nonce": `"` + testNonce + `"`, "payment_method": `"wechat"`,
		"amount": `0.02`, "amount_cny": `0.09`, "currency": `"NZD"`, "product_name": `"food"`,
		"organisation_id": `1`, "organisation_name": `"123123"`, "user_id": `"U00001534"`,
		"user_name": `"Tom & Jerry"`, "wallet_id": `"W00000001"`, "wallet_name": `"test account"`,
		"qr_code": `"data:image/png;base64,iVBORw0KGgo="`, "qr_code_url": `"weixin://wxpay/bizpayurl?pr=hmU9BXs"`,
		"currency_rate": `"4.64490"`, "merchant_reference": `"M00001543-000001"`, "is_test": `false`, "memo": `null`,
	}
}

// qrBody signs fields (the fake's own QR-data signature over literal text) and wraps
// them in a response; tamper runs after signing.
func qrBody(fields map[string]string, tamper func(map[string]string)) json.RawMessage {
	plain := map[string]string{}
	for k, v := range fields {
		var s string
		if json.Unmarshal([]byte(v), &s) != nil {
			s = v
		}
		if v == "null" {
			s = ""
		}
		plain[k] = s
	}
	fields["signature"] = `"` + fakeSign(plain) + `"`
	if tamper != nil {
		tamper(fields)
	}
	var parts []string
	for k, v := range fields {
		parts = append(parts, `"`+k+`":`+v)
	}
	return json.RawMessage(`{"code":0,"message":"SUCCESS","data":{` + strings.Join(parts, ",") + `}}`)
}

func newQRClient(t *testing.T, body json.RawMessage) (*Client, *fakeLatipay, CreateResponse) {
	t.Helper()
	c, f := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) { writeJSON(w, body) })
	return c, f, CreateResponse{HostURL: f.srv.URL + "/sandbox/latipay/v2/merchanthosted/gatewaydata", Nonce: testNonce}
}

func TestGatewayData(t *testing.T) {
	c, f, cr := newQRClient(t, qrBody(qrFields(), nil))
	got, err := c.GatewayData(context.Background(), cr)
	if err != nil {
		t.Fatalf("GatewayData() error = %v", err)
	}
	want := QRData{
		OrderID: "20180411000011", Nonce: testNonce, PaymentMethod: "wechat", Amount: "0.02", AmountCNY: "0.09",
		Currency: "NZD", ProductName: "food", QRCode: "data:image/png;base64,iVBORw0KGgo=",
		QRCodeURL: "weixin://wxpay/bizpayurl?pr=hmU9BXs", CurrencyRate: "4.64490", MerchantReference: "M00001543-000001",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GatewayData() mismatch (-want +got):\n%s", diff)
	}
	if r := f.last(t); r.Method != http.MethodGet || r.Path != "/sandbox/latipay/v2/merchanthosted/gatewaydata/"+testNonce {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
}

func TestGatewayDataRejects(t *testing.T) {
	set := func(k, v string) func(map[string]string) { return func(m map[string]string) { m[k] = v } }
	tests := []struct {
		name   string
		fields func(map[string]string) // before signing
		tamper func(map[string]string) // after signing
		want   error
	}{
		{"tampered amount", nil, set("amount", `0.20`), ErrBadSignature},
		{"amount as float text", nil, set("amount", `0.020`), ErrBadSignature},
		{"tampered qr url", nil, set("qr_code_url", `"weixin://wxpay/bizpayurl?pr=evil"`), ErrBadSignature},
		{"tampered unlisted field", nil, set("wallet_name", `"x"`), ErrBadSignature},
		{"added field", nil, set("extra", `"x"`), ErrBadSignature},
		{"no signature", nil, func(m map[string]string) { delete(m, "signature") }, ErrBadSignature},
		{"upper-case signature", nil, func(m map[string]string) { m["signature"] = strings.ToUpper(m["signature"]) }, nil},
		{"other nonce", set("nonce", `"0123456789abcdef0123"`), nil, ErrBadSignature},
		{"qr url elsewhere", set("qr_code_url", `"https://evil.example/pay"`), nil, ErrMalformed},
		{"qr url javascript", set("qr_code_url", `"javascript:alert(1)"`), nil, ErrMalformed},
		{"qr url alipay look-alike", set("qr_code_url", `"https://qr.alipay.com.evil.example/x"`), nil, ErrMalformed},
		{"qr url prefix only", set("qr_code_url", `"weixin://wxpay/"`), nil, ErrMalformed},
		{"qr url missing", func(m map[string]string) { delete(m, "qr_code_url") }, nil, ErrMalformed},
		{"qr code not image", set("qr_code", `"javascript:alert(1)"`), nil, ErrMalformed},
		{"alipay ok", set("qr_code_url", `"https://qr.alipay.com/bax01234"`), nil, nil},
		{"nested object", set("goods", `{"a":1}`), nil, ErrMalformed},
		{"bad method", set("payment_method", `"paypal"`), nil, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := qrFields()
			if tt.fields != nil {
				tt.fields(fields)
			}
			c, _, cr := newQRClient(t, qrBody(fields, tt.tamper))
			got, err := c.GatewayData(context.Background(), cr)
			if !errors.Is(err, tt.want) {
				t.Errorf("GatewayData() = %+v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestGatewayDataShape(t *testing.T) {
	for _, body := range []string{`{"code":0}`, `{"code":0,"data":null}`, `{"code":0,"data":"x"}`, `{"code":0,"data":{"a":1,"a":2}}`} {
		c, _, cr := newQRClient(t, json.RawMessage(body))
		if _, err := c.GatewayData(context.Background(), cr); !errors.Is(err, ErrMalformed) {
			t.Errorf("GatewayData(%s) error = %v, want ErrMalformed", body, err)
		}
	}
}

// TestGatewayDataChecksTarget makes sure a forged CreateResponse cannot
// point the server-side fetch at an arbitrary URL.
func TestGatewayDataChecksTarget(t *testing.T) {
	c, _ := newTestClient(t, func(http.ResponseWriter, fakeRequest) { t.Error("request reached the server") })
	for _, cr := range []CreateResponse{
		{HostURL: "http://169.254.169.254/latest/meta-data", Nonce: testNonce},
		{HostURL: "https://pay.latipay.net/pay", Nonce: "../../etc/passwd"},
		{HostURL: "https://pay.latipay.net/pay?x=", Nonce: testNonce},
	} {
		if _, err := c.GatewayData(context.Background(), cr); !errors.Is(err, ErrMalformed) {
			t.Errorf("GatewayData(%+v) error = %v, want ErrMalformed", cr, err)
		}
	}
}
