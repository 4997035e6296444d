package counter

import (
	"context"
	"errors"
	"time"
)

// Errors of the counter domain. Handlers map them to messages.
var (
	ErrNotFound     = errors.New("counter: not found")
	ErrPairingCode  = errors.New("counter: pairing code wrong, used or expired")
	ErrRevoked      = errors.New("counter: device revoked")
	ErrUnknown      = errors.New("counter: device not paired")
	ErrLocked       = errors.New("counter: device locked")
	ErrBadPIN       = errors.New("counter: wrong PIN")
	ErrPINLocked    = errors.New("counter: PIN locked after too many wrong tries")
	ErrNoPIN        = errors.New("counter: no PIN set for this person")
	ErrInvalid      = errors.New("counter: invalid input")
	ErrKeyConflict  = errors.New("counter: idempotency key already used for another sale")
	ErrDuplicateKey = errors.New("counter: a sale with this key exists") // store level
	ErrAmountZero   = errors.New("counter: the amount is zero")
	ErrAmountLimit  = errors.New("counter: the amount is above the counter's limit")
	ErrPayCode      = errors.New("counter: not a WeChat Pay or Alipay pay code")
	ErrNoteTooLong  = errors.New("counter: the note is longer than 100 characters")
)

// Device is a paired tablet or phone at the counter.
type Device struct {
	ID        string // "dev_" + 26 base32 characters
	Name      string // what the owner called it, e.g. "Front till"
	TokenHash string // hex SHA-256 of the device credential; never the credential
	CreatedAt time.Time
	SeenAt    time.Time // last request, to the minute
	RevokedAt time.Time // zero while it may be used
	// CashierID is the account unlocked on the device since UnlockedAt;
	// "" when locked.
	CashierID  string
	UnlockedAt time.Time
	// ResultSeconds is how long the result stays on screen before the
	// keypad returns (set by the owner).
	ResultSeconds int
}

// Revoked reports whether the owner has revoked the device.
func (d Device) Revoked() bool { return !d.RevokedAt.IsZero() }

// Pairing is a pending pairing code, kept as its hash.
type Pairing struct {
	Hash      string // hex SHA-256 of the code
	Name      string // the name the new device gets
	ExpiresAt time.Time
}

// PIN is a cashier's counter PIN.
type PIN struct {
	AccountID string
	Hash      string // argon2id in PHC form
	Failures  int    // wrong PINs in a row
	Locked    bool   // MaxPINFailures reached: the owner must set a new PIN
	UpdatedAt time.Time
}

// Sale ties a counter payment to the device and the cashier who made it.
type Sale struct {
	PaymentID string
	DeviceID  string
	AccountID string // the cashier unlocked at the time
	Key       string // the device's idempotency key for it
	CreatedAt time.Time
}

// Store keeps devices, pairing codes, PINs and sales. Each method is one
// transaction. payments/sqlite and payments/postgres implement it and
// pass countertest.Run.
type Store interface {
	// PutPairing stores a pairing code (codes live side by side).
	PutPairing(ctx context.Context, p Pairing) error
	// TakePairing deletes the code with that hash and returns it: a code
	// is taken once. ErrNotFound if there is none.
	TakePairing(ctx context.Context, hash string) (Pairing, error)

	// CreateDevice inserts d.
	CreateDevice(ctx context.Context, d Device) error
	// Device and DeviceByToken return one device or ErrNotFound.
	Device(ctx context.Context, id string) (Device, error)
	DeviceByToken(ctx context.Context, tokenHash string) (Device, error)
	// Devices lists every device, oldest first.
	Devices(ctx context.Context) ([]Device, error)
	// UpdateDevice locks the device, lets fn change it and writes it when
	// fn returns nil; it returns the device as written.
	UpdateDevice(ctx context.Context, id string, fn func(d *Device) error) (Device, error)

	// PIN returns an account's PIN or ErrNotFound.
	PIN(ctx context.Context, accountID string) (PIN, error)
	// PINs lists every PIN (the unlock screen lists who has one).
	PINs(ctx context.Context) ([]PIN, error)
	// PutPIN inserts or replaces an account's PIN.
	PutPIN(ctx context.Context, p PIN) error
	// UpdatePIN is UpdateDevice for a PIN.
	UpdatePIN(ctx context.Context, accountID string, fn func(p *PIN) error) (PIN, error)

	// AddSale inserts s. A sale with the same device and key exists:
	// ErrDuplicateKey, with that sale returned. The device is revoked:
	// ErrRevoked, nothing inserted; it reads the device in the same
	// transaction as the insert, serialized with UpdateDevice, so a
	// revoke committed first refuses the sale and one committed after
	// finds it (Service.Revoke lists the sales once its revoke commits).
	AddSale(ctx context.Context, s Sale) (Sale, error)
	// SaleByKey returns a device's sale with that key, or ErrNotFound.
	SaleByKey(ctx context.Context, deviceID, key string) (Sale, error)
	// Sale returns the sale of a payment, or ErrNotFound.
	Sale(ctx context.Context, paymentID string) (Sale, error)
	// Sales lists a device's sales made at or after since, newest first,
	// at most limit.
	Sales(ctx context.Context, deviceID string, since time.Time, limit int) ([]Sale, error)
}
