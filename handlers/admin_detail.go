package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/webhook"
	"github.com/latipay-hpp/hpp/views"
)

// timelineLimit caps each source of a payment's timeline (deliveries,
// audit entries): a payment has a handful of each.
const timelineLimit = 100

// refundCodes are Latipay's refund refusals the detail page explains in
// the shop's words (message adminlist.refund.code.N); any other code
// shows Latipay's own text.
var refundCodes = map[int]bool{550: true, 551: true, 556: true, 558: true, 559: true, 562: true}

// timelineTime is how the timeline writes an instant, in the shop's zone.
const timelineTime = "2006-01-02 15:04:05 MST"

// attemptEnded is when attempt a ended, from the payment's events evs
// (oldest first): the first event after it started that settles it (paid,
// failed, refused, replaced, unknown to Latipay) or, for a canceled
// attempt, ends the payment (canceled, expired). Zero while it is still
// open, or when no event says.
func attemptEnded(a payments.Attempt, evs []payments.Event) time.Time {
	switch a.Status {
	case payments.AttemptPaid, payments.AttemptFailed, payments.AttemptCanceled, payments.AttemptError:
	default:
		return time.Time{}
	}
	for _, e := range evs {
		if e.CreatedAt.Before(a.CreatedAt) {
			continue
		}
		m, ok := payments.EventMessage(e)
		if !ok {
			continue
		}
		switch m.Code {
		case payments.MsgPaid, payments.MsgFailed, payments.MsgFailedNotReached, payments.MsgAttemptError,
			payments.MsgAttemptPayCodeRefused, payments.MsgAttemptNotReached, payments.MsgAttemptReplaced,
			payments.MsgAttemptReplacedQR, payments.MsgAttemptUnknown:
			if m.Reference == a.Reference {
				return e.CreatedAt
			}
		case payments.MsgCanceledByMerchant, payments.MsgCanceledByShopper, payments.MsgCanceledAtCounter, payments.MsgCanceledDeviceRevoked,
			payments.MsgExpired:
			if a.Status == payments.AttemptCanceled {
				return e.CreatedAt
			}
		}
	}
	return time.Time{}
}

