package payments

import (
	"context"
	"net/url"
	"time"
)

// Gateway is what the service needs from Latipay. payments/latipay
// implements it; tests may use the simulator behind the real client.
type Gateway interface {
	// Start creates a transaction. Hosted: RedirectURL is Latipay's page.
	// Merchant-hosted: QRCodeURL is the text to draw as a QR code.
	Start(ctx context.Context, req StartRequest) (StartResult, error)
	// Query asks Latipay for the verified state of one attempt.
	Query(ctx context.Context, reference string) (GatewayResult, error)
	// Cancel cancels an unpaid transaction, a barcode one included.
	Cancel(ctx context.Context, reference string) error
	// Barcode charges the pay code a shopper shows at the counter, as a
	// new transaction with req.Reference. A nil error means Latipay took
	// the order; orderID is Latipay's id for it, from Latipay's own answer.
	// The result (paid, or still waiting for the shopper's password) comes
	// only from Query. A *GatewayError (ErrGatewayRejected) means Latipay
	// refused the code and nothing was charged; any other error means the
	// outcome is unknown.
	Barcode(ctx context.Context, req BarcodeRequest) (orderID string, err error)
	// Refund returns money of a paid transaction: orderID is Latipay's own
	// id for it, confirmed by Latipay (never taken from a notification).
	// note is the refund's own id, unique per refund: nil means Latipay has
	// made this refund, now or on an earlier try with the same note; a
	// *RefundError means Latipay refused it and nothing was refunded; any
	// other error means the outcome is unknown.
	Refund(ctx context.Context, orderID string, amount int64, c Currency, note string) error
	// VerifyNotification checks a callback form (the POST body only).
	VerifyNotification(form url.Values) (GatewayResult, error)
	// VerifyReturn checks the query of the browser's return redirect.
	VerifyReturn(q url.Values) (GatewayResult, error)
}

// StartRequest is one new Latipay transaction.
type StartRequest struct {
	Reference   string // fresh merchant_reference for this attempt
	Method      Method
	Amount      int64
	Currency    Currency
	Description string
	ReturnURL   string // our own result page
	CallbackURL string // our callback endpoint
	BackURL     string // "go back" link on Latipay's page
	ClientIP    string
	Hosted      bool // Latipay-hosted page instead of our own QR
	PresentQR   bool // hosted WeChat on a desktop: Latipay shows a QR
}

// StartResult is Latipay's verified answer to Start.
type StartResult struct {
	RedirectURL  string // hosted only; never stored (the nonce is single-use)
	OrderID      string
	QRCodeURL    string // merchant-hosted only
	AmountCNY    string
	CurrencyRate string
}

// GatewayResult is a verified statement from Latipay about one attempt.
// Only Reference, Method, Status, Currency and Amount are covered by the
// signature; the rest is informative and never decides anything. OrderID
// is kept only from a Query, which is our own request answered by Latipay
// over our own connection; in a notification or a return redirect it is
// whatever the sender chose (a shopper can replay the redirect's signature
// with an order id of their choice) and is ignored.
type GatewayResult struct {
	Reference string
	Method    string
	Status    string // pending, paid, failed, canceled, rejected, cancel_or_fail
	Currency  string
	Amount    string // decimal text exactly as signed
	OrderID   string
	PayTime   string
	// PaidAt is PayTime read as Latipay's clock (zero when absent or not
	// a time). Like OrderID it is kept only from a Query: it dates a
	// payment learned late (apply.go, paidAtFromLatipay).
	PaidAt    time.Time
	AmountCNY string
	Rate      string
}

