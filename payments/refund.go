package payments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// RefundStatus is where one refund stands.
type RefundStatus string

// Refund statuses. A pending refund was sent to Latipay (or is about to
// be) and its outcome is not known yet; its amount is already counted in
// Payment.Refunded, so no other refund can spend it, and the reconciler
// asks Latipay about it until it is succeeded or failed. The payment's
// status follows its succeeded refunds only (followRefunds): partially
// refunded once one succeeded, refunded once they add up to the amount
// paid.
const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
	RefundFailed    RefundStatus = "failed"
)

// RefundInput is a merchant asking for money back for a paid payment.
type RefundInput struct {
	PaymentID string
	// Amount is decimal text such as "5.00". It is required unless All is
	// set: "" is refused, never read as everything, so a form or body that
	// lost its amount cannot refund the whole payment by accident.
	Amount string
	All    bool   // refund everything not yet refunded; Amount must be ""
	Reason string // optional, for the event log
	Key    string // Idempotency-Key; "" for none
}

// Refund is one refund of a payment. Its ID is also the note sent to
// Latipay with it, so Latipay can tell a repeat of this refund from a new
// one: a repeat never pays out twice.
type Refund struct {
	ID          string // "rf_" + 26 characters
	PaymentID   string
	Amount      int64 // minor units
	Currency    Currency
	Status      RefundStatus
	Reason      string
	KeyHash     string // sha256 of the Idempotency-Key; "" for none, or once released (nothingSent)
	RequestHash string // sha256 of the request, with KeyHash
	GatewayCode int    // Latipay's code when failed; 0 when it never reached Latipay
	// GatewayMessage says why it failed, in words a merchant can act on.
	GatewayMessage string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// NextCheckAt is when the reconciler asks Latipay about a pending
	// refund; zero once the refund is final.
	NextCheckAt time.Time
	Checks      int // how many times the reconciler asked
}

// ErrRefundRejected is Latipay refusing a refund.
var ErrRefundRejected = errors.New("payments: gateway refused the refund")

// RefundError is Latipay's refusal of a refund, in words a merchant can
// act on: the Gateway builds it from Latipay's code. It matches
// ErrRefundRejected. Nothing was refunded.
type RefundError struct {
	RefundID string // the refused refund; "" when the Gateway builds it
	Code     int
	Message  string // e.g. "code 556: Latipay could not create the refund: ..."
}

func (e *RefundError) Error() string { return "payments: gateway refused the refund: " + e.Message }

// Is makes errors.Is(err, ErrRefundRejected) true.
func (e *RefundError) Is(target error) bool { return target == ErrRefundRejected }

// RefundTooLargeError is a refund of more than can still be refunded,
// saying how much can: Left is what was paid less what was refunded and
// what refunds waiting for Latipay's answer hold (Pending). It matches
// ErrRefundTooLarge.
type RefundTooLargeError struct {
	Left     int64 // minor units that can still be refunded; 0 for none
	Pending  int64 // minor units held by refunds still pending
	Currency Currency
}

func (e *RefundTooLargeError) Error() string {
	switch {
	case e.Left > 0:
		return fmt.Sprintf("%v: only %s %s can still be refunded", ErrRefundTooLarge, FormatAmount(e.Left, e.Currency), e.Currency)
	case e.Pending > 0:
		return fmt.Sprintf("%v: %s %s left is held by refunds still pending", ErrRefundTooLarge, FormatAmount(e.Pending, e.Currency), e.Currency)
	}
	return fmt.Sprintf("%v: already fully refunded", ErrRefundTooLarge)
}

// Is makes errors.Is(err, ErrRefundTooLarge) true, and errors.Is(err,
// ErrRefundPending) too when nothing is left only because pending refunds
// hold it: that refusal is temporary.
func (e *RefundTooLargeError) Is(target error) bool {
	return target == ErrRefundTooLarge || target == ErrRefundPending && e.Waiting()
}

