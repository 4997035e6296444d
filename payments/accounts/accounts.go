package accounts

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
)

// Errors of the accounts domain. Handlers map them to messages.
var (
	ErrNotFound      = errors.New("accounts: not found")
	ErrEmailTaken    = errors.New("accounts: an account with this email exists")
	ErrBadCredential = errors.New("accounts: wrong email or password")
	ErrLocked        = errors.New("accounts: account locked after too many failed sign-ins")
	ErrTokenExpired  = errors.New("accounts: setup link expired")
	ErrOwnerExists   = errors.New("accounts: an owner already exists")
	ErrSessionEnded  = errors.New("accounts: session ended")
	ErrBusy          = errors.New("accounts: too many sign-ins at once")
	ErrInvalid       = errors.New("accounts: invalid input")
	// ErrCodeRequired: the password was right and the account has
	// two-step sign-in on; a code from the app (or a recovery code) is next.
	ErrCodeRequired = errors.New("accounts: a two-step code is required")
	ErrBadCode      = errors.New("accounts: wrong two-step code")
	// ErrCodeUsed: the code was right but already used (codes work once).
	ErrCodeUsed  = errors.New("accounts: two-step code already used")
	ErrTOTPOn    = errors.New("accounts: two-step sign-in is already on")
	ErrTOTPOff   = errors.New("accounts: two-step sign-in is off")
	ErrLastOwner = errors.New("accounts: the shop's last owner cannot be removed or given another role")
	ErrNotYours  = errors.New("accounts: not this account's to change")
)

// Role is what an account may do. Owners do everything; cashiers take
// payments at the counter and see their own sales, but never refund,
// export or change settings; bookkeepers read the books (payments,
// reports, exports, refunds, the audit log) and change nothing: no
// refund, cancel, settings, people, webhooks, links, tills or counter.
type Role string

// The roles.
const (
	Owner      Role = "owner"
	Cashier    Role = "cashier"
	Bookkeeper Role = "bookkeeper"
)

// Roles are the roles in the order the back office offers them.
var Roles = []Role{Cashier, Bookkeeper, Owner}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == Owner || r == Cashier || r == Bookkeeper }

// Sells reports whether r may unlock a counter device with a PIN and
// take payments there: owners and cashiers, never a bookkeeper.
func (r Role) Sells() bool { return r == Owner || r == Cashier }

// ReadsBooks reports whether r sees the payments, their detail, the
// reports, the exports and the audit log: owners and bookkeepers.
func (r Role) ReadsBooks() bool { return r == Owner || r == Bookkeeper }

// Account is one person who signs in to the back office.
type Account struct {
	ID           string // "acc_" + 26 base32 characters
	Email        string // lower case, unique
	Name         string
	Role         Role
	PasswordHash string // argon2id in PHC form; never the password
	// TOTPSecret is the sealed TOTP key; "" when two-step sign-in is off.
	TOTPSecret   string
	TOTPLastStep int64 // the last 30 s step whose code was accepted
	// TOTPPending is the sealed key being enrolled, until a code from it
	// confirms it and it becomes TOTPSecret; "" otherwise.
	TOTPPending string
	Recovery    []string // SHA-256 of unused recovery codes
	// FailedSignIns counts failures since the last success; at
	// MaxFailures the account is locked until LockedUntil.
	FailedSignIns int
	LockedUntil   time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// AccessChangedAt is when the account's way in last changed: its
	// sessions ended everywhere, its password or role changed, its access
	// was reset (zero if never). What the person opened before then no
	// longer holds: a counter device they unlocked is locked
	// (StillUnlocks), a sign-in waiting for its two-step code is refused.
	AccessChangedAt time.Time
	// DevicesVoidedAt is when the person's sign-ins were last ended or
	// their password changed (zero if never): a trusted device issued
	// before then counts for nothing. A new role changes their access but
	// keeps their sessions, so it keeps their devices too.
	DevicesVoidedAt time.Time
}

// StillUnlocks reports whether a counter device the account unlocked at
// unlockedAt still works for it: not when its access changed since.
func (a Account) StillUnlocks(unlockedAt time.Time) bool {
	return a.Role.Sells() && !unlockedAt.Before(a.AccessChangedAt)
}

