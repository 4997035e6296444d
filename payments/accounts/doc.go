// Package accounts is the back office's own small domain: the people who
// sign in (owners, cashiers and bookkeepers), their sessions, the one-time setup token
// of a first run, and the append-only audit log of what they did.
//
// It is a sibling of package payments rather than part of it: a payment
// never needs to know who looks at it, and the checkout, the callback and
// the merchant API never need an account. Keeping the two apart keeps
// payments free of passwords and sessions, and lets the back office grow
// (cashier devices, invitations) without touching the payment state
// machine. Like payments it imports nothing else of this module (only its
// own passwordrule); its stores live beside the payment stores in
// payments/sqlite and payments/postgres, which pass accountstest.Run.
//
// Secrets never reach the store in clear: passwords are kept as argon2id
// hashes (OWASP's parameters: 19 MiB, 2 passes, 1 lane), and session ids,
// setup tokens and device tokens as their SHA-256, so a copy of the
// database signs no one in.
//
// MaxFailures wrong passwords in a row lock an account for LockFor. So
// that a stranger who knows an email cannot keep its person locked out
// by trying again each time the lock ends, a browser that has signed in
// gets a device cookie for the account (OWASP's device cookies,
// device.go: TrustDevice). Attempts sent with a trusted device's cookie
// (sign-in, two-step code, confirming or changing the password) count
// against that device alone, which MaxFailures lock for LockFor, and the
// account's lock does not refuse them; attempts without one count
// against the account as before. A change of access (below) or the
// removal voids the account's devices, and one unused for DeviceTTL
// lapses. The audit log marks refusals from a trusted device
// (KnownDevice).
//
// Every password set (setup, an invitation or reset of access, a change)
// follows CheckPassword: 12 characters to 1024 bytes, not blank, not one
// character repeated, not one of a short list of common passwords: the
// rule is package passwordrule, which config holds the first owner's
// HPP_ADMIN_PASSWORD_FILE to as well, so start-up and hpp check-config
// refuse the same passwords in the same words.
//
// Two-step sign-in (TOTP, see totp.go) is optional per account: the key
// is sealed with AES-256-GCM under a key derived from HPP_SESSION_KEY
// (SetSealKey), each code works once (the last accepted 30-second step is
// kept), wrong codes count towards the same lockout as wrong passwords
// (the device's, from a trusted device),
// and ten recovery codes are kept as SHA-256. Invitations and resets of
// access are one-time links valid 24 hours (people.go), kept as hashes in
// the same table as the 5-minute challenge between a sign-in's password
// and its code. Refunds, two-step changes and people changes need the
// password (and code) confirmed within ReauthWindow. The shop always
// keeps an owner: the last one can be neither removed nor made a
// cashier. A change of a person's access (sign out everywhere, a new
// password, a reset of access or of the password, a new role) ends their
// sign-ins waiting for a code and, but for a role, their sessions and
// trusted devices (DevicesVoidedAt), and stamps AccessChangedAt, before
// which nothing they opened at the counter holds. Every change is in the audit log with its before and after.
//
// # Imports
//
// The standard library, golang.org/x/crypto/argon2 and
// github.com/pquerna/otp; of this module only its own passwordrule (the
// password rule, standard library only), not even payments.
//
// # Where to change what
//
// Roles, Account, the audit entry, the errors the handlers map and the
// Store port: accounts.go. Signing in, sessions, lock-out, the setup
// token, the demo owner and the rules' figures (MaxFailures, the idle and
// absolute session limits, ReauthWindow): service.go; the lock-out of
// emails without an account, counted like an account's: unknown.go;
// the device cookies, a device's own count and lock: device.go;
// whether a session still holds, for the sockets that outlive a request:
// live.go; invitations, resets of access and removal: people.go; the
// password hash, its parameters and the rules of a new password:
// password.go and passwordrule/ (the rule and the common passwords,
// common.go); two-step sign-in and recovery codes:
// totp.go. The SQL: payments/sqlite/accounts.go and
// payments/postgres/accounts.go, held to accountstest.Run. The pages:
// handlers/admin_auth.go (sign-in, setup, two-step), admin_accounts.go,
// admin_sessions.go and admin_audit.go.
package accounts
