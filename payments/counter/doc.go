// Package counter is the shop counter's small domain: the tablets and
// phones a cashier takes payments on (devices), how one is paired from
// the back office, the cashiers' PINs that unlock a device, and the sales
// made on it.
//
// It is a sibling of payments/accounts and builds on it and on payments:
// a device is not a person (it never signs in to the back office), and a
// sale is a payments.Payment with its Source set to a counter channel,
// plus a side record of which device and which cashier made it. Like
// accounts, its store lives in payments/sqlite and payments/postgres,
// which pass countertest.Run.
//
// # Pairing and the device credential
//
// The owner asks the back office for a pairing code: eight digits, valid
// PairingTTL (60 seconds), single use. The tablet types it (or opens the
// QR of /counter/pair?code=...), and gets a device credential: 256 random
// bits in an HttpOnly cookie. The store keeps only the credential's
// SHA-256, so a copy of the database pairs no device. Revoking a device in
// the back office deletes nothing but marks it revoked: its next request
// is refused (Authenticate returns ErrRevoked) and the history of its
// sales stays. Its open sales are canceled (Revoke): no till could see
// the outcome of a sale still facing a shopper.
//
// # PINs
//
// The owner sets each cashier's PIN (4 to 8 digits), kept as an argon2id
// hash like the passwords. A cashier unlocks a paired device by choosing
// their name and typing the PIN; MaxPINFailures (5) wrong PINs in a row
// lock that PIN until the owner sets a new one. A PIN has far fewer
// guesses than a password, so the lock is not timed: only a person
// unlocks it. An unlocked device stays unlocked for UnlockFor (a shift)
// or until the cashier locks it, and no longer than the cashier's access
// holds: removing them, resetting their access or password, a new
// password or role, or signing them out everywhere locks every device
// they unlocked. Authenticate checks accounts.Account.StillUnlocks on
// every request of a device and answers such a device locked; whatever
// changed the access writes the lock (LockShutOut) and records it in the
// audit log, once per device, in the name of whoever changed it.
//
// The keypad warns LockWarnBefore before UnlockFor ends (UnlockLeft), as
// nothing extends an unlock: the cashier finishes the sale at hand, or
// locks and unlocks again between sales. The end locks the device and
// nothing else: a sale in progress is neither canceled nor forgotten.
// Its payment stays payable at Latipay until its own expiry, the device
// keeps its key (localStorage) and, once a cashier unlocks the device
// again, the keypad shows that same sale, paid or still open, as after a
// reload.
//
// # Sales
//
// Charge creates the payment with the device's idempotency key (kept by
// the device in localStorage and sent with every charge), so a double
// tap, a reload or a lost connection mid-request finds the same payment
// instead of making a second one; the sale record ties it to the device
// and the cashier. The store's (device, key) uniqueness is the one place
// that decides which of two racing requests made the sale.
//
// # Imports
//
// The standard library, payments (a sale is a payment) and
// payments/accounts (a cashier is an account); no adapter.
//
// # Where to change what
//
// Device, Pairing, PIN, Sale, the errors the handlers map and the Store
// port: counter.go. Pairing, PINs, unlocking, revoking and the rules'
// figures (PairingTTL, MaxPINFailures): service.go; UnlockFor and LockWarnBefore:
// limits.go (limits_short.go in the shortsessions test build); a sale
// shown as a QR, checking and canceling one: sale.go; a sale charged from
// the shopper's scanned pay code: scan.go (the pay code's rules are
// payments/paycode.go). The SQL: payments/sqlite/counter.go and
// payments/postgres/counter.go, held to countertest.Run. The pages:
// handlers/counter.go, counter_sale.go, device.go and, in the back
// office, admin_counter.go.
package counter
