package latipay

import (
	"context"
	"net/http"
	"strings"
)

// QRData is verified merchant-hosted QR data. Numeric fields keep
// the literal text Latipay sent (e.g. Amount "0.02", AmountCNY "0.09").
type QRData struct {
	OrderID           string
	Nonce             string // equals the CreateResponse nonce
	PaymentMethod     string
	Amount            string
	AmountCNY         string
	Currency          string
	ProductName       string
	QRCode            string // PNG data URI, may be empty
	QRCodeURL         string // weixin://wxpay/… or https://qr.alipay.com/…
	CurrencyRate      string
	MerchantReference string
}

// qrPrefixes are the only QR payloads we render: anything else could send
// the shopper's wallet app somewhere we do not know.
var qrPrefixes = []string{"weixin://wxpay/", "https://qr.alipay.com/"}

// GatewayData fetches GET {host_url}/{nonce} for a transaction created with
// MerchantHosted and verifies the data signature (the QR-data signature: sorted-parameter
// rule over every non-empty data field except signature, numbers as their
// literal JSON text). r is re-checked against the host allow-list, so a
// stored or forged CreateResponse cannot make the client fetch an
// arbitrary URL. The default deadline is 15 s.
func (c *Client) GatewayData(ctx context.Context, r CreateResponse) (QRData, error) {
	const op = "gateway data"
	if err := c.checkCreateResponse(op, r); err != nil {
		return QRData{}, err
	}
	b, err := c.call(ctx, op, c.timeout.data, http.MethodGet, r.PayURL(), nil)
	if err != nil {
		return QRData{}, err
	}
	return c.decodeGatewayData(b, r.Nonce)
}

func (c *Client) decodeGatewayData(b []byte, nonce string) (QRData, error) {
	const op = "gateway data"
	obj, _, err := c.parseResponse(op, b)
	if err != nil {
		return QRData{}, err
	}
	raw, ok := obj["data"]
	if !ok {
		return QRData{}, errorf(op, ErrMalformed, "no data object")
	}
	data, err := decodeObject(raw)
	if err != nil {
		return QRData{}, errorf(op, ErrMalformed, "data: "+err.Error())
	}
	params := make(map[string]string, len(data))
	for k := range data {
		v, err := data.text(k)
		if err != nil {
			return QRData{}, errorf(op, ErrMalformed, k+": "+err.Error())
		}
		params[k] = v
	}
	if err := c.key.verifyParams(params, params["signature"]); err != nil {
		return QRData{}, errorf(op, ErrBadSignature, "qr data")
	}
	q := QRData{
		OrderID: params["order_id"], Nonce: params["nonce"], PaymentMethod: params["payment_method"],
		Amount: params["amount"], AmountCNY: params["amount_cny"], Currency: params["currency"],
		ProductName: params["product_name"], QRCode: params["qr_code"], QRCodeURL: params["qr_code_url"],
		CurrencyRate: params["currency_rate"], MerchantReference: params["merchant_reference"],
	}
	switch {
	case q.Nonce != nonce:
		return QRData{}, errorf(op, ErrBadSignature, "data is for another nonce")
	case !validQRURL(q.QRCodeURL):
		return QRData{}, errorf(op, ErrMalformed, "qr_code_url")
	case q.QRCode != "" && !strings.HasPrefix(q.QRCode, "data:image/"):
		return QRData{}, errorf(op, ErrMalformed, "qr_code")
	case !validRef(q.MerchantReference) || !knownMethod[q.PaymentMethod] ||
		!currencyRE.MatchString(q.Currency) || !validAmount(q.Amount):
		return QRData{}, errorf(op, ErrMalformed, "data fields")
	}
	return q, nil
}

func validQRURL(s string) bool {
	if !cleanText(s) || strings.ContainsAny(s, " <>\"'`\\") {
		return false
	}
	for _, p := range qrPrefixes {
		if strings.HasPrefix(s, p) && len(s) > len(p) {
			return true
		}
	}
	return false
}
