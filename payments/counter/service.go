package counter

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
)

// The rules of the counter.
const (
	PairingTTL     = 60 * time.Second // a pairing code's life
	PairingDigits  = 8                // digits of a pairing code
	MaxPINFailures = 5                // wrong PINs in a row that lock a PIN
	MinPINLength   = 4
	MaxPINLength   = 8
	// DefaultResultSeconds is how long a result stays on screen unless the
	// owner sets another figure (MinResultSeconds to MaxResultSeconds).
	DefaultResultSeconds = 6
	MinResultSeconds     = 2
	MaxResultSeconds     = 60
	maxNameLen           = 40
	touchEvery           = time.Minute
)

// Hasher hashes and checks PINs (accounts.Hasher: argon2id, bounded
// concurrency).
type Hasher interface {
	Hash(ctx context.Context, secret string) (string, error)
	Verify(ctx context.Context, encoded, secret string) (bool, error)
}

// People finds the accounts that unlock devices.
type People interface {
	Account(ctx context.Context, id string) (accounts.Account, error)
	Accounts(ctx context.Context) ([]accounts.Account, error)
}

// Payments is what a sale needs of payments.Service.
type Payments interface {
	Create(ctx context.Context, in payments.CreateInput, idemKey string) (payments.Payment, bool, error)
	Start(ctx context.Context, in payments.StartInput) (payments.Started, error)
	Get(ctx context.Context, id string) (payments.Payment, error)
	CancelAtCounter(ctx context.Context, id string) (payments.Payment, error)
	Cancel(ctx context.Context, id string) (payments.Payment, error)
	CancelForRevokedDevice(ctx context.Context, id string) (payments.Payment, error)
	StartBarcode(ctx context.Context, id, payCode string) (payments.Started, error)
	List(ctx context.Context, in payments.ListInput) (payments.PaymentPage, error)
	SucceededRefunds(ctx context.Context, id string) (int64, error)
}

// Options are the counter's settings.
type Options struct {
	Currency string         // the shop's currency, e.g. "NZD"
	Location *time.Location // the shop's time zone: where "today" starts; nil for UTC
	// MaxAmount is the largest sale in minor units; 0 for DefaultMaxAmount.
	MaxAmount int64
}

// DefaultMaxAmount is the largest counter sale unless configured:
// 50,000.00, a typing slip's worth below WeChat Pay's and Alipay's own
// per-payment limits for most shoppers.
const DefaultMaxAmount = 5_000_000

// Service holds the counter's rules over a Store.
type Service struct {
	store  Store
	hash   Hasher
	people People
	pay    Payments
	now    func() time.Time
	rand   io.Reader
	opts   Options
}

// NewService returns the counter service. Every dependency is required.
func NewService(st Store, h Hasher, people People, pay Payments, now func() time.Time, rnd io.Reader, opts Options) (*Service, error) {
	if st == nil || h == nil || people == nil || pay == nil || now == nil || rnd == nil {
		return nil, errors.New("counter: NewService: missing dependency")
	}
	if _, err := payments.ParseCurrency(opts.Currency); err != nil {
		return nil, fmt.Errorf("counter: NewService: currency: %w", err)
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.MaxAmount <= 0 {
		opts.MaxAmount = DefaultMaxAmount
	}
	return &Service{store: st, hash: h, people: people, pay: pay, now: now, rand: rnd, opts: opts}, nil
}

// Currency is the shop's currency at the counter.
func (s *Service) Currency() payments.Currency { return payments.Currency(s.opts.Currency) }

// MaxAmount is the largest sale, in minor units of Currency.
func (s *Service) MaxAmount() int64 { return s.opts.MaxAmount }

// Store returns the service's store (for listing pages).
func (s *Service) Store() Store { return s.store }

func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func (s *Service) random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return nil, fmt.Errorf("counter: random: %w", err)
	}
	return b, nil
}

// cleanName is a device name as every person-entered name is kept
// (payments.CleanText: no control, bidirectional or zero-width
// characters), cut to maxNameLen runes.
func cleanName(name string) string {
	name = payments.CleanText(name)
	if r := []rune(name); len(r) > maxNameLen {
		name = strings.TrimSpace(string(r[:maxNameLen]))
	}
	return name
}

