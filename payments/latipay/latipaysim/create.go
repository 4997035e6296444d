package latipaysim

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// createResponse is the success body of POST /v2/transaction.
type createResponse struct {
	Code      int    `json:"code"`
	Message   string `json:"message"`
	MessageCN string `json:"messageCN"`
	HostURL   string `json:"host_url"`
	Nonce     string `json:"nonce"`
	Signature string `json:"signature"`
}

// handleCreate serves POST /v2/transaction.
//
//	204 a required field is missing or empty
//	205 unknown user_id
//	206 wrong signature (sorted-parameters, or the legacy create form)
//	450 wallet_id is not one of the user's wallets
//	207 version is not "2.0", bad amount, bad URL, or merchant_reference reused
//	304 payment_method not enabled for the merchant
//	303 host_type=1 with a method other than wechat or alipay
func (s *Simulator) handleCreate(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(w, r)
	if err != nil {
		writeCode(w, 207, "")
		return
	}
	required := []string{"user_id", "wallet_id", "amount", "payment_method", "merchant_reference",
		"callback_url", "ip", "version", "product_name", "signature"}
	if p["host_type"] != "1" {
		required = append(required, "return_url")
	}
	if missing(p, required...) != "" {
		writeCode(w, 204, "")
		return
	}
	m := s.merchants[p["user_id"]]
	if m == nil {
		writeCode(w, 205, "")
		return
	}
	if !validSignature(p["signature"], m.APIKey, sortedMessage(p)+m.APIKey) &&
		!validSignature(p["signature"], m.APIKey, legacyCreateMessage(p)) {
		writeCode(w, 206, "")
		return
	}
	currency, ok := m.Wallets[p["wallet_id"]]
	if !ok {
		writeCode(w, 450, "")
		return
	}
	if p["version"] != "2.0" {
		writeCode(w, 207, "version must be 2.0")
		return
	}
	cents, ok := parseAmount(p["amount"])
	if !ok || cents <= 0 {
		writeCode(w, 207, "amount is wrong")
		return
	}
	if !webURL(p["callback_url"]) || (p["return_url"] != "" && !webURL(p["return_url"])) {
		writeCode(w, 207, "url is wrong")
		return
	}
	method := strings.ToLower(p["payment_method"])
	if !slices.Contains(m.Methods, method) {
		writeCode(w, 304, "")
		return
	}
	if p["host_type"] == "1" && method != "wechat" && method != "alipay" {
		writeCode(w, 303, "")
		return
	}
	t := &txn{
		Transaction: Transaction{
			MerchantReference: p["merchant_reference"], UserID: m.UserID, WalletID: p["wallet_id"],
			Currency: currency, Amount: formatCents(cents), PaymentMethod: method,
			Status: statusPending, ProductName: p["product_name"], ReturnURL: p["return_url"],
			CallbackURL: p["callback_url"],
		},
		merchant: m, cents: cents, hostType: p["host_type"], refunds: map[string]bool{},
	}
	switch err := s.insert(r.Context(), t); {
	case errors.Is(err, errRefUsed):
		writeCode(w, 207, "merchant_reference already used")
		return
	case err != nil:
		s.ledgerFailed(w, err)
		return
	}
	hostURL := s.base + "/pay"
	if t.hostType == "1" {
		hostURL = s.base + "/v2/merchanthosted/gatewaydata"
	}
	writeJSON(w, http.StatusOK, createResponse{
		Message: "SUCCESS", MessageCN: "操作成功", HostURL: hostURL, Nonce: t.nonce,
		Signature: signCreateResponse(s.responseKey(m), t.nonce, hostURL),
	})
}

// insert assigns ids and a QR text to t and adds it to the ledger;
// errRefUsed means the merchant reference is taken.
func (s *Simulator) insert(ctx context.Context, t *txn) error {
	return s.add(ctx, t, func(t *txn, _ time.Time) error {
		var err error
		switch t.PaymentMethod {
		case "wechat":
			var pr string
			pr, err = s.randomText(7, alnum)
			t.qrURL = "weixin://wxpay/bizpayurl?pr=" + pr
		case "alipay":
			var code string
			code, err = s.randomText(20, "abcdefghijklmnopqrstuvwxyz0123456789")
			t.qrURL = "https://qr.alipay.com/bax0" + code
		}
		return err
	})
}

// legacyCreateMessage is the pre-image of the legacy create signature (package latipay, Signatures).
func legacyCreateMessage(p map[string]string) string {
	return p["user_id"] + p["wallet_id"] + p["amount"] + p["payment_method"] + p["return_url"] + p["callback_url"]
}

// webURL reports whether s is an absolute http or https URL with a host.
func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
