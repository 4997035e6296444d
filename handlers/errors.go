package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/views"
)

var (
	errMethod       = errors.New("handlers: method not allowed")
	errUnauthorized = errors.New("handlers: unauthorized")
	errBadRequest   = errors.New("handlers: bad request")
	errRateLimited  = errors.New("handlers: rate limited")
	errWebhooksOff  = errors.New("handlers: webhooks are not configured")
	errNoDelivery   = errors.New("handlers: no such webhook delivery")
	errNoRefund     = errors.New("handlers: no such refund on this payment")
	errNoPage       = errors.New("handlers: no such page")
	errNoEndpoint   = errors.New("handlers: no such API endpoint")
	errMethodOff    = errors.New("handlers: the link's payment method is not offered")
	errCrossOrigin  = errors.New("handlers: a form sent from another site")
)

// failure is how one kind of error looks to people and programs.
type failure struct {
	status    int
	code      string // API error code
	message   string // API message, safe to show
	messageID string // page message id
}

// failures maps domain errors to responses. Order matters: first match wins.
var failures = []struct {
	err error
	f   failure
}{
	{counter.ErrNotFound, failure{http.StatusNotFound, "not_found", "No sale with that id on this device.", "error.notfound"}},
	{errNoDevice, failure{http.StatusUnauthorized, "device_unknown", "This browser is not a paired counter device.", "counter.error.nodevice"}},
	{errDeviceRevoked, failure{http.StatusForbidden, "device_revoked", "This counter device was revoked in the back office.", "counter.error.revoked"}},
	{errCounterLocked, failure{http.StatusUnauthorized, "counter_locked", "The counter is locked: a cashier must unlock it with their PIN.", "counter.error.locked"}},
	{counter.ErrLocked, failure{http.StatusUnauthorized, "counter_locked", "The counter is locked: a cashier must unlock it with their PIN.", "counter.error.locked"}},
	{counter.ErrAmountZero, failure{http.StatusBadRequest, "amount_zero", "The amount must be more than zero.", "counter.error.zero"}},
	{counter.ErrNoteTooLong, failure{http.StatusBadRequest, "note_too_long", "The note can have at most 100 characters.", "counter.error.note"}},
	{counter.ErrAmountLimit, failure{http.StatusBadRequest, "amount_too_large", "The amount is above the counter's limit.", "counter.error.limit"}},
	{counter.ErrKeyConflict, failure{http.StatusConflict, "sale_key_reused", "This sale was already charged with other details; start a new sale.", "counter.error.conflict"}},
	{counter.ErrPayCode, failure{http.StatusBadRequest, "bad_pay_code", "Not a WeChat Pay or Alipay pay code: WeChat Pay codes have 18 digits starting 10 to 15, Alipay codes 16 to 24 digits starting 25 to 30.", "counter.error.paycode"}},
	{payments.ErrPayCodePending, failure{http.StatusConflict, "pay_code_pending", "The code scanned before may still be paid; wait for its result.", "counter.error.paycodepending"}},
	{counter.ErrInvalid, failure{http.StatusBadRequest, "invalid_request", "The request is not valid.", "counter.error.invalid"}},
	{payments.ErrNotFound, failure{http.StatusNotFound, "not_found", "No payment with that id.", "error.notfound"}},
	{payments.ErrIdempotencyReuse, failure{http.StatusUnprocessableEntity, "idempotency_key_reused", "This Idempotency-Key was used with a different request.", "error.conflict"}},
	{payments.ErrConflict, failure{http.StatusConflict, "conflict", "A request with this Idempotency-Key is still being processed.", "error.conflict"}},
	{payments.ErrLinkExpired, failure{http.StatusGone, "link_expired", "This payment link has expired.", "error.expiredlink"}},
	{errMethodOff, failure{http.StatusBadRequest, "method_not_enabled", "This payment link asks for a payment method this shop does not offer.", "error.methodoff"}},
	{payments.ErrLinkSignature, failure{http.StatusForbidden, "bad_link", "This payment link is not valid.", "error.badlink"}},
	// A failed payment of a stored link started again when open checkouts
	// hold every place left (ErrLinkTaken; when the link is used up, it is
	// ErrLinkUsedUp); the others as the link's page says them.
	{payments.ErrLinkTaken, failure{http.StatusConflict, "link_taken", "Another checkout has taken this payment link's place since this payment did not go through.", "links.state.msg.taken"}},
	{payments.ErrLinkBusy, failure{http.StatusConflict, "link_busy", "Someone is paying with this payment link right now; try again in a few minutes.", "links.state.msg.busy"}},
	{payments.ErrLinkUsedUp, failure{http.StatusGone, "link_used_up", "This payment link has already been used as many times as the shop allows.", "links.state.msg.usedup"}},
	{payments.ErrInvalid, failure{http.StatusBadRequest, "invalid_request", "The request is not valid.", "error.invalid"}},
	{payments.ErrNotPayable, failure{http.StatusConflict, "not_payable", "This payment can no longer be paid.", "error.notpayable"}},
	{payments.ErrTooManyAttempts, failure{http.StatusTooManyRequests, "too_many_attempts", "Too many attempts for this payment.", "error.toomany"}},
	// Before ErrRefundTooLarge, which it matches: nothing is left now only
	// because pending refunds hold it, so a retry later may succeed.
	{payments.ErrRefundPending, failure{http.StatusConflict, "refund_pending", "Nothing more can be refunded now: refunds still waiting for Latipay's answer hold the rest.", "error.invalid"}},
	{payments.ErrRefundTooLarge, failure{http.StatusUnprocessableEntity, "refund_too_large", "The refund exceeds the amount paid.", "error.invalid"}},
	{payments.ErrNotRefundable, failure{http.StatusConflict, "not_refundable", "Only a paid payment can be refunded, and Latipay does not report this one as paid; nothing was refunded.", "error.invalid"}},
	// Before ErrNotCancelable, which it matches: the payment was paid, here
	// already or as the cancel found at Latipay (the cancel handlers show
	// the payment too); not_cancelable is left for one that ended unpaid.
	{payments.ErrRefundedBeforeCancel, failure{http.StatusConflict, "already_paid", "The payment was paid and has been refunded in full, so there is nothing to cancel.", "error.refundedhere"}},
	{payments.ErrPaidBeforeCancel, failure{http.StatusConflict, "already_paid", "The payment is already paid, so there is nothing to cancel; refund it instead.", "error.paidhere"}},
	{payments.ErrAlreadyPaid, failure{http.StatusConflict, "already_paid", "The payment was already paid at Latipay, so it was not canceled; refund it instead.", "error.alreadypaid"}},
	{payments.ErrNotCancelable, failure{http.StatusConflict, "not_cancelable", "This payment has already ended without being paid (it expired), so there is nothing to cancel.", "error.notcancelable"}},
	{payments.ErrShopperMayNotCancel, failure{http.StatusForbidden, "cancel_not_allowed", "This shop did not let the shopper cancel this payment.", "error.nocancel"}},
	{payments.ErrTillSale, failure{http.StatusForbidden, "counter_sale", "This payment is a sale at the shop's counter; only the cashier can change or cancel it.", "error.tillsale"}},
	{payments.ErrRefundRejected, failure{http.StatusUnprocessableEntity, "refund_rejected", "Latipay refused the refund.", "error.invalid"}},
	{errWebhooksOff, failure{http.StatusConflict, "webhooks_disabled", "No webhook endpoint is configured (HPP_WEBHOOK_URL).", "error.invalid"}},
	{errNoPage, failure{http.StatusNotFound, "not_found", "No such path; the API is under /api/v1.", "error.nopage"}},
	{errNoEndpoint, failure{http.StatusNotFound, "not_found", "No such endpoint; the API's paths are listed in /api/v1/openapi.json.", "error.nopage"}},
	{errNoDelivery, failure{http.StatusNotFound, "not_found", "No webhook delivery with that id.", "error.notfound"}},
	{errNoRefund, failure{http.StatusNotFound, "not_found", "No refund with that id on this payment.", "error.notfound"}},
	// Before ErrGatewayUnavailable, which it matches: nothing was started
	// because Latipay could not say whether the earlier order was paid.
	{payments.ErrReplacedUnconfirmed, failure{http.StatusServiceUnavailable, "previous_attempt_unconfirmed", "Latipay could not confirm that the payment's earlier order is unpaid, so no new one was made; try again shortly.", "error.switchwait"}},
	{payments.ErrGatewayRejected, failure{http.StatusBadGateway, "gateway_rejected", "Latipay refused the request.", "error.unavailable"}},
	// The counter's script says "scan again" instead (respondError).
	{payments.ErrGatewayNotReached, failure{http.StatusServiceUnavailable, "latipay_unreachable", "Latipay could not be reached, so nothing was charged; try again shortly.", "error.unreached"}},
	{payments.ErrGatewayUnavailable, failure{http.StatusServiceUnavailable, "gateway_unavailable", "Latipay is not answering; try again shortly.", "error.unavailable"}},
	{payments.ErrBadSignature, failure{http.StatusBadGateway, "gateway_unavailable", "Latipay's answer could not be verified.", "error.unavailable"}},
	{payments.ErrMalformed, failure{http.StatusBadGateway, "gateway_unavailable", "Latipay's answer could not be read.", "error.unavailable"}},
	{payments.ErrStoreBusy, failure{http.StatusServiceUnavailable, "busy", "The service is busy; try again shortly.", "error.unavailable"}},
	// The disk is the operator's to free (/readyz says so too); nothing
	// of the request was recorded, and it may succeed later (Retry-After).
	{payments.ErrStoreWrite, failure{http.StatusServiceUnavailable, "storage_unavailable", "Nothing was recorded: the server's database cannot write (its disk is full or failing). The shop's operator must free disk space; send the same request again after the Retry-After seconds.", "error.storage"}},
	{errUnauthorized, failure{http.StatusUnauthorized, "unauthorized", "A valid API key is required: Authorization: Bearer <key>.", "error.invalid"}},
	{accounts.ErrNotFound, failure{http.StatusNotFound, "not_found", "No such account or session.", "error.notfound"}},
	// A confirmation a page did not handle itself still reads clearly.
	{accounts.ErrCodeRequired, failure{http.StatusUnauthorized, "code_required", "Enter the code from your authenticator app too.", "admin.reauth.code"}},
	{accounts.ErrBadCode, failure{http.StatusUnauthorized, "bad_code", "That code is not right.", "admin.code.bad"}},
	{accounts.ErrCodeUsed, failure{http.StatusUnauthorized, "code_used", "That code was already used.", "admin.code.used"}},
	{accounts.ErrLocked, failure{http.StatusTooManyRequests, "locked", "This account is locked for 5 minutes.", "admin.reauth.locked"}},
	{accounts.ErrBadCredential, failure{http.StatusUnauthorized, "bad_password", "The password is not right.", "admin.reauth.bad"}},
	{errSessionEnded, failure{http.StatusUnauthorized, "session_ended", "Sign in again.", "admin.signin.ended"}},
	{errCrossOrigin, failure{http.StatusForbidden, "cross_origin", "The request came from another site and was refused.", "error.crossorigin"}},
	{errCashierForbidden, failure{http.StatusForbidden, "forbidden", "This account may not do that.", "error.forbidden.cashier"}},
	{errForbidden, failure{http.StatusForbidden, "forbidden", "This account may not do that.", "error.forbidden"}},
	{errBadRequest, failure{http.StatusBadRequest, "invalid_request", "The request is not valid.", "error.invalid"}},
	{errMethod, failure{http.StatusMethodNotAllowed, "method_not_allowed", "That method is not allowed here.", "error.invalid"}},
	{errBodyTooLarge, failure{http.StatusRequestEntityTooLarge, "body_too_large", "The form sent is larger than this form takes.", "error.toolarge"}},
	{errFormType, failure{http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the form as application/x-www-form-urlencoded.", "error.formtype"}},
	{errRateLimited, failure{http.StatusTooManyRequests, "rate_limited", "Too many requests; retry after the time in Retry-After.", "error.ratelimited"}},
}

// storeDown is the failure of a request that met the database unreachable
// (Options.Unreachable): an outage to wait out, not a bug.
var storeDown = failure{http.StatusServiceUnavailable, "database_unavailable", "The service cannot reach its database right now; try again after the time in Retry-After.", "error.storedown"}

// retryAfterStore is the Retry-After, in seconds, of a database busy or
// unreachable: long enough for a restart of PostgreSQL or a failover.
const retryAfterStore = "5"

// classify finds the failure for err; unknown errors are 500s.
func classify(err error) (failure, bool) {
	for _, x := range failures {
		if errors.Is(err, x.err) {
			return x.f, true
		}
	}
	return failure{http.StatusInternalServerError, "internal", "Something went wrong; quote the request id.", "error.internal"}, false
}

// failureOf is classify with what the database's state adds, for every
// answer to a failed request, the error funnel's and the pages that
// answer a failure themselves (a checkout start): the database
// unreachable is storeDown, and a 503 for the database (unreachable,
// busy, or its disk refusing the write: storage_unavailable) carries
// Retry-After, set here on c, so that no such answer goes without it.
// It logs the database's failures; an unknown error is the caller's to
// log (logUnknown).
func (s *Server) failureOf(c *gin.Context, err error) (failure, bool) {
	f, known := classify(err)
	if !known && s.opts.Unreachable != nil && s.opts.Unreachable(err) {
		f, known = storeDown, true
		s.log.Warn("request failed: the database cannot be reached", "request_id", requestID(c), "err", err)
	}
	if errors.Is(err, payments.ErrStoreWrite) {
		// Logged, as /readyz logs it: the operator has to act.
		s.log.Error("request refused: the database's disk refused the write", "request_id", requestID(c), "err", err)
		c.Header("Retry-After", strconv.Itoa(int(StoreWriteRetryAfter.Seconds())))
	}
	if f.code == storeDown.code || errors.Is(err, payments.ErrStoreBusy) {
		c.Header("Retry-After", retryAfterStore)
	}
	return f, known
}

// StoreWriteRetryAfter is the Retry-After of a request refused because
// the database's disk refused its write (payments.ErrStoreWrite): the
// time /readyz holds such a failure, after which a load balancer sends
// traffic again.
const StoreWriteRetryAfter = WriteFailureHold

// ErrStopping is the cause with which run cancels the requests still in
// flight when the graceful stop's budget runs short (listen.Options
// Requests): a handler that sees it says so rather than report an error.
var ErrStopping = errors.New("the server is stopping")

// logUnknown logs an error classify does not know, once, with the
// request id the answer quotes: at ERROR, or at INFO when the client hung
// up (nothing is wrong here, and nobody reads the answer).
func (s *Server) logUnknown(c *gin.Context, err error) {
	if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
		s.log.Info("request ended: the client went away", "request_id", requestID(c), "err", err)
		return
	}
	s.log.Error("request failed", "request_id", requestID(c), "err", err)
}

// respondError is the one error funnel: it logs unknown errors once, with
// the request id, and answers JSON on the API and a friendly page
// elsewhere. Internal error text never reaches a response.
func (s *Server) respondError(c *gin.Context, err error) {
	f, known := s.failureOf(c, err)
	if !known {
		s.logUnknown(c, err)
	}
	if c.GetBool(counterJSONKey) {
		// The counter's script shows the message as it comes, in the
		// cashier's language. Latipay refusing a scanned code is the
		// shopper's code, not an outage.
		switch {
		case errors.Is(err, payments.ErrGatewayRejected):
			f.status, f.code, f.messageID = http.StatusUnprocessableEntity, "pay_code_refused", "counter.error.refused"
		case errors.Is(err, payments.ErrGatewayNotReached):
			f.messageID = "counterlive.error.unreached"
		case f.code == storeDown.code:
			f.messageID = "error.storedown.staff"
		case errors.Is(err, payments.ErrReplacedUnconfirmed):
			// A switch of wallet whose earlier QR or pay code Latipay
			// could not answer for: the cashier's words, not the
			// shopper's checkout's (what happened, what to do).
			f.messageID = "counter.error.switchwait"
		}
		loc := s.localizer(c)
		// A field that is wrong is named, in words saying what it takes
		// ("counter.error.field." + the field); the amount's are the
		// generic words, which ask to check it.
		var ie *counter.InputError
		if errors.As(err, &ie) {
			if id := "counter.error.field." + ie.Field; loc.T(id) != id {
				f.messageID = id
			}
		}
		body := gin.H{"code": f.code, "message": loc.T(f.messageID, requestID(c))} // error.internal quotes the id
		switch {
		case ie != nil:
			body["field"] = ie.Field
		case errors.Is(err, counter.ErrAmountZero), errors.Is(err, counter.ErrAmountLimit):
			// Zero and over the limit are the amount's too.
			body["field"] = "amount"
		}
		if errors.Is(err, counter.ErrAmountLimit) && s.opts.Counter != nil {
			body["message"] = loc.T(f.messageID, s.counterLimit(loc.Lang()))
		}
		if !known {
			body["request_id"] = requestID(c)
		}
		c.AbortWithStatusJSON(f.status, gin.H{"error": body})
		return
	}
	if c.GetBool("api") {
		msg := f.message
		var ve *payments.ValidationError
		if errors.As(err, &ve) {
			msg = joinProblems(ve.Problems)
		}
		var ge *payments.GatewayError
		if errors.As(err, &ge) {
			msg = "Latipay refused the request: " + ge.Message
		}
		body := gin.H{"code": f.code, "message": msg}
		var tl *payments.RefundTooLargeError
		if errors.As(err, &tl) {
			body["message"] = refundLeftText(tl)
			if tl.Waiting() {
				// Temporary: say how much is held, and when to retry.
				body["message"] = body["message"].(string) + " Retry once they have settled: a refund that fails frees its amount."
				body["amount_pending"], body["currency"] = payments.FormatAmount(tl.Pending, tl.Currency), string(tl.Currency)
			}
		}
		var np *payments.NotPaidError
		if errors.As(err, &np) {
			body["message"] = notPaidText(np)
		}
		var re *payments.RefundError
		if errors.As(err, &re) {
			body["message"], body["latipay_code"] = "Latipay refused the refund: "+re.Message+".", re.Code
			if re.RefundID != "" {
				body["refund_id"] = re.RefundID
			}
		}
		if !known {
			body["request_id"] = requestID(c)
		}
		c.AbortWithStatusJSON(f.status, gin.H{"error": body})
		return
	}
	// The page is titled by what happened ("Payment link expired"), in
	// its title and its heading alike; "Something went wrong" is for what
	// has no title of its own, and for staff, whose messages the shopper's
	// titles would misname ("Payment not found" for an account).
	titleID := f.messageID + ".title"
	_, _, staff := staffArea(c.Request.URL.Path)
	if _, ok := s.i18n.Source(views.LangEnglish, titleID); !ok || staff && f.messageID != "error.nopage" {
		titleID = "error.title"
	}
	e := views.Error{Page: s.page(s.localizer(c).T(titleID), false), Status: f.status, MessageID: f.messageID}
	if !known {
		e.Arg = requestID(c)
	}
	// A way back: for the back office and the counter, their own home,
	// with words for staff where the shopper's would mislead ("ask the
	// shop for a new link"); for a shopper, the merchant's site, when its
	// origin is configured.
	if home, backID, ok := staffArea(c.Request.URL.Path); ok {
		e.BackURL, e.BackID = s.langPath(c, home), backID
		if id, ok := staffMessages[e.MessageID]; ok {
			e.MessageID = id
		}
		if errors.Is(err, errCashierForbidden) {
			// A cashier's work is at the till: the way there.
			e.BackURL, e.BackID = s.langPath(c, CounterPath), "error.back.counter"
		}
	} else if len(s.opts.MerchantOrigins) > 0 {
		e.BackURL = s.opts.MerchantOrigins[0] + "/"
	}
	if o := s.embedOrigin(c); o != "" && !staff {
		// Inside the merchant's embed, Esc must still close its dialog:
		// the checkout's script passes it up, to that origin only.
		e.EmbedOrigin, e.JS = o, s.jsPath
	}
	s.render(c, f.status, views.ErrorPage(e))
	c.Abort()
}

// joinProblems lists every problem. Each starts with the field's name as
// the API spells it ("return_url", never "Return_url"), so the first
// letter is left as it is.
func joinProblems(p []string) string {
	return strings.Join(p, "; ") + "."
}

// staffArea reports whether path is in the back office or at the
// counter, with that area's home and the message of the way back to it.
func staffArea(path string) (home, backID string, ok bool) {
	switch {
	case path == strings.TrimSuffix(AdminPath, "/") || strings.HasPrefix(path, AdminPath):
		return AdminPath, "error.back.admin", true
	case path == CounterPath || strings.HasPrefix(path, CounterPath+"/"):
		return CounterPath, "error.back.counter", true
	}
	return "", "", false
}

// staffMessages are the error messages that speak to a shopper ("ask the
// shop for a new one") and their words for the shop's own staff.
var staffMessages = map[string]string{
	"error.notfound":  "error.notfound.staff",
	"error.conflict":  "error.conflict.staff",
	"error.badlink":   "error.badlink.staff",
	"error.toomany":   "error.toomany.staff",
	"error.storedown": "error.storedown.staff",
}

// notPaidText says why a payment that was never paid cannot be refunded.
func notPaidText(e *payments.NotPaidError) string {
	if e.Status.Settled() { // paid here, but with no Latipay payment to refund
		return "Only a payment Latipay has paid can be refunded, and Latipay has no payment on record for this one."
	}
	return "Only a paid payment can be refunded: this payment is " + string(e.Status) + ", not paid."
}
