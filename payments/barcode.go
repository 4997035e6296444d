package payments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Barcode payments: at the counter the shopper shows the pay code of their
// WeChat Pay or Alipay app, the cashier scans it and we ask Latipay to
// charge it (package latipay doc, Endpoints). Latipay's answer only says it
// took the order; whether the shopper paid comes from queries. Above
// about 3,000 yuan, or after several payments in a day, the shopper must
// first type a password in their app, so a barcode attempt may stay
// pending for a while: that is normal, never an error.
//
// WeChat's rule for scanned codes is to ask every 3 to 5 seconds for
// about 45 seconds. The reconciler does exactly that for barcode attempts
// (barcodePoll, barcodeFastChecks) and then goes on at its usual cadence,
// so a success that arrives after the counter stopped waiting still ends
// the payment right. The reconciler runs on a tick (Run's every, 5 s by
// default), so with the default a due check is made at the next tick:
// every 5 s.
const (
	barcodePoll       = 4 * time.Second
	barcodeFastChecks = 11 // 11 checks 4 s apart: about 45 s
)

// ErrPayCodePending is a new pay code scanned for a sale whose last code
// may still be paid (Latipay has not answered, or the shopper is typing a
// password): charging it could take the money twice. It matches
// ErrConflict.
var ErrPayCodePending = fmt.Errorf("%w: the shopper's last pay code is still being checked; wait for its result or cancel the sale", ErrConflict)

// checkAfter is how long the reconciler waits before its next query of a
// live attempt it has asked about n times; ok is false when it has asked
// long enough and the attempt needs a person.
func checkAfter(a Attempt, n int) (wait time.Duration, ok bool) {
	if a.Kind != KindBarcode {
		return schedule(n)
	}
	if n < barcodeFastChecks {
		return barcodePoll, true
	}
	return schedule(n - barcodeFastChecks)
}

// StartBarcode charges the pay code the cashier scanned for payment id,
// an unpaid payment made for the counter's scanner (Source
// SourceCounterScan). It checks the code's shape (ParsePayCode), stores a
// fresh barcode attempt, asks Latipay to charge the code and records
// Latipay's order id from its answer. The result arrives later, through
// the reconciler's queries (checkAfter) or a callback, and is pushed like
// any other change.
//
// It is idempotent: the same code scanned again for the same payment
// returns the attempt it started, without calling Latipay again, whatever
// that attempt's state. A different code is refused with ErrPayCodePending while
// an earlier one may still be paid (Latipay has not answered it, or the
// shopper is typing a password): charging the second could take the money
// twice. A code Latipay refused leaves the payment open for another scan.
//
// The error is nil when Latipay took the order and also when its answer
// was lost: then the attempt stays AttemptInitiated and the reconciler
// asks Latipay what became of it, so an unknown outcome never turns into
// failed by itself. Only a call that provably never left (the connection
// was never made: ErrGatewayNotReached) fails the payment at once and
// returns that error; the counter scans the code again as a new sale. Started.Attempt.Status tells the two apart. A refused
// code returns a *GatewayError in Latipay's words; a malformed code a
// *PayCodeError; a wallet not offered or a payment not made for scanning
// a *ValidationError (all three match ErrInvalid).
func (s *Service) StartBarcode(ctx context.Context, id, payCode string) (Started, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return Started{}, err
	}
	m, err := ParsePayCode(payCode)
	if err != nil {
		return Started{Payment: p}, err
	}
	if p.Source != SourceCounterScan {
		return Started{Payment: p}, &ValidationError{Problems: []string{"this payment was not made for scanning a pay code"}}
	}
	if !s.offered(m) {
		return Started{Payment: p}, &ValidationError{Problems: []string{methodName(m) + " is not offered here"}}
	}
	code := CleanPayCode(payCode)
	hash := payCodeHash(p.ID, code)
	now := s.now().UTC()
	ref, err := newReference(s.rand, now)
	if err != nil {
		return Started{}, err
	}
	a := Attempt{Reference: ref, PaymentID: p.ID, Method: m, Kind: KindBarcode, PayCodeHash: hash,
		Status: AttemptInitiated, CreatedAt: now, NextCheckAt: now.Add(barcodePoll)}
	var seen *Attempt // the attempt this code already started
	p, err = s.update(ctx, p.ID, func(tx *Tx) error {
		seen = nil
		for i := range tx.Attempts {
			if at := tx.Attempts[i]; at.Kind == KindBarcode && at.PayCodeHash == hash {
				seen = &at
				return nil
			}
		}
		if !open(tx.Payment.Status) || tx.Payment.Expired(now) { // a failed counter sale's window ended
			return ErrNotPayable
		}
		for _, at := range tx.Attempts {
			if at.Status.Live() {
				return ErrPayCodePending
			}
		}
		if tx.Payment.Attempts >= s.opts.MaxAttempts {
			return ErrTooManyAttempts
		}
		tx.Payment.Attempts++
		tx.Payment.Method = m
		tx.Payment.LatipayReference = ref
		tx.Payment.UpdatedAt = now
		tx.putAttempt(a)
		tx.event(Message{Code: MsgAttemptStartedPayCode, Method: m, Reference: ref}.Event("attempt.started", tx.Payment.Status, now))
		return nil
	})
	if err != nil {
		return Started{Payment: p}, err
	}
	if seen != nil {
		return Started{Payment: p, Attempt: *seen}, nil
	}
	orderID, gwErr := s.gw.Barcode(forPayment(ctx, p.ID), BarcodeRequest{Reference: ref, Method: m,
		Amount: p.Amount, Currency: p.Currency, PayCode: code})
	refused := errors.Is(gwErr, ErrGatewayRejected) || errors.Is(gwErr, ErrInvalid)
	if errors.Is(gwErr, ErrGatewayNotReached) {
		s.log.Info("barcode: Latipay never reached; the sale failed, nothing charged", "payment_id", p.ID, "reference", ref, "err", gwErr)
	} else if gwErr != nil && !refused {
		s.log.Info("barcode: outcome unknown; the reconciler will ask Latipay", "payment_id", p.ID, "reference", ref, "err", gwErr)
	}
	p, recorded, err := s.recordBarcode(context.WithoutCancel(ctx), p.ID, ref, orderID, gwErr, refused)
	if err != nil {
		return Started{Payment: p}, err
	}
	if refused || errors.Is(gwErr, ErrGatewayNotReached) {
		return Started{Payment: p, Attempt: recorded}, gwErr
	}
	return Started{Payment: p, Attempt: recorded}, nil
}