// NewPairing makes a pairing code for a device to be called name: eight
// random digits, valid PairingTTL, taken once. Only its hash is stored.
func (s *Service) NewPairing(ctx context.Context, name string) (code string, expires time.Time, err error) {
	name = cleanName(name)
	if name == "" {
		return "", time.Time{}, &InputError{Field: "name"}
	}
	b, err := s.random(16)
	if err != nil {
		return "", time.Time{}, err
	}
	n := new(big.Int).Mod(new(big.Int).SetBytes(b), big.NewInt(100_000_000))
	code = fmt.Sprintf("%0*d", PairingDigits, n.Int64())
	expires = s.now().Add(PairingTTL).UTC()
	if err := s.store.PutPairing(ctx, Pairing{Hash: digest(code), Name: name, ExpiresAt: expires}); err != nil {
		return "", time.Time{}, err
	}
	return code, expires, nil
}

// Pair spends a pairing code on a new device and returns the device and
// its credential (for the device's cookie; never stored). Spaces in the
// code are ignored, as the back office shows it in two groups.
func (s *Service) Pair(ctx context.Context, code string) (Device, string, error) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != PairingDigits || strings.Trim(code, "0123456789") != "" {
		return Device{}, "", ErrPairingCode
	}
	p, err := s.store.TakePairing(ctx, digest(code))
	if errors.Is(err, ErrNotFound) {
		return Device{}, "", ErrPairingCode
	}
	if err != nil {
		return Device{}, "", err
	}
	if !s.now().Before(p.ExpiresAt) {
		return Device{}, "", ErrPairingCode
	}
	idb, err := s.random(16)
	if err != nil {
		return Device{}, "", err
	}
	tb, err := s.random(32)
	if err != nil {
		return Device{}, "", err
	}
	token := base64.RawURLEncoding.EncodeToString(tb)
	now := s.now().UTC()
	d := Device{ID: "dev_" + idEncoding.EncodeToString(idb)[:26], Name: p.Name, TokenHash: digest(token),
		CreatedAt: now, SeenAt: now, ResultSeconds: DefaultResultSeconds}
	if err := s.store.CreateDevice(ctx, d); err != nil {
		return Device{}, "", err
	}
	return d, token, nil
}

// Authenticate returns the device of a credential and notes the use. An
// unknown credential is ErrUnknown, a revoked device ErrRevoked. A device
// unlocked longer than UnlockFor comes back locked, and so does one whose
// cashier no longer may use it: the account removed, or its access
// changed since the unlock (sign out everywhere, a reset of access or of
// the password, a new password or role: accounts.Account.StillUnlocks).
// Every request of a device passes here, so none of them acts for a
// person who was shut out of the back office. Such a device is answered
// locked but not written locked here: the change of access locks it
// (LockShutOut), once, recording who changed it; a request landing
// between the two must not take that record away.
func (s *Service) Authenticate(ctx context.Context, token string) (Device, error) {
	if token == "" {
		return Device{}, ErrUnknown
	}
	d, err := s.store.DeviceByToken(ctx, digest(token))
	if errors.Is(err, ErrNotFound) {
		return Device{}, ErrUnknown
	}
	if err != nil {
		return Device{}, err
	}
	if d.Revoked() {
		return Device{}, ErrRevoked
	}
	now := s.now()
	expired := d.CashierID != "" && now.Sub(d.UnlockedAt) >= UnlockFor
	shutOut := false // the cashier unlocked as d was read may no longer use it
	if d.CashierID != "" && !expired {
		ok, err := s.stillUnlocks(ctx, d)
		if err != nil {
			return Device{}, err
		}
		shutOut = !ok
	}
	was, since := d.CashierID, d.UnlockedAt
	if expired || now.Sub(d.SeenAt) >= touchEvery {
		if d, err = s.store.UpdateDevice(ctx, d.ID, func(d *Device) error {
			if d.Revoked() {
				return ErrRevoked
			}
			d.SeenAt = now.UTC()
			if d.CashierID != "" && now.Sub(d.UnlockedAt) >= UnlockFor {
				d.CashierID, d.UnlockedAt = "", time.Time{}
			}
			return nil
		}); err != nil {
			return Device{}, err
		}
	}
	// Only the unlock that was checked: another cashier may have
	// unlocked it since.
	if shutOut && d.CashierID == was && d.UnlockedAt.Equal(since) {
		d.CashierID, d.UnlockedAt = "", time.Time{}
	}
	return d, nil
}

