package latipay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

const testNonce = "7d5a88119354301ad3fc250404493bd27abf4467283a061d1ed11860a46e1bf3"

func validCreateRequest() CreateRequest {
	return CreateRequest{
		WalletID: "W00000001", Amount: "120.00", PaymentMethod: "alipay",
		MerchantReference: "dsi39ej430sks03", ReturnURL: "https://merchantsite.com/checkout",
		CallbackURL: "https://merchantsite.com/confirm", IP: "122.122.122.1", ProductName: "Pinot Noir, Otago",
	}
}

// signedCreate answers a create with a correctly signed body.
func signedCreate(host, nonce string) func(http.ResponseWriter, fakeRequest) {
	return func(w http.ResponseWriter, _ fakeRequest) {
		writeJSON(w, map[string]any{"code": 0, "message": "SUCCESS", "host_url": host, "nonce": nonce,
			"signature": testMAC(testKey, nonce+host)})
	}
}

func TestCreateTransaction(t *testing.T) {
	c, f := newTestClient(t, nil)
	host := f.srv.URL + "/sandbox/latipay/pay"
	f.respond = signedCreate(host, testNonce)
	req := validCreateRequest()
	req.ReturnURL = ""
	req.PresentQR = true
	req.MerchantHosted = true
	req.ProductName = "Wine & <Cheese> = 100%"
	got, err := c.CreateTransaction(context.Background(), req)
	if err != nil {
		t.Fatalf("CreateTransaction() error = %v", err)
	}
	if want := (CreateResponse{HostURL: host, Nonce: testNonce}); got != want {
		t.Errorf("CreateTransaction() = %+v, want %+v", got, want)
	}
	if got, want := got.PayURL(), host+"/"+testNonce; got != want {
		t.Errorf("PayURL() = %q, want %q", got, want)
	}
	r := f.last(t)
	if r.Method != http.MethodPost || r.Path != "/sandbox/latipay/v2/transaction" {
		t.Errorf("request = %s %s, want POST /sandbox/latipay/v2/transaction", r.Method, r.Path)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json;charset=UTF-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := r.Header.Get("Accept"); got != "application/json" {
		t.Errorf("Accept = %q", got)
	}
	if !r.SigOK {
		t.Errorf("fake rejected the request signature")
	}
	want := map[string]string{
		"user_id": testUser, "wallet_id": "W00000001", "amount": "120.00", "payment_method": "alipay",
		"merchant_reference": "dsi39ej430sks03", "callback_url": "https://merchantsite.com/confirm",
		"ip": "122.122.122.1", "version": "2.0", "product_name": "Wine & <Cheese> = 100%",
		"present_qr": "1", "host_type": "1", "signature": r.Body["signature"],
	}
	if len(r.Body) != len(want) {
		t.Errorf("body has %d fields, want %d: %v", len(r.Body), len(want), r.Body)
	}
	for k, v := range want {
		if r.Body[k] != v {
			t.Errorf("body[%q] = %q, want %q", k, r.Body[k], v)
		}
	}
}

// TestCreateSignsV1 checks the wire signature against published vector V1.
func TestCreateSignsV1(t *testing.T) {
	_, f := newTestClient(t, signedCreate("https://pay.latipay.net/pay", testNonce))
	c, err := New(Config{BaseURL: f.srv.URL + "/sandbox/latipay", UserID: "U000334333", APIKey: "111222333"})
	if err != nil {
		t.Fatal(err)
	}
	c.CreateTransaction(context.Background(), validCreateRequest()) // response is signed with another key
	if got, want := f.last(t).Body["signature"], "8d1bea078eaacdae8388852851ec39e2e8561cdce64f359421d85ed4844496ec"; got != want {
		t.Errorf("signature = %s, want V1 %s", got, want)
	}
}

func TestIPv4(t *testing.T) {
	tests := []struct{ in, want string }{
		{"122.122.122.1", "122.122.122.1"},
		{"::ffff:10.0.0.1", "10.0.0.1"},
		{"2001:db8::1", "127.0.0.1"},
		{"fe80::1%eth0", "127.0.0.1"},
		{"", "127.0.0.1"},
		{"010.1.1.1", "127.0.0.1"},
		{"1.2.3.4:80", "127.0.0.1"},
		{"not an ip", "127.0.0.1"},
	}
	for _, tt := range tests {
		if got := ipv4(tt.in); got != tt.want {
			t.Errorf("ipv4(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCreateRejectsBadRequest(t *testing.T) {
	tests := []struct {
		name string
		mut  func(*CreateRequest)
	}{
		{"no wallet", func(r *CreateRequest) { r.WalletID = "" }},
		{"amount no decimals", func(r *CreateRequest) { r.Amount = "120" }},
		{"amount one decimal", func(r *CreateRequest) { r.Amount = "120.0" }},
		{"amount three decimals", func(r *CreateRequest) { r.Amount = "1.001" }},
		{"amount zero", func(r *CreateRequest) { r.Amount = "0.00" }},
		{"amount negative", func(r *CreateRequest) { r.Amount = "-1.00" }},
		{"amount exponent", func(r *CreateRequest) { r.Amount = "1e2" }},
		{"amount comma", func(r *CreateRequest) { r.Amount = "1,00" }},
		{"amount leading zero", func(r *CreateRequest) { r.Amount = "01.00" }},
		{"amount full-width", func(r *CreateRequest) { r.Amount = "１２０.00" }},
		{"unknown method", func(r *CreateRequest) { r.PaymentMethod = "paypal" }},
		{"method upper", func(r *CreateRequest) { r.PaymentMethod = "ALIPAY" }},
		{"ref with space", func(r *CreateRequest) { r.MerchantReference = "a b" }},
		{"ref too long", func(r *CreateRequest) { r.MerchantReference = strings.Repeat("a", 65) }},
		{"no callback", func(r *CreateRequest) { r.CallbackURL = "" }},
		{"callback relative", func(r *CreateRequest) { r.CallbackURL = "/confirm" }},
		{"return javascript", func(r *CreateRequest) { r.ReturnURL = "javascript:alert(1)" }},
		{"no product", func(r *CreateRequest) { r.ProductName = "" }},
		{"product invalid utf8", func(r *CreateRequest) { r.ProductName = "wine\xff" }},
		{"product newline", func(r *CreateRequest) { r.ProductName = "wine\nred" }},
	}
	c, f := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) { t.Error("request reached the server") })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := validCreateRequest()
			tt.mut(&req)
			_, err := c.CreateTransaction(context.Background(), req)
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("CreateTransaction() error = %v, want ErrInvalidRequest", err)
			}
		})
	}
	_ = f
}