// timeline gathers everything that happened to payment p, oldest first:
// its attempts, Latipay's callbacks, the queries whose answers changed
// it, its events (refunds among them), its webhook deliveries and what
// people did to it in the back office (the audit log), each with who
// and when.
func (s *Server) timeline(c *gin.Context, p payments.Payment) ([]views.TimelineItem, error) {
	ctx, zone, loc := c.Request.Context(), s.shopZone(), s.localizer(c)
	type item struct {
		at time.Time
		views.TimelineItem
	}
	var items []item
	add := func(at time.Time, it views.TimelineItem) {
		it.Time = at.In(zone).Format(timelineTime)
		items = append(items, item{at, it})
	}
	evs, err := s.svc.Events(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	audit, err := s.opts.Accounts.Store().Audit(ctx, accounts.AuditFilter{Target: p.ID, Limit: timelineLimit})
	if err != nil {
		return nil, err
	}
	// A refund an owner asked for here is said once, on its event: by
	// whom (the audit entry), how much and why (the refund's reason).
	askedBy := map[string]accounts.AuditEntry{}
	for _, e := range audit {
		if id, _, ok := auditRefund(e); ok {
			askedBy[id] = e
		}
	}
	reasons, refunds := map[string]string{}, map[string]payments.Refund{}
	if p.Status.Settled() {
		rs, err := s.svc.Refunds(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			reasons[r.ID], refunds[r.ID] = r.Reason, r
		}
	}
	// Who made the payment and started its attempts: a till sale's
	// cashier, else the merchant's system through the API, else the
	// stored link or printed QR the shopper paid through (named by its
	// description), else a signed /pay link.
	cashier, err := s.tillCashier(c, p)
	if err != nil {
		return nil, err
	}
	madeBy, err := s.linkMaker(c, p)
	if err != nil {
		return nil, err
	}
	saidOn := map[string]bool{} // refunds whose request event names who asked
	for _, e := range evs {
		it := views.TimelineItem{Kind: "event", WhoID: "adminlist.who.system", What: e.Type, Detail: eventText(loc, e), Latipay: eventLatipay(loc, e)}
		m, _ := payments.EventMessage(e)
		switch m.Code {
		case payments.MsgCreated:
			switch {
			case cashier != "":
				it.WhoID, it.Who = "", loc.T("adminlist.who.cashier", cashier)
			case p.Source == payments.SourceOnline:
				it.WhoID = "adminlist.who.api"
			case madeBy != "":
				it.WhoID, it.Who = "", madeBy
			case p.Source == payments.SourceLink:
				it.WhoID = "adminlist.who.signed_link"
			}
		case payments.MsgReviewed:
			it.WhoID, it.Who = "", m.By
		case payments.MsgRefundRequested:
			if r := reasons[m.Refund]; r != "" {
				it.Detail = loc.T("event.refund.requested.reason", m.Refund, withCurrency(m.Amount, m.Currency), r)
			}
			if a, ok := askedBy[m.Refund]; ok && a.Email != accounts.APIEmail {
				it.WhoID, it.Who = "", auditWho(loc, a)
				saidOn[m.Refund] = true
			} else {
				saidOn[m.Refund] = ok
				// Only the back office (which records who) and the
				// merchant API ask for refunds.
				it.WhoID = "adminlist.who.api"
			}
		case payments.MsgRefundFailed:
			// Why, in the words the API gives (failure_message), in the
			// page's language where the catalogue has them.
			if m.GatewayCode != 0 {
				why := refunds[m.Refund].GatewayMessage
				if refundCodes[m.GatewayCode] {
					why = loc.T("adminlist.refund.code." + strconv.Itoa(m.GatewayCode))
				}
				if why != "" {
					it.Detail = loc.T("event.refund.failed.why", m.Refund, withCurrency(m.Amount, m.Currency),
						strconv.Itoa(m.GatewayCode), why)
				}
				it.WhoID = "adminlist.who.latipay"
			}
		}
		switch src := latipaySource(e); {
		case strings.HasPrefix(e.Type, "refund."):
			it.Kind = "refund"
		case strings.HasPrefix(e.Type, "attempt."):
			it.Kind = "attempt"
		case src != "":
			it.Kind, it.WhoID = src, "adminlist.who.latipay"
		}
		add(e.CreatedAt, it)
	}
	as, err := s.svc.Attempts(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		it := views.TimelineItem{Kind: "attempt", WhoID: "adminlist.who.shopper", What: "attempt", Detail: attemptText(loc, a)}
		if cashier != "" {
			it.WhoID, it.Who = "", loc.T("adminlist.who.cashier", cashier)
		}
		// The row stands where the attempt started; one that ended says
		// when, so a cancel later on does not read as the start's.
		if end := attemptEnded(a, evs); !end.IsZero() {
			it.Detail += loc.T("event.attempt_span", a.CreatedAt.In(zone).Format(time.DateTime), end.In(zone).Format(time.DateTime))
		}
		add(a.CreatedAt, it)
	}
	ns, err := s.svc.Notifications(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		add(n.At, views.TimelineItem{Kind: "callback", WhoID: "adminlist.who.latipay", What: "notification",
			Detail: notificationText(loc, n)})
	}
	ds, err := s.svc.DeliveryLog(ctx, payments.DeliveryFilter{PaymentID: p.ID, Limit: timelineLimit})
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		it := views.TimelineItem{Kind: "webhook", WhoID: "adminlist.who.endpoint", What: webhook.PublicType(d.EventType),
			Detail: deliveryText(loc, d)}
		if s.webhooksOn() && who(c).account.Role == accounts.Owner {
			it.RedeliverURL = s.langPath(c, WebhooksPath+"/"+d.ID+"/redeliver")
		}
		add(d.At, it)
	}
	for _, e := range audit {
		if id, plain, ok := auditRefund(e); e.Action == "review" || ok && plain && saidOn[id] {
			continue // said on the payment's own event, with who did it
		}
		add(e.At, views.TimelineItem{Kind: "admin", Who: auditWho(loc, e), What: e.Action, Detail: auditText(loc, p, e), Latipay: auditLatipay(e)})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].at.Before(items[j].at) })
	out := make([]views.TimelineItem, len(items))
	for i, it := range items {
		out[i] = it.TimelineItem
	}
	return out, nil
}