// UnlockLeft is how long d's unlock has before the device locks itself
// (UnlockFor after it was unlocked), never below zero; zero for a locked
// device. Nothing extends it: a cashier locks and unlocks again.
func (s *Service) UnlockLeft(d Device) time.Duration {
	if d.CashierID == "" {
		return 0
	}
	return max(0, d.UnlockedAt.Add(UnlockFor).Sub(s.now()))
}

// stillUnlocks reports whether the cashier unlocked on d still may use
// it: their account exists and its access has not changed since.
func (s *Service) stillUnlocks(ctx context.Context, d Device) (bool, error) {
	a, err := s.people.Account(ctx, d.CashierID)
	if errors.Is(err, accounts.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return a.StillUnlocks(d.UnlockedAt), nil
}

// Revocation is what revoking a device did: the device as written, and
// its sales that were open (created or pending) when it was revoked:
// those Cancel closed, those found paid meanwhile (kept paid), and those
// whose cancel failed (left as they were, to cancel from the back office).
type Revocation struct {
	Device   Device
	Canceled []payments.Payment
	Paid     []payments.Payment
	Failed   []payments.Payment
}

// revokeLookback is how far back Revoke looks for the device's open
// sales: well beyond a counter sale's window.
const revokeLookback = 24 * time.Hour

// Revoke stops a device: its next request is refused. Its open sales
// (created or pending) are then canceled through
// payments.Service.CancelForRevokedDevice, the owner's cancel in the
// back office with words that say the till was revoked, so that Latipay
// is told and no shopper pays a sale that no till can see any more; a
// sale Latipay says was paid meanwhile stays paid (Revocation.Paid). A
// failed sale is left failed: only a cashier on the device could have
// retried it. A sale whose request checked the device before the revoke
// and records it after is refused by the store (AddSale: ErrRevoked) and
// its payment canceled by that request, so none escapes the listing.
func (s *Service) Revoke(ctx context.Context, id string) (Revocation, error) {
	d, err := s.store.UpdateDevice(ctx, id, func(d *Device) error {
		if !d.Revoked() {
			d.RevokedAt = s.now().UTC()
		}
		d.CashierID, d.UnlockedAt = "", time.Time{}
		return nil
	})
	if err != nil {
		return Revocation{}, err
	}
	r := Revocation{Device: d}
	sales, err := s.store.Sales(ctx, d.ID, s.now().Add(-revokeLookback), maxToday)
	if err != nil {
		return r, err
	}
	for _, sale := range sales {
		p, err := s.pay.Get(ctx, sale.PaymentID)
		if err != nil {
			return r, err
		}
		if p.Status != payments.StatusCreated && p.Status != payments.StatusPending {
			continue
		}
		q, err := s.pay.CancelForRevokedDevice(ctx, p.ID)
		switch {
		case err == nil:
			r.Canceled = append(r.Canceled, q)
		case errors.Is(err, payments.ErrAlreadyPaid):
			r.Paid = append(r.Paid, q)
		case errors.Is(err, payments.ErrNotCancelable): // ended unpaid meanwhile
		default: // Latipay's word is not needed (Cancel goes ahead without it): the store failed
			r.Failed = append(r.Failed, p)
		}
	}
	return r, nil
}

// SetResultSeconds sets how long a device shows a result. It returns
// the device as written and how long it was before.
func (s *Service) SetResultSeconds(ctx context.Context, id string, secs int) (Device, int, error) {
	if secs < MinResultSeconds || secs > MaxResultSeconds {
		return Device{}, 0, &InputError{Field: "result_seconds"}
	}
	before := 0
	d, err := s.store.UpdateDevice(ctx, id, func(d *Device) error {
		before, d.ResultSeconds = d.ResultSeconds, secs
		return nil
	})
	return d, before, err
}

// InputError names the field that is wrong. It matches ErrInvalid.
type InputError struct{ Field string }

func (e *InputError) Error() string { return "counter: invalid " + e.Field }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InputError) Is(target error) bool { return target == ErrInvalid }

