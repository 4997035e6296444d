package payments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"time"
)

// HandleNotification verifies and applies one Latipay callback. A nil
// error means the effect is durable and Latipay may be told "sent";
// ErrBadSignature or ErrMalformed mean the message is not Latipay's; any
// other error means we could not commit and Latipay should retry.
func (s *Service) HandleNotification(ctx context.Context, form url.Values) error {
	res, err := s.gw.VerifyNotification(form)
	if err != nil {
		return err
	}
	// Only the five signed fields are the sender's word that Latipay
	// vouches for; the rest was chosen by whoever sent the form.
	res.OrderID, res.PayTime, res.AmountCNY, res.Rate = "", "", "", ""
	res.PaidAt = time.Time{}
	n := Notification{Reference: res.Reference, Digest: digest(res), Status: res.Status,
		Body: form.Encode(), At: s.now().UTC()}
	// A repeat of a notification already recorded is acknowledged without
	// a write: Latipay retries until "sent", and 1,000 copies must cost
	// reads, not transactions. (A repeat racing its first copy is still
	// made harmless by the state machine inside Update, and by the
	// SQLite store's Update, which writes nothing for a notification
	// already recorded: see NotificationTargeter.)
	paymentID, seen, err := s.notificationTarget(ctx, res.Reference, n.Digest)
	if seen {
		return nil
	}
	if errors.Is(err, ErrNotFound) {
		n.Result = "orphan"
		s.log.Warn("latipay notification for an unknown reference", "reference", res.Reference, "status", res.Status)
		return s.store.RecordOrphan(ctx, n)
	}
	if err != nil {
		return err
	}
	_, err = s.update(ctx, paymentID, func(tx *Tx) error {
		s.apply(tx, res, "callback", &n)
		return nil
	})
	return err
}

// notificationTarget answers a callback's duplicate check and finds its
// payment: in one read when the store offers it (NotificationTargeter),
// else in two, where a failed duplicate check is not fatal (the state
// machine inside Update makes a repeat harmless). A failed read of the
// payment is: the callback is not answered "sent", and Latipay retries.
func (s *Service) notificationTarget(ctx context.Context, reference, digest string) (paymentID string, seen bool, err error) {
	if nt, ok := s.store.(NotificationTargeter); ok {
		seen, paymentID, err = nt.NotificationTarget(ctx, reference, digest)
		if err == nil && !seen && paymentID == "" {
			err = ErrNotFound
		}
		return paymentID, seen && err == nil, err
	}
	if seen, err := s.store.NotificationSeen(ctx, reference, digest); err == nil && seen {
		return "", true, nil
	}
	paymentID, err = s.store.AttemptPayment(ctx, reference)
	return paymentID, false, err
}

// HandleReturn is the shopper landing back from Latipay. The redirect's
// claim is never trusted: when the attempt is still open we ask Latipay.
// The returns for one attempt share one query (askGroup): while it runs
// the others wait for its answer, and for recentAnswer after it they read
// the payment it left. The query takes a shopper's turn (queryPace); when
// none is free, or Latipay does not answer, the page shows the stored
// state, which the callback, the reconciler and the page's socket bring
// up to date.
func (s *Service) HandleReturn(ctx context.Context, id string, q url.Values) (Payment, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return p, err
	}
	ref := p.LatipayReference
	if res, err := s.gw.VerifyReturn(q); err == nil && ValidReference(res.Reference) {
		ref = res.Reference
	}
	if ref == "" {
		return p, nil
	}
	a, err := s.store.Attempt(ctx, ref)
	if err != nil || a.PaymentID != p.ID {
		return p, nil
	}
	if !a.Status.Live() {
		// Settled, maybe by a callback that committed after p was read:
		// the payment as it is now, not the pending one read before.
		return s.Get(ctx, id)
	}
	ask, lead := s.asks.join(ref, s.now())
	if !lead {
		select {
		case <-ask.done:
			return s.Get(ctx, id)
		case <-ctx.Done():
			return p, nil
		}
	}
	defer func() { s.asks.finish(ref, ask, s.now()) }()
	// The answer is recorded for the returns waiting on it even when
	// this shopper has gone.
	qctx, cancel := context.WithTimeout(forPayment(shopperAsks(context.WithoutCancel(ctx)), id), 5*time.Second)
	defer cancel()
	res, err := s.gw.Query(qctx, ref)
	if err != nil {
		s.log.Info("return: query failed; the reconciler will retry", "payment_id", id, "err", err)
		return p, nil
	}
	return s.update(context.WithoutCancel(ctx), id, func(tx *Tx) error {
		if at := tx.attempt(ref); at == nil || !at.Status.Live() {
			return nil // settled meanwhile (by the callback or the reconciler)
		}
		s.apply(tx, res, "query", nil)
		return nil
	})
}

