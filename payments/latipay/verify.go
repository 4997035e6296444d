package latipay

import "net/url"

// Result is a verified transaction outcome from a notification, a return
// redirect or a query response. The first five fields are covered by the
// signature and pass the strict field grammar; the rest are not signed
// and must be stored as unverified, never decided on.
type Result struct {
	MerchantReference string            // signed
	PaymentMethod     string            // signed; documented spelling, e.g. "alipay"
	Status            string            // signed; pending, paid, failed, canceled, rejected or cancel_or_fail
	Currency          string            // signed; three upper-case letters
	Amount            string            // signed; literal text as received, e.g. "120.00" or "0.1"
	OrderID           string            // unsigned: Latipay's transaction id
	PayTime           string            // unsigned: "YYYY-MM-DD HH:MM:SS", zone undocumented
	AmountCNY         string            // unsigned
	Rate              string            // unsigned
	Extra             map[string]string // unsigned other fields; nil when there are none
}

// signedKeys are the fields the result signature covers, plus the
// signature itself; namedKeys are the unsigned fields Result names.
var (
	signedKeys = []string{"merchant_reference", "payment_method", "status", "currency", "amount", "signature"}
	namedKeys  = map[string]bool{
		"merchant_reference": true, "payment_method": true, "status": true, "currency": true,
		"amount": true, "signature": true, "order_id": true, "pay_time": true,
		"amount_cny": true, "rate": true,
	}
)

// VerifyNotification verifies an asynchronous notification (package latipay, Notifications and return redirects). Pass the
// POST body only (r.PostForm after http.MaxBytesReader), never r.Form,
// which merges the query string. A key sent more than once, an empty key,
// a key or value with a NUL or other control character or invalid UTF-8,
// a key over 64 or a value over 256 bytes, more than 32 fields, an
// order_id outside its grammar, the redirect-only status cancel_or_fail,
// a missing or empty signed field, or a field outside the grammar yields
// ErrMalformed;
// a wrong signature yields ErrBadSignature. A nil error means the five
// signed fields are authentic; whether the status and amount make sense
// for the order is the caller's decision.
func (c *Client) VerifyNotification(form url.Values) (Result, error) {
	return c.verifyValues("notification", form)
}

// VerifyReturn verifies the query of the browser's return redirect (package doc, Notifications and return redirects),
// whose status may also be cancel_or_fail; the field rules are those of
// VerifyNotification otherwise. The redirect passes through the
// shopper's browser, so even a verified result may be a replay: use it
// only to trigger a Query, never to mark a payment paid.
func (c *Client) VerifyReturn(q url.Values) (Result, error) {
	return c.verifyValues("return", q)
}

// Limits on a notification's or redirect's fields. Latipay's longest
// documented value is a 64-character reference; the caps leave room for
// undocumented extras while refusing what no Latipay message holds.
const (
	maxKeyLen   = 64
	maxValueLen = 256
	maxFields   = 32
)

func (c *Client) verifyValues(op string, v url.Values) (Result, error) {
	if len(v) > maxFields {
		return Result{}, errorf(op, ErrMalformed, "too many fields")
	}
	for k, vs := range v {
		switch {
		case k == "":
			return Result{}, errorf(op, ErrMalformed, "empty key")
		case len(vs) != 1:
			return Result{}, errorf(op, ErrMalformed, "duplicate or empty key "+quoteKey(k))
		case len(k) > maxKeyLen || !cleanText(k):
			return Result{}, errorf(op, ErrMalformed, "key "+quoteKey(k))
		case len(vs[0]) > maxValueLen || !cleanText(vs[0]):
			return Result{}, errorf(op, ErrMalformed, "value of "+quoteKey(k))
		}
	}
	if op == "notification" && v.Get("status") == "cancel_or_fail" {
		// Only the browser's return redirect carries this status (package doc, Statuses): in
		// a callback it is a shopper replaying the redirect's signature.
		return Result{}, errorf(op, ErrMalformed, "status cancel_or_fail is for return redirects only")
	}
	if id := v.Get("order_id"); id != "" && !orderIDRE.MatchString(id) {
		return Result{}, errorf(op, ErrMalformed, "order_id")
	}
	get := func(k string) string { return v.Get(k) }
	r := Result{
		MerchantReference: get("merchant_reference"),
		PaymentMethod:     get("payment_method"),
		Status:            get("status"),
		Currency:          get("currency"),
		Amount:            get("amount"),
		OrderID:           get("order_id"),
		PayTime:           get("pay_time"),
		AmountCNY:         get("amount_cny"),
		Rate:              get("rate"),
	}
	for k := range v {
		if !namedKeys[k] {
			if r.Extra == nil {
				r.Extra = map[string]string{}
			}
			r.Extra[k] = get(k)
		}
	}
	if err := c.verifyResult(op, r, get("signature")); err != nil {
		return Result{}, err
	}
	return r, nil
}

// verifyResult applies the field grammar, then the result signature.
func (c *Client) verifyResult(op string, r Result, signature string) error {
	if f := checkResult(r.MerchantReference, r.PaymentMethod, r.Status, r.Currency, r.Amount); f != "" {
		return errorf(op, ErrMalformed, f)
	}
	if err := c.key.verify(signature, r.MerchantReference, r.PaymentMethod, r.Status, r.Currency, r.Amount); err != nil {
		return errorf(op, ErrBadSignature, "result")
	}
	return nil
}

// quoteKey shortens an attacker-supplied key for an error message.
func quoteKey(k string) string {
	if len(k) > 32 {
		k = k[:32]
	}
	return url.QueryEscape(k)
}
