package latipaysim

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestCreateSuccess(t *testing.T) {
	sim, srv := newTestSim(t, nil)
	m := mustCreate(t, srv, "order-1_a", "alipay", nil)
	if got, want := m["message"], "SUCCESS"; got != want {
		t.Errorf("message = %v, want %v", got, want)
	}
	if got, want := m["messageCN"], "操作成功"; got != want {
		t.Errorf("messageCN = %v, want %v", got, want)
	}
	hostURL, nonce := m["host_url"].(string), m["nonce"].(string)
	if want := srv.URL + "/pay"; hostURL != want {
		t.Errorf("host_url = %q, want %q", hostURL, want)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(nonce) {
		t.Errorf("nonce = %q, want 64 hex chars", nonce)
	}
	if got, want := m["signature"], hmacHex(testKey, nonce+hostURL); got != want {
		t.Errorf("signature = %v, want %v", got, want)
	}
	tx, ok := sim.Transaction("order-1_a")
	if !ok {
		t.Fatal("transaction not in ledger")
	}
	if tx.Status != "pending" || tx.Amount != "12.50" || tx.Currency != "NZD" || tx.Refunded != "0.00" {
		t.Errorf("ledger entry = %+v", tx)
	}
	if !regexp.MustCompile(`^20260301\d{8}$`).MatchString(tx.OrderID) {
		t.Errorf("order id = %q, want YYYYMMDD + 8 digits", tx.OrderID)
	}
}

func TestCreateMerchantHosted(t *testing.T) {
	_, srv := newTestSim(t, nil)
	m := mustCreate(t, srv, "mh-1", "wechat", func(p map[string]string) {
		p["host_type"] = "1"
		delete(p, "return_url")
	})
	if got, want := m["host_url"], srv.URL+"/v2/merchanthosted/gatewaydata"; got != want {
		t.Errorf("host_url = %v, want %v", got, want)
	}
}

func TestCreateAcceptsVariants(t *testing.T) {
	_, srv := newTestSim(t, nil)
	tests := map[string]func(map[string]string){
		"method case-insensitive": func(p map[string]string) { p["payment_method"] = "WeChat" },
		"empty return_url in host_type 1": func(p map[string]string) {
			p["host_type"], p["return_url"] = "1", ""
		},
		"upper-case signature": func(p map[string]string) {
			p["signature"] = strings.ToUpper(signParams(testKey, p))
		},
		"legacy signature": func(p map[string]string) {
			p["signature"] = hmacHex(testKey, p["user_id"]+p["wallet_id"]+p["amount"]+
				p["payment_method"]+p["return_url"]+p["callback_url"])
		},
		"extra field signed":  func(p map[string]string) { p["present_qr"] = "1" },
		"backPage_url signed": func(p map[string]string) { p["backPage_url"] = "https://shop.example/back" },
		"CNY wallet":          func(p map[string]string) { p["wallet_id"] = testCNY },
	}
	i := 0
	for name, edit := range tests {
		i++
		ref := "variant-" + string(rune('a'+i))
		_, m := postJSON(t, srv.Client(), srv.URL+"/v2/transaction", createParams(ref, "wechat", edit))
		if code(m) != "0" {
			t.Errorf("%s: answer %v, want code 0", name, m)
		}
	}
}

func TestCreateErrors(t *testing.T) {
	_, srv := newTestSim(t, nil)
	mustCreate(t, srv, "dup", "alipay", nil)
	tests := []struct {
		name string
		edit func(map[string]string)
		want string
	}{
		{"missing amount", func(p map[string]string) { delete(p, "amount") }, "204"},
		{"empty ip", func(p map[string]string) { p["ip"] = "" }, "204"},
		{"missing return_url", func(p map[string]string) { delete(p, "return_url") }, "204"},
		{"missing signature", func(p map[string]string) { p["signature"] = "" }, "204"},
		{"unknown user", func(p map[string]string) { p["user_id"] = "U404" }, "205"},
		{"bad signature", func(p map[string]string) { p["signature"] = hmacHex("nope", "x") }, "206"},
		{"signature over other amount", func(p map[string]string) {
			p["signature"] = signParams(testKey, p)
			p["amount"] = "13.50"
		}, "206"},
		{"other user's wallet", func(p map[string]string) { p["wallet_id"] = otherWallet }, "450"},
		{"version", func(p map[string]string) { p["version"] = "1.0" }, "207"},
		{"amount no decimals", func(p map[string]string) { p["amount"] = "12" }, "207"},
		{"amount zero", func(p map[string]string) { p["amount"] = "0.00" }, "207"},
		{"amount negative", func(p map[string]string) { p["amount"] = "-1.00" }, "207"},
		{"amount exponent", func(p map[string]string) { p["amount"] = "1e2" }, "207"},
		{"callback not http", func(p map[string]string) { p["callback_url"] = "javascript:alert(1)" }, "207"},
		{"method not enabled", func(p map[string]string) { p["payment_method"] = "polipay" }, "304"},
		{"host_type 1 unionpay", func(p map[string]string) {
			p["host_type"], p["payment_method"] = "1", "upi_upop"
		}, "303"},
		{"duplicate reference", func(p map[string]string) { p["merchant_reference"] = "dup" }, "207"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := createParams("err-"+string(rune('a'+i)), "alipay", func(p map[string]string) {
				tt.edit(p)
				if _, ok := p["signature"]; !ok && p["user_id"] == testUser {
					p["signature"] = signParams(testKey, p)
				}
			})
			status, m := postJSON(t, srv.Client(), srv.URL+"/v2/transaction", p)
			if status != http.StatusOK || code(m) != tt.want {
				t.Errorf("answer HTTP %d %v, want HTTP 200 code %s", status, m, tt.want)
			}
			if m["message"] == "" || m["host_url"] != nil {
				t.Errorf("error answer %v: want a message and no host_url", m)
			}
		})
	}
}

func TestCreateBadBodies(t *testing.T) {
	_, srv := newTestSim(t, nil)
	for name, body := range map[string]string{
		"not json":    "user_id=U1",
		"array":       "[1,2]",
		"bool field":  `{"user_id":true}`,
		"object":      `{"user_id":{"a":1}}`,
		"too large":   `{"product_name":"` + strings.Repeat("x", 70<<10) + `"}`,
		"empty":       "",
		"truncated":   `{"user_id":"U000000001"`,
		"null fields": `{"user_id":null}`,
	} {
		resp, err := srv.Client().Post(srv.URL+"/v2/transaction", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_, m := decodeResp(t, resp)
		if c := code(m); c != "207" && c != "204" {
			t.Errorf("%s: code %s, want 207 or 204", name, c)
		}
	}
}