// apply folds one verified gateway statement into the payment. It is the
// only place where Latipay's word changes a payment, and it is idempotent:
// repeats and stale statements change nothing.
func (s *Service) apply(tx *Tx, res GatewayResult, source string, n *Notification) {
	a := tx.attempt(res.Reference)
	if a == nil {
		return
	}
	p := &tx.Payment
	record := func(result string) {
		if n != nil {
			n.Result = result
			tx.note(*n)
		}
	}
	amount, err := ParseAmount(res.Amount, p.Currency)
	if res.Currency != string(p.Currency) || err != nil || amount != p.Amount {
		if res.Status == "paid" {
			s.anomaly(tx, Message{Code: MsgAmountMismatch, Reference: a.Reference, Source: source,
				Said: res.Amount, SaidCurrency: res.Currency, Amount: p.Amount, Currency: p.Currency})
			record("anomaly")
		}
		return
	}
	// Latipay's order id is what a refund is sent for, and the signature
	// does not cover it: only our own query's answer (or the signed QR
	// data, start.go) may set it, never a notification.
	if source == "query" && res.OrderID != "" && a.OrderID == "" {
		a.OrderID = res.OrderID
		tx.dirtyAttempts[a.Reference] = true
		tx.touch()
		if a.Reference == p.LatipayReference && p.Status.Settled() && p.LatipayOrderID == "" {
			p.LatipayOrderID = a.OrderID
		}
	}
	// Likewise Latipay's yuan figure and rate, which only the QR data
	// carries at the start: a hosted attempt (the wallet's page) has them
	// from the query's answer alone.
	if source == "query" && res.AmountCNY != "" && a.AmountCNY == "" {
		a.AmountCNY, a.Rate = res.AmountCNY, res.Rate
		tx.dirtyAttempts[a.Reference] = true
		tx.touch()
		if a.Reference == p.LatipayReference && p.Status.Settled() && p.AmountCNY == "" {
			p.AmountCNY, p.CurrencyRate = a.AmountCNY, a.Rate
		}
	}
	switch res.Status {
	case "paid":
		if a.Status == AttemptPaid {
			return
		}
		a.Status, a.NextCheckAt = AttemptPaid, time.Time{}
		if a.OrderID == "" && source != "query" {
			// A callback (hosted flow: no signed QR data) leaves the
			// order id unknown: the reconciler's next pass asks Latipay
			// (reconcile, paidOrderQuery), whose answer carries it, and
			// asks again on its schedule until Latipay answers.
			a.NextCheckAt = s.now().UTC()
		}
		tx.putAttempt(*a)
		record("applied")
		if p.Status.Settled() {
			// Paid twice (PaidTwice): the payment counts its first
			// attempt; this one's money must go back through Latipay.
			s.anomaly(tx, Message{Code: MsgPaidTwice, Reference: a.Reference, Other: p.LatipayReference})
			return
		}
		// Late (doc.go, Paid late): after the window closed or the payment
		// failed or was canceled here; status.go: corrected to match the
		// gateway, flagged. An attempt the shopper had replaced (another
		// wallet chosen, a QR refreshed) paid while the payment was still
		// open is paid on time: the shopper paid within the window.
		late := p.Status == StatusExpired || p.Status == StatusCanceled || p.Status == StatusFailed
		canceled := p.Status == StatusCanceled
		p.LatipayReference, p.LatipayOrderID, p.Method = a.Reference, a.OrderID, a.Method
		if p.AmountCNY == "" && a.AmountCNY != "" {
			p.AmountCNY, p.CurrencyRate = a.AmountCNY, a.Rate
		}
		p.PaidLate = p.PaidLate || late
		if late {
			p.ReviewedAt = time.Time{} // flagged anew: a person looks again
		}
		s.transition(tx, StatusPaid, Message{Code: MsgPaid, Reference: a.Reference, Source: source})
		if t, ok := paidAtFromLatipay(res, source, *a, p.PaidAt); ok {
			p.PaidAt = t
		}
		if canceled {
			// Someone (the merchant, or the shopper) had meant to stop
			// this payment, and may have acted on it (stock released, the
			// order closed): a person must look (doc.go, Paid late).
			s.anomaly(tx, Message{Code: MsgPaidAfterCancel, Reference: a.Reference, Source: source})
		}
		// The other live attempts must not be paid too: make them due now,
		// and the reconciler (whichever instance claims each) cancels them
		// at Latipay, the payment being closed, and asks about them.
		now := s.now().UTC()
		for i := range tx.Attempts {
			if o := &tx.Attempts[i]; o.Reference != a.Reference && o.Status.Live() && o.NextCheckAt.After(now) {
				o.NextCheckAt = now
				tx.dirtyAttempts[o.Reference] = true
			}
		}
	case "failed", "rejected", "cancel_or_fail", "canceled":
		if a.Status == AttemptPaid {
			s.anomaly(tx, Message{Code: MsgStatusAfterPaid, Reference: a.Reference, Source: source, Status: res.Status})
			record("anomaly")
			return
		}
		if !a.Status.Live() {
			return
		}
		a.Status, a.NextCheckAt = AttemptFailed, time.Time{}
		if res.Status == "canceled" {
			a.Status = AttemptCanceled
		}
		tx.putAttempt(*a)
		record("applied")
		if a.Reference == p.LatipayReference && (p.Status == StatusPending || p.Status == StatusCreated) {
			s.transition(tx, StatusFailed, Message{Code: MsgFailed, Reference: a.Reference, Status: res.Status, Source: source})
		}
	case "pending":
		if a.Status == AttemptPaid && source == "query" {
			return // a query answered before the callback committed: stale, not a contradiction
		}
		if a.Status == AttemptPaid {
			s.anomaly(tx, Message{Code: MsgStatusAfterPaid, Reference: a.Reference, Source: source, Status: "pending"})
			record("anomaly")
			return
		}
		if a.Status == AttemptInitiated {
			a.Status = AttemptPending
			tx.putAttempt(*a)
		}
	}
}

