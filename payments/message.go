package payments

import (
	"encoding/json"
	"fmt"
	"time"
)

// Message codes: what each event the domain writes says, as a stable
// code with its parameters (Message), so the back office can say it in
// the reader's language. The message is kept in Event.Data under "msg",
// beside what the event already carried there (a refund's id and amount,
// who canceled); Event.Detail stays the English sentence (Message.English)
// for logs, the API and webhooks, and is all that events recorded before
// codes have. A code, once written, is never renamed or given other
// parameters: new wording is a new code. The comment of each names the
// Message fields it uses.
const (
	MsgCreated = "payment.created" // Amount, Currency

	MsgAttemptStarted        = "attempt.started"                // Method, Reference
	MsgAttemptStartedPayCode = "attempt.started.pay_code"       // Method, Reference: a scanned pay code
	MsgAttemptError          = "attempt.error"                  // Reference, Error: Latipay refused or did not answer the start
	MsgAttemptPayCodeRefused = "attempt.error.pay_code_refused" // Reference, Error
	MsgAttemptNotReached     = "attempt.error.not_reached"      // Reference: nothing was sent, nothing charged
	MsgAttemptNoAnswer       = "attempt.error.no_answer"        // Reference: Latipay is asked what became of it
	MsgAttemptReplaced       = "attempt.replaced"               // Reference, Other (the new attempt), Method (the new one's)
	MsgAttemptReplacedQR     = "attempt.replaced.qr_refresh"    // Reference, Other (the new QR's attempt)
	MsgAttemptUnknown        = "attempt.unknown"                // Reference: Latipay does not know it

	MsgPending               = "payment.pending"                    // Reference: Latipay has the order
	MsgPaid                  = "payment.paid"                       // Reference, Source
	MsgFailed                = "payment.failed"                     // Reference, Status (Latipay's), Source
	MsgFailedNotReached      = "payment.failed.not_reached"         // Reference
	MsgExpired               = "payment.expired.window_ended"       // nothing
	MsgCanceledByMerchant    = "payment.canceled.by_merchant"       // nothing
	MsgCanceledByShopper     = "payment.canceled.by_shopper"        // nothing
	MsgCanceledAtCounter     = "payment.canceled.at_counter"        // nothing
	MsgCanceledDeviceRevoked = "payment.canceled.device_revoked"    // nothing: the counter device that made the sale was revoked
	MsgRefundMoved           = "payment.refund_succeeded"           // Refund, Amount, Currency: the status the succeeded refunds give
	MsgRefundFailedMoved     = "payment.refund_failed"              // Refund, Amount, Currency
	MsgCorrectedSucceeded    = "payment.corrected.refund_succeeded" // Refund, Amount, Currency: put back to the succeeded refunds
	MsgCorrectedRefundFails  = "payment.corrected.refund_failed"    // Refund, Amount, Currency
	MsgCorrectedEarlier      = "payment.corrected.earlier_version"  // nothing: a status an earlier version's rule set, corrected at start-up

	MsgRefundRequested = "refund.requested" // Refund, Amount, Currency
	MsgRefundSucceeded = "refund.succeeded" // Refund, Amount, Currency
	MsgRefundFailed    = "refund.failed"    // Refund, Amount, Currency, GatewayCode (0: none)

	MsgAmountMismatch  = "anomaly.amount_mismatch"   // Reference, Source, Said, SaidCurrency, Amount, Currency (ours)
	MsgPaidTwice       = "anomaly.paid_twice"        // Reference (the second charge), Other (the attempt the payment counts)
	MsgStatusAfterPaid = "anomaly.status_after_paid" // Reference, Source, Status (Latipay's)
	MsgNoFinalAnswer   = "anomaly.no_final_answer"   // Reference
	MsgPaidAfterCancel = "anomaly.paid_after_cancel" // Reference, Source: paid at Latipay after it was canceled here

	MsgReviewed = "payment.reviewed" // By, Note: an owner looked at a flagged payment (MarkReviewed)
)

// MessageCodes lists every code above, for the catalogue tests of the
// pages that say them.
var MessageCodes = []string{
	MsgCreated,
	MsgAttemptStarted, MsgAttemptStartedPayCode, MsgAttemptError, MsgAttemptPayCodeRefused,
	MsgAttemptNotReached, MsgAttemptNoAnswer, MsgAttemptReplaced, MsgAttemptReplacedQR, MsgAttemptUnknown,
	MsgPending, MsgPaid, MsgFailed, MsgFailedNotReached, MsgExpired, MsgCanceledByMerchant, MsgCanceledByShopper, MsgCanceledAtCounter,
	MsgCanceledDeviceRevoked, MsgRefundMoved, MsgRefundFailedMoved, MsgCorrectedSucceeded, MsgCorrectedRefundFails, MsgCorrectedEarlier,
	MsgRefundRequested, MsgRefundSucceeded, MsgRefundFailed,
	MsgAmountMismatch, MsgPaidTwice, MsgStatusAfterPaid, MsgNoFinalAnswer, MsgPaidAfterCancel,
	MsgReviewed,
}

