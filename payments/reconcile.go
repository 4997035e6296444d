package payments

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// schedule is how long to wait before the next query of a live online
// attempt (barcode attempts: checkAfter), after n queries: every 30 s for
// 5 minutes, every 2 minutes to 30 minutes, every 15 minutes to a day,
// then daily to a week (P0 49 in e2e/README.md;
// TestDroppedCallbackReconciled).
// ok is false when the attempt has been asked about long enough and needs
// a person.
func schedule(n int) (wait time.Duration, ok bool) {
	switch {
	case n < 10:
		return 30 * time.Second, true
	case n < 10+12:
		return 2 * time.Minute, true
	case n < 22+94:
		return 15 * time.Minute, true
	case n < 116+6:
		return 24 * time.Hour, true
	}
	return 0, false
}

// unknownGrace is how long "order not exist" from Latipay is read as "not
// there yet" rather than "never created" (code 201 can answer a query that reaches Latipay before the order is
// recorded there).
const unknownGrace = 10 * time.Minute

// reconcileLease keeps other workers off an attempt while it is queried.
const reconcileLease = 2 * time.Minute

// ReconcileDue queries Latipay about every live attempt whose check is due
// and applies the answers. It returns how many attempts it looked at. It is
// safe to run on several instances at once: attempts are claimed.
func (s *Service) ReconcileDue(ctx context.Context, limit int) (int, error) {
	due, err := s.store.ClaimDueAttempts(ctx, s.now().UTC(), reconcileLease, limit)
	if err != nil {
		return 0, fmt.Errorf("payments: reconcile: %w", err)
	}
	for _, a := range due {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		s.reconcile(ctx, a)
	}
	return len(due), nil
}

// cancelRetryWait is how long after Latipay refused a cancel (code 1,
// "fail": Latipay asks for at least 15 minutes before a retry; package
// latipay, Client.Cancel) the reconciler waits before it checks the
// attempt again, and so before it cancels it again.
const cancelRetryWait = 15 * time.Minute

func (s *Service) reconcile(ctx context.Context, a Attempt) {
	if a.Status == AttemptPaid {
		s.paidOrderQuery(ctx, a)
		return
	}
	refused := false // Latipay refused the cancel: no new one for cancelRetryWait
	if p, err := s.store.Payment(ctx, a.PaymentID); err == nil && !open(p.Status) {
		// The payment closed (window ended, canceled, or paid through
		// another attempt) with this attempt live: cancel it at Latipay
		// first (harmless if already canceled; "already paid" is fine too:
		// the query below then applies the payment, late or twice).
		cctx, cancel := context.WithTimeout(forPayment(ctx, a.PaymentID), 15*time.Second)
		if err := s.gw.Cancel(cctx, a.Reference); err != nil && !errors.Is(err, ErrCompletedAtGateway) {
			refused = errors.Is(err, ErrGatewayRejected)
			s.log.Info("reconcile: cancel failed", "reference", a.Reference, "err", err)
		}
		cancel()
	}
	qctx, cancel := context.WithTimeout(forPayment(ctx, a.PaymentID), 15*time.Second)
	res, qerr := s.gw.Query(qctx, a.Reference)
	cancel()
	_, err := s.update(ctx, a.PaymentID, func(tx *Tx) error {
		at := tx.attempt(a.Reference)
		if at == nil || !at.Status.Live() {
			return nil
		}
		now := s.now().UTC()
		switch {
		case qerr == nil && res.Reference == at.Reference:
			s.apply(tx, res, "query", nil)
		case errors.Is(qerr, ErrUnknownAtGateway) && now.Sub(at.CreatedAt) > unknownGrace:
			at.Status = AttemptError
			tx.event(Message{Code: MsgAttemptUnknown, Reference: a.Reference}.Event("attempt.unknown", tx.Payment.Status, now))
		case qerr != nil:
			s.log.Info("reconcile: query failed", "reference", a.Reference, "err", qerr)
		}
		at = tx.attempt(a.Reference)
		if !at.Status.Live() {
			at.NextCheckAt = time.Time{}
		} else if wait, ok := checkAfter(*at, at.Checks+1); ok {
			if refused {
				wait = max(wait, cancelRetryWait)
			}
			at.NextCheckAt = now.Add(wait)
		} else {
			at.NextCheckAt = time.Time{}
			s.anomaly(tx, Message{Code: MsgNoFinalAnswer, Reference: a.Reference})
		}
		at.Checks++
		tx.dirtyAttempts[a.Reference] = true
		tx.touch()
		return nil
	})
	if err != nil && ctx.Err() == nil {
		s.log.Error("reconcile: update failed", "reference", a.Reference, "err", err)
	}
}