// recordBarcode writes Latipay's answer to the barcode call of attempt
// ref (orderID, or gwErr, which refused says is a refusal) and returns the
// payment and the attempt as committed. The caller passes a context that
// is not cancelled with the counter's request: the order may exist at
// Latipay now, whatever became of the request.
func (s *Service) recordBarcode(ctx context.Context, id, ref, orderID string, gwErr error, refused bool) (Payment, Attempt, error) {
	var recorded Attempt
	p, err := s.update(ctx, id, func(tx *Tx) error {
		at := tx.attempt(ref)
		if at == nil {
			return nil
		}
		recorded = *at
		if at.Status != AttemptInitiated {
			return nil // a query or a callback got there first
		}
		now := s.now().UTC()
		switch {
		case refused: // nothing was charged: the sale stays open for another code
			at.Status, at.NextCheckAt = AttemptError, time.Time{}
			tx.dirtyAttempts[ref] = true
			tx.event(failureMessage(Message{Code: MsgAttemptPayCodeRefused, Reference: ref}, gwErr).Event("attempt.error", tx.Payment.Status, now))
		case errors.Is(gwErr, ErrGatewayNotReached): // provably never sent: nothing can be charged
			// The sale ends failed at once; the counter starts a new sale
			// (a new payment) for the next scan of the code.
			at.Status, at.NextCheckAt = AttemptError, time.Time{}
			tx.dirtyAttempts[ref] = true
			tx.event(Message{Code: MsgAttemptNotReached, Reference: ref}.Event("attempt.error", tx.Payment.Status, now))
			s.transition(tx, StatusFailed, Message{Code: MsgFailedNotReached, Reference: ref})
		case gwErr != nil: // unknown: the attempt stays initiated and is queried
			tx.event(Message{Code: MsgAttemptNoAnswer, Reference: ref}.Event("attempt.error", tx.Payment.Status, now))
			s.transition(tx, StatusPending, Message{Code: MsgPending, Reference: ref})
		default:
			at.Status, at.OrderID = AttemptPending, orderID
			tx.putAttempt(*at)
			s.transition(tx, StatusPending, Message{Code: MsgPending, Reference: ref})
		}
		recorded = *at
		return nil
	})
	return p, recorded, err
}

// payCodeHash names a pay code scanned for one payment without keeping
// the code: the first 16 bytes of a SHA-256 over the payment id and the
// code.
func payCodeHash(paymentID, code string) string {
	h := sha256.Sum256([]byte("paycode\x00" + paymentID + "\x00" + code))
	return hex.EncodeToString(h[:16])
}

// methodName is a method's name in messages to people.
func methodName(m Method) string {
	switch m {
	case MethodWeChat:
		return "WeChat Pay"
	case MethodAlipay:
		return "Alipay"
	case MethodUnionPay:
		return "UnionPay"
	}
	return string(m)
}

// PayCodeRefused reports whether p, a counter sale by pay code, is still
// open after Latipay refused its last code: as are p's attempts. Nothing
// was charged and nothing is live, so the sale takes another code, a QR
// (Start) or a cancel; the counter says so rather than "waiting".
func PayCodeRefused(p Payment, as []Attempt) bool {
	if p.Source != SourceCounterScan || p.Status != StatusCreated {
		return false
	}
	for _, a := range as {
		if a.Reference == p.LatipayReference {
			return a.Kind == KindBarcode && a.Status == AttemptError
		}
	}
	return false
}