// tillCashier names the cashier who made till sale p (personByID); ""
// for any other payment, or a sale with no record of who made it.
func (s *Server) tillCashier(c *gin.Context, p payments.Payment) (string, error) {
	if s.opts.Counter == nil || !slices.Contains(payments.TillSources, p.Source) {
		return "", nil
	}
	sale, err := s.opts.Counter.Store().Sale(c.Request.Context(), p.ID)
	if errors.Is(err, counter.ErrNotFound) || err == nil && sale.AccountID == "" {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return s.personByID(c, sale.AccountID)
}

// linkMaker names the stored payment link or static QR payment p was made
// through, in the reader's language: its description, else as the links
// list shows one without: its kind and amount ("by the static counter QR
// (NZD 1.00 - 500.00)"), never its id, which nobody recognises; "" for a
// payment made otherwise (a signed /pay link among them), or whose link
// is not known.
func (s *Server) linkMaker(c *gin.Context, p payments.Payment) (string, error) {
	if s.opts.Links == nil {
		return "", nil
	}
	l, err := s.opts.Links.OfPayment(c.Request.Context(), p)
	if errors.Is(err, payments.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	id := "adminlist.who.link"
	if l.Source == payments.SourceStaticQR {
		id = "adminlist.who.static_qr"
	}
	name := l.Description(s.chooseLang(c))
	if name == "" {
		id, name = id+"_amount", linkAmount(l)
	}
	return s.localizer(c).T(id, name), nil
}

// auditWho is who did what entry e records: their email, and the address
// they did it from.
func auditWho(loc views.Localizer, e accounts.AuditEntry) string {
	if e.Email == accounts.APIEmail {
		e.Email = loc.T("adminlist.who.api")
	}
	if e.Address != "" {
		return e.Email + " (" + e.Address + ")"
	}
	return e.Email
}

// auditRefund reads a refund's audit entry: the refund's id, and whether
// it only says it was asked for (no refusal, nothing unsent).
func auditRefund(e accounts.AuditEntry) (id string, plain bool, ok bool) {
	if e.Action != "refund" {
		return "", false, false
	}
	head, _, _ := strings.Cut(e.After, refundReason)
	rest, ok := strings.CutPrefix(head, "refund ")
	if !ok {
		return "", false, false
	}
	id, _, _ = strings.Cut(rest, " ")
	return id, !strings.Contains(head, refundRefused) && !strings.Contains(head, refundNotSent), id != ""
}

// deliveryText sums up one webhook try: the endpoint's answer and the
// event's state after it, in loc's language.
func deliveryText(loc views.Localizer, d payments.Delivery) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d ", d.Attempt)
	if d.StatusCode != 0 {
		fmt.Fprintf(&b, "HTTP %d ", d.StatusCode)
	}
	if e := deliveryError(loc, d); e != "" {
		b.WriteString(e + " ")
	}
	b.WriteString("→ " + loc.T("adminlist.state."+deliveryState(d)))
	return b.String()
}

// showPaymentDetail renders one payment with its timeline and the actions
// its state allows; errorID/arg and noticeID say how the last action went.
// The refund form offers all that is left.
func (s *Server) showPaymentDetail(c *gin.Context, status int, errorID, arg, noticeID string) {
	s.paymentDetail(c, status, errorID, arg, noticeID, false)
}

// showRefundError renders the payment after a refund that did not go
// through, with errorID/arg saying why and the form holding what the
// owner typed, so sending it again asks for the same refund, never for
// all that is left.
func (s *Server) showRefundError(c *gin.Context, status int, errorID, arg string) {
	s.paymentDetail(c, status, errorID, arg, "", true)
}

// paymentDetail is showPaymentDetail; typed fills the refund form with
// the amount and reason posted.
func (s *Server) paymentDetail(c *gin.Context, status int, errorID, arg, noticeID string, typed bool) {
	ctx, id := c.Request.Context(), c.Param("id")
	p, err := s.svc.Get(ctx, id)
	if err != nil {
		s.respondError(c, err)
		return
	}
	tl, err := s.timeline(c, p)
	if err != nil {
		s.respondError(c, err)
		return
	}
	row, err := s.listRow(ctx, p)
	if err != nil {
		s.respondError(c, err)
		return
	}
	rows := []views.PaymentRow{row}
	if err := s.takenBy(c, rows); err != nil {
		s.respondError(c, err)
		return
	}
	row = rows[0]
	base := PaymentsPath + "/" + p.ID
	v := views.PaymentDetail{Admin: s.adminPage(c, "admin.payments.title", PaymentsPath), Row: row,
		Description: p.Description, Timeline: tl, ErrorID: errorID, ErrorArg: arg, NoticeID: noticeID,
		WebhooksOn: s.webhooksOn()}
	// Only an owner acts on a payment: a bookkeeper reads it, and is
	// shown no button its role would be refused (routes.go).
	owner := who(c).account.Role == accounts.Owner
	if owner {
		v.RequeryURL = s.langPath(c, base+"/requery")
	}
	v.ErrorField = detailErrorField(errorID)
	v.Title = s.errorTitle(c, v.Title, errorID, arg)
	if hasReceipt(p) {
		v.ReceiptURL = s.langPath(c, base+"/receipt")
	}
	if p.NeedsReview && p.Status.Settled() {
		as, err := s.svc.Attempts(ctx, p.ID)
		if err != nil {
			s.respondError(c, err)
			return
		}
		for _, a := range payments.PaidTwice(p, as) {
			v.PaidTwice = append(v.PaidTwice, views.SecondCharge{OrderID: a.OrderID, Reference: a.Reference,
				Amount: withCurrency(p.Amount, p.Currency)})
		}
	}
	if v.SameReference, err = s.sameReference(c, p); err != nil {
		s.respondError(c, err)
		return
	}
	if v.Refusal, v.RefusalLatipay, err = s.payCodeRefusal(c, p); err != nil {
		s.respondError(c, err)
		return
	}
	switch {
	case !owner:
	case p.Status == payments.StatusPaid || p.Status == payments.StatusPartiallyRefunded:
		v.RefundURL = s.langPath(c, base+"/refund")
		v.Admin.JS = s.adminJS // the refund dialog (no live feed here)
		v.Refundable = payments.FormatAmount(p.Amount-p.Refunded, p.Currency)
		v.Amount = v.Refundable
		if typed {
			v.Amount, v.Reason = c.PostForm("amount"), c.PostForm("reason")
		}
		v.NeedPW = !s.opts.Accounts.Fresh(who(c).session)
		v.NeedCode = v.NeedPW && who(c).account.TOTPOn()
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		v.IdemKey = base64.RawURLEncoding.EncodeToString(b)
	case p.Status == payments.StatusCreated || p.Status == payments.StatusPending || p.Status == payments.StatusFailed:
		v.CancelURL = s.langPath(c, base+"/cancel")
	}
	if p.Flagged() && owner {
		v.ReviewURL = s.langPath(c, base+"/review")
		v.ReviewMax = payments.MaxReviewNoteLen
		if status == http.StatusBadRequest {
			v.ReviewNote = c.PostForm("note")
		}
	}
	s.render(c, status, views.PaymentDetailPage(v))
}

// sameRefLimit is how many payments with one reference the payment's
// page reads to count them; the list it links to shows them all.
const sameRefLimit = 100

// sameReference counts the other payments with p's merchant reference,
// and those of them that were paid (refunded since or not), through the
// list's exact-reference filter and its index. Without an
// Idempotency-Key a create sent twice makes two payable payments of one
// order (documented, not refused), and the shopper may pay both: the
// page says so, and links to the list filtered to the reference (the
// search box's "reference:" form). Nothing for a payment without one.
func (s *Server) sameReference(c *gin.Context, p payments.Payment) (views.SameReference, error) {
	if strings.TrimSpace(p.Reference) == "" {
		return views.SameReference{}, nil
	}
	page, err := s.svc.List(c.Request.Context(), payments.ListInput{Reference: p.Reference, Limit: sameRefLimit})
	if errors.Is(err, payments.ErrInvalid) { // a reference the filter cannot take: none made through the API
		return views.SameReference{}, nil
	}
	if err != nil {
		return views.SameReference{}, err
	}
	r := views.SameReference{More: page.Next != "", Paid: p.Status.Settled()}
	for _, o := range page.Payments {
		if o.ID == p.ID {
			continue
		}
		r.Others++
		if o.Status.Settled() {
			r.OthersPaid++
		}
	}
	if r.Others > 0 {
		r.ListURL = s.langPath(c, PaymentsPath+"?"+url.Values{"q": {"reference:" + p.Reference}}.Encode())
	}
	return r, nil
}

// detailErrorField is the id of the payment page's field (the refund's
// or the review's) a refused action's message is about; "" when none is.
func detailErrorField(errorID string) string {
	switch errorID {
	case "admin.refund.amountneeded", "admin.refund.toolarge", "admin.refund.bad", "admin.refund.left":
		return "amount"
	case "admin.refund.reasonlong":
		return "reason"
	case "admin.refund.pw", "admin.refund.pwneeded", "admin.reauth.bad", "admin.reauth.locked", "admin.signin.busy":
		return "password"
	case "admin.code.bad", "admin.code.used", "admin.reauth.code":
		return "refund-code"
	case "admin.review.noteneeded", "admin.review.notelong":
		return "review-note"
	}
	return ""
}

// payCodeRefusal is why a counter sale still open was refused its last
// pay code (payments.PayCodeRefused), in the reader's language, for
// beside its status, which alone says it waits for a method; "" for any
// other payment; words is Latipay's own words (English) in it, if any.
func (s *Server) payCodeRefusal(c *gin.Context, p payments.Payment) (why, words string, err error) {
	if p.Source != payments.SourceCounterScan || p.Status != payments.StatusCreated {
		return "", "", nil
	}
	ctx := c.Request.Context()
	as, err := s.svc.Attempts(ctx, p.ID)
	if err != nil || !payments.PayCodeRefused(p, as) {
		return "", "", err
	}
	evs, err := s.svc.Events(ctx, p.ID)
	if err != nil {
		return "", "", err
	}
	loc := s.localizer(c)
	for i := len(evs) - 1; i >= 0; i-- {
		if m, ok := payments.EventMessage(evs[i]); ok && m.Code == payments.MsgAttemptPayCodeRefused && m.Reference == p.LatipayReference {
			why := failureText(loc, m)
			if m.Failure == payments.FailureRefused { // said once: "refused" is in the sentence
				why = refusalText(loc, m.GatewayCode, m.Reason, m.Error)
			}
			return loc.T("admin.detail.refused", why), latipayWords(loc, m.GatewayCode, m.Reason, m.Error), nil
		}
	}
	return loc.T("admin.detail.refused", loc.T("event.failure."+payments.FailureRejected)), "", nil
}

// handlePaymentDetail serves GET /admin/payments/:id.
func (s *Server) handlePaymentDetail() gin.HandlerFunc {
	return func(c *gin.Context) {
		notice := s.flash(c, "admin.refund.done", "admin.refund.pending", "admin.cancel.done", "adminlist.requery.done",
			"admin.review.done")
		s.showPaymentDetail(c, http.StatusOK, "", "", notice)
	}
}

// handleAdminRefund serves POST /admin/payments/:id/refund through the
// payments service's own refund path. The password must have been
// confirmed within accounts.ReauthWindow (or with this form). The form's
// one-time key is the service's idempotency key, so a double click
// refunds once. Latipay's refusals (codes 550-562) are explained in the
// shop's words; nothing was refunded then.
func (s *Server) handleAdminRefund() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, si := c.Request.Context(), who(c)
		// The form always names the amount: an empty one would be the
		// service's "everything left", which the owner may not have meant.
		if strings.TrimSpace(c.PostForm("amount")) == "" {
			s.showRefundError(c, http.StatusBadRequest, "admin.refund.amountneeded", "")
			return
		}
		if !s.opts.Accounts.Fresh(si.session) {
			// No password typed is a form left short, not a wrong
			// password: it is not counted towards the lock.
			if c.PostForm("password") == "" {
				s.showRefundError(c, http.StatusBadRequest, "admin.refund.pwneeded", "")
				return
			}
			if err := s.opts.Accounts.Reauthenticate(ctx, si.sid, c.PostForm("password"), c.PostForm("code"), actor(c)); err != nil {
				id, status, ok := codeErrorID(err)
				if !ok {
					s.respondError(c, err)
					return
				}
				if errors.Is(err, accounts.ErrBadCredential) {
					id = "admin.refund.pw"
				}
				s.showRefundError(c, status, id, "")
				return
			}
		}
		key := c.PostForm("key")
		if key == "" || len(key) > 64 || !utf8.ValidString(key) {
			s.showRefundError(c, http.StatusBadRequest, "admin.refund.bad", "")
			return
		}
		before, _ := s.svc.Get(ctx, c.Param("id"))
		totals, _ := s.svc.RefundTotals(ctx, before)
		r, replayed, err := s.svc.Refund(ctx, payments.RefundInput{PaymentID: c.Param("id"), Amount: c.PostForm("amount"),
			Reason: c.PostForm("reason"), Key: "admin:" + si.account.ID + ":" + key})
		var re *payments.RefundError
		var tl *payments.RefundTooLargeError
		s.recordRefund(c, actor(c), totals, before.Currency, r, replayed, err)
		switch {
		case err == nil:
			// Latipay's answer was lost: the refund is not made until the
			// reconciler hears it, so the notice must not say it was.
			done := "admin.refund.done"
			if r.Status == payments.RefundPending {
				done = "admin.refund.pending"
			}
			s.redirectDone(c, PaymentsPath+"/"+c.Param("id"), done)
		case errors.As(err, &re) && refundCodes[re.Code]:
			s.showRefundError(c, http.StatusUnprocessableEntity, fmt.Sprintf("adminlist.refund.code.%d", re.Code), "")
		case errors.As(err, &re):
			s.showRefundError(c, http.StatusUnprocessableEntity, "admin.refund.rejected", re.Message)
		case errors.As(err, &tl):
			id, arg := refundLeft(s.localizer(c).Lang(), tl)
			s.showRefundError(c, http.StatusUnprocessableEntity, id, arg)
		case errors.Is(err, payments.ErrRefundTooLarge):
			s.showRefundError(c, http.StatusUnprocessableEntity, "admin.refund.toolarge", "")
		case errors.Is(err, payments.ErrNotRefundable):
			s.showRefundError(c, http.StatusConflict, "admin.refund.notrefundable", "")
		case errors.Is(err, payments.ErrInvalid) && utf8.RuneCountInString(c.PostForm("reason")) > payments.MaxReasonLen:
			s.showRefundError(c, http.StatusBadRequest, "admin.refund.reasonlong", "")
		case errors.Is(err, payments.ErrInvalid):
			s.showRefundError(c, http.StatusBadRequest, "admin.refund.bad", "")
		case errors.Is(err, payments.ErrGatewayUnavailable):
			s.showRefundError(c, http.StatusServiceUnavailable, "admin.refund.unavailable", "")
		default:
			s.respondError(c, err)
		}
	}
}

