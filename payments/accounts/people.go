package accounts

import (
	"context"
	"fmt"
	"time"
)

// InviteTTL is how long an invitation (or a reset of access) stays valid.
const InviteTTL = 24 * time.Hour

// Invite adds an account with no password and returns its one-time link
// token: the owner hands the link over, and the person chooses their
// password with it (AcceptInvite) within InviteTTL. Only its hash is kept.
func (s *Service) Invite(ctx context.Context, email, name string, role Role, who Actor) (Account, string, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return Account{}, "", &InputError{Field: "email"}
	}
	if !role.Valid() {
		return Account{}, "", &InputError{Field: "role"}
	}
	if len(name) > 100 {
		return Account{}, "", &InputError{Field: "name"}
	}
	id, err := s.newID()
	if err != nil {
		return Account{}, "", err
	}
	now := s.now().UTC()
	a := Account{ID: id, Email: e, Name: name, Role: role, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateAccount(ctx, a); err != nil {
		return Account{}, "", err
	}
	tok, err := s.newLink(ctx, a.ID, PurposeInvite, InviteTTL)
	if err != nil {
		return Account{}, "", err
	}
	return a, tok, s.Record(ctx, who, "account.invite", a.ID, "", a.Email+" "+string(a.Role))
}

// Invitation returns the account an invitation link is for, to greet
// the person; ErrNotFound when the link is unknown or used, and
// ErrTokenExpired when it is too old.
func (s *Service) Invitation(ctx context.Context, token string) (Account, error) {
	t, err := s.store.AccountToken(ctx, digest(token))
	if err == nil && t.Purpose != PurposeInvite {
		err = ErrNotFound
	}
	if err != nil {
		return Account{}, err
	}
	if !s.now().Before(t.ExpiresAt) {
		return Account{}, ErrTokenExpired
	}
	return s.store.Account(ctx, t.AccountID)
}

// AcceptInvite spends an invitation link on the password the person
// chose. The password is checked before the link is spent, so a typo
// does not burn it.
func (s *Service) AcceptInvite(ctx context.Context, token, password string, who Actor) (Account, error) {
	if err := CheckPassword(password); err != nil {
		return Account{}, err
	}
	if _, err := s.Invitation(ctx, token); err != nil {
		return Account{}, err
	}
	t, err := s.store.TakeAccountToken(ctx, digest(token))
	if err != nil {
		return Account{}, err
	}
	h, err := s.hash.Hash(ctx, password)
	if err != nil {
		return Account{}, err
	}
	a, err := s.store.UpdateAccount(ctx, t.AccountID, func(a *Account) error {
		a.PasswordHash, a.FailedSignIns, a.LockedUntil, a.UpdatedAt = h, 0, time.Time{}, s.now().UTC()
		return nil
	})
	if err != nil {
		return Account{}, err
	}
	who.AccountID, who.Email = a.ID, a.Email
	return a, s.Record(ctx, who, "account.accept", a.ID, "invited", "password set")
}

// ResetAccess is what an owner does for a person who lost their password
// or phone: the password and two-step sign-in are removed, every session
// and sign-in waiting for a code ends, every counter device they unlocked
// locks, and a new one-time link (InviteTTL) lets them choose a password.
func (s *Service) ResetAccess(ctx context.Context, accountID string, who Actor) (string, error) {
	var before string
	a, err := s.store.UpdateAccount(ctx, accountID, func(a *Account) error {
		before = accessState(*a)
		a.PasswordHash, a.TOTPSecret, a.TOTPPending, a.Recovery = "", "", "", nil
		a.FailedSignIns, a.LockedUntil, a.UpdatedAt = 0, time.Time{}, s.now().UTC()
		a.AccessChangedAt, a.DevicesVoidedAt = a.UpdatedAt, a.UpdatedAt
		return nil
	})
	if err != nil {
		return "", err
	}
	if _, err := s.endAccess(ctx, a.ID); err != nil {
		return "", err
	}
	tok, err := s.newLink(ctx, a.ID, PurposeInvite, InviteTTL)
	if err != nil {
		return "", err
	}
	return tok, s.Record(ctx, who, "account.reset_access", a.ID, before, accessState(a)+", sessions ended")
}

// accessState says how an account signs in, for the audit log.
func accessState(a Account) string {
	switch {
	case a.Invited():
		return "invited"
	case a.TOTPOn():
		return "password and two-step"
	}
	return "password"
}

// RemoveAccount removes an account, its sessions and links (sign-ins
// waiting for a code among them) and its PIN, so the counter devices it
// unlocked lock (Account.StillUnlocks finds no account). The shop's
// last owner cannot be removed (ErrLastOwner); the store checks it in the
// same transaction as the removal.
func (s *Service) RemoveAccount(ctx context.Context, id string, who Actor) error {
	a, err := s.store.RemoveKeepingOwner(ctx, id, s.now().UTC())
	if err != nil {
		return err
	}
	return s.Record(ctx, who, "account.remove", id, a.Email+" "+string(a.Role), "")
}

