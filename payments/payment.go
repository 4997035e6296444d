package payments

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Method is a Latipay payment method offered to shoppers.
type Method string

// The methods the checkout offers. Latipay's wire spelling is the same.
const (
	MethodWeChat   Method = "wechat"
	MethodAlipay   Method = "alipay"
	MethodUnionPay Method = "upi_upop"
)

// ParseMethod accepts a known method name.
func ParseMethod(s string) (Method, error) {
	switch m := Method(strings.ToLower(s)); m {
	case MethodWeChat, MethodAlipay, MethodUnionPay:
		return m, nil
	}
	return "", fmt.Errorf("%w: payment_method must be wechat, alipay or upi_upop", ErrInvalid)
}

// The channels a payment comes through, kept in Payment.Source and shown,
// filtered and exported by the back office. The stored spelling is the
// constant's value; "api" is the online checkout started by the merchant's
// server, "link" a signed or stored payment link.
const (
	SourceOnline      = "api"          // online checkout created through the API
	SourceLink        = "link"         // a payment link (/pay)
	SourceCounterQR   = "counter_qr"   // the counter showed a QR to the shopper
	SourceCounterScan = "counter_scan" // the counter scanned the shopper's pay code
	SourceStaticQR    = "static_qr"    // the shop's printed QR, amount typed by the shopper
)

// atCounter reports whether source is a sale made at the shop's counter.
func atCounter(source string) bool {
	return source == SourceCounterQR || source == SourceCounterScan || source == SourceStaticQR
}

// TillSale reports whether p is a sale the counter made (its QR or a
// scanned pay code): the cashier owns it, so the public checkout's
// actions (StartByShopper, RefreshQR, CancelByShopper) refuse it with
// ErrTillSale. A static QR payment is the shopper's own checkout.
func (p Payment) TillSale() bool {
	return p.Source == SourceCounterQR || p.Source == SourceCounterScan
}

// Sources lists every channel in display order.
var Sources = []string{SourceOnline, SourceLink, SourceCounterQR, SourceCounterScan, SourceStaticQR}

// Payment is one thing a shopper pays for, possibly over several attempts.
type Payment struct {
	ID          string // public capability id: "pay_", 7 characters of creation time, 26 random (NewPaymentID)
	Reference   string // the merchant's own order reference
	Amount      int64  // minor units, > 0
	Currency    Currency
	Description string
	Method      Method // preselected or last chosen method; empty until chosen
	Status      Status
	Source      string // the channel it came through: one of the Source* constants
	ReturnURL   string
	CancelURL   string

	// Attempt bookkeeping: the current attempt's merchant_reference at
	// Latipay and Latipay's order id once Latipay itself has given it
	// (signed QR data, or the answer to our query; never a callback,
	// whose signature does not cover it). Refunds are sent for it.
	LatipayReference string
	LatipayOrderID   string
	Attempts         int

	AmountCNY    string // Latipay's CNY estimate, as its literal text
	CurrencyRate string

	Refunded    int64 // minor units refunded so far
	PaidLate    bool  // paid after it had expired, failed or been canceled here
	NeedsReview bool  // an anomaly was recorded (amount mismatch, contradiction)
	Version     int64 // bumped on every change; pushes carry it

	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
	PaidAt    time.Time // zero until paid
	// ReviewedAt is when an owner marked a flagged payment (PaidLate or
	// NeedsReview) reviewed (Service.MarkReviewed), which takes it off
	// what needs attention; zero until then, and again when a later
	// anomaly or late payment flags it anew.
	ReviewedAt time.Time
}

// Expired reports whether the payment window has ended at now.
func (p Payment) Expired(now time.Time) bool { return !now.Before(p.ExpiresAt) }

