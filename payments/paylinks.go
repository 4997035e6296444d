package payments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Stored payment links. The owner makes a link in the back office; its
// short URL (/l/<id>) opens a page where the shopper pays a fixed amount,
// or types an amount between a minimum and a maximum. Its maximum number
// of payments counts paid payments: a checkout opened from it holds a
// place while it is open (created, pending), so shoppers paying at once
// cannot pass the maximum; the place is taken in the store with one
// conditional update. A payment that ends unpaid (expired, failed,
// canceled) gives its place back in the transaction of that transition
// (Tx.LinkUse), and a failed one the shopper starts again takes a place
// again, or is refused with ErrLinkUsedUp when none is free. A payment
// paid late, after its place was given back, still counts: money is never
// refused, so a link may show more paid payments than its maximum. A
// refund, partial or in full, gives no place back (LinkUseFor: every
// settled status is LinkUsePaid): the maximum limits payments made, and
// a refunded payment was made. Latipay's refund is the merchant's own
// later act on a paid order (one or several, up to what was paid), not
// the payment undone; were a refund in full to free a place, a sold-out
// or single-use link (an invoice, a booking cancelled and refunded)
// would take another shopper's money without the owner choosing it, and
// the count would change days after other shoppers were told the link
// was used up. An owner who wants another payment makes another link.
// The reports count the money apart (the payment's Gross on its day, the
// refund on its own). A
// place that no payment will give back (the process stopped between
// counting a use and making its payment, or an earlier version made the
// payment without tying it to the use) is settled by a periodic sweep
// (Links.Run).
//
// The shop's static counter QR is the same thing with Source
// SourceStaticQR: always an open amount, no expiry and no use limit,
// printed once and stuck on the counter.
//
// These complement the signed /pay links (link.go), which need no storage
// and keep working unchanged.

// Errors of stored links, besides ErrNotFound and ErrLinkExpired.
var (
	ErrLinkInactive = errors.New("payments: payment link was deactivated")
	ErrLinkUsedUp   = errors.New("payments: payment link has been used its maximum number of times")
	// ErrLinkBusy: no place is free, but not every one is paid: some are
	// held by open checkouts and come back if those end unpaid. It
	// matches ErrLinkUsedUp (no place is free).
	ErrLinkBusy error = linkFull("payments: every free place of the payment link is held by an open checkout")
	// ErrLinkTaken: a failed payment of the link cannot start again: its
	// place went to another checkout meanwhile, still open. It matches
	// ErrLinkUsedUp. Once the link's paid payments reach its maximum, the
	// refusal is ErrLinkUsedUp itself.
	ErrLinkTaken error = linkFull("payments: the payment link's place was taken by another checkout")
)

// linkFull is a kind of ErrLinkUsedUp that says more about why no place
// is free.
type linkFull string

func (e linkFull) Error() string { return string(e) }

// Is makes errors.Is(err, ErrLinkUsedUp) true.
func (e linkFull) Is(target error) bool { return target == ErrLinkUsedUp }

// LinkLanguages are the languages a link's description may be written in,
// in the order the back office asks for them.
var LinkLanguages = []string{"en", "zh-Hans", "zh-Hant"}

