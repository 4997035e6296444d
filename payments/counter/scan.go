package counter

import (
	"context"
	"fmt"

	"github.com/latipay-hpp/hpp/payments"
)

// ChargeScan makes (or finds, for a repeated key) the sale and charges
// the pay code the cashier scanned from the shopper's wallet (Source
// payments.SourceCounterScan). The code's shape is checked before any
// sale is made: a code of neither wallet is ErrPayCode, naming the
// wallets' rules. Scanning the same code again for the sale changes
// nothing (payments.Service.StartBarcode is idempotent); another code
// while the first may still be paid is payments.ErrPayCodePending.
//
// A pending answer is normal: the shopper may have to type a password in
// their wallet, and the reconciler keeps asking Latipay; the counter
// shows "still checking" until the server knows.
func (s *Service) ChargeScan(ctx context.Context, in ChargeInput, payCode string) (payments.Started, error) {
	if _, err := payments.ParsePayCode(payCode); err != nil {
		return payments.Started{}, fmt.Errorf("%w: %w", ErrPayCode, err)
	}
	in.Source = payments.SourceCounterScan
	p, err := s.sale(ctx, in)
	if err != nil {
		return payments.Started{}, err
	}
	if p.Status != payments.StatusCreated && p.Status != payments.StatusPending && p.Status != payments.StatusFailed {
		return payments.Started{Payment: p}, nil // already settled: the page shows the result
	}
	return s.pay.StartBarcode(ctx, p.ID, payCode)
}