// Store persists payments. Each method is one transaction. Implementations
// live in payments/sqlite and payments/postgres and pass storetest.Run.
type Store interface {
	// CreatePayment inserts p with its "payment.created" event. With a
	// non-empty idem.Key it is idempotent: the same key and hash returns the
	// stored payment with created == false; the same key with another hash
	// returns ErrIdempotencyReuse.
	CreatePayment(ctx context.Context, p Payment, ev Event, idem Idempotency) (stored Payment, created bool, err error)
	// Payment returns one payment or ErrNotFound.
	Payment(ctx context.Context, id string) (Payment, error)
	// Attempt returns the attempt with that Latipay reference or ErrNotFound.
	Attempt(ctx context.Context, reference string) (Attempt, error)
	// Attempts lists a payment's attempts, oldest first.
	Attempts(ctx context.Context, paymentID string) ([]Attempt, error)
	// Events lists a payment's events in sequence order.
	Events(ctx context.Context, paymentID string) ([]Event, error)
	// EventsOfType lists the events of type eventType of every payment
	// in paymentIDs (at most MaxEventsOf of them), by payment id, then
	// sequence, in one read: a page of payments' refund totals costs
	// one query, not one a refunded payment. None for none.
	EventsOfType(ctx context.Context, paymentIDs []string, eventType string) ([]Event, error)
	// Refunds lists a payment's refunds, oldest first (none for an
	// unknown payment).
	Refunds(ctx context.Context, paymentID string) ([]Refund, error)
	// Update locks the payment, passes fn a Tx holding it and its attempts,
	// and, when fn returns nil and changed something, writes the payment
	// (Version+1), the attempts, events and notifications fn recorded, in one
	// durable transaction. It returns the payment as committed. fn must not
	// act outside tx: what it records is written only if the write commits,
	// and fn may be called again on a fresh Tx (PostgreSQL's group commit
	// runs a batch again without a write the server refused), so it starts
	// from tx alone, resetting whatever it sets outside it.
	Update(ctx context.Context, paymentID string, fn func(tx *Tx) error) (Payment, error)
	// Notifications lists the verified notifications recorded for a
	// reference, oldest first.
	Notifications(ctx context.Context, reference string) ([]Notification, error)
	// IdempotentPayment returns the payment a create with that
	// idempotency key made and the hash of that create's request, or
	// ErrNotFound when no create used the key.
	IdempotentPayment(ctx context.Context, key string) (paymentID, hash string, err error)
	// AttemptPayment returns the id of the payment the attempt with that
	// Latipay reference belongs to, or ErrNotFound. An attempt never moves
	// to another payment, so the answer never changes once given.
	AttemptPayment(ctx context.Context, reference string) (string, error)
	// NotificationSeen reports whether a notification with that digest is
	// recorded for reference: the duplicate check of every callback, which
	// the stores answer from their (reference, digest) key alone.
	NotificationSeen(ctx context.Context, reference, digest string) (bool, error)
	// RecordOrphan keeps a verified notification that matches no attempt.
	RecordOrphan(ctx context.Context, n Notification) error
	// PaidOrphans lists the notifications RecordOrphan kept whose status
	// is paid, received at or after since, newest first, at most limit,
	// and counts every one received since then.
	PaidOrphans(ctx context.Context, since time.Time, limit int) ([]Notification, int, error)
	// FindPaidOrphans lists the notifications RecordOrphan kept whose
	// status is paid and that name text: as their reference (text as
	// given, or upper-cased, as Latipay references are written), or as
	// the order_id field of their form (Body, as url.Values.Encode wrote
	// it); whenever received, newest first, at most limit.
	FindPaidOrphans(ctx context.Context, text string, limit int) ([]Notification, error)
	// ClaimDueAttempts returns up to limit live attempts whose NextCheckAt
	// is due, and paid ones without an OrderID whose NextCheckAt is due
	// (their one query for it: apply), and moves their NextCheckAt to
	// now+lease, so that no other worker claims them meanwhile.
	ClaimDueAttempts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Attempt, error)
	// ExpiredPayments returns ids of payments still open (created, pending,
	// failed) whose window ended before now, save failed counter sales,
	// which stay failed (Expirable).
	ExpiredPayments(ctx context.Context, now time.Time, limit int) ([]string, error)
	// ClaimDueRefunds returns up to limit pending refunds whose NextCheckAt
	// is due and moves their NextCheckAt to now+lease, so that no other
	// worker claims them meanwhile.
	ClaimDueRefunds(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Refund, error)
	// MisstatedRefunds returns up to limit ids of payments whose status is
	// partially refunded or refunded while what their succeeded refunds
	// add up to says another (refundedStatus): statuses an earlier version
	// recorded by counting pending refunds too.
	MisstatedRefunds(ctx context.Context, limit int) ([]string, error)
	// Outbox: listing payments, the webhook outbox and the delivery log.
	Outbox
}