// refundAsked is refund id of the payment the request names, as stored
// (its amount and reason), for its audit entry; with the id alone when it
// cannot be read.
func (s *Server) refundAsked(c *gin.Context, id string) payments.Refund {
	rs, _ := s.svc.Refunds(c.Request.Context(), c.Param("id"))
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	return payments.Refund{ID: id}
}

// refundLeft says, in the page's language tag, how much of a payment can
// still be refunded when a refund asked for more: a message id and its
// argument, the money written as every back-office page writes it
// (withCurrency, "NZD 174.00") in every language.
func refundLeft(_ string, e *payments.RefundTooLargeError) (id, arg string) {
	switch {
	case e.Left > 0:
		return "admin.refund.left", withCurrency(e.Left, e.Currency)
	case e.Pending > 0:
		return "admin.refund.held", withCurrency(e.Pending, e.Currency)
	}
	return "admin.refund.full", ""
}

// refundLeftText is refundLeft in English, for the API's error message:
// the money as the API writes it, the currency's code and the amount
// ("NZD 7.50"), never a symbol that is ambiguous between dollars.
func refundLeftText(e *payments.RefundTooLargeError) string {
	switch {
	case e.Left > 0:
		return "Only " + withCurrency(e.Left, e.Currency) + " can still be refunded."
	case e.Pending > 0:
		return "Nothing more can be refunded now: " + withCurrency(e.Pending, e.Currency) +
			" is held by refunds still waiting for Latipay's answer."
	}
	return "This payment is already fully refunded."
}