// Message is what an event says: its code (a Msg* constant) and the
// parameters the sentence names. Amounts are minor units of Currency;
// Said is an amount as Latipay wrote it, which may not even parse. Never
// secrets: a pay code is never in it.
type Message struct {
	Code         string   `json:"code"`
	Reference    string   `json:"ref,omitempty"`   // an attempt's merchant reference at Latipay
	Other        string   `json:"other,omitempty"` // another attempt's reference
	Method       Method   `json:"method,omitempty"`
	Source       string   `json:"source,omitempty"` // how Latipay said it: "callback" or "query"
	Status       string   `json:"status,omitempty"` // Latipay's status word: paid, failed, rejected, cancel_or_fail, canceled, pending
	Amount       int64    `json:"amount,omitempty"`
	Currency     Currency `json:"currency,omitempty"`
	Said         string   `json:"said,omitempty"`
	SaidCurrency string   `json:"said_currency,omitempty"`
	Refund       string   `json:"refund,omitempty"`       // a refund's id
	GatewayCode  int      `json:"gateway_code,omitempty"` // Latipay's code for a refused refund
	Error        string   `json:"error,omitempty"`        // Latipay's own message when it refused (FailureRefused); before kinds, the error as it came
	Failure      string   `json:"failure,omitempty"`      // a Failure* kind: what became of the call (attempt.error*)
	Reason       string   `json:"reason,omitempty"`       // a Reason* kind when Latipay's refusal has one; GatewayCode is its code
	By           string   `json:"by,omitempty"`           // who did it: a back-office person's email
	Note         string   `json:"note,omitempty"`         // a person's own words, as typed
}

// Failure kinds: what became of a call to Latipay that failed, so the
// back office can say it in the reader's language (Message.Failure).
const (
	FailureRefused    = "refused"     // Latipay refused it; Message.Error is its message
	FailureRejected   = "rejected"    // Latipay refused it, giving no message
	FailureNotReached = "not_reached" // never sent: nothing can be charged
	FailureUnverified = "unverified"  // its answer's signature did not verify; it is asked what became of the order
	FailureUnreadable = "unreadable"  // its answer could not be read; it is asked
	FailureInvalid    = "invalid"     // the request was not one Latipay accepts; nothing was sent
	FailureNoAnswer   = "no_answer"   // no answer; it is asked
)

// FailureKinds lists the kinds above, for the catalogue tests.
var FailureKinds = []string{FailureRefused, FailureRejected, FailureNotReached, FailureUnverified,
	FailureUnreadable, FailureInvalid, FailureNoAnswer}

// Refusal reasons: what Latipay's refusal means, for the codes whose
// meaning is known (GatewayError.Reason, Message.Reason), so the pages
// can say it in the reader's language. Other codes keep Latipay's text.
const (
	ReasonPayCodeUnusable = "pay_code_unusable" // it could not charge the pay code: ask for a fresh one
	ReasonPayCodeUsed     = "pay_code_used"     // the pay code expired or was used already
	ReasonNoPayCodes      = "no_pay_codes"      // the wallet cannot be charged by a pay code
	ReasonMethodNotTaken  = "method_not_taken"  // the wallet does not take this payment method
	ReasonOverLimit       = "over_limit"        // over the merchant's single-payment limit
)

// RefusalReasons lists the reasons above, for the catalogue tests.
var RefusalReasons = []string{ReasonPayCodeUnusable, ReasonPayCodeUsed, ReasonNoPayCodes, ReasonMethodNotTaken, ReasonOverLimit}

// failureEnglish is what a Failure kind says in English.
func (m Message) failureEnglish() string {
	switch m.Failure {
	case "":
		return m.Error
	case FailureRefused:
		return "Latipay refused it: " + m.Error
	case FailureRejected:
		return "Latipay refused it"
	case FailureNotReached:
		return "Latipay could not be reached; nothing was sent"
	case FailureUnverified:
		return "Latipay's answer could not be verified; asking it what became of the order"
	case FailureUnreadable:
		return "Latipay's answer could not be read; asking it what became of the order"
	case FailureInvalid:
		return "the request was not one Latipay accepts; nothing was sent"
	}
	return "no answer from Latipay; asking it what became of the order"
}

