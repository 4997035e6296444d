package latipay

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
)

// BarcodeRequest is a barcode call (package doc, Endpoints): charge the
// pay code a shopper shows at the counter.
type BarcodeRequest struct {
	WalletID          string // required; fixes the currency
	Amount            string // required; positive, exactly two decimals
	MerchantReference string // required; [0-9A-Za-z_-]{1,64}, fresh per attempt
	PayCode           string // required; the digits scanned (payCodeRE)
}

// payCodeRE is the grammar of a pay code the client sends: WeChat Pay's 18
// digits or Alipay's 16 to 24 (the domain checks which wallet's).
var payCodeRE = regexp.MustCompile(`^[0-9]{16,24}$`)

// Barcode calls POST {base}/barcode and returns Latipay's order id for
// the new transaction. Its answer is unsigned, so it is believed only as
// the answer to our own request over our own connection: code 0 with an
// order id of the usual grammar; anything else is ErrMalformed. A nil
// error says only that Latipay took the order: whether the shopper paid
// comes from Query. A refusal is an *APIError. The pay code never appears
// in an error. The default deadline is 15 s.
func (c *Client) Barcode(ctx context.Context, req BarcodeRequest) (orderID string, err error) {
	const op = "barcode"
	params, err := c.barcodeParams(req)
	if err != nil {
		return "", err
	}
	b, err := c.call(ctx, op, c.timeout.create, http.MethodPost, c.endpoint("/barcode"), params)
	if err != nil {
		return "", err
	}
	obj, hasCode, err := c.parseResponse(op, b)
	var api *APIError
	if errors.As(err, &api) { // in case Latipay's message repeats the code
		api.Message = strings.ReplaceAll(api.Message, req.PayCode, "[pay code]")
	}
	if err != nil {
		return "", err
	}
	if !hasCode {
		return "", errorf(op, ErrMalformed, "no code")
	}
	f, err := obj.strings(op, "order_id")
	if err != nil {
		return "", err
	}
	if !orderIDRE.MatchString(f[0]) {
		return "", errorf(op, ErrMalformed, "order_id")
	}
	return f[0], nil
}

// barcodeParams validates r and returns the signed JSON fields: user_id,
// wallet_id, amount, merchant_reference, pay_code and the sorted-parameters
// signature over them. merchant_reference is always sent and signed: the
// documentation's field table requires it, though its worked example (V7)
// leaves it out.
func (c *Client) barcodeParams(r BarcodeRequest) (map[string]string, error) {
	bad := func(field string) error { return errorf("barcode", ErrInvalidRequest, field) }
	switch {
	case r.WalletID == "" || !cleanText(r.WalletID):
		return nil, bad("wallet_id")
	case !validSendAmount(r.Amount):
		return nil, bad("amount")
	case !validRef(r.MerchantReference):
		return nil, bad("merchant_reference")
	case !payCodeRE.MatchString(r.PayCode):
		return nil, bad("pay_code")
	}
	p := map[string]string{
		"user_id":            c.userID,
		"wallet_id":          r.WalletID,
		"amount":             r.Amount,
		"merchant_reference": r.MerchantReference,
		"pay_code":           r.PayCode,
	}
	p["signature"] = c.key.signParams(p)
	return p, nil
}