// Removed is what is kept of a removed account: who it was, never a
// way in (no password, no session; its email can be invited again).
type Removed struct {
	ID        string
	Email     string
	Name      string
	Role      Role
	RemovedAt time.Time
}

// Session is a signed-in browser. Its id is only ever in the browser's
// cookie; the store keeps IDHash.
type Session struct {
	IDHash    string // hex SHA-256 of the session id
	AccountID string
	Address   string // client address at sign-in
	Device    string // User-Agent at sign-in, trimmed
	CreatedAt time.Time
	SeenAt    time.Time // last request
	// ReauthAt is when the password was last confirmed in this session
	// (sign-in counts); refunds need it within ReauthWindow.
	ReauthAt time.Time
}

// TrustedDevice is a browser that has signed in to an account (device.go): its
// device cookie's token is only ever in the browser; the store keeps
// Hash. Wrong passwords and codes sent with it count here rather than
// against the account, so a stranger's failures elsewhere never lock it.
type TrustedDevice struct {
	Hash      string // hex SHA-256 of the cookie's token
	AccountID string
	CreatedAt time.Time // issued; before the account's DevicesVoidedAt it counts for nothing
	SeenAt    time.Time // its last sign-in; DeviceTTL after it, it counts for nothing
	// FailedSignIns counts its failures since its last success; at
	// MaxFailures it is locked until LockedUntil (it alone).
	FailedSignIns int
	LockedUntil   time.Time
}

// SetupToken is the first run's one-time link, kept as its hash.
type SetupToken struct {
	Hash      string // hex SHA-256 of the token
	ExpiresAt time.Time
}

// Invited reports whether the account has no password yet: its
// invitation (or a reset of its access) is waiting to be used.
func (a Account) Invited() bool { return a.PasswordHash == "" }

// TOTPOn reports whether the account signs in with a second step.
func (a Account) TOTPOn() bool { return a.TOTPSecret != "" }

// Purpose is what an account's one-time link is for.
type Purpose string

// The purposes of account links.
const (
	// PurposeInvite lets a person choose a password: an invitation, or a
	// reset of their access.
	PurposeInvite Purpose = "invite"
	// PurposeSignIn is the second step of a sign-in: the password was
	// right, the code is next.
	PurposeSignIn Purpose = "signin"
)

// AccountToken is a one-time link of one account, kept as its hash.
type AccountToken struct {
	Hash      string // hex SHA-256 of the token
	AccountID string
	Purpose   Purpose
	ExpiresAt time.Time
}

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	Seq       int64 // assigned by the store, increasing
	At        time.Time
	AccountID string // "" for the system or an unknown person
	Email     string // who, as known at the time
	Address   string
	Device    string
	Action    string // e.g. "signin", "signin.failed", "refund", "account.create"
	Target    string // what it was done on, e.g. a payment or account id
	Before    string // JSON or text of the state before, where it applies
	After     string
}

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	Target    string // "" for all
	Action    string // "" for all
	AccountID string // who did it; "" for all
	Before    int64  // only Seq < Before; 0 for the newest
	Limit     int    // > 0
}

