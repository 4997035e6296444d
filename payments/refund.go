package payments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// RefundStatus is where one refund stands.
type RefundStatus string

// Refund statuses. A pending refund was sent to Latipay (or is about to
// be) and its outcome is not known yet; its amount is already counted in
// Payment.Refunded, so no other refund can spend it.
const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
	RefundFailed    RefundStatus = "failed"
)

// RefundInput is a merchant asking for money back for a paid payment.
type RefundInput struct {
	PaymentID string
	Amount    string // decimal text; "" refunds everything not yet refunded
	Reason    string // optional, for the event log
	Key       string // Idempotency-Key; "" for none
}

// Refund is one refund of a payment. Its ID is also the reference sent
// to Latipay, which refuses a repeat of the same order, reference and
// amount (code 562): so a retried refund never pays out twice.
type Refund struct {
	ID          string // "rf_" + 26 characters
	PaymentID   string
	Amount      int64 // minor units
	Currency    Currency
	Status      RefundStatus
	Reason      string
	GatewayCode int // Latipay's code when failed
	CreatedAt   time.Time
}

// ErrRefundRejected is Latipay refusing a refund (its codes 550 to 562).
var ErrRefundRejected = errors.New("payments: gateway refused the refund")

// RefundError is Latipay's refusal of a refund, in words a merchant can
// act on. It matches ErrRefundRejected.
type RefundError struct {
	Code    int
	Message string
}

func (e *RefundError) Error() string { return "payments: gateway refused the refund: " + e.Message }

// Is makes errors.Is(err, ErrRefundRejected) true.
func (e *RefundError) Is(target error) bool { return target == ErrRefundRejected }

// refundCodeText explains Latipay's refund codes (latipay-v2.md §9).
var refundCodeText = map[int]string{
	550: "the refund's parameters are wrong",
	551: "Latipay has no such order",
	556: "Latipay could not create the refund: the order is not paid there, or the amount exceeds what is left to refund",
	558: "the refund order does not exist at Latipay",
	559: "the Latipay wallet holds too little to pay this refund",
	562: "Latipay has already done this refund",
}

func refundError(code int, msg string) *RefundError {
	if t, ok := refundCodeText[code]; ok {
		msg = t
	} else if msg == "" {
		msg = "no reason given"
	}
	return &RefundError{Code: code, Message: "code " + strconv.Itoa(code) + ": " + msg}
}

// refundData is what refund events carry in Event.Data.
type refundData struct {
	ID     string `json:"id"`
	Amount int64  `json:"amount"`
	Reason string `json:"reason,omitempty"`
	Key    string `json:"key,omitempty"`  // sha256 of the Idempotency-Key
	Hash   string `json:"hash,omitempty"` // sha256 of the request
	Code   int    `json:"code,omitempty"` // Latipay's code, on failure
}

// maxReasonLen caps a refund's reason.
const maxReasonLen = 200

// Refund returns money of a paid payment through Latipay, in full or in
// part, never more than was paid and not yet refunded. With a key it is
// idempotent: a repeat returns the first refund (replayed true), and a
// repeat of a refund whose outcome was unknown asks Latipay again under
// the same reference. A refund Latipay refused returns a *RefundError.
func (s *Service) Refund(ctx context.Context, in RefundInput) (r Refund, replayed bool, err error) {
	if _, err := s.Get(ctx, in.PaymentID); err != nil {
		return Refund{}, false, err
	}
	var keyHash, reqHash string
	if in.Key != "" {
		keyHash, reqHash = sum(in.Key), sum(in.Amount+"\x00"+in.Reason)
	}
	reason := cleanText(in.Reason, maxReasonLen)
	id, err := newRefundID(s.rand)
	if err != nil {
		return Refund{}, false, err
	}
	var resume bool
	p, err := s.updateWithEvents(ctx, in.PaymentID, func(tx *Tx, evs []Event) error {
		r, replayed, resume = Refund{}, false, false
		if keyHash != "" {
			if old, d, ok := findRefund(evs, func(d refundData) bool { return d.Key == keyHash }); ok {
				if d.Hash != reqHash {
					return ErrIdempotencyReuse
				}
				r, replayed, resume = old, true, old.Status == RefundPending
				return nil
			}
		}
		amount, err := refundAmount(tx.Payment, in.Amount)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		r = Refund{ID: id, PaymentID: tx.Payment.ID, Amount: amount, Currency: tx.Payment.Currency,
			Status: RefundPending, Reason: reason, CreatedAt: now}
		tx.Payment.Refunded += amount
		tx.Payment.UpdatedAt = now
		tx.event(refundEvent("refund.requested", tx.Payment, r, refundData{ID: id, Amount: amount,
			Reason: reason, Key: keyHash, Hash: reqHash}, now))
		return nil
	})
	if err != nil {
		return Refund{}, false, err
	}
	switch {
	case replayed && r.Status == RefundFailed:
		return r, true, refundError(r.GatewayCode, "")
	case replayed && !resume:
		return r, true, nil
	}
	r, err = s.sendRefund(ctx, p, r, resume)
	return r, replayed, err
}

