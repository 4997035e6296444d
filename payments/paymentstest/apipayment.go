package paymentstest

// APIPayment is a payment as a merchant's client reads it from the API
// (GET /api/v1/payments/ID and the list), written out independently of
// the handlers' own type so that a renamed field fails the handler and
// end-to-end tests that decode it. Fields the tests do not read are left
// out; Version is the status endpoint's.
type APIPayment struct {
	ID               string  `json:"id"`
	Status           string  `json:"status"`
	Amount           string  `json:"amount"`
	Currency         string  `json:"currency"`
	CheckoutURL      string  `json:"checkout_url"`
	ReturnURL        string  `json:"return_url"`
	PaymentMethod    string  `json:"payment_method"`
	LatipayReference string  `json:"latipay_reference"`
	LatipayOrderID   string  `json:"latipay_order_id"`
	PaidAt           *string `json:"paid_at"`
	PaidLate         bool    `json:"paid_late"`
	NeedsReview      bool    `json:"needs_review"`
	Version          int64   `json:"version"`
}
