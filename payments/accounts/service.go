package accounts

import (
	"context"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The rules of signing in.
const (
	MaxFailures   = 5                // failed sign-ins in a row that lock an account
	LockFor       = 5 * time.Minute  // how long a locked account stays locked
	SetupTokenTTL = 24 * time.Hour   // the first run's setup link
	ReauthWindow  = 10 * time.Minute // refunds need the password confirmed this recently
)

// A session's limits (IdleTimeout, AbsoluteTimeout, WarnBefore and
// touchEvery) are in limits.go.

// Actor is who does something, for the audit log.
type Actor struct {
	AccountID, Email, Address, Device string
	// DeviceTokens are the tokens of the browser's device cookie
	// (device.go), never recorded: a sign-in or code sent with one of
	// a trusted device of the account counts against that device.
	DeviceTokens []string
}

// StartUpEmail is the audit log's Email for what the app itself does at
// start-up (the owner made from HPP_ADMIN_EMAIL, the setup link): no one
// signed in did it. Pages name it in their own language.
const StartUpEmail = "(start-up)"

// APIEmail is the audit log's Email for what the merchant's system does
// through the API with the shop's API key (a refund asked for there): no
// person signed in did it. Pages name it in their own language.
const APIEmail = "(api)"

// Service holds the rules of accounts over a Store.
type Service struct {
	store Store
	hash  *Hasher
	now   func() time.Time
	rand  io.Reader
	// aead seals two-step keys (SetSealKey); nil refuses enrolment.
	aead cipher.AEAD
	// unknown counts the failed sign-ins of emails without an account.
	unknown unknownEmails
}

// NewService returns the accounts service.
func NewService(st Store, h *Hasher, now func() time.Time, rnd io.Reader) (*Service, error) {
	if st == nil || h == nil || now == nil || rnd == nil {
		return nil, errors.New("accounts: NewService: missing dependency")
	}
	return &Service{store: st, hash: h, now: now, rand: rnd}, nil
}

// Store returns the service's store (for listing pages).
func (s *Service) Store() Store { return s.store }

func (s *Service) random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return nil, fmt.Errorf("accounts: random: %w", err)
	}
	return b, nil
}

// digest is the hex SHA-256 under which tokens and session ids are kept.
func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func (s *Service) newID() (string, error) {
	b, err := s.random(16)
	if err != nil {
		return "", err
	}
	return "acc_" + idEncoding.EncodeToString(b)[:26], nil
}

// HasOwner reports whether any owner account exists.
func (s *Service) HasOwner(ctx context.Context) (bool, error) {
	as, err := s.store.Accounts(ctx)
	if err != nil {
		return false, err
	}
	for _, a := range as {
		if a.Role == Owner {
			return true, nil
		}
	}
	return false, nil
}