// NewPayment is one payment for BulkCreator: the payment, its
// "payment.created" event and the attempts it already has (a payment
// that was started or settled before it was imported).
type NewPayment struct {
	Payment  Payment
	Event    Event
	Attempts []Attempt
	// Refunds are the payment's refunds, written as Update writes them:
	// a settled history's refunded payments hold the succeeded refunds
	// their status counts (see Service.CorrectRefundStatuses).
	Refunds []Refund
}

// BulkCreator is a store that writes many new payments in one
// transaction, with the statements CreatePayment and Update use for each
// row: seeding a database with a year of a shop's payments (the load
// harness's growth rows, the list benchmarks) in minutes rather than
// hours. Either every payment is stored or none is. Idempotency keys do
// not apply. Both stores implement it; the service does not use it.
type BulkCreator interface {
	CreatePayments(ctx context.Context, ps []NewPayment) error
}

// Idempotency scopes a create request. Key empty means none.
type Idempotency struct {
	Key  string // e.g. "api:<Idempotency-Key>" or "link:<reference>"
	Hash string // hash of the canonical request
	// Link, when its LinkID is set, is the stored link's use the payment
	// is made under (LinkStore.UseLink): CreatePayment ties the use to the
	// new payment in its transaction, so that Update can move the use
	// with the payment (Tx.LinkUse). A replay ties nothing.
	Link LinkUse
}

// Notification is a verified message from Latipay kept for audit.
type Notification struct {
	Reference string
	Digest    string // sha256 of the signed fields, unique
	Status    string
	Body      string // the form as received (signature included; no secrets)
	Result    string // "applied", "duplicate", "anomaly", "orphan"
	At        time.Time
}

// Tx is the unit of work Store.Update hands to the service: the locked
// payment, its attempts and its refunds, plus what to append. Every
// decision about refunds is taken here, under the payment's lock, so
// parallel refunds of one payment are serialized by the store.
type Tx struct {
	Payment  Payment
	Attempts []Attempt // oldest first
	// Refunds are the payment's refunds, oldest first. Stores load them
	// when the payment is settled (only a settled payment has or gets
	// refunds) and may leave them nil otherwise.
	Refunds []Refund

	changed       bool
	linkUse       LinkUseChange
	dirtyAttempts map[string]bool
	dirtyRefunds  map[string]bool
	events        []Event
	notes         []Notification
}

// NewTx is for Store implementations.
func NewTx(p Payment, attempts []Attempt, refunds []Refund) *Tx {
	return &Tx{Payment: p, Attempts: attempts, Refunds: refunds,
		dirtyAttempts: map[string]bool{}, dirtyRefunds: map[string]bool{}}
}

// NeedsRefunds reports whether a Store must load the refunds of a payment
// with status st into its Tx.
func NeedsRefunds(st Status) bool { return st.Settled() }

// DirtyRefunds returns the refunds to insert or update.
func (t *Tx) DirtyRefunds() []Refund {
	var out []Refund
	for _, r := range t.Refunds {
		if t.dirtyRefunds[r.ID] {
			out = append(out, r)
		}
	}
	return out
}

func (t *Tx) refund(match func(Refund) bool) *Refund {
	for i := range t.Refunds {
		if match(t.Refunds[i]) {
			return &t.Refunds[i]
		}
	}
	return nil
}

func (t *Tx) putRefund(r Refund) {
	if p := t.refund(func(x Refund) bool { return x.ID == r.ID }); p != nil {
		*p = r
	} else {
		t.Refunds = append(t.Refunds, r)
	}
	t.dirtyRefunds[r.ID] = true
	t.changed = true
}

// Changed reports whether the store must write anything.
func (t *Tx) Changed() bool { return t.changed }

// LinkUse is what the store must do, in the same transaction, to the use
// of a stored link the payment holds (Idempotency.Link), if it holds one.
// Only a Tx that Changed sets it.
func (t *Tx) LinkUse() LinkUseChange { return t.linkUse }

// DirtyAttempts returns the attempts to insert or update.
func (t *Tx) DirtyAttempts() []Attempt {
	var out []Attempt
	for _, a := range t.Attempts {
		if t.dirtyAttempts[a.Reference] {
			out = append(out, a)
		}
	}
	return out
}

// NewEvents returns the events to append (Seq is assigned by the store).
func (t *Tx) NewEvents() []Event { return t.events }

