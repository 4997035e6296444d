package accounts

import (
	"context"
	"errors"
)

// Live reports whether a session is still live, as Authenticate would,
// without counting this as a use: a long-lived connection (the back
// office's live feed) asks now and then, so that a session revoked,
// expired or of a removed account stops it, while the open connection
// alone never keeps the session alive. nil means live; ErrSessionEnded
// means it is not.
func (s *Service) Live(ctx context.Context, sessionID string) error {
	if sessionID == "" {
		return ErrSessionEnded
	}
	sess, err := s.store.Session(ctx, digest(sessionID))
	if errors.Is(err, ErrNotFound) {
		return ErrSessionEnded
	}
	if err != nil {
		return err
	}
	now := s.now()
	if now.Sub(sess.SeenAt) >= IdleTimeout || now.Sub(sess.CreatedAt) >= AbsoluteTimeout {
		return ErrSessionEnded
	}
	if _, err := s.store.Account(ctx, sess.AccountID); errors.Is(err, ErrNotFound) {
		return ErrSessionEnded
	} else if err != nil {
		return err
	}
	return nil
}