// Attempt is one Latipay transaction for a payment. Its Reference is the
// merchant_reference sent to Latipay, fresh for every attempt.
type Attempt struct {
	Reference   string // upper-case Crockford base32: 7 characters of time, 26 random (newReference); 26 random alone before
	PaymentID   string
	Method      Method
	Hosted      bool          // Latipay-hosted page (true) or our own QR (false)
	Status      AttemptStatus // see AttemptStatus
	OrderID     string
	QRCodeURL   string // merchant-hosted: the text our page draws as a QR
	AmountCNY   string
	Rate        string
	CreatedAt   time.Time
	NextCheckAt time.Time // reconciliation schedule, persisted
	Checks      int       // how many times the reconciler queried it
	// Client names who started it: a hash of the shopper's address (""
	// for attempts stored before it was kept). Start counts attempts per
	// client, so someone else holding the checkout URL cannot use up the
	// shopper's.
	Client string
	// Kind is how the shopper pays it: online (our QR or Latipay's page,
	// Hosted tells which) or by a pay code scanned at the counter.
	Kind AttemptKind
	// PayCodeHash is, for a barcode attempt, a hash of the shopper's pay
	// code (never the code itself), so a repeated scan of the same code
	// is recognised and makes no second charge.
	PayCodeHash string
}

// AttemptKind is how the shopper pays an attempt.
type AttemptKind string

// Attempt kinds. The stored spelling is the constant's value.
const (
	KindOnline  AttemptKind = ""        // our QR or Latipay's page (see Attempt.Hosted)
	KindBarcode AttemptKind = "barcode" // the counter scanned the shopper's pay code
)

// AttemptStatus tracks one Latipay transaction.
type AttemptStatus string

// Attempt statuses. Initiated is written before Latipay is called, so a
// crash between Latipay accepting and us storing the answer is reconciled.
const (
	AttemptInitiated AttemptStatus = "initiated"
	AttemptPending   AttemptStatus = "pending"
	AttemptPaid      AttemptStatus = "paid"
	AttemptFailed    AttemptStatus = "failed"
	AttemptCanceled  AttemptStatus = "canceled"
	AttemptError     AttemptStatus = "error"
)

// Live reports whether the attempt may still change at Latipay.
func (s AttemptStatus) Live() bool { return s == AttemptInitiated || s == AttemptPending }

// Event is one entry of a payment's append-only log. The same rows are the
// outbox for merchant webhooks: they are written in the transaction that
// changes the payment.
type Event struct {
	PaymentID string
	Seq       int64  // per payment, from 1
	Type      string // e.g. "payment.paid", "attempt.started", "anomaly"
	From, To  Status // status change, if any
	Detail    string // short human text in English; never secrets
	// Data is machine-readable detail as JSON, or "": what the event
	// says as a code and its parameters (under "msg": Message,
	// EventMessage), a refund's id and amount, who canceled. Never
	// secrets, never shown raw.
	Data      string
	CreatedAt time.Time
}

// CreateInput is what a merchant sends to create a payment.
type CreateInput struct {
	Amount      string // decimal text, e.g. "12.50"
	Currency    string
	Reference   string
	Description string
	ReturnURL   string
	CancelURL   string
	Method      string        // optional preselection
	ExpiresIn   time.Duration // zero => the service default
	Source      string        // one of the Source* constants; "" means SourceOnline
}

// Limits on merchant-supplied text, in characters (Unicode code points,
// as the OpenAPI document's maxLength counts them). Longer text is
// refused, never cut.
const (
	maxReferenceLen   = 64
	maxDescriptionLen = 200
	maxURLLen         = 2048
)

// validated is a CreateInput after parsing.
type validated struct {
	amount   int64
	currency Currency
	method   Method
	desc     string
}

