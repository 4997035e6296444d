package payments

// Status is where a payment stands.
type Status string

// The payment statuses. Only Transition moves a payment between them,
// save one correction: a refund status ahead of the succeeded refunds is
// put back to what they say (followRefunds in refund.go).
const (
	StatusCreated           Status = "created"
	StatusPending           Status = "pending"
	StatusPaid              Status = "paid"
	StatusFailed            Status = "failed"
	StatusExpired           Status = "expired"
	StatusCanceled          Status = "canceled"
	StatusRefunded          Status = "refunded"
	StatusPartiallyRefunded Status = "partially_refunded"
)

// Statuses lists every status.
var Statuses = []Status{StatusCreated, StatusPending, StatusPaid, StatusFailed,
	StatusExpired, StatusCanceled, StatusRefunded, StatusPartiallyRefunded}

// transitions is the whole state graph. Every edge moves forward, with the
// two deliberate exceptions the package doc names (The status graph):
// failed -> pending is the shopper retrying with a fresh attempt inside the
// payment window, and failed/expired/canceled -> paid is a late success
// that Latipay confirmed with a valid signature (money is never ignored;
// the payment is flagged paid late, as GOV.UK Pay corrects to match the
// gateway). A pending payment paid through any of its attempts, a replaced
// one included, is paid on time (package doc, Paid late).
// TestCanTransition pins every edge.
var transitions = map[Status][]Status{
	StatusCreated:           {StatusPending, StatusPaid, StatusFailed, StatusExpired, StatusCanceled},
	StatusPending:           {StatusPaid, StatusFailed, StatusExpired, StatusCanceled},
	StatusFailed:            {StatusPending, StatusPaid, StatusExpired, StatusCanceled},
	StatusExpired:           {StatusPaid},
	StatusCanceled:          {StatusPaid},
	StatusPaid:              {StatusPartiallyRefunded, StatusRefunded},
	StatusPartiallyRefunded: {StatusPartiallyRefunded, StatusRefunded},
	StatusRefunded:          nil,
}

// CanTransition reports whether the graph has an edge from -> to.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Final reports whether the shopper can do nothing more with the payment.
func (s Status) Final() bool {
	switch s {
	case StatusPaid, StatusExpired, StatusCanceled, StatusRefunded, StatusPartiallyRefunded:
		return true
	}
	return false
}

// Settled reports whether money was received (possibly refunded since).
func (s Status) Settled() bool {
	return s == StatusPaid || s == StatusRefunded || s == StatusPartiallyRefunded
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}
