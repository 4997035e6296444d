package latipay

import (
	"context"
	"net/http"
	"time"
)

// Refund calls POST {base}/refund (not under /v2; package doc, Endpoints) for Latipay's
// orderID, refunding refundAmount (positive, exactly two decimals, at most
// the order amount). note is sent as the free-text "reference" and is
// omitted when empty. A nil error means Latipay answered code 0; refund
// failures come back as an *APIError (codes 550-562). The default
// deadline is 30 s.
func (c *Client) Refund(ctx context.Context, orderID, refundAmount, note string) error {
	const op = "refund"
	switch {
	case !orderIDRE.MatchString(orderID):
		return errorf(op, ErrInvalidRequest, "order_id")
	case !validSendAmount(refundAmount):
		return errorf(op, ErrInvalidRequest, "refund_amount")
	case !cleanText(note):
		return errorf(op, ErrInvalidRequest, "reference")
	}
	p := map[string]string{"user_id": c.userID, "order_id": orderID, "refund_amount": refundAmount}
	if note != "" {
		p["reference"] = note
	}
	return c.post(ctx, op, c.timeout.refund, "/refund", p)
}

// Cancel calls POST {base}/cancel for an unpaid transaction. It fails with
// an *APIError matching ErrAlreadyPaid (900) when the transaction already
// completed, ErrAlreadyFailed (901) when it already failed, and
// ErrOrderNotExist (201) when Latipay does not know it. After code 1,
// Latipay asks for at least 15 minutes before retrying. The default
// deadline is 15 s.
func (c *Client) Cancel(ctx context.Context, merchantReference string) error {
	const op = "cancel"
	if !validRef(merchantReference) {
		return errorf(op, ErrInvalidRequest, "merchant_reference")
	}
	p := map[string]string{"user_id": c.userID, "merchant_reference": merchantReference}
	return c.post(ctx, op, c.timeout.cancel, "/cancel", p)
}

// post signs p, sends it and requires an explicit code 0: these answers
// are unsigned, so a body without a code proves nothing.
func (c *Client) post(ctx context.Context, op string, d time.Duration, path string, p map[string]string) error {
	p["signature"] = c.key.signParams(p)
	b, err := c.call(ctx, op, d, http.MethodPost, c.endpoint(path), p)
	if err != nil {
		return err
	}
	_, hasCode, err := c.parseResponse(op, b)
	if err != nil {
		return err
	}
	if !hasCode {
		return errorf(op, ErrMalformed, "no code")
	}
	return nil
}
