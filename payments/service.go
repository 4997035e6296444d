package payments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Options holds the service's settings. run fills it from config.
type Options struct {
	CallbackURL    string                 // absolute URL of our Latipay callback
	ReturnURLFor   func(id string) string // absolute URL of our result page for a payment
	CheckoutURLFor func(id string) string // absolute URL of the checkout page
	DefaultExpiry  time.Duration          // payment window when the merchant gives none
	MaxExpiry      time.Duration          // the longest ExpiresIn; MaxExpiresIn when shorter than DefaultExpiry
	MaxAttempts    int                    // attempts per payment
	Methods        []Method               // offered methods, in display order
	// MerchantOrigins are the origins return and cancel URLs may point at.
	// Empty means any https origin.
	MerchantOrigins []string
	// Currencies are those with a Latipay wallet; empty means all.
	Currencies []string
	// AllowLocalhost also accepts http://localhost and 127.0.0.1 URLs
	// (sandbox mode only).
	AllowLocalhost bool
	// QueryRate is the most Latipay queries this instance sends a second
	// (HPP_RECONCILE_RATE), whoever asks: the reconciler, a shopper's
	// request, the back office (queryPace). 0 means DefaultReconcileRate.
	QueryRate int
}

// MaxExpiresIn is the longest payment window a merchant may ask for
// (the API's expires_in, 86400 s); config caps HPP_PAYMENT_WINDOW, the
// default window, at it too.
const MaxExpiresIn = 24 * time.Hour

// Service is the state machine of payments and everything that drives it:
// merchant creation, shopper attempts, Latipay callbacks, returns,
// reconciliation and expiry.
type Service struct {
	store Store
	gw    Gateway
	pub   Publisher
	log   *slog.Logger
	now   func() time.Time
	rand  io.Reader
	opts  Options
	asks  askGroup // returns sharing one query per attempt (HandleReturn)
}

// NewService wires the service. Every dependency is required.
func NewService(store Store, gw Gateway, pub Publisher, log *slog.Logger, now func() time.Time, rand io.Reader, opts Options) (*Service, error) {
	if store == nil || gw == nil || pub == nil || log == nil || now == nil || rand == nil {
		return nil, errors.New("payments: NewService: missing dependency")
	}
	if opts.CallbackURL == "" || opts.ReturnURLFor == nil || opts.CheckoutURLFor == nil {
		return nil, errors.New("payments: NewService: callback, return and checkout URLs are required")
	}
	if opts.DefaultExpiry <= 0 {
		opts.DefaultExpiry = 15 * time.Minute
	}
	if opts.MaxExpiry < opts.DefaultExpiry {
		opts.MaxExpiry = max(MaxExpiresIn, opts.DefaultExpiry)
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 10
	}
	if len(opts.Methods) == 0 {
		opts.Methods = []Method{MethodWeChat, MethodAlipay}
	}
	if opts.QueryRate <= 0 {
		opts.QueryRate = DefaultReconcileRate
	}
	paced := pacedGateway{Gateway: loggedGateway{Gateway: gw, log: log}, pace: newQueryPace(opts.QueryRate)}
	return &Service{store: store, gw: paced, pub: pub, log: log, now: now, rand: rand, opts: opts}, nil
}

// Methods returns the offered methods in display order.
func (s *Service) Methods() []Method { return s.opts.Methods }

// CheckoutURL is where the shopper pays payment id.
func (s *Service) CheckoutURL(id string) string { return s.opts.CheckoutURLFor(id) }

// Create makes a payment from a merchant's input. With an idempotency key
// a repeated identical request returns the first payment (created false).
func (s *Service) Create(ctx context.Context, in CreateInput, idemKey string) (Payment, bool, error) {
	return s.create(ctx, in, Idempotency{Key: idemKey}, false)
}

