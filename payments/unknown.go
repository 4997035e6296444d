package payments

import (
	"context"
	"net/url"
	"strings"
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
	return s.unknown(ns), total, nil
}

// maxUnknownFound is how many notifications FindUnknown lists: a
// reference or an order id names one payment, so more than a few means
// the same text in several, which the first ones show.
const maxUnknownFound = 10

// FindUnknown lists what Latipay reported paid for references this shop
// does not know (see UnknownNotification) whose Latipay merchant
// reference or Latipay order id is text, as pasted into the back
// office's search box (the quotes and commas around it dropped, the
// reference in any case), whenever it came, newest first, at most
// maxUnknownFound. Text that cannot be either (too short or long, spaces,
// an amount) finds none without asking the store. An order id is not
// among the fields Latipay signs: it only finds the notification, whose
// signed fields are read as UnknownNotifications reads them.
func (s *Service) FindUnknown(ctx context.Context, text string) ([]UnknownNotification, error) {
	text = strings.Trim(text, pastedAround)
	if !searchToken(text) {
		return nil, nil
	}
	ns, err := s.store.FindPaidOrphans(ctx, text, maxUnknownFound)
	if err != nil {
		return nil, err
	}
	return s.unknown(ns), nil
}

// unknown reads the stored orphans ns: their signed fields, verified
// again, or their reference and status alone when the body no longer
// verifies.
func (s *Service) unknown(ns []Notification) []UnknownNotification {
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
	return out
}
