package latipaysim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"

	qrcode "github.com/skip2/go-qrcode"
)

// gatewayData is the data object of the merchant-hosted QR answer (§5.2).
// Amounts are json.Number so they are written with their 2 dp literal text.
type gatewayData struct {
	OrderID           string      `json:"order_id"`
	Nonce             string      `json:"nonce"`
	PaymentMethod     string      `json:"payment_method"`
	Amount            json.Number `json:"amount"`
	AmountCNY         json.Number `json:"amount_cny"`
	Currency          string      `json:"currency"`
	ProductName       string      `json:"product_name"`
	UserID            string      `json:"user_id"`
	WalletID          string      `json:"wallet_id"`
	QRCode            string      `json:"qr_code"`
	QRCodeURL         string      `json:"qr_code_url"`
	CurrencyRate      string      `json:"currency_rate"`
	MerchantReference string      `json:"merchant_reference"`
	Signature         string      `json:"signature"`
}

// params returns the fields of d as signed by §3.6: every field but the
// signature, numbers as their literal text.
func (d gatewayData) params() map[string]string {
	return map[string]string{
		"order_id": d.OrderID, "nonce": d.Nonce, "payment_method": d.PaymentMethod,
		"amount": string(d.Amount), "amount_cny": string(d.AmountCNY), "currency": d.Currency,
		"product_name": d.ProductName, "user_id": d.UserID, "wallet_id": d.WalletID,
		"qr_code": d.QRCode, "qr_code_url": d.QRCodeURL, "currency_rate": d.CurrencyRate,
		"merchant_reference": d.MerchantReference,
	}
}

// gatewayResponse is the body of a successful GET gatewaydata.
type gatewayResponse struct {
	Code    int         `json:"code"`
	Message string      `json:"message"`
	Data    gatewayData `json:"data"`
}

// handleGatewayData serves GET /v2/merchanthosted/gatewaydata/{nonce}. A
// nonce answers once (§4.3: single use): an unknown nonce is 207 "nonce is
// invalid", a second GET is 207 "nonce already used".
func (s *Simulator) handleGatewayData(w http.ResponseWriter, r *http.Request) {
	nonce := r.PathValue("nonce")
	s.mu.Lock()
	t, ok := s.st.byNonce[nonce]
	var used bool
	var snap Transaction
	var cents int64
	var qrURL string
	if ok {
		used, t.dataUsed = t.dataUsed, true
		snap, cents, qrURL = t.snapshot(), t.cents, t.qrURL
	}
	s.mu.Unlock()
	switch {
	case !ok:
		writeCode(w, 207, "nonce is invalid")
		return
	case used:
		writeCode(w, 207, "nonce already used")
		return
	case qrURL == "":
		writeCode(w, 303, "")
		return
	}
	png, err := qrcode.Encode(qrURL, qrcode.Medium, 200)
	if err != nil {
		writeCode(w, 1, "")
		return
	}
	d := gatewayData{
		OrderID: snap.OrderID, Nonce: nonce, PaymentMethod: snap.PaymentMethod,
		Amount: json.Number(snap.Amount), AmountCNY: json.Number(s.amountCNY(cents, snap.Currency)),
		Currency: snap.Currency, ProductName: snap.ProductName, UserID: snap.UserID,
		WalletID: snap.WalletID, QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png),
		QRCodeURL: qrURL, CurrencyRate: s.cnyRate(snap.Currency), MerchantReference: snap.MerchantReference,
	}
	d.Signature = signSorted(s.responseKey(s.merchants[snap.UserID]), d.params())
	writeJSON(w, http.StatusOK, gatewayResponse{Message: "SUCCESS", Data: d})
}