func TestCreateRejectsBadResponse(t *testing.T) {
	const pay = "https://pay.latipay.net/pay"
	signed := func(host, nonce string) map[string]any {
		return map[string]any{"code": 0, "host_url": host, "nonce": nonce, "signature": testMAC(testKey, nonce+host)}
	}
	tests := []struct {
		name string
		body any
		want error
	}{
		{"wrong signature", map[string]any{"code": 0, "host_url": pay, "nonce": testNonce, "signature": testMAC(testKey, pay+testNonce)}, ErrBadSignature},
		{"other key", map[string]any{"code": 0, "host_url": pay, "nonce": testNonce, "signature": testMAC("111222333", testNonce+pay)}, ErrBadSignature},
		{"no signature", map[string]any{"code": 0, "host_url": pay, "nonce": testNonce}, ErrBadSignature},
		{"host not allowed", signed("https://evil.example/pay", testNonce), ErrMalformed},
		{"look-alike host", signed("https://pay.latipay.net.evil.example/pay", testNonce), ErrMalformed},
		{"http allowed host", signed("http://pay.latipay.net/pay", testNonce), ErrMalformed},
		{"userinfo", signed("https://pay.latipay.net@evil.example/pay", testNonce), ErrMalformed},
		{"query in host_url", signed(pay+"?next=x", testNonce), ErrMalformed},
		{"fragment in host_url", signed(pay+"#x", testNonce), ErrMalformed},
		{"javascript host_url", signed("javascript:alert(1)//pay.latipay.net", testNonce), ErrMalformed},
		{"empty host_url", signed("", testNonce), ErrMalformed},
		{"nonce too short", signed(pay, "abc123"), ErrMalformed},
		{"nonce too long", signed(pay, strings.Repeat("a", 129)), ErrMalformed},
		{"nonce path", signed(pay, "../../admin/0123456789abcdef"), ErrMalformed},
		{"nonce empty", signed(pay, ""), ErrMalformed},
		{"host_url number", map[string]any{"code": 0, "host_url": 1, "nonce": testNonce, "signature": "00"}, ErrMalformed},
		{"host_url object", map[string]any{"code": 0, "host_url": map[string]any{}, "nonce": testNonce}, ErrMalformed},
		{"code not integer", map[string]any{"code": "zero"}, ErrMalformed},
		{"code fraction", json.RawMessage(`{"code":0.5}`), ErrMalformed},
		{"array", []any{1, 2}, ErrMalformed},
		{"null", nil, ErrMalformed},
		{"duplicate key", json.RawMessage(`{"code":0,"host_url":"` + pay + `","nonce":"` + testNonce + `","nonce":"` + testNonce + `","signature":"` + testMAC(testKey, testNonce+pay) + `"}`), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) { writeJSON(w, tt.body) })
			got, err := c.CreateTransaction(context.Background(), validCreateRequest())
			if !errors.Is(err, tt.want) {
				t.Errorf("CreateTransaction() = %+v, %v; want %v", got, err, tt.want)
			}
			if got != (CreateResponse{}) {
				t.Errorf("CreateTransaction() returned %+v with an error", got)
			}
		})
	}
}

