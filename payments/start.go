package payments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// StartInput is a shopper choosing a method on the checkout page.
type StartInput struct {
	PaymentID string
	Method    string
	Device    Device
	ClientIP  string
	Fresh     bool   // never reuse the current QR (the shopper asked for a new one)
	Lang      string // the shopper's page language, carried in the return URL

	refresh bool // RefreshQR's fresh QR: named so in the replaced attempts' events
}

// Started tells the checkout page what to show next.
type Started struct {
	Payment     Payment
	Attempt     Attempt
	RedirectURL string // hosted flow: send the browser here now
}

// firstCheck is how long after an attempt starts the reconciler first asks
// Latipay about it, if no callback has settled it by then.
const firstCheck = 30 * time.Second

// Start begins (or, for an unexpired QR of the same method, resumes) a
// Latipay transaction for the payment. The attempt is stored before Latipay
// is called, so a crash in between is still reconciled.
//
// Before a new attempt replaces the payment's live ones (the QR of the
// wallet the shopper switched from, a pay code the counter scanned, a QR
// being refreshed), Latipay is asked about each, as a cancel asks
// (askBeforeReplace): the attempt is canceled there and, unless Latipay
// canceled it or says it never had it or it failed, queried. So no new
// Latipay order is made while a live attempt is paid there or its state
// is unknown: paid, the payment is recorded paid and Start answers
// ErrPaidBeforeReplace (the page shows it paid); no verifiable answer,
// ErrReplacedUnconfirmed (the shopper waits or tries again, the
// reconciler keeps asking). An attempt Latipay canceled can no longer be
// paid, so the new one is then the only payable order; it stays canceled
// if Latipay then refuses the new one, and the shopper chooses again.
//
// Once Latipay has taken the new transaction, the replaced attempts
// whose cancel Latipay did not answer are canceled again, and each is
// made due at once (replaceOthers), so the reconciler's signed query
// closes it. One race remains: an attempt whose cancel Latipay refused
// or did not answer, but whose query said unpaid, can still be paid
// after that answer (the shopper pays the old QR after switching). It is
// applied when Latipay says so, on time if the window was open, and the
// payment is then marked paid twice (apply, PaidTwice) for the shop to
// refund one. Two starts of one payment at the same instant can likewise
// each leave an order the other has not seen; each cancels the other's
// once its own is taken (liveOthers).
//
// A failed payment of a stored link gave its place back (paylinks.go):
// starting it again takes a place or, before Latipay is asked, answers
// ErrLinkUsedUp when the link's paid payments reached its maximum, or
// ErrLinkTaken (which matches ErrLinkUsedUp) when open checkouts hold the
// places left (LinkUseRetake).
func (s *Service) Start(ctx context.Context, in StartInput) (Started, error) {
	return s.start(ctx, in, false)
}

// StartByShopper is Start from the public checkout: the same, except that
// a counter sale is refused with ErrTillSale before anything changes (its
// wallet is the cashier's to choose or switch, at the counter).
func (s *Service) StartByShopper(ctx context.Context, in StartInput) (Started, error) {
	return s.start(ctx, in, true)
}