// Waiting reports whether nothing can be refunded now only because
// refunds still waiting for Latipay's answer hold what is left: once one
// fails, its amount can be refunded again.
func (e *RefundTooLargeError) Waiting() bool { return e.Left <= 0 && e.Pending > 0 }

// NotPaidError is a refund of a payment that was never paid (or whose
// Latipay payment is not known): only a paid payment can be refunded.
// It matches ErrNotRefundable.
type NotPaidError struct {
	Status Status // the payment's status
}

func (e *NotPaidError) Error() string {
	return fmt.Sprintf("%v: it is %s; only a paid payment can be refunded", ErrNotRefundable, e.Status)
}

// Is makes errors.Is(err, ErrNotRefundable) true.
func (e *NotPaidError) Is(target error) bool { return target == ErrNotRefundable }

// refundData is what refund events carry in Event.Data.
type refundData struct {
	ID     string   `json:"id"`
	Amount int64    `json:"amount"`
	Reason string   `json:"reason,omitempty"`
	Code   int      `json:"code,omitempty"` // Latipay's code, on failure
	Msg    *Message `json:"msg,omitempty"`
}

// MaxReasonLen is the most characters (runes) a refund's reason may have;
// a longer one is refused, not cut.
const MaxReasonLen = 200

// refundTimeout bounds one refund call to Latipay.
const refundTimeout = 35 * time.Second

// refundRecheck is how long a new pending refund waits before the
// reconciler asks about it (in case this process stops before it has
// Latipay's answer): longer than a refund call may take, so a request
// still waiting for Latipay's answer is not repeated under its feet.
const refundRecheck = 2 * refundTimeout

// refundRetry is how long a pending refund whose answer was lost waits
// before the reconciler asks again, after n checks: 10 s, doubling, at
// most 15 minutes. It never gives up: the amount stays reserved until
// Latipay answers.
func refundRetry(n int) time.Duration {
	if n >= 7 {
		return 15 * time.Minute
	}
	return min(10*time.Second<<n, 15*time.Minute)
}

// Refund returns money of a paid payment through Latipay, in full or in
// part, never more than was paid and not yet refunded. Parallel refunds
// of one payment reserve their amounts one at a time under the payment's
// lock, so each answer is the truth: succeeded (Latipay made it), a
// *RefundError (Latipay refused it; its amount is free again),
// a *RefundTooLargeError (ErrRefundTooLarge) saying how much is left,
// ErrGatewayUnavailable when nothing was sent (the refund is recorded
// failed and its key released: a retry with the same key tries again), or a
// refund still pending with a nil error when Latipay's answer was lost:
// its amount stays reserved and the reconciler completes or releases it.
// With a key it is idempotent: a repeat returns the same refund (replayed
// true), and a repeat of a pending refund asks Latipay again under the
// same note; only a refund recorded failed before anything reached
// Latipay releases its key (nothingSent), so a repeat really tries again.
// A payment not paid is a *NotPaidError (ErrNotRefundable). Once the
// input is checked, ctx's end does not stop it: a merchant's client that
// hangs up does not cut the call to Latipay.
func (s *Service) Refund(ctx context.Context, in RefundInput) (r Refund, replayed bool, err error) {
	if _, err := s.Get(ctx, in.PaymentID); err != nil {
		return Refund{}, false, err
	}
	switch {
	case in.All && in.Amount != "":
		return Refund{}, false, &ValidationError{Problems: []string{"a refund of everything left takes no amount"}}
	case !in.All && in.Amount == "":
		return Refund{}, false, &ValidationError{Problems: []string{`amount must not be empty: give an amount such as "5.00", or ask for everything left`}}
	}
	// A refund of everything hashes as "" did when "" meant everything,
	// so a repeat of such a request with its key still replays.
	var keyHash, reqHash string
	if in.Key != "" {
		keyHash, reqHash = sum(in.Key), sum(in.Amount+"\x00"+in.Reason)
	}
	if utf8.RuneCountInString(in.Reason) > MaxReasonLen {
		return Refund{}, false, &ValidationError{Problems: []string{tooLong("reason", MaxReasonLen)}}
	}
	reason := cleanText(in.Reason)
	// From here the refund runs to its end whether or not the caller is
	// still waiting: a client that hangs up mid-call must not cut the call
	// to Latipay (each has its own timeout) and leave the refund pending
	// until the reconciler's check, nor keep its outcome from being
	// recorded.
	ctx = context.WithoutCancel(ctx)
	id, err := newRefundID(s.rand)
	if err != nil {
		return Refund{}, false, err
	}
	_, err = s.update(ctx, in.PaymentID, func(tx *Tx) error {
		r, replayed = Refund{}, false
		if keyHash != "" {
			if old := tx.refund(func(x Refund) bool { return x.KeyHash == keyHash }); old != nil {
				if old.RequestHash != reqHash {
					return ErrIdempotencyReuse
				}
				r, replayed = *old, true
				return nil
			}
		}
		amount, err := refundAmount(tx, in.Amount, in.All)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		r = Refund{ID: id, PaymentID: tx.Payment.ID, Amount: amount, Currency: tx.Payment.Currency,
			Status: RefundPending, Reason: reason, KeyHash: keyHash, RequestHash: reqHash,
			CreatedAt: now, UpdatedAt: now, NextCheckAt: now.Add(refundRecheck)}
		tx.Payment.Refunded += amount
		tx.Payment.UpdatedAt = now
		tx.putRefund(r)
		tx.event(refundEvent("refund.requested", tx.Payment, r, refundData{ID: id, Amount: amount, Reason: reason}, now))
		return nil
	})
	if err != nil {
		return Refund{}, false, err
	}
	switch r.Status {
	case RefundFailed:
		return r, replayed, refusal(r)
	case RefundSucceeded:
		return r, replayed, nil
	}
	r, err = s.sendRefund(ctx, r, replayed)
	return r, replayed, err
}

