package latipay

import (
	"context"
	"net/http"
	"net/url"
)

// Query calls GET {base}/v2/transaction/{ref}?user_id=…&signature=… and
// returns the verified result. The request is signed with Form A of the query request signature (package doc, Signatures)
// (sorted merchant_reference, user_id and, when block is true, is_block).
// The response signature (the result signature) is checked over amount's literal JSON text,
// and a response for any other reference is rejected with ErrBadSignature.
// An unknown reference fails with an *APIError matching ErrOrderNotExist.
//
// With block true Latipay holds the request until the status changes or
// 180 s pass. The default deadline is then 185 s (10 s otherwise), but the
// caller's context governs: cancel it to end the wait at shutdown. An
// http.Client with a Timeout below 185 s would cut long polls short.
func (c *Client) Query(ctx context.Context, merchantReference string, block bool) (Result, error) {
	const op = "query"
	if !validRef(merchantReference) {
		return Result{}, errorf(op, ErrInvalidRequest, "merchant_reference")
	}
	params := map[string]string{"merchant_reference": merchantReference, "user_id": c.userID}
	d := c.timeout.query
	if block {
		params["is_block"] = "1"
		d = c.timeout.longPoll
	}
	q := url.Values{}
	q.Set("user_id", c.userID)
	q.Set("signature", c.key.signParams(params))
	if block {
		q.Set("is_block", "1")
	}
	endpoint := c.endpoint("/v2/transaction/" + url.PathEscape(merchantReference) + "?" + q.Encode())
	b, err := c.call(ctx, op, d, http.MethodGet, endpoint, nil)
	if err != nil {
		return Result{}, err
	}
	return c.decodeQueryResponse(b, merchantReference)
}

// decodeQueryResponse verifies a query response body for reference ref.
func (c *Client) decodeQueryResponse(b []byte, ref string) (Result, error) {
	const op = "query"
	obj, _, err := c.parseResponse(op, b)
	if err != nil {
		return Result{}, err
	}
	f, err := obj.strings(op, signedKeys...)
	if err != nil {
		return Result{}, err
	}
	u, err := obj.strings(op, "order_id", "pay_time", "amount_cny", "rate")
	if err != nil {
		return Result{}, err
	}
	r := Result{
		MerchantReference: f[0], PaymentMethod: f[1], Status: f[2], Currency: f[3], Amount: f[4],
		OrderID: u[0], PayTime: u[1], AmountCNY: u[2], Rate: u[3],
	}
	for k, raw := range obj {
		if namedKeys[k] || k == "code" || k == "message" {
			continue
		}
		v, err := literal(raw)
		if err != nil {
			v = string(raw) // unsigned extra: keep nested JSON as text
		}
		if r.Extra == nil {
			r.Extra = map[string]string{}
		}
		r.Extra[k] = v
	}
	if err := c.verifyResult(op, r, f[5]); err != nil {
		return Result{}, err
	}
	if r.MerchantReference != ref {
		return Result{}, errorf(op, ErrBadSignature, "response is for another merchant_reference")
	}
	return r, nil
}
