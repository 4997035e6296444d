package accounts

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Two-step sign-in (TOTP, RFC 6238): 6 digits from a 30-second step of
// HMAC-SHA1, what every authenticator app reads from an otpauth:// QR.
//
// A code is accepted for the step before and after the current one (a
// phone's clock may be off by a few seconds), and only for a step later
// than the last one accepted: the account keeps that step, so a code
// seen over a shoulder or replayed from a proxy log works once.
//
// The key is sealed at rest with AES-256-GCM under a key the service is
// given (derived from HPP_SESSION_KEY), with the account's id as
// associated data, so a copy of the database holds no usable key and a
// sealed key cannot be moved to another account. Rotating HPP_SESSION_KEY
// ("new,old") gives the service the old key too: a key sealed under it
// still opens, and is sealed again under the new one when it is next
// used. Changing HPP_SESSION_KEY without keeping the old one makes sealed
// keys unreadable: the owner then signs in with a recovery code (kept as
// hashes, not sealed) and enrols again.
const (
	totpPeriod = 30
	// RecoveryCodes is how many recovery codes an enrolment gives.
	RecoveryCodes = 10
	// SignInCodeTTL is how long the second step of a sign-in waits for
	// its code before the password must be given again.
	SignInCodeTTL = 5 * time.Minute
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// SetSealKey gives the service the 32-byte key that seals TOTP keys.
// Without one, enrolment is refused (and no key is ever stored in clear).
// It is set once, at wiring, before the service serves.
// old are earlier keys while HPP_SESSION_KEY is rotated: what they sealed
// still opens (and is sealed again under key when a code is checked).
func (s *Service) SetSealKey(key []byte, old ...[]byte) error {
	var r rotatingAEAD
	for i, k := range append([][]byte{key}, old...) {
		if len(k) != 32 {
			return errors.New("accounts: seal key must be 32 bytes")
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return err
		}
		a, err := cipher.NewGCM(block)
		if err != nil {
			return err
		}
		if i == 0 {
			r.AEAD = a
		} else {
			r.old = append(r.old, a)
		}
	}
	if len(r.old) == 0 {
		s.aead = r.AEAD
		return nil
	}
	s.aead = &r
	return nil
}

// rotatingAEAD seals under the current key and opens under it or any
// earlier one (SetSealKey's old keys).
type rotatingAEAD struct {
	cipher.AEAD
	old []cipher.AEAD
}

func (r *rotatingAEAD) Open(dst, nonce, ciphertext, ad []byte) ([]byte, error) {
	plain, err := r.AEAD.Open(dst, nonce, ciphertext, ad)
	for _, o := range r.old {
		if err == nil {
			break
		}
		plain, err = o.Open(dst, nonce, ciphertext, ad)
	}
	return plain, err
}

// sealedUnderOld reports whether sealed opens only under an earlier key.
func (s *Service) sealedUnderOld(accountID, sealed string) bool {
	r, ok := s.aead.(*rotatingAEAD)
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, "v1."))
	n := r.NonceSize()
	if err != nil || len(b) < n {
		return false
	}
	_, err = r.AEAD.Open(nil, b[:n], b[n:], []byte(accountID))
	return err != nil
}

var errNoSealKey = errors.New("accounts: no seal key for two-step keys")

func (s *Service) seal(accountID, plain string) (string, error) {
	if s.aead == nil {
		return "", errNoSealKey
	}
	nonce, err := s.random(s.aead.NonceSize())
	if err != nil {
		return "", err
	}
	return "v1." + base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), []byte(accountID))), nil
}

func (s *Service) unseal(accountID, sealed string) (string, error) {
	if s.aead == nil {
		return "", errNoSealKey
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, "v1."))
	if err != nil || !strings.HasPrefix(sealed, "v1.") || len(b) < s.aead.NonceSize() {
		return "", errors.New("accounts: sealed two-step key is malformed")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(accountID))
	if err != nil {
		return "", errors.New("accounts: sealed two-step key does not open (was HPP_SESSION_KEY changed?)")
	}
	return string(plain), nil
}

// Enrolment is a two-step key being set up: what the enrolment page shows.
type Enrolment struct {
	Secret string // base32, for typing into an app
	URL    string // otpauth://totp/..., for the QR
}

// BeginTOTP starts (or shows again) the enrolment of the account's
// two-step key: the key is kept sealed as pending until ConfirmTOTP. The
// issuer is the shop's name, which apps show beside the code.
func (s *Service) BeginTOTP(ctx context.Context, accountID, issuer string) (Enrolment, error) {
	a, err := s.store.Account(ctx, accountID)
	if err != nil {
		return Enrolment{}, err
	}
	if a.TOTPOn() {
		return Enrolment{}, ErrTOTPOn
	}
	if issuer == "" {
		issuer = "HPP"
	}
	if a.TOTPPending != "" {
		if secret, err := s.unseal(a.ID, a.TOTPPending); err == nil {
			return enrolment(issuer, a.Email, secret)
		}
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: a.Email, Period: totpPeriod, Rand: s.rand})
	if err != nil {
		return Enrolment{}, fmt.Errorf("accounts: totp key: %w", err)
	}
	sealed, err := s.seal(a.ID, key.Secret())
	if err != nil {
		return Enrolment{}, err
	}
	if _, err := s.store.UpdateAccount(ctx, a.ID, func(x *Account) error {
		x.TOTPPending = sealed
		return nil
	}); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