func (s *Service) start(ctx context.Context, in StartInput, byShopper bool) (Started, error) {
	if !ValidPaymentID(in.PaymentID) {
		return Started{}, ErrNotFound
	}
	if byShopper {
		// A shopper's start (or QR refresh) asks Latipay about the
		// attempts it replaces on a shopper's turn (queryPace): with none
		// free, that is Latipay not answering (ErrReplacedUnconfirmed).
		ctx = shopperAsks(ctx)
	}
	// What the request alone decides; refused only after the payment's
	// own checks (unknown, a counter sale), as always.
	var refused error
	m, err := ParseMethod(in.Method)
	flow, ok := Flow{}, false
	if err != nil || !s.offered(m) {
		refused = fmt.Errorf("%w: payment method %q is not offered", ErrInvalid, in.Method)
	} else if flow, ok = FlowFor(in.Device, m); !ok {
		refused = fmt.Errorf("%w: %s cannot be paid in this browser", ErrInvalid, m)
	}
	client := clientOf(in.ClientIP)
	// The payment is checked inside the write that stores the attempt,
	// from what that write read, rather than read first: a start is one
	// store round trip before Latipay is called, not two (the payment
	// is seldom cached when its checkout page was loaded long before).
	var ref string
	var reused Attempt
	var toAsk []string              // live attempts the new one would replace, not yet asked about
	asked := map[string]bool{}      // those asked about and found unpaid
	skipCancel := map[string]bool{} // of those, the ones Latipay canceled or refused to cancel
	first := func(tx *Tx) error {
		ref, reused, toAsk = "", Attempt{}, nil
		if Expirable(tx.Payment) && tx.Payment.Expired(s.now()) {
			return errExpiring
		}
		if byShopper && tx.Payment.TillSale() {
			return ErrTillSale
		}
		if refused != nil {
			return refused
		}
		if !open(tx.Payment.Status) || tx.Payment.Expired(s.now()) { // a failed counter sale's window ended
			return ErrNotPayable
		}
		if !flow.Hosted && !in.Fresh {
			if a, ok := reusableQRIn(tx, m); ok {
				reused = a
				return errReused
			}
		}
		if tx.Payment.Attempts >= maxClientsPerPayment*s.opts.MaxAttempts || attemptsBy(tx.Attempts, client) >= s.opts.MaxAttempts {
			return ErrTooManyAttempts
		}
		for _, a := range tx.Attempts {
			if a.Status.Live() && !asked[a.Reference] {
				toAsk = append(toAsk, a.Reference)
			}
		}
		if len(toAsk) > 0 {
			return errAskFirst
		}
		if tx.Payment.Status == StatusFailed && linked(tx.Payment.Source) {
			// Its failure gave the stored link's place back; starting
			// again takes one, or the store refuses (ErrLinkUsedUp or
			// ErrLinkTaken) before Latipay is asked.
			tx.linkUse = LinkUseRetake
		}
		now := s.now().UTC()
		r, err := newReference(s.rand, now)
		if err != nil {
			return err
		}
		ref = r
		tx.Payment.Attempts++
		tx.Payment.Method = m
		tx.Payment.LatipayReference = ref
		tx.Payment.UpdatedAt = now
		tx.putAttempt(Attempt{Reference: ref, PaymentID: tx.Payment.ID, Method: m, Hosted: flow.Hosted, Client: client,
			Status: AttemptInitiated, CreatedAt: now, NextCheckAt: now.Add(firstCheck)})
		tx.event(Message{Code: MsgAttemptStarted, Method: m, Reference: ref}.Event("attempt.started", tx.Payment.Status, now))
		return nil
	}
	p, err := s.update(ctx, in.PaymentID, first)
	for round := 0; errors.Is(err, errAskFirst); round++ {
		if round == maxAskRounds {
			// Other starts keep adding attempts: a new one now could
			// leave two payable.
			return Started{Payment: p}, ErrReplacedUnconfirmed
		}
		if p, err = s.askBeforeReplace(ctx, p.ID, toAsk, asked, skipCancel); err != nil {
			return Started{Payment: p}, err
		}
		p, err = s.update(ctx, in.PaymentID, first)
	}
	switch {
	case errors.Is(err, errReused):
		return Started{Payment: p, Attempt: reused}, nil
	case errors.Is(err, errExpiring):
		// Expired on the clock but not yet in the store: expire it
		// first, as reading it (Get) does, then refuse it as any payment
		// no longer open.
		if p, err = s.expire(ctx, in.PaymentID); err != nil {
			return Started{}, err
		}
		if byShopper && p.TillSale() {
			return Started{}, ErrTillSale
		}
		if refused != nil {
			return Started{}, refused
		}
		return Started{Payment: p}, ErrNotPayable // every open status may expire
	case errors.Is(err, ErrTillSale) || (refused != nil && errors.Is(err, refused)):
		return Started{}, err
	case err != nil:
		return Started{Payment: p}, err
	}
	res, gwErr := s.gw.Start(forPayment(ctx, p.ID), StartRequest{
		Reference: ref, Method: m, Amount: p.Amount, Currency: p.Currency,
		Description: p.Description, ReturnURL: withLang(s.opts.ReturnURLFor(p.ID), in.Lang),
		CallbackURL: s.opts.CallbackURL, BackURL: s.opts.CheckoutURLFor(p.ID),
		ClientIP: in.ClientIP, Hosted: flow.Hosted, PresentQR: flow.PresentQR,
	})
	// Record Latipay's answer even when the shopper's request has been
	// cancelled or timed out meanwhile: the attempt exists at Latipay now.
	var recorded Attempt // the attempt as written, when this write made it pending
	var others []string  // the payment's other live attempts as this write left them
	p, err = s.update(context.WithoutCancel(ctx), p.ID, func(tx *Tx) error {
		recorded, others = Attempt{}, liveOthers(tx.Attempts, ref, tx.Payment.LatipayReference)
		at := tx.attempt(ref)
		if at == nil || at.Status != AttemptInitiated {
			return nil // a callback got there first
		}
		if gwErr != nil {
			if errors.Is(gwErr, ErrGatewayRejected) || errors.Is(gwErr, ErrGatewayNotReached) {
				// Latipay refused, or the request never left: no
				// transaction exists there, so there is nothing to ask
				// it about.
				at.Status = AttemptError
				at.NextCheckAt = time.Time{}
			}
			tx.dirtyAttempts[ref] = true
			tx.event(failureMessage(Message{Code: MsgAttemptError, Reference: ref}, gwErr).Event("attempt.error", tx.Payment.Status, s.now().UTC()))
			return nil
		}
		at.Status = AttemptPending
		at.OrderID, at.QRCodeURL = res.OrderID, res.QRCodeURL
		at.AmountCNY, at.Rate = res.AmountCNY, res.CurrencyRate
		tx.putAttempt(*at)
		if res.AmountCNY != "" {
			tx.Payment.AmountCNY, tx.Payment.CurrencyRate = res.AmountCNY, res.CurrencyRate
		}
		s.transition(tx, StatusPending, Message{Code: MsgPending, Reference: ref})
		recorded = *at
		return nil
	})
	if err != nil {
		return Started{Payment: p}, err
	}
	if gwErr != nil {
		return Started{Payment: p}, gwErr
	}
	why := Message{Code: MsgAttemptReplaced, Method: m}
	if in.refresh {
		why = Message{Code: MsgAttemptReplacedQR}
	}
	if q, err := s.replaceOthers(ctx, p, ref, others, skipCancel, why); err != nil {
		s.log.Error("start: scheduling the replaced attempts failed; reconciliation continues", "payment_id", p.ID, "err", err)
	} else {
		p = q
	}
	if recorded.Reference == ref {
		return Started{Payment: p, Attempt: recorded, RedirectURL: res.RedirectURL}, nil
	}
	at, err := s.store.Attempt(ctx, ref) // a callback settled it first
	if err != nil {
		return Started{Payment: p}, err
	}
	return Started{Payment: p, Attempt: at, RedirectURL: res.RedirectURL}, nil
}

