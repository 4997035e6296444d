// Package receipts gives a paid payment its e-receipt address: the link a
// printed receipt's QR carries, which the shopper keeps.
//
// The address is /receipt/<token>, and the token is the only thing in it.
// A token is 128 bits: the first 16 bytes of HMAC-SHA256, keyed with a
// key derived from the server's session key, over the payment's id. So
// reprinting a receipt prints the same link, and no one without the key
// can work out the token of another payment from their own. The store
// keeps only the token's SHA-256 beside the payment id, and a token is
// resolved through that hash alone: a copy of the database opens no
// receipt, a token that was never issued resolves to nothing, and a token
// issued before the key changed keeps working. Nothing of the payment's
// own ids (its capability id, our reference at Latipay) is in the link.
//
// The package is a sibling of payments for the same reason as accounts:
// the payment state machine never needs to know that a receipt was
// printed. It imports nothing of this module; its store is implemented by
// payments/sqlite and payments/postgres, which pass receiptstest.Run.
//
// Where to change what: the token, its key and the Store port are this
// file; the SQL is receipts.go in payments/sqlite and payments/postgres;
// the printed and e-receipt pages are handlers/receipt.go and
// views/receipt.templ.
package receipts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"
)

// ErrNotFound means the token names no receipt: never issued, mistyped or
// forged. Handlers answer it like any other unknown address.
var ErrNotFound = errors.New("receipts: not found")

// TokenLen is the length of a token: 16 bytes in unpadded base64url.
const TokenLen = 22

// Store keeps issued tokens as their hashes.
type Store interface {
	// PutReceiptToken records that the token whose SHA-256 (hex) is hash
	// opens paymentID's receipt. Recording it again is not an error.
	PutReceiptToken(ctx context.Context, hash, paymentID string, at time.Time) error
	// ReceiptTokenPayment returns the payment id the hash was recorded
	// for, or ErrNotFound.
	ReceiptTokenPayment(ctx context.Context, hash string) (string, error)
}

// Service issues and resolves e-receipt tokens.
type Service struct {
	store Store
	key   []byte // HMAC key of tokens; derived, never the session key itself
	now   func() time.Time
}

// New returns the service. secret is the server's long-lived key (at least
// 16 bytes); the token key is derived from it with a label of its own, so
// the tokens of this package never equal a MAC made for another purpose.
func New(store Store, secret []byte, now func() time.Time) (*Service, error) {
	if store == nil || now == nil || len(secret) < 16 {
		return nil, errors.New("receipts: New: missing store, clock or key")
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("hpp e-receipt token key v1"))
	return &Service{store: store, key: m.Sum(nil), now: now}, nil
}

// Token returns the e-receipt token of paymentID, recording its hash. The
// caller decides that the payment may have a receipt (it is paid).
func (s *Service) Token(ctx context.Context, paymentID string) (string, error) {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(paymentID))
	tok := base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
	if err := s.store.PutReceiptToken(ctx, Hash(tok), paymentID, s.now()); err != nil {
		return "", err
	}
	return tok, nil
}

// Payment returns the id of the payment whose receipt token is tok, or
// ErrNotFound. Text that cannot be a token is not looked up.
func (s *Service) Payment(ctx context.Context, tok string) (string, error) {
	if len(tok) != TokenLen {
		return "", ErrNotFound
	}
	if b, err := base64.RawURLEncoding.DecodeString(tok); err != nil || len(b) != 16 {
		return "", ErrNotFound
	}
	return s.store.ReceiptTokenPayment(ctx, Hash(tok))
}

// Hash is what the store keeps of a token: its SHA-256 in hex.
func Hash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}
