package handlers

import (
	"strconv"
	"strings"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/webhook"
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
		return loc.T(id, m.Reference, failureText(loc, m))
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
	case payments.MsgExpired, payments.MsgCanceledByMerchant, payments.MsgCanceledByShopper, payments.MsgCanceledAtCounter,
		payments.MsgCanceledDeviceRevoked, payments.MsgCorrectedEarlier:
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
	case payments.MsgPaidAfterCancel:
		return loc.T(id, m.Reference, source())
	case payments.MsgReviewed: // who did it is the row's who
		return loc.T(id, m.Note)
	}
	return e.Detail
}

// failureText is what became of the call of an attempt.error message m
// in loc's language; recorded before kinds, its error as it came.
func failureText(loc views.Localizer, m payments.Message) string {
	if m.Failure == "" {
		return m.Error
	}
	return loc.T("event.failure."+m.Failure, refusalText(loc, m.GatewayCode, m.Reason, m.Error))
}

// refusalText is why Latipay refused a call in loc's language: its code
// and the reason's words (gateway.reason.*) when the refusal has a reason
// this build knows, else text (Latipay's, in English) as it is.
func refusalText(loc views.Localizer, code int, reason, text string) string {
	if reason == "" {
		return text
	}
	id := "gateway.reason." + reason
	words := loc.T(id)
	if words == id {
		return text
	}
	return loc.T("gateway.refusal", strconv.Itoa(code), words)
}

// latipayWords is text when refusalText shows it as it came (Latipay's
// own words, in English), else "".
func latipayWords(loc views.Localizer, code int, reason, text string) string {
	if refusalText(loc, code, reason, text) == text {
		return text
	}
	return ""
}

// eventLatipay is Latipay's own words in eventText's answer for e (an
// attempt's refusal or error as Latipay gave it), "" when it has none.
func eventLatipay(loc views.Localizer, e payments.Event) string {
	m, ok := payments.EventMessage(e)
	if !ok || m.Code != payments.MsgAttemptError && m.Code != payments.MsgAttemptPayCodeRefused {
		return ""
	}
	return latipayWords(loc, m.GatewayCode, m.Reason, m.Error)
}

// auditLatipay is Latipay's own words in auditText's answer for a refund
// Latipay refused ("... refused <code>: <Latipay's words>"), "" otherwise.
func auditLatipay(e accounts.AuditEntry) string {
	if e.Action != "refund" {
		return ""
	}
	_, why, ok := strings.Cut(e.After, refundRefused)
	if !ok {
		return ""
	}
	code, msg, ok := strings.Cut(why, ": ")
	if n, err := strconv.Atoi(code); !ok || err != nil || refundCodes[n] {
		return ""
	}
	if head, _, ok := strings.Cut(msg, refundReason); ok {
		msg = head
	}
	return msg
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
	payments.MsgStatusAfterPaid: true, payments.MsgNoFinalAnswer: true, payments.MsgPaidAfterCancel: true}

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
		s = views.JoinPhrases(loc, s, loc.T("event.attempt_checks", strconv.Itoa(a.Checks)))
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

// latipaySource is "callback" or "query" when event e is a status Latipay
// gave (paid, or failed), as its message records it; "" otherwise. An
// event recorded before codes says it only in its English Detail.
func latipaySource(e payments.Event) string {
	m, ok := payments.EventMessage(e)
	if !ok {
		switch {
		case strings.Contains(e.Detail, " via query"):
			return "query"
		case strings.Contains(e.Detail, " via "):
			return "callback"
		}
		return ""
	}
	if (m.Code == payments.MsgPaid || m.Code == payments.MsgFailed) && (m.Source == "callback" || m.Source == "query") {
		return m.Source
	}
	return ""
}

// refundRefused parts a refused refund's id from Latipay's code and words
// in its audit entry's after.
const refundRefused = " refused "

// refundOf parts a refund's id from the amount asked ("2.50 NZD") in
// its audit entry's after; refundReason parts the rest from the reason
// as typed, which ends it.
const (
	refundOf     = " of "
	refundReason = "; reason: "
)

// refundAsked reads "2.50 NZD", an amount asked as a refund's audit entry
// records it, as the pages write money.
func refundAsked(s string) (string, bool) {
	amount, cur, ok := strings.Cut(s, " ")
	c, err := payments.ParseCurrency(cur)
	if !ok || err != nil {
		return "", false
	}
	minor, err := payments.ParseAmount(amount, c)
	if err != nil {
		return "", false
	}
	return withCurrency(minor, c), true
}