// Validate checks every field and reports all problems at once.
func (in CreateInput) validate(maxExpiry time.Duration) (validated, error) {
	var v validated
	var problems []string
	add := func(err error) {
		problems = append(problems, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	}
	var err error
	if v.currency, err = ParseCurrency(in.Currency); err != nil {
		add(err)
	}
	// The amount's grammar is checked even with a bad currency, so every
	// problem is reported at once; all currencies have two decimals.
	amountIn := v.currency
	if amountIn == "" {
		amountIn = NZD
	}
	if v.amount, err = ParseAmount(in.Amount, amountIn); err != nil {
		add(err)
	}
	switch {
	case in.Reference == "":
		problems = append(problems, "reference is required")
	case strings.TrimSpace(in.Reference) == "":
		problems = append(problems, "reference must not be blank: it has only spaces")
	case !printable(in.Reference):
		problems = append(problems, "reference must be printable: no control or invisible characters")
	case utf8.RuneCountInString(in.Reference) > maxReferenceLen:
		problems = append(problems, tooLong("reference", maxReferenceLen))
	}
	if utf8.RuneCountInString(in.Description) > maxDescriptionLen {
		problems = append(problems, tooLong("description", maxDescriptionLen))
	}
	v.desc = cleanText(in.Description)
	if in.Method != "" {
		if v.method, err = ParseMethod(in.Method); err != nil {
			add(err)
		}
	}
	// A sale at the counter has no shop page to return to: the shopper
	// pays from their own wallet app and the counter shows the result.
	if err := checkURL("return_url", in.ReturnURL, !atCounter(in.Source)); err != nil {
		add(err)
	}
	if err := checkURL("cancel_url", in.CancelURL, false); err != nil {
		add(err)
	}
	if in.ExpiresIn < 0 || in.ExpiresIn > maxExpiry || (in.ExpiresIn != 0 && in.ExpiresIn < 10*time.Second) {
		problems = append(problems, fmt.Sprintf("expires_in must be between 10 and %d seconds", int(maxExpiry.Seconds())))
	}
	if len(problems) > 0 {
		return v, &ValidationError{Problems: problems}
	}
	return v, nil
}

// checkURL does the structural check; the merchant-origin allow-list is
// applied by the service's URL policy.
func checkURL(name, raw string, required bool) error {
	if raw == "" {
		if required {
			return fmt.Errorf("%w: %s is required", ErrInvalid, name)
		}
		return nil
	}
	if len(raw) > maxURLLen {
		return fmt.Errorf("%w: %s is too long: at most %d bytes", ErrInvalid, name, maxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil ||
		(u.Scheme != "https" && u.Scheme != "http") || strings.ContainsAny(raw, "\\\t\r\n ") {
		return fmt.Errorf("%w: %s must be an absolute https URL", ErrInvalid, name)
	}
	return nil
}

// printable reports whether s is valid UTF-8 without control or
// invisible characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if invisible(r) {
			return false
		}
	}
	return true
}

// invisible reports whether r is a control character, a format character
// (Unicode category Cf: every bidirectional control such as U+061C,
// U+200E-F, U+202A-E and U+2066-9, the zero-width characters U+200B-D and
// U+2060, the byte order mark U+FEFF, the soft hyphen, tag characters), a
// line or paragraph separator, or one of the blank fillers that render as
// nothing (U+034F, U+115F, U+1160, U+3164, U+FFA0). Such characters make
// two references look alike or reorder the text around them.
func invisible(r rune) bool {
	switch r {
	case '\u034f', '\u115f', '\u1160', '\u3164', '\uffa0':
		return true
	}
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// tooLong is the problem of a text field longer than max characters.
func tooLong(field string, max int) string {
	return fmt.Sprintf("%s must be at most %d characters", field, max)
}

// CleanText is text as the service stores it (cleanText): what a form
// shows back or records must be what was kept, so a note of only
// zero-width spaces is empty, and a control character never reaches a log.
// It is the one cleaning of every name or label a person enters that is
// shown elsewhere (payment descriptions, notes and reasons, account and
// counter device names, the shop's name): packages that may not import
// payments (accounts) are given the text cleaned by the handlers, and
// the back office cleans what it shows of names kept before.
func CleanText(s string) string { return cleanText(s) }

// cleanText strips invalid UTF-8 and control and invisible characters (see
// invisible), so display strings are safe to sign and to render. Callers
// refuse text over its limit first: nothing is cut here.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "")
	var b strings.Builder
	for _, r := range s {
		if !invisible(r) {
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}
