package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrNotCancelable is a cancel of a payment that can no longer be
// canceled: one that ended unpaid (expired), or, as ErrAlreadyPaid, one
// that was paid.
var ErrNotCancelable = errors.New("payments: payment cannot be canceled")

// ErrAlreadyPaid is a cancel refused because the shopper had already
// paid: the payment was paid here before the cancel (refunded since or
// not), Latipay said so when the cancel asked it (its callbacks had not
// arrived), or a callback was recorded while the cancel was asking. Each
// way the payment is paid (Cancel returns it so), never canceled: it is
// refunded instead. It matches ErrNotCancelable.
var ErrAlreadyPaid = fmt.Errorf("%w: the shopper had already paid", ErrNotCancelable)

// ErrPaidBeforeCancel and ErrRefundedBeforeCancel are ErrAlreadyPaid of a
// payment that was paid here before the cancel began, so nothing was
// asked of Latipay: paid (or partly refunded), or paid and since refunded
// in full, which there is nothing left to refund of. Both match
// ErrAlreadyPaid, so callers that only need "not canceled, it is paid"
// see no difference; the words differ from a cancel that found the
// payment paid at Latipay.
var (
	ErrPaidBeforeCancel     = fmt.Errorf("%w: it was paid before the cancel", ErrAlreadyPaid)
	ErrRefundedBeforeCancel = fmt.Errorf("%w: it was paid and refunded before the cancel", ErrAlreadyPaid)
)

// cancelAskTimeout bounds how long a cancel waits for Latipay's word
// about the payment's live attempts (cancel at Latipay, and a query when
// that does not settle it) before it cancels here without it.
const cancelAskTimeout = 5 * time.Second

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
// canceled payment is a no-op.
//
// A shopper may have paid at Latipay while its callbacks have not arrived
// yet, so before closing anything Cancel asks Latipay about each live
// attempt, within cancelAskTimeout: it cancels the attempt there, and
// unless Latipay canceled it, or says it never had it or it had failed,
// queries it. When Latipay says paid, the payment is recorded paid as a
// callback would record it (the same transition, events and webhook) and
// the cancel is refused with ErrAlreadyPaid. When Latipay cannot say (not
// reached, or code 1: it refused the cancel for now), the payment is
// canceled here all the same and the reconciler keeps asking; a payment
// Latipay confirms afterwards is kept, flagged paid late and for review
// (MsgPaidAfterCancel), since someone had meant to cancel it. Either way
// the live attempts are made due, and the reconciler cancels them at
// Latipay and asks until they are final.
//
// The closing itself is one Store.Update, which serializes it with
// callbacks: a paid callback committed first makes the cancel
// ErrAlreadyPaid; one committed after is paid late and needs review. A
// payment paid before the cancel began is ErrAlreadyPaid too, so that a
// caller hears the same answer whether the paid came to us first or the
// cancel found it at Latipay; one that ended unpaid is ErrNotCancelable.
func (s *Service) Cancel(ctx context.Context, id string) (Payment, error) {
	return s.cancel(ctx, id, Message{Code: MsgCanceledByMerchant})
}

// CancelByShopper is Cancel at the shopper's request: the same closing,
// recorded as the shopper's. Only a merchant who gave a cancel_url lets
// the shopper cancel (ErrShopperMayNotCancel otherwise), and never a
// counter sale, which the cashier cancels (ErrTillSale); neither asks
// Latipay anything.
func (s *Service) CancelByShopper(ctx context.Context, id string) (Payment, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	switch {
	case p.TillSale():
		return p, ErrTillSale
	case p.CancelURL == "":
		return p, ErrShopperMayNotCancel
	}
	return s.cancel(ctx, id, Message{Code: MsgCanceledByShopper})
}

// CancelAtCounter is Cancel by a cashier at the counter: the same
// closing, recorded as the counter's.
func (s *Service) CancelAtCounter(ctx context.Context, id string) (Payment, error) {
	return s.cancel(ctx, id, Message{Code: MsgCanceledAtCounter})
}

// CancelForRevokedDevice is Cancel of a counter sale whose device the
// owner revoked: the same closing, the merchant's (CanceledBy says
// CanceledByMerchant), recorded with words of its own
// (MsgCanceledDeviceRevoked), so that the payment's timeline says the
// till was revoked rather than that someone chose to cancel the sale.
func (s *Service) CancelForRevokedDevice(ctx context.Context, id string) (Payment, error) {
	return s.cancel(ctx, id, Message{Code: MsgCanceledDeviceRevoked})
}

// cancelers are who each cancel message says canceled the payment.
var cancelers = map[string]Canceler{
	MsgCanceledByMerchant: CanceledByMerchant, MsgCanceledByShopper: CanceledByShopper,
	MsgCanceledAtCounter: CanceledAtCounter, MsgCanceledDeviceRevoked: CanceledByMerchant,
}

// cancelData is a payment.canceled event's Data.
type cancelData struct {
	By  Canceler `json:"by"`
	Msg *Message `json:"msg,omitempty"`
}