// handleAdminCancel serves POST /admin/payments/:id/cancel.
func (s *Server) handleAdminCancel() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		p, err := s.svc.Cancel(ctx, c.Param("id"))
		switch {
		case errors.Is(err, payments.ErrRefundedBeforeCancel):
			s.showPaymentDetail(c, http.StatusConflict, "admin.cancel.refundedhere", "", "")
			return
		case errors.Is(err, payments.ErrPaidBeforeCancel):
			s.showPaymentDetail(c, http.StatusConflict, "admin.cancel.paidhere", "", "")
			return
		case errors.Is(err, payments.ErrAlreadyPaid):
			// Latipay had the payment paid: it is recorded paid, not canceled.
			s.showPaymentDetail(c, http.StatusConflict, "admin.cancel.paid", "", "")
			return
		}
		if errors.Is(err, payments.ErrNotCancelable) {
			s.showPaymentDetail(c, http.StatusConflict, "admin.cancel.not", "", "")
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		_ = s.opts.Accounts.Record(ctx, actor(c), "cancel", p.ID, "", string(p.Status))
		s.redirectDone(c, PaymentsPath+"/"+p.ID, "admin.cancel.done")
	}
}

// handleAdminReview serves POST /admin/payments/:id/review: an owner marks
// a payment flagged paid late or needing review as reviewed, with a short
// note (payments.Service.MarkReviewed). It takes the payment off what
// needs attention and changes nothing else: not its status, not its
// money. The payment's timeline shows it (the event names who), and the
// audit log keeps it with the flag it cleared and the note.
func (s *Server) handleAdminReview() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		before, err := s.svc.Get(ctx, c.Param("id"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		// The note as it is kept (control and invisible characters
		// removed, as the API removes them from a refund's reason): one of
		// only zero-width spaces is empty, and the audit log records what
		// the timeline shows, never a raw control character.
		note := payments.CleanText(c.PostForm("note"))
		p, err := s.svc.MarkReviewed(ctx, before.ID, who(c).account.Email, note)
		switch {
		case errors.Is(err, payments.ErrNotFlagged):
			s.showPaymentDetail(c, http.StatusConflict, "admin.review.nothing", "", "")
			return
		case errors.Is(err, payments.ErrInvalid) && note == "":
			s.showPaymentDetail(c, http.StatusBadRequest, "admin.review.noteneeded", "", "")
			return
		case errors.Is(err, payments.ErrInvalid):
			s.showPaymentDetail(c, http.StatusBadRequest, "admin.review.notelong", "", "")
			return
		case err != nil:
			s.respondError(c, err)
			return
		}
		_ = s.opts.Accounts.Record(ctx, actor(c), "review", p.ID, reviewFlag(before), reviewNote+note)
		s.redirectDone(c, PaymentsPath+"/"+p.ID, "admin.review.done")
	}
}