// replaceOthers cancels at Latipay the live attempts old of payment p
// (liveOthers: those other than keep, just started, and p's current one,
// a concurrent Start's, which cancels keep in its turn), and makes each
// due at once with an attempt.replaced event, so the reconciler asks
// Latipay about it now: it is canceled, or (when the shopper paid it in
// the meantime: Latipay's cancel answers ErrCompletedAtGateway) paid,
// which apply records. After a cancel Latipay refused or never answered,
// the attempt stays live and under reconciliation, and the reconciler
// cancels it when the payment closes (paid through another attempt,
// expired or canceled), respecting Latipay's wait after a refused cancel.
// It returns the payment as it then stands.
//
// old is taken from the attempts Start's second write read, inside that
// write's transaction, rather than read again after it: the same list
// an immediate read would give, without a query (and a read of pages
// the write had just changed) per start. A concurrent start whose
// attempt is stored after that write is not in old; it sees keep as
// live and cancels it in its turn, as when it comes after the read.
func (s *Service) replaceOthers(ctx context.Context, p Payment, keep string, old []string, skipCancel map[string]bool, why Message) (Payment, error) {
	ctx = context.WithoutCancel(ctx) // the new attempt exists at Latipay now
	if len(old) == 0 {
		return p, nil
	}
	for _, ref := range old {
		if skipCancel[ref] {
			continue // canceled before the start, or Latipay asked to wait
		}
		cctx, cancel := context.WithTimeout(forPayment(ctx, p.ID), 15*time.Second)
		cerr := s.gw.Cancel(cctx, ref)
		cancel()
		if cerr != nil && !errors.Is(cerr, ErrCompletedAtGateway) {
			s.log.Info("start: cancel of the replaced attempt failed; reconciliation continues", "reference", ref, "err", cerr)
		}
	}
	return s.update(ctx, p.ID, func(tx *Tx) error {
		now := s.now().UTC()
		for _, ref := range old {
			at := tx.attempt(ref)
			if at == nil || !at.Status.Live() {
				continue
			}
			at.NextCheckAt = now
			tx.dirtyAttempts[ref] = true
			m := why
			m.Reference, m.Other = ref, keep
			tx.event(m.Event("attempt.replaced", tx.Payment.Status, now))
		}
		return nil
	})
}

