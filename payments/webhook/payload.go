package webhook

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// Event is the JSON body of a webhook request.
type Event struct {
	ID             string  `json:"id"`       // stable across retries: dedupe on it
	Type           string  `json:"type"`     // payment.paid, ...
	Sequence       int64   `json:"sequence"` // per payment, increasing: ignore older ones
	CreatedAt      string  `json:"created_at"`
	Status         string  `json:"status"`          // the status this event reports
	PreviousStatus string  `json:"previous_status"` // the status before it
	Payment        Payment `json:"payment"`         // the payment as it is when sent
}

// Payment is the payment inside an event.
type Payment struct {
	ID             string `json:"id"`
	Reference      string `json:"reference"`
	Status         string `json:"status"`
	Amount         string `json:"amount"`
	Currency       string `json:"currency"`
	AmountRefunded string `json:"amount_refunded"` // what Latipay has returned
	// AmountRefundPending is what refunds still waiting for Latipay's
	// answer hold: not refunded yet, and not refundable again meanwhile.
	AmountRefundPending string  `json:"amount_refund_pending"`
	Description         string  `json:"description"`
	PaymentMethod       string  `json:"payment_method"`
	PaidLate            bool    `json:"paid_late"`
	Version             int64   `json:"version"`
	CreatedAt           string  `json:"created_at"`
	UpdatedAt           string  `json:"updated_at"`
	PaidAt              *string `json:"paid_at"`
}

// EventID is the public id of an event: "evt_" + the payment id's random
// part + "_" + the sequence number.
func EventID(e payments.Event) string {
	return "evt_" + strings.TrimPrefix(e.PaymentID, "pay_") + "_" + strconv.FormatInt(e.Seq, 10)
}

// PublicType is the type merchants see: a partial refund is a
// payment.refunded event whose payment has amount_refunded < amount.
func PublicType(t string) string {
	if t == "payment.partially_refunded" {
		return "payment.refunded"
	}
	return t
}

// Body encodes event e of payment p, whose refunds add up to t.
func Body(e payments.Event, p payments.Payment, t payments.RefundTotals) ([]byte, error) {
	out := Event{ID: EventID(e), Type: PublicType(e.Type), Sequence: e.Seq,
		CreatedAt: e.CreatedAt.UTC().Format(time.RFC3339Nano), Status: string(e.To), PreviousStatus: string(e.From),
		Payment: Payment{ID: p.ID, Reference: p.Reference, Status: string(p.Status),
			Amount: payments.FormatAmount(p.Amount, p.Currency), Currency: string(p.Currency),
			AmountRefunded:      payments.FormatAmount(t.Succeeded, p.Currency),
			AmountRefundPending: payments.FormatAmount(t.Pending, p.Currency), Description: p.Description,
			PaymentMethod: string(p.Method), PaidLate: p.PaidLate, Version: p.Version,
			CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: p.UpdatedAt.UTC().Format(time.RFC3339)}}
	if !p.PaidAt.IsZero() {
		s := p.PaidAt.UTC().Format(time.RFC3339)
		out.Payment.PaidAt = &s
	}
	return json.Marshal(out)
}