// NewNotifications returns the notifications to record.
func (t *Tx) NewNotifications() []Notification { return t.notes }

func (t *Tx) attempt(ref string) *Attempt {
	for i := range t.Attempts {
		if t.Attempts[i].Reference == ref {
			return &t.Attempts[i]
		}
	}
	return nil
}

func (t *Tx) putAttempt(a Attempt) {
	if p := t.attempt(a.Reference); p != nil {
		*p = a
	} else {
		t.Attempts = append(t.Attempts, a)
	}
	t.dirtyAttempts[a.Reference] = true
	t.changed = true
}

func (t *Tx) touch() { t.changed = true }

func (t *Tx) event(e Event) {
	e.PaymentID = t.Payment.ID
	t.events = append(t.events, e)
	t.changed = true
}

func (t *Tx) note(n Notification) {
	t.notes = append(t.notes, n)
	t.changed = true
}

// Publisher tells listeners that a payment changed. It is called only after
// the change is committed.
type Publisher interface {
	Publish(u Update)
}

// Update is the small message pushed to shoppers' pages.
type Update struct {
	PaymentID string
	Status    Status
	Version   int64
}

// The merchant-facing reads and the webhook outbox. The events table is
// the outbox: events are written in the transaction that changes the
// payment, and the webhook worker claims them from there.

// PaymentFilter selects payments for ListPayments, newest first. Zero
// fields do not filter.
type PaymentFilter struct {
	Status    Status
	Reference string   // exact merchant reference
	Method    Method   // the method chosen
	Source    string   // the channel: one of the Source* constants
	Currency  Currency // the payment's currency
	OrderID   string   // exact Latipay order id
	ID        string   // exact payment id
	Amount    int64    // exact amount, minor units; 0 does not filter
	// Device and Cashier select the counter sales made on one device, or
	// by one person (an account id), as the sale records of
	// payments/counter keep them (its counter_sales table, in the same
	// database); a payment with no such record matches neither.
	Device, Cashier string
	// Attention selects the flagged payments not yet reviewed by flag
	// (AttentionNeedsReview; AttentionPaidLate: every one paid late, those
	// also under review included, although the home page lists those
	// once, under review), or those marked reviewed (AttentionReviewed).
	Attention string
	// Text finds payments whose reference or description contains it,
	// ignoring ASCII case; the stores treat % and _ as plain characters.
	Text string
	// From and To bound CreatedAt: From <= CreatedAt < To. Zero does not
	// bound.
	From, To time.Time
	// PaidFrom and PaidTo bound PaidAt alike (PaidFrom <= PaidAt <
	// PaidTo), the instant the reports count a payment at; either one
	// leaves out payments never paid. Zero does not bound.
	PaidFrom, PaidTo time.Time
	// Before is the cursor: only payments strictly older than
	// (BeforeTime, BeforeID) in (CreatedAt, ID) order.
	BeforeTime time.Time
	BeforeID   string
	Limit      int // at most this many; > 0
}

// OutboxQuery selects the webhook events a worker may send now.
type OutboxQuery struct {
	Types []string      // event types that are sent; others are never claimed
	Since time.Time     // events created before this are not sent any more
	Now   time.Time     // due at or before Now
	Lease time.Duration // claimed events are not due again until Now+Lease
	Limit int
}

// OutboxEvent is an event claimed for sending, with how many times it has
// been tried so far.
type OutboxEvent struct {
	Event
	Attempts int
}

// DeliveryState is where an event stands with the merchant's endpoint.
type DeliveryState string

// Delivery states. Retrying events are sent again at NextAt.
const (
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryRetrying  DeliveryState = "retrying"
	DeliveryFailed    DeliveryState = "failed"
	// DeliveryGivenUp is never stored: it is what the log says of a try
	// that left its event retrying past DeliveryRetryWindow (GivenUp),
	// and a state filter's value for those events.
	DeliveryGivenUp DeliveryState = "given_up"
)