// refundAfter is a refund's audit entry's after: its id, the amount
// asked with its currency, then what became of it (outcome: "",
// refundRefused…, refundNotSent…) and the reason as typed, when any.
func refundAfter(r payments.Refund, c payments.Currency, outcome string) string {
	s := "refund " + r.ID
	if r.Amount > 0 {
		s += refundOf + payments.FormatAmount(r.Amount, c) + " " + string(c)
	}
	s += outcome
	if r.Reason != "" {
		s += refundReason + r.Reason
	}
	return s
}

// refundNotSent parts the id of a refund recorded failed without reaching
// Latipay (nothing was sent, nothing refunded) from the service's words in
// its audit entry's after.
const refundNotSent = " not sent: "

// auditText is what a back-office action on payment p says on its
// timeline, in loc's language, from the action and the before and after
// its handler records (handlers/admin_detail.go, admin_webhooks.go): the
// catalogue's "timeline.audit." + action. An action or a record of
// another shape shows as it was recorded.
func auditText(loc views.Localizer, p payments.Payment, e accounts.AuditEntry) string {
	raw := strings.TrimSpace(e.Before + " → " + e.After)
	status := func(s string) (string, bool) {
		if payments.Status(s).Valid() {
			return loc.T("state." + s), true
		}
		return "", false
	}
	id := "timeline.audit." + e.Action
	switch e.Action {
	case "review": // the flag it cleared → "reviewed: <note>"
		note, ok := strings.CutPrefix(e.After, reviewNote)
		if ok && (e.Before == payments.AttentionNeedsReview || e.Before == payments.AttentionPaidLate) {
			return loc.T(id, loc.T("adminlist.attention."+e.Before), note)
		}
	case "refund": // "succeeded 2.50[, pending 1.00]" → "refund rf_…[ of 2.50 NZD]…[; reason: …]"; before
		// Since they were recorded, the amount asked follows the id and
		// the reason as typed ends the entry (refundAfter).
		if head, reason, ok := strings.Cut(e.After, refundReason); ok {
			plain := e
			plain.After = head
			if base := auditText(loc, p, plain); base != strings.TrimSpace(plain.Before+" → "+plain.After) {
				if endsSentence(base) {
					// A refusal's words end their sentence: the reason is
					// one of its own, not joined on with a semicolon.
					return loc.T("timeline.audit.refund.reason_after", base, reason)
				}
				return loc.T(id+".reason", base, reason)
			}
			break
		}
		// succeeded and pending were apart, "refunded 2.50" held both.
		// A refusal adds " refused <code>: <Latipay's words>".
		if head, why, ok := strings.Cut(e.After, refundRefused); ok {
			asked := e
			asked.After = head
			base := auditText(loc, p, asked)
			code, msg, ok := strings.Cut(why, ": ")
			n, err := strconv.Atoi(code)
			if !ok || err != nil || base == strings.TrimSpace(asked.Before+" → "+asked.After) {
				break
			}
			reason := loc.T("admin.refund.rejected", msg)
			if refundCodes[n] {
				reason = loc.T("adminlist.refund.code." + strconv.Itoa(n))
			}
			return loc.T(id+".refused", base, reason)
		}
		// One never sent to Latipay adds " not sent: <the service's words>".
		if head, _, ok := strings.Cut(e.After, refundNotSent); ok {
			asked := e
			asked.After = head
			if base := auditText(loc, p, asked); base != strings.TrimSpace(asked.Before+" → "+asked.After) {
				return loc.T(id+".notsent", base)
			}
			break
		}
		rf, ok := strings.CutPrefix(e.After, "refund ")
		if !ok {
			break
		}
		if r, asked, ok := strings.Cut(rf, refundOf); ok {
			a, ok := refundAsked(asked)
			if !ok {
				break
			}
			rf = loc.T("timeline.audit.refund_of", r, a)
		}
		amount := func(s string) (string, bool) {
			if p.Currency == "" { // the audit log reads no payment
				return s, s != "" && strings.Trim(s, "0123456789.") == ""
			}
			minor, err := payments.ParseAmount(s, p.Currency)
			if s == payments.FormatAmount(0, p.Currency) { // ParseAmount refuses zero
				minor, err = 0, nil
			}
			return withCurrency(minor, p.Currency), err == nil
		}
		if old, ok := strings.CutPrefix(e.Before, "refunded "); ok {
			if a, ok := amount(old); ok {
				return loc.T(id, rf, a)
			}
			break
		}
		s, ok := strings.CutPrefix(e.Before, "succeeded ")
		s, pending, hasPending := strings.Cut(s, ", pending ")
		a, ok1 := amount(s)
		if !ok || !ok1 {
			break
		}
		if !hasPending {
			return loc.T(id+".succeeded", rf, a)
		}
		if b, ok := amount(pending); ok {
			return loc.T(id+".pending", rf, a, b)
		}
	case "cancel", "counter.cancel": // → the status after
		if after, ok := status(e.After); ok && e.Before == "" {
			return loc.T(id, after)
		}
	case "counter.switch": // wallet → wallet
		wallet := func(m string) (string, bool) {
			if m == string(payments.MethodWeChat) || m == string(payments.MethodAlipay) {
				return loc.T("method." + m), true
			}
			return "", false
		}
		before, ok1 := wallet(e.Before)
		after, ok2 := wallet(e.After)
		if ok1 && ok2 {
			return loc.T(id, before, after)
		}
	case "requery": // status → status
		before, ok1 := status(e.Before)
		after, ok2 := status(e.After)
		if ok1 && ok2 {
			return loc.T(id, before, after)
		}
	case "webhook.redeliver": // the delivery sent again → "whd_… state"
		d, state, ok := strings.Cut(e.After, " ")
		switch payments.DeliveryState(state) {
		case payments.DeliveryDelivered, payments.DeliveryRetrying, payments.DeliveryFailed:
			if ok && e.Before != "" {
				return loc.T(id, e.Before, d, loc.T("adminlist.state."+state))
			}
		}
	}
	return raw
}

