package handlers

import (
	"errors"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// paymentResponse is a payment as the merchant API shows it.
type paymentResponse struct {
	ID               string  `json:"id"`
	Status           string  `json:"status"`
	Amount           string  `json:"amount"`
	Currency         string  `json:"currency"`
	Reference        string  `json:"reference"`
	Description      string  `json:"description"`
	PaymentMethod    string  `json:"payment_method"`
	CheckoutURL      string  `json:"checkout_url"`
	ReturnURL        string  `json:"return_url"`
	CancelURL        string  `json:"cancel_url,omitempty"`
	LatipayReference string  `json:"latipay_reference"`
	LatipayOrderID   string  `json:"latipay_order_id"`
	AmountCNY        string  `json:"amount_cny,omitempty"`
	CurrencyRate     string  `json:"currency_rate,omitempty"`
	Refunded         string  `json:"amount_refunded"`
	PaidLate         bool    `json:"paid_late"`
	NeedsReview      bool    `json:"needs_review"`
	Attempts         int     `json:"attempts"`
	CreatedAt        string  `json:"created_at"`
	ExpiresAt        string  `json:"expires_at"`
	PaidAt           *string `json:"paid_at"`
}

func paymentJSON(p payments.Payment, checkoutURL string) paymentResponse {
	r := paymentResponse{
		ID: p.ID, Status: string(p.Status), Amount: payments.FormatAmount(p.Amount, p.Currency),
		Currency: string(p.Currency), Reference: p.Reference, Description: p.Description,
		PaymentMethod: string(p.Method), CheckoutURL: checkoutURL, ReturnURL: p.ReturnURL,
		CancelURL: p.CancelURL, LatipayReference: p.LatipayReference, LatipayOrderID: p.LatipayOrderID,
		AmountCNY: p.AmountCNY, CurrencyRate: p.CurrencyRate,
		Refunded: payments.FormatAmount(p.Refunded, p.Currency), PaidLate: p.PaidLate,
		NeedsReview: p.NeedsReview, Attempts: p.Attempts,
		CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339), ExpiresAt: p.ExpiresAt.UTC().Format(time.RFC3339),
	}
	if !p.PaidAt.IsZero() {
		t := p.PaidAt.UTC().Format(time.RFC3339)
		r.PaidAt = &t
	}
	return r
}

func asErr[T any](err error, target *T) bool { return errors.As(err, target) }
