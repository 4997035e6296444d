package latipay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

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
