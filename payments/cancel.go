package payments

import (
	"context"
	"errors"
)

// ErrNotCancelable is a cancel of a payment that is paid or otherwise
// final; a paid payment is refunded instead.
var ErrNotCancelable = errors.New("payments: payment cannot be canceled")

// Cancel closes an unpaid payment at the merchant's request. Canceling a
// canceled payment is a no-op. As on expiry, Latipay is not called here:
// live attempts are made due at once and the reconciler cancels them at
// Latipay; a late payment Latipay still confirms is kept, flagged paid
// late.
func (s *Service) Cancel(ctx context.Context, id string) (Payment, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return Payment{}, err
	}
	return s.update(ctx, id, func(tx *Tx) error {
		if tx.Payment.Status == StatusCanceled {
			return nil
		}
		if !open(tx.Payment.Status) {
			return ErrNotCancelable
		}
		s.transition(tx, StatusCanceled, "canceled by the merchant")
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