func enrolment(issuer, email, secret string) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: email, Period: totpPeriod,
		Secret: mustBase32(secret)})
	if err != nil {
		return Enrolment{}, fmt.Errorf("accounts: totp key: %w", err)
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

func mustBase32(s string) []byte {
	b, _ := idEncoding.DecodeString(strings.ToUpper(s))
	return b
}

// ConfirmTOTP turns two-step sign-in on once a code from the pending key
// is right, and returns the recovery codes, shown this once (the store
// keeps their hashes). The code's step counts as used.
func (s *Service) ConfirmTOTP(ctx context.Context, accountID, code string, who Actor) ([]string, error) {
	codes, hashes, err := s.recoveryCodes()
	if err != nil {
		return nil, err
	}
	var checkErr error
	a, err := s.store.UpdateAccount(ctx, accountID, func(a *Account) error {
		if a.TOTPOn() {
			return ErrTOTPOn
		}
		if a.TOTPPending == "" {
			return ErrTOTPOff
		}
		secret, err := s.unseal(a.ID, a.TOTPPending)
		if err != nil {
			return err
		}
		step, err := s.checkCode(secret, code, 0)
		if err != nil {
			checkErr = err
			return err
		}
		a.TOTPSecret, a.TOTPPending, a.TOTPLastStep, a.Recovery = a.TOTPPending, "", step, hashes
		a.UpdatedAt = s.now().UTC()
		return nil
	})
	if checkErr != nil {
		return nil, checkErr
	}
	if err != nil {
		return nil, err
	}
	who.AccountID, who.Email = a.ID, a.Email
	return codes, s.Record(ctx, who, "totp.enable", a.ID, "two-step off", "two-step on")
}

// recoveryCodes makes RecoveryCodes codes of 50 random bits each, shown
// as "abcde-fghij", and their hashes.
func (s *Service) recoveryCodes() (codes, hashes []string, err error) {
	for range RecoveryCodes {
		b, err := s.random(7)
		if err != nil {
			return nil, nil, err
		}
		c := strings.ToLower(idEncoding.EncodeToString(b))[:10]
		codes = append(codes, c[:5]+"-"+c[5:])
		hashes = append(hashes, digest(c))
	}
	return codes, hashes, nil
}

// typedCode is a code as the person typed or pasted it, made plain: in
// lower case, without spaces of any kind (a tab, a line break, a
// non-breaking space) or dashes (a recovery code's, or the en dash a
// phone puts for it), full-width letters and digits (a Chinese input
// method's) as ASCII.
func typedCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r >= '\uff01' && r <= '\uff5e' { // full-width ASCII
			r -= 0xfee0
		}
		if unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) {
			return -1
		}
		return unicode.ToLower(r)
	}, code)
}

// checkCode checks a 6-digit code against secret for the steps around
// now, and returns the step it matched. A code of a step at or before
// last is ErrCodeUsed.
func (s *Service) checkCode(secret, code string, last int64) (int64, error) {
	code = typedCode(code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return 0, ErrBadCode
	}
	now := s.now().Unix() / totpPeriod
	used := false
	for _, step := range []int64{now - 1, now, now + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, fmt.Errorf("accounts: totp code: %w", err)
		}
		if hmac.Equal([]byte(want), []byte(code)) {
			if step > last {
				return step, nil
			}
			used = true
		}
	}
	if used {
		return 0, ErrCodeUsed
	}
	return 0, ErrBadCode
}

// useSecondStep checks code (a 6-digit code or a recovery code) for a,
// which the caller holds locked in UpdateAccount, and spends it: the
// code's step, or the recovery code. It reports what was used.
func (s *Service) useSecondStep(a *Account, code string) (string, error) {
	norm := typedCode(code)
	if len(norm) == 10 {
		h := digest(norm)
		for i, r := range a.Recovery {
			if hmac.Equal([]byte(r), []byte(h)) {
				a.Recovery = append(a.Recovery[:i:i], a.Recovery[i+1:]...)
				if len(a.Recovery) == 0 {
					a.Recovery = nil
				}
				return "recovery code", nil
			}
		}
		return "", ErrBadCode
	}
	secret, err := s.unseal(a.ID, a.TOTPSecret)
	if err != nil {
		return "", err
	}
	step, err := s.checkCode(secret, code, a.TOTPLastStep)
	if err != nil {
		return "", err
	}
	if s.sealedUnderOld(a.ID, a.TOTPSecret) { // HPP_SESSION_KEY rotated: seal it under the new key
		if a.TOTPSecret, err = s.seal(a.ID, secret); err != nil {
			return "", err
		}
	}
	a.TOTPLastStep = step
	return "code", nil
}

