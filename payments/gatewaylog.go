package payments

import (
	"context"
	"errors"
	"log/slog"
)

// loggedGateway logs each Latipay call that failed, one line each, so
// that an operator sees in the process log why shoppers got an error (a
// wrong signature, an answer that is not JSON, Latipay out of reach)
// rather than only the request lines. A line holds the endpoint, the
// payment (when the service named it: forPayment), the attempt's
// reference, the kind of failure and, for a refusal, Latipay's code:
// never the error's text, which may quote what Latipay sent, nor a key,
// a signature or a body. Answers the service acts on as answers (an
// attempt already paid or failed, on cancel) are not failures.
type loggedGateway struct {
	Gateway
	log *slog.Logger
}

// paymentKey carries the payment a gateway call is for (forPayment).
type paymentKey struct{}

// refundKey carries the refund a refund call is for.
type refundKey struct{}

// forPayment names payment id in ctx for the log line of a failed call.
func forPayment(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, paymentKey{}, id)
}

// failed logs err, the failure of a call to endpoint about reference.
func (g loggedGateway) failed(ctx context.Context, endpoint, reference string, err error) {
	if err == nil || errors.Is(err, ErrCompletedAtGateway) || errors.Is(err, ErrFailedAtGateway) {
		return
	}
	level, kind := slog.LevelWarn, "unavailable"
	attrs := []any{"endpoint", endpoint}
	if id, _ := ctx.Value(paymentKey{}).(string); id != "" {
		attrs = append(attrs, "payment_id", id)
	}
	if reference != "" {
		attrs = append(attrs, "reference", reference)
	}
	if id, _ := ctx.Value(refundKey{}).(string); id != "" {
		attrs = append(attrs, "refund_id", id)
	}
	var ge *GatewayError
	var re *RefundError
	switch {
	case errors.Is(err, ErrBadSignature):
		level, kind = slog.LevelError, "bad_signature"
	case errors.Is(err, ErrMalformed):
		level, kind = slog.LevelError, "malformed_answer"
	case errors.Is(err, ErrInvalid):
		level, kind = slog.LevelError, "invalid_request"
	case errors.Is(err, ErrGatewayNotReached):
		kind = "not_reached"
	case errors.Is(err, ErrGatewayUnavailable):
		kind = "unavailable"
		if errors.Is(err, context.DeadlineExceeded) {
			kind = "timeout"
		}
	case errors.Is(err, ErrUnknownAtGateway):
		kind = "unknown_transaction"
	case errors.As(err, &ge):
		kind = "refused"
		attrs = append(attrs, "code", ge.Code)
	case errors.As(err, &re):
		kind = "refund_refused"
		attrs = append(attrs, "code", re.Code)
	default:
		kind = "other"
	}
	// The gateway's own word for it, where it has one (Latipay's: a body
	// that is not JSON, an HTTP status, a timeout).
	var fk interface{ FailureKind() string }
	if errors.As(err, &fk) && fk.FailureKind() != "" {
		kind = fk.FailureKind()
	}
	if errors.Is(err, context.Canceled) {
		level = slog.LevelInfo // the caller went away (a shopper's closed page)
	}
	g.log.Log(ctx, level, "latipay call failed", append(attrs, "kind", kind)...)
}

func (g loggedGateway) Start(ctx context.Context, req StartRequest) (StartResult, error) {
	r, err := g.Gateway.Start(ctx, req)
	g.failed(ctx, "create", req.Reference, err)
	return r, err
}

func (g loggedGateway) Query(ctx context.Context, reference string) (GatewayResult, error) {
	r, err := g.Gateway.Query(ctx, reference)
	g.failed(ctx, "query", reference, err)
	return r, err
}

func (g loggedGateway) Cancel(ctx context.Context, reference string) error {
	err := g.Gateway.Cancel(ctx, reference)
	g.failed(ctx, "cancel", reference, err)
	return err
}

func (g loggedGateway) Barcode(ctx context.Context, req BarcodeRequest) (string, error) {
	id, err := g.Gateway.Barcode(ctx, req)
	g.failed(ctx, "barcode", req.Reference, err)
	return id, err
}

func (g loggedGateway) Refund(ctx context.Context, orderID string, amount int64, c Currency, note string) error {
	err := g.Gateway.Refund(ctx, orderID, amount, c, note)
	g.failed(context.WithValue(ctx, refundKey{}, note), "refund", "", err)
	return err
}