// liveOthers lists the references of the live attempts in as other than
// keep and current (replaceOthers).
func liveOthers(as []Attempt, keep, current string) []string {
	var old []string
	for _, a := range as {
		if a.Status.Live() && a.Reference != keep && a.Reference != current {
			old = append(old, a.Reference)
		}
	}
	return old
}

// errReused, errExpiring and errAskFirst end Start's first write without
// writing: the payment's current QR is shown again, the payment must be
// expired first, or Latipay must first be asked about the live attempts
// the new one would replace (askBeforeReplace).
var (
	errReused   = errors.New("payments: start: the current QR is reused")
	errExpiring = errors.New("payments: start: the payment has expired")
	errAskFirst = errors.New("payments: start: the live attempts must be asked about first")
)

// maxAskRounds bounds how many times one start asks Latipay about live
// attempts that concurrent starts keep adding before it gives up with
// ErrReplacedUnconfirmed.
const maxAskRounds = 3

// askBeforeReplace asks Latipay about the live attempts refs of payment
// id before a new attempt replaces them, within cancelAskTimeout: it
// cancels each there and, unless Latipay canceled it or says it never
// had it or it had failed, queries it. An attempt Latipay says is paid is
// recorded paid (as a callback would be) and the start is refused with
// ErrPaidBeforeReplace; one it cannot vouch for (no answer, an answer
// that does not verify) refuses it with ErrReplacedUnconfirmed. The
// others are added to asked; those Latipay canceled, or whose cancel it
// refused (not again before cancelRetryWait), to skipCancel too, so the
// start does not send their cancel again (replaceOthers).
func (s *Service) askBeforeReplace(ctx context.Context, id string, refs []string, asked, skipCancel map[string]bool) (Payment, error) {
	// Latipay's answer is recorded whether or not the shopper still waits.
	ctx = context.WithoutCancel(ctx)
	actx, cancel := context.WithTimeout(forPayment(ctx, id), cancelAskTimeout)
	defer cancel()
	var paid []GatewayResult
	unconfirmed := false
	for _, ref := range refs {
		cerr := s.gw.Cancel(actx, ref)
		switch {
		case cerr == nil:
			// Canceled there now: it can no longer be paid, and a
			// transaction already paid is never canceled (900). The
			// reconciler's signed query closes it (replaceOthers).
			asked[ref], skipCancel[ref] = true, true
			continue
		case errors.Is(cerr, ErrUnknownAtGateway), errors.Is(cerr, ErrFailedAtGateway):
			asked[ref], skipCancel[ref] = true, true // never there, or failed there: not paid
			continue
		case errors.Is(cerr, ErrCompletedAtGateway):
		default:
			if errors.Is(cerr, ErrGatewayRejected) {
				skipCancel[ref] = true
			}
			s.log.Info("start: Latipay did not cancel the attempt being replaced; asking it", "payment_id", id, "reference", ref, "err", cerr)
		}
		res, qerr := s.gw.Query(actx, ref)
		switch {
		case qerr != nil || res.Reference != ref:
			s.log.Info("start: Latipay could not say whether the attempt being replaced was paid; no new attempt", "payment_id", id, "reference", ref, "err", qerr)
			unconfirmed = true
		case res.Status == "paid":
			paid = append(paid, res)
		default:
			// Unpaid when asked. Paid after this answer (its cancel was
			// refused or not answered), it is applied when it arrives and
			// the payment is then paid twice (apply, PaidTwice).
			asked[ref] = true
		}
	}
	if len(paid) == 0 && !unconfirmed {
		return Payment{}, nil // Start's first write runs again
	}
	if len(paid) == 0 {
		// The reconciler asks about them now rather than at their turn.
		p, err := s.update(ctx, id, func(tx *Tx) error {
			now := s.now().UTC()
			for _, ref := range refs {
				if at := tx.attempt(ref); at != nil && at.Status.Live() && !asked[ref] && at.NextCheckAt.After(now) {
					at.NextCheckAt = now
					tx.putAttempt(*at)
				}
			}
			return nil
		})
		if err == nil {
			err = ErrReplacedUnconfirmed
		}
		return p, err
	}
	p, err := s.update(ctx, id, func(tx *Tx) error {
		for _, res := range paid {
			if at := tx.attempt(res.Reference); at != nil && at.Status.Live() {
				s.apply(tx, res, "query", nil)
			}
		}
		return nil
	})
	if err != nil {
		return p, err
	}
	return p, ErrPaidBeforeReplace
}