// NewSetupToken makes a first run's one-time token (128 random bits),
// valid SetupTokenTTL. Earlier ones stay good (another instance, or an
// earlier start, printed them): creating the owner voids them all. Only
// its hash is stored.
func (s *Service) NewSetupToken(ctx context.Context) (string, error) {
	if ok, err := s.HasOwner(ctx); err != nil {
		return "", err
	} else if ok {
		return "", ErrOwnerExists
	}
	b, err := s.random(16)
	if err != nil {
		return "", err
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	if err := s.store.AddSetupToken(ctx, SetupToken{Hash: digest(tok), ExpiresAt: now.Add(SetupTokenTTL)}, now); err != nil {
		return "", err
	}
	return tok, nil
}

// CheckSetup reports whether token would create the first owner now:
// ErrOwnerExists once there is one (every link is then void), else
// ErrNotFound for a token never issued or already voided, ErrTokenExpired
// for one too old. The setup page asks before showing its form.
func (s *Service) CheckSetup(ctx context.Context, token string) error {
	if ok, err := s.HasOwner(ctx); err != nil {
		return err
	} else if ok {
		return ErrOwnerExists
	}
	if token == "" {
		return ErrNotFound
	}
	t, err := s.store.SetupToken(ctx, digest(token))
	if err != nil {
		return err
	}
	if !s.now().Before(t.ExpiresAt) {
		return ErrTokenExpired
	}
	return nil
}

// CompleteSetup spends the setup token on the first owner, voiding every
// other setup link. The input is checked before the token is spent, so a
// typo does not burn the link, and the token before the password is
// hashed; the store checks it again with the owner's creation, so of two
// setups at once (two links, two instances) one makes the owner.
func (s *Service) CompleteSetup(ctx context.Context, token, email, name, password string, who Actor) (Account, error) {
	email, err := s.checkNew(email, password)
	if err != nil {
		return Account{}, err
	}
	if err := s.CheckSetup(ctx, token); err != nil {
		return Account{}, err
	}
	a, err := s.newAccount(ctx, email, name, password, Owner)
	if err != nil {
		return Account{}, err
	}
	if err := s.store.CreateFirstOwner(ctx, digest(token), s.now(), a); err != nil {
		return Account{}, err
	}
	who.AccountID, who.Email = a.ID, a.Email
	return a, s.Record(ctx, who, "setup", a.ID, "", string(a.Role))
}

// CreateAccount adds an account; who is recorded in the audit log.
func (s *Service) CreateAccount(ctx context.Context, email, name, password string, role Role, who Actor) (Account, error) {
	email, err := s.checkNew(email, password)
	if err != nil {
		return Account{}, err
	}
	if !role.Valid() {
		return Account{}, ErrInvalid
	}
	a, err := s.create(ctx, email, name, password, role)
	if err != nil {
		return Account{}, err
	}
	return a, s.Record(ctx, who, "account.create", a.ID, "", a.Email+" "+string(a.Role))
}

// EnsureOwner creates an owner with email and password unless an account
// with that email exists (HPP_ADMIN_EMAIL at start-up, the sandbox's demo
// owner). It reports whether it created one.
func (s *Service) EnsureOwner(ctx context.Context, email, password string, who Actor) (bool, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return false, fmt.Errorf("accounts: owner email %q: %w", email, ErrInvalid)
	}
	if _, err := s.store.AccountByEmail(ctx, e); err == nil {
		return false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	_, err = s.CreateAccount(ctx, e, "", password, Owner, who)
	return err == nil, err
}

func (s *Service) checkNew(email, password string) (string, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return "", &InputError{Field: "email"}
	}
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	return e, nil
}

// InputError names the field that is wrong, and for a password which
// rule it breaks (CheckPassword). It matches ErrInvalid.
type InputError struct{ Field, Why string }

func (e *InputError) Error() string {
	if w := passwordWords(e.Why); w != "" {
		return "accounts: invalid " + e.Field + ": " + w
	}
	return "accounts: invalid " + e.Field
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InputError) Is(target error) bool { return target == ErrInvalid }

func (s *Service) create(ctx context.Context, email, name, password string, role Role) (Account, error) {
	a, err := s.newAccount(ctx, email, name, password, role)
	if err != nil {
		return Account{}, err
	}
	if err := s.store.CreateAccount(ctx, a); err != nil {
		return Account{}, err
	}
	return a, nil
}

// newAccount is a new account with its password hashed, not yet stored.
func (s *Service) newAccount(ctx context.Context, email, name, password string, role Role) (Account, error) {
	id, err := s.newID()
	if err != nil {
		return Account{}, err
	}
	h, err := s.hash.Hash(ctx, password)
	if err != nil {
		return Account{}, err
	}
	now := s.now().UTC()
	return Account{ID: id, Email: email, Name: name, Role: role, PasswordHash: h, CreatedAt: now, UpdatedAt: now}, nil
}