// Store keeps accounts, sessions, setup tokens and the audit log. Each
// method is one transaction. payments/sqlite and payments/postgres
// implement it and pass accountstest.Run.
type Store interface {
	// CreateAccount inserts a; ErrEmailTaken if the email is in use.
	CreateAccount(ctx context.Context, a Account) error
	// Account and AccountByEmail return one account or ErrNotFound.
	Account(ctx context.Context, id string) (Account, error)
	AccountByEmail(ctx context.Context, email string) (Account, error)
	// Accounts lists every account, oldest first.
	Accounts(ctx context.Context) ([]Account, error)
	// UpdateAccount locks the account, lets fn change it and writes it
	// when fn returns nil. It returns the account as written, or fn's
	// error with nothing written.
	UpdateAccount(ctx context.Context, id string, fn func(a *Account) error) (Account, error)
	// DeleteAccount removes an account and its sessions.
	DeleteAccount(ctx context.Context, id string) error
	// RemoveKeepingOwner removes an account and its sessions unless it is
	// the only owner (ErrLastOwner). The check and the removal are one
	// transaction holding the owners locked, so two owners removing each
	// other at once leave one. The same transaction keeps the account's
	// name, email and role as a Removed record stamped at.
	RemoveKeepingOwner(ctx context.Context, id string, at time.Time) (Account, error)
	// RemovedAccount returns what is kept of a removed account, so what
	// it did (a cashier's sales) still names it; ErrNotFound if no
	// account of that id was removed.
	RemovedAccount(ctx context.Context, id string) (Removed, error)
	// SetRoleKeepingOwner sets an account's role (and UpdatedAt to at, and
	// AccessChangedAt too when the role is another) under the same rule
	// and lock, and returns the account as it was.
	SetRoleKeepingOwner(ctx context.Context, id string, role Role, at time.Time) (Account, error)

	// AddSetupToken stores t beside the setup tokens already there and
	// deletes those expired at now: each instance on the database, and
	// each start, prints its own link, and every one stays good until it
	// expires or an owner is created.
	AddSetupToken(ctx context.Context, t SetupToken, now time.Time) error
	// SetupToken returns the setup token with that hash or ErrNotFound.
	SetupToken(ctx context.Context, hash string) (SetupToken, error)
	// CreateFirstOwner spends the setup token with that hash on the owner
	// a: one transaction deletes every setup token and inserts a. It
	// changes nothing and returns ErrOwnerExists when an owner exists,
	// else ErrNotFound when the token is not there, ErrTokenExpired when
	// it expired at now, ErrEmailTaken when a's email is in use. Of calls
	// at once, with one token or several, at most one succeeds.
	CreateFirstOwner(ctx context.Context, hash string, now time.Time, a Account) error

	// CreateSession inserts s.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with that hash or ErrNotFound.
	Session(ctx context.Context, idHash string) (Session, error)
	// TouchSession sets SeenAt (and ReauthAt when not zero).
	TouchSession(ctx context.Context, idHash string, seen, reauth time.Time) error
	// DeleteSession removes one session; a missing one is no error.
	DeleteSession(ctx context.Context, idHash string) error
	// Sessions lists an account's sessions ("" for all), newest first.
	Sessions(ctx context.Context, accountID string) ([]Session, error)
	// DeleteSessions removes every session of an account.
	DeleteSessions(ctx context.Context, accountID string) error

	// PutAccountToken stores t, replacing the account's earlier token of
	// the same purpose.
	PutAccountToken(ctx context.Context, t AccountToken) error
	// AccountToken returns the token with that hash or ErrNotFound.
	AccountToken(ctx context.Context, hash string) (AccountToken, error)
	// TakeAccountToken deletes the token with that hash and returns it: a
	// token can be taken once. ErrNotFound if there is none.
	TakeAccountToken(ctx context.Context, hash string) (AccountToken, error)
	// DeleteAccountTokens removes the tokens of purpose p of an account
	// ("" for every account), expired or not, and returns how many it
	// removed.
	DeleteAccountTokens(ctx context.Context, accountID string, p Purpose) (int, error)

	// CreateTrustedDevice inserts d, then removes the account's devices beyond
	// the keep most recently seen (d among them).
	CreateTrustedDevice(ctx context.Context, d TrustedDevice, keep int) error
	// TrustedDevice returns the device with that hash or ErrNotFound.
	TrustedDevice(ctx context.Context, hash string) (TrustedDevice, error)
	// UpdateTrustedDevice locks the device, lets fn change it and writes it when
	// fn returns nil, as UpdateAccount does; ErrNotFound if there is none.
	UpdateTrustedDevice(ctx context.Context, hash string, fn func(d *TrustedDevice) error) (TrustedDevice, error)
	// DeleteTrustedDevices removes every device of an account ("" for every
	// account) and returns how many it removed. Removing the account
	// removes its devices too.
	DeleteTrustedDevices(ctx context.Context, accountID string) (int, error)

	// AppendAudit appends e and returns it with its Seq. Entries are never
	// changed or deleted.
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// Audit lists entries matching f, newest first.
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// NormalizeEmail trims and lower-cases an address and checks its form.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", ErrInvalid
	}
	return s, nil
}
