// Package displays pairs a shopper-facing screen with a counter device.
//
// The counter shows a short pairing code (8 digits, valid PairingTTL,
// single use); the screen facing the shopper enters it and receives its
// own credential: a 256-bit random token kept in that browser's cookie.
// The credential names one display, bound to the counter device that
// issued the code, and is revoked on its own (from the counter) or with
// its device (the handlers check the device too). The store keeps only
// SHA-256 hashes of codes and tokens, so a copy of the database pairs no
// screen and opens no display.
//
// It is a sibling of payments like accounts and receipts: a payment never
// needs to know which screen showed it. It imports nothing of this module;
// payments/sqlite and payments/postgres implement its Store and pass
// displaystest.Run.
//
// Where to change what: pairing codes, credentials, revocation and the
// Store port are this file; the SQL is receipts.go in payments/sqlite and
// payments/postgres (beside the e-receipt tokens); the screen and
// its socket are handlers/display.go and views/display.templ, and the
// counter's side (showing the code, following a sale)
// handlers/counter_display.go.
package displays

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Errors of the displays domain.
var (
	ErrNotFound = errors.New("displays: not found")
	// ErrBadCode means the pairing code is unknown, used or expired; the
	// three are not told apart.
	ErrBadCode = errors.New("displays: pairing code unknown or expired")
)

// PairingTTL is how long a pairing code works.
const PairingTTL = 60 * time.Second

// CodeDigits is the length of a pairing code. With the request limit of
// the pairing form (10 tries a minute per address) and one minute of
// life, guessing a live code takes about ten million tries.
const CodeDigits = 8

// Display is one paired shopper-facing screen.
type Display struct {
	ID        string // "dsp_" + 26 base32 characters
	DeviceID  string // the counter device it follows
	TokenHash string // hex SHA-256 of its credential
	CreatedAt time.Time
	RevokedAt time.Time // zero while it works
}

// Pairing is a pairing code waiting for its display, kept as a hash.
type Pairing struct {
	CodeHash  string // hex SHA-256 of the code
	DeviceID  string
	ExpiresAt time.Time
}

// Store persists pairings and displays.
type Store interface {
	// PutDisplayPairing records p, replacing any code the device had.
	PutDisplayPairing(ctx context.Context, p Pairing) error
	// TakeDisplayPairing removes the pairing whose code hash is codeHash
	// and returns it if it had not expired at now; ErrNotFound otherwise.
	// Two concurrent takes of one code: one wins.
	TakeDisplayPairing(ctx context.Context, codeHash string, now time.Time) (Pairing, error)
	// CreateDisplay inserts d.
	CreateDisplay(ctx context.Context, d Display) error
	// DisplayByToken returns the display whose token hash is tokenHash,
	// revoked or not, or ErrNotFound.
	DisplayByToken(ctx context.Context, tokenHash string) (Display, error)
	// Displays lists the device's displays not revoked, oldest first.
	Displays(ctx context.Context, deviceID string) ([]Display, error)
	// RevokeDisplay marks the device's display id revoked at at; a display
	// of another device, or none, is ErrNotFound.
	RevokeDisplay(ctx context.Context, deviceID, id string, at time.Time) error
}

// Service pairs, authenticates and revokes displays.
type Service struct {
	store Store
	now   func() time.Time
	rand  io.Reader
}

// New returns the service.
func New(store Store, now func() time.Time, rand io.Reader) (*Service, error) {
	if store == nil || now == nil || rand == nil {
		return nil, errors.New("displays: New: missing dependency")
	}
	return &Service{store: store, now: now, rand: rand}, nil
}

// NewCode issues a pairing code for deviceID, replacing its earlier one.
func (s *Service) NewCode(ctx context.Context, deviceID string) (code string, expires time.Time, err error) {
	if deviceID == "" {
		return "", time.Time{}, errors.New("displays: NewCode: no device")
	}
	// 4,000,000,000 is the largest multiple of 10^8 below 2^32: drawing
	// under it and taking the remainder keeps every code equally likely.
	var b [4]byte
	for {
		if _, err := io.ReadFull(s.rand, b[:]); err != nil {
			return "", time.Time{}, fmt.Errorf("displays: code: %w", err)
		}
		if v := binary.BigEndian.Uint32(b[:]); v < 4_000_000_000 {
			code = fmt.Sprintf("%0*d", CodeDigits, v%100_000_000)
			break
		}
	}
	expires = s.now().Add(PairingTTL)
	if err := s.store.PutDisplayPairing(ctx, Pairing{CodeHash: hash(code), DeviceID: deviceID, ExpiresAt: expires}); err != nil {
		return "", time.Time{}, err
	}
	return code, expires, nil
}

// NormalizeCode drops the spaces and dashes a person may type in a code.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u00a0' {
			return -1
		}
		return r
	}, code)
}

// Pair uses code once: it returns the new display and its credential
// (shown to the display's browser only, never stored), or ErrBadCode.
func (s *Service) Pair(ctx context.Context, code string) (Display, string, error) {
	code = NormalizeCode(code)
	if len(code) != CodeDigits || strings.Trim(code, "0123456789") != "" {
		return Display{}, "", ErrBadCode
	}
	p, err := s.store.TakeDisplayPairing(ctx, hash(code), s.now())
	if errors.Is(err, ErrNotFound) {
		return Display{}, "", ErrBadCode
	}
	if err != nil {
		return Display{}, "", err
	}
	var id [16]byte
	var tok [32]byte
	if _, err := io.ReadFull(s.rand, id[:]); err != nil {
		return Display{}, "", fmt.Errorf("displays: id: %w", err)
	}
	if _, err := io.ReadFull(s.rand, tok[:]); err != nil {
		return Display{}, "", fmt.Errorf("displays: token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(tok[:])
	d := Display{ID: "dsp_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(id[:])),
		DeviceID: p.DeviceID, TokenHash: hash(token), CreatedAt: s.now()}
	if err := s.store.CreateDisplay(ctx, d); err != nil {
		return Display{}, "", err
	}
	return d, token, nil
}

// Authenticate returns the live display whose credential is token, or
// ErrNotFound (unknown or revoked: the screen must be paired again).
func (s *Service) Authenticate(ctx context.Context, token string) (Display, error) {
	if token == "" || len(token) > 100 {
		return Display{}, ErrNotFound
	}
	d, err := s.store.DisplayByToken(ctx, hash(token))
	if err != nil {
		return Display{}, err
	}
	if !d.RevokedAt.IsZero() {
		return Display{}, ErrNotFound
	}
	return d, nil
}

// List returns the device's working displays.
func (s *Service) List(ctx context.Context, deviceID string) ([]Display, error) {
	return s.store.Displays(ctx, deviceID)
}

// Revoke ends the device's display id: its screen must be paired again.
func (s *Service) Revoke(ctx context.Context, deviceID, id string) error {
	return s.store.RevokeDisplay(ctx, deviceID, id, s.now())
}

// hash is what the store keeps of a code or token: its SHA-256 in hex.
func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