// Delivery is one try at sending one event to the merchant's webhook
// endpoint, as kept in the delivery log.
type Delivery struct {
	ID         string // "whd_" + fixed-width time + random: sorts by time
	PaymentID  string
	Seq        int64
	EventType  string
	Attempt    int  // 1 for the first try of this event; redeliveries count on
	Redelivery bool // asked for through the API
	StatusCode int  // the endpoint's HTTP status; 0 when there was none
	Error      string
	Duration   time.Duration
	At         time.Time
	State      DeliveryState // the event's state after this try
	NextAt     time.Time     // when State is retrying: the next try
	// Superseded: a later try of the same event was made (a retry, or a
	// redelivery by hand, to whatever endpoint was configured then), so
	// State is no longer the event's state and a retrying try's NextAt
	// will not come: that later try says what happened. The stores set
	// it when they read the log.
	Superseded bool
	// EventAt is when the try's event was recorded: it is retried until
	// DeliveryRetryWindow after it. The stores set it when they read the
	// log.
	EventAt time.Time
	// GivenUp: the try left its event retrying, is its event's last, and
	// its event is past DeliveryRetryWindow, so no retry will come (the
	// app was stopped, or no endpoint was configured, when it fell due).
	// The service sets it when it reads the log.
	GivenUp bool
}

// DeliveryRetryWindow is how long after its event a webhook is retried
// (payments/webhook's MaxAge): an event older than it is never claimed
// again, so a try that left it retrying is given up.
const DeliveryRetryWindow = 72 * time.Hour

// DeliveryFilter selects deliveries, newest first. Zero fields do not
// filter.
type DeliveryFilter struct {
	ID        string
	PaymentID string
	Seq       int64         // one event of PaymentID; 0 for all
	State     DeliveryState // events in this state now, each by its last try (a stored state)
	// EventsAfter and EventsUpTo, when set, keep the tries whose event was
	// recorded after EventsAfter, or at or before EventsUpTo: the service
	// splits retrying events at the retry window's start with them.
	EventsAfter time.Time
	EventsUpTo  time.Time
	Before      string // cursor: only deliveries with a smaller ID
	Limit       int    // > 0
}

// Outbox is what the merchant API and the webhook worker need from the
// store besides Store itself. Every Store implements it too.
type Outbox interface {
	// ListPayments returns payments matching f, newest first (CreatedAt,
	// then ID, descending).
	ListPayments(ctx context.Context, f PaymentFilter) ([]Payment, error)
	// ClaimWebhookEvents returns up to q.Limit events of q.Types created
	// at or after q.Since, not yet delivered or failed, due at q.Now, and
	// with no earlier such event of the same payment still undelivered:
	// so at most one per payment, in sequence order. Their next try moves
	// to q.Now+q.Lease, so no other worker claims them meanwhile.
	ClaimWebhookEvents(ctx context.Context, q OutboxQuery) ([]OutboxEvent, error)
	// RecordDelivery appends d to the delivery log and sets the event's
	// state, try count and next try from it, in one transaction.
	RecordDelivery(ctx context.Context, d Delivery) error
	// Deliveries lists the delivery log matching f, newest first, each
	// try marked Superseded when a later try of its event followed it.
	Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error)
	// WebhookEndpointSince returns when a webhook endpoint was first
	// configured for this database, recording q.Now when none was: the
	// first answer stands for the database's life, whichever instance
	// gave it. The zero time (a database that delivered webhooks before
	// it kept this) sets no limit. Events recorded before it are never
	// sent. A database upgraded from a version that did not keep it,
	// with events but no delivery yet, may have had an endpoint that the
	// earlier version was about to send them to: it records instead the
	// oldest event that version would still have sent, the oldest of
	// q.Types created at or after q.Since (Now less the retry window)
	// neither delivered nor given up, or q.Now when there is none.
	WebhookEndpointSince(ctx context.Context, q OutboxQuery) (time.Time, error)
}

// MaxEventsOf is how many payments one EventsOfType call may name: the
// API's largest page.
const MaxEventsOf = 100

// NotificationTargeter is what a Store may add to answer a callback's two
// first questions in one read: whether a notification with digest is
// recorded for reference (seen, as NotificationSeen answers) and, if not,
// which payment the attempt reference belongs to ("" when none, where
// AttemptPayment says ErrNotFound). A store whose every read is a round
// trip to a server (payments/postgres) saves one per callback; the
// service uses it when the store has it. seen is true only for a
// notification whose recording is durable. A store whose Update writes
// nothing for a notification already recorded (payments/sqlite) may also
// answer false when it does not know without a read: the repeat then
// reaches Update, which acknowledges it without a second effect.
type NotificationTargeter interface {
	NotificationTarget(ctx context.Context, reference, digest string) (seen bool, paymentID string, err error)
}