// Why a refund failed before it reached Latipay (GatewayCode 0).
const (
	msgNoOrderID    = "Latipay could not be asked for the order to refund; nothing was refunded"
	msgNotPaidThere = "Latipay does not report this payment as paid; nothing was refunded"
	msgNotReached   = "Latipay could not be reached; nothing was refunded"
)

// nothingSent reports whether a refund failed with code and msg never
// reached Latipay's refund call (Latipay could not be reached, or asked
// for the order first): no money can have moved, so its Idempotency-Key
// is released (finishRefund) and a retry with the same key really tries
// again. A refund Latipay refused, or one whose outcome is unknown,
// keeps its key and replays.
func nothingSent(code int, msg string) bool {
	return code == 0 && (msg == msgNotReached || msg == msgNoOrderID)
}

// refusal is the error a failed refund is answered with.
func refusal(r Refund) error {
	switch {
	case r.GatewayCode == 0 && r.GatewayMessage == msgNotPaidThere:
		return fmt.Errorf("%w: refund %s was not sent: %s", ErrNotRefundable, r.ID, r.GatewayMessage)
	case r.GatewayCode == 0:
		return fmt.Errorf("%w: refund %s was not sent: %s", ErrGatewayUnavailable, r.ID, r.GatewayMessage)
	}
	msg := r.GatewayMessage
	if msg == "" {
		msg = fmt.Sprintf("code %d", r.GatewayCode)
	}
	return &RefundError{RefundID: r.ID, Code: r.GatewayCode, Message: msg}
}

