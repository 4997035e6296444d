package payments

import (
	"context"
	"net/url"
	"time"
)

// UnknownNotification is a signed Latipay notification that names a
// merchant reference no attempt here has: money Latipay reports for a
// payment this shop does not know. It happens after a restore (payments
// started after the backup was taken are not in it) or when two shops
// share one Latipay wallet. The shop reconciles it, or refunds it, in
// Latipay's merchant portal.
type UnknownNotification struct {
	Reference string
	Method    string // as Latipay signed it; "" when the body no longer verifies
	Status    string
	Currency  string
	Amount    string // decimal text as signed
	At        time.Time
}

// UnknownNotifications lists what Latipay reported paid for references
// this shop does not know (see UnknownNotification), received at or
// after since, newest first, at most limit, with how many there are in
// all. The stored body is verified again to read its signed fields; one
// that no longer verifies (the API key changed) still shows its
// reference and status.
func (s *Service) UnknownNotifications(ctx context.Context, since time.Time, limit int) ([]UnknownNotification, int, error) {
	ns, total, err := s.store.PaidOrphans(ctx, since, limit)
	if err != nil {
		return nil, 0, err
	}
	out := make([]UnknownNotification, 0, len(ns))
	for _, n := range ns {
		u := UnknownNotification{Reference: n.Reference, Status: n.Status, At: n.At}
		if form, err := url.ParseQuery(n.Body); err == nil {
			if res, err := s.gw.VerifyNotification(form); err == nil && res.Reference == n.Reference {
				u.Method, u.Currency, u.Amount = res.Method, res.Currency, res.Amount
			}
		}
		out = append(out, u)
	}
	return out, total, nil
}
