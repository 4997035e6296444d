package payments

import (
	"context"
	"encoding/json"
	"errors"
)

// ErrNotCancelable is a cancel of a payment that is paid or otherwise
// final; a paid payment is refunded instead.
var ErrNotCancelable = errors.New("payments: payment cannot be canceled")

// Canceler is who canceled a payment: the merchant through the API or
// the back office, a cashier at the shop's counter (the sale they made),
// or the shopper from the checkout's "Cancel and return" link. The payment's
// payment.canceled event records it, in Detail for people and in Data
// ({"by":"shopper"}) for CanceledBy.
type Canceler string

const (
	CanceledByMerchant Canceler = "merchant"
	CanceledByShopper  Canceler = "shopper"
	CanceledAtCounter  Canceler = "counter"
)

// Cancel closes an unpaid payment at the merchant's request. Canceling a
// canceled payment is a no-op. As on expiry, Latipay is not called here:
// live attempts are made due at once and the reconciler cancels them at
// Latipay; a late payment Latipay still confirms is kept, flagged paid
// late.
func (s *Service) Cancel(ctx context.Context, id string) (Payment, error) {
	return s.cancel(ctx, id, CanceledByMerchant)
}

// CancelByShopper is Cancel at the shopper's request: the same closing,
// recorded as the shopper's.
func (s *Service) CancelByShopper(ctx context.Context, id string) (Payment, error) {
	return s.cancel(ctx, id, CanceledByShopper)
}

// CancelAtCounter is Cancel by a cashier at the counter: the same
// closing, recorded as the counter's.
func (s *Service) CancelAtCounter(ctx context.Context, id string) (Payment, error) {
	return s.cancel(ctx, id, CanceledAtCounter)
}

// cancelData is a payment.canceled event's Data.
type cancelData struct {
	By  Canceler `json:"by"`
	Msg *Message `json:"msg,omitempty"`
}

func (s *Service) cancel(ctx context.Context, id string, by Canceler) (Payment, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return Payment{}, err
	}
	m := Message{Code: MsgCanceledByMerchant}
	switch by {
	case CanceledByShopper:
		m.Code = MsgCanceledByShopper
	case CanceledAtCounter:
		m.Code = MsgCanceledAtCounter
	}
	data, err := json.Marshal(cancelData{By: by, Msg: &m})
	if err != nil {
		return Payment{}, err
	}
	return s.update(ctx, id, func(tx *Tx) error {
		if tx.Payment.Status == StatusCanceled {
			return nil
		}
		if !open(tx.Payment.Status) {
			return ErrNotCancelable
		}
		if s.transition(tx, StatusCanceled, m) {
			tx.events[len(tx.events)-1].Data = string(data)
		}
		now := s.now().UTC()
		for i := range tx.Attempts {
			if tx.Attempts[i].Status.Live() {
				tx.Attempts[i].NextCheckAt = now
				tx.dirtyAttempts[tx.Attempts[i].Reference] = true
			}
		}
		return nil
	})
}

// CanceledBy is who canceled a canceled payment, from its event log; ""
// when the log does not say (a payment canceled before it was recorded).
func (s *Service) CanceledBy(ctx context.Context, id string) (Canceler, error) {
	evs, err := s.Events(ctx, id)
	if err != nil {
		return "", err
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type != "payment."+string(StatusCanceled) {
			continue
		}
		var d cancelData
		if json.Unmarshal([]byte(evs[i].Data), &d) == nil && (d.By == CanceledByMerchant || d.By == CanceledByShopper || d.By == CanceledAtCounter) {
			return d.By, nil
		}
		return "", nil
	}
	return "", nil
}