// reviewNote starts the after of a review's audit entry, the note
// following it.
const reviewNote = "reviewed: "

// reviewFlag is what a review cleared, as its audit entry's before: the
// home page's kind of the payment (payments.Attention*).
func reviewFlag(p payments.Payment) string {
	if p.NeedsReview {
		return payments.AttentionNeedsReview
	}
	return payments.AttentionPaidLate
}

// handleAdminRequery serves POST /admin/payments/:id/requery: asks
// Latipay now about the payment's live attempts (the reconciler's own
// path), records who asked and what it found, and shows the payment.
func (s *Server) handleAdminRequery() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		before, err := s.svc.Get(ctx, c.Param("id"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		p, err := s.svc.Requery(ctx, before.ID)
		if err != nil {
			s.respondError(c, err)
			return
		}
		_ = s.opts.Accounts.Record(ctx, actor(c), "requery", p.ID, string(before.Status), string(p.Status))
		s.redirectDone(c, PaymentsPath+"/"+p.ID, "adminlist.requery.done")
	}
}

// refundBefore is what a refund's audit entry records as before it: what
// the pages call refunded (succeeded) and, when any, what refunds still
// waiting for Latipay hold. Entries from before they were apart say
// "refunded" and the two together (auditText reads both).
func refundBefore(t payments.RefundTotals, c payments.Currency) string {
	s := "succeeded " + payments.FormatAmount(t.Succeeded, c)
	if t.Pending > 0 {
		s += ", pending " + payments.FormatAmount(t.Pending, c)
	}
	return s
}

