package webhook

import (
	"encoding/json"
	"strconv"
	"strings"

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
	// Refund is the refund a refund.succeeded or refund.failed event
	// reports; absent from payment.* events.
	Refund *Refund `json:"refund,omitempty"`
}

// Refund is the refund inside a refund event.
type Refund struct {
	ID        string `json:"id"`
	PaymentID string `json:"payment_id"`
	Amount    string `json:"amount"`
	Currency  string `json:"currency"`
	Status    string `json:"status"` // succeeded or failed: the outcome the event reports
	Reason    string `json:"reason"` // the reason given when it was asked for
	// FailureMessage says why a failed refund failed, in words a merchant
	// can act on, with Latipay's code when Latipay refused it.
	FailureMessage string `json:"failure_message,omitempty"`
	LatipayCode    int    `json:"latipay_code,omitempty"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
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
	AmountRefundPending string `json:"amount_refund_pending"`
	Description         string `json:"description"`
	PaymentMethod       string `json:"payment_method"`
	PaidLate            bool   `json:"paid_late"`
	// NeedsReview says a person must look before fulfilling: Latipay
	// said something that does not fit (an amount unlike ours, paid
	// twice, paid after the payment was canceled, ...).
	NeedsReview bool    `json:"needs_review"`
	Version     int64   `json:"version"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
	PaidAt      *string `json:"paid_at"`
	// ReviewedAt is when the shop marked a payment flagged paid_late or
	// needs_review reviewed (the payment.reviewed event); null until
	// then, and again once a later anomaly flags it anew.
	ReviewedAt *string `json:"reviewed_at"`
}

// EventID is the public id of an event: "evt_" + the payment id's random
// part + "_" + the sequence number.
func EventID(e payments.Event) string {
	return "evt_" + strings.TrimPrefix(e.PaymentID, "pay_") + "_" + strconv.FormatInt(e.Seq, 10)
}

// PublicType is the type merchants see: a partial refund is a
// payment.refunded event whose payment has amount_refunded < amount.
// refund.succeeded and refund.failed keep their names.
func PublicType(t string) string {
	if t == "payment.partially_refunded" {
		return "payment.refunded"
	}
	return t
}

// refundID is the id of the refund event e is about: its message names
// it, and so does the refund data every refund event has carried.
func refundID(e payments.Event) string {
	if m, ok := payments.EventMessage(e); ok && m.Refund != "" {
		return m.Refund
	}
	var d struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal([]byte(e.Data), &d)
	return d.ID
}

// refundJSON is refund r as refund event e reports it: its status is the
// event's outcome. Without r (a store that lost it), the event's own data
// says what it can.
func refundJSON(e payments.Event, p payments.Payment, r *payments.Refund) *Refund {
	status := strings.TrimPrefix(e.Type, "refund.")
	if r == nil {
		var d struct {
			Amount int64 `json:"amount"`
			Code   int   `json:"code"`
		}
		_ = json.Unmarshal([]byte(e.Data), &d)
		at := payments.FormatTime(e.CreatedAt)
		return &Refund{ID: refundID(e), PaymentID: p.ID, Amount: payments.FormatAmount(d.Amount, p.Currency),
			Currency: string(p.Currency), Status: status, LatipayCode: d.Code, CreatedAt: at, UpdatedAt: at}
	}
	out := &Refund{ID: r.ID, PaymentID: r.PaymentID, Amount: payments.FormatAmount(r.Amount, r.Currency),
		Currency: string(r.Currency), Status: status, Reason: r.Reason,
		CreatedAt: payments.FormatTime(r.CreatedAt), UpdatedAt: payments.FormatTime(r.UpdatedAt)}
	if status == string(payments.RefundFailed) {
		out.FailureMessage, out.LatipayCode = r.GatewayMessage, r.GatewayCode
	}
	return out
}

// Body encodes event e of payment p, whose refunds add up to t; r is the
// refund a refund event reports (nil for payment events).
func Body(e payments.Event, p payments.Payment, t payments.RefundTotals, r *payments.Refund) ([]byte, error) {
	out := Event{ID: EventID(e), Type: PublicType(e.Type), Sequence: e.Seq,
		CreatedAt: payments.FormatTime(e.CreatedAt), Status: string(e.To), PreviousStatus: string(e.From),
		Payment: Payment{ID: p.ID, Reference: p.Reference, Status: string(p.Status),
			Amount: payments.FormatAmount(p.Amount, p.Currency), Currency: string(p.Currency),
			AmountRefunded:      payments.FormatAmount(t.Succeeded, p.Currency),
			AmountRefundPending: payments.FormatAmount(t.Pending, p.Currency), Description: p.Description,
			PaymentMethod: string(p.Method), PaidLate: p.PaidLate, NeedsReview: p.NeedsReview, Version: p.Version,
			CreatedAt: payments.FormatTime(p.CreatedAt), UpdatedAt: payments.FormatTime(p.UpdatedAt)}}
	if !p.PaidAt.IsZero() {
		s := payments.FormatTime(p.PaidAt)
		out.Payment.PaidAt = &s
	}
	if !p.ReviewedAt.IsZero() {
		s := payments.FormatTime(p.ReviewedAt)
		out.Payment.ReviewedAt = &s
	}
	if strings.HasPrefix(e.Type, "refund.") {
		out.Refund = refundJSON(e, p, r)
	}
	return json.Marshal(out)
}