// digest identifies a notification by its signed fields.
func digest(r GatewayResult) string {
	h := sha256.Sum256([]byte(r.Reference + "\x00" + r.Method + "\x00" + r.Status + "\x00" + r.Currency + "\x00" + r.Amount))
	return hex.EncodeToString(h[:])
}

// PaidTwice returns the attempts of payment p that Latipay confirmed paid
// besides the one p counts (p.LatipayReference), oldest first. Each is a
// second charge of the shopper (a wallet switched, or a QR replaced, in
// the instant it was paid: Start cancels the replaced attempts at once,
// and a paid payment's other attempts are canceled by the reconciler). It
// is recorded as an anomaly, counted in no total, and hpp cannot refund
// it (a refund goes to p's own order): the shop refunds it in Latipay's
// merchant portal, by its order id (Attempt.OrderID) or, when Latipay has
// not given one, its merchant reference.
func PaidTwice(p Payment, as []Attempt) []Attempt {
	var out []Attempt
	for _, a := range as {
		if a.Status == AttemptPaid && a.Reference != p.LatipayReference && p.Status.Settled() {
			out = append(out, a)
		}
	}
	return out
}

// payTimeSkew is how far before an attempt's creation Latipay's pay time
// may fall and still be taken: the two clocks are not the same clock.
const payTimeSkew = 2 * time.Minute

// paidAtFromLatipay is the time a payment learned paid from our own query
// was paid at Latipay: its pay_time, when the answer has one that falls
// between the attempt's creation (less payTimeSkew) and the moment we
// learned it (learned). A callback's pay_time is not signed and never
// taken; a callback arrives as the shopper pays, so learned is the time
// then. Without it, a payment whose callback was lost and that the
// reconciler found after midnight would count on the next day, while
// Latipay's settlement counts it on the day the shopper paid. pay_time
// has whole seconds.
func paidAtFromLatipay(res GatewayResult, source string, a Attempt, learned time.Time) (time.Time, bool) {
	t := res.PaidAt
	if source != "query" || t.IsZero() || t.After(learned) || t.Before(a.CreatedAt.Add(-payTimeSkew)) {
		return time.Time{}, false
	}
	return t.UTC(), true
}