// cancel closes payment id with message m (a cancel message: cancelers).
func (s *Service) cancel(ctx context.Context, id string, m Message) (Payment, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	if !open(p.Status) {
		// Canceled already (a no-op), or final: nothing to ask Latipay.
		q, err := s.closeCanceled(ctx, id, m, nil, nil)
		switch {
		case errors.Is(err, ErrAlreadyPaid) && q.Status == StatusRefunded:
			err = ErrRefundedBeforeCancel
		case errors.Is(err, ErrAlreadyPaid):
			err = ErrPaidBeforeCancel
		}
		return q, err
	}
	// Once Latipay is asked, the cancel runs to its end and records what
	// Latipay said, whether or not whoever asked is still waiting: a
	// client that hangs up must not cut the call (cancelAskTimeout bounds
	// it) and leave Latipay's answer unrecorded.
	ctx = context.WithoutCancel(ctx)
	said, refused, err := s.askBeforeCancel(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	return s.closeCanceled(ctx, id, m, said, refused)
}

// askBeforeCancel asks Latipay about payment id's live attempts before a
// cancel, within cancelAskTimeout: it returns what Latipay's signed query
// said of those it says are paid, or final after Latipay canceled them
// (so the attempt is closed by the cancel itself, not at the reconciler's
// next pass), and the references of those whose cancel Latipay refused
// for now (code 1: not again before cancelRetryWait). Latipay not
// answering is not an error: the cancel goes ahead without its word.
func (s *Service) askBeforeCancel(ctx context.Context, id string) (said []GatewayResult, refused []string, err error) {
	as, err := s.store.Attempts(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	actx, cancel := context.WithTimeout(forPayment(ctx, id), cancelAskTimeout)
	defer cancel()
	for _, a := range as {
		if !a.Status.Live() {
			continue
		}
		cerr := s.gw.Cancel(actx, a.Reference)
		switch {
		case errors.Is(cerr, ErrUnknownAtGateway), errors.Is(cerr, ErrFailedAtGateway):
			continue // never there, or failed there: not paid
		case cerr == nil:
			// Canceled there now. Latipay's cancel answer is not signed:
			// its signed query closes the attempt, or the reconciler's will.
		case !errors.Is(cerr, ErrCompletedAtGateway):
			if errors.Is(cerr, ErrGatewayRejected) {
				refused = append(refused, a.Reference)
			}
			s.log.Info("cancel: Latipay did not cancel the attempt; asking it", "payment_id", id, "reference", a.Reference, "err", cerr)
		}
		res, qerr := s.gw.Query(actx, a.Reference)
		switch {
		case qerr != nil:
			s.log.Info("cancel: query failed; canceling without Latipay's word", "payment_id", id, "reference", a.Reference, "err", qerr)
		case res.Reference == a.Reference && (res.Status == "paid" || cerr == nil && final(res.Status)):
			said = append(said, res)
		}
	}
	return said, refused, nil
}

// final is a query status that ends an attempt unpaid.
func final(status string) bool {
	switch status {
	case "failed", "rejected", "cancel_or_fail", "canceled":
		return true
	}
	return false
}

// closeCanceled is the one transaction of a cancel: it records what
// Latipay said was paid (in said), and then, unless the payment is paid,
// cancels it, records the attempts Latipay said are closed, and makes the
// other live attempts due (those in refused after cancelRetryWait). A
// payment it finds paid (refunded since or not) is ErrAlreadyPaid.
func (s *Service) closeCanceled(ctx context.Context, id string, m Message, said []GatewayResult, refused []string) (Payment, error) {
	by, ok := cancelers[m.Code]
	if !ok {
		return Payment{}, fmt.Errorf("payments: cancel: %q is not a cancel message", m.Code)
	}
	data, err := json.Marshal(cancelData{By: by, Msg: &m})
	if err != nil {
		return Payment{}, err
	}
	alreadyPaid := false
	p, err := s.update(ctx, id, func(tx *Tx) error {
		for _, res := range said {
			if at := tx.attempt(res.Reference); at != nil && at.Status.Live() && res.Status == "paid" {
				s.apply(tx, res, "query", nil)
			}
		}
		if tx.Payment.Status == StatusCanceled {
			return nil
		}
		if !open(tx.Payment.Status) {
			if tx.Payment.Status.Settled() {
				alreadyPaid = true
				return nil // what Latipay said, if anything, is kept
			}
			return ErrNotCancelable
		}
		if s.transition(tx, StatusCanceled, m) {
			tx.events[len(tx.events)-1].Data = string(data)
		}
		for _, res := range said {
			// After the transition: an attempt's failure does not fail a
			// canceled payment.
			if at := tx.attempt(res.Reference); at != nil && at.Status.Live() && res.Status != "paid" {
				s.apply(tx, res, "query", nil)
			}
		}
		now := s.now().UTC()
		for i := range tx.Attempts {
			if a := &tx.Attempts[i]; a.Status.Live() {
				a.NextCheckAt = now
				if slices.Contains(refused, a.Reference) {
					a.NextCheckAt = now.Add(cancelRetryWait)
				}
				tx.dirtyAttempts[a.Reference] = true
			}
		}
		return nil
	})
	if err == nil && alreadyPaid {
		return p, ErrAlreadyPaid
	}
	return p, err
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

// PaidLateFrom is the status a paid-late payment had when Latipay's paid
// reached it (StatusCanceled, StatusExpired or StatusFailed), from its
// event log, so that its pages can say why it was late; "" when p is not
// paid late or the log does not say.
func (s *Service) PaidLateFrom(ctx context.Context, p Payment) (Status, error) {
	if !p.PaidLate {
		return "", nil
	}
	evs, err := s.Events(ctx, p.ID)
	if err != nil {
		return "", err
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == "payment."+string(StatusPaid) {
			return evs[i].From, nil
		}
	}
	return "", nil
}