// paidOrderQuery is the query of an attempt paid without Latipay's order
// id (a callback does not carry it trusted; apply makes the attempt due):
// Latipay's signed answer gives the order id and the yuan figure,
// recorded on the attempt and its payment, and the attempt is not due
// again. When Latipay gives no answer (not reached, an error) or a paid
// one still without the order id, the attempt is due again on the
// reconciliation's own schedule (checkAfter, counted in Checks with the
// queries made before it was paid), so the id a refund and the owner
// need is not lost to one failed query; the schedule ends after a week
// of asking, and then so does this (the order is in Latipay's merchant
// portal under the attempt's reference).
// A signed answer that is not paid ends it at once: that is an anomaly
// for a person, not a question to repeat.
func (s *Service) paidOrderQuery(ctx context.Context, a Attempt) {
	qctx, cancel := context.WithTimeout(forPayment(ctx, a.PaymentID), 15*time.Second)
	res, qerr := s.gw.Query(qctx, a.Reference)
	cancel()
	if qerr != nil {
		s.log.Info("reconcile: order id query failed; asking again later", "reference", a.Reference, "err", qerr)
	}
	_, err := s.update(ctx, a.PaymentID, func(tx *Tx) error {
		at := tx.attempt(a.Reference)
		if at == nil || at.Status != AttemptPaid || at.NextCheckAt.IsZero() {
			return nil
		}
		answered := qerr == nil && res.Reference == at.Reference
		if answered && res.Status == "paid" {
			s.apply(tx, res, "query", nil)
		}
		at = tx.attempt(a.Reference)
		at.Checks++
		at.NextCheckAt = time.Time{}
		if at.OrderID == "" && (!answered || res.Status == "paid") {
			if wait, ok := checkAfter(*at, at.Checks); ok {
				at.NextCheckAt = s.now().UTC().Add(wait)
			} else {
				s.log.Warn("reconcile: no order id from Latipay after a week of asking; find the order in Latipay's merchant portal by its reference", "reference", a.Reference)
			}
		}
		tx.dirtyAttempts[a.Reference] = true
		tx.touch()
		return nil
	})
	if err != nil && ctx.Err() == nil {
		s.log.Error("reconcile: update failed", "reference", a.Reference, "err", err)
	}
}

// ExpireDue marks payments whose window has ended as expired. It returns
// how many it expired.
func (s *Service) ExpireDue(ctx context.Context, limit int) (int, error) {
	ids, err := s.store.ExpiredPayments(ctx, s.now().UTC(), limit)
	if err != nil {
		return 0, fmt.Errorf("payments: expire: %w", err)
	}
	for _, id := range ids {
		if _, err := s.expire(ctx, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// expire closes the payment window. It never calls Latipay, so a page
// load that notices the deadline stays fast: its live attempts are made
// due at once, and the reconciler cancels them at Latipay and keeps asking
// until Latipay says they are final (a late payment is then applied).
func (s *Service) expire(ctx context.Context, id string) (Payment, error) {
	return s.update(ctx, id, func(tx *Tx) error {
		if !Expirable(tx.Payment) || !tx.Payment.Expired(s.now()) {
			return nil
		}
		s.transition(tx, StatusExpired, Message{Code: MsgExpired})
		now := s.now().UTC()
		for i := range tx.Attempts {
			if tx.Attempts[i].Status.Live() {
				tx.Attempts[i].NextCheckAt = now
				tx.dirtyAttempts[tx.Attempts[i].Reference] = true
			}
		}
		return nil
	})
}

// DefaultReconcileRate is how many Latipay queries a second one instance
// makes at most (HPP_RECONCILE_RATE, Options.QueryRate), the reconciler's
// and every other (queryPace). A backlog (after a callback outage, or a
// burst of unpaid QR codes) is worked through at this pace instead of as
// fast as Latipay answers, so that catching up neither hammers Latipay's
// query endpoint nor takes the write path and the disk's fsyncs from
// live callbacks and checkouts.
const DefaultReconcileRate = 20

// Run drives reconciliation and expiry until ctx ends; run starts it.
// Every tick it queries due attempts, each on its turn of the instance's
// pace (Options.QueryRate a second, queryPace) and at most a tick's
// worth, then asks Latipay about pending refunds whose answer was lost,
// then expires what is due, so that a long reconciliation backlog never
// holds expiry up.
// First, once, it corrects refund statuses an earlier version recorded
// (CorrectRefundStatuses).
func (s *Service) Run(ctx context.Context, every time.Duration) {
	perSecond := s.opts.QueryRate
	if n, err := s.CorrectRefundStatuses(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("correct refund statuses", "err", err)
	} else if n > 0 {
		s.log.Info("refund statuses corrected to the succeeded refunds", "payments", n)
	}
	batch := min(50, perSecond)
	budget := max(batch, int(float64(perSecond)*every.Seconds()))
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for done := 0; done < budget; {
			if ctx.Err() != nil {
				return
			}
			n, err := s.ReconcileDue(ctx, min(batch, budget-done))
			if err != nil && ctx.Err() == nil {
				s.log.Error("reconcile", "err", err)
			}
			done += n
			if n < batch || err != nil {
				break
			}
		}
		if _, err := s.ReconcileRefunds(ctx, batch); err != nil && ctx.Err() == nil {
			s.log.Error("reconcile refunds", "err", err)
		}
		if _, err := s.ExpireDue(ctx, 100); err != nil && ctx.Err() == nil {
			s.log.Error("expire", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Requery asks Latipay now about every live attempt of payment id, as the
// reconciler would when their check falls due, applies the answers and
// returns the payment as it then stands. A payment with no live attempt
// is returned unchanged: Latipay has nothing more to tell about it.
func (s *Service) Requery(ctx context.Context, id string) (Payment, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return Payment{}, err
	}
	as, err := s.store.Attempts(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	for _, a := range as {
		if a.Status.Live() {
			s.reconcile(ctx, a)
		}
	}
	return s.Get(ctx, id)
}
