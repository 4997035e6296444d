package latipay

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/latipay-hpp/hpp/payments"
)

// Gateway adapts the Client to the payments domain: it picks the wallet by
// currency and turns Latipay's errors into the domain's.
type Gateway struct {
	c       *Client
	wallets map[payments.Currency]string // currency -> wallet id, never empty
}

var _ payments.Gateway = (*Gateway)(nil)

// NewGateway returns a payments.Gateway over c. wallets maps a currency
// code (NZD, AUD, CNY) to the Latipay wallet id that holds it.
func NewGateway(c *Client, wallets map[string]string) (*Gateway, error) {
	if c == nil || len(wallets) == 0 {
		return nil, errors.New("latipay: NewGateway: a client and at least one wallet are required")
	}
	w := map[payments.Currency]string{}
	for cur, id := range wallets {
		pc, err := payments.ParseCurrency(cur)
		if err != nil || id == "" {
			return nil, fmt.Errorf("latipay: NewGateway: bad wallet for %q", cur)
		}
		w[pc] = id
	}
	return &Gateway{c: c, wallets: w}, nil
}

// productNameMax is the length plugins cut product_name to.
const productNameMax = 32

// Start creates the transaction and, for our own QR, fetches its QR data.
func (g *Gateway) Start(ctx context.Context, req payments.StartRequest) (payments.StartResult, error) {
	wallet, ok := g.wallets[req.Currency]
	if !ok {
		return payments.StartResult{}, &payments.GatewayError{Message: "no Latipay wallet is configured for " + string(req.Currency)}
	}
	name := req.Description
	if name == "" {
		name = "Order"
	}
	resp, err := g.c.CreateTransaction(ctx, CreateRequest{
		WalletID: wallet, Amount: payments.FormatAmount(req.Amount, req.Currency),
		PaymentMethod: string(req.Method), MerchantReference: req.Reference,
		ReturnURL: req.ReturnURL, CallbackURL: req.CallbackURL, BackPageURL: req.BackURL,
		IP: req.ClientIP, ProductName: truncateRunes(name, productNameMax),
		PresentQR: req.PresentQR, MerchantHosted: !req.Hosted,
	})
	if err != nil {
		return payments.StartResult{}, domainError(err)
	}
	if req.Hosted {
		return payments.StartResult{RedirectURL: resp.PayURL()}, nil
	}
	qr, err := g.c.GatewayData(ctx, resp)
	if err != nil {
		return payments.StartResult{}, domainError(err)
	}
	return payments.StartResult{OrderID: qr.OrderID, QRCodeURL: qr.QRCodeURL,
		AmountCNY: qr.AmountCNY, CurrencyRate: qr.CurrencyRate}, nil
}

// Query asks Latipay for one attempt's verified state.
func (g *Gateway) Query(ctx context.Context, reference string) (payments.GatewayResult, error) {
	r, err := g.c.Query(ctx, reference, false)
	if err != nil {
		return payments.GatewayResult{}, domainError(err)
	}
	return result(r), nil
}

// Cancel cancels an unpaid attempt.
func (g *Gateway) Cancel(ctx context.Context, reference string) error {
	return domainError(g.c.Cancel(ctx, reference))
}

// Refund returns part or all of a paid attempt. note is the refund's own
// id, sent as the refund's reference: Latipay answers a repeat of the same
// order, reference and amount with code 562 "refund request already done",
// which for a note used by one refund only means this refund was made on
// an earlier try whose answer was lost, so it is success. Any other code
// is Latipay refusing the refund: a *payments.RefundError, with the code
// explained in words a merchant can act on.
func (g *Gateway) Refund(ctx context.Context, orderID string, amount int64, c payments.Currency, note string) error {
	err := g.c.Refund(ctx, orderID, payments.FormatAmount(amount, c), note)
	var api *APIError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &api) && api.Code == 562:
		return nil
	case errors.As(err, &api):
		return refundError(api.Code, api.Message)
	}
	return domainError(err)
}

// refundCodeText explains Latipay's refund codes (package doc, Error codes) to a merchant.
var refundCodeText = map[int]string{
	550: "the refund's parameters are wrong",
	551: "Latipay has no such order",
	556: "Latipay could not create the refund: the order is not paid there, or the amount exceeds what is left to refund",
	558: "the refund order does not exist at Latipay",
	559: "the Latipay wallet holds too little to pay this refund",
	562: "Latipay has already done this refund",
}

// refundError is Latipay's refusal of a refund as the domain shows it:
// "code 556: Latipay could not create the refund: ...". Codes outside the
// refund list keep Latipay's own (sanitised) message or its documented
// text.
func refundError(code int, msg string) *payments.RefundError {
	if t, ok := refundCodeText[code]; ok {
		msg = t
	} else if msg == "" {
		msg = CodeText(code)
	}
	if msg == "" {
		msg = "no reason given"
	}
	return &payments.RefundError{Code: code, Message: "code " + strconv.Itoa(code) + ": " + msg}
}

// VerifyNotification checks a callback's POST form.
func (g *Gateway) VerifyNotification(form url.Values) (payments.GatewayResult, error) {
	r, err := g.c.VerifyNotification(form)
	if err != nil {
		return payments.GatewayResult{}, domainError(err)
	}
	return result(r), nil
}

// VerifyReturn checks the browser's return redirect.
func (g *Gateway) VerifyReturn(q url.Values) (payments.GatewayResult, error) {
	r, err := g.c.VerifyReturn(q)
	if err != nil {
		return payments.GatewayResult{}, domainError(err)
	}
	return result(r), nil
}