func TestCreateAllowedHosts(t *testing.T) {
	host := "https://hpp-gw.example.com/pay"
	_, f := newTestClient(t, signedCreate(host, testNonce))
	for _, tt := range []struct {
		allowed []string
		wantErr bool
	}{{nil, true}, {[]string{}, true}, {[]string{"HPP-GW.example.com"}, false}} {
		c, err := New(Config{BaseURL: f.srv.URL + "/sandbox/latipay", UserID: testUser, APIKey: testKey, AllowedHosts: tt.allowed})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.CreateTransaction(context.Background(), validCreateRequest())
		if (err != nil) != tt.wantErr {
			t.Errorf("AllowedHosts %q: error = %v, want error %v", tt.allowed, err, tt.wantErr)
		}
	}
}

func TestCreateAPIErrors(t *testing.T) {
	for _, code := range documentedCodes {
		t.Run(CodeText(code), func(t *testing.T) {
			c, _ := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) { writeJSON(w, codeBody(code)) })
			_, err := c.CreateTransaction(context.Background(), validCreateRequest())
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != code || ae.Op != "create" {
				t.Fatalf("CreateTransaction() error = %v, want *APIError code %d", err, code)
			}
			if got := errors.Is(err, ErrOrderNotExist); got != (code == 201) {
				t.Errorf("errors.Is(ErrOrderNotExist) = %v for code %d", got, code)
			}
			if CodeText(code) == "" {
				t.Errorf("CodeText(%d) is empty", code)
			}
		})
	}
}

func TestAPIErrorText(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) {
		writeJSON(w, map[string]any{"code": 206, "message": "bad sig for key " + testKey + "\x00\n"})
	})
	_, err := c.CreateTransaction(context.Background(), validCreateRequest())
	want := "latipay: create: code 206: bad sig for key [redacted]"
	if err == nil || err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if got := (&APIError{Op: "cancel", Code: 900}).Error(); got != "latipay: cancel: code 900: transaction already completed successfully" {
		t.Errorf("APIError.Error() = %q", got)
	}
}
