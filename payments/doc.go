// Package payments is the domain of the hosted payment page: payments, their
// attempts at Latipay, the forward-only state machine, and the small
// interfaces the domain consumes (Store, Gateway, Publisher).
//
// # The status graph
//
// A payment only moves forward: created -> pending -> paid, failed,
// expired or canceled; paid -> partially refunded -> refunded. Two
// backward-looking edges are deliberate. failed -> pending: the shopper
// retries with a fresh attempt while the payment window is open. failed,
// expired or canceled ->
// paid: Latipay confirmed the money with a valid signature after we had
// given up; money is never ignored, so the payment becomes paid and is
// flagged paid late for the merchant to see. Refunds move the status only
// once Latipay made them: partially refunded, then refunded when the
// succeeded refunds add up to the amount paid; a pending refund holds its
// amount but not the status. A status that counted a refund which then
// failed (recorded before this rule) is put back to what the succeeded
// refunds say, with its own event; one that no pending refund will
// correct any more is put back so when the reconciler starts
// (CorrectRefundStatuses). The table is transitions in
// status.go (CanTransition); notifications and return redirects go
// through it in the one idempotent apply (apply.go).
//
// # Failed counter sales
//
// A payment still open when its window ends is expired (ExpiredPayments,
// and Get on the way), whether it was created, pending or failed: an
// online checkout whose attempt failed could still have been retried by
// the shopper until then, and ran out of time. A counter sale that failed
// is the exception (Expirable): the till said "not paid: payment failed"
// (the shopper's wallet declined it, or Latipay was never reached), and
// only the cashier could have retried it, on the same sale, within its
// window. Nobody did, so it stays failed: the back office's lists and
// detail, the counter's today's sales and its socket, and the webhooks
// say what the till said, with no payment.expired after payment.failed.
// Its window still bounds the retry: once it ended, Start and
// StartBarcode refuse it (ErrNotPayable), and the cashier starts a new
// sale. Latipay confirming it paid afterwards is paid late, as for any
// failed payment. A counter sale created or pending when its window ends
// (a QR nobody scanned, a refused pay code nobody replaced) expires as
// any payment does.
//
// # Paid late
//
// A payment is flagged paid late (Payment.PaidLate) when Latipay confirms
// it after the payment had closed or failed here: its window had ended
// (expired), it had been canceled, or its current attempt had failed.
// Which attempt was paid does not matter: an attempt the shopper had
// replaced (another wallet chosen, a QR refreshed) that is paid while the
// payment is still open is paid on time, like any other.
//
// Paid after a cancel is also an anomaly (NeedsReview,
// MsgPaidAfterCancel): a person had meant to stop that payment and may
// have acted on it. A cancel asks Latipay first (Cancel, cancel.go) and
// is refused (ErrAlreadyPaid) when Latipay says paid, so this is left to
// a payment Latipay could not answer for at that moment. Paid after the
// window ended is not: expiry is nobody's decision, and the payment is
// only flagged paid late.
//
// # One payment, one charge
//
// A payment may have several attempts at Latipay, but only one may be
// paid. Before an attempt starts (Start: another wallet chosen, a QR
// refreshed, a counter sale switched from a pay code to a QR), the
// payment's other live attempts are canceled at Latipay and, unless it
// canceled them, queried: one Latipay says is paid makes the payment paid
// and no new order is made (ErrPaidBeforeReplace); one it cannot answer
// for makes none either (ErrReplacedUnconfirmed). Once the new one is
// taken the replaced attempts are checked at once; when a payment becomes
// paid, its other live attempts are made due, and the reconciler cancels
// them at Latipay and asks about them. A refused cancel is not repeated
// before Latipay's wait (cancelRetryWait). A shopper can still pay a
// replaced attempt whose cancel Latipay refused or did not answer after
// its query said unpaid: that second charge is applied as an anomaly
// (NeedsReview), and PaidTwice names it for the back office, which tells
// the shop to refund it in Latipay's merchant portal.
//
// # Imports
//
// It imports nothing from this module. Adapters (the Latipay client, the
// SQLite and PostgreSQL stores, the event hub) live in subpackages and
// import this package for its types; so do libraries that storage and
// handlers share, such as ratelimit (request limits, no HTTP).
//
// # Where to change what
//
// The transition table is status.go; notifications
// and return redirects end in the one idempotent apply (apply.go); creating
// and reading payments is service.go, starting an attempt at Latipay
// start.go (and a new QR refresh.go), the reconciler reconcile.go, refunds
// refund.go, cancels cancel.go (which ask Latipay first), which device
// pays how flow.go; the counter's scanned pay codes paycode.go (their shape) and barcode.go
// (charging one, and the reconciler's 4-second cadence for them); what
// each event says, as a code and its parameters for the back office to
// word in its reader's language, message.go (its Msg* codes); money is
// money.go,
// errors.go holds the sentinels the HTTP error funnel maps; ports.go
// declares Store, Gateway and Publisher (and WriteHealth, a store's last
// failed write, for readiness). A change to a port is a change to
// every adapter and to the contract suite in payments/storetest.
package payments