// create is Create; own says the return and cancel URLs are this app's own
// pages (a stored link's), which the merchant-origin policy does not cover.
// idem's Key scopes the request (none when empty) and its Link names the
// stored link's use the payment is made under, if any; create fills in
// the Hash.
func (s *Service) create(ctx context.Context, in CreateInput, idem Idempotency, own bool) (Payment, bool, error) {
	// Every problem is reported at once: the field checks, then the
	// wallet and origin policies, in a fixed order.
	v, err := in.validate(s.opts.MaxExpiry)
	var problems []string
	var ve *ValidationError
	if errors.As(err, &ve) {
		problems = append(problems, ve.Problems...)
	} else if err != nil {
		return Payment{}, false, err
	}
	if v.currency != "" && len(s.opts.Currencies) > 0 && !contains(s.opts.Currencies, string(v.currency)) {
		problems = append(problems, "currency "+string(v.currency)+" has no Latipay wallet here; use "+strings.Join(s.opts.Currencies, " or "))
	}
	// A method the checkout does not offer could never be paid: its page
	// would refuse to start it.
	if v.method != "" && !s.offered(v.method) {
		names := make([]string, len(s.opts.Methods))
		for i, m := range s.opts.Methods {
			names[i] = string(m)
		}
		problems = append(problems, "payment_method "+string(v.method)+" is not enabled here (enabled: "+
			strings.Join(names, ", ")+"); the shop enables it with HPP_METHODS")
	}
	for _, f := range []struct{ name, url string }{{"return_url", in.ReturnURL}, {"cancel_url", in.CancelURL}} {
		if f.url != "" && !own && checkURL(f.name, f.url, false) == nil {
			if p := s.urlProblem(f.name, f.url); p != "" {
				problems = append(problems, p)
			}
		}
	}
	if len(problems) > 0 {
		return Payment{}, false, &ValidationError{Problems: problems}
	}
	now := s.now().UTC()
	id, err := NewPaymentID(s.rand, now)
	if err != nil {
		return Payment{}, false, err
	}
	expiry := in.ExpiresIn
	if expiry == 0 {
		expiry = s.opts.DefaultExpiry
	}
	source := in.Source
	if source == "" {
		source = SourceOnline
	}
	p := Payment{
		ID: id, Reference: in.Reference, Amount: v.amount, Currency: v.currency,
		Description: v.desc, Method: v.method, Status: StatusCreated, Source: source,
		ReturnURL: in.ReturnURL, CancelURL: in.CancelURL, Version: 1,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(expiry),
	}
	if idem.Key != "" {
		idem.Hash = in.requestHash()
	}
	m := Message{Code: MsgCreated, Amount: v.amount, Currency: v.currency}
	ev := Event{PaymentID: id, Type: "payment.created", To: StatusCreated, CreatedAt: now, Detail: m.English(), Data: m.data()}
	stored, created, err := s.store.CreatePayment(ctx, p, ev, idem)
	if err == nil && created {
		// After the commit, as every publish: shop-wide listeners (the
		// back office's live feed) hear of the new payment.
		s.pub.Publish(Update{PaymentID: stored.ID, Status: stored.Status, Version: stored.Version})
	}
	return stored, created, err
}

// requestHash is the hash an idempotency key keeps of the create request
// it was first used with.
func (in CreateInput) requestHash() string {
	h := sha256.Sum256([]byte(strings.Join([]string{in.Amount, in.Currency, in.Reference,
		in.Description, in.ReturnURL, in.CancelURL, in.Method, in.ExpiresIn.String()}, "\x00")))
	return hex.EncodeToString(h[:])
}

// LinkPayment returns the payment a signed link (VerifyLink's request)
// already made, whatever its status: ErrNotFound when the link was never
// opened, and ErrIdempotencyReuse when its reference made a payment with
// other details, as opening the link again would. It is how a link past
// its exp still leads a shopper who used it to that payment's checkout.
func (s *Service) LinkPayment(ctx context.Context, in CreateInput) (Payment, error) {
	id, hash, err := s.store.IdempotentPayment(ctx, LinkKey(in.Reference))
	if err != nil {
		return Payment{}, err
	}
	if hash != in.requestHash() {
		return Payment{}, ErrIdempotencyReuse
	}
	return s.Get(ctx, id)
}

// urlProblem applies the merchant-origin policy to a return or cancel URL
// and says what is wrong, naming only what applies; "" when allowed.
func (s *Service) urlProblem(name, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return name + " must be an absolute https URL"
	}
	host := u.Hostname()
	local := host == "localhost" || host == "127.0.0.1" || host == "::1"
	if u.Scheme == "http" && !(local && s.opts.AllowLocalhost) {
		if local {
			return name + " must use https (http is accepted for localhost in sandbox mode only)"
		}
		return name + " must use https"
	}
	if len(s.opts.MerchantOrigins) == 0 || (local && s.opts.AllowLocalhost) {
		return ""
	}
	origin := originOf(u)
	for _, o := range s.opts.MerchantOrigins {
		if ou, err := url.Parse(o); err == nil && origin == originOf(ou) {
			return ""
		}
	}
	return name + " is on " + origin + ", which is not one of the merchant's origins (" +
		strings.Join(s.opts.MerchantOrigins, ", ") + "); add it to HPP_MERCHANT_ORIGINS to allow it"
}