// recordRefund puts a refund asked for in the audit log: by the person
// signed in (the back office) or by the merchant's system (the API,
// accounts.APIEmail), so the log holds every refund whoever asked, and
// the refunds export names who (refundAskers). totals are the payment's
// before it, r, replayed and err the service's answer. Each entry names
// the refund with the amount asked and the reason as typed
// (refundAfter), so the log says what was asked for. A replay is not
// asked again and records nothing.
func (s *Server) recordRefund(c *gin.Context, by accounts.Actor, totals payments.RefundTotals, cur payments.Currency,
	r payments.Refund, replayed bool, err error) {
	if s.opts.Accounts == nil || replayed {
		return
	}
	ctx, id := c.Request.Context(), c.Param("id")
	var re *payments.RefundError
	switch {
	case err == nil:
		_ = s.opts.Accounts.Record(ctx, by, "refund", id, refundBefore(totals, cur), refundAfter(r, cur, ""))
	case errors.As(err, &re):
		// A refusal is an action on money too: the log keeps it, with
		// Latipay's code and words (auditText).
		asked := s.refundAsked(c, re.RefundID)
		_ = s.opts.Accounts.Record(ctx, by, "refund", id, refundBefore(totals, cur),
			refundAfter(asked, cur, fmt.Sprintf("%s%d: %s", refundRefused, re.Code, re.Message)))
	case errors.Is(err, payments.ErrGatewayUnavailable) && r.ID != "" && r.Status == payments.RefundFailed:
		// Recorded failed without reaching Latipay: asked for all the
		// same, so the log keeps it, saying nothing was sent.
		_ = s.opts.Accounts.Record(ctx, by, "refund", id, refundBefore(totals, cur), refundAfter(r, cur, refundNotSent+r.GatewayMessage))
	}
}