// deliveryReasons are the catalogue's words for why a webhook request got
// no answer (webhook.Reason*), "timeline.delivery.reason." + the key.
var deliveryReasons = map[string]string{
	webhook.ReasonRefused: "refused", webhook.ReasonTimeout: "timeout", webhook.ReasonDNS: "dns", webhook.ReasonTLS: "tls",
	webhook.ReasonClosed: "closed", webhook.ReasonCanceled: "canceled", webhook.ReasonNetwork: "network",
}

// deliveryReason is why, a webhook.Reason* (a timeout with its length),
// in loc's language; one this build does not know as it came.
func deliveryReason(loc views.Localizer, why string) string {
	if after, ok := strings.CutPrefix(why, webhook.ReasonTimeout+webhook.TimeoutAfter); ok {
		if d, err := time.ParseDuration(after); err == nil {
			return loc.T("timeline.delivery.reason.timeout_after", strconv.FormatFloat(d.Seconds(), 'f', -1, 64))
		}
	}
	if key, ok := deliveryReasons[why]; ok {
		return loc.T("timeline.delivery.reason." + key)
	}
	return why
}

// deliveryError is what went wrong with webhook try d, in loc's
// language, without the HTTP status (shown beside it); "" when nothing
// did. A request that got no answer says why in plain words (never the
// HTTP client's own, which quote the endpoint's URL: webhook.PlainError);
// an error this build does not know stays as it came.
func deliveryError(loc views.Localizer, d payments.Delivery) string {
	msg, gaveUp, _ := strings.Cut(webhook.PlainError(d.Error), webhook.GaveUpAfter)
	status := "HTTP " + strconv.Itoa(d.StatusCode)
	switch {
	case d.StatusCode != 0 && msg == status:
		msg = ""
	case d.StatusCode != 0 && msg == status+webhook.NotRetried:
		msg = loc.T("timeline.delivery.not_retried")
	case strings.HasPrefix(msg, webhook.ErrorRequest):
		msg = loc.T("timeline.delivery.request_failed", deliveryReason(loc, strings.TrimPrefix(msg, webhook.ErrorRequest)))
	default:
		key := map[string]string{webhook.ErrorReadPayment: "read_payment", webhook.ErrorReadRefunds: "read_refunds",
			webhook.ErrorReadRefund: "read_refund", webhook.ErrorEncode: "encode", webhook.ErrorBadURL: "bad_url"}[msg]
		if key != "" {
			msg = loc.T("timeline.delivery." + key)
		}
	}
	if gaveUp != "" {
		after := gaveUp
		if d, err := time.ParseDuration(gaveUp); err == nil {
			after = loc.T("timeline.delivery.hours", strconv.FormatFloat(d.Hours(), 'f', -1, 64))
		}
		msg = views.JoinPhrases(loc, strings.TrimSpace(msg), loc.T("timeline.delivery.gave_up", after))
	}
	return msg
}

// endsSentence reports whether s ends a sentence, in English or Chinese.
func endsSentence(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasSuffix(s, ".") || strings.HasSuffix(s, "。") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "！")
}