// ValidPIN reports whether pin has the form of a PIN: 4 to 8 ASCII digits.
func ValidPIN(pin string) bool {
	return len(pin) >= MinPINLength && len(pin) <= MaxPINLength && strings.Trim(pin, "0123456789") == ""
}

// SetPIN gives an account a new PIN (unlocked, no failures). Only a
// role that sells (accounts.Role.Sells) gets one: a bookkeeper's is
// refused as an InputError of the account.
func (s *Service) SetPIN(ctx context.Context, accountID, pin string) error {
	if !ValidPIN(pin) {
		return &InputError{Field: "pin"}
	}
	a, err := s.people.Account(ctx, accountID)
	if err != nil {
		return err
	}
	if !a.Role.Sells() {
		return &InputError{Field: "account"}
	}
	h, err := s.hash.Hash(ctx, pin)
	if err != nil {
		return err
	}
	return s.store.PutPIN(ctx, PIN{AccountID: accountID, Hash: h, UpdatedAt: s.now().UTC()})
}

// Person is someone who can unlock a device.
type Person struct {
	Account accounts.Account
	Locked  bool // their PIN is locked
}

// People lists the accounts with a PIN whose role sells, in account
// order: a PIN kept from before a role that does not (a bookkeeper)
// unlocks nothing.
func (s *Service) People(ctx context.Context) ([]Person, error) {
	pins, err := s.store.PINs(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]PIN, len(pins))
	for _, p := range pins {
		byID[p.AccountID] = p
	}
	as, err := s.people.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	var out []Person
	for _, a := range as {
		if p, ok := byID[a.ID]; ok && a.Role.Sells() {
			out = append(out, Person{Account: a, Locked: p.Locked})
		}
	}
	return out, nil
}

// Unlock checks accountID's PIN and unlocks the device for them. Wrong
// PINs count; the MaxPINFailures-th locks the PIN (ErrPINLocked) until the
// owner sets a new one. A locked PIN is refused without being checked;
// an account whose role does not sell has none (ErrNoPIN).
func (s *Service) Unlock(ctx context.Context, deviceID, accountID, pin string) (Device, accounts.Account, error) {
	a, err := s.people.Account(ctx, accountID)
	if errors.Is(err, accounts.ErrNotFound) || err == nil && !a.Role.Sells() {
		return Device{}, accounts.Account{}, ErrNoPIN
	}
	if err != nil {
		return Device{}, accounts.Account{}, err
	}
	p, err := s.store.PIN(ctx, accountID)
	if errors.Is(err, ErrNotFound) {
		return Device{}, accounts.Account{}, ErrNoPIN
	}
	if err != nil {
		return Device{}, accounts.Account{}, err
	}
	if p.Locked {
		return Device{}, accounts.Account{}, ErrPINLocked
	}
	ok := false
	if ValidPIN(pin) {
		if ok, err = s.hash.Verify(ctx, p.Hash, pin); err != nil {
			return Device{}, accounts.Account{}, err
		}
	}
	if !ok {
		p, err := s.store.UpdatePIN(ctx, accountID, func(p *PIN) error {
			if !p.Locked {
				p.Failures++
				p.Locked = p.Failures >= MaxPINFailures
			}
			return nil
		})
		if err != nil {
			return Device{}, accounts.Account{}, err
		}
		if p.Locked {
			return Device{}, accounts.Account{}, ErrPINLocked
		}
		return Device{}, accounts.Account{}, ErrBadPIN
	}
	if p.Failures != 0 {
		if _, err := s.store.UpdatePIN(ctx, accountID, func(p *PIN) error {
			if p.Locked {
				return ErrPINLocked // locked by a racing wrong PIN
			}
			p.Failures = 0
			return nil
		}); err != nil {
			return Device{}, accounts.Account{}, err
		}
	}
	now := s.now().UTC()
	d, err := s.store.UpdateDevice(ctx, deviceID, func(d *Device) error {
		if d.Revoked() {
			return ErrRevoked
		}
		d.CashierID, d.UnlockedAt, d.SeenAt = accountID, now, now
		return nil
	})
	return d, a, err
}