// English is the event's Detail: the sentence as the log, the API and
// webhooks have always given it.
func (m Message) English() string {
	amount := func() string { return FormatAmount(m.Amount, m.Currency) + " " + string(m.Currency) }
	switch m.Code {
	case MsgCreated:
		return amount()
	case MsgAttemptStarted:
		return fmt.Sprintf("%s %s", m.Method, m.Reference)
	case MsgAttemptStartedPayCode:
		return fmt.Sprintf("%s %s (pay code scanned)", m.Method, m.Reference)
	case MsgAttemptError:
		return fmt.Sprintf("%s: %s", m.Reference, m.failureEnglish())
	case MsgAttemptPayCodeRefused:
		return fmt.Sprintf("%s: pay code refused: %s", m.Reference, m.failureEnglish())
	case MsgAttemptNotReached:
		return m.Reference + ": Latipay was never reached (the connection failed before the request was sent); nothing was charged"
	case MsgAttemptNoAnswer:
		return m.Reference + ": no answer from Latipay; asking it what became of the order"
	case MsgAttemptReplaced:
		return fmt.Sprintf("%s replaced by %s (new %s attempt)", m.Reference, m.Other, m.Method)
	case MsgAttemptReplacedQR:
		return fmt.Sprintf("%s replaced by %s (QR refresh)", m.Reference, m.Other)
	case MsgAttemptUnknown:
		return m.Reference + " never reached Latipay"
	case MsgPending, MsgFailedNotReached:
		return m.Reference
	case MsgPaid:
		return fmt.Sprintf("%s via %s", m.Reference, m.Source)
	case MsgFailed:
		return fmt.Sprintf("%s %s via %s", m.Reference, m.Status, m.Source)
	case MsgExpired:
		return "payment window ended"
	case MsgCanceledByMerchant:
		return "canceled by the " + string(CanceledByMerchant)
	case MsgCanceledByShopper:
		return "canceled by the " + string(CanceledByShopper)
	case MsgCanceledAtCounter:
		return "canceled at the " + string(CanceledAtCounter)
	case MsgCanceledDeviceRevoked:
		return "canceled: the till that made it was revoked"
	case MsgRefundMoved:
		return m.Refund + " " + amount()
	case MsgRefundFailedMoved:
		return m.Refund + " " + amount() + " failed"
	case MsgCorrectedSucceeded:
		return "corrected to the succeeded refunds: " + m.Refund + " " + amount()
	case MsgCorrectedRefundFails:
		return "corrected to the succeeded refunds: " + m.Refund + " " + amount() + " failed"
	case MsgCorrectedEarlier:
		return "corrected to the succeeded refunds: recorded by an earlier version"
	case MsgRefundRequested, MsgRefundSucceeded:
		return m.Refund + " " + amount()
	case MsgRefundFailed:
		if m.GatewayCode != 0 {
			return fmt.Sprintf("%s %s (Latipay code %d)", m.Refund, amount(), m.GatewayCode)
		}
		return m.Refund + " " + amount()
	case MsgAmountMismatch:
		return fmt.Sprintf("%s: %s says paid %s %s but the payment is %s", m.Reference, m.Source, m.Said, m.SaidCurrency, amount())
	case MsgPaidTwice:
		return fmt.Sprintf("%s paid, but the payment was already paid by %s: paid twice, refund %s in Latipay's merchant portal",
			m.Reference, m.Other, m.Reference)
	case MsgStatusAfterPaid:
		return fmt.Sprintf("%s: %s says %s after paid; kept paid", m.Reference, m.Source, m.Status)
	case MsgNoFinalAnswer:
		return m.Reference + ": Latipay never gave a final answer"
	case MsgPaidAfterCancel:
		return fmt.Sprintf("%s paid via %s after the payment was canceled: check the order before fulfilling, or refund it", m.Reference, m.Source)
	case MsgReviewed:
		return "reviewed by " + m.By + ": " + m.Note
	}
	return m.Code
}

// messageData is the Data of an event that carries only its message.
type messageData struct {
	Msg *Message `json:"msg,omitempty"`
}

// data is m as an event's Data.
func (m Message) data() string {
	b, _ := json.Marshal(messageData{Msg: &m}) // plain strings and numbers: cannot fail
	return string(b)
}

// Event is an event of type typ, at status st (which it leaves as it
// is), that says m: its Detail in English and m in its Data.
func (m Message) Event(typ string, st Status, at time.Time) Event {
	return Event{Type: typ, From: st, To: st, Detail: m.English(), Data: m.data(), CreatedAt: at}
}

// EventMessage is the message of event e; ok is false for an event that
// has none (recorded before codes), which is shown by its Detail.
func EventMessage(e Event) (m Message, ok bool) {
	var d messageData
	if e.Data == "" || json.Unmarshal([]byte(e.Data), &d) != nil || d.Msg == nil || d.Msg.Code == "" {
		return Message{}, false
	}
	return *d.Msg, true
}
