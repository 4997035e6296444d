package latipay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// queryBody builds a query response; amount is raw JSON and signedAmount is
// the text the fake signs.
func queryBody(ref, amount, signedAmount string) map[string]any {
	return map[string]any{
		"code": 0, "message": "SUCCESS", "merchant_reference": ref, "status": "paid", "currency": "NZD",
		"amount": json.RawMessage(amount), "payment_method": "alipay", "order_id": "2017232323345678",
		"pay_time": "2017-07-07 10:53:50", "amount_cny": json.RawMessage("562.80"), "rate": json.RawMessage("4.69000"),
		"signature": testMAC(testKey, ref+"alipaypaidNZD"+signedAmount),
	}
}

func TestQueryAmountLiteral(t *testing.T) {
	tests := []struct {
		name, amount, signed string
		want                 error
	}{
		{"120.00", "120.00", "120.00", nil},
		{"0.1", "0.1", "0.1", nil},
		{"0.10", "0.10", "0.10", nil},
		{"120", "120", "120", nil},
		{"string 120.00", `"120.00"`, "120.00", nil},
		{"120.00 signed as 120", "120.00", "120", ErrBadSignature},
		{"0.10 signed as 0.1", "0.10", "0.1", ErrBadSignature},
		{"1e2 signed literally", "1e2", "1e2", ErrMalformed},
		{"1e2 signed as 100", "1e2", "100", ErrMalformed},
		{"1e2 signed as 100.00", "1e2", "100.00", ErrMalformed},
		{"negative", "-1.00", "-1.00", ErrMalformed},
		{"three decimals", "0.001", "0.001", ErrMalformed},
		{"null", "null", "", ErrMalformed},
		{"bool", "true", "true", ErrMalformed},
		{"object", "{}", "", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) {
				writeJSON(w, queryBody("dsi39ej430sks03", tt.amount, tt.signed))
			})
			got, err := c.Query(context.Background(), "dsi39ej430sks03", false)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Query() = %+v, %v; want error %v", got, err, tt.want)
			}
			if !f.last(t).SigOK {
				t.Errorf("fake rejected the request signature")
			}
			if tt.want == nil && got.Amount != tt.signed {
				t.Errorf("Amount = %q, want %q", got.Amount, tt.signed)
			}
		})
	}
}

func TestQueryResult(t *testing.T) {
	c, f := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) {
		b := queryBody("ref-1_A", "120.00", "120.00")
		b["transaction_id"] = "2017232323345678"
		b["messageCN"] = "操作成功"
		b["nested"] = map[string]any{"a": 1}
		writeJSON(w, b)
	})
	got, err := c.Query(context.Background(), "ref-1_A", true)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{
		MerchantReference: "ref-1_A", PaymentMethod: "alipay", Status: "paid", Currency: "NZD", Amount: "120.00",
		OrderID: "2017232323345678", PayTime: "2017-07-07 10:53:50", AmountCNY: "562.80", Rate: "4.69000",
		Extra: map[string]string{"transaction_id": "2017232323345678", "messageCN": "操作成功", "nested": `{"a":1}`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Query() mismatch (-want +got):\n%s", diff)
	}
	r := f.last(t)
	if r.Method != http.MethodGet || r.Path != "/sandbox/latipay/v2/transaction/ref-1_A" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if r.Query.Get("user_id") != testUser || r.Query.Get("is_block") != "1" || !r.SigOK {
		t.Errorf("query = %v, SigOK = %v", r.Query, r.SigOK)
	}
	if got := r.Header.Get("Accept"); got != "application/json" {
		t.Errorf("Accept = %q", got)
	}
}

// TestQueryCaptured decodes the response captured from Latipay in 2020
// (vector V8, key 7EE1), with null amount_cny and a numeric rate.
func TestQueryCaptured(t *testing.T) {
	c, err := New(Config{BaseURL: "https://api.latipay.net", UserID: "U1", APIKey: "7EE1"})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"code":0,"message":"SUCCESS","messageCN":"操作成功","merchant_reference":"22TEST","status":"pending","currency":"AUD","amount":0.01,"amount_cny":null,"rate":0.00000,"signature":"22c98f90eefbd40b84aad11321a4881280b5a5ac886a6132b9990c6710212f78","payment_method":"alipay","transaction_id":"2020033000001672","order_id":"2020033000001672","pay_time":"2020-03-30 01:41:14"}`
	got, err := c.decodeQueryResponse([]byte(body), "22TEST")
	if err != nil {
		t.Fatal(err)
	}
	want := Result{
		MerchantReference: "22TEST", PaymentMethod: "alipay", Status: "pending", Currency: "AUD", Amount: "0.01",
		OrderID: "2020033000001672", PayTime: "2020-03-30 01:41:14", Rate: "0.00000",
		Extra: map[string]string{"messageCN": "操作成功", "transaction_id": "2020033000001672"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decodeQueryResponse mismatch (-want +got):\n%s", diff)
	}
}

func TestQuerySignsV5(t *testing.T) {
	_, f := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) { writeJSON(w, codeBody(201)) })
	c, err := New(Config{BaseURL: f.srv.URL + "/sandbox/latipay", UserID: "U000000013", APIKey: "111222333"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Query(context.Background(), "6000324", false)
	if !errors.Is(err, ErrOrderNotExist) {
		t.Errorf("Query() error = %v, want ErrOrderNotExist", err)
	}
	r := f.last(t)
	if got, want := r.Query.Get("signature"), "58f93f458880120d650611f2452917a25a39edc2f5e3a03baac73a7a49bc81f4"; got != want {
		t.Errorf("signature = %s, want V5 %s", got, want)
	}
	if r.Query.Has("is_block") {
		t.Errorf("is_block sent for a non-blocking query")
	}
}

func TestQueryRejects(t *testing.T) {
	tests := []struct {
		name string
		mut  func(map[string]any)
		want error
	}{
		{"other reference", func(b map[string]any) {
			b["merchant_reference"] = "other"
			b["signature"] = testMAC(testKey, "otheralipaypaidNZD120.00")
		}, ErrBadSignature},
		{"tampered status", func(b map[string]any) { b["status"] = "failed" }, ErrBadSignature},
		{"tampered method", func(b map[string]any) { b["payment_method"] = "wechat" }, ErrBadSignature},
		{"tampered currency", func(b map[string]any) { b["currency"] = "AUD" }, ErrBadSignature},
		{"tampered amount", func(b map[string]any) { b["amount"] = json.RawMessage("12.00") }, ErrBadSignature},
		{"upper-case status", func(b map[string]any) { b["status"] = "PAID" }, ErrMalformed},
		{"missing signature", func(b map[string]any) { delete(b, "signature") }, ErrBadSignature},
		{"missing status", func(b map[string]any) { delete(b, "status") }, ErrMalformed},
		{"status number", func(b map[string]any) { b["status"] = 1 }, ErrMalformed},
		{"signature object", func(b map[string]any) { b["signature"] = map[string]any{} }, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) {
				b := queryBody("dsi39ej430sks03", "120.00", "120.00")
				tt.mut(b)
				writeJSON(w, b)
			})
			got, err := c.Query(context.Background(), "dsi39ej430sks03", false)
			if !errors.Is(err, tt.want) {
				t.Errorf("Query() = %+v, %v; want %v", got, err, tt.want)
			}
		})
	}
	c, _ := newTestClient(t, nil)
	for _, ref := range []string{"", "a/b", "a?b", "../x", "a b"} {
		if _, err := c.Query(context.Background(), ref, false); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("Query(%q) error = %v, want ErrInvalidRequest", ref, err)
		}
	}
}
