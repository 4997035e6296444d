package latipay

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// CreateRequest is a create-transaction call (package doc, Endpoints). Empty optional fields
// are omitted from both the JSON body and the signature.
type CreateRequest struct {
	WalletID          string // required; fixes the currency
	Amount            string // required; positive, exactly two decimals, e.g. "12.50"
	PaymentMethod     string // required; documented spelling, e.g. "alipay", "wechat", "upi_upop"
	MerchantReference string // required; [0-9A-Za-z_-]{1,64}, fresh per attempt
	ReturnURL         string // optional absolute http(s) URL for the browser
	CallbackURL       string // required absolute http(s) URL for notifications
	BackPageURL       string // optional; sent as backPage_url
	IP                string // shopper IPv4; anything else is sent as 127.0.0.1
	ProductName       string // required; valid UTF-8, no control characters
	PresentQR         bool   // sends present_qr "1" (WeChat QR on a PC)
	MerchantHosted    bool   // sends host_type "1" (QR data for GatewayData)
}

// CreateResponse is a verified create-transaction answer.
type CreateResponse struct {
	HostURL string // verified and on the allow-list
	Nonce   string // single use: never store it for later
}

// PayURL returns the payment page, HostURL + "/" + Nonce (a trailing slash
// on HostURL is not doubled).
func (r CreateResponse) PayURL() string {
	return strings.TrimSuffix(r.HostURL, "/") + "/" + r.Nonce
}

// CreateTransaction calls POST {base}/v2/transaction and returns the
// response only after checking its signature (the create-response signature), the host_url
// allow-list and the nonce grammar. The default deadline is 15 s.
func (c *Client) CreateTransaction(ctx context.Context, req CreateRequest) (CreateResponse, error) {
	params, err := c.createParams(req)
	if err != nil {
		return CreateResponse{}, err
	}
	b, err := c.call(ctx, "create", c.timeout.create, http.MethodPost, c.endpoint("/v2/transaction"), params)
	if err != nil {
		return CreateResponse{}, err
	}
	return c.decodeCreateResponse(b)
}

func (c *Client) createParams(r CreateRequest) (map[string]string, error) {
	bad := func(field string) error { return errorf("create", ErrInvalidRequest, field) }
	switch {
	case r.WalletID == "" || !cleanText(r.WalletID):
		return nil, bad("wallet_id")
	case !validSendAmount(r.Amount):
		return nil, bad("amount")
	case !knownMethod[r.PaymentMethod]:
		return nil, bad("payment_method")
	case !validRef(r.MerchantReference):
		return nil, bad("merchant_reference")
	case r.ReturnURL != "" && !validURL(r.ReturnURL):
		return nil, bad("return_url")
	case !validURL(r.CallbackURL):
		return nil, bad("callback_url")
	case r.BackPageURL != "" && !validURL(r.BackPageURL):
		return nil, bad("backPage_url")
	case r.ProductName == "" || !cleanText(r.ProductName):
		return nil, bad("product_name")
	}
	p := map[string]string{
		"user_id":            c.userID,
		"wallet_id":          r.WalletID,
		"amount":             r.Amount,
		"payment_method":     r.PaymentMethod,
		"merchant_reference": r.MerchantReference,
		"return_url":         r.ReturnURL,
		"callback_url":       r.CallbackURL,
		"backPage_url":       r.BackPageURL,
		"ip":                 ipv4(r.IP),
		"version":            "2.0",
		"product_name":       r.ProductName,
	}
	if r.PresentQR {
		p["present_qr"] = "1"
	}
	if r.MerchantHosted {
		p["host_type"] = "1"
	}
	for k, v := range p {
		if v == "" {
			delete(p, k) // omitted from JSON as well as from the signature
		}
	}
	p["signature"] = c.key.signParams(p)
	return p, nil
}

// validURL reports whether s is an absolute http(s) URL with a host and
// only clean characters.
func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && cleanText(s) && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// decodeCreateResponse verifies a create response body.
func (c *Client) decodeCreateResponse(b []byte) (CreateResponse, error) {
	const op = "create"
	obj, _, err := c.parseResponse(op, b)
	if err != nil {
		return CreateResponse{}, err
	}
	f, err := obj.strings(op, "host_url", "nonce", "signature")
	if err != nil {
		return CreateResponse{}, err
	}
	r := CreateResponse{HostURL: f[0], Nonce: f[1]}
	if err := c.checkCreateResponse(op, r); err != nil {
		return CreateResponse{}, err
	}
	if err := c.key.verify(f[2], r.Nonce, r.HostURL); err != nil {
		return CreateResponse{}, errorf(op, ErrBadSignature, "create response")
	}
	return r, nil
}

// checkCreateResponse applies the nonce grammar and the host allow-list:
// https to an allowed host, or BaseURL's own scheme and host (the
// simulator). host_url must carry no user info, query or fragment, since
// PayURL appends the nonce to it.
func (c *Client) checkCreateResponse(op string, r CreateResponse) error {
	if !nonceRE.MatchString(r.Nonce) {
		return errorf(op, ErrMalformed, "nonce")
	}
	u, err := url.Parse(r.HostURL)
	if err != nil || !cleanText(r.HostURL) || strings.ContainsAny(r.HostURL, " \\") ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" ||
		strings.HasSuffix(r.HostURL, "?") || strings.HasSuffix(r.HostURL, "#") {
		return errorf(op, ErrMalformed, "host_url")
	}
	host := strings.ToLower(u.Host)
	sameAsBase := u.Scheme == c.base.Scheme && host == strings.ToLower(c.base.Host)
	if !sameAsBase && !(u.Scheme == "https" && c.allowed[host]) {
		return errorf(op, ErrMalformed, "host_url not allowed")
	}
	return nil
}