func result(r Result) payments.GatewayResult {
	return payments.GatewayResult{Reference: r.MerchantReference, Method: r.PaymentMethod, Status: r.Status,
		Currency: r.Currency, Amount: r.Amount, OrderID: r.OrderID, PayTime: r.PayTime,
		PaidAt: PayTimeAt(r.PayTime), AmountCNY: r.AmountCNY, Rate: r.Rate}
}

// payTimeZone is the zone pay_time is read in. Latipay does not name it;
// its answers and order ids follow China Standard Time (UTC+8, no
// daylight saving). The one place to change if Latipay says otherwise.
var payTimeZone = time.FixedZone("UTC+8", 8*60*60)

// PayTimeAt reads pay_time ("YYYY-MM-DD HH:MM:SS", payTimeZone) as an
// instant in UTC; zero when s is empty or not such a time.
func PayTimeAt(s string) time.Time {
	t, err := time.ParseInLocation(time.DateTime, s, payTimeZone)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// domainError maps the client's errors onto the domain's, keeping the
// original in the chain for logs.
func domainError(err error) error {
	if err == nil {
		return nil
	}
	var api *APIError
	switch {
	case errors.Is(err, ErrOrderNotExist):
		return fmt.Errorf("%w: %w", payments.ErrUnknownAtGateway, err)
	case errors.Is(err, ErrAlreadyPaid):
		return fmt.Errorf("%w: %w", payments.ErrCompletedAtGateway, err)
	case errors.Is(err, ErrAlreadyFailed) && errors.As(err, &api):
		return fmt.Errorf("%w: %w", payments.ErrFailedAtGateway, &payments.GatewayError{Code: api.Code, Message: api.Message})
	case errors.As(err, &api):
		return &payments.GatewayError{Code: api.Code, Message: api.Message}
	case errors.Is(err, ErrBadSignature):
		return fmt.Errorf("%w: %w", payments.ErrBadSignature, err)
	case errors.Is(err, ErrMalformed):
		return fmt.Errorf("%w: %w", payments.ErrMalformed, err)
	case errors.Is(err, ErrInvalidRequest):
		return fmt.Errorf("%w: %w", payments.ErrInvalid, err)
	}
	if errors.Is(err, ErrNotSent) {
		return fmt.Errorf("%w: %w: %w", payments.ErrGatewayUnavailable, payments.ErrGatewayNotReached, err)
	}
	return fmt.Errorf("%w: %w", payments.ErrGatewayUnavailable, err)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// FormActionOrigins lists the origins a checkout form's redirect may lead
// to when the shopper is sent to Latipay's hosted page: the API's own
// origin (where host_url points in sandbox and staging) and Latipay's pay
// host. Browsers apply CSP form-action to such redirects.
func FormActionOrigins(baseURL string) []string {
	out := []string{"https://pay.latipay.net"}
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		if o := u.Scheme + "://" + u.Host; o != out[0] {
			out = append(out, o)
		}
	}
	return out
}

// Barcode charges a shopper's pay code: Latipay's barcode call, in the
// wallet of the payment's currency. Latipay's refusals become a
// *payments.GatewayError whose message says in plain words what happened
// and what the cashier can do (barcodeCodeText).
func (g *Gateway) Barcode(ctx context.Context, req payments.BarcodeRequest) (string, error) {
	wallet, ok := g.wallets[req.Currency]
	if !ok {
		return "", &payments.GatewayError{Message: "no Latipay wallet is configured for " + string(req.Currency)}
	}
	orderID, err := g.c.Barcode(ctx, BarcodeRequest{WalletID: wallet,
		Amount: payments.FormatAmount(req.Amount, req.Currency), MerchantReference: req.Reference,
		PayCode: req.PayCode})
	var api *APIError
	if errors.As(err, &api) {
		return "", barcodeError(api.Code, api.Message)
	}
	return orderID, domainError(err)
}

// barcodeCodeText explains the codes Latipay may answer a barcode call
// with, for the cashier; barcodeCodeReason is the same as a kind the
// pages word in the reader's language.
var barcodeCodeText = map[int]string{
	1:   "Latipay could not charge the pay code; ask the shopper for a fresh one",
	207: "Latipay refused the pay code (it has expired or was used already); ask the shopper to refresh it",
	303: "this wallet cannot be charged by a pay code",
	304: "the Latipay wallet does not take this payment method",
	454: "the amount is over the merchant's single-payment limit at Latipay",
}

var barcodeCodeReason = map[int]string{
	1:   payments.ReasonPayCodeUnusable,
	207: payments.ReasonPayCodeUsed,
	303: payments.ReasonNoPayCodes,
	304: payments.ReasonMethodNotTaken,
	454: payments.ReasonOverLimit,
}

// barcodeError is Latipay's refusal of a barcode call as the domain shows
// it: "code 207: Latipay refused the pay code (...)". Other codes keep
// Latipay's own (sanitised) message or its documented text.
func barcodeError(code int, msg string) *payments.GatewayError {
	if t, ok := barcodeCodeText[code]; ok {
		msg = t
	} else if msg == "" {
		msg = CodeText(code)
	}
	if msg == "" {
		msg = "no reason given"
	}
	return &payments.GatewayError{Code: code, Message: "code " + strconv.Itoa(code) + ": " + msg, Reason: barcodeCodeReason[code]}
}
