package payments

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// QRLifetime is how long one merchant-hosted Latipay QR is shown before a
// shopper still on the page gets a fresh transaction. It is shorter than
// the payment window (15 minutes by default), so a shopper who lingers
// never scans a code Latipay has let die; each refresh is a new attempt,
// counted against MaxAttempts.
const QRLifetime = 5 * time.Minute

// QRRefreshLead is how long before QRLifetime ends the page asks for the
// fresh QR, so the new one is there before the old one goes.
const QRRefreshLead = 30 * time.Second

// QRRefreshAt is when the page should ask for a fresh QR for attempt a of
// payment p. ok is false when the payment window ends first: then the
// current QR simply lives until the window closes.
func QRRefreshAt(p Payment, a Attempt) (at time.Time, ok bool) {
	at = a.CreatedAt.Add(QRLifetime - QRRefreshLead)
	return at, !a.Hosted && at.Add(QRRefreshLead).Before(p.ExpiresAt)
}

// RefreshInput is the checkout page asking for a fresh QR.
type RefreshInput struct {
	PaymentID string
	Reference string // the QR the page shows; a stale one gets the current QR
	Device    Device
	ClientIP  string
	Lang      string
}

// RefreshQR replaces the payment's current QR with a fresh Latipay
// transaction (a new merchant_reference) when it is due (see QRRefreshAt),
// and cancels the old one through Latipay's cancel (Start does, as for any
// new attempt). The old attempt stays under reconciliation, so a callback
// for it (the shopper scanned it just before) is still matched to the
// payment: paid, on time if the window was still open (apply). A
// request for a QR that is not current or not yet due changes nothing and
// returns the current state, so two tabs never refresh twice.
func (s *Service) RefreshQR(ctx context.Context, in RefreshInput) (Started, error) {
	p, err := s.Get(ctx, in.PaymentID)
	if err != nil {
		return Started{}, err
	}
	if p.TillSale() {
		return Started{}, ErrTillSale // the counter's QR is the cashier's
	}
	if p.Status != StatusPending {
		return Started{Payment: p}, nil
	}
	old, ok := s.CurrentQR(ctx, p)
	if !ok || old.Reference != in.Reference {
		return Started{Payment: p, Attempt: old}, nil
	}
	due, ok := QRRefreshAt(p, old)
	if f, fok := FlowFor(in.Device, old.Method); !ok || !fok || f.Hosted || s.now().Before(due) {
		return Started{Payment: p, Attempt: old}, nil
	}
	// Start cancels the old QR at Latipay and has it checked at once
	// (replaceOthers).
	return s.start(ctx, StartInput{PaymentID: p.ID, Method: string(old.Method), Device: in.Device,
		ClientIP: in.ClientIP, Fresh: true, Lang: in.Lang, refresh: true}, true)
}

// withLang adds the shopper's page language to our own return URL, so the
// result page after Latipay speaks the shopper's language.
func withLang(rawURL, lang string) string {
	if lang == "" {
		return rawURL
	}
	sep := "?"
	if strings.Contains(rawURL, "?") {
		sep = "&"
	}
	return rawURL + sep + "lang=" + url.QueryEscape(lang)
}