// maxClientsPerPayment bounds a payment's attempts at this many times
// MaxAttempts whoever makes them, so Latipay is not sent orders without end.
const maxClientsPerPayment = 5

// clientOf is the Attempt.Client of a shopper's address: the first 8
// bytes of its SHA-256, so the address itself is not stored.
func clientOf(ip string) string {
	h := sha256.Sum256([]byte(ip))
	return hex.EncodeToString(h[:8])
}

// attemptsBy counts the attempts that client started.
func attemptsBy(as []Attempt, client string) int {
	n := 0
	for _, a := range as {
		if a.Client == client {
			n++
		}
	}
	return n
}

// reusableQR finds the current attempt's QR when it is for the same method,
// still pending and not about to run out.
func (s *Service) reusableQR(ctx context.Context, p Payment, m Method) (Attempt, bool) {
	if p.LatipayReference == "" {
		return Attempt{}, false
	}
	a, err := s.store.Attempt(ctx, p.LatipayReference)
	if err != nil || a.Hosted || a.Method != m || a.Status != AttemptPending || a.QRCodeURL == "" {
		return Attempt{}, false
	}
	return a, true
}

// reusableQRIn is reusableQR from the attempts a write read.
func reusableQRIn(tx *Tx, m Method) (Attempt, bool) {
	if tx.Payment.LatipayReference == "" {
		return Attempt{}, false
	}
	a := tx.attempt(tx.Payment.LatipayReference)
	if a == nil || a.Hosted || a.Method != m || a.Status != AttemptPending || a.QRCodeURL == "" {
		return Attempt{}, false
	}
	return *a, true
}

// CurrentQR returns the QR attempt the checkout page should show, if any.
func (s *Service) CurrentQR(ctx context.Context, p Payment) (Attempt, bool) {
	if p.Status != StatusPending {
		return Attempt{}, false
	}
	return s.reusableQR(ctx, p, p.Method)
}

// gatewayFailure says what became of a call to Latipay that failed, for
// the event log a merchant reads: a Failure* kind and, when Latipay
// refused it with a message, that message; never the error chain, which
// names internal addresses.
func gatewayFailure(err error) (kind, latipay string) {
	var ge *GatewayError
	switch {
	case errors.As(err, &ge) && ge.Message != "":
		return FailureRefused, ge.Message
	case errors.As(err, &ge), errors.Is(err, ErrGatewayRejected):
		return FailureRejected, ""
	case errors.Is(err, ErrGatewayNotReached):
		return FailureNotReached, ""
	case errors.Is(err, ErrBadSignature):
		return FailureUnverified, ""
	case errors.Is(err, ErrMalformed):
		return FailureUnreadable, ""
	case errors.Is(err, ErrInvalid):
		return FailureInvalid, ""
	}
	return FailureNoAnswer, ""
}

// failureMessage is m with what became of the call err, and Latipay's
// code and reason when its refusal has a known one.
func failureMessage(m Message, err error) Message {
	m.Failure, m.Error = gatewayFailure(err)
	var ge *GatewayError
	if m.Failure == FailureRefused && errors.As(err, &ge) && ge.Reason != "" {
		m.Reason, m.GatewayCode = ge.Reason, ge.Code
	}
	return m
}

func (s *Service) offered(m Method) bool {
	for _, o := range s.opts.Methods {
		if o == m {
			return true
		}
	}
	return false
}