// ResetPassword gives the account with that email a new random password,
// unlocks it, turns two-step sign-in off and ends its sessions and
// sign-ins waiting for a code, and what it unlocked at the counter (`hpp
// admin reset-password`, for an owner locked out or without their phone).
func (s *Service) ResetPassword(ctx context.Context, email string, who Actor) (string, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return "", ErrInvalid
	}
	a, err := s.store.AccountByEmail(ctx, e)
	if err != nil {
		return "", err
	}
	b, err := s.random(15)
	if err != nil {
		return "", err
	}
	pw := base64.RawURLEncoding.EncodeToString(b) // 20 characters, 120 bits
	h, err := s.hash.Hash(ctx, pw)
	if err != nil {
		return "", err
	}
	if _, err := s.store.UpdateAccount(ctx, a.ID, func(a *Account) error {
		a.PasswordHash, a.FailedSignIns, a.LockedUntil, a.UpdatedAt = h, 0, time.Time{}, s.now().UTC()
		a.AccessChangedAt, a.DevicesVoidedAt = a.UpdatedAt, a.UpdatedAt
		// Whoever runs the command on the server is trusted with the
		// account: a lost phone must not keep them out.
		a.TOTPSecret, a.TOTPPending, a.Recovery = "", "", nil
		return nil
	}); err != nil {
		return "", err
	}
	if _, err := s.endAccess(ctx, a.ID); err != nil {
		return "", err
	}
	return pw, s.Record(ctx, who, "account.reset_password", a.ID, accessState(a), "password, two-step off")
}

// SignIn checks email and password and opens a session. It returns the
// session id for the browser's cookie (never stored). When the account
// has two-step sign-in on, no session is opened yet: it returns
// ErrCodeRequired with a challenge in place of the session id, which
// SignInCode takes with the code within SignInCodeTTL. Five failures in a
// row lock the account for LockFor. An unknown email is answered
// exactly as a known one with a wrong password: it costs the same
// argon2id hash, and its failures are counted and lock it the same way
// (unknown.go), so the answers never tell whether an email has an
// account.
func (s *Service) SignIn(ctx context.Context, email, password string, who Actor) (Account, string, error) {
	ps, err := s.presentedDevices(ctx, who.DeviceTokens)
	if err != nil {
		return Account{}, "", err
	}
	e, _ := NormalizeEmail(email)
	who.Email = e
	a, err := s.store.AccountByEmail(ctx, e)
	if errors.Is(err, ErrNotFound) || e == "" {
		key, now := unknownKey(email, e), s.now()
		if s.unknown.locked(key, now) {
			return Account{}, "", s.fail(ctx, who, "locked", ErrLocked)
		}
		if _, err := s.hash.Verify(ctx, "", password); err != nil {
			return Account{}, "", err
		}
		if s.unknown.fail(key, now) {
			return Account{}, "", s.fail(ctx, who, "locked now", ErrLocked)
		}
		return Account{}, "", s.fail(ctx, who, "", ErrBadCredential)
	}
	if err != nil {
		return Account{}, "", err
	}
	who.AccountID = a.ID
	now := s.now()
	var d *TrustedDevice
	if p := trusted(a, ps, now); p != nil {
		d = &p.d
	}
	if lockedOut(a, d, now) {
		return Account{}, "", s.failOn(ctx, who, "locked", d, ErrLocked)
	}
	ok, err := s.hash.Verify(ctx, a.PasswordHash, password)
	if err != nil {
		return Account{}, "", err
	}
	if !ok {
		locked, err := s.countFailure(ctx, a.ID, d)
		if err != nil {
			return Account{}, "", err
		}
		if locked {
			return Account{}, "", s.failOn(ctx, who, "locked now", d, ErrLocked)
		}
		return Account{}, "", s.failOn(ctx, who, "", d, ErrBadCredential)
	}
	if a.TOTPOn() {
		// The failure count is reset only when the code is right too, so
		// that a known password does not buy unlimited guesses at codes.
		challenge, err := s.newLink(ctx, a.ID, PurposeSignIn, SignInCodeTTL)
		if err != nil {
			return Account{}, "", err
		}
		return a, challenge, ErrCodeRequired
	}
	if d != nil {
		// The account's own count is the untrusted browsers': a sign-in
		// here neither clears nor lifts it.
		if err := s.deviceSignedIn(ctx, d); err != nil {
			return Account{}, "", err
		}
	} else if a.FailedSignIns != 0 || !a.LockedUntil.IsZero() {
		if a, err = s.store.UpdateAccount(ctx, a.ID, func(a *Account) error {
			a.FailedSignIns, a.LockedUntil = 0, time.Time{}
			return nil
		}); err != nil {
			return Account{}, "", err
		}
	}
	id, err := s.openSession(ctx, a, who)
	if err != nil {
		return Account{}, "", err
	}
	return a, id, s.Record(ctx, who, "signin", a.ID, "", "")
}

