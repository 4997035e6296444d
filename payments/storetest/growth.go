package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// GrowthRow is seeded payment i (from 1) of a shop's last year, ending at
// end, with its creation event and its attempt: the load harness's
// growth rows. Unlike the list benchmark's rows, a row does not depend on
// how many are seeded, so a database can be grown in steps (10,000, then
// 90,000 more, then 900,000 more) and every prefix is a year of payments:
// row i's time is the fractional part of i times the golden ratio, a
// low-discrepancy spread over the year. Nothing in it is due: payments are
// settled, expired or canceled (70% paid; 23% expired, 5% of them after a
// failed attempt; 4% canceled; 2% partly and 1% fully refunded; a failed
// payment is still open until its window ends), their attempts finished
// with no check scheduled, so the reconciler and the expiry sweep find
// nothing to do in the seeded rows, as in a shop's real history. Channels,
// methods and currencies are mixed as in benchRow. Its payment id and its
// attempt's reference have the grammar and the randomness of the ids
// made before ids began with their time (GrowthID, GrowthReference): a
// year's history of random keys, spread over every index they key, as a
// real shop's database holds them.
func GrowthRow(i int, end time.Time) payments.NewPayment {
	_, frac := math.Modf(float64(i) * 0.6180339887498949)
	at := end.UTC().Add(-benchSpan + time.Duration(frac*float64(benchSpan))).Truncate(time.Millisecond)
	p := benchRow(i, 1)
	p.ID = GrowthID(i)
	p.Reference = fmt.Sprintf("SEED-%08d", i)
	p.CreatedAt, p.UpdatedAt, p.ExpiresAt = at, at, at.Add(15*time.Minute)
	p.PaidAt, p.Refunded, p.LatipayOrderID = time.Time{}, 0, ""
	a := payments.Attempt{Reference: GrowthReference(i), PaymentID: p.ID, Method: p.Method,
		Hosted: p.Method == payments.MethodUnionPay, CreatedAt: at.Add(20 * time.Second), Kind: payments.KindOnline}
	switch b := i * 37 % 100; { // every 100 rows hold the mix, spread through them
	case b < 70:
		p.Status, a.Status = payments.StatusPaid, payments.AttemptPaid
	case b < 88:
		p.Status, a.Status = payments.StatusExpired, payments.AttemptPending // the shopper never paid
	case b < 93:
		p.Status, a.Status = payments.StatusExpired, payments.AttemptFailed // failed, then its window ended
	case b < 97:
		p.Status, a.Status = payments.StatusCanceled, payments.AttemptCanceled
	case b < 99:
		p.Status, a.Status, p.Refunded = payments.StatusPartiallyRefunded, payments.AttemptPaid, 100
	default:
		p.Status, a.Status, p.Refunded = payments.StatusRefunded, payments.AttemptPaid, p.Amount
	}
	if a.Status == payments.AttemptPaid {
		a.OrderID = fmt.Sprintf("2025%012d", i)
		p.LatipayOrderID, p.PaidAt = a.OrderID, at.Add(time.Minute)
	}
	p.LatipayReference, p.Attempts, p.Version = a.Reference, 1, 2
	if p.Status != payments.StatusPaid {
		p.UpdatedAt = at.Add(16 * time.Minute)
	}
	// A refunded payment holds the succeeded refund its status counts:
	// without it the service takes the status for one an earlier version
	// left and corrects it when it starts (CorrectRefundStatuses), a
	// write for each of 3% of the seeded payments while a growth run
	// measures.
	var refunds []payments.Refund
	if p.Refunded > 0 {
		h := sha256.Sum256([]byte("growth-refund-" + strconv.Itoa(i)))
		done := at.Add(2 * time.Hour)
		refunds = []payments.Refund{{ID: "rf_" + strings.ToLower(crockford.EncodeToString(h[:16])), PaymentID: p.ID,
			Amount: p.Refunded, Currency: p.Currency, Status: payments.RefundSucceeded,
			CreatedAt: at.Add(time.Hour), UpdatedAt: done}}
		p.UpdatedAt = done
	}
	ev := payments.Event{PaymentID: p.ID, Seq: 1, Type: "payment.created", To: payments.StatusCreated, CreatedAt: at}
	return payments.NewPayment{Payment: p, Event: ev, Attempts: []payments.Attempt{a}, Refunds: refunds}
}

// Grow adds GrowthRow payments have+1 .. want to s, chunk at a time (each
// chunk one transaction), and returns how many it added.
func Grow(ctx context.Context, s payments.BulkCreator, have, want, chunk int, end time.Time) (int, error) {
	if chunk < 1 {
		chunk = 1
	}
	added := 0
	for i := have + 1; i <= want; i += chunk {
		rows := make([]payments.NewPayment, 0, chunk)
		for j := i; j <= want && j < i+chunk; j++ {
			rows = append(rows, GrowthRow(j, end))
		}
		// In id order: the chunk's keys visit each index's leaves once,
		// in file order, rather than at random (its ids are random).
		slices.SortFunc(rows, func(a, b payments.NewPayment) int { return strings.Compare(a.Payment.ID, b.Payment.ID) })
		if err := s.CreatePayments(ctx, rows); err != nil {
			return added, fmt.Errorf("payments %d to %d: %w", i, i+len(rows)-1, err)
		}
		added += len(rows)
	}
	return added, nil
}

// crockford is payments' id alphabet (Crockford's base32, upper case).
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// GrowthID is GrowthRow i's payment id: "pay_" and 26 characters of 128
// bits that look random (a hash of i), the grammar of the payment ids
// made before they began with their creation time.
func GrowthID(i int) string {
	h := sha256.Sum256([]byte("growth-id-" + strconv.Itoa(i)))
	return "pay_" + strings.ToLower(crockford.EncodeToString(h[:16]))
}

// GrowthReference is GrowthRow i's attempt reference: 26 upper-case
// characters of 128 bits that look random, as the references the service
// makes.
func GrowthReference(i int) string {
	h := sha256.Sum256([]byte("growth-reference-" + strconv.Itoa(i)))
	return crockford.EncodeToString(h[:16])
}
