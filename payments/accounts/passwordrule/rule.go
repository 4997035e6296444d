// Package passwordrule is the one rule every password of the back office
// follows, wherever it is set: an account's password in the back office
// (package accounts) and the first owner's HPP_ADMIN_PASSWORD_FILE, which
// hpp check-config and start-up check (package config) before any
// account is made, so that both refuse the same passwords in the same
// words. It imports only the standard library, so that config, which
// reads the environment and imports nothing else of ours, may use it.
package passwordrule

import (
	"strings"
	"unicode/utf8"
)

// MinLength is the shortest password accepted, in characters (NIST SP
// 800-63B asks for at least 8; a back office that moves money asks for
// more). MaxBytes is the longest, in bytes of UTF-8 (a Chinese character
// is 3): argon2id hashes any length, the limit only bounds the work.
const (
	MinLength = 12
	MaxBytes  = 1024
)

// Why Check refuses a password.
const (
	Short    = "short"    // fewer than MinLength characters
	Long     = "long"     // more than MaxBytes bytes
	Blank    = "blank"    // only spaces (or other white space)
	Repeated = "repeated" // one character repeated
	Common   = "common"   // one of the common passwords (common.go)
)

// words say each refusal in plain words, for logs, start-up and hpp
// check-config; the pages say it in the person's language.
var words = map[string]string{
	Short:    "it must be at least 12 characters",
	Long:     "it must be at most 1024 bytes",
	Blank:    "it cannot be only spaces",
	Repeated: "it cannot be one character repeated",
	Common:   "it is one of the most common passwords",
}

// Check says why password is refused ("" if it is not): at least
// MinLength characters and at most MaxBytes bytes, not only white space,
// not one character repeated, and not one of the common passwords
// (compared ignoring case).
func Check(password string) string {
	switch {
	case len(password) > MaxBytes:
		return Long
	case len([]rune(password)) < MinLength:
		return Short
	case strings.TrimSpace(password) == "":
		return Blank
	case strings.Trim(password, password[:utf8.RuneLen([]rune(password)[0])]) == "":
		return Repeated
	case commonPasswords[strings.ToLower(password)]:
		return Common
	}
	return ""
}

// Words says refusal why (a Check result) in plain English, as "it must be
// at least 12 characters"; "" for a reason it does not know.
func Words(why string) string { return words[why] }
