package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/latipay-hpp/hpp/payments/accounts/passwordrule"
)

// OWASP's argon2id parameters (Password Storage Cheat Sheet): 19 MiB of
// memory, 2 passes, 1 lane; a 16-byte salt and a 32-byte key.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonSaltLen = 16
	argonKeyLen  = 32
)

// MinPasswordLength is the shortest password accepted, in characters;
// MaxPasswordBytes the longest, in bytes of UTF-8 (passwordrule, the one
// rule that HPP_ADMIN_PASSWORD_FILE follows too).
const (
	MinPasswordLength = passwordrule.MinLength
	MaxPasswordBytes  = passwordrule.MaxBytes
)

// Why CheckPassword refuses a password: PasswordError.Why, which handlers
// turn into a message.
const (
	PasswordShort    = passwordrule.Short    // fewer than MinPasswordLength characters
	PasswordLong     = passwordrule.Long     // more than MaxPasswordBytes bytes
	PasswordBlank    = passwordrule.Blank    // only spaces (or other white space)
	PasswordRepeated = passwordrule.Repeated // one character repeated
	PasswordCommon   = passwordrule.Common   // one of the common passwords (passwordrule/common.go)
	PasswordSame     = "same"                // a change to the password it replaces
)

// passwordWords says each refusal in plain words, for logs and start-up;
// the pages say it in the person's language.
func passwordWords(why string) string {
	if why == PasswordSame {
		return "it is the same as the current one"
	}
	return passwordrule.Words(why)
}

// CheckPassword applies the rules every password set in the back office
// follows (setup, an invitation or a reset of access, a change):
// passwordrule.Check, at least MinPasswordLength characters and at most
// MaxPasswordBytes bytes, not only white space, not one character
// repeated, and not one of the common passwords. A refusal is an
// *InputError for "password" whose Why says which rule.
func CheckPassword(password string) error {
	if why := passwordrule.Check(password); why != "" {
		return &InputError{Field: "password", Why: why}
	}
	return nil
}

// Hasher hashes and checks passwords with argon2id. At most n hashes run
// at once (each holds 19 MiB), so a flood of sign-ins waits for a slot
// instead of exhausting memory; a request that cannot get one before its
// context ends gets ErrBusy.
type Hasher struct {
	slots chan struct{}
	// dummy is a hash checked when the email is unknown, so that an
	// unknown email costs the same time as a wrong password.
	dummy string
}

// NewHasher returns a Hasher running at most n hashes at once (n >= 1).
func NewHasher(n int) *Hasher {
	if n < 1 {
		n = 1
	}
	h := &Hasher{slots: make(chan struct{}, n)}
	h.dummy = dummyHash()
	return h
}

// dummyHash is a PHC string with the real parameters and a random salt
// and key: checking a password against it costs exactly what a real
// check costs, and nothing matches it. It is not computed with argon2:
// hashing at start-up cost a fifth of a second and 19 MiB for a key no
// one ever needs.
func dummyHash() string {
	b := make([]byte, argonSaltLen+argonKeyLen)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return phc(b[:argonSaltLen], b[argonSaltLen:])
}

func phc(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ErrBusy
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC string of password under a new random salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	return h.hash(ctx, password)
}

func (h *Hasher) hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	h.release()
	return phc(salt, key), nil
}

// Verify reports whether password matches the PHC string encoded. An
// encoded string that is not argon2id never matches.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	if encoded == "" {
		encoded = h.dummy
		password += "\x00" // can never match the dummy
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, nil
	}
	var v int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, nil
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 256*1024 || t > 10 || p == 0 || p > 4 {
		return false, nil
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false, nil
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	h.release()
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
