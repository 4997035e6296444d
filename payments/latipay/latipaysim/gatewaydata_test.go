package latipaysim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"regexp"
	"strings"
	"testing"

	"rsc.io/qr"
)

func TestGatewayData(t *testing.T) {
	sim, srv := newTestSim(t, nil)
	for _, tt := range []struct{ method, qr string }{
		{"wechat", `^weixin://wxpay/bizpayurl\?pr=[A-Za-z0-9]{7}$`},
		{"alipay", `^https://qr\.alipay\.com/bax0[a-z0-9]+$`},
	} {
		t.Run(tt.method, func(t *testing.T) {
			ref := "gw-" + tt.method
			m := mustCreate(t, srv, ref, tt.method, func(p map[string]string) { p["host_type"] = "1" })
			u := m["host_url"].(string) + "/" + m["nonce"].(string)
			resp, err := srv.Client().Get(u)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Contains(raw, []byte(`"amount":12.50,`)) || !bytes.Contains(raw, []byte(`"amount_cny":58.06,`)) {
				t.Errorf("body lacks the 2 dp number literals: %.300s", raw)
			}
			var body struct {
				Code    int
				Message string
				Data    map[string]json.RawMessage
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatal(err)
			}
			if body.Code != 0 || body.Message != "SUCCESS" {
				t.Fatalf("answer code %d %q", body.Code, body.Message)
			}
			params := map[string]string{}
			for k, v := range body.Data {
				var s string
				if json.Unmarshal(v, &s) != nil {
					s = string(v) // numbers as their literal text
				}
				params[k] = s
			}
			tx, _ := sim.Transaction(ref)
			want := map[string]string{"order_id": tx.OrderID, "nonce": m["nonce"].(string),
				"payment_method": tt.method, "amount": "12.50", "amount_cny": "58.06", "currency": "NZD",
				"product_name": "Pinot Noir, Otago & more", "user_id": testUser, "wallet_id": testNZD,
				"currency_rate": "4.64490", "merchant_reference": ref}
			for k, v := range want {
				if params[k] != v {
					t.Errorf("data.%s = %q, want %q", k, params[k], v)
				}
			}
			if !regexp.MustCompile(tt.qr).MatchString(params["qr_code_url"]) {
				t.Errorf("qr_code_url = %q, want match %s", params["qr_code_url"], tt.qr)
			}
			b64, ok := strings.CutPrefix(params["qr_code"], "data:image/png;base64,")
			if !ok {
				t.Fatalf("qr_code = %.40q, want a PNG data URI", params["qr_code"])
			}
			pngBytes, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(pngBytes))
			if err != nil {
				t.Fatalf("qr_code is not a PNG: %v", err)
			}
			checkQRImage(t, img, params["qr_code_url"])
			if got, want := params["signature"], signParams(testKey, params); got != want {
				t.Errorf("data.signature = %s, want %s", got, want)
			}
			// The nonce is single use.
			if _, m2 := getJSON(t, srv.Client(), u); code(m2) != "207" {
				t.Errorf("second GET: %v, want code 207", m2)
			}
		})
	}
	if _, m := getJSON(t, srv.Client(), srv.URL+"/v2/merchanthosted/gatewaydata/nope"); code(m) != "207" {
		t.Errorf("unknown nonce: %v, want code 207", m)
	}
	m := mustCreate(t, srv, "gw-upi", "upi_upop", nil)
	if _, m2 := getJSON(t, srv.Client(), srv.URL+"/v2/merchanthosted/gatewaydata/"+m["nonce"].(string)); code(m2) != "303" {
		t.Errorf("upi_upop QR data: %v, want code 303", m2)
	}
}

// checkQRImage: img is a 200×200 drawing of the QR symbol of text, with
// a four-module light quiet zone, each module a square of whole pixels:
// the centre pixel of every module is dark exactly where the symbol is.
func checkQRImage(t *testing.T, img image.Image, text string) {
	t.Helper()
	if b := img.Bounds(); b.Dx() != 200 || b.Dy() != 200 {
		t.Fatalf("qr_code is %v, want 200×200", b)
	}
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	n := code.Size + 8
	scale := 200 / n
	off := (200 - n*scale) / 2
	wrong := 0
	for y := range n {
		for x := range n {
			r, _, _, _ := img.At(off+x*scale+scale/2, off+y*scale+scale/2).RGBA()
			if dark := r < 0x8000; dark != code.Black(x-4, y-4) {
				wrong++
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d modules drawn wrong for %q", wrong, n*n, text)
	}
	// Nothing dark outside the symbol's area.
	for _, p := range []image.Point{{0, 0}, {199, 199}, {off + 2*scale, off + 2*scale}} {
		if r, _, _, _ := img.At(p.X, p.Y).RGBA(); r < 0x8000 {
			t.Errorf("pixel %v is dark, want the quiet zone light", p)
		}
	}
}