// refundAmount parses text ("" for all that is left) and checks it
// against what p has left to refund.
func refundAmount(p Payment, text string) (int64, error) {
	if !p.Status.Settled() || p.LatipayOrderID == "" {
		return 0, ErrNotRefundable
	}
	left := p.Amount - p.Refunded
	if text == "" {
		if left <= 0 {
			return 0, ErrRefundTooLarge
		}
		return left, nil
	}
	amount, err := ParseAmount(text, p.Currency)
	if err != nil {
		return 0, &ValidationError{Problems: []string{strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")}}
	}
	if amount > left {
		return 0, ErrRefundTooLarge
	}
	return amount, nil
}

// sendRefund asks Latipay for the refund and records the outcome once. An
// unknown outcome (timeout, unreadable answer) leaves it pending.
func (s *Service) sendRefund(ctx context.Context, p Payment, r Refund, resumed bool) (Refund, error) {
	gctx, cancel := context.WithTimeout(ctx, 35*time.Second)
	err := s.gw.Refund(gctx, p.LatipayOrderID, r.Amount, r.Currency, r.ID)
	cancel()
	var ge *GatewayError
	rejected := errors.As(err, &ge)
	if err != nil && !rejected {
		s.log.Warn("refund outcome unknown; it stays pending", "payment_id", p.ID, "refund_id", r.ID, "err", err)
		return r, fmt.Errorf("%w: refund %s: outcome unknown, repeat the request with the same Idempotency-Key: %w",
			ErrGatewayUnavailable, r.ID, err)
	}
	// 562 answers a repeat of a refund Latipay already made: ours, when
	// an earlier try's answer was lost.
	done := err == nil || (resumed && ge.Code == 562)
	_, err = s.updateWithEvents(ctx, p.ID, func(tx *Tx, evs []Event) error {
		if cur, _, ok := findRefund(evs, func(d refundData) bool { return d.ID == r.ID }); !ok || cur.Status != RefundPending {
			return nil // another request recorded the outcome first
		}
		now := s.now().UTC()
		if done {
			tx.event(refundEvent("refund.succeeded", tx.Payment, r, refundData{ID: r.ID, Amount: r.Amount}, now))
			to := StatusPartiallyRefunded
			if tx.Payment.Refunded >= tx.Payment.Amount {
				to = StatusRefunded
			}
			s.transition(tx, to, fmt.Sprintf("%s %s %s", r.ID, FormatAmount(r.Amount, r.Currency), r.Currency))
			return nil
		}
		tx.Payment.Refunded -= r.Amount
		tx.Payment.UpdatedAt = now
		tx.event(refundEvent("refund.failed", tx.Payment, r, refundData{ID: r.ID, Amount: r.Amount, Code: ge.Code}, now))
		return nil
	})
	if err != nil {
		return r, err
	}
	if done {
		r.Status = RefundSucceeded
		return r, nil
	}
	r.Status, r.GatewayCode = RefundFailed, ge.Code
	return r, refundError(ge.Code, ge.Message)
}

func refundEvent(typ string, p Payment, r Refund, d refundData, now time.Time) Event {
	b, _ := json.Marshal(d)
	detail := fmt.Sprintf("%s %s %s", r.ID, FormatAmount(r.Amount, r.Currency), r.Currency)
	if d.Code != 0 {
		detail += fmt.Sprintf(" (Latipay code %d)", d.Code)
	}
	return Event{Type: typ, From: p.Status, To: p.Status, Detail: detail, Data: string(b), CreatedAt: now}
}

// findRefund finds the refund whose request matches, with its status
// from the later events.
func findRefund(evs []Event, match func(refundData) bool) (Refund, refundData, bool) {
	var r Refund
	var req refundData
	found := false
	for _, e := range evs {
		var d refundData
		if e.Data == "" || json.Unmarshal([]byte(e.Data), &d) != nil {
			continue
		}
		switch {
		case e.Type == "refund.requested" && !found && match(d):
			found, req = true, d
			r = Refund{ID: d.ID, PaymentID: e.PaymentID, Amount: d.Amount, Status: RefundPending,
				Reason: d.Reason, CreatedAt: e.CreatedAt}
		case found && d.ID == r.ID && e.Type == "refund.succeeded":
			r.Status = RefundSucceeded
		case found && d.ID == r.ID && e.Type == "refund.failed":
			r.Status, r.GatewayCode = RefundFailed, d.Code
		}
	}
	return r, req, found
}

// errStale means the payment changed between reading its events and
// locking it.
var errStale = errors.New("payments: payment changed meanwhile")

// updateWithEvents is update for decisions that depend on the event log,
// which the Tx does not hold: it reads the log, then applies fn only if
// the payment has not moved since (every change bumps Version), retrying
// a few times otherwise.
func (s *Service) updateWithEvents(ctx context.Context, id string, fn func(tx *Tx, evs []Event) error) (Payment, error) {
	for range 5 {
		p, err := s.store.Payment(ctx, id)
		if err != nil {
			return Payment{}, err
		}
		evs, err := s.store.Events(ctx, id)
		if err != nil {
			return Payment{}, err
		}
		out, err := s.update(ctx, id, func(tx *Tx) error {
			if tx.Payment.Version != p.Version {
				return errStale
			}
			return fn(tx, evs)
		})
		if !errors.Is(err, errStale) {
			return out, err
		}
	}
	return Payment{}, ErrConflict
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
