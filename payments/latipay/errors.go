package latipay

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode"
)

// Sentinel errors. Callers branch on these with errors.Is, never on error text.
var (
	// ErrBadSignature reports a signature that is missing, not hex, or does
	// not match the message, or a signed response that answers a different
	// request than the one sent.
	ErrBadSignature = errors.New("latipay: bad signature")
	// ErrMalformed reports a response, notification or redirect that is
	// syntactically JSON or form data but is missing fields, has duplicate
	// or wrongly typed fields, or fails the strict field grammar.
	ErrMalformed = errors.New("latipay: malformed message")
	// ErrUnavailable reports a transport failure: network error, timeout,
	// cancelled context, non-200 HTTP status, an over-long body or a body
	// that is not JSON. The outcome of the call is unknown.
	ErrUnavailable = errors.New("latipay: service unavailable")
	// ErrNotSent reports a transport failure that provably happened before
	// any byte of the request was written: the connection was never made
	// (refused, no route, the name did not resolve). It also matches
	// ErrUnavailable. Latipay cannot have acted on such a request.
	ErrNotSent = errors.New("latipay: request never sent")
	// ErrInvalidRequest reports a request the client refused to send
	// because an argument fails validation. Nothing reached Latipay.
	ErrInvalidRequest = errors.New("latipay: invalid request")

	// ErrOrderNotExist matches an *APIError with code 201.
	ErrOrderNotExist = errors.New("latipay: order does not exist")
	// ErrAlreadyPaid matches an *APIError with code 900, which cancel
	// returns for a transaction that already completed successfully.
	ErrAlreadyPaid = errors.New("latipay: transaction already paid")
	// ErrAlreadyFailed matches an *APIError with code 901, which cancel
	// returns for a transaction that already failed.
	ErrAlreadyFailed = errors.New("latipay: transaction already failed")
)

// APIError is a well-formed Latipay answer whose code is not 0.
// Latipay answers HTTP 200 for these, so they are not transport failures.
type APIError struct {
	Op      string // "create", "query", "gateway data", "refund", "cancel" or "barcode"
	Code    int    // Latipay's code, never 0
	Message string // Latipay's message, sanitised and capped; may be empty
}

// Error returns a lowercase description such as
// "latipay: create: code 206: signature from merchant request is wrong".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("latipay: ")
	if e.Op != "" {
		b.WriteString(e.Op + ": ")
	}
	b.WriteString("code " + strconv.Itoa(e.Code) + ": ")
	msg := e.Message
	if msg == "" {
		msg = CodeText(e.Code)
	}
	if msg == "" {
		msg = "unknown error"
	}
	b.WriteString(msg)
	return b.String()
}

// Is makes errors.Is(err, ErrOrderNotExist), ErrAlreadyPaid and
// ErrAlreadyFailed true for the matching codes.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrOrderNotExist:
		return e.Code == 201
	case ErrAlreadyPaid:
		return e.Code == 900
	case ErrAlreadyFailed:
		return e.Code == 901
	}
	return false
}

// codeTexts holds the English descriptions Latipay documents (package doc, Error codes).
var codeTexts = map[int]string{
	1:   "fail",
	3:   "data error",
	110: "user does not exist",
	201: "order not exist",
	204: "some input fields are null",
	205: "no key for this user, or user disabled or inactive",
	206: "signature from merchant request is wrong",
	207: "param is wrong",
	300: "gateway not exist",
	301: "wrong account info or currency info",
	302: "pay company not exist",
	303: "wrong pay type from merchant",
	304: "wallet does not support this payment method",
	305: "no margin plan for the merchant",
	450: "wallet not assigned to user",
	454: "exceeds the merchant's single-payment limit",
	550: "refund parameters wrong",
	551: "refund's order does not exist",
	556: "create refund order failed",
	558: "refund order does not exist",
	559: "insufficient amount in wallet",
	562: "refund request already done",
	900: "transaction already completed successfully",
	901: "transaction already failed",
}

// CodeText returns the documented English description of a Latipay error
// code, or "" for a code the documentation does not list.
func CodeText(code int) string { return codeTexts[code] }

// maxMessageLen caps the Latipay message kept in an APIError.
const maxMessageLen = 200

// newAPIError builds an *APIError. The message comes from the network, so
// it is stripped of control characters, capped, and scrubbed of the API
// key in case a faulty server echoes the request.
func newAPIError(op string, code int, msg, apiKey string) *APIError {
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, msg)
	if apiKey != "" { // after stripping, which could join a split key
		msg = strings.ReplaceAll(msg, apiKey, "[redacted]")
	}
	if len(msg) > maxMessageLen {
		cut := maxMessageLen
		for cut > 0 && !utf8RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut]
	}
	return &APIError{Op: op, Code: code, Message: strings.TrimSpace(msg)}
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// opError is a sentinel with the operation and detail that produced it.
// It unwraps to the sentinel and to the underlying cause, if any, so
// errors.Is(err, context.DeadlineExceeded) still works.
type opError struct {
	op       string
	sentinel error
	detail   string
	cause    error
	kind     string // FailureKind's word when the sentinel's is not precise enough
}

// FailureKind names the failure in a word from a fixed list, which a log
// line may hold (the error's text may quote what Latipay sent):
// bad_signature, malformed_answer, invalid_request, answer_not_json,
// answer_too_large, http_status, not_reached, timeout, canceled, network,
// unavailable.
func (e *opError) FailureKind() string {
	switch {
	case e.kind != "":
		return e.kind
	case e.sentinel == ErrBadSignature:
		return "bad_signature"
	case e.sentinel == ErrMalformed:
		return "malformed_answer"
	case e.sentinel == ErrInvalidRequest:
		return "invalid_request"
	case e.cause == nil:
		return "unavailable"
	case errors.Is(e.cause, ErrNotSent):
		return "not_reached"
	case errors.Is(e.cause, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(e.cause, context.Canceled):
		return "canceled"
	}
	return "network"
}

func (e *opError) Error() string {
	s := "latipay: " + e.op + ": " + strings.TrimPrefix(e.sentinel.Error(), "latipay: ")
	if e.detail != "" {
		s += ": " + e.detail
	}
	return s
}

func (e *opError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.sentinel}
	}
	return []error{e.sentinel, e.cause}
}

func errorf(op string, sentinel error, detail string) error {
	return &opError{op: op, sentinel: sentinel, detail: detail}
}

// kindErrorf is errorf with FailureKind's word.
func kindErrorf(op string, sentinel error, kind, detail string) error {
	return &opError{op: op, sentinel: sentinel, detail: detail, kind: kind}
}

// FailureKind of a well-formed refusal.
func (e *APIError) FailureKind() string { return "refused" }
