package payments

import (
	"errors"
	"fmt"
	"strings"
)

// Domain errors. Callers branch on these with errors.Is; handlers map them
// to HTTP statuses in one place.
var (
	ErrNotFound           = errors.New("payments: not found")
	ErrInvalid            = errors.New("payments: invalid input")
	ErrConflict           = errors.New("payments: conflict")              // e.g. an idempotent request still running
	ErrIdempotencyReuse   = errors.New("payments: idempotency key reuse") // same key, different request
	ErrNotPayable         = errors.New("payments: payment cannot be paid now")
	ErrTooManyAttempts    = errors.New("payments: too many attempts")
	ErrBadSignature       = errors.New("payments: bad signature")
	ErrMalformed          = errors.New("payments: malformed gateway message")
	ErrGatewayRejected    = errors.New("payments: gateway refused the request")
	ErrGatewayUnavailable = errors.New("payments: gateway unavailable")
	// ErrGatewayNotReached is a call that provably never reached the
	// gateway (the connection was never made): nothing can have happened
	// there. It comes with ErrGatewayUnavailable.
	ErrGatewayNotReached = errors.New("payments: gateway never reached")
	ErrStoreBusy         = errors.New("payments: database busy") // try again shortly: 503
	// ErrStoreWrite is a write the database's disk refused: full, an I/O
	// error, a file that cannot be written (the failures WriteHealth
	// reports). The transaction rolled back, so nothing of it was
	// recorded; it is the operator's to fix (free disk space), and the
	// same request may succeed later: 503.
	ErrStoreWrite     = errors.New("payments: the database's disk refused the write (full or failing)")
	ErrRefundTooLarge = errors.New("payments: refund exceeds the amount paid")
	// ErrRefundPending is a refund refused only for now: nothing is left
	// because refunds still waiting for Latipay's answer hold the rest,
	// and a pending refund that fails frees its amount again. Its
	// *RefundTooLargeError matches ErrRefundTooLarge too.
	ErrRefundPending = errors.New("payments: what is left is held by refunds still pending")
	ErrNotRefundable = errors.New("payments: payment is not refundable")
	// ErrShopperMayNotCancel is a shopper's cancel of a payment whose
	// merchant gave no cancel_url: only the merchant may cancel it.
	ErrShopperMayNotCancel = errors.New("payments: the shop did not let the shopper cancel this payment")
	// ErrTillSale is a shopper's public checkout action (choosing a
	// wallet, a fresh QR, a cancel) on a sale the counter made: the
	// cashier alone starts, switches and cancels it, at the counter.
	ErrTillSale = errors.New("payments: a counter sale is changed only at the counter")
)

// ValidationError lists every problem with a merchant's input, in words a
// person understands. It matches ErrInvalid.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "payments: invalid input: " + strings.Join(e.Problems, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// GatewayError carries the gateway's own code and message, for the merchant
// API and the logs, and for a code whose meaning is known its Reason (a
// Reason* kind), which the pages word in the reader's language; Message
// stays English. It matches ErrGatewayRejected.
type GatewayError struct {
	Code    int
	Message string
	Reason  string
}

func (e *GatewayError) Error() string {
	return "payments: gateway refused the request: " + e.Message
}

// Is makes errors.Is(err, ErrGatewayRejected) true.
func (e *GatewayError) Is(target error) bool { return target == ErrGatewayRejected }

// Gateway answers the service branches on. The Latipay adapter wraps
// Latipay's codes into these.
var (
	ErrUnknownAtGateway   = errors.New("payments: gateway does not know the transaction") // Latipay 201
	ErrCompletedAtGateway = errors.New("payments: gateway already completed the payment") // Latipay 900
	// ErrFailedAtGateway is a cancel Latipay refused because the
	// transaction had already failed there (Latipay 901): nothing was
	// paid. It comes with a *GatewayError.
	ErrFailedAtGateway = errors.New("payments: gateway already failed the payment")
)

// ErrPaidBeforeReplace is a start refused because Latipay said that the
// shopper had already paid a live attempt the new one would replace (its
// callback had not arrived): the payment is recorded paid as a callback
// would record it, and no new Latipay order is made. It matches
// ErrNotPayable; Start returns the payment as it now stands.
var ErrPaidBeforeReplace = fmt.Errorf("%w: the shopper had already paid the attempt a new one would replace", ErrNotPayable)

// ErrReplacedUnconfirmed is a start refused because Latipay could not say
// whether a live attempt the new one would replace was paid (not reached,
// no verifiable answer): no new Latipay order is made, since the shopper
// could then pay both. The reconciler keeps asking about the live
// attempt; the shopper waits for the page to change, or tries again. It
// matches ErrGatewayUnavailable.
var ErrReplacedUnconfirmed = fmt.Errorf("%w: Latipay could not confirm that the live attempt was unpaid", ErrGatewayUnavailable)
