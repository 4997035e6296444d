package latipay

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ok(w http.ResponseWriter, _ fakeRequest) { writeJSON(w, map[string]any{"code": 0, "message": ""}) }

func TestRefund(t *testing.T) {
	c, f := newTestClient(t, ok)
	if err := c.Refund(context.Background(), "23479798sdf7987234", "9.99", ""); err != nil {
		t.Fatalf("Refund() error = %v", err)
	}
	r := f.last(t)
	if r.Method != http.MethodPost || r.Path != "/sandbox/latipay/refund" || !r.SigOK {
		t.Errorf("request = %s %s SigOK=%v", r.Method, r.Path, r.SigOK)
	}
	want := map[string]string{"user_id": testUser, "order_id": "23479798sdf7987234", "refund_amount": "9.99", "signature": r.Body["signature"]}
	if diff := cmp.Diff(want, r.Body); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

func TestRefundSignsV6(t *testing.T) {
	_, f := newTestClient(t, ok)
	c, err := New(Config{BaseURL: f.srv.URL + "/sandbox/latipay", UserID: "U000334333", APIKey: "111222333"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Refund(context.Background(), "23479798sdf7987234", "120.00", "notes about this refund"); err != nil {
		t.Fatal(err)
	}
	if got, want := f.last(t).Body["signature"], "3052b51072570b743bf9a12a20a45b0adf280aee84907ef0e54d1079fb3f961c"; got != want {
		t.Errorf("signature = %s, want V6 %s", got, want)
	}
}

func TestRefundRejectsArgs(t *testing.T) {
	c, _ := newTestClient(t, func(http.ResponseWriter, fakeRequest) { t.Error("request reached the server") })
	tests := []struct{ order, amount, note string }{
		{"", "1.00", ""},
		{"a/b", "1.00", ""},
		{"1", "1", ""},
		{"1", "0.00", ""},
		{"1", "1.00", "bad\x00note"},
	}
	for _, tt := range tests {
		if err := c.Refund(context.Background(), tt.order, tt.amount, tt.note); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("Refund(%q, %q, %q) = %v, want ErrInvalidRequest", tt.order, tt.amount, tt.note, err)
		}
	}
	if err := c.Cancel(context.Background(), "no spaces"); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("Cancel() = %v, want ErrInvalidRequest", err)
	}
}

func TestCancel(t *testing.T) {
	c, f := newTestClient(t, ok)
	if err := c.Cancel(context.Background(), "dsi39ej430sks03"); err != nil {
		t.Fatalf("Cancel() error = %v", err)
	}
	r := f.last(t)
	if r.Path != "/sandbox/latipay/cancel" || !r.SigOK {
		t.Errorf("request = %s SigOK=%v", r.Path, r.SigOK)
	}
	want := map[string]string{"user_id": testUser, "merchant_reference": "dsi39ej430sks03", "signature": r.Body["signature"]}
	if diff := cmp.Diff(want, r.Body); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

func TestRefundCancelCodes(t *testing.T) {
	tests := []struct {
		op       string
		code     int
		sentinel error
	}{
		{"refund", 550, nil}, {"refund", 551, nil}, {"refund", 556, nil},
		{"refund", 558, nil}, {"refund", 559, nil}, {"refund", 562, nil},
		{"refund", 206, nil},
		{"cancel", 1, nil}, {"cancel", 3, nil}, {"cancel", 110, nil}, {"cancel", 205, nil}, {"cancel", 206, nil},
		{"cancel", 201, ErrOrderNotExist},
		{"cancel", 900, ErrAlreadyPaid},
		{"cancel", 901, ErrAlreadyFailed},
	}
	for _, tt := range tests {
		t.Run(tt.op+"/"+CodeText(tt.code), func(t *testing.T) {
			c, _ := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) { writeJSON(w, codeBody(tt.code)) })
			err := ops[tt.op](context.Background(), c)
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != tt.code || ae.Op != tt.op {
				t.Fatalf("%s error = %v, want *APIError code %d", tt.op, err, tt.code)
			}
			for _, s := range []error{ErrOrderNotExist, ErrAlreadyPaid, ErrAlreadyFailed} {
				if got, want := errors.Is(err, s), s == tt.sentinel; got != want {
					t.Errorf("errors.Is(%v) = %v, want %v", s, got, want)
				}
			}
		})
	}
}

func TestRefundNeedsCode(t *testing.T) {
	for _, body := range []any{map[string]any{"message": "SUCCESS"}, map[string]any{"code": nil}} {
		c, _ := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) { writeJSON(w, body) })
		for _, op := range []string{"refund", "cancel"} {
			if err := ops[op](context.Background(), c); !errors.Is(err, ErrMalformed) {
				t.Errorf("%s with body %v: error = %v, want ErrMalformed", op, body, err)
			}
		}
	}
	c, _ := newTestClient(t, func(w http.ResponseWriter, _ fakeRequest) { writeJSON(w, map[string]any{"code": "0"}) })
	if err := c.Cancel(context.Background(), "ref"); err != nil {
		t.Errorf("Cancel() with code \"0\" = %v, want nil", err)
	}
}