// SetRole changes an account's role; it takes effect on its next
// request. A sign-in waiting for its code must start again, and the
// counter devices the person unlocked lock (the role changes its access:
// Account.AccessChangedAt). The last owner cannot become a cashier
// (ErrLastOwner).
func (s *Service) SetRole(ctx context.Context, id string, role Role, who Actor) error {
	if !role.Valid() {
		return &InputError{Field: "role"}
	}
	before, err := s.store.SetRoleKeepingOwner(ctx, id, role, s.now().UTC())
	if err != nil || before.Role == role {
		return err
	}
	if _, err := s.store.DeleteAccountTokens(ctx, id, PurposeSignIn); err != nil {
		return err
	}
	return s.Record(ctx, who, "account.role", id, string(before.Role), string(role))
}

// RevokeSession ends the session with that hash on behalf of by: an
// owner may end anyone's, anyone else only their own (ErrNotYours).
func (s *Service) RevokeSession(ctx context.Context, by Account, idHash string, who Actor) error {
	sess, err := s.store.Session(ctx, idHash)
	if err != nil {
		return err
	}
	if by.Role != Owner && sess.AccountID != by.ID {
		return ErrNotYours
	}
	if err := s.store.DeleteSession(ctx, idHash); err != nil {
		return err
	}
	return s.Record(ctx, who, "session.revoke", sess.AccountID, sess.Address+" "+sess.Device, "")
}

// RevokeSessions ends every session of accountID on behalf of by, with
// the same rule as RevokeSession: its sign-ins waiting for a code too,
// and the counter devices it unlocked lock (Account.AccessChangedAt).
func (s *Service) RevokeSessions(ctx context.Context, by Account, accountID string, who Actor) error {
	if _, err := s.store.Account(ctx, accountID); err != nil {
		return err
	}
	if by.Role != Owner && accountID != by.ID {
		return ErrNotYours
	}
	if _, err := s.store.UpdateAccount(ctx, accountID, func(a *Account) error {
		a.AccessChangedAt = s.now().UTC()
		a.DevicesVoidedAt = a.AccessChangedAt
		return nil
	}); err != nil {
		return err
	}
	if _, err := s.endAccess(ctx, accountID); err != nil {
		return err
	}
	return s.Record(ctx, who, "session.revoke_all", accountID, "", "")
}

// ChangePassword is a signed-in person changing their own password: the
// current one (a wrong one counts towards the lock like a failed
// sign-in, its device's when it comes from a trusted one; locked, it is
// ErrLocked whatever it sends), then the
// new one, which follows CheckPassword and must differ from the current
// one (an InputError whose Why is PasswordSame). Every session of the
// account ends, this one too, and so do its sign-ins waiting for a code
// and what it unlocked at the counter; the browser that changed it goes
// on in a new session, counted as just confirmed, whose id it returns
// (for the cookie, as a sign-in's), so a copy of the old cookie opens
// nothing.
func (s *Service) ChangePassword(ctx context.Context, sessionID, current, password string, who Actor) (string, error) {
	_, a, err := s.Authenticate(ctx, sessionID)
	if err != nil {
		return "", err
	}
	who.AccountID, who.Email = a.ID, a.Email
	d, err := s.deviceFor(ctx, a, who.DeviceTokens)
	if err != nil {
		return "", err
	}
	if lockedOut(a, d, s.now()) {
		return "", s.failOn(ctx, who, "password: locked", d, ErrLocked)
	}
	ok, err := s.hash.Verify(ctx, a.PasswordHash, current)
	if err != nil {
		return "", err
	}
	if !ok {
		locked, err := s.countFailure(ctx, a.ID, d)
		if err != nil {
			return "", err
		}
		if locked {
			return "", s.failOn(ctx, who, "password: locked now", d, ErrLocked)
		}
		return "", s.failOn(ctx, who, "password", d, ErrBadCredential)
	}
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	if password == current {
		return "", &InputError{Field: "password", Why: PasswordSame}
	}
	h, err := s.hash.Hash(ctx, password)
	if err != nil {
		return "", err
	}
	now := s.now().UTC()
	if a, err = s.store.UpdateAccount(ctx, a.ID, func(a *Account) error {
		a.PasswordHash, a.FailedSignIns, a.LockedUntil, a.UpdatedAt, a.AccessChangedAt = h, 0, time.Time{}, now, now
		a.DevicesVoidedAt = now
		return nil
	}); err != nil {
		return "", err
	}
	ended, err := s.endAccess(ctx, a.ID)
	if err != nil {
		return "", err
	}
	id, err := s.openSession(ctx, a, who)
	if err != nil {
		return "", err
	}
	return id, s.Record(ctx, who, "account.password", a.ID, "", fmt.Sprintf("password changed, %d other sessions ended", max(ended-1, 0)))
}