// Lock ends the cashier's turn on the device. It returns the account
// that was unlocked on it (its ID "" when none was).
func (s *Service) Lock(ctx context.Context, deviceID string) (accounts.Account, error) {
	var was string
	if _, err := s.store.UpdateDevice(ctx, deviceID, func(d *Device) error {
		was, d.CashierID, d.UnlockedAt = d.CashierID, "", time.Time{}
		return nil
	}); err != nil || was == "" {
		return accounts.Account{}, err
	}
	a, err := s.people.Account(ctx, was)
	if errors.Is(err, accounts.ErrNotFound) {
		return accounts.Account{ID: was}, nil
	}
	return a, err
}

// LockShutOut locks every device of st that accountID unlocked and may
// no longer use, their access having changed since the unlock or their
// account being removed (accounts.Account.StillUnlocks), and returns those
// devices as they were, unlocked. It is run by whatever changed the
// access, right after the change, so that each lock is recorded once, by
// the person who changed it; a device unlocked again since (by them after
// the change, or by someone else) is left as it is. It needs only the
// store and the accounts, as `hpp admin reset-password` builds no
// Service.
func LockShutOut(ctx context.Context, st Store, people People, accountID string) ([]Device, error) {
	if accountID == "" {
		return nil, nil
	}
	a, err := people.Account(ctx, accountID)
	gone := errors.Is(err, accounts.ErrNotFound)
	if err != nil && !gone {
		return nil, err
	}
	ds, err := st.Devices(ctx)
	if err != nil {
		return nil, err
	}
	var out []Device
	for _, d := range ds {
		if d.CashierID != accountID || d.Revoked() || !gone && a.StillUnlocks(d.UnlockedAt) {
			continue
		}
		_, err := st.UpdateDevice(ctx, d.ID, func(x *Device) error {
			if x.CashierID != d.CashierID || !x.UnlockedAt.Equal(d.UnlockedAt) {
				return errUnlockedSince
			}
			x.CashierID, x.UnlockedAt = "", time.Time{}
			return nil
		})
		if errors.Is(err, errUnlockedSince) {
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Why LockShutOut locked a device: what changed the cashier's access,
// as the audit entry of the lock records it (LockedDetail).
const (
	LockedRemoved         = "account removed"
	LockedAccessReset     = "access reset"
	LockedRoleChanged     = "role changed"
	LockedPasswordChanged = "password changed"
	LockedSignedOut       = "signed out everywhere"
	LockedPasswordReset   = "password reset"
)

// LockedDetail is what the audit entry of a device LockShutOut locked
// says: the device, whose turn on it ended and why (a Locked* reason),
// e.g. "Front till, unlocked by mei@shop.example: access reset".
func LockedDetail(d Device, cashier, why string) string {
	return d.Name + ", unlocked by " + cashier + ": " + why
}

// errUnlockedSince stops LockShutOut's write of a device locked or
// unlocked again since it was listed.
var errUnlockedSince = errors.New("counter: unlocked again since")

// LockShutOut is the package's LockShutOut on the service's store and
// accounts.
func (s *Service) LockShutOut(ctx context.Context, accountID string) ([]Device, error) {
	return LockShutOut(ctx, s.store, s.people, accountID)
}

// LockAll ends every cashier's turn on every device of st and returns
// how many devices it locked (`hpp admin end-sessions`, after a restore;
// it needs only the store, so the command builds no Service): each
// cashier enters their PIN again. The devices stay paired.
func LockAll(ctx context.Context, st Store) (int, error) {
	ds, err := st.Devices(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range ds {
		if d.CashierID == "" {
			continue
		}
		if _, err := st.UpdateDevice(ctx, d.ID, func(d *Device) error {
			d.CashierID, d.UnlockedAt = "", time.Time{}
			return nil
		}); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// Cashier returns the account unlocked on d, or ErrLocked (also when it
// no longer may use d, as Authenticate).
func (s *Service) Cashier(ctx context.Context, d Device) (accounts.Account, error) {
	if d.CashierID == "" {
		return accounts.Account{}, ErrLocked
	}
	a, err := s.people.Account(ctx, d.CashierID)
	if errors.Is(err, accounts.ErrNotFound) || (err == nil && !a.StillUnlocks(d.UnlockedAt)) {
		return accounts.Account{}, ErrLocked
	}
	return a, err
}