// RefundFinder is a Store that finds the payment a refund belongs to by
// the refund's id (its key), or ErrNotFound: the back office's search
// finds a payment by a pasted refund id with it. Both stores have it; the
// service uses it when the store has it.
type RefundFinder interface {
	RefundPayment(ctx context.Context, refundID string) (string, error)
}

// BarcodeRequest is one charge of a shopper's pay code (Gateway.Barcode).
type BarcodeRequest struct {
	Reference string // fresh merchant_reference for this attempt
	Method    Method // the wallet the pay code belongs to (ParsePayCode)
	Amount    int64  // minor units
	Currency  Currency
	PayCode   string // the digits scanned; never stored or logged
}

// WriteFailure is a store's last write that failed for want of disk
// space or through an I/O error, with no write committed since: the
// store is up and answers reads, but payments cannot be recorded.
type WriteFailure struct {
	At     time.Time // when the write failed
	Reason string    // what failed, in words for an operator: the engine's code, never a path or data
}

// WriteHealth is what a store tells of its writes: readiness (/readyz)
// and the metrics read it. payments/sqlite and payments/postgres
// implement it.
type WriteHealth interface {
	// LastWriteFailure returns the last write failure (a full disk, an
	// I/O error) when no write has committed since it, and ok false when
	// the last write committed (or none has failed).
	LastWriteFailure() (f WriteFailure, ok bool)
	// WriteFailureSeen returns the last write failure whether or not a
	// write has committed since, and ok false when none has failed since
	// the store opened. A write that commits does not show that the
	// others will: on a disk with a little room left, or a file at its
	// size limit, a write that changes rows in place commits while one
	// that needs another page still fails. Readiness holds it for a
	// while (handlers.WriteFailureHold).
	WriteFailureSeen() (f WriteFailure, ok bool)
}

// WriteFailureHold is how long a write that failed for the disk's sake
// counts as failing, whatever committed since: a write that commits does
// not show that the others will (one that changes a row in place fits
// where an insert needing another page does not), so with mixed traffic
// the failure would come and go while payments still could not be
// created. Only real writes show a full disk, and an instance a load
// balancer takes out of service receives none: held for ever, it would
// stay out after the disk was freed until a restart. A minute after the
// last failure it is over, traffic returns, and a write that still fails
// starts a new hold.
const WriteFailureHold = time.Minute

// HeldWriteFailure is the write failure h holds at now: its last one
// (WriteFailureSeen) when within WriteFailureHold of now, whether or not
// a write has committed since. It is the one rule of a failing database
// write: readiness (/readyz) answers 503 while it holds one, and the
// metric hpp_store_write_failing is 1, so an alert on the metric does not
// flap with every write that commits.
func HeldWriteFailure(h WriteHealth, now time.Time) (WriteFailure, bool) {
	if h == nil {
		return WriteFailure{}, false
	}
	f, seen := h.WriteFailureSeen()
	if !seen || now.Sub(f.At) >= WriteFailureHold {
		return WriteFailure{}, false
	}
	return f, true
}

// Decorate returns outer, a decorator of inner (a type that embeds inner
// as a Store and changes some of its methods: counting, a test's hook),
// with the optional interfaces the service asks the store for
// (NotificationTargeter, RefundFinder) that outer has or, failing that,
// inner has. Embedding a Store interface promotes Store's methods only,
// so without this a decorator hides them and the service takes the
// slower or poorer path. A decorator that must see a call to one of them
// (as it sees NotificationSeen) implements it itself.
func Decorate(outer, inner Store) Store {
	nt, hasNT := outer.(NotificationTargeter)
	if !hasNT {
		nt, hasNT = inner.(NotificationTargeter)
	}
	rf, hasRF := outer.(RefundFinder)
	if !hasRF {
		rf, hasRF = inner.(RefundFinder)
	}
	switch {
	case hasNT && hasRF:
		return struct {
			Store
			NotificationTargeter
			RefundFinder
		}{outer, nt, rf}
	case hasNT:
		return struct {
			Store
			NotificationTargeter
		}{outer, nt}
	case hasRF:
		return struct {
			Store
			RefundFinder
		}{outer, rf}
	}
	return outer
}
