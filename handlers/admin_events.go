package handlers

import (
	"strconv"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// eventText is what event e says in loc's language: its message
// (payments.EventMessage) from the catalogue's "event." + code, amounts
// with their currency code as on the payment's page and statuses in the
// state.* words. An event without a message (recorded before codes) or
// with a code this build does not know shows its stored English Detail.
func eventText(loc views.Localizer, e payments.Event) string {
	m, ok := payments.EventMessage(e)
	if !ok {
		return e.Detail
	}
	amount := withCurrency(m.Amount, m.Currency)
	source := func() string {
		if m.Source == "callback" || m.Source == "query" {
			return loc.T("event.source." + m.Source)
		}
		return m.Source
	}
	id := "event." + m.Code
	switch m.Code {
	case payments.MsgCreated:
		return loc.T(id, amount)
	case payments.MsgAttemptStarted, payments.MsgAttemptStartedPayCode:
		return loc.T(id, methodWord(loc, m.Method), m.Reference)
	case payments.MsgAttemptError, payments.MsgAttemptPayCodeRefused:
		why := m.Error // recorded before kinds: as it came
		if m.Failure != "" {
			why = loc.T("event.failure."+m.Failure, m.Error)
		}
		return loc.T(id, m.Reference, why)
	case payments.MsgAttemptNotReached, payments.MsgAttemptNoAnswer, payments.MsgAttemptUnknown,
		payments.MsgPending, payments.MsgFailedNotReached, payments.MsgNoFinalAnswer:
		return loc.T(id, m.Reference)
	case payments.MsgAttemptReplaced:
		return loc.T(id, m.Reference, m.Other, methodWord(loc, m.Method))
	case payments.MsgAttemptReplacedQR, payments.MsgPaidTwice:
		return loc.T(id, m.Reference, m.Other)
	case payments.MsgPaid:
		return loc.T(id, m.Reference, source())
	case payments.MsgFailed:
		return loc.T(id, m.Reference, latipayState(loc, m.Status), source())
	case payments.MsgExpired, payments.MsgCanceledByMerchant, payments.MsgCanceledByShopper, payments.MsgCorrectedEarlier:
		return loc.T(id)
	case payments.MsgRefundMoved, payments.MsgRefundFailedMoved, payments.MsgCorrectedSucceeded, payments.MsgCorrectedRefundFails,
		payments.MsgRefundRequested, payments.MsgRefundSucceeded:
		return loc.T(id, m.Refund, amount)
	case payments.MsgRefundFailed:
		if m.GatewayCode != 0 {
			return loc.T("event.refund.failed.code", m.Refund, amount, strconv.Itoa(m.GatewayCode))
		}
		return loc.T(id, m.Refund, amount)
	case payments.MsgAmountMismatch:
		return loc.T(id, m.Reference, source(), m.SaidCurrency+" "+m.Said, amount)
	case payments.MsgStatusAfterPaid:
		return loc.T(id, m.Reference, source(), latipayState(loc, m.Status))
	}
	return e.Detail
}

// methodWord names a payment method in loc's language; one this build
// does not know stays as it is.
func methodWord(loc views.Localizer, m payments.Method) string {
	switch m {
	case payments.MethodWeChat, payments.MethodAlipay, payments.MethodUnionPay:
		return loc.T("method." + string(m))
	}
	return string(m)
}

// latipayState is Latipay's status word as the staff status word (state.*)
// it amounts to; a word Latipay may add later stays as it is.
func latipayState(loc views.Localizer, status string) string {
	switch status {
	case "paid", "pending", "failed", "canceled":
	case "rejected", "cancel_or_fail":
		status = "failed"
	default:
		return status
	}
	return loc.T("state." + status)
}

// anomalyHomeIDs are the anomalies the home page's needs-review list names
// by their own message, "home.attention." + the code; any other is said by
// home.attention.needs_review.
var anomalyHomeIDs = map[string]bool{payments.MsgAmountMismatch: true, payments.MsgPaidTwice: true,
	payments.MsgStatusAfterPaid: true, payments.MsgNoFinalAnswer: true}

// attemptText sums up one attempt on the timeline: its reference, method
// and status, and how often Latipay was asked about it.
func attemptText(loc views.Localizer, a payments.Attempt) string {
	st := string(a.Status)
	switch a.Status {
	case payments.AttemptInitiated, payments.AttemptPending, payments.AttemptPaid, payments.AttemptFailed,
		payments.AttemptCanceled, payments.AttemptError:
		st = loc.T("event.attempt_status." + st)
	}
	s := loc.T("event.attempt_row", a.Reference, methodWord(loc, a.Method), st)
	if a.Checks > 0 {
		s += " " + loc.T("event.attempt_checks", strconv.Itoa(a.Checks))
	}
	return s
}

// notificationText sums up one verified Latipay callback: the attempt, the
// status it gave and what became of it.
func notificationText(loc views.Localizer, n payments.Notification) string {
	result := n.Result
	switch result {
	case "applied", "duplicate", "anomaly", "orphan":
		result = loc.T("event.result." + result)
	}
	return loc.T("event.notification", n.Reference, latipayState(loc, n.Status), result)
}