// refundAmount parses text (all: everything that is left) and checks it
// against what tx's payment has left to refund: a *RefundTooLargeError
// says how much that is.
func refundAmount(tx *Tx, text string, all bool) (int64, error) {
	p := tx.Payment
	if !p.Status.Settled() || p.LatipayReference == "" {
		return 0, &NotPaidError{Status: p.Status}
	}
	left := max(p.Amount-p.Refunded, 0)
	tooLarge := func() error {
		var pending int64
		for _, r := range tx.Refunds {
			if r.Status == RefundPending {
				pending += r.Amount
			}
		}
		return &RefundTooLargeError{Left: left, Pending: pending, Currency: p.Currency}
	}
	if all {
		if left <= 0 {
			return 0, tooLarge()
		}
		return left, nil
	}
	amount, err := ParseAmount(text, p.Currency)
	if err != nil {
		return 0, &ValidationError{Problems: []string{strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")}}
	}
	if amount > left {
		return 0, tooLarge()
	}
	return amount, nil
}

// sendRefund asks Latipay for the pending refund r and records the
// outcome once. maybeSent says an earlier try may have reached Latipay.
// An unknown outcome (timeout, unreadable answer) leaves r pending for the
// reconciler.
func (s *Service) sendRefund(ctx context.Context, r Refund, maybeSent bool) (Refund, error) {
	orderID, err := s.confirmedOrderID(ctx, r.PaymentID)
	if err != nil {
		if maybeSent || !errors.Is(err, ErrNotRefundable) && !errors.Is(err, ErrGatewayUnavailable) {
			return s.stillPending(ctx, r, err)
		}
		// Nothing reached Latipay: free the amount and say so.
		msg := msgNoOrderID
		if errors.Is(err, ErrNotRefundable) {
			msg = msgNotPaidThere
		}
		s.log.Warn("refund not sent: the order id could not be confirmed", "payment_id", r.PaymentID, "refund_id", r.ID, "err", err)
		return s.finishRefund(ctx, r, false, 0, msg)
	}
	gctx, cancel := context.WithTimeout(forPayment(ctx, r.PaymentID), refundTimeout)
	err = s.gw.Refund(gctx, orderID, r.Amount, r.Currency, r.ID)
	cancel()
	var re *RefundError
	switch {
	case err == nil:
		return s.finishRefund(ctx, r, true, 0, "")
	case errors.As(err, &re):
		return s.finishRefund(ctx, r, false, re.Code, re.Message)
	case errors.Is(err, ErrGatewayNotReached) && !maybeSent:
		// The connection was never made, and no earlier try may have
		// reached Latipay: nothing can have been refunded there.
		s.log.Warn("refund not sent: Latipay could not be reached", "payment_id", r.PaymentID, "refund_id", r.ID, "err", err)
		return s.finishRefund(ctx, r, false, 0, msgNotReached)
	}
	return s.stillPending(ctx, r, err)
}

// stillPending answers a refund whose outcome is unknown with the refund,
// pending and no error: that is the truth. It stays pending, so its
// amount stays reserved, and the reconciler asks Latipay again from
// NextCheckAt on.
func (s *Service) stillPending(ctx context.Context, r Refund, cause error) (Refund, error) {
	s.log.Warn("refund outcome unknown; it stays pending until the reconciler resolves it",
		"payment_id", r.PaymentID, "refund_id", r.ID, "err", cause)
	_, err := s.update(ctx, r.PaymentID, func(tx *Tx) error {
		cur := tx.refund(func(x Refund) bool { return x.ID == r.ID })
		if cur == nil || cur.Status != RefundPending {
			return nil
		}
		now := s.now().UTC()
		cur.NextCheckAt, cur.UpdatedAt = now.Add(refundRetry(cur.Checks)), now
		cur.Checks++
		tx.putRefund(*cur)
		return nil
	})
	if err != nil {
		s.log.Error("refund: could not reschedule the check", "refund_id", r.ID, "err", err)
	}
	return r, nil
}

// finishRefund records the final outcome of r once: succeeded, or failed
// with its amount released (and, when nothing was sent, its
// Idempotency-Key: nothingSent). Whoever records first wins; later
// callers get what was recorded.
func (s *Service) finishRefund(ctx context.Context, r Refund, succeeded bool, code int, msg string) (Refund, error) {
	var out Refund
	_, err := s.update(ctx, r.PaymentID, func(tx *Tx) error {
		cur := tx.refund(func(x Refund) bool { return x.ID == r.ID })
		if cur == nil {
			return fmt.Errorf("payments: refund %s vanished", r.ID)
		}
		out = *cur
		if cur.Status != RefundPending {
			return nil // recorded first by another request or the reconciler
		}
		now := s.now().UTC()
		out.UpdatedAt, out.NextCheckAt = now, time.Time{}
		which := Message{Refund: out.ID, Amount: out.Amount, Currency: out.Currency}
		if succeeded {
			out.Status = RefundSucceeded
			tx.putRefund(out)
			tx.event(refundEvent("refund.succeeded", tx.Payment, out, refundData{ID: out.ID, Amount: out.Amount}, now))
			s.followRefunds(tx, which, true)
			return nil
		}
		out.Status, out.GatewayCode, out.GatewayMessage = RefundFailed, code, msg
		if nothingSent(code, msg) {
			out.KeyHash, out.RequestHash = "", ""
		}
		tx.putRefund(out)
		tx.Payment.Refunded -= out.Amount
		tx.Payment.UpdatedAt = now
		tx.event(refundEvent("refund.failed", tx.Payment, out, refundData{ID: out.ID, Amount: out.Amount, Code: code}, now))
		s.followRefunds(tx, which, false)
		return nil
	})
	if err != nil {
		return r, err
	}
	switch out.Status {
	case RefundFailed:
		return out, refusal(out)
	case RefundPending: // cannot happen: finishRefund only moves it on
		return out, fmt.Errorf("%w: refund %s is still pending", ErrGatewayUnavailable, out.ID)
	}
	return out, nil
}

// succeededRefunds is what the succeeded refunds of tx's payment add up
// to, in minor units. Pending ones are not in it: they are reserved in
// Payment.Refunded, but no money has left yet.
func succeededRefunds(tx *Tx) int64 {
	var n int64
	for _, r := range tx.Refunds {
		if r.Status == RefundSucceeded {
			n += r.Amount
		}
	}
	return n
}

// refundedStatus is the status a settled payment of amount has when its
// succeeded refunds add up to done: paid, partially refunded or refunded.
func refundedStatus(amount, done int64) Status {
	switch {
	case done <= 0:
		return StatusPaid
	case done < amount:
		return StatusPartiallyRefunded
	}
	return StatusRefunded
}

// followRefunds sets the status of tx's settled payment to what its
// succeeded refunds say, whatever is still pending: a refund moves the
// status only once Latipay made it, so a refund that then fails never
// leaves a status behind that no money backs. success says a refund has
// just succeeded: every partial refund that succeeds is its own
// payment.partially_refunded event, as before. A status ahead of the
// succeeded refunds (recorded while the status still counted pending
// refunds) is put back when a refund it counted fails, with the event of
// the status it returns to, so webhooks hear the correction. m names the
// refund (its id and amount); the code is chosen here, except for
// MsgCorrectedEarlier, which says why on its own.
func (s *Service) followRefunds(tx *Tx, m Message, success bool) {
	from := tx.Payment.Status
	if !from.Settled() {
		return
	}
	to := refundedStatus(tx.Payment.Amount, succeededRefunds(tx))
	if to == from && !(success && to == StatusPartiallyRefunded) {
		return
	}
	earlier := m.Code == MsgCorrectedEarlier
	if !earlier {
		m.Code = MsgRefundMoved
		if !success {
			m.Code = MsgRefundFailedMoved
		}
	}
	if s.transition(tx, to, m) {
		return
	}
	if to == from {
		return
	}
	// Back, the one way the graph does not go forward: the status had
	// counted a refund that has now failed.
	now := s.now().UTC()
	tx.Payment.Status, tx.Payment.UpdatedAt = to, now
	if !earlier {
		m.Code = MsgCorrectedSucceeded
		if !success {
			m.Code = MsgCorrectedRefundFails
		}
	}
	tx.event(Event{Type: "payment." + string(to), From: from, To: to, Detail: m.English(), Data: m.data(), CreatedAt: now})
	s.log.Warn("payment status corrected to its succeeded refunds", "payment_id", tx.Payment.ID, "from", from, "to", to)
}

// Refunds lists the refunds of payment id, oldest first, or ErrNotFound:
// what a merchant polls for a refund's outcome.
func (s *Service) Refunds(ctx context.Context, id string) ([]Refund, error) {
	if !ValidPaymentID(id) {
		return nil, ErrNotFound
	}
	if _, err := s.store.Payment(ctx, id); err != nil {
		return nil, err
	}
	return s.store.Refunds(ctx, id)
}

// RefundTotals splits what a payment's refunds hold (Payment.Refunded)
// into the money Latipay has returned (Succeeded) and what refunds still
// waiting for Latipay's answer reserve (Pending). Everything that tells
// someone how much was refunded reports Succeeded, the figure the status
// and the reports follow; Pending is only ever shown as pending.
type RefundTotals struct {
	Succeeded int64 // minor units
	Pending   int64 // minor units
}

// SumRefunds totals the refunds of p from its event log evs: what the
// refund.succeeded events add up to is Succeeded, the rest of
// p.Refunded is Pending. Events read after p may already count a refund
// that p does not: Succeeded never exceeds p.Refunded.
func SumRefunds(p Payment, evs []Event) RefundTotals {
	if p.Refunded <= 0 {
		return RefundTotals{}
	}
	n := min(succeededIn(evs), p.Refunded)
	return RefundTotals{Succeeded: n, Pending: p.Refunded - n}
}

// RefundTotals is SumRefunds for p, read from its event log; a payment
// with nothing refunded costs no read.
func (s *Service) RefundTotals(ctx context.Context, p Payment) (RefundTotals, error) {
	if p.Refunded <= 0 {
		return RefundTotals{}, nil
	}
	evs, err := s.store.Events(ctx, p.ID)
	if err != nil {
		return RefundTotals{}, err
	}
	return SumRefunds(p, evs), nil
}

// RefundTotalsOf is RefundTotals for each of ps (at most MaxEventsOf),
// by payment id, read in one query for the lot: a page of the API's
// list costs one read for its refunds, however many of its payments
// were refunded, and none when none was. A payment with nothing
// refunded has the zero RefundTotals.
func (s *Service) RefundTotalsOf(ctx context.Context, ps []Payment) (map[string]RefundTotals, error) {
	out := make(map[string]RefundTotals, len(ps))
	var ids []string
	for _, p := range ps {
		out[p.ID] = RefundTotals{}
		if p.Refunded > 0 {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	evs, err := s.store.EventsOfType(ctx, ids, "refund.succeeded")
	if err != nil {
		return nil, err
	}
	byPayment := make(map[string][]Event, len(ids))
	for _, e := range evs {
		byPayment[e.PaymentID] = append(byPayment[e.PaymentID], e)
	}
	for _, p := range ps {
		if p.Refunded > 0 {
			out[p.ID] = SumRefunds(p, byPayment[p.ID])
		}
	}
	return out, nil
}

// CorrectRefundStatuses puts back, once, every status an earlier version
// recorded by counting pending refunds (refunded while only a part had
// succeeded, partially refunded with none succeeded) and that no refund
// still pending will correct: each to what its succeeded refunds say,
// with the event followRefunds writes, so webhooks hear it. It returns
// how many it corrected; Run calls it as it starts. Correct statuses cost
// one query; it is safe on several instances at once.
func (s *Service) CorrectRefundStatuses(ctx context.Context) (int, error) {
	n := 0
	for {
		ids, err := s.store.MisstatedRefunds(ctx, 100)
		if err != nil {
			return n, fmt.Errorf("payments: correct refund statuses: %w", err)
		}
		fixed := 0
		for _, id := range ids {
			_, err := s.update(ctx, id, func(tx *Tx) error {
				from := tx.Payment.Status
				s.followRefunds(tx, Message{Code: MsgCorrectedEarlier}, false)
				if tx.Payment.Status != from {
					fixed++
				}
				return nil
			})
			if err != nil {
				return n, fmt.Errorf("payments: correct refund status of %s: %w", id, err)
			}
		}
		n += fixed
		// A pass that moved none would only come back with the same ids.
		if len(ids) < 100 || fixed == 0 {
			return n, nil
		}
	}
}

// SucceededRefunds is what the succeeded refunds of payment id add up
// to, in minor units: Payment.Refunded less what refunds still pending
// hold, the refunds the back office's reports count. It reads the
// payment's events, so callers ask only about payments with Refunded > 0.
func (s *Service) SucceededRefunds(ctx context.Context, id string) (int64, error) {
	evs, err := s.Events(ctx, id)
	if err != nil {
		return 0, err
	}
	return succeededIn(evs), nil
}

// succeededIn is what the refund.succeeded events among evs add up to.
func succeededIn(evs []Event) int64 {
	var n int64
	for _, e := range evs {
		var d refundData
		if e.Type == "refund.succeeded" && json.Unmarshal([]byte(e.Data), &d) == nil {
			n += d.Amount
		}
	}
	return n
}

// confirmedOrderID returns Latipay's order id for the paid attempt of
// payment id, as Latipay itself gave it: from the signed QR data of a
// merchant-hosted attempt, or else from asking Latipay now (the answer to
// our own query), which is then stored. It never comes from a
// notification or a redirect, whose senders choose it freely.
func (s *Service) confirmedOrderID(ctx context.Context, id string) (string, error) {
	p, err := s.store.Payment(ctx, id)
	if err != nil {
		return "", err
	}
	if p.LatipayOrderID != "" {
		return p.LatipayOrderID, nil
	}
	qctx, cancel := context.WithTimeout(forPayment(ctx, id), 15*time.Second)
	res, err := s.gw.Query(qctx, p.LatipayReference)
	cancel()
	if err != nil {
		return "", fmt.Errorf("%w: confirm the order id: %w", ErrGatewayUnavailable, err)
	}
	if res.Reference != p.LatipayReference || res.Status != "paid" || res.OrderID == "" {
		return "", fmt.Errorf("%w: Latipay says %s is %s", ErrNotRefundable, p.LatipayReference, res.Status)
	}
	p, err = s.update(ctx, id, func(tx *Tx) error {
		s.apply(tx, res, "query", nil)
		return nil
	})
	if err != nil {
		return "", err
	}
	if p.LatipayOrderID == "" {
		return "", fmt.Errorf("%w: no order id for %s", ErrNotRefundable, p.LatipayReference)
	}
	return p.LatipayOrderID, nil
}

// ReconcileRefunds asks Latipay about every pending refund whose check is
// due, by sending it again under the same note: Latipay makes it if the
// first try never arrived, answers that it is already done if it did, or
// refuses it, and the outcome is recorded. It returns how many refunds it
// looked at. It is safe to run on several instances at once: refunds are
// claimed.
func (s *Service) ReconcileRefunds(ctx context.Context, limit int) (int, error) {
	due, err := s.store.ClaimDueRefunds(ctx, s.now().UTC(), refundRecheck, limit)
	if err != nil {
		return 0, fmt.Errorf("payments: reconcile refunds: %w", err)
	}
	for _, r := range due {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if _, err := s.sendRefund(ctx, r, true); err != nil && !errors.Is(err, ErrRefundRejected) {
			s.log.Error("reconcile: refund", "refund_id", r.ID, "err", err)
		}
	}
	return len(due), nil
}

// refundEvent is the event typ (refund.requested, refund.succeeded or
// refund.failed, which are also their message codes) of refund r.
func refundEvent(typ string, p Payment, r Refund, d refundData, now time.Time) Event {
	d.Msg = &Message{Code: typ, Refund: r.ID, Amount: r.Amount, Currency: r.Currency, GatewayCode: d.Code}
	b, _ := json.Marshal(d)
	return Event{Type: typ, From: p.Status, To: p.Status, Detail: d.Msg.English(), Data: string(b), CreatedAt: now}
}

// newRefundID makes a refund id: "rf_" and 128 random bits.
func newRefundID(r io.Reader) (string, error) {
	s, err := random16(r)
	return "rf_" + strings.ToLower(s), err
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
