package views

// The back office's payments pages: the list, one payment, and the
// webhook delivery log (admin_payments.templ).

// PaymentList is one page of the payments list with its filters.
type PaymentList struct {
	Admin
	Action string // the list's own URL, for the filter form
	// The filter as typed, kept in the URL.
	Status, Attention, Method, Channel, Currency, By, From, To, Query string
	// The choices of the closed filters, in the form's order; Bases are
	// what the date range bounds (created, paid).
	Statuses, Attentions, Methods, Channels, Currencies, Bases []string
	Zone                                                       string // the shop's time zone, e.g. "Pacific/Auckland"
	Rows                                                       []PaymentRow
	NextURL                                                    string // "" on the last page
	ErrorID                                                    string // what is wrong with the filter
	ErrorField                                                 string // the id of the field it is about; "" for none
	// ExportCSV and ExportJSON download every row the filters select.
	ExportCSV, ExportJSON string
	// DeviceID and CashierID narrow the list to the till's sales of one
	// device or one person (a report's row links here), kept by the form
	// as hidden fields; Device and Cashier name them, and AllSalesURL is
	// the same list without them.
	DeviceID, CashierID, Device, Cashier, AllSalesURL string
	// Unknown are what Latipay reported paid under the Latipay reference
	// or order id searched for, for references this database does not
	// know (after a restore), shown apart with the home page's advice.
	Unknown []UnknownRow
}

// PaymentRow is one payment as the list shows it.
type PaymentRow struct {
	ID        string
	Time      string // created, in the shop's time zone
	PaidTime  string // paid, likewise; "" when never paid
	Amount    string // "12.50"
	Currency  string
	AmountCNY string // Latipay's estimate in yuan, e.g. "58.42"; "" if none
	Status    string
	Method    string // "" before one was chosen
	Channel   string // payments.Source*; "" for none recorded
	Reference string
	OrderID   string // Latipay's order id
	Refunded  string // the refunds that succeeded; "0.00" when none
	// RefundPending is what refunds still waiting for Latipay's answer
	// hold, "" when none: not refunded yet, so shown apart.
	RefundPending string
	// NeedsReview: an anomaly was recorded (payments.Payment.NeedsReview)
	// and no one has marked it reviewed; the list and the page mark it
	// next to the status. PaidLate likewise for a payment paid late.
	NeedsReview, PaidLate bool
	// Reviewed is when an owner marked it reviewed, in the shop's zone;
	// "" when no one has.
	Reviewed string
	// Device and Cashier say who took a counter sale: the paired device's
	// name and the cashier unlocked on it (their name, else their email);
	// "" for any other payment, or one no longer known.
	Device, Cashier string
}

// PaymentDetail is one payment with its timeline and actions.
type PaymentDetail struct {
	Admin
	Row         PaymentRow
	Description string
	Timeline    []TimelineItem
	RefundURL   string // "" when it cannot be refunded
	Refundable  string // the most a refund may be, e.g. "12.50"
	NeedPW      bool   // the password must be confirmed again
	NeedCode    bool   // and a two-step code with it
	IdemKey     string // makes a double click refund once
	CancelURL   string // "" when it cannot be canceled
	RequeryURL  string // asks Latipay about it now
	ReceiptURL  string // the receipt for printing; "" before it is paid
	ErrorID     string
	ErrorArg    string // Latipay's own words, when it refused
	// ErrorField is the id of the refund or review form's field ErrorID
	// is about (amount, reason, password, refund-code, review-note); the
	// error then stands in that form, the dialog's when script moved it.
	ErrorField string
	NoticeID   string
	WebhooksOn bool // a webhook endpoint is configured
	// Refusal says, next to the status, why a counter sale is still open:
	// Latipay refused its last pay code (translated); "" otherwise.
	Refusal string
	// RefusalLatipay is Latipay's own words (English) within Refusal,
	// marked as English on the page; "" when it has none.
	RefusalLatipay string
	// PaidTwice are the second charges of a payment paid twice
	// (payments.PaidTwice), each shown as a banner.
	PaidTwice []SecondCharge
	// SameReference is what the page says of the other payments with
	// this payment's merchant reference; its Others is 0 when there are
	// none (or the payment has no reference).
	SameReference SameReference
	// Amount and Reason fill the refund form: what the owner typed when a
	// refund did not go through, else all that is left and no reason.
	Amount, Reason string
	// ReviewURL marks a payment flagged paid late or needing review as
	// reviewed, with a note of at most ReviewMax characters; "" when it
	// has nothing to review. ReviewNote is the note as typed when it was
	// refused.
	ReviewURL  string
	ReviewMax  int
	ReviewNote string
}

// SecondCharge is a Latipay transaction that was paid besides the one the
// payment counts: the shop refunds it in Latipay's merchant portal.
type SecondCharge struct {
	OrderID   string // Latipay's order id; "" when Latipay has not given it
	Reference string // our merchant reference at Latipay
	Amount    string // with its currency, e.g. "NZ$ 12.50"
}

// SameReference sums up the other payments that carry a payment's
// merchant reference: a create sent twice without an Idempotency-Key
// makes two payable payments of one order, and both may be paid.
type SameReference struct {
	Others     int    // how many other payments have the reference (of those read)
	More       bool   // there are more than Others: the list shows them all
	OthersPaid int    // how many of them were paid (refunded since or not)
	Paid       bool   // this payment was paid too
	ListURL    string // the payments list filtered to exactly the reference
}

// TimelineItem is one thing that happened to a payment: Kind says what
// (attempt, callback, query, refund, webhook, admin, event), Who by whom.
type TimelineItem struct {
	Time   string
	Kind   string
	Who    string // an email, "Latipay", "shopper", "system", or ""
	WhoID  string // message id for Who when it is a role, not a name
	What   string // the event type or action
	Detail string
	// Latipay is Latipay's own words (English) within Detail, marked as
	// English on the page; "" when Detail has none.
	Latipay string
	// RedeliverURL is set on a webhook delivery that may be sent again.
	RedeliverURL string
}

// WebhookList is one page of the webhook delivery log.
type WebhookList struct {
	Admin
	Action  string
	State   string
	States  []string
	Rows    []DeliveryRow
	NextURL string
	ErrorID string
	Enabled bool // a webhook endpoint is configured
	// ErrorField is the id of the field ErrorID is about ("state").
	ErrorField string
}

// DeliveryRow is one try at sending one event to the merchant.
type DeliveryRow struct {
	ID         string
	Time       string
	PaymentID  string
	PaymentURL string
	EventType  string
	Attempt    int
	Redelivery bool
	StatusCode int // 0 when the endpoint gave none
	Error      string
	Duration   string
	State      string
	NextAt     string
	URL        string // its page
}

// WebhookDetail is one event's deliveries, every try.
type WebhookDetail struct {
	Admin
	Delivery     DeliveryRow // the one asked for
	Tries        []DeliveryRow
	RedeliverURL string // "" when webhooks are off
	ErrorID      string
	NoticeID     string
}