// Link is a stored payment link.
type Link struct {
	ID     string // 26 lower-case base32 characters (128 random bits): the URL /l/<ID>
	Source string // SourceLink or SourceStaticQR: the channel its payments carry
	// Amount is the fixed amount in minor units; 0 means the shopper types
	// one between MinAmount and MaxAmount (inclusive).
	Amount    int64
	MinAmount int64
	MaxAmount int64
	Currency  Currency
	// Descriptions by language (LinkLanguages); the shopper sees theirs,
	// else the first one written.
	Descriptions map[string]string
	ExpiresAt    time.Time // zero: never
	MaxUses      int       // 0: no limit
	// Uses is the places taken: checkouts open (Open) and payments paid
	// (Paid). A new checkout needs Uses below MaxUses. A payment paid late
	// takes its place again whatever the count, so Uses, and Paid, may be
	// above MaxUses.
	Uses      int
	Paid      int // payments paid through it (refunded ones included)
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Open is how many checkouts made through the link are open and hold a
// place.
func (l Link) Open() int { return max(0, l.Uses-l.Paid) }

// OverPaid is how many more payments were paid through the link than its
// maximum allows (0 without a maximum): payments paid after their
// checkout had closed and given its place to another shopper.
func (l Link) OverPaid() int {
	if l.MaxUses == 0 {
		return 0
	}
	return max(0, l.Paid-l.MaxUses)
}

// OpenAmount reports whether the link takes any amount the shopper types.
func (l Link) OpenAmount() bool { return l.Amount == 0 }

// Description is the link's text in lang, else, for Chinese, in the
// other Chinese script, else in the first language that has one.
func (l Link) Description(lang string) string {
	if d := l.Descriptions[lang]; d != "" {
		return d
	}
	// A Chinese reader gets the other Chinese script before English:
	// a zh-Hant shopper reads Simplified more easily than English.
	other := map[string]string{"zh-Hans": "zh-Hant", "zh-Hant": "zh-Hans"}[lang]
	if d := l.Descriptions[other]; other != "" && d != "" {
		return d
	}
	for _, g := range LinkLanguages {
		if d := l.Descriptions[g]; d != "" {
			return d
		}
	}
	return ""
}

// State is why the link cannot take a payment at now (ErrLinkInactive,
// ErrLinkExpired, ErrLinkUsedUp when its paid payments reached the
// maximum, ErrLinkBusy when open checkouts hold the places left), or nil
// when it can.
func (l Link) State(now time.Time) error {
	switch {
	case !l.Active:
		return ErrLinkInactive
	case !l.ExpiresAt.IsZero() && !now.Before(l.ExpiresAt):
		return ErrLinkExpired
	case l.MaxUses > 0 && l.Paid >= l.MaxUses:
		return ErrLinkUsedUp
	case l.MaxUses > 0 && l.Uses >= l.MaxUses:
		return ErrLinkBusy
	}
	return nil
}

// LinkStore keeps links. payments/sqlite and payments/postgres implement
// it and pass linkstest.Run.
type LinkStore interface {
	// CreateLink inserts l (its ID is new).
	CreateLink(ctx context.Context, l Link) error
	// Link returns one link or ErrNotFound.
	Link(ctx context.Context, id string) (Link, error)
	// Links lists links of source ("" for all), newest first (by
	// creation, then id), after the link before when it is not "" (the
	// next page; none if it does not exist).
	Links(ctx context.Context, source, before string, limit int) ([]Link, error)
	// SetLinkActive switches a link on or off and returns it, or
	// ErrNotFound.
	SetLinkActive(ctx context.Context, id string, active bool, now time.Time) (Link, error)
	// UseLink counts one use for key (the shopper's submission) in one
	// atomic step: only when the link is active, not expired at now and
	// its Uses are below its MaxUses (0: no limit). The use holds a place
	// (Uses) until its payment is paid or ends unpaid. A key already
	// counted for the link is a replay: nothing more is counted and replay
	// is true, whatever became of its payment. It returns the link as
	// stored afterwards; ErrNotFound when there is no such link.
	//
	// The payment made for the use is tied to it when the Store creates
	// it (Idempotency.Link); from then on the payment's transitions move
	// the use (Tx.LinkUse), in the Store's Update.
	UseLink(ctx context.Context, id, key string, now time.Time) (l Link, used, replay bool, err error)
	// ReleaseLink gives back the use counted for key, whose payment could
	// not be made, and forgets the key; nothing when key holds none.
	ReleaseLink(ctx context.Context, id, key string) error
	// SweepLinkUses settles up to limit uses that hold a place with no
	// payment tied to them and were counted before cutoff, oldest first,
	// each in a transaction of its own (see Links.SweepUses):
	//   - one whose payment was made under the idempotency key
	//     "link:<link id>:<key>" but not tied to it (by an earlier version)
	//     is tied to it and moved as LinkUseFor its status says; one whose
	//     payment is still open (created, pending) is left as it is, and
	//     not counted among the limit;
	//   - one with no payment is given back and its key forgotten, as
	//     ReleaseLink does.
	// Like UseLink it is atomic with every other write of the use and its
	// link, so several instances may sweep at once: each use is settled
	// once. It must not read more than the uses it settles (an index of
	// the untied held uses by time).
	SweepLinkUses(ctx context.Context, cutoff time.Time, limit int) (LinkSweep, error)
	// PaymentLink returns the link whose use payment paymentID is tied to
	// (the payment was made through it), or ErrNotFound when it is tied
	// to none: a payment made otherwise, or one an earlier version made
	// without tying it, until SweepLinkUses ties it. It reads by the
	// index of the uses' payments.
	PaymentLink(ctx context.Context, paymentID string) (Link, error)
}

// LinkSweep is what LinkStore.SweepLinkUses did.
type LinkSweep struct {
	Released int // places given back: uses with no payment, and uses tied to a payment that ended unpaid
	Tied     int // uses tied to the payment made for them (those that ended unpaid counted in Released too)
}

// LinkUseFor is the change that brings a use in line with its payment's
// status st, as the payment's transitions would have moved it: paid
// (refunded since or not) counts, an unpaid end gives the place back, an
// open payment keeps it.
func LinkUseFor(st Status) LinkUseChange {
	switch {
	case st.Settled():
		return LinkUsePaid
	case st == StatusExpired || st == StatusFailed || st == StatusCanceled:
		return LinkUseRelease
	}
	return LinkUseKeep
}

// LinkUseChange is what a payment's transition does to the use of a
// stored link it was made under (Tx.LinkUse). The Store applies it in the
// transaction of the transition, and does nothing for a payment that
// holds no use (one not made through a stored link).
type LinkUseChange string

// The changes, as the Store applies them to the use's state (held, paid
// or released; a new use is held) and to its link's Uses and Paid.
const (
	// LinkUseKeep changes nothing.
	LinkUseKeep LinkUseChange = ""
	// LinkUseRelease: the payment ended unpaid (expired, failed,
	// canceled). A held use is released and its place given back; a paid
	// or released one stays.
	LinkUseRelease LinkUseChange = "release"
	// LinkUsePaid: the payment was paid. The use is paid and counts in
	// Paid; a released one takes its place again even above MaxUses (the
	// money is received: paid late).
	LinkUsePaid LinkUseChange = "paid"
	// LinkUseRetake: a failed payment starts again. A released use takes a
	// place again only if the link's Uses are below its MaxUses; else the
	// Store's Update fails, writing nothing, with ErrLinkUsedUp when the
	// link's paid payments reached MaxUses, or ErrLinkTaken (which matches
	// it) when open checkouts hold the places left. A held or paid use
	// stays.
	LinkUseRetake LinkUseChange = "retake"
)

// UseState is where one use of a stored link stands, as stored.
type UseState string

// The states of a use.
const (
	UseHeld     UseState = "held"     // its payment is open: it holds a place
	UsePaid     UseState = "paid"     // its payment was paid: it counts in Paid
	UseReleased UseState = "released" // its payment ended unpaid: its place was given back
)

// Step is what c does to a use in state from whose link has uses places
// taken, paid of them paid, of maxUses (0: no limit): the use's new state
// and what the link's Uses and Paid gain (negative: lose). It answers a
// retake with no place free ErrLinkUsedUp when paid reached maxUses (the
// link is used up, as Link.State says), else ErrLinkTaken; the Store then
// writes nothing.
func (c LinkUseChange) Step(from UseState, uses, paid, maxUses int) (to UseState, dUses, dPaid int, err error) {
	switch {
	case c == LinkUseRelease && from == UseHeld:
		return UseReleased, -1, 0, nil
	case c == LinkUsePaid && from == UseHeld:
		return UsePaid, 0, 1, nil
	case c == LinkUsePaid && from == UseReleased:
		return UsePaid, 1, 1, nil // paid late: money is never refused
	case c == LinkUseRetake && from == UseReleased:
		switch {
		case maxUses > 0 && paid >= maxUses:
			return from, 0, 0, ErrLinkUsedUp
		case maxUses > 0 && uses >= maxUses:
			return from, 0, 0, ErrLinkTaken
		}
		return UseHeld, 1, 0, nil
	}
	return from, 0, 0, nil
}

// LinkUse names one use of a stored link: the link and the key UseLink
// counted it for.
type LinkUse struct {
	LinkID string
	Key    string
}

// linked reports whether a payment of source may hold the use of a
// stored link.
func linked(source string) bool { return source == SourceLink || source == SourceStaticQR }

// LinkInput is the owner's form for a new link, as typed.
type LinkInput struct {
	Source       string // SourceLink (default) or SourceStaticQR
	Currency     string
	Amount       string // fixed amount; "" for an open amount
	MinAmount    string // open amount: the least the shopper may pay
	MaxAmount    string // open amount: the most
	Descriptions map[string]string
	ExpiresAt    time.Time // zero: never
	MaxUses      string    // "" or "0": no limit
}

// LinkProblem names one thing wrong with a LinkInput or with a typed
// amount, so pages can say it in the shopper's or owner's language.
type LinkProblem string

// The problems a LinkError may carry.
const (
	LinkBadCurrency   LinkProblem = "currency"      // not a currency with a wallet here
	LinkBadAmount     LinkProblem = "amount"        // fixed amount is not a positive decimal
	LinkBadMin        LinkProblem = "min"           // minimum is not a positive decimal
	LinkBadMax        LinkProblem = "max"           // maximum is not a positive decimal
	LinkMinAboveMax   LinkProblem = "min_above_max" // minimum is more than the maximum
	LinkBadExpiry     LinkProblem = "expiry"        // expiry is not in the future
	LinkBadUses       LinkProblem = "uses"          // maximum uses is not a whole number >= 0
	LinkBadSource     LinkProblem = "source"        // neither a link nor a static QR
	LinkStaticLimited LinkProblem = "static"        // a static QR with a fixed amount, expiry or use limit
	LinkLongDesc      LinkProblem = "description"   // a description over 200 characters
	// Typed by the shopper.
	LinkAmountNotNumber LinkProblem = "typed"    // not a positive decimal such as 12.50
	LinkAmountComma     LinkProblem = "comma"    // a comma that does not group thousands (1,50: a decimal comma?)
	LinkAmountBelow     LinkProblem = "below"    // below the link's minimum
	LinkAmountAbove     LinkProblem = "above"    // above the link's maximum
	LinkAmountDecimals  LinkProblem = "decimals" // more decimal places than the currency has (12.345)
)

// linkMaxUses is the most a link's MaxUses may say.
const linkMaxUses = 1_000_000_000

// LinkError lists what is wrong, for the owner's form or the shopper's
// amount. It matches ErrInvalid.
type LinkError struct {
	Problems []LinkProblem
}

func (e *LinkError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = string(p)
	}
	return "payments: invalid link input: " + strings.Join(parts, ", ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *LinkError) Is(target error) bool { return target == ErrInvalid }

// Has reports whether p is among the problems.
func (e *LinkError) Has(p LinkProblem) bool {
	for _, x := range e.Problems {
		if x == p {
			return true
		}
	}
	return false
}

var linkIDPattern = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{26}$`)

// ValidLinkID reports whether s has the grammar of a link id, so handlers
// can answer 404 without touching the database.
func ValidLinkID(s string) bool { return linkIDPattern.MatchString(s) }

// Links is the service of stored payment links. It makes payments through
// the payment Service, so every rule of a payment applies to them.
type Links struct {
	store LinkStore
	svc   *Service
	urlOf func(id string) string // absolute URL of a link's page
	back  string                 // where the checkout's "back to the shop" goes
}

// NewLinks wires the links service: urlOf gives the absolute URL of a
// link's page (/l/<id>); back is the absolute URL the checkout's "back to
// the shop" leads to from a link's payment (the shop's website, or this
// app's home page). It is not the link's own page, which, once the link
// is used up, would tell a shopper who has just paid that it cannot be
// used.
func NewLinks(store LinkStore, svc *Service, urlOf func(id string) string, back string) (*Links, error) {
	if store == nil || svc == nil || urlOf == nil || back == "" {
		return nil, errors.New("payments: NewLinks: missing dependency")
	}
	return &Links{store: store, svc: svc, urlOf: urlOf, back: back}, nil
}

// URL is the absolute URL of a link's page.
func (s *Links) URL(id string) string { return s.urlOf(id) }

// Create validates the owner's input, reporting every problem at once, and
// stores the new link.
func (s *Links) Create(ctx context.Context, in LinkInput) (Link, error) {
	now := s.svc.now().UTC()
	l := Link{Source: in.Source, Active: true, CreatedAt: now, UpdatedAt: now, Descriptions: map[string]string{}}
	if l.Source == "" {
		l.Source = SourceLink
	}
	var bad []LinkProblem
	if l.Source != SourceLink && l.Source != SourceStaticQR {
		bad = append(bad, LinkBadSource)
	}
	c, err := ParseCurrency(in.Currency)
	if err != nil || len(s.svc.opts.Currencies) > 0 && !contains(s.svc.opts.Currencies, string(c)) {
		bad = append(bad, LinkBadCurrency)
		c = NZD // keep checking the amounts' grammar
	}
	l.Currency = c
	amount := strings.TrimSpace(in.Amount)
	if amount != "" {
		if l.Amount, err = ParseAmount(amount, c); err != nil {
			bad = append(bad, LinkBadAmount)
		}
	} else {
		minOK, maxOK := true, true
		if l.MinAmount, err = ParseAmount(strings.TrimSpace(in.MinAmount), c); err != nil {
			bad, minOK = append(bad, LinkBadMin), false
		}
		if l.MaxAmount, err = ParseAmount(strings.TrimSpace(in.MaxAmount), c); err != nil {
			bad, maxOK = append(bad, LinkBadMax), false
		}
		if minOK && maxOK && l.MinAmount > l.MaxAmount {
			bad = append(bad, LinkMinAboveMax)
		}
	}
	long := false
	for _, g := range LinkLanguages {
		if utf8.RuneCountInString(in.Descriptions[g]) > maxDescriptionLen {
			long = true
		} else if d := cleanText(in.Descriptions[g]); d != "" {
			l.Descriptions[g] = d
		}
	}
	if long {
		bad = append(bad, LinkLongDesc)
	}
	if !in.ExpiresAt.IsZero() {
		if !now.Before(in.ExpiresAt) {
			bad = append(bad, LinkBadExpiry)
		}
		l.ExpiresAt = in.ExpiresAt.UTC()
	}
	if u := strings.TrimSpace(in.MaxUses); u != "" {
		n, err := strconv.Atoi(u)
		if err != nil || n < 0 || n > linkMaxUses {
			bad = append(bad, LinkBadUses)
		}
		l.MaxUses = n
	}
	if l.Source == SourceStaticQR && (l.Amount != 0 || !l.ExpiresAt.IsZero() || l.MaxUses != 0) {
		bad = append(bad, LinkStaticLimited)
	}
	if len(bad) > 0 {
		return Link{}, &LinkError{Problems: bad}
	}
	if l.ID, err = newLinkID(s.svc.rand); err != nil {
		return Link{}, err
	}
	if err := s.store.CreateLink(ctx, l); err != nil {
		return Link{}, err
	}
	return l, nil
}

// newLinkID makes a link id: 128 random bits as 26 lower-case characters.
func newLinkID(r io.Reader) (string, error) {
	s, err := random16(r)
	return strings.ToLower(s), err
}

// Get returns one link or ErrNotFound.
func (s *Links) Get(ctx context.Context, id string) (Link, error) {
	if !ValidLinkID(id) {
		return Link{}, ErrNotFound
	}
	return s.store.Link(ctx, id)
}

// List returns the newest links of source ("" for all), older than the
// link before when it is not "" (ErrNotFound if it is not a link id).
func (s *Links) List(ctx context.Context, source, before string, limit int) ([]Link, error) {
	if before != "" && !ValidLinkID(before) {
		return nil, ErrNotFound
	}
	return s.store.Links(ctx, source, before, limit)
}

// OfPayment returns the stored link (or printed QR) payment p was made
// through, or ErrNotFound: p came another way (its Source is neither
// SourceLink nor SourceStaticQR: a signed /pay link is a SourceLink
// payment with no stored link), or its use is not tied to it
// (LinkStore.PaymentLink).
func (s *Links) OfPayment(ctx context.Context, p Payment) (Link, error) {
	if !linked(p.Source) {
		return Link{}, ErrNotFound
	}
	return s.store.PaymentLink(ctx, p.ID)
}

// SetActive switches a link on or off.
func (s *Links) SetActive(ctx context.Context, id string, active bool) (Link, error) {
	if !ValidLinkID(id) {
		return Link{}, ErrNotFound
	}
	return s.store.SetLinkActive(ctx, id, active, s.svc.now().UTC())
}

// Now is the service's clock.
func (s *Links) Now() time.Time { return s.svc.now() }

// Amount checks what the shopper typed against the link: a fixed link
// takes its own amount whatever is typed.
func (s *Links) Amount(l Link, typed string) (int64, error) {
	if !l.OpenAmount() {
		return l.Amount, nil
	}
	plain, problem := typedAmount(typed)
	if problem != "" {
		return 0, &LinkError{Problems: []LinkProblem{problem}}
	}
	n, err := ParseAmount(plain, l.Currency)
	switch {
	case err != nil:
		return 0, &LinkError{Problems: []LinkProblem{numberProblem(plain, l.Currency)}}
	case n < l.MinAmount:
		return 0, &LinkError{Problems: []LinkProblem{LinkAmountBelow}}
	case n > l.MaxAmount:
		return 0, &LinkError{Problems: []LinkProblem{LinkAmountAbove}}
	}
	return n, nil
}

// numberProblem says what is wrong with a typed amount ParseAmount
// refused, when it is still a number: zero or negative ("0", "-5") is
// below the link's minimum, too many decimal places ("12.345") is said
// as such, and a number with more digits than any amount is above the
// maximum. Anything else (letters, "1.2.3", "012") is not a number.
func numberProblem(s string, c Currency) LinkProblem {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	whole, frac, hasPoint := strings.Cut(s, ".")
	digits := func(d string) bool { return d != "" && strings.Trim(d, "0123456789") == "" }
	if (!digits(whole) && !(whole == "" && hasPoint)) || (hasPoint && !digits(frac)) {
		return LinkAmountNotNumber
	}
	switch {
	case neg || strings.Trim(whole+frac, "0") == "":
		return LinkAmountBelow
	case len(frac) > c.Exponent():
		return LinkAmountDecimals
	case whole == "" || (len(whole) > 1 && whole[0] == '0'):
		return LinkAmountNotNumber
	}
	return LinkAmountAbove // every digit fine: more than the largest amount
}

// typedAmount is the amount a shopper typed as ParseAmount reads it:
// full-width digits and point (what a Chinese keyboard types, "１２．５０")
// become ASCII, and so does the ideographic full stop a Chinese keyboard
// gives for "." in its Chinese punctuation mode ("１２。５０" is 12.50);
// commas that group thousands ("1,000", "１，２３４.５０") are dropped. A comma anywhere else ("1,50", "12,5", "1,0000") may be a
// decimal comma: that is refused (LinkAmountComma) rather than guessed.
func typedAmount(typed string) (string, LinkProblem) {
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '．', r == '。', r == '｡': // the full-width point, the ideographic full stop and its half-width form
			return '.'
		case r == '，':
			return ','
		case r == '－', r == '−': // the full-width hyphen-minus and the minus sign
			return '-'
		case r == '\u3000': // the full-width space
			return ' '
		}
		return r
	}, typed)
	s = strings.TrimSpace(s)
	if !strings.Contains(s, ",") {
		return s, ""
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	groups := strings.Split(whole, ",")
	if len(groups[0]) < 1 || len(groups[0]) > 3 || strings.Contains(frac, ",") {
		return "", LinkAmountComma
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return "", LinkAmountComma
		}
	}
	s = strings.Join(groups, "")
	if hasPoint {
		s += "." + frac
	}
	return s, ""
}

// linkKeyPattern is the grammar of a submission key: what a page's
// random form key looks like (base64url), short enough for a reference.
var linkKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{8,40}$`)

// Pay makes a payment through link id for the amount the shopper typed
// (ignored for a fixed amount), described in lang. key names this
// submission of the shopper's form: the same key and amount again (a
// double tap, a reload) answers the same payment and counts no second
// use; "" or a malformed key gets a fresh one. The use is counted before
// the payment is made and given back if it cannot be, so the maximum
// holds under concurrent opens; the payment's end gives it back too, unless
// it was paid (Tx.LinkUse). A link that cannot take a payment answers
// ErrLinkInactive, ErrLinkExpired, ErrLinkUsedUp or ErrLinkBusy (Link.State)
// and makes none.
func (s *Links) Pay(ctx context.Context, id, typed, lang, key string) (Payment, error) {
	l, err := s.Get(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	amount, err := s.Amount(l, typed)
	if err != nil {
		return Payment{}, err
	}
	if !linkKeyPattern.MatchString(key) {
		if key, err = random16(s.svc.rand); err != nil {
			return Payment{}, err
		}
	}
	// The amount is part of the use's key: the shopper who goes back and
	// types another amount makes another payment.
	useKey := key + ":" + strconv.FormatInt(amount, 10)
	// The payment is made within linkPayTimeout of counting its use, or
	// not at all, so the sweep never gives back a place whose payment is
	// still being made (linkUseOrphanAfter).
	ctx, cancel := context.WithTimeout(ctx, linkPayTimeout)
	defer cancel()
	l, used, replay, err := s.store.UseLink(ctx, id, useKey, s.svc.now().UTC())
	if err != nil {
		return Payment{}, err
	}
	if !used && !replay {
		if err := l.State(s.svc.now()); err != nil {
			return Payment{}, err
		}
		return Payment{}, ErrLinkUsedUp
	}
	p, _, err := s.svc.create(ctx, CreateInput{
		Amount: FormatAmount(amount, l.Currency), Currency: string(l.Currency),
		Reference:   "L-" + l.ID[:10] + "-" + key,
		Description: l.Description(lang), ReturnURL: s.back, Source: l.Source,
	}, Idempotency{Key: "link:" + l.ID + ":" + useKey, Link: LinkUse{LinkID: l.ID, Key: useKey}}, true)
	if err != nil && used {
		if rerr := s.store.ReleaseLink(context.WithoutCancel(ctx), id, useKey); rerr != nil {
			s.svc.log.Error("payment link: use not given back", "link", id, "err", rerr)
		}
	}
	return p, err
}

// linkPayTimeout bounds Pay from counting a use to making its payment: a
// checkout is made in well under a second, and one that has not been made
// by then fails (and gives its place back) rather than being made after
// the sweep gave its place away.
const linkPayTimeout = time.Minute

// linkUseOrphanAfter is how long a use may hold a place with no payment
// tied to it before the sweep settles it. A payment is made, in the
// transaction that ties the use, within linkPayTimeout of the use being
// counted; ten minutes leave nine more for a commit that outlives its
// deadline (a stalled disk, a slow network to PostgreSQL) and for the
// clocks of several instances to disagree.
const linkUseOrphanAfter = 10 * time.Minute

// linkSweepBatch is how many uses one sweep settles at most; the next
// sweep goes on with the rest.
const linkSweepBatch = 100

// linkSweepEvery is how often Run sweeps. A use with no payment is rare
// (a process stopped, or a store failed, between counting it and making
// its payment) and waits linkUseOrphanAfter anyway.
const linkSweepEvery = time.Minute

// SweepUses settles uses that hold a place with no payment tied to them,
// counted more than linkUseOrphanAfter ago (LinkStore.SweepLinkUses). No
// payment's end would ever give those places back: one whose payment was
// never made (the process stopped after UseLink, or the payment's
// creation failed and ReleaseLink failed too) is given back; one whose
// payment an earlier version made without tying it (PostgreSQL instances
// of two versions side by side during an upgrade) is tied to it and
// follows it: counted if paid, given back if it ended unpaid. It logs how
// many were settled.
func (s *Links) SweepUses(ctx context.Context) (LinkSweep, error) {
	n, err := s.store.SweepLinkUses(ctx, s.svc.now().UTC().Add(-linkUseOrphanAfter), linkSweepBatch)
	if n.Released > 0 || n.Tied > 0 {
		s.svc.log.Info("payment links: places held with no payment settled", "released", n.Released, "tied", n.Tied)
	}
	if err != nil {
		return n, fmt.Errorf("payments: sweep link uses: %w", err)
	}
	return n, nil
}

// Run sweeps link uses (SweepUses) every linkSweepEvery until ctx ends;
// run starts it, on every instance.
func (s *Links) Run(ctx context.Context) {
	t := time.NewTicker(linkSweepEvery)
	defer t.Stop()
	for {
		if _, err := s.SweepUses(ctx); err != nil && ctx.Err() == nil {
			s.svc.log.Error("sweep link uses", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