func (s *Service) fail(ctx context.Context, who Actor, why string, out error) error {
	if err := s.Record(ctx, who, "signin.failed", who.AccountID, "", why); err != nil {
		return err
	}
	return out
}

// openSession makes a new session id (256 random bits): a new one at
// every sign-in, so an id planted before sign-in is worth nothing.
func (s *Service) openSession(ctx context.Context, a Account, who Actor) (string, error) {
	b, err := s.random(32)
	if err != nil {
		return "", err
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	now := s.now().UTC()
	dev := who.Device
	if len(dev) > 200 {
		dev = dev[:200]
	}
	return id, s.store.CreateSession(ctx, Session{IDHash: digest(id), AccountID: a.ID, Address: who.Address,
		Device: dev, CreatedAt: now, SeenAt: now, ReauthAt: now})
}

// Authenticate returns the session and account of a session id, and
// notes the use. A session idle for IdleTimeout, older than
// AbsoluteTimeout, revoked, or of a removed account is ErrSessionEnded.
func (s *Service) Authenticate(ctx context.Context, sessionID string) (Session, Account, error) {
	return s.authenticate(ctx, sessionID, true)
}

// AuthenticateQuietly is Authenticate for a request the person did not
// make (a page fetching itself again because a payment changed): the
// same checks, but the session's idle clock does not move, so a page
// left open on a busy shop's list still ends IdleTimeout after its
// person's last request.
func (s *Service) AuthenticateQuietly(ctx context.Context, sessionID string) (Session, Account, error) {
	return s.authenticate(ctx, sessionID, false)
}

func (s *Service) authenticate(ctx context.Context, sessionID string, touch bool) (Session, Account, error) {
	if sessionID == "" {
		return Session{}, Account{}, ErrSessionEnded
	}
	h := digest(sessionID)
	sess, err := s.store.Session(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return Session{}, Account{}, ErrSessionEnded
	}
	if err != nil {
		return Session{}, Account{}, err
	}
	now := s.now()
	if now.Sub(sess.SeenAt) >= IdleTimeout || now.Sub(sess.CreatedAt) >= AbsoluteTimeout {
		_ = s.store.DeleteSession(ctx, h)
		return Session{}, Account{}, ErrSessionEnded
	}
	a, err := s.store.Account(ctx, sess.AccountID)
	if errors.Is(err, ErrNotFound) {
		_ = s.store.DeleteSession(ctx, h)
		return Session{}, Account{}, ErrSessionEnded
	}
	if err != nil {
		return Session{}, Account{}, err
	}
	if touch && now.Sub(sess.SeenAt) >= touchEvery {
		sess.SeenAt = now.UTC()
		if err := s.store.TouchSession(ctx, h, sess.SeenAt, time.Time{}); err != nil {
			return Session{}, Account{}, err
		}
	}
	return sess, a, nil
}

// Left is how long sess has before it ends: idle, unless a request of its
// person comes first (IdleTimeout after SeenAt, as Authenticate counts),
// and absolute, however it is used (AbsoluteTimeout after CreatedAt),
// neither below zero. A back-office page warns WarnBefore the sooner of
// the two; only the idle one can be pushed back.
func (s *Service) Left(sess Session) (idle, absolute time.Duration) {
	now := s.now()
	return max(0, sess.SeenAt.Add(IdleTimeout).Sub(now)), max(0, sess.CreatedAt.Add(AbsoluteTimeout).Sub(now))
}

// SignOut ends the session with that id, recorded as its account's (the
// sign-out form is open to anyone, so who may name no one). A session
// already ended is no error and records nothing.
func (s *Service) SignOut(ctx context.Context, sessionID string, who Actor) error {
	h := digest(sessionID)
	sess, err := s.store.Session(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.store.DeleteSession(ctx, h); err != nil {
		return err
	}
	who.AccountID, who.Email = sess.AccountID, ""
	if a, err := s.store.Account(ctx, sess.AccountID); err == nil {
		who.Email = a.Email
	}
	return s.Record(ctx, who, "signout", who.AccountID, "", "")
}

// EndAllSessions ends every back-office session of every account, and
// every sign-in half done (the password accepted, the two-step code not
// yet given: its challenge would open a session after this), and returns
// how many of each it ended: `hpp admin end-sessions`, after a backup is
// restored, since the backup brings back the sessions it held, among
// them those of people removed or signed out since, or after a suspected
// break-in. Everyone signs in again. Invitations and resets of access
// are not sessions and stay: the back office lists their accounts as
// invited, and removing the account or making it a new link voids one.
func (s *Service) EndAllSessions(ctx context.Context) (sessions, signIns int, err error) {
	// The challenges first: one taken after its session list was read
	// would open a session that outlives the command.
	signIns, err = s.store.DeleteAccountTokens(ctx, "", PurposeSignIn)
	if err != nil {
		return 0, 0, err
	}
	ss, err := s.store.Sessions(ctx, "")
	if err != nil {
		return 0, 0, err
	}
	for _, x := range ss {
		if err := s.store.DeleteSession(ctx, x.IDHash); err != nil {
			return 0, 0, err
		}
	}
	return len(ss), signIns, nil
}

// VoidAllDevices drops every account's trusted devices and returns how
// many: every browser's device cookie then counts for nothing, and its
// wrong passwords count against the account again, as a stranger's do
// (`hpp admin end-sessions` and `hpp restore`, after a suspected
// break-in or a restore that brought back cookies voided since). People
// sign in as usual; their browser is trusted again once they have.
func (s *Service) VoidAllDevices(ctx context.Context) (int, error) {
	return s.store.DeleteTrustedDevices(ctx, "")
}

// endAccess ends what an account opened before its access changed (the
// caller has just set AccessChangedAt): its sign-ins waiting for a
// two-step code first, as in EndAllSessions, then every session, and
// its trusted devices (which DevicesVoidedAt already voids) are
// dropped. It returns how many sessions it ended. A counter device the person
// unlocked reads AccessChangedAt itself (Account.StillUnlocks).
func (s *Service) endAccess(ctx context.Context, accountID string) (int, error) {
	if _, err := s.store.DeleteAccountTokens(ctx, accountID, PurposeSignIn); err != nil {
		return 0, err
	}
	ss, err := s.store.Sessions(ctx, accountID)
	if err != nil {
		return 0, err
	}
	if err := s.store.DeleteSessions(ctx, accountID); err != nil {
		return 0, err
	}
	if _, err := s.store.DeleteTrustedDevices(ctx, accountID); err != nil {
		return 0, err
	}
	return len(ss), nil
}

// Revoke ends another session by its hash (the sessions page).
func (s *Service) Revoke(ctx context.Context, idHash string, who Actor) error {
	if err := s.store.DeleteSession(ctx, idHash); err != nil {
		return err
	}
	return s.Record(ctx, who, "session.revoke", idHash[:min(12, len(idHash))], "", "")
}

// Reauthenticate confirms the password of the session's account again
// (and, when two-step sign-in is on, a code or recovery code), which
// refunds and credential changes need within ReauthWindow. Failures count
// towards the lock like a failed sign-in (its device's, from a trusted
// device); locked, it is ErrLocked whatever it sends; a missing code is ErrCodeRequired.
func (s *Service) Reauthenticate(ctx context.Context, sessionID, password, code string, who Actor) error {
	sess, a, err := s.Authenticate(ctx, sessionID)
	if err != nil {
		return err
	}
	who.AccountID, who.Email = a.ID, a.Email
	d, err := s.deviceFor(ctx, a, who.DeviceTokens)
	if err != nil {
		return err
	}
	if lockedOut(a, d, s.now()) {
		return s.failOn(ctx, who, "reauth: locked", d, ErrLocked)
	}
	ok, err := s.hash.Verify(ctx, a.PasswordHash, password)
	if err != nil {
		return err
	}
	if !ok {
		locked, err := s.countFailure(ctx, a.ID, d)
		if err != nil {
			return err
		}
		if locked {
			return s.failOn(ctx, who, "reauth: locked now", d, ErrLocked)
		}
		return s.failOn(ctx, who, "reauth", d, ErrBadCredential)
	}
	if a.TOTPOn() {
		if strings.TrimSpace(code) == "" {
			return ErrCodeRequired
		}
		if _, _, err := s.secondStep(ctx, a.ID, code, time.Time{}, d); errors.Is(err, ErrTOTPOff) {
			// Turned off since it was read: the password is all it asks.
		} else if err != nil {
			if errors.Is(err, ErrBadCode) || errors.Is(err, ErrCodeUsed) || errors.Is(err, ErrLocked) {
				return s.failOn(ctx, who, "reauth: two-step: "+err.Error(), d, err)
			}
			return err
		}
	}
	now := s.now().UTC()
	return s.store.TouchSession(ctx, sess.IDHash, now, now)
}

// Fresh reports whether the session confirmed its password within
// ReauthWindow.
func (s *Service) Fresh(sess Session) bool {
	return !sess.ReauthAt.IsZero() && s.now().Sub(sess.ReauthAt) < ReauthWindow
}

// Record appends one line to the audit log.
func (s *Service) Record(ctx context.Context, who Actor, action, target, before, after string) error {
	_, err := s.store.AppendAudit(ctx, AuditEntry{At: s.now().UTC(), AccountID: who.AccountID, Email: who.Email,
		Address: who.Address, Device: who.Device, Action: action, Target: target, Before: before, After: after})
	return err
}

// DemoOwner makes the sandbox's demo owner sign in with password: it
// creates the account, or gives an existing one that password (unlocked)
// when it has another, as any reset of a password does: the account's
// sessions, sign-ins waiting for a code and trusted devices end, and the
// counter devices it unlocked lock. The caller keeps the password stable
// per database, so the printed sign-in works across restarts; an account
// whose password is still the printed one is left as it is (no hash
// written, no session ended, no audit row).
func (s *Service) DemoOwner(ctx context.Context, email, password string, who Actor) error {
	e, err := NormalizeEmail(email)
	if err != nil {
		return ErrInvalid
	}
	a, err := s.store.AccountByEmail(ctx, e)
	if errors.Is(err, ErrNotFound) {
		_, err = s.CreateAccount(ctx, e, "Demo owner", password, Owner, who)
		return err
	}
	if err != nil {
		return err
	}
	if ok, err := s.hash.Verify(ctx, a.PasswordHash, password); err != nil || ok {
		return err
	}
	h, err := s.hash.Hash(ctx, password)
	if err != nil {
		return err
	}
	if _, err := s.store.UpdateAccount(ctx, a.ID, func(a *Account) error {
		a.PasswordHash, a.FailedSignIns, a.LockedUntil, a.UpdatedAt = h, 0, time.Time{}, s.now().UTC()
		a.AccessChangedAt, a.DevicesVoidedAt = a.UpdatedAt, a.UpdatedAt
		return nil
	}); err != nil {
		return err
	}
	if _, err := s.endAccess(ctx, a.ID); err != nil {
		return err
	}
	return s.Record(ctx, who, "account.reset_password", a.ID, "", "demo owner")
}

// newLink stores a new one-time link of the account (128 random bits,
// kept as its hash) valid for ttl, replacing its earlier one of that
// purpose, and returns the token.
func (s *Service) newLink(ctx context.Context, accountID string, p Purpose, ttl time.Duration) (string, error) {
	b, err := s.random(16)
	if err != nil {
		return "", err
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, s.store.PutAccountToken(ctx, AccountToken{Hash: digest(tok), AccountID: accountID, Purpose: p,
		ExpiresAt: s.now().Add(ttl).UTC()})
}
