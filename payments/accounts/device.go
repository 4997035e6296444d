package accounts

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// Device cookies keep a stranger from locking a person out. An account
// locks after MaxFailures wrong passwords in a row, so anyone who knows
// an owner's email could send five wrong passwords every LockFor and keep
// the owner out for good, well within the request limits. So a browser
// that has signed in to an account gets a device cookie for it
// (TrustDevice): a random token, kept in the store as its SHA-256 only.
// A sign-in, two-step code, confirmation of the password or change of it
// that comes with a cookie of a trusted device of the account counts its
// failures against that device alone, which locks (that device only)
// after MaxFailures, for LockFor, and ignores the account's lock. One
// without such a cookie counts against the account as before, so a
// browser that never signed in still has MaxFailures tries per LockFor in
// all. A device no longer counts once the person's sign-ins end or their
// password changes (sign out everywhere, a new or reset password, a reset
// of access: Account.DevicesVoidedAt), DeviceTTL after its last sign-in,
// or when its account is removed. A new role keeps the person's sessions
// and so their devices: voiding them would leave the browser they are
// signed in on counting as a stranger's until they sign in again, open
// to the very lock-out devices exist to prevent.
const (
	// DeviceTTL is how long a device stays trusted after its last
	// sign-in, and the cookie's lifetime.
	DeviceTTL = 90 * 24 * time.Hour
	// MaxDevices is how many devices an account keeps: a new one beyond
	// them drops the one whose last sign-in is oldest.
	MaxDevices = 20
	// DeviceCookieTokens is how many accounts' tokens one browser's cookie
	// holds at most (a shop tablet several people sign in on); more are
	// ignored.
	DeviceCookieTokens = 4
	// deviceIssueWindow: only a session this young gets a device, so
	// a device is earned by signing in, not by holding a session.
	deviceIssueWindow = time.Minute
	deviceTokenLen    = 43 // 256 bits, unpadded base64url
)

// presented is one token of a browser's device cookie and its device.
type presented struct {
	token string
	d     TrustedDevice
}

// presentedDevices looks up the devices of the tokens a browser sent (at
// most DeviceCookieTokens, of a token's form). SignIn reads them before
// the account, so a sign-in reads the same rows whatever the email.
func (s *Service) presentedDevices(ctx context.Context, tokens []string) ([]presented, error) {
	var out []presented
	for i, tok := range tokens {
		if i == DeviceCookieTokens {
			break
		}
		if !deviceToken(tok) {
			continue
		}
		d, err := s.store.TrustedDevice(ctx, digest(tok))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, presented{token: tok, d: d})
	}
	return out, nil
}

// deviceToken reports whether tok has the form of a device token.
func deviceToken(tok string) bool {
	return len(tok) == deviceTokenLen && strings.Trim(tok,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == ""
}

// trusted returns the presented device that counts for a at now, or nil:
// a's, issued since a's devices were last voided, signed in within
// DeviceTTL.
func trusted(a Account, ps []presented, now time.Time) *presented {
	for i, p := range ps {
		if p.d.AccountID == a.ID && !p.d.CreatedAt.Before(a.DevicesVoidedAt) && now.Sub(p.d.SeenAt) < DeviceTTL {
			return &ps[i]
		}
	}
	return nil
}

// deviceFor is the trusted device of a among the tokens, or nil.
func (s *Service) deviceFor(ctx context.Context, a Account, tokens []string) (*TrustedDevice, error) {
	ps, err := s.presentedDevices(ctx, tokens)
	if err != nil {
		return nil, err
	}
	if p := trusted(a, ps, s.now()); p != nil {
		return &p.d, nil
	}
	return nil, nil
}

// TrustDevice gives the browser that has just signed in to sessionID's
// account its device token for the cookie: the one of tokens (what its
// cookie holds) already trusted for the account, or a new one (256 random
// bits; only its hash is kept). Only a session opened within the last
// minute gets one (ErrSessionEnded otherwise): a device is earned by
// signing in.
func (s *Service) TrustDevice(ctx context.Context, sessionID string, tokens []string) (string, error) {
	sess, a, err := s.authenticate(ctx, sessionID, false)
	if err != nil {
		return "", err
	}
	now := s.now()
	if now.Sub(sess.CreatedAt) >= deviceIssueWindow {
		return "", ErrSessionEnded
	}
	ps, err := s.presentedDevices(ctx, tokens)
	if err != nil {
		return "", err
	}
	if p := trusted(a, ps, now); p != nil {
		return p.token, nil
	}
	b, err := s.random(32)
	if err != nil {
		return "", err
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, s.store.CreateTrustedDevice(ctx, TrustedDevice{Hash: digest(tok), AccountID: a.ID, CreatedAt: now.UTC(), SeenAt: now.UTC()}, MaxDevices)
}

// lockedOut reports whether an attempt on a is refused at now: the
// device's lock when it comes from a trusted device d, else the
// account's.
func lockedOut(a Account, d *TrustedDevice, now time.Time) bool {
	if d != nil {
		return now.Before(d.LockedUntil)
	}
	return now.Before(a.LockedUntil)
}

// countFailure counts a wrong password or code of the account, against
// the trusted device d it came from, or the account when d is nil, and
// reports whether it locks it (MaxFailures in a row lock it for LockFor).
func (s *Service) countFailure(ctx context.Context, id string, d *TrustedDevice) (bool, error) {
	locked := false
	now := s.now()
	if d != nil {
		_, err := s.store.UpdateTrustedDevice(ctx, d.Hash, func(d *TrustedDevice) error {
			d.FailedSignIns++
			if d.FailedSignIns >= MaxFailures {
				d.FailedSignIns, d.LockedUntil, locked = 0, now.Add(LockFor).UTC(), true
			}
			return nil
		})
		if errors.Is(err, ErrNotFound) { // its access changed meanwhile: nothing left to count on
			return false, nil
		}
		return locked, err
	}
	_, err := s.store.UpdateAccount(ctx, id, func(a *Account) error {
		a.FailedSignIns++
		if a.FailedSignIns >= MaxFailures {
			a.FailedSignIns, a.LockedUntil, locked = 0, now.Add(LockFor).UTC(), true
		}
		return nil
	})
	return locked, err
}

// deviceSignedIn notes a sign-in completed on device d: its count starts
// again and its DeviceTTL runs from now.
func (s *Service) deviceSignedIn(ctx context.Context, d *TrustedDevice) error {
	_, err := s.store.UpdateTrustedDevice(ctx, d.Hash, func(d *TrustedDevice) error {
		d.FailedSignIns, d.LockedUntil, d.SeenAt = 0, time.Time{}, s.now().UTC()
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// KnownDevice is how the audit log marks a failure that came from a
// trusted device (counted against it, not the account): the refusal's
// words, then "; " and this, or this alone for a wrong password.
const KnownDevice = "known device"

// failOn records a refusal as fail does, marked when it came from a
// trusted device d.
func (s *Service) failOn(ctx context.Context, who Actor, why string, d *TrustedDevice, out error) error {
	if d != nil {
		if why == "" {
			why = KnownDevice
		} else {
			why += "; " + KnownDevice
		}
	}
	return s.fail(ctx, who, why, out)
}