// originOf is u's origin as a browser writes it: the scheme, the host in
// lower case, and the port only when it is not the scheme's default, so
// https://Shop.example:443 is https://shop.example.
func originOf(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host
}

// Get returns a payment, first marking it expired if its window has ended.
func (s *Service) Get(ctx context.Context, id string) (Payment, error) {
	if !ValidPaymentID(id) {
		return Payment{}, ErrNotFound
	}
	p, err := s.store.Payment(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	if Expirable(p) && p.Expired(s.now()) {
		return s.expire(ctx, id)
	}
	return p, nil
}

// Attempts lists a payment's attempts, oldest first.
func (s *Service) Attempts(ctx context.Context, id string) ([]Attempt, error) {
	return s.store.Attempts(ctx, id)
}

// Events lists a payment's event log.
func (s *Service) Events(ctx context.Context, id string) ([]Event, error) {
	if _, err := s.store.Payment(ctx, id); err != nil {
		return nil, err
	}
	return s.store.Events(ctx, id)
}

// Notifications lists the verified Latipay callbacks recorded for every
// attempt of payment id, attempt by attempt, each oldest first.
func (s *Service) Notifications(ctx context.Context, id string) ([]Notification, error) {
	as, err := s.store.Attempts(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []Notification
	for _, a := range as {
		ns, err := s.store.Notifications(ctx, a.Reference)
		if err != nil {
			return nil, err
		}
		out = append(out, ns...)
	}
	return out, nil
}

// open reports whether the shopper may still pay.
func open(st Status) bool {
	return st == StatusCreated || st == StatusPending || st == StatusFailed
}

// Expirable reports whether the end of p's window closes it as expired:
// any open payment, save a counter sale that failed (package doc, Failed
// counter sales). Nobody retried that sale, so it stays failed, as the
// till said, rather than be listed as expired; its window still bounds
// a retry (Start, StartBarcode).
func Expirable(p Payment) bool {
	return open(p.Status) && !(p.Status == StatusFailed && p.TillSale())
}

// update runs fn in a store transaction and publishes the result when the
// payment's version moved. Publishing happens only after the commit.
func (s *Service) update(ctx context.Context, id string, fn func(tx *Tx) error) (Payment, error) {
	var before int64 = -1
	p, err := s.store.Update(ctx, id, func(tx *Tx) error {
		before = tx.Payment.Version
		return fn(tx)
	})
	if err != nil {
		return p, err
	}
	if p.Version != before {
		s.pub.Publish(Update{PaymentID: p.ID, Status: p.Status, Version: p.Version})
	}
	return p, nil
}

// transition moves the payment along the graph, appending the event that
// says m. It reports false (and changes nothing) when the graph has no
// such edge.
func (s *Service) transition(tx *Tx, to Status, m Message) bool {
	from := tx.Payment.Status
	if from == to && to != StatusPartiallyRefunded || !CanTransition(from, to) {
		return false
	}
	now := s.now().UTC()
	tx.Payment.Status = to
	tx.Payment.UpdatedAt = now
	if to == StatusPaid {
		tx.Payment.PaidAt = now
	}
	if linked(tx.Payment.Source) {
		// A stored link counts paid payments: an open checkout holds a
		// place, which its unpaid end gives back (paylinks.go).
		switch to {
		case StatusPaid:
			tx.linkUse = LinkUsePaid
		case StatusExpired, StatusFailed, StatusCanceled:
			tx.linkUse = LinkUseRelease
		}
	}
	tx.event(Event{Type: "payment." + string(to), From: from, To: to, Detail: m.English(), Data: m.data(), CreatedAt: now})
	return true
}

// anomaly records something that needs a person to look at it.
func (s *Service) anomaly(tx *Tx, m Message) {
	tx.Payment.NeedsReview = true
	tx.Payment.ReviewedAt = time.Time{} // a new anomaly is for a person to look at again
	tx.Payment.UpdatedAt = s.now().UTC()
	tx.event(m.Event("anomaly", tx.Payment.Status, s.now().UTC()))
	s.log.Warn("payment anomaly", "payment_id", tx.Payment.ID, "code", m.Code, "detail", m.English())
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