// secondStep spends code on the account under its lock. A wrong or used
// code counts towards the lock like a wrong password: the trusted
// device d's when not nil, else the account's. Two-step sign-in turned
// off since is ErrTOTPOff, and so is a sign-in's challenge issued (when
// not zero) before the account's access changed: the code is not
// checked, and nothing counts.
func (s *Service) secondStep(ctx context.Context, accountID, code string, issued time.Time, d *TrustedDevice) (Account, string, error) {
	var used string
	var codeErr error
	a, err := s.store.UpdateAccount(ctx, accountID, func(a *Account) error {
		used, codeErr = "", nil
		if !a.TOTPOn() || (!issued.IsZero() && issued.Before(a.AccessChangedAt)) {
			codeErr = ErrTOTPOff
			return nil
		}
		if lockedOut(*a, d, s.now()) {
			codeErr = ErrLocked
			return nil
		}
		var err error
		if used, err = s.useSecondStep(a, code); err != nil {
			if !errors.Is(err, ErrBadCode) && !errors.Is(err, ErrCodeUsed) {
				return err
			}
			codeErr = err
			if d == nil {
				a.FailedSignIns++
				if a.FailedSignIns >= MaxFailures {
					a.FailedSignIns, a.LockedUntil, codeErr = 0, s.now().Add(LockFor).UTC(), ErrLocked
				}
			}
			return nil
		}
		if d == nil {
			a.FailedSignIns, a.LockedUntil = 0, time.Time{}
		}
		return nil
	})
	if err != nil {
		return Account{}, "", err
	}
	if d != nil {
		switch {
		case errors.Is(codeErr, ErrBadCode) || errors.Is(codeErr, ErrCodeUsed):
			if locked, err := s.countFailure(ctx, accountID, d); err != nil {
				return Account{}, "", err
			} else if locked {
				codeErr = ErrLocked
			}
		case codeErr == nil:
			if err := s.deviceSignedIn(ctx, d); err != nil {
				return Account{}, "", err
			}
		}
	}
	return a, used, codeErr
}

// SignInCode is the second step of a sign-in: the challenge SignIn gave
// with ErrCodeRequired, and a code. It opens the session and returns its
// id. A stale or unknown challenge is ErrTokenExpired (the password is
// asked again), and so is one of an account removed, whose two-step
// sign-in is off or whose access changed since the challenge (a new
// password, a reset, sign out everywhere); a wrong code ErrBadCode, a
// replayed one ErrCodeUsed. Wrong codes count as wrong passwords do:
// against the trusted device the browser's device cookie names, else
// the account.
func (s *Service) SignInCode(ctx context.Context, challenge, code string, who Actor) (Account, string, error) {
	t, err := s.store.AccountToken(ctx, digest(challenge))
	if errors.Is(err, ErrNotFound) || (err == nil && (t.Purpose != PurposeSignIn || !s.now().Before(t.ExpiresAt))) {
		return Account{}, "", ErrTokenExpired
	}
	if err != nil {
		return Account{}, "", err
	}
	acc, err := s.store.Account(ctx, t.AccountID)
	if errors.Is(err, ErrNotFound) {
		return Account{}, "", ErrTokenExpired
	}
	if err != nil {
		return Account{}, "", err
	}
	d, err := s.deviceFor(ctx, acc, who.DeviceTokens)
	if err != nil {
		return Account{}, "", err
	}
	a, used, err := s.secondStep(ctx, t.AccountID, code, t.ExpiresAt.Add(-SignInCodeTTL), d)
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrTOTPOff) {
		return Account{}, "", ErrTokenExpired
	}
	who.AccountID, who.Email = a.ID, a.Email
	if err != nil {
		if errors.Is(err, ErrBadCode) || errors.Is(err, ErrCodeUsed) || errors.Is(err, ErrLocked) {
			return Account{}, "", s.failOn(ctx, who, "two-step: "+err.Error(), d, err)
		}
		return Account{}, "", err
	}
	if _, err := s.store.TakeAccountToken(ctx, t.Hash); err != nil {
		return Account{}, "", ErrTokenExpired // another request used it first
	}
	id, err := s.openSession(ctx, a, who)
	if err != nil {
		return Account{}, "", err
	}
	return a, id, s.Record(ctx, who, "signin", a.ID, "", "two-step "+used)
}

// DisableTOTP turns two-step sign-in off: it needs the password and a
// code (or a recovery code) now, however recent the last confirmation.
func (s *Service) DisableTOTP(ctx context.Context, sessionID, password, code string, who Actor) error {
	_, a, err := s.Authenticate(ctx, sessionID)
	if err != nil {
		return err
	}
	if !a.TOTPOn() {
		return ErrTOTPOff
	}
	if err := s.Reauthenticate(ctx, sessionID, password, code, who); err != nil {
		return err
	}
	if _, err := s.store.UpdateAccount(ctx, a.ID, func(x *Account) error {
		x.TOTPSecret, x.TOTPPending, x.Recovery, x.UpdatedAt = "", "", nil, s.now().UTC()
		return nil
	}); err != nil {
		return err
	}
	who.AccountID, who.Email = a.ID, a.Email
	return s.Record(ctx, who, "totp.disable", a.ID, "two-step on", "two-step off")
}
